"""SkyReels-V2 diffusion forcing end to end on a tiny random model: text to video, extend forward
on a take's tail, image to video, and a long shot in ONE pipeline call.

The tiny model's Wan VAE compresses 4x in time (frame counts 4k+1). Its long-shot window is
cut to 17 frames here (``base``, monkeypatched: a real DF checkpoint's is 97 or 121), so a
31-frame shot already takes three pipeline windows and the decode stays quick on a CPU.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("diffusers")
pytest.importorskip("transformers")

from diffusers import (  # noqa: E402
    SkyReelsV2DiffusionForcingImageToVideoPipeline,
    SkyReelsV2DiffusionForcingPipeline,
    SkyReelsV2DiffusionForcingVideoToVideoPipeline,
)

from engine.api import (  # noqa: E402
    Bridge,
    Cancelled,
    CancelToken,
    CollectingSink,
    Extend,
    ImageToVideo,
    LongShot,
    PinnedImage,
    RequestError,
    ShotWindow,
    TextToVideo,
    UnsupportedOperation,
)
from engine.backends.diffusers.skyreels import SkyReelsAdapter  # noqa: E402
from engine.job import run_job  # noqa: E402
from engine.media import HEAD_TAIL_FRAMES, probe  # noqa: E402
from tests.engine_diffusers.helpers import as_array, cli, pngs  # noqa: E402

pytestmark = pytest.mark.timeout(600)

W, H = 64, 64
PROMPT = "wide, a ferry leaves the harbour"


@pytest.fixture
def base(monkeypatch: pytest.MonkeyPatch) -> int:
    """A 17-frame model window (base_num_frames) for the tiny model: long shots stay short."""
    monkeypatch.setattr(SkyReelsAdapter, "max_frames", property(lambda self: 17))
    return 17


@pytest.fixture
def decoded(monkeypatch: pytest.MonkeyPatch) -> list:
    """The videos the adapter decoded (1, 3, F, H, W), to check which frames were output."""
    seen: list = []
    original = SkyReelsAdapter._decode

    def spy(self, ctx, latents):  # type: ignore[no-untyped-def]
        video = original(self, ctx, latents)
        seen.append(video.detach().clone())
        return video

    monkeypatch.setattr(SkyReelsAdapter, "_decode", spy)
    return seen


def _uint8(video, i: int) -> np.ndarray:  # type: ignore[no-untyped-def]
    f = ((video[0, :, i].float().clamp(-1, 1) + 1) * 127.5).round().byte()
    return f.permute(1, 2, 0).numpy()


def _shot(  # type: ignore[no-untyped-def]
    model: Path, prompts: tuple[str, str, str] = (PROMPT,) * 3, **kw
) -> LongShot:
    fields = dict(
        prompt=prompts[0],
        windows=(
            ShotWindow(0, 12, prompts[0]),
            ShotWindow(12, 24, prompts[1]),
            ShotWindow(24, 31, prompts[2]),
        ),
        width=W,
        height=H,
        num_frames=31,
        fps=Fraction(24),
        steps=2,
        seed=5,
        model=str(model),
    )
    fields.update(kw)
    return LongShot(**fields)


def test_text_to_video_makes_the_snapped_frames_with_the_df_pipeline(
    engine, skyreels_model, capture
):
    calls = capture(SkyReelsV2DiffusionForcingPipeline)
    events: list = []
    req = TextToVideo(
        prompt=PROMPT,
        width=W,
        height=H,
        num_frames=12,
        fps=Fraction(24),
        steps=2,
        seed=1,
        model=str(skyreels_model),
    )
    sink = CollectingSink()
    res = engine.generate(req, sink, events.append)
    # 12 frames -> the nearest 4k+1 (13) at the model's native 24 fps
    assert res.frames == 13 and res.fps == Fraction(24)
    assert any("snapped" in n for n in res.notes)
    assert sink.array().shape == (res.frames, H, W, 3)
    (call,) = calls
    assert call["num_frames"] == res.frames and call["output_type"] == "latent"
    assert call["prompt"] is None and call["prompt_embeds"] is not None
    assert call["ar_step"] == 0 and call["base_num_frames"] == 97  # uncatalogued: 540P window
    assert call.get("overlap_history") is None and call["fps"] == 24  # one window
    d = res.recipe["diffusers"]
    assert d["family"] == "skyreels" and d["variant"] == "df"
    assert d["pipeline"] == "SkyReelsV2DiffusionForcingPipeline"
    assert d["df_call"]["pipeline"] == "SkyReelsV2DiffusionForcingPipeline"
    assert res.recipe["guidance"] == 6.0  # the DF default
    denoise = [e for e in events if e.stage == "denoise"]
    assert [e.step for e in denoise] == [1, 2] and denoise[-1].preview is not None


def test_extend_forward_continues_the_lossless_tail_and_outputs_only_new_frames(
    engine, skyreels_model, make_take, capture, decoded
):
    take = make_take(31, n=12, width=W, height=H, fps=24, k=8)
    calls = capture(SkyReelsV2DiffusionForcingVideoToVideoPipeline)
    sink = CollectingSink()
    res = engine.generate(
        Extend.for_source(take, prompt=PROMPT, num_frames=8, steps=2, model=str(skyreels_model)),
        sink,
    )
    assert res.frames == 8 and len(sink.frames) == 8
    (call,) = calls
    # the tail's last 5 frames (the longest 4k+1 run of its 8) are the clean prefix
    assert call["overlap_history"] == 5 and call["num_frames"] == 13  # 5 + 8 new
    video = [as_array(f) for f in call["video"]]
    assert len(video) == 5
    assert all(np.array_equal(v, t) for v, t in zip(video, pngs(take.tail[-5:]), strict=True))
    assert call["addnoise_condition"] == 20.0
    d = res.recipe["diffusers"]
    assert d["window"] == {"frames": 13, "keep_start": 5, "keep_end": 13}
    assert d["df_call"]["pipeline"] == "SkyReelsV2DiffusionForcingVideoToVideoPipeline"
    assert d["conditioning_frames"][0]["paths"] == [str(p) for p in take.tail[-5:]]
    # what was output is the decoded window after the prefix, not the re-decoded tail
    (window,) = decoded
    assert window.shape[2] == 13
    assert all(np.array_equal(sink.frames[i], _uint8(window, 5 + i)) for i in range(8))


def test_image_to_video_animates_a_first_frame_and_refuses_other_pins(
    engine, skyreels_model, make_take, capture
):
    take = make_take(32, n=9, width=W, height=H, fps=24)
    calls = capture(SkyReelsV2DiffusionForcingImageToVideoPipeline)
    req = ImageToVideo(
        images=(PinnedImage(take.head[0], 0),),
        prompt=PROMPT,
        width=W,
        height=H,
        num_frames=9,
        fps=Fraction(24),
        steps=2,
        model=str(skyreels_model),
    )
    res = engine.generate(req, CollectingSink())
    assert res.frames == 9
    (call,) = calls
    assert np.array_equal(as_array(call["image"]), pngs(take.head[:1])[0])
    last = ImageToVideo(
        images=(PinnedImage(take.head[0], -1),),
        prompt=PROMPT,
        width=W,
        height=H,
        num_frames=9,
        fps=Fraction(24),
        model=str(skyreels_model),
    )
    with pytest.raises(RequestError, match="first frame only"):
        engine.prepare(last)


def test_backward_extend_and_bridge_are_refused_before_loading(skyreels_model, make_take):
    from engine.backends.diffusers import DiffusersEngine

    fresh = DiffusersEngine()
    take = make_take(33, n=9, width=W, height=H, fps=24)
    back = Extend.for_source(
        take, prompt="x", num_frames=4, direction="backward", model=str(skyreels_model)
    )
    with pytest.raises(UnsupportedOperation, match="cannot extend backward.*VACE or an LTX"):
        fresh.prepare(back)
    with pytest.raises(UnsupportedOperation, match="cannot do bridge"):
        fresh.prepare(
            Bridge.for_source(
                take, source_b=take, prompt="x", num_frames=4, model=str(skyreels_model)
            )
        )
    assert fresh.loads == 0


def test_a_long_shot_is_one_df_call_cut_into_windows(
    engine, skyreels_model, base, tmp_path, capture
):
    calls = capture(SkyReelsV2DiffusionForcingPipeline)
    events: list = []
    out = run_job(engine, _shot(skyreels_model), tmp_path / "job", progress=events.append)
    (call,) = calls  # the whole shot in ONE call, not one per window
    # 31 frames rounded up to the model's 4k+1 (33); the 2 extra frames at the end are dropped
    assert call["num_frames"] == 33 > call["base_num_frames"] == base
    assert call["overlap_history"] == 5  # 17 does not fit a 17-frame window: 5 (4k+1)
    assert call["addnoise_condition"] == 20.0 and call["ar_step"] == 0
    # one clip per planned window, each with its lossless tail
    assert [f.num_frames for f in out.windows] == [12, 12, 7]
    for k, f in enumerate(out.windows):
        d = tmp_path / "job" / f"w{k:02d}"
        assert probe(d / f.video)[0] == f.num_frames
        assert len(f.tail) == min(HEAD_TAIL_FRAMES, f.num_frames) and all(
            (d / p).exists() for p in f.tail
        )
    rec = out.result.recipe
    assert rec["operation"] == "long" and out.result.frames == 31
    assert rec["diffusers"]["window"] == {"frames": 33, "keep_start": 0, "keep_end": 31}
    lp = rec["diffusers"]["long_pipeline"]
    assert lp["pipeline"] == "SkyReelsV2DiffusionForcingPipeline" and lp["prompt"] == PROMPT
    assert (lp["frames_made"], lp["base_num_frames"], lp["overlap_history"]) == (33, 17, 5)
    # 9 latent frames in windows of 5 sharing 2: three pipeline windows
    spans = [(i["latent_start"], i["latent_end"]) for i in lp["iterations"]]
    assert spans == [(0, 5), (3, 8), (6, 9)]
    # progress runs once through every window's steps, with previews
    denoise = [e for e in events if e.stage.startswith("denoise")]
    assert [e.step for e in denoise] == list(range(1, 7)) and denoise[-1].total == 6
    assert any(e.preview is not None for e in denoise)


def test_a_long_shot_with_timed_prompts_is_refused_before_any_work(
    skyreels_model, tmp_path, capture
):
    from engine.backends.diffusers import DiffusersEngine

    fresh = DiffusersEngine()
    calls = capture(SkyReelsV2DiffusionForcingPipeline)
    shot = _shot(skyreels_model, prompts=(PROMPT, "the ferry turns", "the ferry docks"))
    with pytest.raises(RequestError, match=r"takes one prompt.*--long-method chain"):
        run_job(fresh, shot, tmp_path / "job")
    assert fresh.loads == 0 and not calls
    assert not (tmp_path / "job").exists() or not any((tmp_path / "job").iterdir())


def test_the_same_long_shot_twice_gives_the_same_frames(engine, skyreels_model, base):
    import torch

    def frames(**kw) -> np.ndarray:  # type: ignore[no-untyped-def]
        sink = CollectingSink()
        engine.generate(_shot(skyreels_model, **kw), sink)
        return sink.array()

    torch.manual_seed(1)
    a = frames()
    torch.manual_seed(2)  # the pipeline's conditioning noise must not depend on global state
    b = frames()
    c = frames(seed=6)
    assert a.shape == (31, H, W, 3)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_cancel_during_the_long_call_leaves_no_files(engine, skyreels_model, base, tmp_path):
    token = CancelToken()

    def progress(ev):  # type: ignore[no-untyped-def]
        if ev.stage.startswith("denoise") and ev.step >= 3:  # inside the second window
            token.cancel()

    with pytest.raises(Cancelled):
        run_job(engine, _shot(skyreels_model), tmp_path / "job", progress=progress, cancel=token)
    assert not list((tmp_path / "job").glob("w*"))
    assert not list((tmp_path / "job").rglob("*.mp4"))


def test_a_minute_long_shot_validates_and_moves_its_windows_to_the_native_rate(skyreels_model):
    from engine.backends.diffusers import DiffusersEngine

    fresh = DiffusersEngine()
    minute = _shot(
        skyreels_model,
        num_frames=1440,
        windows=(ShotWindow(0, 720, PROMPT), ShotWindow(720, 1440, PROMPT)),
    )
    prepared, _ = fresh.prepare(minute)
    assert prepared.num_frames == 1440  # no frame rule, no window limit for the long call
    at25 = _shot(
        skyreels_model,
        fps=Fraction(25),
        num_frames=50,
        windows=(ShotWindow(0, 25, PROMPT), ShotWindow(25, 50, PROMPT)),
    )
    prepared, notes = fresh.prepare(at25)
    assert prepared.fps == Fraction(24) and prepared.num_frames == 48
    assert [(w.start, w.end) for w in prepared.windows] == [(0, 24), (24, 48)]
    assert any("native 24 fps" in n for n in notes)
    assert fresh.loads == 0


def test_through_the_app_one_prompt_is_one_call_and_timed_prompts_chain(
    tmp_path: Path, capsys, skyreels_model: Path
) -> None:
    d = tmp_path / "Sky.previz"
    cli(capsys, "new", d, "--fps", "24", "--size", "64x64")
    cli(capsys, "shot", "add", d, "--prompt", "WIDE, a ferry crosses", "--duration", "105f")
    cli(capsys, "models", "add", skyreels_model, "--default", "--json")
    take = cli(capsys, "generate", d, "0010", "--steps", "2", "--seed", "3", "--json")
    r = take["recipe"]
    # one prompt, longer than the model's 97-frame window: the DF pipeline's long mode, one call
    assert r["long_method"] == "pipeline" and take["frame_count"] == 105
    lp = r["call"]["diffusers"]["long_pipeline"]
    assert lp["pipeline"] == "SkyReelsV2DiffusionForcingPipeline"
    assert (lp["frames_made"], lp["base_num_frames"], lp["overlap_history"]) == (105, 97, 17)
    assert len(lp["iterations"]) == 2 and len(take["segments"]) == len(r["windows"]) >= 2
    # timed prompts: the DF pipeline takes one prompt, so "auto" chains windows instead, and
    # the second window continues the first one's lossless tail through the V2V pipeline
    cli(
        capsys,
        "shot",
        "add",
        d,
        "--prompt",
        "WIDE, a ferry. 0-2 s: it leaves the pier; 2-5 s: it turns",
        "--duration",
        "105f",
    )
    chained = cli(capsys, "generate", d, "0020", "--steps", "2", "--seed", "3", "--json")
    r = chained["recipe"]
    assert r["long_method"] == "chain" and chained["frame_count"] == 105 and "call" not in r
    first, second = r["window_recipes"]
    assert first["diffusers"]["df_call"]["pipeline"] == "SkyReelsV2DiffusionForcingPipeline"
    df = second["diffusers"]["df_call"]
    assert df["pipeline"] == "SkyReelsV2DiffusionForcingVideoToVideoPipeline"
    assert df["overlap_history"] == 9  # all 9 (4k+1) lossless tail frames
    tail = second["diffusers"]["conditioning_frames"][0]["paths"]
    assert len(tail) == 9 and all("/w00/tail/" in p for p in tail)
