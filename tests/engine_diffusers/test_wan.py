"""Wan end to end on tiny random models: T2V (+ remix), VACE, first-last-frame, and 2.2 TI2V."""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("diffusers")
pytest.importorskip("transformers")

from diffusers import (  # noqa: E402
    WanImageToVideoPipeline,
    WanPipeline,
    WanVACEPipeline,
    WanVideoToVideoPipeline,
)

from engine.api import (  # noqa: E402
    Bridge,
    CollectingSink,
    Extend,
    ImageToVideo,
    Loop,
    PinnedImage,
    Remix,
    RequestError,
    TextToVideo,
    UnsupportedOperation,
)
from tests.engine_diffusers.helpers import as_array, mp4_frames, pngs  # noqa: E402

W, H = 96, 64
FPS = 16


def _mask_values(call: dict) -> list[int]:
    return [int(np.asarray(m).mean().round()) for m in call["mask"]]


def test_text_to_video_is_made_at_the_native_frame_rate(engine, wan_t2v_model, capture):
    calls = capture(WanPipeline)
    req = TextToVideo(
        prompt="wide shot, harbour, dawn",
        width=W,
        height=H,
        num_frames=13,
        fps=Fraction(24),
        steps=2,
        model=str(wan_t2v_model),
    )
    sink = CollectingSink()
    res = engine.generate(req, sink)
    # 13 frames at 24 fps = 0.54 s -> 9 frames (4k+1) at Wan's 16 fps
    assert (res.frames, res.fps) == (9, Fraction(16))
    assert sink.array().shape == (9, H, W, 3)
    assert any("native 16 fps" in n for n in res.notes)
    (call,) = calls
    assert call["num_frames"] == 9 and call["prompt_embeds"] is not None
    assert res.recipe["diffusers"]["variant"] == "t2v"


def test_remix_runs_video_to_video_on_the_source_frames(engine, wan_t2v_model, make_take, capture):
    take = make_take(11, n=9, width=W, height=H, fps=FPS)
    calls = capture(WanVideoToVideoPipeline)
    req = Remix.for_source(take, prompt="noir", strength=0.5, steps=4, model=str(wan_t2v_model))
    res = engine.generate(req, CollectingSink())
    assert res.frames == 9
    (call,) = calls
    assert call["strength"] == 0.5
    source = mp4_frames(take)
    got = [as_array(im) for im in call["video"]]
    assert len(got) == 9
    assert max(np.abs(g.astype(int) - s).mean() for g, s in zip(got, source, strict=True)) < 1


def test_text_to_video_model_refuses_extend_before_loading(wan_t2v_model, make_take):
    from engine.backends.diffusers import DiffusersEngine

    fresh = DiffusersEngine()
    take = make_take(12, n=9, width=W, height=H, fps=FPS)
    with pytest.raises(
        UnsupportedOperation, match="cannot do extend.*it can do: remix, text to video"
    ):
        fresh.prepare(Extend.for_source(take, prompt="x", num_frames=4, model=str(wan_t2v_model)))
    assert fresh.loads == 0


def test_vace_extends_forward_on_the_whole_tail(engine, wan_vace_model, make_take, capture):
    take = make_take(13, n=9, width=W, height=H, fps=FPS)
    calls = capture(WanVACEPipeline)
    sink = CollectingSink()
    res = engine.generate(
        Extend.for_source(
            take, prompt="the ferry leaves", num_frames=5, steps=2, model=str(wan_vace_model)
        ),
        sink,
    )
    assert res.frames == 5 and len(sink.frames) == 5
    (call,) = calls
    assert call["num_frames"] == 9  # 4 tail frames + 5 new = 9 (4k+1)
    assert _mask_values(call) == [0] * 4 + [255] * 5  # keep the tail, make the rest
    video = [as_array(f) for f in call["video"]]
    assert all(np.array_equal(v, t) for v, t in zip(video[:4], pngs(take.tail), strict=True))
    assert all((v == 128).all() for v in video[4:])
    assert res.recipe["diffusers"]["window"] == {"frames": 9, "keep_start": 4, "keep_end": 9}


