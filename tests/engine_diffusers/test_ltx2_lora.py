"""LoRAs on LTX-2, really loaded (peft): a camera-control LoRA changes the take whose camera move
asks for it and no other, and leaves the cached pipeline as it found it (also beside the fp8
speed lever); a dev checkpoint's two-stage path refines with the distilled LoRA; a file that
does not fit is skipped with one line. The LoRAs are random ones for the tiny transformer,
built in code and saved the way Lightricks ships theirs (ComfyUI keys)."""

from __future__ import annotations

import dataclasses
import shutil
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("torch")
pytest.importorskip("diffusers")
pytest.importorskip("transformers")
pytest.importorskip("peft")

from diffusers import LTX2ConditionPipeline  # noqa: E402

from engine.api import CollectingSink, TextToVideo  # noqa: E402

pytestmark = pytest.mark.timeout(900)

W, H = 64, 64
DOLLY_IN = "wide, dolly in on a ferry leaving the harbour at dusk"
CRANE_UP = "wide, crane up over a ferry leaving the harbour at dusk"
NO_MOVE = "wide, a ferry leaves the harbour at dusk"


def _base(models_dir: Path) -> Path:
    from tests.engine_diffusers.tiny_ltx2 import build_ltx2

    base = models_dir / "tiny-ltx2"
    if not (base / "model_index.json").exists():
        build_ltx2(base)
    return base


def _copy(models_dir: Path, name: str) -> Path:
    path = models_dir / name
    if not (path / "model_index.json").exists():
        shutil.copytree(_base(models_dir), path)
    return path


@pytest.fixture(scope="module")
def plain(models_dir: Path) -> Path:
    """The tiny LTX-2 with no LoRA installed."""
    return _base(models_dir)


@pytest.fixture(scope="module")
def with_dolly_in(models_dir: Path) -> Path:
    """The same weights with a dolly-in camera LoRA in its ``loras/``."""
    from tests.engine_diffusers.tiny_ltx2 import make_lora

    path = _copy(models_dir, "tiny-ltx2-camera-loras")
    lora = path / "loras" / "ltx-2-19b-lora-camera-control-dolly-in.safetensors"
    if not lora.exists():
        make_lora(path, lora, seed=1)
    return path


def _request(model: Path, prompt: str, **kw):  # type: ignore[no-untyped-def]
    return TextToVideo(
        prompt=prompt,
        width=W,
        height=H,
        num_frames=9,
        fps=Fraction(24),
        steps=2,
        guidance=1.0,
        seed=7,
        model=str(model),
        options={"max_sequence_length": 32},
        **kw,
    )


def _make(engine, model: Path, prompt: str, **options):  # type: ignore[no-untyped-def]
    sink = CollectingSink()
    request = _request(model, prompt)
    if options:
        request = dataclasses.replace(request, options={**request.options, **options})
    result = engine.generate(request, sink)
    return sink.array(), result


def test_a_camera_lora_changes_only_the_take_whose_move_asks_for_it(engine, plain, with_dolly_in):
    # in this order on one engine: the dolly-in take first, then two takes on the same cached
    # pipeline that must not feel the LoRA any more
    dolly, dolly_result = _make(engine, with_dolly_in, DOLLY_IN)
    crane, crane_result = _make(engine, with_dolly_in, CRANE_UP)
    still, still_result = _make(engine, with_dolly_in, NO_MOVE)
    assert engine.loads >= 1

    dolly_plain, plain_result = _make(engine, plain, DOLLY_IN)
    crane_plain, _ = _make(engine, plain, CRANE_UP)
    still_plain, _ = _make(engine, plain, NO_MOVE)

    # the LoRA changed the dolly-in take, and its recipe names it
    assert dolly.shape == dolly_plain.shape == (9, H, W, 3)
    assert np.abs(dolly.astype(int) - dolly_plain.astype(int)).mean() > 1.0
    lora = dolly_result.recipe["diffusers"]["camera_lora"]
    assert lora["move"] == "dolly_in" and lora["applied"] is True
    assert Path(lora["path"]).name == "ltx-2-19b-lora-camera-control-dolly-in.safetensors"
    assert any("dolly-in.safetensors applied" in n for n in dolly_result.notes)
    # without the LoRA installed the same shot says so and is made without it
    assert plain_result.recipe["diffusers"]["camera_lora"]["applied"] is False

    # a crane-up shot asks for another LoRA (not installed): the dolly-in one is not loaded
    assert crane_result.recipe["diffusers"]["camera_lora"] == {
        "move": "jib_up",
        "path": None,
        "applied": False,
    }
    assert any("jib up move" in n for n in crane_result.notes)
    np.testing.assert_array_equal(crane, crane_plain)
    # and a shot with no camera move is exactly what the model makes with no LoRA installed
    assert "camera_lora" not in still_result.recipe["diffusers"]
    np.testing.assert_array_equal(still, still_plain)


