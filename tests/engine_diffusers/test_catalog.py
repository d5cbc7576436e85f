"""The catalogue of recommended models, its memory figures, and which files a download takes."""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from fractions import Fraction

from engine import catalog
from engine.api import OPERATIONS
from engine.catalog import (
    CATALOG,
    GROUP_BYTES,
    HEADROOM,
    PINNED_RAM_FACTOR,
    WORK_BYTES,
    CatalogEntry,
    ModelParams,
    find_entry,
    gb,
    is_distilled_name,
    memory_needs,
)
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


# -- memory figures: computed from parameter counts, never below what the weights take ----------
GIB = 1024**3


def test_every_figure_is_computed_from_the_entrys_parameter_counts():
    for e in CATALOG:
        assert e.params is not None, f"{e.id}: give its parameter counts (params=...)"
        assert e.params.transformer > 0 and e.params.source
        offload = memory_needs(e.params, "model_offload")
        full = memory_needs(e.params, "full")
        assert e.vram_gb == gb(offload.free_gpu_bytes)
        assert e.vram_full_gb == gb(full.free_gpu_bytes)
        memory = e.describe()["memory"]
        assert memory["model_offload"]["bf16"] == e.vram_gb
        assert memory["full"]["fp8"] <= memory["full"]["bf16"]
        assert e.memory_note and "group offload" in e.memory_note


def test_no_entry_claims_less_than_its_own_transformers_weights_need():
    for e in CATALOG:
        transformer = e.params.transformer
        everything = sum(e.params.as_dict().values())
        memory = e.describe()["memory"]
        # what the engine may use of a card that has the figure free (it keeps a headroom)
        usable = {
            plan: {p: memory[plan][p] * GIB * HEADROOM for p in ("bf16", "fp8")}
            for plan in ("full", "model_offload")
        }
        assert usable["model_offload"]["bf16"] >= 2 * transformer + WORK_BYTES, e.id
        assert usable["model_offload"]["fp8"] >= 1 * transformer + WORK_BYTES, e.id
        assert usable["full"]["bf16"] >= 2 * everything + WORK_BYTES, e.id
        assert e.vram_gb * GIB * HEADROOM >= 2 * transformer, e.id
        # a card size named in the words must fit the model without group offload
        for claim in re.findall(r"(\d+) GB card", e.notes + " " + e.title):
            assert int(claim) >= min(memory["model_offload"].values()), (e.id, claim)
        if 2 * transformer > 24 * GIB:  # no 24 GB card holds it in bf16: say what is needed
            assert "fp8" in e.memory_note and "group offload" in e.memory_note, e.id


def test_the_largest_counts_are_the_published_configs():
    """The constants are the parameters of the published configs, counted on the meta device."""
    import pytest

    pytest.importorskip("torch")
    pytest.importorskip("diffusers")
    pytest.importorskip("transformers")
    accelerate = pytest.importorskip("accelerate")
    from diffusers import LTXVideoTransformer3DModel, WanTransformer3DModel
    from transformers import T5Config, T5EncoderModel, UMT5Config, UMT5EncoderModel

    def count(build):  # type: ignore[no-untyped-def]
        with accelerate.init_empty_weights():
            model = build()
        if hasattr(model, "tie_weights"):  # T5's encoder shares its embedding (stored once)
            model.tie_weights()
        return sum(p.numel() for p in model.parameters())

    ltx_13b = count(  # diffusers scripts/convert_ltx_to_diffusers.py, version 0.9.7
        lambda: LTXVideoTransformer3DModel(
            in_channels=128,
            out_channels=128,
            num_attention_heads=32,
            attention_head_dim=128,
            cross_attention_dim=4096,
            num_layers=48,
            caption_channels=4096,
        )
    )
    assert ltx_13b == catalog.LTX_13B_TRANSFORMER
    wan_14b = count(  # diffusers scripts/convert_wan_to_diffusers.py, Wan-T2V-14B
        lambda: WanTransformer3DModel(
            num_attention_heads=40,
            attention_head_dim=128,
            in_channels=16,
            out_channels=16,
            ffn_dim=13824,
            num_layers=40,
            cross_attn_norm=True,
            qk_norm="rms_norm_across_heads",
        )
    )
    assert wan_14b == catalog.WAN_14B_TRANSFORMER
    xxl = dict(d_model=4096, d_ff=10240, d_kv=64, num_layers=24, num_heads=64)
    xxl["feed_forward_proj"] = "gated-gelu"
    t5 = count(lambda: T5EncoderModel(T5Config(vocab_size=32128, **xxl)))  # google/t5-v1_1-xxl
    umt5 = count(lambda: UMT5EncoderModel(UMT5Config(vocab_size=256384, **xxl)))  # google/umt5-xxl
    assert (t5, umt5) == (catalog.T5_XXL_ENCODER, catalog.UMT5_XXL_ENCODER)
    # what the issue measured: the 13B transformer alone about 26 GB, UMT5 11.4 GB (bf16)
    assert round(2 * ltx_13b / 1e9) == 26 and round(2 * umt5 / 1e8) == 114


