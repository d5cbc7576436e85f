"""Long shots in one call of diffusers' LTXI2VLongMultiPromptPipeline (tiny random LTX model).

The tiny VAE compresses 4x in time, so a pipeline window overlaps the one before by 3 latent
frames = 12 frames here (24 on a real LTX-Video).
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("diffusers")
pytest.importorskip("transformers")

from diffusers import LTXI2VLongMultiPromptPipeline  # noqa: E402

from engine.api import (  # noqa: E402
    Cancelled,
    CancelToken,
    LongShot,
    RequestError,
    ShotWindow,
    TextToVideo,
)
from engine.job import run_job  # noqa: E402
from engine.media import HEAD_TAIL_FRAMES, probe, read_frames  # noqa: E402
from previz.cli.main import run  # noqa: E402
from tests.engine_diffusers.helpers import cli  # noqa: E402

pytestmark = pytest.mark.timeout(600)

W, H = 96, 64


def _shot(model: Path, **kw) -> LongShot:  # type: ignore[no-untyped-def]
    fields = dict(
        prompt="wide, a ferry leaves",
        windows=(
            ShotWindow(0, 16, "wide, a ferry leaves the pier"),
            ShotWindow(16, 32, "the ferry turns toward camera"),
            ShotWindow(32, 45, "the ferry docks"),
        ),
        width=W,
        height=H,
        num_frames=45,
        fps=Fraction(24),
        steps=2,
        seed=5,
        model=str(model),
    )
    fields.update(kw)
    return LongShot(**fields)


def test_a_long_shot_is_one_pipeline_call_cut_into_windows(
    engine, ltx_distilled_model, tmp_path, capture, monkeypatch
):
    from diffusers import AutoencoderKLLTXVideo

    from engine.backends.diffusers.ltx import LONG_DECODE_TILE

    calls = capture(LTXI2VLongMultiPromptPipeline)
    decoded: list[int] = []
    original = AutoencoderKLLTXVideo.decode

    def spy(self, z, *a, **k):  # type: ignore[no-untyped-def]
        decoded.append(int(z.shape[2]))
        return original(self, z, *a, **k)

    monkeypatch.setattr(AutoencoderKLLTXVideo, "decode", spy)
    events: list = []
    out = run_job(engine, _shot(ltx_distilled_model), tmp_path / "job", progress=events.append)
    (call,) = calls  # the whole shot in ONE call, not one per window
    # 45 frames -> the model's 4k+1 = 45; each pipeline window is the planned 16 frames plus a
    # 12-frame overlap with the one before
    assert call["num_frames"] == 45
    # decoded a few latent frames at a time (45 frames = 12 latent frames here), not whole
    assert len(decoded) == 2 and max(decoded) == LONG_DECODE_TILE + 1
    assert (call["temporal_tile_size"], call["temporal_overlap"]) == (28, 12)
    texts = [s["text"] for s in call["prompt_segments"]]
    assert texts == [
        "wide, a ferry leaves the pier",
        "the ferry turns toward camera",
        "the ferry docks",
    ]
    assert call["sigmas"][0] == 1.0 and call["sigmas"][-1] == 0.0  # runs to the end
    assert call["max_sequence_length"] == 256  # a long prompt is read as far as one window's
    # the same noise levels a one-window call (LTXConditionPipeline) goes through
    run_job(
        engine,
        TextToVideo(
            prompt="a pier",
            width=W,
            height=H,
            num_frames=9,
            steps=2,
            model=str(ltx_distilled_model),
        ),
        tmp_path / "one",
    )
    one = [float(x) for x in engine._loaded.pipe.scheduler.sigmas]
    assert call["sigmas"] == pytest.approx(one)
    # one clip per planned window, with the lossless head/tail chained windows have
    assert [f.num_frames for f in out.windows] == [16, 16, 13]
    for k, f in enumerate(out.windows):
        d = tmp_path / "job" / f"w{k:02d}"
        assert probe(d / f.video)[0] == f.num_frames
        assert len(f.tail) == HEAD_TAIL_FRAMES and all((d / p).exists() for p in f.tail)
    # windows after the first are colour-matched to the first window's tail
    assert "color_match" not in out.window_recipes[0]
    for r in out.window_recipes[1:]:
        assert all(p.startswith("w00/tail/") for p in r["color_match"]["reference_frames"])
    rec = out.result.recipe
    assert rec["operation"] == "long" and [w["end"] for w in rec["windows"]] == [16, 32, 45]
    lp = rec["diffusers"]["long_pipeline"]
    assert lp["pipeline"] == "LTXI2VLongMultiPromptPipeline"
    assert [w["prompt"] for w in lp["windows"]] == texts
    # progress runs once through every window's steps, with previews
    denoise = [e for e in events if e.stage.startswith("denoise")]
    assert [e.step for e in denoise] == list(range(1, 7)) and denoise[-1].total == 6
    assert any(e.preview is not None for e in denoise)


def test_the_same_long_shot_twice_gives_the_same_frames(engine, ltx_distilled_model, tmp_path):
    a = run_job(engine, _shot(ltx_distilled_model), tmp_path / "a")
    b = run_job(engine, _shot(ltx_distilled_model), tmp_path / "b")
    c = run_job(engine, _shot(ltx_distilled_model, seed=6), tmp_path / "c")

    def frames(root: Path, out) -> np.ndarray:  # type: ignore[no-untyped-def]
        from engine.api import SegmentRef

        segs = [
            SegmentRef(root / f"w{k:02d}" / f.video, 0, f.num_frames)
            for k, f in enumerate(out.windows)
        ]
        return np.stack(list(read_frames(segs)))

    fa, fb, fc = frames(tmp_path / "a", a), frames(tmp_path / "b", b), frames(tmp_path / "c", c)
    assert fa.shape == (45, H, W, 3)
    assert np.array_equal(fa, fb)
    assert not np.array_equal(fa, fc)


def test_cancel_during_the_call_leaves_no_window(engine, ltx_distilled_model, tmp_path):
    token = CancelToken()
    seen = []

    def progress(ev):  # type: ignore[no-untyped-def]
        seen.append(ev)
        if ev.stage.startswith("denoise") and ev.step >= 3:  # inside the second window
            token.cancel()

    with pytest.raises(Cancelled):
        run_job(
            engine, _shot(ltx_distilled_model), tmp_path / "job", progress=progress, cancel=token
        )
    assert not list((tmp_path / "job").glob("w*"))


def test_windows_must_cover_the_shot():
    with pytest.raises(RequestError, match="without gaps"):
        LongShot(windows=(ShotWindow(0, 8, "a"), ShotWindow(9, 16, "b")), num_frames=16)
    with pytest.raises(RequestError, match="not at the shot's"):
        LongShot(windows=(ShotWindow(0, 8, "a"),), num_frames=16)


def test_through_the_app_the_pipeline_is_used_and_a_window_can_be_rerolled(
    tmp_path: Path, capsys, ltx_distilled_model: Path
) -> None:
    d = tmp_path / "Long.previz"
    cli(capsys, "new", d, "--fps", "24", "--size", "96x64")
    cli(
        capsys,
        "shot",
        "add",
        d,
        "--prompt",
        "WIDE, a ferry. 0-1 s: it leaves the pier; 1-2 s: it turns",
        "--duration",
        "48f",
    )
    cli(capsys, "models", "add", ltx_distilled_model, "--default", "--json")
    take = cli(capsys, "generate", d, "0010", "--steps", "2", "--seed", "3", "--json")
    r = take["recipe"]
    assert take["frame_count"] == 48 and r["long_method"] == "pipeline"
    assert "long-video pipeline" in r["method"]
    call = r["call"]["diffusers"]["long_pipeline"]
    assert call["pipeline"] == "LTXI2VLongMultiPromptPipeline"
    # each timed section's prompt reached the pipeline window that starts in it
    assert [w["prompt"] for w in call["windows"]] == [
        "WIDE, a ferry. it leaves the pier",
        "WIDE, a ferry. it turns",
    ]
    assert len(take["segments"]) == 2
    # re-rolling window 2 continues window 1's tail by chaining; window 1 is kept as it is
    again = cli(
        capsys,
        "generate",
        d,
        "0010",
        "--reroll-from",
        "2",
        "--take",
        "1",
        "--steps",
        "2",
        "--seed",
        "9",
        "--json",
    )
    assert again["recipe"]["long_method"] == "chain" and again["frame_count"] == 48
    assert again["segments"][:1] == take["segments"][:1]
    assert again["segments"][1] != take["segments"][1]
    cond = again["recipe"]["window_recipes"][0]["conditioning"]["source"]["tail"]
    assert cond and all("/w00/tail/" in p for p in cond)
    # all 9 lossless tail frames are pinned (4k+1 here, 8k+1 on a real LTX): motion, not a still
    pinned = again["recipe"]["window_recipes"][0]["diffusers"]["conditioning_frames"]
    assert [c["frames"] for c in pinned] == [HEAD_TAIL_FRAMES] == [9]
    # asking for chaining by name chains every window
    chained = cli(capsys, "generate", d, "0010", "--steps", "2", "--long-method", "chain", "--json")
    assert chained["recipe"]["long_method"] == "chain" and "call" not in chained["recipe"]
    # the first window was snapped to the model's 4k+1 (25 frames); the next made one fewer,
    # so the take is still the shot's 48 frames, and the recipe says where each window lies
    assert chained["frame_count"] == 48
    assert [(w["start"], w["end"]) for w in chained["recipe"]["windows"]] == [(0, 25), (25, 48)]


def test_the_pipeline_method_is_refused_clearly_where_there_is_none(tmp_path: Path, capsys):
    d = tmp_path / "Anim.previz"
    cli(capsys, "new", d, "--fps", "24", "--size", "128x72")
    cli(capsys, "shot", "add", d, "--prompt", "WIDE, a ferry", "--duration", "96f")
    code = run(
        [
            "generate",
            str(d),
            "0010",
            "--engine",
            "animatic",
            "--window",
            "48f",
            "--long-method",
            "pipeline",
        ]
    )
    err = capsys.readouterr().err
    assert code != 0 and "no long-video pipeline" in err and "Traceback" not in err


def test_streamed_decode_is_diffusers_temporal_tiling_in_pieces(ltx_distilled_model) -> None:
    """The long call's decode yields exactly what the VAE's own temporal tiling returns, a few
    latent frames at a time (so a minute-long shot is never decoded whole)."""
    import torch
    from diffusers import AutoencoderKLLTXVideo

    from engine.backends.diffusers.common import stream_temporal_decode

    vae = AutoencoderKLLTXVideo.from_pretrained(str(ltx_distilled_model), subfolder="vae").eval()
    t = vae.temporal_compression_ratio
    tile, stride = 4, 3
    vae.tile_sample_min_num_frames, vae.tile_sample_stride_num_frames = tile * t, stride * t
    z = torch.randn(
        1, vae.config.latent_channels, 11, 4, 6, generator=torch.Generator().manual_seed(1)
    )
    seen: list[int] = []

    def decode(x):  # type: ignore[no-untyped-def]
        seen.append(int(x.shape[2]))
        with torch.no_grad():
            return vae.decoder(x, None)

    with torch.no_grad():
        whole = vae._temporal_tiled_decode(z, None, return_dict=False)[0]
    pieces = list(stream_temporal_decode(decode, z, t, tile, stride))
    streamed = torch.cat(pieces, dim=2)
    assert streamed.shape == whole.shape and whole.shape[2] == (11 - 1) * t + 1
    assert torch.allclose(streamed, whole, atol=1e-5)
    assert len(pieces) > 2 and max(seen) <= tile + 1  # never more than one tile at a time


def test_a_minute_long_shot_validates_and_plans_its_windows_without_loading(
    ltx_distilled_model,
) -> None:
    from engine.backends.diffusers import DiffusersEngine

    fresh = DiffusersEngine()
    wins = tuple(ShotWindow(i * 240, (i + 1) * 240, f"part {i + 1}") for i in range(6))
    req = LongShot(
        windows=wins, num_frames=1440, width=W, height=H, steps=2, model=str(ltx_distilled_model)
    )
    prepared, notes = fresh.prepare(req)
    # a minute at 24 fps is accepted as it is: no frame-rule snap, no one-window limit
    assert prepared.num_frames == 1440 and prepared.windows == wins and not notes
    adapter = fresh.adapter_for(str(ltx_distilled_model))
    made, tile, overlap, tiles = adapter.long_tiles(prepared)
    assert made == 1441  # the model's 4k+1 at least 1440; the last frame is dropped
    assert (tile, overlap) == (252, 12)  # a planned window plus the overlap, within 257
    assert tiles[0] == (0, 63) and tiles[-1][1] == 361 and len(tiles) == 6
    prompts = adapter.long_prompts(prepared, tiles, overlap)
    assert prompts == [f"part {i + 1}" for i in range(6)]
    assert fresh.loads == 0


def test_the_long_call_uses_the_models_own_noise_schedule(
    ltx_distilled_model, tmp_path, capture
) -> None:
    """With a scheduler that shifts its schedule (as real checkpoints' configs may), the long
    call still goes through exactly the noise levels a one-window call does."""
    from diffusers import FlowMatchEulerDiscreteScheduler

    from engine.backends.diffusers import DiffusersEngine

    fresh = DiffusersEngine(preview_interval_s=1e9)
    one = TextToVideo(
        prompt="a pier", width=W, height=H, num_frames=9, steps=3, model=str(ltx_distilled_model)
    )
    run_job(fresh, one, tmp_path / "warm")  # loads the model
    fresh._loaded.pipe.scheduler = FlowMatchEulerDiscreteScheduler(shift=3.0)
    calls = capture(LTXI2VLongMultiPromptPipeline)
    run_job(fresh, _shot(ltx_distilled_model, steps=3), tmp_path / "long")
    run_job(fresh, one, tmp_path / "one")
    window = [float(x) for x in fresh._loaded.pipe.scheduler.sigmas]
    (call,) = calls
    assert call["sigmas"] == pytest.approx(window)
    assert window[1] > 0.975 + 0.01  # the shift moved the schedule: this compares something