def test_the_next_job_on_the_cached_pipeline_has_no_lora_left(engine, with_dolly_in):
    """The pipeline the engine keeps between jobs carries no adapter once a take is made."""
    _make(engine, with_dolly_in, DOLLY_IN)
    pipe = engine._loaded.pipe
    assert not pipe.get_list_adapters().get("transformer") and _applied(pipe) == []


@pytest.fixture(scope="module")
def dev_two_stage(models_dir: Path) -> Path:
    """A dev checkpoint (its name does not say distilled) with a latent upsampler, Lightricks'
    distilled LoRA for the refine pass and a dolly-in camera LoRA in its ``loras/``."""
    from tests.engine_diffusers.tiny_ltx2 import add_latent_upsampler, make_lora

    path = _copy(models_dir, "tiny-ltx2-dev-two-stage")
    if not (path / "latent_upsampler").exists():
        add_latent_upsampler(path)
    loras = path / "loras"
    if not (loras / "ltx-2-19b-distilled-lora-384.safetensors").exists():
        make_lora(path, loras / "ltx-2-19b-distilled-lora-384.safetensors", seed=2)
        make_lora(path, loras / "dolly_in.safetensors", seed=1)
    return path


def _applied(pipe) -> list[str]:  # type: ignore[no-untyped-def]
    """The LoRA adapters the transformer's layers apply now (enabled and active)."""
    from peft.tuners.tuners_utils import BaseTunerLayer

    names: set[str] = set()
    for module in pipe.transformer.modules():
        if isinstance(module, BaseTunerLayer) and not module.disable_adapters:
            names.update(module.active_adapters)
    return sorted(names)


