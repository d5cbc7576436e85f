"""Region edits on tiny random diffusers models: Wan VACE inpaint and cinemagraph; the other
families refuse them.

What the checks stand on: the pipeline gets what WanVACEPipeline expects (the frames with the
region grey, a mask white over the region dilated by the feather, a 4k+1 count), and the take
that comes out keeps its source's pixels outside the dilated mask (decoded MP4 against decoded
MP4, mean absolute difference <= 2/255) while the random model changes what is inside.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("diffusers")
pytest.importorskip("transformers")

from diffusers import WanVACEPipeline  # noqa: E402

from engine.api import (  # noqa: E402
    DEFAULT_FEATHER,
    Cancelled,
    CancelToken,
    Cinemagraph,
    ClipSource,
    CollectingSink,
    Inpaint,
    MaskKey,
    RequestError,
    SegmentRef,
    UnsupportedOperation,
)
from engine.job import run_job  # noqa: E402
from engine.masks import MaskTrack, box_mask, ellipse_mask, feather_alpha, protected, write_mask  # noqa: E402
from engine.media import read_frames  # noqa: E402
from tests.engine_diffusers.helpers import as_array, mp4_frames  # noqa: E402

pytestmark = pytest.mark.timeout(600)

W, H = 96, 64
FPS = 16
FEATHER = 4
TOL = 2.0  # /255: the guarantee outside the dilated mask
PROMPT = "a red ferry"


def _smooth_frames(n: int, seed: int) -> list[np.ndarray]:
    """Frames like footage (smooth shading that drifts), not the helpers' wrapping gradients:
    re-encoding those alone costs ~1.7/255 of H.264 noise, which would hide what is measured."""
    rng = np.random.default_rng(seed)
    tint = rng.integers(60, 190, size=3)
    y, x = np.mgrid[0:H, 0:W].astype(np.float32)
    out = []
    for i in range(n):
        f = np.empty((H, W, 3), np.float32)
        f[..., 0] = tint[0] + 40 * np.sin((x + 2 * i) / 19.0)
        f[..., 1] = tint[1] + 30 * np.cos((y + i) / 15.0)
        f[..., 2] = tint[2] + 20 * np.sin((x + y + 3 * i) / 23.0)
        out.append(np.clip(f, 0, 255).astype(np.uint8))
    return out


@pytest.fixture(scope="module")
def smooth_take(tmp_path_factory: pytest.TempPathFactory) -> ClipSource:
    """A 9-frame 16 fps take (MP4 + lossless head/tail) of `_smooth_frames`."""
    from engine.media import ClipWriter

    out = tmp_path_factory.mktemp("smooth-take")
    writer = ClipWriter(out, W, H, Fraction(FPS), 4)
    for f in _smooth_frames(9, 3):
        writer.write(f)
    files = writer.close()
    return ClipSource(
        segments=(SegmentRef(out / files.video, 0, 9),),
        head=tuple(out / p for p in files.head),
        tail=tuple(out / p for p in files.tail),
        width=W,
        height=H,
        fps=Fraction(FPS),
        num_frames=9,
    )


def _mask(tmp_path: Path, name: str, mask: np.ndarray) -> Path:
    return write_mask(tmp_path / f"{name}.png", mask)


def _take_frames(out_dir: Path, files) -> list[np.ndarray]:  # type: ignore[no-untyped-def]
    return list(read_frames(SegmentRef(out_dir / files.video, 0, files.num_frames)))


def _mad(a: np.ndarray, b: np.ndarray, where: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16))[where].mean())


def _inpaint(take, masks, model, **kw):  # type: ignore[no-untyped-def]
    kw.setdefault("steps", 2)
    kw.setdefault("feather", FEATHER)
    return Inpaint.for_source(take, prompt=PROMPT, masks=masks, model=str(model), **kw)


# --------------------------------------------------------------------------------------------
# What the pipeline receives


def test_inpaint_gives_vace_the_source_frames_grey_inside_a_moving_dilated_mask(
    engine, wan_vace_model, make_take, capture, tmp_path
):
    """7 frames (not 4k+1): padded to 9 by repeating the last frame and its mask; every frame
    is the source's decoded frame, grey (128) where the keyed mask at that frame, dilated by the
    feather, is; the mask is white exactly there; the take keeps the source's 7 frames."""
    take = make_take(31, n=7, width=W, height=H, fps=FPS)
    a = _mask(tmp_path, "a", box_mask(W, H, 8, 8, 24, 20))
    b = _mask(tmp_path, "b", box_mask(W, H, 56, 30, 24, 20))
    keys = (MaskKey(a, 0), MaskKey(b, 6))
    calls = capture(WanVACEPipeline)
    sink = CollectingSink()
    res = engine.generate(_inpaint(take, keys, wan_vace_model), sink)

    assert res.frames == 7 and len(sink.frames) == 7
    (call,) = calls
    assert call["num_frames"] == 9
    assert len(call["video"]) == len(call["mask"]) == 9
    assert all(im.mode == "RGB" and im.size == (W, H) for im in call["video"])
    assert all(im.mode == "L" and im.size == (W, H) for im in call["mask"])
    source = mp4_frames(take)
    track = MaskTrack.load(keys, W, H)
    for i in range(9):
        j = min(i, 6)  # frames 7 and 8 repeat the last frame
        region = feather_alpha(track.at(j), FEATHER) > 0
        mask = np.asarray(call["mask"][i])
        assert mask.dtype == np.uint8
        assert (mask[region] == 255).all() and (mask[~region] == 0).all(), i
        video = as_array(call["video"][i])
        assert (video[region] == 128).all(), i
        assert np.array_equal(video[~region], source[j][~region]), i
        # the dilation covers the feather: a pixel 3 px outside the key box is regenerated
        assert region.sum() > track.at(j).sum()
    # before any encoding, the frames out of the engine ARE the source's outside the dilation
    for i, got in enumerate(sink.frames):
        keep = protected(track.at(i), FEATHER)
        assert np.array_equal(got[keep], source[i][keep]), i
    # the mask moved: frame 3 is in between the two keys
    assert not np.array_equal(np.asarray(call["mask"][0]), np.asarray(call["mask"][6]))
    region = res.recipe["diffusers"]["region"]
    assert region["padded_frames"] == 2 and region["feather"] == FEATHER
    assert res.recipe["diffusers"]["window"] == {"frames": 9, "keep_start": 0, "keep_end": 7}
    assert res.recipe["conditioning"]["masks"] == [k.describe() for k in keys]
    assert res.recipe["feather"] == FEATHER


