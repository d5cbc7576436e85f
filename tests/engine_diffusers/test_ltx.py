"""LTX-Video end to end on a tiny random model: every operation, and what the pipeline was given.

The tiny model's VAE compresses 4x in space and time, so its frame counts are 4k+1 (a real
LTX-Video is 8k+1: the rules are read from the model's configs, not hard-coded).
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("diffusers")
pytest.importorskip("transformers")

from diffusers import LTXConditionPipeline  # noqa: E402

from engine.api import (  # noqa: E402
    Bridge,
    CollectingSink,
    Extend,
    ImageToVideo,
    Loop,
    PinnedImage,
    Remix,
    TextToVideo,
)
from engine.backends.diffusers.ltx import DISTILLED_TIMESTEPS, LTXAdapter  # noqa: E402
from engine.job import run_job  # noqa: E402
from engine.media import HEAD_TAIL_FRAMES, probe  # noqa: E402
from tests.engine_diffusers.helpers import as_array, mp4_frames, pngs  # noqa: E402

W, H = 96, 64


@pytest.fixture
def decoded(monkeypatch: pytest.MonkeyPatch) -> list:
    """The videos the LTX adapter decoded (1, 3, F, H, W), to check which frames were output."""
    seen: list = []
    original = LTXAdapter._decode

    def spy(self, ctx, latents):  # type: ignore[no-untyped-def]
        video = original(self, ctx, latents)
        seen.append(video.detach().clone())
        return video

    monkeypatch.setattr(LTXAdapter, "_decode", spy)
    return seen


def _uint8(video, i: int) -> np.ndarray:  # type: ignore[no-untyped-def]
    f = ((video[0, :, i].float().clamp(-1, 1) + 1) * 127.5).round().byte()
    return f.permute(1, 2, 0).numpy()


def test_text_to_video_is_snapped_encoded_and_recorded(engine, ltx_model: Path, tmp_path: Path):
    req = TextToVideo(
        prompt="wide shot, a woman walks left, dusk",
        width=100,
        height=70,
        num_frames=10,
        fps=Fraction(24),
        steps=2,
        model=str(ltx_model),
    )
    out = run_job(engine, req, tmp_path / "job")
    res = out.result
    # snapped to what the model makes (multiples of 32, 4k+1 frames) and the user is told
    assert (res.width, res.height, res.frames, res.fps) == (96, 64, 9, Fraction(24))
    assert any("width 100 snapped to 96" in n for n in res.notes)
    assert any("frame count 10 snapped to 9" in n for n in res.notes)
    assert any(n.startswith("memory plan:") for n in res.notes)
    # the clip on disk is what the take records
    frames, fps, w, h = probe(tmp_path / "job" / out.files.video)
    assert (frames, fps, w, h) == (9, Fraction(24), 96, 64)
    assert out.files.num_frames == 9
    assert len(out.files.head) == len(out.files.tail) == HEAD_TAIL_FRAMES
    r = res.recipe
    assert (r["width"], r["height"], r["num_frames"], r["steps"]) == (96, 64, 9, 2)
    assert r["memory_plan"] == "full"
    assert r["diffusers"]["family"] == "ltx"
    assert r["diffusers"]["pipeline"] == "LTXConditionPipeline"
    assert r["diffusers"]["dtype"] == "float32"  # the CPU runs in float32


def test_image_to_video_pins_each_still_at_its_frame(engine, ltx_model, make_take, capture):
    take = make_take(3)
    calls = capture(LTXConditionPipeline)
    stills = [take.head[0], take.head[2], take.tail[-1]]
    req = ImageToVideo(
        images=(PinnedImage(stills[0], 0), PinnedImage(stills[1], 4), PinnedImage(stills[2], -1)),
        prompt="close shot",
        width=W,
        height=H,
        num_frames=9,
        steps=2,
        model=str(ltx_model),
    )
    sink = CollectingSink()
    res = engine.generate(req, sink)
    assert res.frames == 9 and sink.array().shape == (9, H, W, 3)
    (call,) = calls
    conds = call["conditions"]
    assert [c.frame_index for c in conds] == [0, 4, 8]
    for cond, still in zip(conds, pngs(stills), strict=True):
        assert np.array_equal(as_array(cond.image), still)


def test_extend_forward_conditions_on_the_lossless_tail_and_returns_only_new_frames(
    engine, ltx_model, make_take, capture, decoded
):
    take = make_take(1, k=5)  # 5 tail frames: one 4k+1 run, a video condition
    calls = capture(LTXConditionPipeline)
    sink = CollectingSink()
    req = Extend.for_source(
        take, prompt="she keeps walking", num_frames=6, steps=2, model=str(ltx_model)
    )
    res = engine.generate(req, sink)
    assert res.frames == 6 and sink.array().shape == (6, H, W, 3)
    (call,) = calls
    (cond,) = call["conditions"]
    assert cond.frame_index == 0
    got = [as_array(im) for im in cond.video]
    tail = pngs(take.tail)
    assert len(got) == 5 and all(np.array_equal(g, t) for g, t in zip(got, tail, strict=True))
    # ... the PNGs, not the re-encoded MP4 (which differs)
    mp4 = mp4_frames(take)[-5:]
    assert not all(np.array_equal(g, m) for g, m in zip(got, mp4, strict=True))
    # the window holds the 5 conditioning frames then the new ones; only the new ones come out
    assert call["num_frames"] == 13
    assert res.recipe["diffusers"]["window"] == {"frames": 13, "keep_start": 5, "keep_end": 11}
    (video,) = decoded
    for i, frame in enumerate(sink.frames):
        assert np.array_equal(frame, _uint8(video, 5 + i))


def test_extend_backward_pins_the_head_at_the_end_of_the_window(
    engine, ltx_model, make_take, capture, decoded
):
    take = make_take(2)  # 4 head frames: the first one, as an image
    calls = capture(LTXConditionPipeline)
    sink = CollectingSink()
    req = Extend.for_source(
        take,
        prompt="before that",
        num_frames=6,
        steps=2,
        direction="backward",
        model=str(ltx_model),
    )
    res = engine.generate(req, sink)
    assert res.frames == 6
    (call,) = calls
    (cond,) = call["conditions"]
    assert call["num_frames"] == 9
    assert cond.frame_index == 8  # the window's last frame
    assert np.array_equal(as_array(cond.image), pngs(take.head[:1])[0])
    assert res.recipe["diffusers"]["window"] == {"frames": 9, "keep_start": 2, "keep_end": 8}
    (video,) = decoded
    assert np.array_equal(sink.frames[-1], _uint8(video, 7))  # right before the head frame


def test_bridge_goes_from_a_tail_to_b_head(engine, ltx_model, make_take, capture):
    a, b = make_take(4, k=5), make_take(5)
    calls = capture(LTXConditionPipeline)
    req = Bridge.for_source(
        a, source_b=b, prompt="she turns", num_frames=8, steps=2, model=str(ltx_model)
    )
    sink = CollectingSink()
    res = engine.generate(req, sink)
    # 5 (A) + n + 1 (B) frames must be 4k+1: n = 7 is the nearest to the 8 asked for
    assert res.frames == 7 and len(sink.frames) == 7
    assert any("frame count 8 snapped to 7" in n for n in res.notes)
    (call,) = calls
    first, last = call["conditions"]
    assert call["num_frames"] == 13
    assert first.frame_index == 0 and last.frame_index == 12
    assert all(
        np.array_equal(as_array(g), t) for g, t in zip(first.video, pngs(a.tail), strict=True)
    )
    assert np.array_equal(as_array(last.image), pngs(b.head[:1])[0])


def test_loop_without_source_pins_one_keyframe_at_both_ends(engine, ltx_model, capture):
    calls = capture(LTXConditionPipeline)
    req = Loop(
        prompt="neon street, night, rain",
        width=W,
        height=H,
        num_frames=8,
        steps=2,
        model=str(ltx_model),
    )
    sink = CollectingSink()
    res = engine.generate(req, sink)
    assert res.frames == 8 and len(sink.frames) == 8
    keyframe_call, loop_call = calls
    assert keyframe_call["num_frames"] == 1 and "conditions" not in keyframe_call
    start, end = loop_call["conditions"]
    assert (start.frame_index, end.frame_index) == (0, 8)
    assert np.array_equal(as_array(start.image), as_array(end.image))


def test_loop_with_source_leads_from_its_tail_back_to_its_head(
    engine, ltx_model, make_take, capture
):
    take = make_take(6)
    calls = capture(LTXConditionPipeline)
    res = engine.generate(
        Loop.for_source(take, prompt="x", num_frames=7, steps=2, model=str(ltx_model)),
        CollectingSink(),
    )
    assert res.frames == 7
    (call,) = calls
    start, end = call["conditions"]
    assert (start.frame_index, end.frame_index) == (0, 8)
    assert np.array_equal(as_array(start.image), pngs(take.tail[-1:])[0])
    assert np.array_equal(as_array(end.image), pngs(take.head[:1])[0])


def test_remix_is_a_soft_video_condition_with_denoise_strength(
    engine, ltx_model, make_take, capture, events
):
    take = make_take(7)  # 12 frames: the remix makes the 9 (4k+1) it can
    calls = capture(LTXConditionPipeline)
    req = Remix.for_source(take, prompt="noir, rain", strength=0.6, steps=5, model=str(ltx_model))
    res = engine.generate(req, CollectingSink(), events.append)
    assert res.frames == 9
    assert any("lowered to 9" in n for n in res.notes)
    (call,) = calls
    (cond,) = call["conditions"]
    assert cond.frame_index == 0 and cond.strength == pytest.approx(0.4)
    assert call["denoise_strength"] == pytest.approx(0.6)
    source = mp4_frames(take)[:9]
    got = [as_array(im) for im in cond.video]
    assert len(got) == 9
    assert max(np.abs(g.astype(int) - s).mean() for g, s in zip(got, source, strict=True)) < 1
    denoise = [e for e in events if e.stage == "denoise"]
    assert [e.step for e in denoise] == [1, 2, 3]  # 60% of 5 steps


def test_distilled_checkpoint_runs_its_schedule_without_guidance(
    engine, ltx_distilled_model, capture
):
    calls = capture(LTXConditionPipeline)
    req = TextToVideo(
        prompt="wide shot", width=W, height=H, num_frames=9, model=str(ltx_distilled_model)
    )
    res = engine.generate(req, CollectingSink())
    (call,) = calls
    assert call["timesteps"] == list(DISTILLED_TIMESTEPS)
    assert call["guidance_scale"] == 1.0  # no classifier-free guidance
    assert call["image_cond_noise_scale"] == 0.0
    assert res.recipe["steps"] == 8 and res.recipe["guidance"] == 1.0
    assert res.recipe["diffusers"]["variant"] == "distilled"


def test_an_ltx_video_folder_saved_as_ltxpipeline_runs_too(engine, ltx_model, tmp_path):
    """The original Lightricks/LTX-Video repository names LTXPipeline; the condition pipeline
    loads the same components."""
    import json
    import shutil

    folder = tmp_path / "ltx-as-ltxpipeline"
    shutil.copytree(ltx_model, folder)
    index = json.loads((folder / "model_index.json").read_text())
    index["_class_name"] = "LTXPipeline"
    (folder / "model_index.json").write_text(json.dumps(index))
    res = engine.generate(
        TextToVideo(prompt="x", width=W, height=H, num_frames=5, steps=1, model=str(folder)),
        CollectingSink(),
    )
    assert res.frames == 5 and res.recipe["diffusers"]["pipeline"] == "LTXPipeline"