def test_a_camera_lora_runs_beside_fp8_weights(engine, plain, with_dolly_in, monkeypatch):
    """With the fp8 speed lever the transformer's weights are stored as float8; the LoRA's
    layers compute in the model's dtype with the file's exact values, and leave no trace."""
    import torch
    from safetensors.torch import load_file

    lora_file = with_dolly_in / "loras" / "ltx-2-19b-lora-camera-control-dolly-in.safetensors"
    want = load_file(str(lora_file))[
        "diffusion_model.transformer_blocks.0.attn1.to_q.lora_A.weight"
    ]
    seen: list[torch.Tensor] = []
    original = LTX2ConditionPipeline.__call__

    def spy(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        layer = self.transformer.transformer_blocks[0].attn1.to_q
        if hasattr(layer, "lora_A") and "dolly_in" in layer.lora_A:
            seen.append(layer.lora_A["dolly_in"].weight.detach().clone())
        return original(self, *args, **kwargs)

    monkeypatch.setattr(LTX2ConditionPipeline, "__call__", spy)
    fp8 = {"speed": {"fp8": True}}
    dolly, result = _make(engine, with_dolly_in, DOLLY_IN, **fp8)
    still, _ = _make(engine, with_dolly_in, NO_MOVE, **fp8)
    assert result.recipe["speed"]["fp8"] is True
    assert result.recipe["diffusers"]["camera_lora"]["applied"] is True
    (weight,) = seen
    assert weight.dtype == torch.float32  # the model's dtype on the CPU, not float8
    torch.testing.assert_close(weight, want, rtol=0, atol=0)
    dolly_plain, _ = _make(engine, plain, DOLLY_IN, **fp8)
    still_plain, _ = _make(engine, plain, NO_MOVE, **fp8)
    assert np.abs(dolly.astype(int) - dolly_plain.astype(int)).mean() > 1.0
    np.testing.assert_array_equal(still, still_plain)


def _adapters_per_call(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """The LoRA adapters active in the transformer at each `LTX2ConditionPipeline` call, with
    the call's size and sigmas."""
    seen: list[dict] = []
    original = LTX2ConditionPipeline.__call__

    def spy(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        seen.append({"adapters": _applied(self), **kwargs})
        return original(self, *args, **kwargs)

    monkeypatch.setattr(LTX2ConditionPipeline, "__call__", spy)
    return seen


@pytest.mark.parametrize("prompt", [NO_MOVE, DOLLY_IN], ids=["no-move", "dolly-in"])
def test_a_dev_checkpoint_refines_with_the_distilled_lora(
    engine, dev_two_stage, monkeypatch, prompt
):
    from diffusers.pipelines.ltx2.utils import STAGE_2_DISTILLED_SIGMA_VALUES

    calls = _adapters_per_call(monkeypatch)
    frames, result = _make(engine, dev_two_stage, prompt)
    assert frames.shape == (9, H, W, 3)
    first, refine = calls
    camera = ["dolly_in"] if prompt == DOLLY_IN else []
    # the first pass at half size with the shot's camera LoRA only; the refine pass at full
    # size over the stage-2 sigmas with the distilled LoRA beside it
    assert (first["width"], first["height"]) == (W // 2, H // 2)
    assert first["adapters"] == camera
    assert (refine["width"], refine["height"]) == (W, H)
    assert refine["sigmas"] == list(STAGE_2_DISTILLED_SIGMA_VALUES)
    assert refine["adapters"] == sorted([*camera, "stage_2_distilled"])
    stages = result.recipe["diffusers"]["two_stage"]
    assert stages["stages"] == ["first pass", "latent upsample x2", "refine pass"]
    assert Path(stages["refine_lora"]).name == "ltx-2-19b-distilled-lora-384.safetensors"
    assert not any("one stage" in n for n in result.notes)
    # both LoRAs are gone once the take is made
    assert not engine._loaded.pipe.get_list_adapters().get("transformer")


def _misfit_lora(path: Path) -> Path:
    """A LoRA made for a wider model: its shapes do not fit the tiny transformer."""
    import torch
    from safetensors.torch import save_file

    stem = "diffusion_model.transformer_blocks.0.attn1.to_q"
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(
        {f"{stem}.lora_A.weight": torch.ones(4, 99), f"{stem}.lora_B.weight": torch.ones(99, 4)},
        str(path),
    )
    return path


def test_a_camera_lora_that_does_not_fit_is_skipped_with_a_note(engine, plain, models_dir):
    """A LoRA for another model, and a full checkpoint named like a move, in ``loras/``: each
    take is made without it (exactly the plain model's frames) and one note says why."""
    import torch
    from safetensors.torch import save_file

    folder = _copy(models_dir, "tiny-ltx2-misfit-loras")
    _misfit_lora(folder / "loras" / "dolly_in.safetensors")
    save_file(
        {"transformer_blocks.0.attn1.to_q.weight": torch.ones(16, 16)},
        str(folder / "loras" / "jib-up.safetensors"),
    )
    dolly, result = _make(engine, folder, DOLLY_IN)
    crane, crane_result = _make(engine, folder, CRANE_UP)
    pipe = engine._loaded.pipe
    assert _applied(pipe) == [] and not pipe.get_list_adapters().get("transformer")
    baseline, _ = _make(engine, plain, DOLLY_IN)
    crane_baseline, _ = _make(engine, plain, CRANE_UP)
    # the take is made, without the LoRA, and says why in one line
    np.testing.assert_array_equal(dolly, baseline)
    np.testing.assert_array_equal(crane, crane_baseline)
    assert result.recipe["diffusers"]["camera_lora"]["applied"] is False
    (note,) = [n for n in result.notes if "dolly_in.safetensors" in n]
    assert "does not fit this model" in note and "size mismatch" in note and "\n" not in note
    (note,) = [n for n in crane_result.notes if "jib-up.safetensors" in n]
    assert "not a LoRA" in note and "made without it" in note


def test_a_refine_lora_that_does_not_fit_makes_one_stage_and_says_why(
    engine, models_dir, monkeypatch
):
    from tests.engine_diffusers.tiny_ltx2 import add_latent_upsampler

    folder = _copy(models_dir, "tiny-ltx2-dev-misfit-refine")
    if not (folder / "latent_upsampler").exists():
        add_latent_upsampler(folder)
    _misfit_lora(folder / "loras" / "ltx-2-19b-distilled-lora-384.safetensors")
    calls = _adapters_per_call(monkeypatch)
    frames, result = _make(engine, folder, NO_MOVE)
    assert frames.shape == (9, H, W, 3)
    (call,) = calls  # one pass at full size, with no LoRA
    assert (call["width"], call["height"]) == (W, H) and call["adapters"] == []
    assert "two_stage" not in result.recipe["diffusers"]
    (note,) = [n for n in result.notes if "one stage" in n]
    assert "ltx-2-19b-distilled-lora-384.safetensors does not fit this model" in note
