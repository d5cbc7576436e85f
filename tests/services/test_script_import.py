"""Screenplays and CSV shot lists into a project (previz.services.screenplay_import and
previz.services.shotlist)."""

from __future__ import annotations

import csv
import io
import re
from fractions import Fraction
from pathlib import Path

import pytest

from previz.screenplay import (
    breakdown,
    element_name,
    format_duration,
    parse_file,
    scene_setting,
)
from previz.services.project import ProjectService
from previz.services.screenplay_import import (
    ScriptImportError,
    import_script,
    script_states,
)
from previz.services.shotlist import export_shotlist, import_shotlist
from tests.helpers import fake_take

FOLDER = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "screenplays"

DRAFT_1 = """\
Title: Night Ferry

INT. KITCHEN - NIGHT

MAYA pours coffee into a chipped mug. [[note: make the mug blue]]

MAYA
We leave at dawn.

TEO
(quietly)
Not without the map.

/*
EXT. BONEYARD DOCK - DAY

Cut material nobody should see.
*/

EXT. PIER - NIGHT

Waves slap the pilings. A ferry horn sounds far away.

Teo runs along the pier, the map under his arm.

INT. FERRY CABIN - DAWN

Maya studies the map by lamplight.

MAYA
There. The island.
"""

# Draft 2: the kitchen beat changes (the user edited that prompt: a conflict), a scene is new
# between 1 and 2, the first pier beat changes, a pier beat is new, the ferry cabin is gone.
DRAFT_2 = """\
Title: Night Ferry

INT. KITCHEN - NIGHT

MAYA pours cold coffee into a chipped mug.

MAYA
We leave at dawn.

TEO
(quietly)
Not without the map.

EXT. ALLEY - NIGHT

Teo ducks into a doorway as a patrol car passes.

EXT. PIER - NIGHT

Waves crash against the pilings. A ferry horn sounds far away.

Teo runs along the pier, the map under his arm.

A gull lands on a post and watches him go.
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def snapshot(svc: ProjectService) -> tuple:
    """Everything a user sees of the project's plan (to check nothing changed)."""
    seqs = svc.sequences()
    return (
        [(s.id, s.name, s.scene, s.fps, s.width, s.height) for s in seqs],
        [
            (sh.id, sh.code, sh.scene, sh.prompt, sh.dialogue, sh.duration_frames, sh.notes)
            for s in seqs
            for sh in svc.shots(s.id)
        ],
        [(e.name, e.kind, e.description) for e in svc.elements()],
        script_states(svc),
        svc.undo_labels(),
    )


def shots_by_label(svc: ProjectService) -> dict[str, object]:
    return {sh.label: sh for s in svc.sequences() for sh in svc.shots(s.id)}


@pytest.fixture
def ferry(tmp_path: Path):
    svc = ProjectService.create(tmp_path / "Ferry.previz", fps="23.976", size="640x360")
    yield svc
    svc.close()


# --------------------------------------------------------------------------------------------
# First import


def test_first_import_makes_one_sequence_per_scene_and_one_shot_per_beat(
    ferry: ProjectService, tmp_path: Path
) -> None:
    report = import_script(ferry, write(tmp_path, "d1.fountain", DRAFT_1))
    seqs = ferry.sequences()
    # the new project's empty "Sequence 1" became scene 1: no empty sequence is left behind
    assert [s.name for s in seqs] == [
        "1 INT. KITCHEN - NIGHT",
        "2 EXT. PIER - NIGHT",
        "3 INT. FERRY CABIN - DAWN",
    ]
    assert [s.scene for s in seqs] == ["1", "2", "3"]
    assert {(str(s.fps), s.width, s.height) for s in seqs} == {("24000/1001", 640, 360)}
    pier = ferry.shots(seqs[1].id)
    assert [s.code for s in pier] == ["0010", "0020"]
    assert [s.scene for s in pier] == ["2", "2"]
    assert pier[0].prompt == (
        "EXT. pier, night. Waves slap the pilings. A ferry horn sounds far away."
    )
    kitchen = ferry.shots(seqs[0].id)
    assert [s.code for s in kitchen] == ["0010"]
    assert kitchen[0].prompt == "INT. kitchen, night. @Maya pours coffee into a chipped mug."
    assert kitchen[0].dialogue == "MAYA: We leave at dawn.\nTEO: Not without the map."
    # notes and boneyard never reach the project
    everything = " ".join(
        f"{s.name} {sh.prompt} {sh.dialogue}" for s in seqs for sh in ferry.shots(s.id)
    )
    assert "mug blue" not in everything and "BONEYARD" not in everything.upper()
    assert "nobody should see" not in everything
    # characters and locations are elements
    elements = {e.name: e.kind for e in ferry.elements()}
    assert elements == {
        "Maya": "character",
        "Teo": "character",
        "Kitchen": "location",
        "Pier": "location",
        "FerryCabin": "location",
    }
    # durations are the breakdown's estimates at the project's rate, flagged as estimates
    states, removed = script_states(ferry)
    assert removed == frozenset()
    shots = [sh for s in seqs for sh in ferry.shots(s.id)]
    assert all(states[sh.id].duration_estimated for sh in shots)
    assert all(states[sh.id].from_script and not states[sh.id].prompt_edited for sh in shots)
    expected = breakdown(parse_file(tmp_path / "d1.fountain"), fps=seqs[0].fps)
    assert [sh.duration_frames for sh in shots] == [
        b.estimated_frames for sc in expected.scenes for b in sc.beats
    ]
    assert not report.reimport
    assert (report.sequences_added, report.shots_added) == (3, 4)
    assert report.lines[0] == 'Imported "Night Ferry": 3 scenes, 4 shots, 5 new elements.'
    assert 'Scene 2: "EXT. PIER - NIGHT" (2 shots)' in report.lines