def test_cinemagraph_gives_vace_the_still_then_its_region_grey(
    engine, wan_vace_model, make_take, capture, tmp_path
):
    """Frame 0 is the whole still (the motion starts from its pixels); after it the still with
    the dilated region grey and masked white. With loop the still is known again one frame past
    the end (dropped), so the count is n+1 = 4k+1."""
    take = make_take(32, n=9, width=W, height=H, fps=FPS)
    still = take.head[0]
    m = ellipse_mask(W, H, 30, 16, 36, 28)
    mask = _mask(tmp_path, "m", m)
    region = feather_alpha(m, FEATHER) > 0
    calls = capture(WanVACEPipeline)
    res = engine.generate(
        Cinemagraph(
            prompt="water ripples",
            image=still,
            mask=mask,
            feather=FEATHER,
            loop=True,
            width=W,
            height=H,
            num_frames=8,
            fps=Fraction(FPS),
            steps=2,
            model=str(wan_vace_model),
        ),
        CollectingSink(),
    )
    assert res.frames == 8
    (call,) = calls
    assert call["num_frames"] == 9
    masks = [np.asarray(x) for x in call["mask"]]
    video = [as_array(x) for x in call["video"]]
    still_rgb = _png(still)
    assert (masks[0] == 0).all() and np.array_equal(video[0], still_rgb)
    assert (masks[8] == 0).all() and np.array_equal(video[8], still_rgb)  # loop: known again
    for i in range(1, 8):
        assert (masks[i][region] == 255).all() and (masks[i][~region] == 0).all()
        assert (video[i][region] == 128).all()
        assert np.array_equal(video[i][~region], still_rgb[~region])
    assert res.recipe["diffusers"]["window"] == {"frames": 9, "keep_start": 0, "keep_end": 8}
    assert "frame 7 leads into frame 0" in res.recipe["diffusers"]["region"]["loop"]
    assert res.recipe["loop"] is True


def _png(path: Path) -> np.ndarray:
    from engine.media import load_png_frames

    return load_png_frames([path])[0]


# --------------------------------------------------------------------------------------------
# End to end into a take


def test_inpaint_into_a_take_keeps_the_source_outside_the_dilated_mask(
    engine, wan_vace_model, smooth_take, tmp_path
):
    """Decoded take against decoded source: outside the mask dilated by the (default) feather
    within 2/255, inside far from it; measured on CPU: <= 1.56/255 outside, 54-62/255 inside."""
    take = smooth_take
    m = box_mask(W, H, 32, 16, 32, 28)
    mask = _mask(tmp_path, "box", m)
    events: list = []
    req = _inpaint(take, (MaskKey(mask),), wan_vace_model, feather=DEFAULT_FEATHER)
    out = run_job(engine, req, tmp_path / "out", events.append)
    assert out.files.num_frames == 9 and (out.files.width, out.files.height) == (W, H)
    new = _take_frames(tmp_path / "out", out.files)
    source = mp4_frames(take)
    assert len(new) == len(source) == 9
    keep = protected(m, DEFAULT_FEATHER)
    for i, (n_, s) in enumerate(zip(new, source, strict=True)):
        assert _mad(n_, s, keep) <= TOL, (i, _mad(n_, s, keep))
        assert _mad(n_, s, m) >= 10, (i, _mad(n_, s, m))  # random weights: far from the source
    stages = {e.stage for e in events}
    assert {"denoise", "decode", "write"} <= stages
    assert out.result.recipe["operation"] == "inpaint"