def test_vace_extends_backward_on_the_head(engine, wan_vace_model, make_take, capture):
    take = make_take(14, n=9, width=W, height=H, fps=FPS)
    calls = capture(WanVACEPipeline)
    res = engine.generate(
        Extend.for_source(
            take, prompt="x", num_frames=3, steps=2, direction="backward", model=str(wan_vace_model)
        ),
        CollectingSink(),
    )
    assert res.frames == 3
    (call,) = calls
    assert call["num_frames"] == 9  # 3 new + 4 head = 7 -> a 9-frame window
    assert _mask_values(call) == [255] * 5 + [0] * 4
    video = [as_array(f) for f in call["video"]]
    assert all(np.array_equal(v, h) for v, h in zip(video[5:], pngs(take.head), strict=True))
    assert res.recipe["diffusers"]["window"] == {"frames": 9, "keep_start": 2, "keep_end": 5}


def test_vace_bridge_and_loop(engine, wan_vace_model, make_take, capture):
    a = make_take(15, n=9, width=W, height=H, fps=FPS)
    b = make_take(16, n=9, width=W, height=H, fps=FPS)
    calls = capture(WanVACEPipeline)
    res = engine.generate(
        Bridge.for_source(
            a, source_b=b, prompt="x", num_frames=2, steps=2, model=str(wan_vace_model)
        ),
        CollectingSink(),
    )
    # 4 (A's tail) + n + 4 (B's head) must be 4k+1: n = 1 is the nearest to 2
    assert res.frames == 1 and any("snapped to 1" in n for n in res.notes)
    (call,) = calls
    assert _mask_values(call) == [0] * 4 + [255] + [0] * 4
    video = [as_array(f) for f in call["video"]]
    assert all(np.array_equal(v, t) for v, t in zip(video[:4], pngs(a.tail), strict=True))
    assert all(np.array_equal(v, h) for v, h in zip(video[5:], pngs(b.head), strict=True))

    calls.clear()
    res = engine.generate(
        Loop(
            prompt="x",
            width=W,
            height=H,
            num_frames=4,
            fps=Fraction(FPS),
            steps=2,
            model=str(wan_vace_model),
        ),
        CollectingSink(),
    )
    assert res.frames == 4
    keyframe, loop = calls
    assert keyframe["num_frames"] == 1 and keyframe.get("video") is None
    assert _mask_values(loop) == [0, 255, 255, 255, 0]
    video = [as_array(f) for f in loop["video"]]
    assert np.array_equal(video[0], video[-1])


def test_vace_pins_keyframes_anywhere(engine, wan_vace_model, make_take, capture):
    take = make_take(17, n=9, width=W, height=H, fps=FPS)
    calls = capture(WanVACEPipeline)
    req = ImageToVideo(
        images=(PinnedImage(take.head[0], 0), PinnedImage(take.head[1], 4)),
        prompt="x",
        width=W,
        height=H,
        num_frames=9,
        fps=Fraction(FPS),
        steps=2,
        model=str(wan_vace_model),
    )
    assert engine.generate(req, CollectingSink()).frames == 9
    (call,) = calls
    assert _mask_values(call) == [0, 255, 255, 255, 0, 255, 255, 255, 255]
    assert np.array_equal(as_array(call["video"][4]), pngs(take.head[1:2])[0])


@dataclasses.dataclass(frozen=True, kw_only=True)
class _WithReferences(TextToVideo):
    """A text-to-video request carrying an element's reference image (proposed API field)."""

    reference_images: tuple[Path, ...] = ()


def test_vace_uses_an_elements_reference_image(engine, wan_vace_model, make_take, capture):
    take = make_take(18, n=9, width=W, height=H, fps=FPS)
    calls = capture(WanVACEPipeline)
    req = _WithReferences(
        prompt="@Captain on deck",
        width=W,
        height=H,
        num_frames=5,
        fps=Fraction(FPS),
        steps=2,
        model=str(wan_vace_model),
        reference_images=(take.head[0],),
    )
    res = engine.generate(req, CollectingSink())
    assert res.frames == 5
    (call,) = calls
    (ref,) = call["reference_images"]
    assert np.array_equal(as_array(ref), pngs(take.head[:1])[0])
    assert res.recipe["diffusers"]["reference_images"] == [str(take.head[0])]