def test_a_users_own_sequence_is_kept_and_scenes_follow_it(
    project: ProjectService, tmp_path: Path
) -> None:
    project.add_shot(prompt="a hand-made opening shot")
    project.add_element("maya", "character", "my own Maya")
    report = import_script(project, write(tmp_path, "d1.fountain", DRAFT_1))
    names = [s.name for s in project.sequences()]
    assert names == [
        "Sequence 1",
        "1 INT. KITCHEN - NIGHT",
        "2 EXT. PIER - NIGHT",
        "3 INT. FERRY CABIN - DAWN",
    ]
    assert [s.prompt for s in project.shots("Sequence 1")] == ["a hand-made opening shot"]
    # an element that exists (any case) is not added again nor changed
    assert [e.description for e in project.elements() if e.name.lower() == "maya"] == [
        "my own Maya"
    ]
    assert "Maya" not in report.elements_added and "Teo" in report.elements_added


def test_scene_numbers_written_in_the_script_name_the_sequences(
    project: ProjectService, tmp_path: Path
) -> None:
    text = (
        "INT. DINER - NIGHT #3#\n\nTeo waits.\n\n"
        "I/E. TEO'S TRUCK - NIGHT #4A#\n\nTeo drives.\n\n"
        "EXT. ROAD - NIGHT\n\nThe truck disappears.\n"
    )
    import_script(project, write(tmp_path, "n.fountain", text))
    seqs = project.sequences()
    assert [s.name for s in seqs] == [
        "3 INT. DINER - NIGHT",
        "4A I/E. TEO'S TRUCK - NIGHT",
        "5 EXT. ROAD - NIGHT",
    ]
    assert [s.scene for s in seqs] == ["3", "4A", "5"]
    assert [sh.label for sh in project.shots("4A I/E. TEO'S TRUCK - NIGHT")] == ["4A/0010"]
    assert "TeosTruck" in {e.name for e in project.elements()}


def test_undo_reverts_a_whole_first_import(ferry: ProjectService, tmp_path: Path) -> None:
    before = snapshot(ferry)
    import_script(ferry, write(tmp_path, "d1.fountain", DRAFT_1))
    assert len(ferry.sequences()) == 3
    assert ferry.undo() == "Import script d1.fountain"
    after = snapshot(ferry)
    assert after[:4] == before[:4]
    assert ferry.redo() == "Import script d1.fountain"
    assert len(ferry.sequences()) == 3 and len(ferry.elements()) == 5


def test_a_dry_run_reports_the_import_and_changes_nothing(
    ferry: ProjectService, tmp_path: Path
) -> None:
    path = write(tmp_path, "d1.fountain", DRAFT_1)
    before = snapshot(ferry)
    dry = import_script(ferry, path, dry_run=True)
    assert snapshot(ferry) == before
    real = import_script(ferry, path)
    assert dry.dry_run and not real.dry_run
    assert dry.lines == real.lines and dry.shots_added == real.shots_added == 4


# --------------------------------------------------------------------------------------------
# Errors: one line, nothing changed


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.fountain", None, "does not exist"),
        ("latin1.fountain", "INT. CAFÉ - DAY\n\nAndré sits.\n".encode("latin-1"), "not UTF-8"),
        ("notes.fountain", b"Just a few notes about the film.\n\nNo scenes yet.\n", "no scene"),
        ("empty.fountain", b"", "no scene"),
    ],
)
def test_a_script_that_cannot_be_imported_changes_nothing(
    ferry: ProjectService, tmp_path: Path, name: str, content: bytes | None, message: str
) -> None:
    import_script(ferry, write(tmp_path, "d1.fountain", DRAFT_1))
    before = snapshot(ferry)
    path = tmp_path / name
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ScriptImportError, match=message) as err:
        import_script(ferry, path)
    assert "\n" not in str(err.value)
    assert snapshot(ferry) == before