def test_cinemagraph_into_a_take_keeps_the_still_outside_and_moves_inside(
    engine, wan_vace_model, smooth_take, tmp_path
):
    take = smooth_take
    still = _png(take.head[0])
    m = ellipse_mask(W, H, 24, 12, 48, 36)
    mask = _mask(tmp_path, "water", m)
    req = Cinemagraph(
        prompt="water ripples",
        image=take.head[0],
        mask=mask,
        feather=FEATHER,
        width=W,
        height=H,
        num_frames=9,
        fps=Fraction(FPS),
        steps=2,
        model=str(wan_vace_model),
    )
    out = run_job(engine, req, tmp_path / "cine")
    frames = _take_frames(tmp_path / "cine", out.files)
    assert len(frames) == 9
    keep = protected(m, FEATHER)
    for i, f in enumerate(frames):
        assert _mad(f, still, keep) <= TOL, (i, _mad(f, still, keep))
    moves = [_mad(b, a, m) for a, b in zip(frames, frames[1:], strict=False)]
    assert max(moves) > 3, moves  # inside it moves


# --------------------------------------------------------------------------------------------
# Refusals


def test_inpaint_refuses_a_take_off_the_models_size_grid(
    engine, wan_vace_model, make_take, tmp_path
):
    take = make_take(35, n=9, width=104, height=64, fps=FPS)  # Wan makes multiples of 16
    mask = _mask(tmp_path, "m104", box_mask(104, 64, 8, 8, 16, 16))
    with pytest.raises(RequestError, match=r"multiples of 16 and the take is 104x64.*96x64"):
        engine.prepare(_inpaint(take, (MaskKey(mask),), wan_vace_model))


def test_inpaint_keeps_the_takes_frame_rate_and_count_and_refuses_a_take_too_long(
    engine, wan_vace_model, make_take, tmp_path
):
    """A 24 fps take of 7 frames stays 7 frames at 24 fps (Wan's native 16 fps and 4k+1 rule
    are the engine's business: it pads inside); a take longer than the model's window is
    refused with what to do, before anything loads."""
    take = make_take(38, n=7, width=W, height=H, fps=24)
    mask = _mask(tmp_path, "fps", box_mask(W, H, 8, 8, 16, 16))
    prepared, notes = engine.prepare(_inpaint(take, (MaskKey(mask),), wan_vace_model))
    assert (prepared.num_frames, prepared.fps) == (7, Fraction(24))
    assert any("keeps the take's 24 fps" in n for n in notes)
    long = make_take(39, n=133, width=W, height=H, fps=FPS)
    with pytest.raises(RequestError, match=r"at most 129 frames.*has 133; trim the take"):
        engine.prepare(_inpaint(long, (MaskKey(mask),), wan_vace_model))


def test_a_cancelled_inpaint_stops_and_writes_no_take(engine, wan_vace_model, make_take, tmp_path):
    take = make_take(36, n=9, width=W, height=H, fps=FPS)
    mask = _mask(tmp_path, "c", box_mask(W, H, 8, 8, 16, 16))
    cancel = CancelToken()

    def progress(event) -> None:  # type: ignore[no-untyped-def]
        if event.stage == "denoise":
            cancel.cancel()

    with pytest.raises(Cancelled):
        run_job(
            engine,
            _inpaint(take, (MaskKey(mask),), wan_vace_model, steps=3),
            tmp_path / "cancelled",
            progress,
            cancel,
        )
    assert not list((tmp_path / "cancelled").glob("*.mp4"))


@pytest.fixture(scope="module")
def ltx2_model(models_dir: Path) -> Path:
    from tests.engine_diffusers.tiny_ltx2 import build_ltx2

    path = models_dir / "tiny-ltx2"
    if not (path / "model_index.json").exists():
        build_ltx2(path)
    return path


@pytest.mark.parametrize(
    "model_fixture",
    [
        "ltx_model",
        "ltx2_model",
        "skyreels_model",
        "wan_t2v_model",
        "wan_ti2v_model",
        "wan_flf2v_model",
    ],
)
def test_other_families_refuse_region_edits_and_name_wan_vace(
    model_fixture, request, make_take, tmp_path
):
    from engine.backends.diffusers import DiffusersEngine

    model = request.getfixturevalue(model_fixture)
    fresh = DiffusersEngine()
    assert not {"inpaint", "cinemagraph"} & fresh.capabilities_for(str(model)).operations
    take = make_take(37, n=9, width=W, height=H, fps=FPS)
    mask = _mask(tmp_path, "r", box_mask(W, H, 8, 8, 16, 16))
    inpaint = _inpaint(take, (MaskKey(mask),), model)
    cine = Cinemagraph(
        prompt="water ripples",
        image=take.head[0],
        mask=mask,
        width=W,
        height=H,
        num_frames=9,
        fps=Fraction(FPS),
        model=str(model),
    )
    for req, what in ((inpaint, "cannot inpaint"), (cine, "cannot make a cinemagraph")):
        with pytest.raises(UnsupportedOperation, match=what) as err:
            fresh.prepare(req)
        assert "pick a Wan VACE model" in str(err.value) and "\n" not in str(err.value)
    assert fresh.loads == 0
