"""`previz inpaint` and `previz cinemagraph` (issue 17) end to end on the animatic: new takes
whose frames keep the source outside the feathered mask, masks stored in the project (and kept
by `purge`), `--json` like remix's, and every bad mask refused in one line with nothing left
behind. One test queues an inpaint from a CLI process while the app holds the project and runs
its jobs, the way users cause concurrency."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import cv2
import numpy as np
import pytest

from engine.api import SegmentRef
from engine.masks import MaskTrack, box_mask, protected
from engine.media import load_png_frames, read_frames
from previz.cli.main import run
from previz.services.project import ProjectService
from previz.services.regions import load_region_masks
from previz.store.folder import resolve

pytestmark = pytest.mark.timeout(300)

REPO = Path(__file__).resolve().parents[2]
W, H, N = 320, 176, 24
SOURCE = "WIDE, day, a red car, a man walks left"
EDIT = "WIDE, night, a blue car, a man walks left"
ENGINE = ("--engine", "animatic", "--seed", "11")


def cli(capsys, *argv) -> tuple[int, str, str]:  # type: ignore[no-untyped-def]
    code = run([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def js(capsys, *argv):  # type: ignore[no-untyped-def]
    code, out, err = cli(capsys, *argv, "--json")
    assert code == 0, err
    return json.loads(out)


@pytest.fixture
def proj(tmp_path: Path, capsys) -> Path:  # type: ignore[no-untyped-def]
    d = tmp_path / "Regions.previz"
    js(capsys, "new", d, "--size", f"{W}x{H}")
    js(capsys, "shot", "add", d, "--prompt", SOURCE, "--duration", f"{N}f")
    js(capsys, "generate", d, "0010", *ENGINE)
    return d


def frames_of(d: Path, take: dict) -> np.ndarray:
    segs = [SegmentRef(resolve(d, s["path"]), s["start"], s["end"]) for s in take["segments"]]
    return np.stack(list(read_frames(segs))).astype(np.float64)


def takes(capsys, d: Path) -> list[dict]:  # type: ignore[no-untyped-def]
    return js(capsys, "takes", d, "0010")


def stored_masks(d: Path) -> list[str]:
    m = d / "media" / "masks"
    return sorted(p.name for p in m.iterdir() if not p.name.startswith(".")) if m.is_dir() else []


def check_region(d: Path, source: dict, new: dict, track: MaskTrack, feather: int = 8) -> None:
    """Outside the feathered mask the new take is the source (MAD <= 2/255 per frame);
    inside, the edit changed it (>= 10/255)."""
    a, b = frames_of(d, source), frames_of(d, new)
    assert a.shape == b.shape
    for i in range(len(a)):
        mask = track.at(i)
        keep = protected(mask, feather)
        assert np.abs(a[i][keep] - b[i][keep]).mean() <= 2.0, i
        assert np.abs(a[i][mask] - b[i][mask]).mean() >= 10.0, i


def test_inpaint_a_box_makes_a_selected_take_whose_masks_outlive_purge(capsys, proj) -> None:
    [source] = takes(capsys, proj)
    new = js(capsys, "inpaint", proj, "0010", "--box", "40,30,160,100", "--prompt", EDIT, *ENGINE)
    # --json: the new take, as remix prints it
    assert isinstance(new, dict)
    assert (new["number"], new["operation"], new["parents"]) == (2, "inpaint", [source["id"]])
    assert new["selected"] and new["frame_count"] == N and new["fps"] == "24"
    region = new["recipe"]["region"]
    assert region["boxes"] == [{"box": [40, 30, 160, 100], "frame_index": None}]
    assert region["feather"] == 8
    [key] = region["masks"]
    assert key["frame_index"] is None and (proj / key["path"]).is_file()
    assert [t["operation"] for t in takes(capsys, proj)] == ["generate", "inpaint"]
    check_region(proj, source, new, MaskTrack([(None, box_mask(W, H, 40, 30, 160, 100))]))

    # the source take deleted and purged: the inpaint's mask is still there and reads back
    assert cli(capsys, "take", "rm", proj, "0010", "1")[0] == 0
    assert cli(capsys, "purge", proj)[0] == 0
    assert (proj / key["path"]).is_file()
    with ProjectService.open(proj) as svc:
        [(frame, mask)] = load_region_masks(svc.folder, svc.take("0010").recipe)
        assert frame is None and np.array_equal(mask, box_mask(W, H, 40, 30, 160, 100))


def test_keyframed_boxes_move_the_region_over_the_take(capsys, proj) -> None:
    [source] = takes(capsys, proj)
    new = js(
        capsys,
        "inpaint",
        proj,
        "0010",
        "--box",
        "20,20,120,80@0",
        "--box",
        "180,80,120,80@23",
        "--prompt",
        EDIT,
        *ENGINE,
    )
    region = new["recipe"]["region"]
    assert [m["frame_index"] for m in region["masks"]] == [0, 23]
    assert [b["frame_index"] for b in region["boxes"]] == [0, 23]
    with ProjectService.open(proj) as svc:
        keys = load_region_masks(svc.folder, svc.take("0010").recipe)
    assert np.array_equal(keys[0][1], box_mask(W, H, 20, 20, 120, 80))
    assert np.array_equal(keys[1][1], box_mask(W, H, 180, 80, 120, 80))
    check_region(proj, source, new, MaskTrack(keys))


def test_cinemagraphs_from_an_image_and_from_a_frame(capsys, proj, tmp_path: Path) -> None:
    [source] = takes(capsys, proj)
    painting = np.zeros((300, 600, 3), np.uint8)
    painting[150:] = (160, 90, 20)  # the sea below, the sky black
    assert cv2.imwrite(str(tmp_path / "painting.png"), painting)
    code, out, err = cli(
        capsys,
        "cinemagraph",
        proj,
        "0010",
        "--image",
        tmp_path / "painting.png",
        "--box",
        "0,100,320,76",
        "--prompt",
        "the sea ripples",
        "--duration",
        "12f",
        "--json",
        *ENGINE,
    )
    assert code == 0, err
    made = json.loads(out)
    assert "600x300" in err and "fitted" in err  # the note says what was done to the image
    assert (made["operation"], made["parents"], made["frame_count"]) == ("cinemagraph", [], 12)
    still = made["recipe"]["region"]["image"]
    assert still.startswith("media/masks/") and (proj / still).is_file()

    # from frame 5 of take 1, with a smaller mask scaled up by --resize-mask
    small = np.zeros((H // 2, W // 2), np.uint8)
    small[40:80, 20:140] = 255
    assert cv2.imwrite(str(tmp_path / "half.png"), small)
    code, out, err = cli(
        capsys,
        "cinemagraph",
        proj,
        "0010",
        "--frame",
        "5",
        "--take",
        "1",
        "--mask",
        tmp_path / "half.png",
        "--resize-mask",
        "--prompt",
        "water ripples, the lamps flicker",
        "--duration",
        "12f",
        "--loop",
        "--json",
        *ENGINE,
    )
    assert code == 0, err
    assert "resized" in err
    made = json.loads(out)
    region = made["recipe"]["region"]
    assert made["parents"] == [source["id"]] and made["frame_count"] == 12
    assert (region["from_take"], region["from_frame"], region["loop"]) == (source["id"], 5, True)
    still = load_png_frames([proj / region["image"]])[0].astype(np.float64)
    assert np.array_equal(still, load_png_frames([proj / source["head"][5]])[0])  # lossless
    mask = load_png_frames([proj / region["masks"][0]["path"]])[0][..., 0] > 0
    keep = protected(mask, 8)
    frames = frames_of(proj, made)
    for f in frames:
        assert np.abs(f[keep] - still[keep]).mean() <= 2.0
    assert max(np.abs(frames[i + 1][mask] - frames[i][mask]).mean() for i in range(11)) > 1.0
    assert [t["operation"] for t in takes(capsys, proj)] == [
        "generate",
        "cinemagraph",
        "cinemagraph",
    ]


def test_bad_masks_and_requests_are_refused_in_one_line(capsys, proj, tmp_path: Path) -> None:
    from tests.engine_diffusers.helpers import LTX_INDEX, fake_ltx_files, write_folder

    empty = tmp_path / "empty.png"
    cv2.imwrite(str(empty), np.zeros((H, W), np.uint8))
    small = tmp_path / "small.png"
    half = np.zeros((H // 2, W // 2), np.uint8)
    half[10:40, 10:40] = 255
    cv2.imwrite(str(small), half)
    text = tmp_path / "notes.png"
    text.write_text("a shopping list")
    ltx = write_folder(tmp_path / "my-ltx", LTX_INDEX, fake_ltx_files())
    js(capsys, "shot", "add", proj, "--prompt", "CU, a gull", "--duration", "12f")
    ok = ("--prompt", "a blue car", *ENGINE)
    cases = [
        (["inpaint", proj, "0010", "--mask", text, *ok], 1, "is not an image"),
        (["inpaint", proj, "0010", "--mask", empty, *ok], 1, "is empty"),
        (["inpaint", proj, "0010", "--mask", small, *ok], 1, f"{W // 2}x{H // 2} but the frames"),
        (["inpaint", proj, "0010", "--mask", tmp_path / "gone.png", *ok], 1, "not found"),
        (["inpaint", proj, "0010", "--box", "1,1,9,9", "--box", "5,5,9,9@3", *ok], 2, "not both"),
        (["inpaint", proj, "0010", "--box", "1,1,9", *ok], 2, "X,Y,W,H"),
        (["inpaint", proj, "0010", "--box", "1,1,9,9@x", *ok], 2, "@FRAME"),
        (["inpaint", proj, "0010", "--box", "1,1,9,9@30", *ok], 1, "0..23"),
        (["inpaint", proj, "0010", "--box", f"{W},0,9,9", *ok], 1, "outside"),
        (["inpaint", proj, "0010", *ok], 2, "--mask FILE"),
        (["inpaint", proj, "0020", "--box", "1,1,9,9", *ok], 1, "no take"),
        (
            ["inpaint", proj, "0010", "--box", "1,1,9,9", "--prompt", "x"]
            + ["--engine", "diffusers", "--model", ltx],
            1,
            "LTX-Video cannot inpaint; pick a Wan VACE model or the animatic",
        ),
        (["cinemagraph", proj, "0010", "--frame", "24", "--box", "1,1,9,9", *ok], 1, "0..23"),
        (["cinemagraph", proj, "0010", "--frame", "2", "--mask", empty, *ok], 1, "is empty"),
        (["cinemagraph", proj, "0010", "--frame", "2", "--box", "1,1,9,9@2", *ok], 2, "@FRAME"),
        (
            ["cinemagraph", proj, "0010", "--image", empty, "--take", "1", "--box", "1,1,9,9", *ok],
            2,
            "--take",
        ),
        (
            ["cinemagraph", proj, "0010", "--image", text, "--box", "1,1,9,9", *ok],
            1,
            "not an image",
        ),
    ]
    for argv, want, says in cases:
        code, out, err = cli(capsys, *argv)
        lines = err.strip().splitlines()
        assert (code, len(lines)) == (want, 1), (argv, code, err)
        assert says in lines[0], (argv, lines[0])
        if "but the frames" in says:  # names both sizes and the way out
            assert f"{W}x{H}" in lines[0] and "--resize-mask" in lines[0]
    assert stored_masks(proj) == []  # a refused request leaves no mask or still behind
    assert [t["operation"] for t in takes(capsys, proj)] == ["generate"]


def test_an_inpaint_queued_from_a_cli_process_runs_in_the_app_holding_the_project(
    proj, capsys
) -> None:
    from previz.services.runner import JobRunner

    with ProjectService.open(proj) as app:
        source = app.take("0010")
        runner = JobRunner(app)  # the app runs the project's jobs
        assert runner.acquire()
        try:
            proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "previz",
                    "inpaint",
                    str(proj),
                    "0010",
                    "--box",
                    "40,30,160,100",
                    "--prompt",
                    EDIT,
                    *ENGINE,
                    "--json",
                ],
                cwd=REPO,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            deadline = time.monotonic() + 120
            while len(app.takes("0010")) < 2:  # the CLI's job, run here when it is queued
                assert proc.poll() is None, proc.communicate()
                assert time.monotonic() < deadline, "the CLI's job never reached the app"
                runner.run_pending()
                time.sleep(0.1)
        finally:
            runner.stop()
        out, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err
        assert "another Previz process is running" in err
        printed = json.loads(out)
        new = app.take("0010")  # the app sees the new take, selected, with its mask
        assert printed["id"] == new.id and new.operation == "inpaint"
        assert new.parents == (source.id,)
        [(_, mask)] = load_region_masks(app.folder, new.recipe)
        assert np.array_equal(mask, box_mask(W, H, 40, 30, 160, 100))
        assert stored_masks(proj) == [Path(new.recipe["region"]["masks"][0]["path"]).name]