# --------------------------------------------------------------------------------------------
# Re-import


def _draft_2_setup(svc: ProjectService, tmp_path: Path) -> dict[str, int]:
    import_script(svc, write(tmp_path, "d1.fountain", DRAFT_1))
    shots = shots_by_label(svc)
    ids = {label: sh.id for label, sh in shots.items()}  # type: ignore[attr-defined]
    fake_take(svc, ids["2/0010"])
    fake_take(svc, ids["2/0010"])
    fake_take(svc, ids["2/0020"])
    fake_take(svc, ids["3/0010"])
    svc.edit_shot(ids["1/0010"], prompt="CU: Maya pours coffee, steam rising")
    return ids


def test_reimport_applies_exactly_the_scripts_changes(
    ferry: ProjectService, tmp_path: Path
) -> None:
    ids = _draft_2_setup(ferry, tmp_path)
    takes_before = {label: ferry.takes(i) for label, i in ids.items()}
    durations_before = {label: ferry.shot(i).duration_frames for label, i in ids.items()}
    report = import_script(ferry, write(tmp_path, "d2.fountain", DRAFT_2))

    seqs = ferry.sequences()
    assert [s.name for s in seqs] == [
        "1 INT. KITCHEN - NIGHT",
        "1A EXT. ALLEY - NIGHT",
        "2 EXT. PIER - NIGHT",
        "3 INT. FERRY CABIN - DAWN",
    ]
    shots = shots_by_label(ferry)
    # the hand-edited prompt is kept (a conflict), the script's new text is not written
    assert shots["1/0010"].prompt == "CU: Maya pours coffee, steam rising"  # type: ignore[attr-defined]
    # the changed beat has the new prompt and keeps its takes, selected take included
    pier1 = shots["2/0010"]
    assert pier1.prompt == (  # type: ignore[attr-defined]
        "EXT. pier, night. Waves crash against the pilings. A ferry horn sounds far away."
    )
    assert [t.id for t in ferry.takes(pier1.id)] == [t.id for t in takes_before["2/0010"]]  # type: ignore[attr-defined]
    assert pier1.selected_take_number == 2  # type: ignore[attr-defined]
    # its estimated duration follows the new text; the unchanged shot is untouched
    d2 = breakdown(parse_file(tmp_path / "d2.fountain"), fps=seqs[0].fps)
    new_estimate = d2.scenes[2].beats[0].estimated_frames
    assert new_estimate != durations_before["2/0010"]
    assert pier1.duration_frames == new_estimate  # type: ignore[attr-defined]
    pier2 = shots["2/0020"]
    assert pier2.duration_frames == durations_before["2/0020"]  # type: ignore[attr-defined]
    assert [t.id for t in ferry.takes(ids["2/0020"])] == [t.id for t in takes_before["2/0020"]]
    # the new beat comes after the beat it follows in the script; codes continue the scene's
    assert [s.code for s in ferry.shots(seqs[2].id)] == ["0010", "0020", "0030"]
    assert shots["2/0030"].prompt.startswith("EXT. pier, night. A gull lands")  # type: ignore[attr-defined]
    # the new scene is numbered between its neighbours and starts at 0010
    assert [s.label for s in ferry.shots(seqs[1].id)] == ["1A/0010"]
    # the removed scene is flagged, not deleted, and keeps its take
    states, removed = script_states(ferry)
    assert removed == frozenset({seqs[3].id})
    assert ferry.takes(ids["3/0010"])[0].id == takes_before["3/0010"][0].id
    assert states[ids["1/0010"]].prompt_edited
    assert "Alley" in {e.name for e in ferry.elements()}

    assert (
        report.shots_changed,
        report.conflicts,
        report.shots_added,
        report.sequences_added,
        report.sequences_flagged,
        report.shots_unchanged,
    ) == (1, 1, 2, 1, 1, 1)
    assert list(report.lines) == [
        "Re-import: 1 changed shot, 1 conflict, 2 new shots, 1 new scene, 1 removed scene, "
        "1 new element; 1 shot unchanged.",
        "Scene 1: CONFLICT on shot 1/0010: its prompt was edited by hand and was kept; the "
        'script now reads "INT. kitchen, night. @Maya pours cold coffee into a chipped mug."',
        'Scene 1A: new scene "EXT. ALLEY - NIGHT" (1 shot), after scene 1',
        'Scene 2: shot 2/0010 changed: "EXT. pier, night. Waves slap the pilings. A ferry horn '
        'sounds far awa…" -> "EXT. pier, night. Waves crash against the pilings. A ferry '
        'horn sound…"',
        'Scene 2: new shot after shot 2/0020: "EXT. pier, night. A gull lands on a post and '
        'watches him go."',
        'Scene 3: "INT. FERRY CABIN - DAWN" is no longer in the script (kept, flagged; 1 shot)',
        "New element @Alley (location)",
    ]


