"""LoRAs on LTX-2, really loaded (peft): a camera-control LoRA changes the take whose camera move
asks for it and no other, and leaves the cached pipeline as it found it; a dev checkpoint's
two-stage path refines with the distilled LoRA. The LoRAs are random ones for the tiny
transformer, built in code and saved the way Lightricks ships theirs (ComfyUI keys)."""

from __future__ import annotations

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


def _make(engine, model: Path, prompt: str):  # type: ignore[no-untyped-def]
    sink = CollectingSink()
    result = engine.generate(_request(model, prompt), sink)
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
    assert not pipe.get_list_adapters().get("transformer")


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


def _adapters_per_call(monkeypatch: pytest.MonkeyPatch) -> list[dict]:
    """The LoRA adapters active in the transformer at each `LTX2ConditionPipeline` call, with
    the call's size and sigmas."""
    seen: list[dict] = []
    original = LTX2ConditionPipeline.__call__

    def spy(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        adapters = self.get_list_adapters().get("transformer") and self.get_active_adapters()
        seen.append({"adapters": sorted(adapters or []), **kwargs})
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
