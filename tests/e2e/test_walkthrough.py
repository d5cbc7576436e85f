"""The day in WALKTHROUGH.md from the command line: new → shots → generate → extend → bridge →
remix → export, then probe what a producer and an editor would receive."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.timeout(600)


def previz(*argv: object, check: bool = True) -> subprocess.CompletedProcess[str]:
    res = subprocess.run(
        [sys.executable, "-m", "previz", *map(str, argv)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=300,
    )
    if check and res.returncode != 0:
        raise AssertionError(f"previz {argv} failed ({res.returncode}): {res.stderr}")
    return res


def pj(*argv: object):
    return json.loads(previz(*argv, "--json").stdout)


def probe(path: Path) -> tuple[int, Fraction, int, int, float]:
    import av

    with av.open(str(path)) as c:
        s = c.streams.video[0]
        frames = sum(1 for _ in c.decode(s))
        return frames, Fraction(s.average_rate), s.width, s.height, float(c.duration or 0) / 1e6


def test_script_to_reel(tmp_path: Path) -> None:
    d = tmp_path / "NightFerry.previz"
    pj("new", d, "--fps", "23.976", "--size", "320x176")
    pj("element", "add", d, "Captain", "--description", "a grizzled ferry captain")
    pj("element", "add", d, "RainyNoir", "--kind", "style", "--description", "rainy noir")
    pj(
        "shot",
        "add",
        d,
        "--prompt",
        "WIDE, dusk, rain, @Captain walks right, slow dolly in",
        "--duration",
        "24f",
    )
    pj(
        "shot",
        "add",
        d,
        "--prompt",
        "medium shot, night, two people stand",
        "--duration",
        "24f",
        "--dialogue",
        "CAPTAIN: Last boat's gone.",
    )
    pj("shot", "add", d, "--prompt", "CU, @Captain, static, @RainyNoir", "--duration", "24f")
    pj("shot", "add", d, "--prompt", "EWS, day, fog, pan left", "--duration", "24f")

    takes = pj("generate", d, "--all", "--engine", "animatic", "--seed", "11")
    assert len(takes) == 4 and all(t["frame_count"] == 24 for t in takes)
    assert all(t["fps"] == "24000/1001" for t in takes)

    # shot 0030 is wrong: re-prompt it, a second take appears; circle it
    t2 = pj("generate", d, "0030", "--prompt", "low angle close-up, @Captain, static")
    assert t2["number"] == 2 and t2["selected"] is True
    pj("take", "rate", d, "0030", "2", "--circle", "--rating", "5")
    assert [t["number"] for t in pj("takes", d, "0030")] == [1, 2]

    # 0020 ends too soon: extend forward; the take grows by exactly what was asked
    ext = pj("extend", d, "0020", "--forward", "--duration", "12f")
    assert ext["frame_count"] == 36 and ext["operation"] == "extend"

    # the cut from 0030 to 0040 is jarring: bridge them; a new shot lands between
    br = pj("bridge", d, "0030", "0040", "--duration", "12f")
    assert br["operation"] == "bridge" and len(br["parents"]) == 2
    codes = [s["code"] for s in pj("shot", "list", d)]
    assert codes == ["0010", "0020", "0030", "0035", "0040"]

    rx = pj("remix", d, "0010", "--prompt", "noir, black and white", "--strength", "0.9")
    assert rx["number"] == 2 and rx["parents"]

    # trim 0010's head: 4 frames off
    pj("shot", "edit", d, "0010", "--trim-in", "4")

    reel = tmp_path / "reel.mp4"
    out = pj(
        "export",
        d,
        "--out",
        reel,
        "--burnins",
        "--edl",
        tmp_path / "cut.edl",
        "--fcpxml",
        tmp_path / "cut.xml",
        "--otio",
        tmp_path / "cut.otio",
        "--pdf",
        tmp_path / "boards.pdf",
    )
    expected = 20 + 36 + 24 + 12 + 24
    frames, fps, w, h, _dur = probe(reel)
    assert (frames, fps, w, h) == (expected, Fraction(24000, 1001), 320, 176)
    assert out["reel"]["frames"] == expected
    sidecar = json.loads(Path(out["reel"]["sidecar"]).read_text())
    assert "0030" in json.dumps(sidecar) and "animatic" in json.dumps(sidecar)

    import opentimelineio as otio

    for f in ("cut.edl", "cut.xml", "cut.otio"):
        tl = otio.adapters.read_from_file(str(tmp_path / f))
        clips = list(tl.find_clips())
        assert len(clips) == 5, f
    assert (tmp_path / "boards.pdf").read_bytes().startswith(b"%PDF")

    # an undo from the command line reverts the last edit (the trim)
    assert pj("undo", d)["label"].startswith("Trim shot")


def test_ctrl_c_cancels_generation_cleanly(tmp_path: Path) -> None:
    d = tmp_path / "Long.previz"
    pj("new", d, "--size", "1280x720")
    pj("shot", "add", d, "--prompt", "WIDE, day, handheld, a crowd walks left", "--duration", "50s")
    proc = subprocess.Popen(
        [sys.executable, "-m", "previz", "generate", d, "0010"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(4)  # let the worker start rendering
    proc.send_signal(signal.SIGINT)
    try:
        _out, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.kill()
        raise
    assert proc.returncode == 130, err
    assert pj("takes", d, "0010") == []
    leftovers = [p for p in (d / "media").rglob("*") if p.is_file()]
    assert leftovers == []


def test_image_to_video_from_the_cli(tmp_path: Path) -> None:
    import cv2

    d = tmp_path / "I2V.previz"
    pj("new", d, "--size", "320x176")
    pj("shot", "add", d, "--prompt", "WIDE, slow push in", "--duration", "12f")
    img = np.full((176, 320, 3), 30, np.uint8)
    img[40:140, 100:220] = (0, 200, 255)
    cv2.imwrite(str(tmp_path / "painting.png"), img)
    t = pj("generate", d, "0010", "--image", f"{tmp_path / 'painting.png'}@0")
    assert t["operation"] == "image_to_video"
    bad = previz("generate", d, "0010", "--image", tmp_path / "missing.png", check=False)
    assert bad.returncode == 1 and "does not exist" in bad.stderr
    assert os.path.exists(d / t["segments"][0]["path"])


def test_a_dissolve_stored_on_a_cut_shortens_the_reel_by_its_length(tmp_path: Path) -> None:
    d = tmp_path / "Dissolve.previz"
    pj("new", d, "--size", "320x176")
    pj("shot", "add", d, "--prompt", "WIDE, day", "--duration", "24f")
    pj("shot", "add", d, "--prompt", "CU, night", "--duration", "24f", "--transition",
       "dissolve:8f")
    pj("generate", d, "--all", "--seed", "2")
    out = pj("export", d, "--out", tmp_path / "r.mp4")
    assert out["reel"]["frames"] == 24 + 24 - 8
    assert probe(tmp_path / "r.mp4")[0] == 40