def test_a_conflict_the_user_kept_is_reported_once(ferry: ProjectService, tmp_path: Path) -> None:
    ids = _draft_2_setup(ferry, tmp_path)
    d2 = write(tmp_path, "d2.fountain", DRAFT_2)
    first = import_script(ferry, d2)
    assert first.conflicts == 1
    # the same draft again: the user has seen the conflict and kept their prompt
    again = import_script(ferry, d2)
    assert (again.conflicts, again.has_changes) == (0, False)
    assert list(again.lines) == ["Re-import: no changes (5 shots unchanged)."]
    kitchen = ferry.shot(ids["1/0010"])
    assert kitchen.prompt == "CU: Maya pours coffee, steam rising"  # still the user's
    assert script_states(ferry).shots[kitchen.id].prompt_edited
    # a later draft that changes the beat again is a new conflict, reported again
    d3 = write(tmp_path, "d3.fountain", DRAFT_2.replace("cold coffee", "cold black coffee"))
    third = import_script(ferry, d3)
    assert third.conflicts == 1
    assert any("cold black coffee" in line for line in third.lines)
    assert ferry.shot(kitchen.id).prompt == "CU: Maya pours coffee, steam rising"


def test_undo_reverts_a_whole_reimport_and_takes_survive(
    ferry: ProjectService, tmp_path: Path
) -> None:
    ids = _draft_2_setup(ferry, tmp_path)
    before = snapshot(ferry)
    import_script(ferry, write(tmp_path, "d2.fountain", DRAFT_2))
    assert snapshot(ferry) != before
    assert ferry.undo() == "Re-import script d2.fountain"
    assert snapshot(ferry)[:4] == before[:4]
    assert len(ferry.takes(ids["2/0010"])) == 2 and len(ferry.takes(ids["3/0010"])) == 1


def test_reimporting_the_same_draft_changes_nothing(ferry: ProjectService, tmp_path: Path) -> None:
    path = write(tmp_path, "d1.fountain", DRAFT_1)
    import_script(ferry, path)
    before = snapshot(ferry)
    report = import_script(ferry, path)
    assert list(report.lines) == ["Re-import: no changes (4 shots unchanged)."]
    assert not report.has_changes
    assert snapshot(ferry) == before  # not even an undo step


def test_a_user_set_duration_survives_a_changed_beat(ferry: ProjectService, tmp_path: Path) -> None:
    import_script(ferry, write(tmp_path, "d1.fountain", DRAFT_1))
    pier1 = shots_by_label(ferry)["2/0010"]
    ferry.edit_shot(pier1.id, duration_frames=240)  # type: ignore[attr-defined]
    import_script(ferry, write(tmp_path, "d2.fountain", DRAFT_2))
    after = ferry.shot(pier1.id)  # type: ignore[attr-defined]
    assert after.prompt.startswith("EXT. pier, night. Waves crash")
    assert after.duration_frames == 240
    assert not script_states(ferry).shots[pier1.id].duration_estimated  # type: ignore[attr-defined]


def test_flags_clear_when_a_scene_comes_back_and_are_not_reported_twice(
    ferry: ProjectService, tmp_path: Path
) -> None:
    d1, d2 = write(tmp_path, "d1.fountain", DRAFT_1), write(tmp_path, "d2.fountain", DRAFT_2)
    import_script(ferry, d1)
    import_script(ferry, d2)
    again = import_script(ferry, d2)
    assert list(again.lines) == ["Re-import: no changes (5 shots unchanged)."]
    back = import_script(ferry, d1)
    cabin = ferry.sequence("3 INT. FERRY CABIN - DAWN")
    alley = ferry.sequence("1A EXT. ALLEY - NIGHT")
    assert script_states(ferry).removed_sequences == frozenset({alley.id})
    assert back.sequences_restored == 1 and back.sequences_flagged == 1
    assert 'Scene 3: "INT. FERRY CABIN - DAWN" is back in the script (flag cleared)' in back.lines
    assert ferry.shots(cabin.id)[0].prompt.startswith("INT. ferry cabin, dawn.")
    gull = shots_by_label(ferry)["2/0030"]
    assert not script_states(ferry).shots[gull.id].in_script  # type: ignore[attr-defined]


def test_what_the_user_deleted_stays_deleted(ferry: ProjectService, tmp_path: Path) -> None:
    path = write(tmp_path, "d1.fountain", DRAFT_1)
    import_script(ferry, path)
    ferry.remove_shot("2/0020")
    ferry.remove_sequence("3 INT. FERRY CABIN - DAWN")
    before = snapshot(ferry)
    report = import_script(ferry, path)
    assert snapshot(ferry) == before
    assert report.lines[0] == "Re-import: no changes (2 shots unchanged)."
    assert "1 shot deleted in the project was left deleted" in report.lines
    assert any("FERRY CABIN" in line and "left deleted" in line for line in report.lines)


