"""A shot's priority: set with `previz shot add|edit --priority`, shown by `shot list --json`,
undone like any shot edit, and honoured by the local queue (higher first, then the oldest) the
way the render farm honours it; `--priority` on a generate command overrides the shot's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from previz.cli.main import run
from previz.services.generation import EngineChoice, Generation
from previz.services.project import ProjectService

pytestmark = pytest.mark.timeout(180)


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    path = tmp_path / "Prio.previz"
    ProjectService.create(path, fps="24", size="160x96").close()
    return path


def cli(capsys, *argv) -> str:  # type: ignore[no-untyped-def]
    assert run([str(a) for a in argv]) == 0
    return capsys.readouterr().out


def listed(capsys, proj: Path) -> dict[str, int]:  # type: ignore[no-untyped-def]
    return {
        s["code"]: s["priority"] for s in json.loads(cli(capsys, "shot", "list", proj, "--json"))
    }


def test_priority_round_trips_through_the_cli_and_undo(capsys, proj: Path) -> None:
    cli(capsys, "shot", "add", proj, "--prompt", "WIDE, the pier", "--priority", "5")
    cli(capsys, "shot", "add", proj, "--prompt", "CU, a gull")
    assert listed(capsys, proj) == {"0010": 5, "0020": 0}
    cli(capsys, "shot", "edit", proj, "0020", "--priority", "-3")
    assert listed(capsys, proj) == {"0010": 5, "0020": -3}
    cli(capsys, "undo", proj)
    assert listed(capsys, proj) == {"0010": 5, "0020": 0}
    # out of range: one line saying what to give, nothing changed
    assert run(["shot", "edit", str(proj), "0010", "--priority", "5000"]) != 0
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "priority 5000" in err[0] and "-1000 to 1000" in err[0]
    assert listed(capsys, proj) == {"0010": 5, "0020": 0}


def test_the_local_queue_runs_higher_priority_shots_first(capsys, proj: Path) -> None:
    for prio in (0, 5, 2):
        cli(
            capsys,
            "shot",
            "add",
            proj,
            "--prompt",
            "WIDE, dusk, a man walks",
            "--duration",
            "8f",
            "--priority",
            prio,
        )
    # queued in shot order 0010, 0020, 0030; run highest priority first, then the oldest
    cli(capsys, "generate", proj, "--all", "--engine", "animatic", "--seed", "1", "--farm", "local")
    with ProjectService.open(proj) as svc:
        made = sorted(
            (t.id, s.code) for s in svc.shots() for t in svc.takes(s.id)
        )  # take ids grow in the order the jobs ran
        assert [code for _, code in made] == ["0020", "0030", "0010"]
        # a generate command's --priority overrides the shot's; without it, the shot's is used
        gen = Generation(svc)
        gen.queue.runs_on = "local"
        own = gen.generate("0020", EngineChoice(engine="animatic", seed=3))[0]
        gen.queue.priority = -1
        forced = gen.generate("0020", EngineChoice(engine="animatic", seed=3))[0]
        assert (own.payload["priority"], forced.payload["priority"]) == (5, -1)
        assert gen.queue.claim_next().id == own.id
