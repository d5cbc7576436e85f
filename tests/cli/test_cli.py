"""The scriptable interface: names, JSON, exit codes and errors of DESIGN.md section 6."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from previz.cli.main import run
from tests.helpers import fake_take

REPO = Path(__file__).resolve().parents[2]


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = run([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def js(capsys: pytest.CaptureFixture[str], *argv: str):
    code, out, err = cli(capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


@pytest.fixture
def proj(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    d = tmp_path / "NightFerry.previz"
    assert cli(capsys, "new", d, "--fps", "23.976", "--size", "1280x720")[0] == 0
    return d


HELP_COMMANDS = [
    ["new"],
    ["info"],
    ["seq", "add"],
    ["seq", "list"],
    ["seq", "rename"],
    ["seq", "rm"],
    ["shot", "add"],
    ["shot", "list"],
    ["shot", "edit"],
    ["shot", "move"],
    ["shot", "duplicate"],
    ["shot", "rm"],
    ["element", "add"],
    ["element", "list"],
    ["element", "rm"],
    ["takes"],
    ["take", "select"],
    ["take", "rm"],
    ["take", "rate"],
    ["purge"],
    ["restore"],
    ["doctor"],
    ["undo"],
    ["redo"],
]


@pytest.mark.parametrize("argv", HELP_COMMANDS, ids=" ".join)
def test_every_command_has_help(capsys: pytest.CaptureFixture[str], argv: list[str]) -> None:
    code, out, _ = cli(capsys, *argv, "--help")
    assert code == 0
    assert "usage: previz" in out


def test_new_info_and_json_conventions(capsys: pytest.CaptureFixture[str], proj: Path) -> None:
    info = js(capsys, "info", proj)
    assert info["name"] == "NightFerry"
    assert info["sequences_detail"][0]["fps"] == "24000/1001"
    assert info["sequences_detail"][0]["width"] == 1280
    code, out, err = cli(capsys, "info", proj)
    assert "NightFerry" in out and "disk:" in out


def test_shot_lifecycle(capsys: pytest.CaptureFixture[str], proj: Path) -> None:
    a = js(capsys, "shot", "add", proj, "--prompt", "WIDE, dusk, pier", "--duration", "5s")
    assert a["code"] == "0010" and a["duration_frames"] == 120  # 5 s at 23.976 is 120 frames
    js(capsys, "shot", "add", proj, "--prompt", "CU, captain", "--duration", "00:00:02:00")
    c = js(
        capsys, "shot", "add", proj, "--after", "0010", "--prompt", "insert", "--duration", "36f"
    )
    assert c["code"] == "0015" and c["index"] == 1
    listing = js(capsys, "shot", "list", proj)
    assert [s["code"] for s in listing] == ["0010", "0015", "0020"]
    assert listing[2]["duration_frames"] == 48
    e = js(
        capsys,
        "shot",
        "edit",
        proj,
        "Sequence 1/0020",
        "--prompt",
        "low angle CU, captain",
        "--dialogue",
        "We sail at dawn.",
    )
    assert e["prompt"] == "low angle CU, captain" and e["dialogue"] == "We sail at dawn."
    m = js(capsys, "shot", "move", proj, "0020", "--to", "1")
    assert m["index"] == 0
    d = js(capsys, "shot", "duplicate", proj, "0020")
    assert d["prompt"] == "low angle CU, captain" and d["index"] == 1
    js(capsys, "shot", "rm", proj, "0010")
    assert [s["code"] for s in js(capsys, "shot", "list", proj)] == ["0020", d["code"], "0015"]
    assert js(capsys, "undo", proj)["label"] == "Delete shot 0010"
    assert len(js(capsys, "shot", "list", proj)) == 4
    assert js(capsys, "redo", proj)["label"] == "Delete shot 0010"
    code, out, _ = cli(capsys, "shot", "list", proj)
    assert "0015" in out and "insert" in out


def test_sequences_and_addressing(capsys: pytest.CaptureFixture[str], proj: Path) -> None:
    js(capsys, "seq", "add", proj, "Scene 2", "--scene", "2")
    js(capsys, "shot", "add", proj, "--prompt", "a")
    js(capsys, "shot", "add", proj, "--seq", "Scene 2", "--prompt", "b")
    code, _, err = cli(capsys, "shot", "edit", proj, "0010", "--notes", "n")
    assert code == 2 and "Sequence 1/0010" in err and "Scene 2/0010" in err
    assert js(capsys, "shot", "edit", proj, "Scene 2/0010", "--notes", "n")["prompt"] == "b"
    js(capsys, "seq", "rename", proj, "Scene 2", "The Ferry")
    assert [s["name"] for s in js(capsys, "seq", "list", proj)] == ["Sequence 1", "The Ferry"]
    js(capsys, "seq", "rm", proj, "The Ferry")
    assert len(js(capsys, "seq", "list", proj)) == 1


def test_elements(capsys: pytest.CaptureFixture[str], proj: Path) -> None:
    js(capsys, "element", "add", proj, "Captain", "--description", "a grizzled captain")
    js(capsys, "element", "add", proj, "RainyNoir", "--kind", "style", "--description", "noir")
    els = js(capsys, "element", "list", proj)
    assert {e["name"]: e["kind"] for e in els} == {"Captain": "character", "RainyNoir": "style"}
    js(capsys, "element", "rm", proj, "@captain")
    assert [e["name"] for e in js(capsys, "element", "list", proj)] == ["RainyNoir"]


def test_takes_select_rate_rm_and_purge(capsys: pytest.CaptureFixture[str], proj: Path) -> None:
    from previz.services.project import ProjectService

    shot = js(capsys, "shot", "add", proj, "--prompt", "x")
    with ProjectService.open(proj) as svc:
        t1 = fake_take(svc, shot["id"])
        t2 = fake_take(svc, shot["id"])
    takes = js(capsys, "takes", proj, "0010")
    assert [(t["number"], t["selected"]) for t in takes] == [(1, False), (2, True)]
    assert js(capsys, "take", "select", proj, "0010", "1")["selected"] is True
    r = js(capsys, "take", "rate", proj, "0010", "1", "--rating", "4", "--circle")
    assert r["rating"] == 4 and r["circled"] is True
    js(capsys, "take", "rm", proj, "0010", "2")
    assert [t["number"] for t in js(capsys, "takes", proj, "0010")] == [1]
    clip2 = proj / t2.segments[0].path
    assert clip2.exists()
    res = js(capsys, "purge", proj)
    assert res["takes"] == 1 and res["files"] >= 2
    assert not clip2.exists()
    assert (proj / t1.segments[0].path).exists()
    assert js(capsys, "info", proj)["deleted_takes"] == 0


def test_errors_are_one_line_with_exit_codes(
    capsys: pytest.CaptureFixture[str], proj: Path, tmp_path: Path
) -> None:
    code, out, err = cli(capsys, "shot", "edit", proj, "0090", "--prompt", "x")
    assert code == 1 and err.count("\n") == 1 and "no shot with code" in err and out == ""
    code, _, err = cli(capsys, "shot", "add", proj, "--duration=-3s")
    assert code == 1 and "at least one frame" in err
    code, _, err = cli(capsys, "new", tmp_path / "x.previz", "--fps", "29.98")
    assert code == 1 and "standard rate" in err
    code, _, err = cli(capsys, "shot", "list", proj, "--bogus")
    assert code == 2 and err.count("\n") == 1
    code, _, err = cli(capsys, "info", tmp_path / "missing.previz")
    assert code == 1 and "previz new" in err


def test_restore_puts_a_backup_back(capsys: pytest.CaptureFixture[str], proj: Path) -> None:
    js(capsys, "shot", "add", proj, "--prompt", "precious")
    from previz.services.project import ProjectService
    from previz.store import db

    with ProjectService.open(proj) as svc:
        db.backup(svc.engine, proj)
    (proj / "project.db").write_bytes(b"garbage" * 1000)
    code, _, err = cli(capsys, "info", proj)
    assert code == 1 and "previz restore" in err
    assert js(capsys, "restore", proj)["restored_from"]
    assert [s["prompt"] for s in js(capsys, "shot", "list", proj)] == ["precious"]


def test_doctor_reports_the_machine(capsys: pytest.CaptureFixture[str], proj: Path) -> None:
    rep = js(capsys, "doctor", proj)
    assert rep["python"].startswith(sys.version.split()[0])
    assert "installed" in rep["torch"]
    assert rep["media"]["libx264"] is True
    assert rep["project"]["name"] == "NightFerry"
    assert "disk_free" in rep and "model_folders" in rep


def test_console_script_exit_codes(tmp_path: Path) -> None:
    def sh(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "previz", *argv],
            capture_output=True,
            text=True,
            cwd=REPO,
            timeout=120,
        )

    d = tmp_path / "S.previz"
    assert sh("new", str(d)).returncode == 0
    res = sh("shot", "list", str(d), "--json")
    assert res.returncode == 0 and json.loads(res.stdout) == []
    assert sh("shot", "nope", str(d)).returncode == 2
    assert sh("--version").stdout.startswith("previz ")


def test_no_arguments_or_a_project_folder_opens_the_app(tmp_path: Path) -> None:
    from previz.cli.main import wants_app

    assert wants_app([])
    assert wants_app([str(tmp_path)])
    assert not wants_app(["info", str(tmp_path)])
    assert not wants_app(["--help"])
    assert not wants_app([str(tmp_path / "missing.previz")])


def test_a_shot_keeps_its_engine_and_model(proj: Path, capsys: pytest.CaptureFixture[str]) -> None:
    s = js(
        capsys,
        "shot",
        "add",
        str(proj),
        "--prompt",
        "hero",
        "--engine",
        "diffusers",
        "--model",
        "Lightricks/LTX-Video",
    )
    assert (s["engine"], s["model"]) == ("diffusers", "Lightricks/LTX-Video")
    s = js(capsys, "shot", "edit", str(proj), s["code"], "--engine", "", "--model", "")
    assert (s["engine"], s["model"]) == ("", "")
    code, _out, err = cli(capsys, "shot", "edit", str(proj), s["code"], "--engine", "sora")
    assert code == 1 and "not one of: animatic, diffusers" in err and "Traceback" not in err