def test_the_sizing_arithmetic_on_a_model_counted_here():
    """A tiny LTX pipeline built in code: its parameters counted, cast to bf16 and fp8, and
    compared with what `memory_needs` says."""
    import pytest

    torch = pytest.importorskip("torch")
    pytest.importorskip("diffusers")
    pytest.importorskip("transformers")
    from diffusers import AutoencoderKLLTXVideo, LTXVideoTransformer3DModel
    from transformers import T5Config, T5EncoderModel

    transformer = LTXVideoTransformer3DModel(
        in_channels=8,
        out_channels=8,
        num_attention_heads=2,
        attention_head_dim=8,
        cross_attention_dim=16,
        num_layers=2,
        caption_channels=16,
    )
    text_encoder = T5EncoderModel(
        T5Config(vocab_size=64, d_model=16, d_ff=32, d_kv=8, num_layers=1, num_heads=2)
    )
    vae = AutoencoderKLLTXVideo(
        latent_channels=8,
        block_out_channels=(8, 8, 8, 8),
        decoder_block_out_channels=(8, 8, 8, 8),
        layers_per_block=(1, 1, 1, 1, 1),
        decoder_layers_per_block=(1, 1, 1, 1, 1),
    )
    parts = {"transformer": transformer, "text_encoder": text_encoder, "vae": vae}
    counts = {name: sum(p.numel() for p in m.parameters()) for name, m in parts.items()}
    params = ModelParams.of(source="built in the test", **counts)

    def stored(module) -> int:  # type: ignore[no-untyped-def]
        return sum(p.numel() * p.element_size() for p in module.parameters())

    for module in parts.values():
        module.to(torch.bfloat16)
    bf16 = memory_needs(params, "full")
    assert bf16.weights_bytes == 2 * sum(counts.values()) == sum(map(stored, parts.values()))
    assert bf16.largest_bytes == max(map(stored, parts.values()))
    fp8 = memory_needs(params, "full", fp8=True)
    assert fp8.weights_bytes == counts["transformer"] + 2 * (counts["text_encoder"] + counts["vae"])
    if hasattr(torch, "float8_e4m3fn"):  # what layerwise casting really stores
        transformer.enable_layerwise_casting(
            storage_dtype=torch.float8_e4m3fn, compute_dtype=torch.bfloat16
        )
        kept = sum(p.numel() for p in transformer.parameters() if p.element_size() == 2)
        # one byte a cast parameter; only the layers casting skips (norms, in/out) keep two
        assert stored(transformer) == counts["transformer"] + kept
        assert kept < counts["transformer"] / 4
    # each plan, by the rule the engine plans with
    weights, largest = bf16.weights_bytes, bf16.largest_bytes
    assert (bf16.gpu_bytes, bf16.ram_bytes) == (weights + WORK_BYTES, 0)
    offload = memory_needs(params, "model_offload")
    assert (offload.gpu_bytes, offload.ram_bytes) == (largest + WORK_BYTES, weights)
    group = memory_needs(params, "group_offload")
    assert group.gpu_bytes == GROUP_BYTES + WORK_BYTES
    assert group.ram_bytes == math.ceil(weights * PINNED_RAM_FACTOR) and group.pinned
    assert memory_needs(params, "group_offload", pinned=False).ram_bytes == weights
    assert offload.free_gpu_bytes == math.ceil(offload.gpu_bytes / HEADROOM)
    # an entry made with these counts shows exactly these figures
    entry = CatalogEntry(
        id="test/tiny",
        family="ltx",
        title="tiny",
        operations=("text_to_video",),
        size_gb=0.1,
        native_fps=None,
        sizes=((96, 64),),
        max_frames=9,
        licence="test",
        params=params,
    )
    assert entry.vram_gb == gb(offload.free_gpu_bytes)
    assert entry.vram_full_gb == gb(bf16.free_gpu_bytes)


def test_fp8_counts_both_experts_of_wan22_a14b():
    """fp8 casting stores both of Wan 2.2 A14B's expert transformers as float8: the figures
    count each at one byte a parameter (the low-noise expert alone is ~14 GB in bf16)."""
    for entry_params in (catalog.WAN22_T2V_A14B, catalog.WAN22_I2V_A14B):
        parts = entry_params.as_dict()
        experts = parts["transformer"] + parts["transformer_2"]
        rest = sum(parts.values()) - experts
        full = memory_needs(entry_params, "full", fp8=True)
        assert full.weights_bytes == experts + 2 * rest
    entry = next(e for e in CATALOG if e.params is catalog.WAN22_T2V_A14B)
    memory = entry.describe()["memory"]
    parts = catalog.WAN22_T2V_A14B.as_dict()
    experts = parts["transformer"] + parts["transformer_2"]
    want = experts + 2 * (parts["text_encoder"] + parts["vae"])
    assert memory["full"]["fp8"] == gb(math.ceil((want + WORK_BYTES) / HEADROOM))
    # the fp8 saving is both experts' worth (~27 GB), not one
    assert memory["full"]["bf16"] - memory["full"]["fp8"] >= gb(experts) - 1


def test_wan_entries_say_how_many_frames_extend_pins():
    """A Wan checkpoint that animates from one image continues from the take's last frame
    only: its entry says so; Wan VACE says it conditions on the whole tail."""
    wan_extend = [e for e in CATALOG if e.family == "wan" and "extend" in e.operations]
    assert wan_extend
    for e in wan_extend:
        if "VACE" in e.id:
            assert "whole lossless tail" in e.notes, e.id
            assert "pins one frame" not in e.notes, e.id
        else:
            assert "extend pins one frame" in e.notes, e.id
        assert e.describe()["notes"] == e.notes


def test_only_wan_vace_entries_offer_the_region_edits():
    """Inpaint and cinemagraph need a pipeline with a per-pixel mask input: the app offers them
    with a Wan VACE model and with no other catalogue entry."""
    vace = [e for e in CATALOG if "VACE" in e.id]
    assert vace
    for e in vace:
        assert {"inpaint", "cinemagraph"} <= set(e.operations), e.id
        assert {"inpaint", "cinemagraph"} <= set(e.describe()["operations"])
    for e in CATALOG:
        if "VACE" not in e.id:
            assert not {"inpaint", "cinemagraph"} & set(e.operations), e.id
