"""``previz import-script`` and ``previz shotlist export|import`` (DESIGN.md section 6)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from previz.cli.main import run

SCRIPT = """\
Title: Night Ferry

INT. KITCHEN - NIGHT

MAYA pours coffee into a chipped mug.

MAYA
We leave at dawn.

EXT. PIER - NIGHT

Waves slap the pilings.

Teo runs along the pier.
"""


def cli(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    code = run([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def js(capsys: pytest.CaptureFixture[str], *argv: object):  # type: ignore[no-untyped-def]
    code, out, err = cli(capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


@pytest.fixture
def proj(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    d = tmp_path / "Ferry.previz"
    assert cli(capsys, "new", d, "--fps", "24")[0] == 0
    return d


@pytest.fixture
def script(tmp_path: Path) -> Path:
    path = tmp_path / "ferry.fountain"
    path.write_text(SCRIPT, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "argv", [["import-script"], ["shotlist"], ["shotlist", "export"], ["shotlist", "import"]]
)
def test_help(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, out, _ = cli(capsys, *argv, "--help")
    assert code == 0
    assert out.startswith(f"usage: previz {' '.join(argv)}")


def test_import_script_prints_the_report_and_undo_takes_it_back(
    capsys: pytest.CaptureFixture[str], proj: Path, script: Path
) -> None:
    code, out, err = cli(capsys, "import-script", proj, script)
    assert code == 0, err
    assert out.splitlines()[:3] == [
        'Imported "Night Ferry": 2 scenes, 3 shots, 3 new elements.',
        'Scene 1: "INT. KITCHEN - NIGHT" (1 shot)',
        'Scene 2: "EXT. PIER - NIGHT" (2 shots)',
    ]
    assert "previz undo" in err
    seqs = js(capsys, "seq", "list", proj)
    assert [s["name"] for s in seqs] == ["1 INT. KITCHEN - NIGHT", "2 EXT. PIER - NIGHT"]
    shots = js(capsys, "shot", "list", proj, "--seq", "2 EXT. PIER - NIGHT")
    assert [s["label"] for s in shots] == ["2/0010", "2/0020"]
    assert shots[0]["prompt"] == "EXT. pier, night. Waves slap the pilings."
    assert cli(capsys, "undo", proj)[0] == 0
    assert [s["name"] for s in js(capsys, "seq", "list", proj)] == ["Sequence 1"]
    assert js(capsys, "element", "list", proj) == []


def test_import_script_json_and_dry_run(
    capsys: pytest.CaptureFixture[str], proj: Path, script: Path, tmp_path: Path
) -> None:
    dry = js(capsys, "import-script", proj, script, "--dry-run")
    assert dry["dry_run"] is True and dry["reimport"] is False
    assert (dry["sequences_added"], dry["shots_added"]) == (2, 3)
    assert js(capsys, "info", proj)["shots"] == 0  # nothing changed
    done = js(capsys, "import-script", proj, script)
    assert done["lines"] == dry["lines"]
    assert sorted(done["elements_added"]) == ["Kitchen", "Maya", "Pier"]  # Teo never speaks
    revised = tmp_path / "ferry2.fountain"
    revised.write_text(SCRIPT.replace("Waves slap", "Waves crash against"), encoding="utf-8")
    again = js(capsys, "import-script", proj, revised)
    assert again["reimport"] is True
    assert (again["shots_changed"], again["shots_unchanged"], again["shots_added"]) == (1, 2, 0)
    assert again["lines"] == [
        "Re-import: 1 changed shot; 2 shots unchanged.",
        'Scene 2: shot 2/0010 changed: "EXT. pier, night. Waves slap the pilings." -> '
        '"EXT. pier, night. Waves crash against the pilings."',
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist"),
        (b"\xff\xfe\x00I\x00N\x00T", "not UTF-8"),
        (b"Some notes, no scenes.\n", "no scene headings"),
    ],
)
def test_import_script_errors_are_one_line_and_exit_1(
    capsys: pytest.CaptureFixture[str],
    proj: Path,
    tmp_path: Path,
    content: bytes | None,
    message: str,
) -> None:
    path = tmp_path / "bad.fountain"
    if content is not None:
        path.write_bytes(content)
    code, out, err = cli(capsys, "import-script", proj, path)
    assert code == 1 and out == ""
    assert err.startswith("previz: ") and message in err and err.count("\n") == 1
    assert js(capsys, "info", proj)["shots"] == 0


def test_import_script_usage_error_exits_2(capsys: pytest.CaptureFixture[str], proj: Path) -> None:
    code, _out, err = cli(capsys, "import-script", proj)
    assert code == 2 and "SCRIPT.fountain" in err


def test_shotlist_export_and_import(
    capsys: pytest.CaptureFixture[str], proj: Path, script: Path, tmp_path: Path
) -> None:
    assert cli(capsys, "import-script", proj, script)[0] == 0
    out = tmp_path / "shots.csv"
    result = js(capsys, "shotlist", "export", proj, out, "--seq", "2", "--timecode")
    assert result["rows"] == 2 and result["sequences"] == ["2 EXT. PIER - NIGHT"]
    text = out.read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    assert lines[0].startswith(
        "Scene,Shot,INT/EXT,Day/Night,Location,Cast,Description,Duration,Camera,Notes,"
    )
    assert lines[1].startswith("2,0010,EXT,NIGHT,PIER,,")
    assert ",00:00:0" in lines[1]
    out.write_text(
        text.replace("Waves slap the pilings.", "Waves hit the pilings.")
        + "2,0030,,,,,A gull,2s,,\n",
        encoding="utf-8-sig",
    )
    code, stdout, err = cli(capsys, "shotlist", "import", proj, out, "--dry-run")
    assert code == 0, err
    assert stdout.splitlines() == [
        "Shot list: 1 shot updated, 1 added, 1 unchanged.",
        "Updated 2/0010: prompt",
        "Added shot 2/0030",
    ]
    assert "dry run" in err
    report = js(capsys, "shotlist", "import", proj, out)
    assert report["updated"] == ["2/0010: prompt"] and report["added"] == ["2/0030"]
    shots = js(capsys, "shot", "list", proj, "--seq", "2 EXT. PIER - NIGHT")
    assert [s["prompt"] for s in shots] == [
        "EXT. pier, night. Waves hit the pilings.",
        "EXT. pier, night. Teo runs along the pier.",
        "A gull",
    ]
    assert shots[2]["duration_frames"] == 48


def test_a_bad_shotlist_exits_1_with_row_numbers_and_changes_nothing(
    capsys: pytest.CaptureFixture[str], proj: Path, script: Path, tmp_path: Path
) -> None:
    assert cli(capsys, "import-script", proj, script)[0] == 0
    before = js(capsys, "shot", "list", proj, "--seq", "1 INT. KITCHEN - NIGHT")
    bad = tmp_path / "bad.csv"
    bad.write_text("Scene,Shot,Description,Duration\n1,0010,new text,\n1,0020,x,soon\n")
    code, out, err = cli(capsys, "shotlist", "import", proj, bad)
    assert code == 1 and out == ""
    assert "row 3" in err and "Duration" in err and err.count("\n") == 1
    assert js(capsys, "shot", "list", proj, "--seq", "1 INT. KITCHEN - NIGHT") == before


DRAFT_A = """\
INT. KITCHEN - NIGHT