def test_first_last_frame_model_bridges_a_last_frame_to_b_first(
    engine, wan_flf2v_model, make_take, capture
):
    a = make_take(19, n=9, width=W, height=H, fps=FPS)
    b = make_take(20, n=9, width=W, height=H, fps=FPS)
    calls = capture(WanImageToVideoPipeline)
    sink = CollectingSink()
    res = engine.generate(
        Bridge.for_source(
            a, source_b=b, prompt="x", num_frames=7, steps=2, model=str(wan_flf2v_model)
        ),
        sink,
    )
    assert res.frames == 7 and len(sink.frames) == 7
    (call,) = calls
    assert call["num_frames"] == 9
    assert np.array_equal(as_array(call["image"]), pngs(a.tail[-1:])[0])
    assert np.array_equal(as_array(call["last_image"]), pngs(b.head[:1])[0])
    # ... and it refuses a keyframe in the middle with a message that says what to use instead
    mid = ImageToVideo(
        images=(PinnedImage(a.head[0], 0), PinnedImage(a.head[1], 4)),
        prompt="x",
        width=W,
        height=H,
        num_frames=9,
        fps=Fraction(FPS),
        model=str(wan_flf2v_model),
    )
    with pytest.raises(RequestError, match="VACE or LTX-Video"):
        engine.prepare(mid)


def test_wan22_ti2v_animates_a_first_frame_and_extends_forward(
    engine, wan_ti2v_model, make_take, capture
):
    take = make_take(21, n=9, width=W, height=H, fps=24)
    calls = capture(WanImageToVideoPipeline)
    res = engine.generate(
        Extend.for_source(take, prompt="x", num_frames=4, steps=2, model=str(wan_ti2v_model)),
        CollectingSink(),
    )
    assert res.frames == 4
    (call,) = calls
    assert np.array_equal(as_array(call["image"]), pngs(take.tail[-1:])[0])
    assert res.recipe["diffusers"]["variant"] == "ti2v"
    assert res.recipe["diffusers"]["window"] == {"frames": 5, "keep_start": 1, "keep_end": 5}
    with pytest.raises(UnsupportedOperation, match="extend backward"):
        engine.prepare(
            Extend.for_source(
                take, prompt="x", num_frames=4, direction="backward", model=str(wan_ti2v_model)
            )
        )


def test_vace_extend_carries_the_apps_whole_tail_across_the_join(
    engine, wan_vace_model, make_take, capture
):
    """With the tail the app keeps (HEAD_TAIL_FRAMES lossless PNGs), VACE extend pins every
    one of them unmasked at the window's start: the frames the model continues from are the
    take's own last frames (PSNR against the tail: lossless), not one still."""
    from engine.media import HEAD_TAIL_FRAMES

    take = make_take(21, n=12, width=W, height=H, fps=FPS, k=HEAD_TAIL_FRAMES)
    calls = capture(WanVACEPipeline)
    res = engine.generate(
        Extend.for_source(take, prompt="x", num_frames=8, steps=2, model=str(wan_vace_model)),
        CollectingSink(),
    )
    assert res.frames == 8
    (call,) = calls
    k = HEAD_TAIL_FRAMES
    assert _mask_values(call)[:k] == [0] * k and set(_mask_values(call)[k:]) == {255}
    video = [as_array(f).astype(np.float64) for f in call["video"]]
    for got, want in zip(video[:k], pngs(take.tail), strict=True):
        mse = np.mean((got - want.astype(np.float64)) ** 2)
        assert mse == 0 or 10 * np.log10(255.0**2 / mse) > 50
    (pinned,) = res.recipe["diffusers"]["conditioning_frames"]
    assert pinned["frames"] == k and pinned["frame_index"] == 0
