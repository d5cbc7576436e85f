"""`previz shot list` after an extend: the plan and the cut side by side in the table, the JSON
keeps `duration_frames` (the plan) and adds `cut_frames` (what the cut plays), and the CSV shot
list is unchanged (its Duration and Frames are the plan)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest

from previz.cli.main import run
from previz.services.project import ProjectService
from tests.helpers import fake_take


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    path = tmp_path / "Durations.previz"
    svc = ProjectService.create(path, fps="24", size="320x176")
    try:
        a = svc.add_shot(prompt="WIDE, dusk, a woman walks on the pier", duration_frames=96)
        svc.add_shot(prompt="CU, night, a man, static", duration_frames=48)
        t1 = fake_take(svc, a.id, frames=96)
        # extended forward by 2 s: the take is 144 frames, the plan still says 96
        fake_take(svc, a.id, frames=144, operation="extend", parents=((t1.id, "source"),))
    finally:
        svc.close()
    return path


def cli(capsys, *argv) -> str:
    assert run([str(a) for a in argv]) == 0
    return capsys.readouterr().out


def test_table_shows_plan_and_cut(capsys, proj: Path) -> None:
    out = cli(capsys, "shot", "list", proj).splitlines()
    assert out[0].split()[:6] == ["#", "SHOT", "PLAN", "CUT", "TAKES", "STATUS"]
    first, second = out[2].split(), out[3].split()
    assert first[:4] == ["1", "0010", "4.0s", "6.0s"]
    assert second[:4] == ["2", "0020", "2.0s", "2.0s"]  # no take yet: the cut plays the plan


def test_json_keeps_the_plan_and_adds_cut_frames(capsys, proj: Path) -> None:
    shots = json.loads(cli(capsys, "shot", "list", proj, "--json"))
    assert [(s["code"], s["duration_frames"], s["cut_frames"]) for s in shots] == [
        ("0010", 96, 144),
        ("0020", 48, 48),
    ]


def test_csv_shot_list_is_unchanged(capsys, proj: Path, tmp_path: Path) -> None:
    out = tmp_path / "shots.csv"
    cli(capsys, "shotlist", "export", proj, out)
    with out.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert "cut_frames" not in rows[0] and not any("cut" in k.lower() for k in rows[0])
    assert [(r["Shot"], r["Frames"]) for r in rows] == [("0010", "96"), ("0020", "48")]