def test_a_retitled_scene_is_renamed_and_keeps_its_shots(
    ferry: ProjectService, tmp_path: Path
) -> None:
    import_script(ferry, write(tmp_path, "d1.fountain", DRAFT_1))
    pier = ferry.sequence("2 EXT. PIER - NIGHT")
    fake_take(ferry, ferry.shots(pier.id)[0].id)
    report = import_script(
        ferry,
        write(tmp_path, "d1b.fountain", DRAFT_1.replace("EXT. PIER - NIGHT", "EXT. PIER - DAWN")),
    )
    renamed = ferry.sequence(pier.id)
    assert renamed.name == "2 EXT. PIER - DAWN" and renamed.scene == "2"
    assert [sh.take_count for sh in ferry.shots(pier.id)] == [1, 0]
    assert report.sequences_retitled == 1
    assert 'Scene 2: heading changed: "EXT. PIER - NIGHT" -> "EXT. PIER - DAWN"' in report.lines


# --------------------------------------------------------------------------------------------
# The public screenplays


def _fixtures() -> list[Path]:
    found = sorted(FOLDER.glob("*.fountain")) if FOLDER.is_dir() else []
    if not found:
        pytest.skip(f"{FOLDER} is not here (the public screenplays live in shared/fixtures)")
    return found


_HEADING_LINE = re.compile(r"^(?:(?:INT\./EXT|INT/EXT|I/E|INT|EXT|EST)[. ]|\.[A-Za-z0-9])", re.I)


def _heading_lines(text: str) -> int:
    """Scene headings counted straight from the file: after a blank line, a line starting with
    INT/EXT/EST/I/E and a dot or space, or a single period and a letter or digit."""
    lines = text.splitlines()
    return sum(
        1
        for i, line in enumerate(lines)
        if (i == 0 or not lines[i - 1].strip()) and _HEADING_LINE.match(line.strip())
    )


def test_public_screenplays_import_scene_by_scene(tmp_path: Path) -> None:
    for n, path in enumerate(_fixtures()):
        with ProjectService.create(tmp_path / f"P{n}.previz", fps="24") as svc:
            report = import_script(svc, path)
            result = breakdown(parse_file(path), fps=24)
            seqs = svc.sequences()
            text = path.read_text(encoding="utf-8-sig")
            assert len(seqs) == len(result.scenes) == _heading_lines(text) > 5, path.name
            assert [s.name for s in seqs] == [f"{sc.number} {sc.heading}" for sc in result.scenes]
            assert [s.scene for s in seqs] == [str(i) for i in range(1, len(seqs) + 1)]
            elements = {e.name for e in svc.elements()}
            speakers = {
                element_name(who)
                for sc in result.scenes
                for b in sc.beats
                for who, _line in b.dialogue
            }
            assert len(speakers) >= 5 and speakers <= elements, path.name
            for seq, scene in zip(seqs, result.scenes, strict=True):
                shots = svc.shots(seq.id)
                # shot codes restart in every scene
                assert [s.code for s in shots] == [f"{10 * (i + 1):04d}" for i in range(len(shots))]
                setting = scene_setting(scene.int_ext, scene.location, scene.time_of_day)
                assert setting and all(s.prompt.startswith(setting) for s in shots), seq.name
                assert all(s.scene == scene.number for s in shots)
            assert report.shots_added == sum(len(sc.beats) for sc in result.scenes)
            # a second import of the same file is a no-op
            assert not import_script(svc, path).has_changes


def test_notes_and_boneyard_in_a_public_screenplay_never_reach_the_project(
    tmp_path: Path,
) -> None:
    path = _fixtures()[0]
    lines = path.read_text(encoding="utf-8-sig").split("\n")
    dirty: list[str] = []
    for i, line in enumerate(lines):
        if line.strip() and any(c.islower() for c in line):
            line = f"{line} [[SENTINEL note]]"
        dirty.append(line)
        if not line.strip() and i + 1 < len(lines) and lines[i + 1].startswith(("INT", "EXT")):
            dirty += ["/* SENTINEL", "", "INT. SENTINEL SET - NIGHT", "", "SENTINEL.", "*/", ""]
    assert sum("SENTINEL" in line for line in dirty) > 10
    with ProjectService.create(tmp_path / "D.previz") as svc:
        import_script(svc, write(tmp_path, "dirty.fountain", "\n".join(dirty)))
        texts = [s.name for s in svc.sequences()] + [
            t for s in svc.sequences() for sh in svc.shots(s.id) for t in (sh.prompt, sh.dialogue)
        ]
        assert texts and not [t for t in texts if "SENTINEL" in t]
        assert len(svc.sequences()) == len(breakdown(parse_file(path)).scenes)


