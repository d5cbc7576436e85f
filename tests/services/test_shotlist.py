"""CSV shot lists a script supervisor can trust (previz.services.shotlist): what goes out into a
spreadsheet comes back exactly, fields can be cleared on purpose, bad files are one clear line."""

from __future__ import annotations

import csv
import io
from fractions import Fraction
from pathlib import Path

import pytest

from previz.services.project import ProjectService
from previz.services.screenplay_import import ScriptImportError
from previz.services.shotlist import export_shotlist, import_shotlist

NTSC = Fraction(30000, 1001)

# (prompt, dialogue, duration frames, transition kind, transition frames, camera, notes)
KITCHEN = [
    (
        "WIDE: Maya pours coffee, steam rising",
        'MAYA: "We leave at dawn," she says.\nTEO: Not without the map, Maya.',
        37,
        "cut",
        0,
        "24mm, low",
        "rain, if we can",
    ),
    ("CU: the mug", "", 61, "dissolve", 12, "", ""),
    ("INSERT: the map", 'TEO: "It\'s here" — no, here.', 25, "fade_black", 18, "macro", ""),
]
PIER = [
    ("The pier at night", "", 37, "dip_color", 6, "", "=not a formula"),
    ("Teo runs", "TEO (O.S.): Wait,\nwait!", 91, "cut", 0, "handheld", "@Teo's run"),
]


def _build(folder: Path) -> ProjectService:
    """Two scenes with names the user chose, one at 24 fps and one at 29.97."""
    svc = ProjectService.create(folder, fps="24", size="320x180")
    svc.add_sequence("Kitchen, before dawn", scene="4A")
    svc.add_sequence("Pier chase", scene="12", fps="29.97")
    svc.remove_sequence("Sequence 1")
    for seq, shots in (("Kitchen, before dawn", KITCHEN), ("Pier chase", PIER)):
        for prompt, dialogue, frames, kind, tframes, camera, notes in shots:
            svc.add_shot(
                seq,
                prompt=prompt,
                dialogue=dialogue,
                duration_frames=frames,
                transition_kind=kind,
                transition_frames=tframes,
                camera_notes=camera,
                notes=notes,
                transition_color="#FF8000" if kind == "dip_color" else "",
            )
    return svc


def _plan(svc: ProjectService) -> tuple[list[tuple], list[tuple]]:
    """What a script supervisor compares: each sequence, then each shot field by field."""
    seqs = svc.sequences()
    return (
        [(s.name, s.scene, s.fps) for s in seqs],
        [
            (
                s.name,
                sh.scene,
                sh.code,
                sh.prompt,
                sh.dialogue,
                sh.duration_frames,
                sh.transition_kind,
                sh.transition_frames,
                sh.transition_color,
                sh.camera_notes,
                sh.notes,
            )
            for s in seqs
            for sh in svc.shots(s.id)
        ],
    )


def _rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))


def _write_rows(path: Path, rows: list[dict[str, str]]) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


@pytest.mark.parametrize("timecode", [False, True])
def test_a_shot_list_round_trips_into_a_fresh_project(tmp_path: Path, timecode: bool) -> None:
    source = _build(tmp_path / "A.previz")
    out = tmp_path / "shots.csv"
    export_shotlist(source, out, duration_format="timecode" if timecode else "seconds")
    expected = _plan(source)
    source.close()

    fresh = ProjectService.create(tmp_path / "B.previz", fps="24", size="320x180")
    report = import_shotlist(fresh, out)
    got = _plan(fresh)
    # no empty "Sequence 1" left beside the imported scenes; names, scenes and rates kept
    assert (
        got[0]
        == expected[0]
        == [
            ("Kitchen, before dawn", "4A", Fraction(24)),
            ("Pier chase", "12", NTSC),
        ]
    )
    # every shot field by field: dialogue, transitions, exact frame counts
    for want, have in zip(expected[1], got[1], strict=True):
        assert have == want
    assert len(report.added) == 5 and report.updated == ()
    # and the import reads back as no change at all
    again = import_shotlist(fresh, out)
    assert again.updated == () and again.added == () and again.unchanged == 5
    fresh.close()


def test_a_duration_edited_in_either_column_is_taken(tmp_path: Path) -> None:
    svc = _build(tmp_path / "A.previz")
    out = tmp_path / "shots.csv"
    export_shotlist(svc, out)
    rows = _rows(out)
    rows[0]["Duration"] = "3.5"  # seconds, edited by hand: 84 frames at 24
    rows[1]["Frames"] = "40"  # the exact column, edited by hand
    _write_rows(out, rows)
    report = import_shotlist(svc, out)
    shots = svc.shots("Kitchen, before dawn")
    assert [s.duration_frames for s in shots[:2]] == [84, 40]
    assert report.updated == ("4A/0010: duration", "4A/0020: duration")
    svc.close()


def test_clear_marker_empties_a_field_and_an_empty_cell_leaves_it(tmp_path: Path) -> None:
    svc = _build(tmp_path / "A.previz")
    out = tmp_path / "shots.csv"
    export_shotlist(svc, out)
    rows = _rows(out)
    rows[0].update(Dialogue="[clear]", Notes="[CLEAR]", Camera="", Transition="")
    rows[2].update(Transition="[clear]", Description="", Camera=" [clear] ")
    _write_rows(out, rows)
    report = import_shotlist(svc, out)
    first, _, third = svc.shots("Kitchen, before dawn")
    assert (first.dialogue, first.notes) == ("", "")
    assert first.camera_notes == "24mm, low"  # an empty cell leaves the field as it is
    assert (third.transition_kind, third.transition_frames) == ("cut", 0)
    assert third.prompt == "INSERT: the map" and third.camera_notes == ""
    assert report.updated == ("4A/0010: dialogue, notes", "4A/0030: camera, transition")
    svc.close()


def test_a_field_holding_the_clear_marker_as_text_round_trips(tmp_path: Path) -> None:
    svc = _build(tmp_path / "A.previz")
    svc.edit_shot("4A/0020", notes="[clear]")
    out = tmp_path / "shots.csv"
    export_shotlist(svc, out)
    assert _rows(out)[1]["Notes"] == "'[clear]"  # written so it reads back as text
    assert import_shotlist(svc, out).updated == ()
    assert svc.resolve_shot("4A/0020").notes == "[clear]"
    svc.close()


def test_a_cell_larger_than_csv_allows_is_one_line_and_changes_nothing(tmp_path: Path) -> None:
    svc = ProjectService.create(tmp_path / "A.previz", fps="24")
    out = tmp_path / "huge.csv"
    out.write_text(
        "Scene,Shot,Description\n1,0010,short\n1,0020," + "x" * 200_000 + "\n", encoding="utf-8"
    )
    with pytest.raises(ScriptImportError) as err:
        import_shotlist(svc, out)
    message = str(err.value)
    assert "\n" not in message and "row 3" in message and "nothing was changed" in message
    assert [s.shot_count for s in svc.sequences()] == [0]
    svc.close()
