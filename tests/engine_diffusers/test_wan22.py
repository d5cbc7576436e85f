"""Wan 2.2 A14B (two expert transformers) on tiny random models: the high-noise expert denoises
the steps above ``boundary_ratio``, the low-noise expert the rest, each with its own guidance;
text to video and image to video.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("diffusers")
pytest.importorskip("transformers")

from diffusers import WanImageToVideoPipeline, WanPipeline  # noqa: E402

from engine.api import ImageToVideo, PinnedImage, TextToVideo  # noqa: E402
from engine.job import run_job  # noqa: E402

pytestmark = pytest.mark.timeout(600)

W, H = 64, 64
STEPS = 4


def _build(path: Path, kind: str) -> Path:
    """A tiny Wan 2.2 A14B-shaped pipeline: two 2-block experts and a boundary_ratio."""
    import torch
    from diffusers import FlowMatchEulerDiscreteScheduler, WanTransformer3DModel

    from tests.engine_diffusers.tiny_models import (
        _text_encoder,
        _wan_transformer_kwargs,
        _wan_vae,
        make_tokenizer,
    )

    common = dict(
        tokenizer=make_tokenizer(),
        text_encoder=_text_encoder(),
        vae=_wan_vae(),
        scheduler=FlowMatchEulerDiscreteScheduler(shift=5.0),
    )
    in_channels = 16 if kind == "t2v" else 36  # I2V: noise + mask + first-frame latents
    experts = []
    for seed in (0, 1):
        torch.manual_seed(seed)
        experts.append(
            WanTransformer3DModel(
                in_channels=in_channels, num_layers=2, **_wan_transformer_kwargs()
            )
        )
    if kind == "t2v":
        pipe = WanPipeline(
            transformer=experts[0], transformer_2=experts[1], boundary_ratio=0.875, **common
        )
    else:
        pipe = WanImageToVideoPipeline(
            transformer=experts[0],
            transformer_2=experts[1],
            boundary_ratio=0.9,
            image_encoder=None,
            image_processor=None,
            **common,
        )
    pipe.save_pretrained(str(path), safe_serialization=True)
    return path


@pytest.fixture(scope="module")
def wan22_t2v(models_dir: Path) -> Path:
    path = models_dir / "tiny-wan22-a14b-t2v"
    return path if (path / "model_index.json").exists() else _build(path, "t2v")


@pytest.fixture(scope="module")
def wan22_i2v(models_dir: Path) -> Path:
    path = models_dir / "tiny-wan22-a14b-i2v"
    return path if (path / "model_index.json").exists() else _build(path, "i2v")


def _count_experts(engine, model: Path, monkeypatch) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Count forward calls of each expert of the model the engine loads."""
    counts = {"transformer": 0, "transformer_2": 0}
    original = engine._ensure_loaded

    def ensure(*args, **kwargs):  # type: ignore[no-untyped-def]
        loaded = original(*args, **kwargs)
        for name in counts:
            module = getattr(loaded.pipe, name)
            if not getattr(module, "_counted", False):
                module.register_forward_hook(
                    lambda *_a, _n=name: counts.__setitem__(_n, counts[_n] + 1)
                )
                module._counted = True
        return loaded

    monkeypatch.setattr(engine, "_ensure_loaded", ensure)
    return counts


def test_text_to_video_runs_both_experts_around_the_boundary(
    engine, wan22_t2v, tmp_path, monkeypatch, capture
):
    calls = capture(WanPipeline)
    counts = _count_experts(engine, wan22_t2v, monkeypatch)
    req = TextToVideo(
        prompt="wide, a ferry leaves the harbour",
        width=W,
        height=H,
        num_frames=5,
        fps=Fraction(16),
        steps=STEPS,
        guidance=4.0,
        model=str(wan22_t2v),
        options={"guidance_2": 3.0},
    )
    out = run_job(engine, req, tmp_path / "t2v")
    assert out.files.num_frames == 5
    # both experts denoised (twice per step under guidance): the high-noise one first
    assert counts["transformer"] > 0 and counts["transformer_2"] > 0
    assert counts["transformer"] + counts["transformer_2"] == 2 * STEPS
    main = [c for c in calls if c.get("num_inference_steps") == STEPS][0]
    assert main["guidance_scale"] == 4.0 and main["guidance_scale_2"] == 3.0
    experts = out.result.recipe["diffusers"]["experts"]
    assert experts == {"boundary_ratio": 0.875, "guidance_scale": 4.0, "guidance_scale_2": 3.0}


def test_image_to_video_runs_both_experts(engine, wan22_i2v, tmp_path, monkeypatch):
    import cv2

    still = tmp_path / "still.png"
    cv2.imwrite(str(still), np.full((H, W, 3), (40, 120, 220), np.uint8))
    counts = _count_experts(engine, wan22_i2v, monkeypatch)
    req = ImageToVideo(
        prompt="a woman walks left",
        images=(PinnedImage(still, 0),),
        width=W,
        height=H,
        num_frames=5,
        fps=Fraction(16),
        steps=STEPS,
        guidance=1.0,
        model=str(wan22_i2v),
    )
    out = run_job(engine, req, tmp_path / "i2v")
    assert out.files.num_frames == 5
    assert counts["transformer"] > 0 and counts["transformer_2"] > 0
    assert out.result.recipe["diffusers"]["experts"]["boundary_ratio"] == 0.9


def test_fp8_casts_both_experts(engine, wan22_t2v, tmp_path):
    """fp8 stores the low-noise expert as float8 too (it is as large as the first): the memory
    plan counts both at one byte a parameter, and so does the card."""
    import torch

    req = TextToVideo(
        prompt="wide, a ferry leaves the harbour",
        width=W,
        height=H,
        num_frames=5,
        fps=Fraction(16),
        steps=2,
        guidance=1.0,
        model=str(wan22_t2v),
        options={"speed": {"fp8": True}},
    )
    out = run_job(engine, req, tmp_path / "fp8")
    assert out.files.num_frames == 5
    pipe = engine._loaded.pipe
    for name in ("transformer", "transformer_2"):
        block = getattr(pipe, name).blocks[0]
        assert block.attn1.to_q.weight.dtype == torch.float8_e4m3fn, name
    assert out.result.recipe["speed"]["fp8"] is True
    assert any("both expert transformers" in n for n in out.result.notes)
    # the engine's estimate counts both experts at one byte a parameter
    adapter = engine.adapter_for(str(wan22_t2v))
    params = adapter.part_params()
    bf16, _ = adapter.weight_estimate(2)
    fp8, _ = adapter.weight_estimate(2, fp8=True)
    assert bf16 - fp8 == params["transformer"] + params["transformer_2"]
