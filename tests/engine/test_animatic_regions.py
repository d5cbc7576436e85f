"""Region edits on the animatic, measured on the decoded MP4s a job writes: outside the mask
(dilated by the feather) an inpainted take is its source and a cinemagraph is its still within
codec noise (mean absolute difference <= 2/255); inside, the edit changes what is there."""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from pathlib import Path

import cv2
import numpy as np
import pytest

from engine.api import (
    Cancelled,
    CancelToken,
    Cinemagraph,
    ClipSource,
    CollectingSink,
    Extend,
    Inpaint,
    Loop,
    MaskKey,
    TextToVideo,
)
from engine.backends.animatic import AnimaticEngine
from engine.job import run_job
from engine.masks import MaskTrack, box_mask, protected, write_mask
from engine.media import read_frames
from tests.engine.engine_testutil import figure_mask

W, H, N = 320, 176, 24
FPS = Fraction(24)
ENGINE = AnimaticEngine()
PROMPT = "wide shot, a red car parked on a street, a man walks left"
TOL = 2.0  # mean absolute difference, grey levels: codec noise
CHANGED = 10.0  # at least this inside the mask where the prompt changes what is there
CAR_BOX = (168, 88, 100, 32)  # the parked car in PROMPT's frames (seed 3)
MAN_BOX = (126, 80, 48, 52)  # the man as he walks left from the car


def decode(source: ClipSource) -> np.ndarray:
    return np.stack(list(read_frames(source.segments)))


def job(request, folder: Path, **kw) -> tuple[np.ndarray, dict]:
    out = run_job(ENGINE, request, folder, **kw)
    return decode(out.files.source(folder)), dict(out.result.recipe)


