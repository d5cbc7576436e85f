"""The latent upsampler of LTX-2's two stages and of LTX-Video's multi-scale recipe counts in the
memory plan: its parameters at the dtype's bytes join the weights, and since it stays on the
device once loaded, it also joins what model offload holds on the GPU at once. The catalogue's
two-stage entries count it the same way (and say so)."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest

from engine import catalog
from engine.catalog import CATALOG, ModelParams, find_entry, memory_needs


def _count(model) -> int:  # type: ignore[no-untyped-def]
    return sum(p.numel() for p in model.parameters())


def _held(model) -> int:  # type: ignore[no-untyped-def]
    """What a loaded model holds: its parameters and saved buffers (LTX-2's blur kernel)."""
    return sum(t.numel() for t in model.state_dict().values())


# -- the engine: from the model folder -----------------------------------------------------------
@pytest.fixture(scope="module")
def ltx2_folders(models_dir: Path) -> dict[str, Path]:
    """The tiny LTX-2 without an upsampler, and copies with one: distilled, dev, and dev with
    its refine LoRA installed."""
    pytest.importorskip("torch")
    pytest.importorskip("diffusers")
    pytest.importorskip("transformers")
    from tests.engine_diffusers.tiny_ltx2 import add_latent_upsampler, build_ltx2, make_lora

    base = models_dir / "tiny-ltx2"
    if not (base / "model_index.json").exists():
        build_ltx2(base)
    out = {"none": base}
    for key, name in (
        ("distilled", "tiny-ltx2-distilled-mem"),
        ("dev", "tiny-ltx2-dev-mem"),
        ("dev+lora", "tiny-ltx2-dev-lora-mem"),
    ):
        path = models_dir / name
        if not path.exists():
            shutil.copytree(base, path, ignore=shutil.ignore_patterns("loras", "latent_upsampler"))
            add_latent_upsampler(path)
            if key == "dev+lora":
                make_lora(path, path / "loras" / "ltx-2-19b-distilled-lora-384.safetensors", seed=2)
        out[key] = path
    return out


def _estimate(path: Path, dtype_bytes: int) -> tuple[int, int]:
    from engine.backends.diffusers import DiffusersEngine

    return DiffusersEngine().adapter_for(str(path)).weight_estimate(dtype_bytes)


@pytest.mark.parametrize("dtype_bytes", [2, 4], ids=["bf16", "float32"])
def test_ltx2_upsampler_counts_in_the_weights_when_its_takes_use_it(ltx2_folders, dtype_bytes):
    from diffusers.pipelines.ltx2.latent_upsampler import LTX2LatentUpsamplerModel

    # the tiny upsampler, as built in code and saved in the folders
    upsampler = _held(
        LTX2LatentUpsamplerModel.from_pretrained(ltx2_folders["distilled"] / "latent_upsampler")
    )
    assert upsampler > 0
    grow = upsampler * dtype_bytes
    weights, largest = _estimate(ltx2_folders["none"], dtype_bytes)
    assert _estimate(ltx2_folders["distilled"], dtype_bytes) == (weights + grow, largest + grow)
    # a dev checkpoint without its refine LoRA makes one stage: the upsampler is never loaded
    assert _estimate(ltx2_folders["dev"], dtype_bytes) == (weights, largest)


def test_a_dev_checkpoints_refine_lora_counts_with_its_transformer(ltx2_folders):
    """A dev checkpoint with its refine LoRA: the upsampler and the LoRA's layers (loaded for
    every take, into the transformer, at the model's dtype even with fp8) both count."""
    from diffusers.pipelines.ltx2.latent_upsampler import LTX2LatentUpsamplerModel
    from safetensors.torch import load_file

    from engine.backends.diffusers import DiffusersEngine

    folder = ltx2_folders["dev+lora"]
    upsampler = _held(LTX2LatentUpsamplerModel.from_pretrained(folder / "latent_upsampler"))
    lora_file = folder / "loras" / "ltx-2-19b-distilled-lora-384.safetensors"
    lora = sum(t.numel() for t in load_file(str(lora_file)).values())
    parts = DiffusersEngine().adapter_for(str(ltx2_folders["none"])).part_params()
    for fp8 in (False, True):
        sizes = {k: n * (1 if fp8 and k == "transformer" else 2) for k, n in parts.items()}
        sizes["transformer"] += 2 * lora  # the LoRA moves with the transformer
        want = sum(sizes.values()) + 2 * upsampler, max(sizes.values()) + 2 * upsampler
        adapter = DiffusersEngine().adapter_for(str(folder))
        assert adapter.weight_estimate(2, fp8=fp8) == want, fp8


def test_the_upsampler_can_change_the_plan():
    """LTX-2 19B in bf16 on a card where the pipeline alone just fits whole: with the upsampler
    beside it, it does not, and the engine offloads instead of running out of memory at the
    upsample."""
    from engine.backends.diffusers.device import DeviceInfo, choose_plan

    def weights(params: ModelParams) -> tuple[int, int]:
        return catalog.weights_and_largest(catalog.part_bytes(params.as_dict()))

    with_up = find_entry("Lightricks/LTX-2-19b-distilled").params
    alone = weights(_without_upsampler(with_up))
    free = math.ceil((alone[0] + catalog.WORK_BYTES) / catalog.HEADROOM) + 1
    card = DeviceInfo("cuda", "GPU", free, free, 256 * 1024**3, bf16=True)
    assert choose_plan(card, *alone).name == "full"
    assert choose_plan(card, *weights(with_up)).name == "model_offload"


def test_ltx_video_upsampler_counts_for_a_distilled_checkpoint(ltx_model, models_dir):
    from diffusers.pipelines.ltx.modeling_latent_upsampler import LTXLatentUpsamplerModel

    from tests.engine_diffusers.tiny_models import build_ltx_upsampler

    distilled, dev = models_dir / "tiny-ltx-distilled-mem", models_dir / "tiny-ltx-dev-mem"
    for path in (distilled, dev):
        if not path.exists():
            shutil.copytree(ltx_model, path)
            build_ltx_upsampler(path / "latent_upsampler")
    upsampler = _held(LTXLatentUpsamplerModel.from_pretrained(distilled / "latent_upsampler"))
    weights, largest = _estimate(ltx_model, 4)
    assert _estimate(distilled, 4) == (weights + 4 * upsampler, largest + 4 * upsampler)
    assert _estimate(dev, 4) == (weights, largest)  # a dev checkpoint runs no multi-scale pass


# -- the catalogue ---------------------------------------------------------------------------------
def _without_upsampler(params: ModelParams) -> ModelParams:
    parts = {k: v for k, v in params.as_dict().items() if k != catalog.UPSAMPLER_PART}
    return ModelParams.of(**parts, source=params.source)


@pytest.mark.parametrize(
    ("model_id", "count"),
    [
        ("Lightricks/LTX-2", catalog.LTX2_LATENT_UPSAMPLER),
        ("Lightricks/LTX-2-19b-distilled", catalog.LTX2_LATENT_UPSAMPLER),
        ("Lightricks/LTX-Video-0.9.7-distilled", catalog.LTX_LATENT_UPSAMPLER),
        ("Lightricks/LTX-Video-0.9.8-13B-distilled", catalog.LTX_LATENT_UPSAMPLER),
    ],
)
def test_two_stage_entries_count_their_upsampler_and_say_so(model_id, count):
    entry = find_entry(model_id)
    assert entry.params.as_dict()[catalog.UPSAMPLER_PART] == count
    bare = _without_upsampler(entry.params)
    for plan in ("full", "model_offload"):
        with_up, without = memory_needs(entry.params, plan), memory_needs(bare, plan)
        assert with_up.weights_bytes - without.weights_bytes == 2 * count  # bf16
        assert with_up.gpu_bytes - without.gpu_bytes == 2 * count, plan  # on the GPU in both
    assert memory_needs(entry.params, "model_offload", fp8=True).largest_bytes == (
        memory_needs(bare, "model_offload", fp8=True).largest_bytes + 2 * count
    )  # fp8 casts the transformer, not the upsampler
    assert "upsampler" in entry.notes or "upscaler" in entry.notes
    assert "count" in entry.notes


def test_one_stage_entries_have_no_upsampler():
    for e in CATALOG:
        if (e.family == "ltx" and not e.distilled) or e.family in ("wan", "skyreels"):
            assert catalog.UPSAMPLER_PART not in e.params.as_dict(), e.id


def test_the_upsampler_counts_are_the_published_configs():
    """diffusers' defaults are the published configs (Lightricks/LTX-2 latent_upsampler/, 1024
    wide; ltxv-spatial-upscaler-0.9.7, 512 wide), counted on the meta device."""
    pytest.importorskip("torch")
    pytest.importorskip("diffusers")
    accelerate = pytest.importorskip("accelerate")
    from diffusers.pipelines.ltx.modeling_latent_upsampler import LTXLatentUpsamplerModel
    from diffusers.pipelines.ltx2.latent_upsampler import LTX2LatentUpsamplerModel

    with accelerate.init_empty_weights():
        ltx2, ltx = LTX2LatentUpsamplerModel(), LTXLatentUpsamplerModel()
    assert (ltx2.config.mid_channels, ltx.config.mid_channels) == (1024, 512)
    assert _count(ltx2) == catalog.LTX2_LATENT_UPSAMPLER
    assert _count(ltx) == catalog.LTX_LATENT_UPSAMPLER
    # about 1 GB and 0.25 GB in bf16
    assert round(2 * _count(ltx2) / 1e9, 1) == 1.0 and round(2 * _count(ltx) / 1e9, 2) == 0.25
