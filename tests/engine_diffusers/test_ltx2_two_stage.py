"""LTX-2's two-stage path on a tiny random model with a tiny random latent upsampler built in
code: a first pass at half the size, the latents doubled by `LTX2LatentUpsamplePipeline`, a
short refine pass at full size over diffusers' stage-2 sigmas, the sound refined beside the
picture and as long as it (within a frame)."""

from __future__ import annotations

import shutil
import wave
from fractions import Fraction
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("diffusers")
pytest.importorskip("transformers")

from diffusers import LTX2ConditionPipeline, LTX2LatentUpsamplePipeline  # noqa: E402

from engine.api import Extend, TextToVideo  # noqa: E402
from engine.job import run_job  # noqa: E402
from engine.media import probe  # noqa: E402

pytestmark = pytest.mark.timeout(600)

W, H = 64, 64
FPS = Fraction(24)


def _folder(models_dir: Path, name: str, upsampler: bool) -> Path:
    from tests.engine_diffusers.tiny_ltx2 import add_latent_upsampler, build_ltx2

    base = models_dir / "tiny-ltx2"
    if not (base / "model_index.json").exists():
        build_ltx2(base)
    path = models_dir / name
    if not (path / "model_index.json").exists():
        shutil.copytree(base, path)
        if upsampler:
            add_latent_upsampler(path)
    return path


@pytest.fixture(scope="module")
def ltx2_distilled_up(models_dir: Path) -> Path:
    return _folder(models_dir, "tiny-ltx2-distilled-upsampler", upsampler=True)


@pytest.fixture(scope="module")
def ltx2_dev_up(models_dir: Path) -> Path:
    return _folder(models_dir, "tiny-ltx2-dev-upsampler", upsampler=True)


def _seconds(path: Path) -> float:
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / w.getframerate()


def _request(model: Path, **kw):  # type: ignore[no-untyped-def]
    return TextToVideo(
        prompt="wide, a ferry leaves the harbour at dusk",
        width=W,
        height=H,
        num_frames=9,
        fps=FPS,
        steps=2,
        guidance=1.0,
        model=str(model),
        options={"max_sequence_length": 32},
        **kw,
    )


def test_two_stage_take_has_the_asked_size_frames_and_sound(
    engine, ltx2_distilled_up, tmp_path, capture
):
    from diffusers.pipelines.ltx2.utils import STAGE_2_DISTILLED_SIGMA_VALUES

    calls = capture(LTX2ConditionPipeline)
    ups = capture(LTX2LatentUpsamplePipeline)
    out = run_job(engine, _request(ltx2_distilled_up), tmp_path / "t2v")
    files = out.files
    n, _, w, h = probe(tmp_path / "t2v" / files.video)
    assert (n, w, h) == (9, W, H)
    assert files.num_frames == 9 and files.audio is not None
    assert abs(_seconds(tmp_path / "t2v" / files.audio) - 9 / float(FPS)) <= 1 / float(FPS)
    # a first pass at half the size, an upsample, a refine pass at full size
    first, refine = calls
    assert (first["width"], first["height"]) == (W // 2, H // 2)
    assert (refine["width"], refine["height"]) == (W, H)
    assert refine["sigmas"] == list(STAGE_2_DISTILLED_SIGMA_VALUES)
    assert refine["guidance_scale"] == 1.0 and refine["num_inference_steps"] == 3
    assert refine["latents"].shape[-2:] == (H // 2, W // 2)  # latents doubled (VAE 2x)
    assert refine["audio_latents"] is not None  # the sound refined beside the picture
    (up,) = ups
    assert up["latents"].shape[-2:] == (H // 4, W // 4)
    stages = out.result.recipe["diffusers"]["two_stage"]
    assert stages["stages"] == ["first pass", "latent upsample x2", "refine pass"]
    assert stages["first_pass"] == f"{W // 2}x{H // 2}"
    assert stages["refine_pass"] == f"{W}x{H}"
    assert stages["refine_sigmas"] == list(STAGE_2_DISTILLED_SIGMA_VALUES)


def test_two_stage_extend_keeps_sound_in_step(engine, ltx2_distilled_up, tmp_path, make_take):
    take = make_take(31, n=9, width=W, height=H, fps=24)
    req = Extend.for_source(
        take,
        prompt="the ferry leaves",
        num_frames=8,
        steps=2,
        guidance=1.0,
        model=str(ltx2_distilled_up),
        options={"max_sequence_length": 32},
    )
    out = run_job(engine, req, tmp_path / "ext")
    assert out.files.num_frames == 8
    fps = float(out.files.fps)
    assert abs(_seconds(tmp_path / "ext" / out.files.audio) - 8 / fps) <= 1 / fps
    assert "two_stage" in out.result.recipe["diffusers"]


def test_dev_checkpoint_without_the_refine_lora_makes_one_stage_and_says_why(
    engine, ltx2_dev_up, tmp_path, capture
):
    calls = capture(LTX2ConditionPipeline)
    out = run_job(engine, _request(ltx2_dev_up), tmp_path / "dev")
    assert out.files.num_frames == 9
    (call,) = calls
    assert (call["width"], call["height"]) == (W, H)
    assert "two_stage" not in out.result.recipe["diffusers"]
    assert any("one stage" in n and "distilled LoRA" in n for n in out.result.notes)