# --------------------------------------------------------------------------------------------
# CSV shot lists


def _read_csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def _write_csv(path: Path, rows: list[dict[str, str]]) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def test_shotlist_export_writes_every_shot(ferry: ProjectService, tmp_path: Path) -> None:
    import_script(ferry, write(tmp_path, "d1.fountain", DRAFT_1))
    ferry.edit_shot("2/0010", camera_notes="low angle, 24mm", notes="=needs rain")
    out = tmp_path / "shots.csv"
    out.write_text("old content")
    result = export_shotlist(ferry, out)
    assert result.rows == 4 and len(result.sequences) == 3
    rows = _read_csv(out)
    assert [(r["Scene"], r["Shot"]) for r in rows] == [
        ("1", "0010"),
        ("2", "0010"),
        ("2", "0020"),
        ("3", "0010"),
    ]
    kitchen, pier = rows[0], rows[1]
    assert (kitchen["INT/EXT"], kitchen["Day/Night"], kitchen["Location"]) == (
        "INT",
        "NIGHT",
        "KITCHEN",
    )
    assert kitchen["Cast"] == "Maya, Teo"  # the speakers, not only the mentions
    assert kitchen["Description"] == "INT. kitchen, night. @Maya pours coffee into a chipped mug."
    assert pier["Camera"] == "low angle, 24mm"
    assert pier["Notes"] == "'=needs rain"  # a spreadsheet must not run it as a formula
    frames = ferry.resolve_shot("2/0010").duration_frames
    assert pier["Duration"] == format_duration(frames, Fraction(24000, 1001))
    assert abs(float(pier["Duration"]) - frames * 1001 / 24000) <= 0.05
    # the write went through a temporary file that is gone now
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix == ".tmp") == []
    only = tmp_path / "pier.csv"
    export_shotlist(ferry, only, ["2 EXT. PIER - NIGHT"], duration_format="timecode")
    assert [(r["Shot"], r["Duration"]) for r in _read_csv(only)] == [
        (sh.code, f"00:00:{sh.duration_frames // 24:02d}:{sh.duration_frames % 24:02d}")
        for sh in ferry.shots("2 EXT. PIER - NIGHT")
    ]


def test_shotlist_round_trip_updates_adds_and_never_deletes(
    ferry: ProjectService, tmp_path: Path
) -> None:
    import_script(ferry, write(tmp_path, "d1.fountain", DRAFT_1))
    fake_take(ferry, ferry.resolve_shot("2/0010").id)
    ferry.edit_shot("3/0010", duration_frames=169)  # 7.05 s, written as 7.0, read as 168
    out = tmp_path / "shots.csv"
    export_shotlist(ferry, out)
    assert _read_csv(out)[3]["Duration"] == "7.0"
    # an untouched export reads back as no change at all (seconds are rounded to 0.1)
    before = snapshot(ferry)
    unchanged = import_shotlist(ferry, out)
    assert unchanged.updated == () and unchanged.added == () and unchanged.unchanged == 4
    assert snapshot(ferry) == before

    rows = _read_csv(out)
    rows[1]["Description"] = "WIDE: waves hit the pilings, a ferry far out"
    rows[1]["Duration"] = "6.5"
    rows[2]["Camera"] = "handheld, following Teo"
    rows[3]["Notes"] = "shoot at first light"
    # a copied row whose Duration was changed: its Frames cell is emptied (else the two
    # disagree and the import asks which one is meant)
    new = dict(
        rows[1], Shot="15", Description="INSERT: the map, wet", Duration="2s", Camera="", Frames=""
    )
    new_scene = dict(
        rows[0],
        Scene="9",
        Shot="0010",
        **{"INT/EXT": "EXT", "Location": "ISLAND", "Day/Night": "DAY"},
        Description="The island at dawn",
        Duration="00:00:03:00",
        Frames="",
        Sequence="",
        FPS="",
    )
    del rows[0]  # a row left out is not a shot deleted
    _write_csv(out, [*rows, new, new_scene])
    report = import_shotlist(ferry, out)

    shots = shots_by_label(ferry)
    assert shots["2/0010"].prompt == "WIDE: waves hit the pilings, a ferry far out"  # type: ignore[attr-defined]
    assert shots["2/0010"].duration_frames == round(6.5 * 24000 / 1001)  # type: ignore[attr-defined]
    assert shots["2/0010"].take_count == 1  # type: ignore[attr-defined]
    assert shots["2/0020"].camera_notes == "handheld, following Teo"  # type: ignore[attr-defined]
    assert shots["3/0010"].notes == "shoot at first light"  # type: ignore[attr-defined]
    assert shots["1/0010"].prompt.startswith("INT. kitchen")  # type: ignore[attr-defined]
    pier = ferry.shots("2 EXT. PIER - NIGHT")
    assert [s.code for s in pier] == ["0010", "0015", "0020"]
    assert (pier[1].prompt, pier[1].duration_frames, pier[1].scene) == (
        "INSERT: the map, wet",
        round(2 * 24000 / 1001),
        "2",
    )
    island = ferry.sequence("9 EXT. ISLAND - DAY")
    assert ferry.sequences()[-1].id == island.id and island.scene == "9"
    assert [(s.code, s.duration_frames) for s in ferry.shots(island.id)] == [("0010", 72)]
    assert report.updated == (
        "2/0010: prompt, duration",
        "2/0020: camera",
        "3/0010: notes",
    )
    assert report.added == ("2/0015", "9/0010") and report.unchanged == 0
    assert report.sequences_added == ("9 EXT. ISLAND - DAY",)
    # a hand edit through the CSV shows as an edited prompt for the next re-import
    assert script_states(ferry).shots[shots["2/0010"].id].prompt_edited  # type: ignore[attr-defined]
    # the whole import is one undo step
    assert ferry.undo() == "Import shot list shots.csv"
    assert snapshot(ferry)[:4] == before[:4]


