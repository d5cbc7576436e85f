"""The catalogue of recommended models, and which repository files a download takes."""

from __future__ import annotations

import json
from dataclasses import dataclass
from fractions import Fraction

from engine.api import OPERATIONS
from engine.catalog import CATALOG, find_entry, is_distilled_name
from engine.hub import _select_files


def test_the_catalogue_lists_the_recommended_models_with_their_needs():
    ids = [e.id for e in CATALOG]
    assert len(ids) == len(set(ids))
    for wanted in (
        "Lightricks/LTX-Video-0.9.7-distilled",
        "Lightricks/LTX-Video-0.9.5",
        "Wan-AI/Wan2.1-T2V-1.3B-Diffusers",
        "Wan-AI/Wan2.1-I2V-14B-480P-Diffusers",
        "Wan-AI/Wan2.2-TI2V-5B-Diffusers",
        "Lightricks/LTX-2",
        "Wan-AI/Wan2.2-T2V-A14B-Diffusers",
        "Wan-AI/Wan2.2-I2V-A14B-Diffusers",
        "Lightricks/LTX-Video-0.9.8-13B-distilled",
    ):
        assert wanted in ids
    for e in CATALOG:
        assert e.family in ("ltx", "ltx2", "wan", "skyreels")
        assert set(e.operations) <= OPERATIONS and e.operations
        assert 0 < e.vram_gb <= e.vram_full_gb and e.size_gb > 0 and e.licence
        assert all(w % 32 == 0 and h % 16 == 0 for w, h in e.sizes)
        assert e.native_fps is None or isinstance(e.native_fps, Fraction)
        json.dumps(e.describe())  # JSON-ready
    assert find_entry("lightricks/ltx-video-0.9.7-DISTILLED").distilled
    assert find_entry("Wan-AI/Wan2.1-T2V-1.3B-Diffusers").describe()["native_fps"] == "16"
    assert find_entry("nobody/nothing") is None
    assert is_distilled_name("ltx-video-0.9.8-13B-distilled") and not is_distilled_name("dev")


@dataclass
class _File:
    filename: str


def test_a_download_skips_precision_variants_that_have_a_plain_file():
    files = [
        _File("model_index.json"),
        _File("transformer/diffusion_pytorch_model.safetensors"),
        _File("transformer/diffusion_pytorch_model.fp16.safetensors"),
        _File("vae/diffusion_pytorch_model.fp16.safetensors"),  # only a variant: kept
        _File("text_encoder/model-00001-of-00002.safetensors"),
    ]
    assert _select_files(files) == [
        "model_index.json",
        "text_encoder/model-00001-of-00002.safetensors",
        "transformer/diffusion_pytorch_model.safetensors",
        "vae/diffusion_pytorch_model.fp16.safetensors",
    ]