def diff(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.abs(a.astype(np.int16) - b.astype(np.int16))


def mask_file(folder: Path, name: str, box: tuple[int, int, int, int]) -> tuple[Path, np.ndarray]:
    mask = box_mask(W, H, *box)
    return write_mask(folder / name, mask), mask


@pytest.fixture(scope="module")
def take(tmp_path_factory: pytest.TempPathFactory) -> tuple[ClipSource, np.ndarray]:
    """An animatic take (with its recipe, as the app passes it) and its decoded frames."""
    folder = tmp_path_factory.mktemp("take")
    req = TextToVideo(prompt=PROMPT, width=W, height=H, num_frames=N, fps=FPS, seed=3)
    out = run_job(ENGINE, req, folder)
    src = dataclasses.replace(out.files.source(folder), recipe=out.result.recipe)
    return src, decode(src)


def assert_region_edit(
    frames: np.ndarray, source: np.ndarray, mask_at, feather: int, *, changed: bool = True
) -> None:
    assert frames.shape == source.shape
    for i in range(len(frames)):
        mask = mask_at(i)
        d = diff(frames[i], source[i])
        outside = float(d[protected(mask, feather)].mean())
        assert outside <= TOL, f"frame {i}: protected pixels differ by {outside:.2f}"
        if changed:
            inside = float(d[mask].mean())
            assert inside >= CHANGED, f"frame {i}: inside the mask only {inside:.2f} changed"


# -- inpaint -----------------------------------------------------------------------------------


def test_inpaint_recolours_a_prop_and_keeps_the_rest(take, tmp_path: Path) -> None:
    src, source = take
    path, mask = mask_file(tmp_path, "car.png", CAR_BOX)
    edited = PROMPT.replace("red car", "blue car")
    req = Inpaint.for_source(src, prompt=edited, masks=(MaskKey(path),), seed=3)
    frames, recipe = job(req, tmp_path / "out")
    assert_region_edit(frames, source, lambda i: mask, req.feather)
    assert recipe["region_method"] == "scene" and recipe["moving_mask"] is False
    # the car is blue now: inside the mask blue dominates where the source was red
    inside = frames[12][mask].astype(int)
    before = source[12][mask].astype(int)
    assert (inside[:, 2] - inside[:, 0]).mean() > 40 > (before[:, 2] - before[:, 0]).mean()
    # the scene was re-rendered on the source's time base: the parts of the car that the
    # prompt did not change (tyres, windows: dark) stay where they were
    dark_new, dark_old = frames[12].max(axis=2) < 70, source[12].max(axis=2) < 70
    assert (dark_new & dark_old & mask).sum() > 0.8 * (dark_old & mask).sum()
    assert recipe["conditioning"]["masks"] == [{"path": str(path), "frame_index": None}]


@pytest.mark.parametrize(
    ("short", "whole"),
    [
        ("a blue car", PROMPT.replace("red car", "blue car")),
        ("remove the man", None),
    ],
)
def test_a_prompt_for_the_region_alone_edits_the_source_shot(
    take, tmp_path: Path, short: str, whole: str | None
) -> None:
    """The prompt says only what goes inside ("a blue car", "remove the man"): the region is
    the source's scene with that change, exactly as if the whole edited shot prompt had been
    typed; it was once a patch of the animatic's default scene (a daylight plaza)."""
    src, source = take
    path, mask = mask_file(tmp_path, "region.png", CAR_BOX if whole else MAN_BOX)
    req = Inpaint.for_source(src, prompt=short, masks=(MaskKey(path),), seed=3)
    frames, recipe = job(req, tmp_path / "short")
    assert_region_edit(frames, source, lambda i: mask, req.feather, changed=whole is not None)
    assert recipe["edited_prompt"] != short and recipe["timeline"]["prompt"] == (
        recipe["edited_prompt"]
    )
    if whole is not None:
        typed, _ = job(dataclasses.replace(req, prompt=whole), tmp_path / "whole")
        assert float(diff(frames[12], typed[12])[mask].mean()) <= TOL
    else:
        assert "man" not in recipe["edited_prompt"].split()
        before = int(((figure_mask(source[12]) > 0) & mask).sum())
        after = int(((figure_mask(frames[12]) > 0) & mask).sum())
        assert before > 50 and after < 0.1 * before, (before, after)
    # the rest of the region is the source's set at the source's light, not another scene
    border = mask & ~cv2.erode(mask.astype(np.uint8), np.ones((15, 15), np.uint8)).astype(bool)
    assert float(diff(frames[12], source[12])[border & (source[12].max(axis=2) > 0)].mean()) < 25


@pytest.mark.parametrize("operation", ["text_to_video", "loop"])
def test_inpaint_rerenders_the_source_scene_on_its_time_base(
    operation: str, tmp_path: Path
) -> None:
    """An edit prompt that changes nothing gives the source back inside the mask too: the
    scene is re-rendered with the source's seed, camera and frame times (a loop's walk home
    included), so whatever an edit does not change lines up."""
    prompt = "wide shot, a woman walks left, pan right"
    make = TextToVideo if operation == "text_to_video" else Loop
    out = run_job(
        ENGINE,
        make(prompt=prompt, width=W, height=H, num_frames=N, fps=FPS, seed=7),
        tmp_path / "src",
    )
    src = dataclasses.replace(out.files.source(tmp_path / "src"), recipe=out.result.recipe)
    source = decode(src)
    path, mask = mask_file(tmp_path, "mid.png", (80, 30, 160, 120))
    frames, recipe = job(Inpaint.for_source(src, prompt=prompt, masks=(path,)), tmp_path / "o")
    assert recipe["region_method"] == "scene"
    for i in range(N):
        d = float(diff(frames[i], source[i])[mask].mean())
        assert d <= TOL, f"frame {i}: the re-rendered scene is off by {d:.2f} inside the mask"


def test_an_extend_of_the_inpainted_take_carries_the_edit_on(take, tmp_path: Path) -> None:
    src, _ = take
    path, mask = mask_file(tmp_path, "car.png", CAR_BOX)
    edited = PROMPT.replace("red car", "blue car")
    out = run_job(
        ENGINE, Inpaint.for_source(src, prompt=edited, masks=(path,)), tmp_path / "inpainted"
    )
    inpainted = dataclasses.replace(
        out.files.source(tmp_path / "inpainted"), recipe=out.result.recipe
    )
    sink = CollectingSink()
    result = ENGINE.generate(Extend.for_source(inpainted, prompt=edited, num_frames=6), sink)
    assert result.recipe["continuation"] == "scene"
    car = sink.frames[0][mask].astype(int)
    assert (car[:, 2] - car[:, 0]).mean() > 40  # still the blue car


def test_an_edit_that_reframes_keeps_the_source_camera_and_says_so(take, tmp_path: Path) -> None:
    """The edit prompt names no shot size: the region is still drawn with the source's camera
    (so it lines up), and an extend continues the source's scene, as the recipe says."""
    src, source = take
    path, mask = mask_file(tmp_path, "car.png", CAR_BOX)
    req = Inpaint.for_source(src, prompt="close up, a blue car parked on a street", masks=(path,))
    frames, recipe = job(req, tmp_path / "out")
    assert_region_edit(frames, source, lambda i: mask, req.feather)
    assert recipe["timeline"]["prompt"] == PROMPT and "camera" in recipe["region_note"]
    inside = frames[12][mask].astype(int)
    assert (inside[:, 2] - inside[:, 0]).mean() > 40  # the blue car, where the red one was


def test_inpaint_removes_a_figure(take, tmp_path: Path) -> None:
    src, source = take
    path, mask = mask_file(tmp_path, "man.png", MAN_BOX)
    req = Inpaint.for_source(src, prompt="wide shot, a red car parked on a street", masks=(path,))
    frames, recipe = job(req, tmp_path / "out")
    assert_region_edit(frames, source, lambda i: mask, req.feather, changed=False)
    assert recipe["region_method"] == "scene"
    left_of_car = mask.copy()
    left_of_car[:, 172:] = False
    for i in (6, 12, N - 1):
        # the man's red coat was inside the mask, left of the car; it is gone
        before = int((figure_mask(source[i]) > 0)[left_of_car].sum())
        after = int((figure_mask(frames[i]) > 0)[left_of_car].sum())
        assert before > 100 and after < 0.1 * before, (i, before, after)
        assert float(diff(frames[i], source[i])[mask].mean()) >= 3.0


def test_inpaint_with_a_moving_mask_follows_the_keys(take, tmp_path: Path) -> None:
    src, source = take
    p0, m0 = mask_file(tmp_path, "k0.png", (170, 88, 50, 32))
    p1, m1 = mask_file(tmp_path, "k1.png", (215, 88, 50, 32))
    track = MaskTrack([(0, m0), (N - 1, m1)])
    edited = PROMPT.replace("red car", "blue car")
    req = Inpaint.for_source(src, prompt=edited, masks=(MaskKey(p0, 0), MaskKey(p1, N - 1)))
    frames, recipe = job(req, tmp_path / "out")
    assert recipe["moving_mask"] is True
    assert_region_edit(frames, source, track.at, req.feather)
    # the region moved: the car's front (right) is blue at the end, still red at the start
    right = box_mask(W, H, 240, 92, 20, 20)
    assert frames[0][right][:, 0].mean() > frames[0][right][:, 2].mean() + 40
    assert frames[-1][right][:, 2].mean() > frames[-1][right][:, 0].mean() + 40


def test_inpaint_of_imported_footage_removes_with_a_clean_plate(take, tmp_path: Path) -> None:
    src, source = take
    imported = dataclasses.replace(src, recipe=None)  # no timeline: footage from elsewhere
    path, mask = mask_file(tmp_path, "car.png", CAR_BOX)
    req = Inpaint.for_source(imported, prompt="remove the car", masks=(path,))
    frames, recipe = job(req, tmp_path / "out")
    assert recipe["region_method"] == "clean_plate"
    assert_region_edit(frames, source, lambda i: mask, req.feather)
    # the red car is gone: what fills the hole is the low-saturation street around it
    hsv = cv2.cvtColor(frames[12], cv2.COLOR_RGB2HSV)
    assert float(hsv[:, :, 1][mask].mean()) < 40
    assert float(cv2.cvtColor(source[12], cv2.COLOR_RGB2HSV)[:, :, 1][mask].mean()) > 60


def test_inpaint_of_imported_footage_renders_the_prompt_inside(take, tmp_path: Path) -> None:
    src, source = take
    imported = dataclasses.replace(src, recipe=None)
    path, mask = mask_file(tmp_path, "car.png", CAR_BOX)
    req = Inpaint.for_source(imported, prompt="wide shot, a harbour at night", masks=(path,))
    frames, recipe = job(req, tmp_path / "out")
    assert recipe["region_method"] == "render"
    assert_region_edit(frames, source, lambda i: mask, req.feather)


def test_inpaint_reports_progress_and_cancels_without_leaving_files(take, tmp_path: Path) -> None:
    src, _ = take
    path, _ = mask_file(tmp_path, "car.png", CAR_BOX)
    req = Inpaint.for_source(src, prompt=PROMPT.replace("red", "blue"), masks=(path,))
    steps: list[int] = []
    job(req, tmp_path / "ok", progress=lambda e: steps.append(e.step))
    assert steps[-1] == N and len(steps) >= N // 2

    token = CancelToken()

    def cancel_at_8(event) -> None:
        if event.step >= 8:
            token.cancel()

    out = tmp_path / "stopped"
    with pytest.raises(Cancelled):
        run_job(ENGINE, req, out, cancel_at_8, token)
    assert not out.exists() or not any(out.iterdir())


# -- cinemagraph -------------------------------------------------------------------------------


def textured_still() -> np.ndarray:
    """A still with soft texture (so moved pixels show), smooth enough for the codec."""
    y, x = np.mgrid[0:H, 0:W].astype(np.float32)
    img = np.stack([128 + 20 * y / H, 132 + 20 * y / H, 138 + 20 * y / H], -1)
    img += (14 * np.sin(2 * np.pi * (x / 53 + y / 29)) + 8 * np.sin(2 * np.pi * (x / 37 - y / 19)))[
        ..., None
    ]
    return np.clip(img, 0, 255).astype(np.uint8)


def write_png(path: Path, rgb: np.ndarray) -> Path:
    cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))
    return path