def test_a_bad_shotlist_changes_nothing(ferry: ProjectService, tmp_path: Path) -> None:
    import_script(ferry, write(tmp_path, "d1.fountain", DRAFT_1))
    out = tmp_path / "shots.csv"
    export_shotlist(ferry, out)
    rows = _read_csv(out)
    rows[0]["Description"] = "a good change that must not land"
    rows[1]["Duration"] = "about five seconds"
    rows[2]["Shot"] = "twenty"
    _write_csv(out, rows)
    before = snapshot(ferry)
    with pytest.raises(ScriptImportError) as err:
        import_shotlist(ferry, out)
    message = str(err.value)
    assert "row 3" in message and "row 4" in message and "nothing was changed" in message
    assert "\n" not in message
    assert snapshot(ferry) == before


def test_shotlist_problems_found_against_the_project_change_nothing(
    ferry: ProjectService, tmp_path: Path
) -> None:
    import_script(ferry, write(tmp_path, "d1.fountain", DRAFT_1))
    ferry.remove_shot("3/0010")
    out = tmp_path / "shots.csv"
    header = "Scene,Shot,Description,Duration\n"
    out.write_text(
        header
        + "2,0010,a fine new prompt,\n"
        + "2,0020,twice,\n2,0020,twice again,\n"
        + "3,0010,a deleted shot,\n"
        + "1,0020,far too long,9999s\n",
        encoding="utf-8",
    )
    before = snapshot(ferry)
    with pytest.raises(ScriptImportError) as err:
        import_shotlist(ferry, out)
    message = str(err.value)
    assert "2/0020 is listed more than once" in message
    assert "3/0010 was deleted" in message
    assert "1/0020" in message and "limit" in message
    assert snapshot(ferry) == before
    with pytest.raises(ScriptImportError, match="does not exist"):
        import_shotlist(ferry, tmp_path / "nope.csv")


def test_a_dialogue_change_keeps_a_hand_edited_prompt(
    ferry: ProjectService, tmp_path: Path
) -> None:
    import_script(ferry, write(tmp_path, "d1.fountain", DRAFT_1))
    kitchen = ferry.resolve_shot("1/0010")
    ferry.edit_shot(kitchen.id, prompt="OTS: Maya at the stove")
    revised = DRAFT_1.replace("We leave at dawn.", "We leave before dawn.")
    report = import_script(ferry, write(tmp_path, "d1c.fountain", revised))
    after = ferry.shot(kitchen.id)
    assert after.prompt == "OTS: Maya at the stove"
    assert after.dialogue == "MAYA: We leave before dawn.\nTEO: Not without the map."
    assert (report.shots_changed, report.conflicts) == (1, 0)
    assert "Scene 1: shot 1/0010 changed: dialogue updated, prompt unchanged" in report.lines