MAYA pours coffee into a chipped mug.

MAYA
We leave at dawn, Teo.

EXT. PIER - NIGHT

Waves slap the pilings.

Teo runs along the pier.

INT. FERRY CABIN - DAWN

Maya studies the map.

A lamp sways.

>THE END<
"""

DRAFT_B = """\
INT. KITCHEN - NIGHT

MAYA pours cold coffee into a chipped mug.

MAYA
We leave at dawn, Teo.

EXT. ALLEY - NIGHT

Teo ducks into a doorway.

EXT. PIER - NIGHT

Waves crash against the pilings.

Teo runs along the pier.

A gull watches him go.

>THE END<
"""

_SUMMARY_KEYS = {
    "changed shot": "shots_changed",
    "conflict": "conflicts",
    "new shot": "shots_added",
    "removed shot": "shots_flagged",
    "new scene": "sequences_added",
    "removed scene": "sequences_flagged",
    "changed heading": "sequences_retitled",
    "shot back in the script": "shots_restored",
    "scene back in the script": "sequences_restored",
    "new element": "elements_added",
    "shot unchanged": "shots_unchanged",
}


def _summary_counts(line: str) -> dict[str, int]:
    """``Re-import: 1 changed shot, 2 new shots; 3 shots unchanged.`` as JSON keys."""
    counts = dict.fromkeys(_SUMMARY_KEYS.values(), 0)
    for n, what in re.findall(r"(\d+) ([a-z ]+?)(?=[,;.(]|$)", line.split(":", 1)[1]):
        what = re.sub(r"\bshots\b", "shot", re.sub(r"\bscenes\b", "scene", what))
        what = re.sub(r"(conflict|element|heading)s\b", r"\1", what)
        counts[_SUMMARY_KEYS[what.strip()]] = int(n)
    return counts


def _everything(capsys: pytest.CaptureFixture[str], proj: Path) -> tuple[list, list]:
    seqs = js(capsys, "seq", "list", proj)
    shots = [sh for s in seqs for sh in js(capsys, "shot", "list", proj, "--seq", s["name"])]
    return seqs, shots


def test_reimport_counts_match_the_report_and_the_project_and_removed_scenes_show(
    capsys: pytest.CaptureFixture[str], proj: Path, tmp_path: Path
) -> None:
    a, b = tmp_path / "a.fountain", tmp_path / "b.fountain"
    a.write_text(DRAFT_A, encoding="utf-8")
    b.write_text(DRAFT_B, encoding="utf-8")
    assert js(capsys, "import-script", proj, a)["shots_added"] == 5  # >THE END< is no shot
    assert cli(capsys, "shot", "edit", proj, "1/0010", "--prompt", "CU: Maya, steam")[0] == 0
    assert cli(capsys, "shot", "rm", proj, "3/0020")[0] == 0  # in the scene B removes
    assert cli(capsys, "shot", "rm", proj, "2/0020")[0] == 0  # a shot B keeps
    seqs_before, shots_before = _everything(capsys, proj)

    code, human, _err = cli(capsys, "import-script", proj, b, "--dry-run")
    assert code == 0
    report = js(capsys, "import-script", proj, b)
    assert report["lines"] == human.splitlines()
    summary = _summary_counts(report["lines"][0])
    assert summary == {k: report[k] for k in summary if k != "elements_added"} | {
        "elements_added": len(report["elements_added"])
    }
    # one new pier beat and the new alley scene's shot
    assert (report["conflicts"], report["shots_changed"], report["shots_added"]) == (1, 1, 2)
    assert (report["sequences_added"], report["sequences_flagged"]) == (1, 1)
    assert report["shots_left_deleted"] == 1
    assert "1 shot deleted in the project was left deleted" in report["lines"]
    assert sum("CONFLICT on shot" in line for line in report["lines"]) == report["conflicts"]

    seqs, shots = _everything(capsys, proj)
    assert len(seqs) - len(seqs_before) == report["sequences_added"]
    assert len(shots) - len(shots_before) == report["shots_added"]
    removed = [s for s in seqs if s["script_status"] == "removed"]
    assert [s["name"] for s in removed] == ["3 INT. FERRY CABIN - DAWN"]
    # the report's shot count for the removed scene is what the project holds (one was deleted)
    assert '"INT. FERRY CABIN - DAWN" is no longer in the script (kept, flagged; 1 shot)' in (
        " ".join(report["lines"])
    )
    assert removed[0]["shot_count"] == 1
    flagged = [sh["label"] for sh in shots if sh["script_status"] == "removed"]
    assert flagged == ["3/0010"]  # its scene left the script
    info = js(capsys, "info", proj)
    assert [s["script_status"] for s in info["sequences_detail"]] == ["", "", "", "removed"]
    # the human listings say so too
    assert "3 INT. FERRY CABIN - DAWN (removed from script)" in cli(capsys, "seq", "list", proj)[1]
    assert "(removed from script)" in cli(capsys, "info", proj)[1]
    listing = cli(capsys, "shot", "list", proj, "--seq", "3 INT. FERRY CABIN - DAWN")[1]
    assert "3/0010 (removed from script)" in listing

    # the conflict the user kept is not reported again by the same draft
    again = js(capsys, "import-script", proj, b)
    assert again["conflicts"] == 0
    assert again["lines"][0].startswith("Re-import: no changes")
    assert js(capsys, "shot", "list", proj, "--seq", "1")[0]["prompt"] == "CU: Maya, steam"

    # export --all names the removed scene on stderr, once
    code, _out, err = cli(capsys, "export", proj, "--all", "--otio", tmp_path / "cut.otio")
    assert code == 0, err
    warnings = [line for line in err.splitlines() if "removed from the script" in line]
    assert warnings == [
        "warning: 1 scene removed from the script is included: '3 INT. FERRY CABIN - DAWN'"
    ]


def test_a_shot_list_rebuilds_an_imported_script_in_a_fresh_project(
    capsys: pytest.CaptureFixture[str], proj: Path, script: Path, tmp_path: Path
) -> None:
    assert cli(capsys, "import-script", proj, script)[0] == 0
    assert cli(capsys, "shot", "edit", proj, "2/0020", "--transition", "dissolve:13f")[0] == 0
    assert cli(capsys, "shot", "edit", proj, "2/0010", "--duration", "37f")[0] == 0
    out = tmp_path / "shots.csv"
    assert cli(capsys, "shotlist", "export", proj, out)[0] == 0
    fresh = tmp_path / "Fresh.previz"
    assert cli(capsys, "new", fresh)[0] == 0
    report = js(capsys, "shotlist", "import", fresh, out)
    assert report["added"] == ["1/0010", "2/0010", "2/0020"]

    keys = ("label", "prompt", "dialogue", "duration_frames", "transition_kind")
    keys += ("transition_frames", "camera_notes", "notes")

    def plan(d: Path) -> list:
        seqs = js(capsys, "seq", "list", d)
        return [
            (s["name"], s["scene"], s["fps"], [tuple(sh[k] for k in keys) for sh in shots])
            for s in seqs
            for shots in [js(capsys, "shot", "list", d, "--seq", s["name"])]
        ]

    # the same scenes under the same names (no empty "Sequence 1" left), every field kept
    assert plan(fresh) == plan(proj)