def neighbour_diffs(frames: np.ndarray, mask: np.ndarray) -> list[float]:
    return [float(diff(frames[i], frames[i + 1])[mask].mean()) for i in range(len(frames) - 1)]


@pytest.fixture()
def still(tmp_path: Path) -> tuple[Path, np.ndarray, Path, np.ndarray]:
    img = textured_still()
    path, mask = mask_file(tmp_path, "lower.png", (0, H // 2, W, H // 2))
    return write_png(tmp_path / "still.png", img), img, path, mask


def cinemagraph(image: Path, mask: Path, prompt: str, **kw) -> Cinemagraph:
    return Cinemagraph(
        image=image, mask=mask, prompt=prompt, width=W, height=H, num_frames=N, fps=FPS, **kw
    )


def assert_still_outside(frames: np.ndarray, still: np.ndarray, mask: np.ndarray, feather: int):
    keep = protected(mask, feather)
    for i, f in enumerate(frames):
        d = float(diff(f, still)[keep].mean())
        assert d <= TOL, f"frame {i}: the still moved outside the mask by {d:.2f}"
        if i:
            d = float(diff(f, frames[i - 1])[keep].mean())
            assert d <= TOL, f"frame {i}: outside changed by {d:.2f} from the frame before"


def test_cinemagraph_water_ripples_only_inside_the_mask(still, tmp_path: Path) -> None:
    image, img, path, mask = still
    req = cinemagraph(image, path, "water ripples", seed=4)
    frames, recipe = job(req, tmp_path / "out")
    assert frames.shape == (N, H, W, 3)
    assert_still_outside(frames, img, mask, req.feather)
    moves = neighbour_diffs(frames, mask)
    assert min(moves) > 1.0, moves  # every frame moves inside (the codec alone gives ~0.1)
    assert recipe["motions"] == ["ripple"] and recipe["region_method"] == "procedural"
    assert recipe["loop"] is False


def test_cinemagraph_loop_is_seamless(still, tmp_path: Path) -> None:
    image, img, path, mask = still
    looped, recipe = job(
        cinemagraph(image, path, "water ripples", seed=4, loop=True), tmp_path / "l"
    )
    plain, _ = job(cinemagraph(image, path, "water ripples", seed=4), tmp_path / "p")
    assert recipe["loop"] is True
    moves = neighbour_diffs(looped, mask)
    wrap = float(diff(looped[-1], looped[0])[mask].mean())
    assert wrap <= 1.25 * max(moves), (wrap, moves)  # the loop point is one more step
    # without loop the last frame does not lead into the first: a visible jump
    plain_moves = neighbour_diffs(plain, mask)
    assert float(diff(plain[-1], plain[0])[mask].mean()) > 2 * max(plain_moves)


@pytest.mark.parametrize(
    ("prompt", "motion"),
    [
        ("clouds in the sky", "drift"),
        ("flickering neon lamps", "flicker"),
        ("smoke", "smoke"),
        ("rain", "rain"),
        ("trees swaying", "sway"),
    ],
)
def test_cinemagraph_motions_from_the_prompt_loop_inside_the_mask(
    still, tmp_path: Path, prompt: str, motion: str
) -> None:
    image, img, path, mask = still
    frames, recipe = job(cinemagraph(image, path, prompt, seed=2, loop=True), tmp_path / "o")
    assert recipe["motions"] == [motion]
    assert_still_outside(frames, img, mask, 8)
    moves = neighbour_diffs(frames, mask)
    assert np.median(moves) > 0.25, moves
    assert float(diff(frames[-1], frames[0])[mask].mean()) <= 1.5 * max(moves)


def test_cinemagraph_clouds_drift_over_the_sky_and_lamps_flicker_not_the_buildings(
    tmp_path: Path,
) -> None:
    """The mask takes in a skyline: the clouds drift over the sky only and the lamps flicker;
    the buildings in the same region do not slide or pulse (the old drift moved the whole
    region sideways, ghosting roofs and lamps)."""
    img = np.zeros((H, W, 3), np.uint8)
    ramp = np.linspace(150, 215, H // 2, dtype=np.float32)[:, None, None]
    img[: H // 2] = np.clip(ramp * np.float32([0.75, 0.85, 1.0]), 0, 255).astype(np.uint8)
    img[H // 2 :] = (60, 52, 48)
    building = (slice(40, H // 2 + 4), slice(30, 120))
    img[building] = (95, 80, 70)
    img[50 : H // 2, 40:110:12] = (210, 190, 120)  # lit windows
    lamp = (slice(30, 38), slice(200, 208))
    img[lamp] = (255, 240, 180)
    image = write_png(tmp_path / "skyline.png", img)
    path, mask = mask_file(tmp_path, "top.png", (0, 0, W, H // 2))
    frames, recipe = job(
        cinemagraph(image, path, "clouds drift, lamps flicker", seed=3), tmp_path / "o"
    )
    assert recipe["motions"] == ["drift", "flicker"]
    assert_still_outside(frames, img, mask, 8)
    sky = np.zeros((H, W), bool)
    sky[4:26, 130:190] = True
    roof = np.zeros((H, W), bool)
    roof[42:48, 32:118] = True  # the building's top, below the sky, above its windows

    def away(region: np.ndarray) -> float:  # the most a frame strays from the still there
        return max(float(diff(f, img)[region].mean()) for f in frames)

    assert away(sky) > 8, away(sky)
    assert away(roof) <= 2.5, away(roof)  # codec noise and a faint ambient flicker only
    lamp_mask = np.zeros((H, W), bool)
    lamp_mask[lamp] = True
    lamp_levels = [float(f[lamp_mask].mean()) for f in frames]
    roof_levels = [float(f[roof].mean()) for f in frames]
    assert np.ptp(lamp_levels) > 3 * max(1.0, np.ptp(roof_levels)), (lamp_levels, roof_levels)


def test_cinemagraph_says_when_it_does_not_know_the_motion(still, tmp_path: Path) -> None:
    image, img, path, mask = still
    frames, recipe = job(cinemagraph(image, path, "a dragon", seed=1), tmp_path / "o")
    assert recipe["motions"] == ["sway", "shimmer"]
    assert "a dragon" in recipe["region_note"]
    assert_still_outside(frames, img, mask, 8)
    assert min(neighbour_diffs(frames, mask)) > 0.25


def test_cinemagraph_from_a_frame_of_a_take_walks_its_figures(take, tmp_path: Path) -> None:
    src, source = take
    frame_index = 12
    image = write_png(tmp_path / "frame.png", source[frame_index])
    path, mask = mask_file(tmp_path, "man.png", (90, 60, 82, 90))  # the man, left of the car
    req = cinemagraph(image, path, "the man walks", seed=3, source=src, frame_index=frame_index)
    frames, recipe = job(req, tmp_path / "out")
    assert recipe["region_method"] == "scene"
    assert_still_outside(frames, source[frame_index], mask, req.feather)
    # frame 0 is the still; then the man walks on (left) inside the mask
    assert float(diff(frames[0], source[frame_index])[mask].mean()) <= TOL

    def man_x(frame: np.ndarray) -> float:
        ys, xs = np.nonzero((figure_mask(frame) > 0) & mask)
        assert len(xs) > 100, "the man is not in the mask"
        return float(xs.mean())

    assert man_x(frames[-1]) < man_x(frames[0]) - 5


def test_cinemagraph_from_a_frame_loops_its_walk(take, tmp_path: Path) -> None:
    src, source = take
    image = write_png(tmp_path / "frame.png", source[12])
    path, mask = mask_file(tmp_path, "man.png", (90, 60, 82, 90))
    req = cinemagraph(image, path, "the man walks", seed=3, source=src, frame_index=12, loop=True)
    frames, recipe = job(req, tmp_path / "out")
    assert recipe["loop"] is True and recipe["region_method"] == "scene"
    assert_still_outside(frames, source[12], mask, req.feather)
    moves = neighbour_diffs(frames, mask)
    assert max(moves) > 1.0  # he walks
    assert float(diff(frames[-1], frames[0])[mask].mean()) <= 1.5 * max(moves)


def test_cinemagraph_cancel_leaves_no_files(still, tmp_path: Path) -> None:
    image, _, path, _ = still
    token = CancelToken()
    seen: list[int] = []

    def cancel_at_5(event) -> None:
        seen.append(event.step)
        if event.step >= 5:
            token.cancel()

    out = tmp_path / "stopped"
    with pytest.raises(Cancelled):
        run_job(ENGINE, cinemagraph(image, path, "water"), out, cancel_at_5, token)
    assert seen[:5] == [1, 2, 3, 4, 5]
    assert not out.exists() or not any(out.iterdir())