def test_new_beats_and_scenes_at_the_start_go_first_and_undo_restores_the_order(
    ferry: ProjectService, tmp_path: Path
) -> None:
    import_script(ferry, write(tmp_path, "d1.fountain", DRAFT_1))
    ferry.add_shot("2 EXT. PIER - NIGHT", prompt="a hand-made cutaway")
    before = snapshot(ferry)
    revised = DRAFT_1.replace(
        "EXT. PIER - NIGHT\n\n", "EXT. PIER - NIGHT\n\nFog rolls over the water.\n\n"
    ).replace(
        "Title: Night Ferry\n\n",
        "Title: Night Ferry\n\nEXT. HARBOUR - NIGHT\n\nLights flicker on the water.\n\n",
    )
    report = import_script(ferry, write(tmp_path, "d1d.fountain", revised))
    seqs = ferry.sequences()
    assert [s.name for s in seqs][:2] == ["A1 EXT. HARBOUR - NIGHT", "1 INT. KITCHEN - NIGHT"]
    pier = ferry.shots("2 EXT. PIER - NIGHT")
    assert [(s.code, s.prompt.split(". ", 2)[-1][:20]) for s in pier] == [
        ("0005", "Fog rolls over the w"),
        ("0010", "Waves slap the pilin"),
        ("0020", "@Teo runs along the "),
        ("0030", "a hand-made cutaway"),
    ]
    assert report.lines[0] == (
        "Re-import: 2 new shots, 1 new scene, 1 new element; 4 shots unchanged."
    )
    ferry.undo()
    assert snapshot(ferry)[:4] == before[:4]
    assert [s.code for s in ferry.shots("2 EXT. PIER - NIGHT")] == ["0010", "0020", "0030"]


def test_reimport_of_an_edited_public_screenplay_names_exactly_the_edits(tmp_path: Path) -> None:
    path = FOLDER / "The-Last-Birthday-Card.fountain"
    if not path.is_file():
        pytest.skip(f"{path} is not here (the public screenplays live in shared/fixtures)")
    text = path.read_text(encoding="utf-8-sig")
    scenes = {s.number: s for s in breakdown(parse_file(path)).scenes}
    lines = text.split("\n")
    lobby = scenes["12"].beats[0]
    assert "impressive lobby" in lines[lobby.line - 1]
    lines[lobby.line - 1] = lines[lobby.line - 1].replace("impressive lobby", "grand lobby")
    start, end, insert_at = scenes["19"].line, scenes["20"].line, scenes["31"].line - 1
    stairs = ["INT. STAIRWELL - NIGHT", "", "Scott climbs the stairs two at a time.", ""]
    edited = lines[: start - 1] + lines[end - 1 : insert_at] + stairs + lines[insert_at:]

    with ProjectService.create(tmp_path / "Card.previz") as svc:
        import_script(svc, path)
        kept = svc.shots("20")[0]
        take = fake_take(svc, kept.id)
        before = snapshot(svc)
        report = import_script(svc, write(tmp_path, "card2.fountain", "\n".join(edited)))
        assert report.lines[0] == (
            "Re-import: 1 changed shot, 1 new shot, 1 new scene, 1 removed scene, "
            "1 new element; 123 shots unchanged."  # ">THE END<" is not a shot
        )
        assert report.lines[1].startswith("Scene 12: shot 12/0010 changed: ")
        assert "impressive lobby" in report.lines[1] and "grand lobby" in report.lines[1]
        assert list(report.lines[2:]) == [
            'Scene 30A: new scene "INT. STAIRWELL - NIGHT" (1 shot), after scene 30',
            'Scene 19: "INT. BATHROOM" is no longer in the script (kept, flagged; 2 shots)',
            "New element @Stairwell (location)",
        ]
        names = [s.name for s in svc.sequences()]
        assert len(names) == 49 and names[29:32] == [
            "30 AT THE DOOR",
            "30A INT. STAIRWELL - NIGHT",
            "31 THE PAIR, DRINKING BEER IN THE LIVING ROOM.",
        ]
        assert svc.sequence("19").id in script_states(svc).removed_sequences
        assert [t.id for t in svc.takes(kept.id)] == [take.id]
        assert "grand lobby" in svc.shots("12")[0].prompt
        svc.undo()
        assert snapshot(svc)[:4] == before[:4]


def test_a_new_shotlist_row_goes_to_the_sequence_of_its_scene(
    project: ProjectService, tmp_path: Path
) -> None:
    project.add_shot(prompt="pickup for the pier", scene="2")  # in the user's own Sequence 1
    project.add_shot(prompt="an opening shot", scene="7")
    import_script(project, write(tmp_path, "d1.fountain", DRAFT_1))
    out = tmp_path / "new.csv"
    out.write_text(
        "Scene,Shot,Description\n2,0015,the ferry horn\n7,0030,a closing shot\n",
        encoding="utf-8",
    )
    report = import_shotlist(project, out)
    assert report.added == ("2/0015", "7/0030") and report.sequences_added == ()
    # scene 2 has a sequence: the new shot goes there, not next to the pickup shot
    assert [s.code for s in project.shots("2 EXT. PIER - NIGHT")] == ["0010", "0015", "0020"]
    # scene 7 has no sequence, but Sequence 1 holds its shots
    assert [(s.code, s.scene) for s in project.shots("Sequence 1")] == [
        ("0010", "2"),
        ("0020", "7"),
        ("0030", "7"),
    ]
