"""LTX-Video at first contact with a real card (issue 13): what broke there, on tiny models.

The tiny LTX transformer has two blocks, so First Block Cache really runs wherever it is used.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("torch")
pytest.importorskip("diffusers")
pytest.importorskip("transformers")

from diffusers import LTXVideoTransformer3DModel  # noqa: E402
from transformers import T5EncoderModel  # noqa: E402

from engine.api import (  # noqa: E402
    LONG_SHOT,
    CollectingSink,
    LongShot,
    RequestError,
    ShotWindow,
    TextToVideo,
)
from engine.backends.diffusers import DiffusersEngine  # noqa: E402

W, H = 96, 64


def _t2v(model: Path, **kw: Any) -> TextToVideo:
    fields: dict[str, Any] = dict(
        prompt="wide shot, harbour, dawn",
        width=W,
        height=H,
        num_frames=9,
        fps=Fraction(24),
        steps=2,
        seed=3,
        model=str(model),
    )
    fields.update(kw)
    return TextToVideo(**fields)


def _long(model: Path, **kw: Any) -> LongShot:
    fields: dict[str, Any] = dict(
        prompt="wide, a ferry leaves",
        windows=(
            ShotWindow(0, 16, "wide, a ferry leaves the pier"),
            ShotWindow(16, 32, "the ferry turns toward camera"),
            ShotWindow(32, 45, "the ferry turns toward camera"),
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


# -- defect 2: attention backends LTX cannot use ---------------------------------------------------


@pytest.mark.parametrize("backend", ["flash", "_native_flash", "_flash_3", "sage"])
def test_ltx_refuses_mask_refusing_attention_backends_before_loading(
    ltx_model: Path, backend: str
) -> None:
    from engine.backends.diffusers.speed import attention_backends_for

    engine = DiffusersEngine(device="cpu")
    req = _t2v(ltx_model, options={"speed": {"attention": backend}})
    with pytest.raises(RequestError) as err:
        engine.generate(req, CollectingSink())
    message = str(err.value)
    assert "\n" not in message
    assert repr(backend) in message and "mask" in message and "native" in message
    assert engine.loads == 0  # refused before anything loaded
    assert backend not in attention_backends_for("ltx")
    assert backend in attention_backends_for("wan")  # Wan passes no mask: it may use them


def test_a_model_that_fails_mid_run_is_not_kept_cached(
    engine: DiffusersEngine, ltx_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = LTXVideoTransformer3DModel.forward
    failures = [1]

    def first_step_fails(self: Any, *a: Any, **k: Any) -> Any:
        if failures and failures.pop():
            raise RuntimeError("attention kernel refused the mask")
        return original(self, *a, **k)

    monkeypatch.setattr(LTXVideoTransformer3DModel, "forward", first_step_fails)
    with pytest.raises(RuntimeError):
        engine.generate(_t2v(ltx_model), CollectingSink())
    assert engine._loaded is None  # the broken model is not reused by the next job
    loads = engine.loads
    sink = CollectingSink()
    engine.generate(_t2v(ltx_model), sink)
    assert engine.loads == loads + 1 and len(sink.frames) == 9


# -- defect 3: First Block Cache across long-shot windows ------------------------------------------


def test_first_block_cache_survives_a_long_shot_with_a_shorter_last_window(
    engine: DiffusersEngine, ltx_distilled_model: Path
) -> None:
    req = _long(ltx_distilled_model, options={"speed": {"step_cache": "first_block"}})
    sink = CollectingSink()
    res = engine.generate(req, sink)
    assert res.recipe["speed"]["step_cache"]["kind"] == "first_block"
    windows = res.recipe["diffusers"]["long_pipeline"]["windows"]
    sizes = [w["latent_end"] - w["latent_start"] for w in windows]
    assert len(sizes) >= 2 and sizes[-1] < sizes[0]  # the case that crashed
    assert len(sink.frames) == 45


# -- defect 7: the long pipeline encodes once, and only where it suits ----------------------------


def test_a_long_shot_encodes_each_distinct_prompt_once(
    engine: DiffusersEngine, ltx_distilled_model: Path, count_calls: Any
) -> None:
    encodes = count_calls(T5EncoderModel, "forward")
    sink = CollectingSink()
    res = engine.generate(_long(ltx_distilled_model), sink)
    windows = res.recipe["diffusers"]["long_pipeline"]["windows"]
    distinct = {w["prompt"] for w in windows}
    assert len(windows) == 3 and len(distinct) == 2
    assert encodes[0] == 2  # not once per window
    assert res.recipe["diffusers"]["long_pipeline"]["prompts_encoded"] == 2


def test_only_distilled_ltx_offers_the_one_call_long_shot(
    ltx_model: Path, ltx_distilled_model: Path
) -> None:
    engine = DiffusersEngine(device="cpu")
    assert LONG_SHOT in engine.capabilities_for(str(ltx_distilled_model)).operations
    assert LONG_SHOT not in engine.capabilities_for(str(ltx_model)).operations


# -- defect 8: the 2B catalog entry ------------------------------------------------------------------


def test_the_2b_ltx_entry_is_a_checkpoint_that_does_what_it_advertises() -> None:
    from engine.catalog import CATALOG

    (entry,) = [e for e in CATALOG if e.family == "ltx" and "2B" in e.title]
    # 0.9.0 (the Lightricks/LTX-Video root) has no multi-condition keyframes, end pins or
    # timestep-aware VAE: the entry must name 0.9.5 or later for every operation it lists
    assert entry.id != "Lightricks/LTX-Video"
    assert "0.9.5" in entry.id and {"bridge", "extend", "loop"} <= set(entry.operations)


# -- defect 6: the distilled multi-scale recipe, and guidance rescale on dev ----------------------


@pytest.fixture(scope="module")
def ltx_distilled_upsampler_model(
    ltx_model: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    """The tiny LTX weights as a distilled folder with a tiny spatial upsampler installed."""
    import shutil

    from tests.engine_diffusers.tiny_models import build_ltx_upsampler

    path = tmp_path_factory.mktemp("ms") / "tiny-ltx-distilled-ms"
    shutil.copytree(ltx_model, path)
    build_ltx_upsampler(path / "latent_upsampler")
    return path


def test_distilled_runs_the_multiscale_recipe_when_the_upsampler_is_installed(
    engine: DiffusersEngine, ltx_distilled_upsampler_model: Path, capture: Any
) -> None:
    from diffusers import LTXConditionPipeline, LTXLatentUpsamplePipeline

    from engine.backends.diffusers.ltx import DISTILLED_TIMESTEPS, REFINE_TIMESTEPS

    calls = capture(LTXConditionPipeline)
    ups = capture(LTXLatentUpsamplePipeline)
    sink = CollectingSink()
    res = engine.generate(_t2v(ltx_distilled_upsampler_model, steps=None, guidance=None), sink)
    first, refine = calls
    assert (first["width"], first["height"]) == (64, 32)  # 2/3 of 96x64, to the multiple of 32
    assert list(first["timesteps"]) == list(DISTILLED_TIMESTEPS)
    assert len(ups) == 1 and ups[0]["adain_factor"] == 1.0
    assert (refine["width"], refine["height"]) == (128, 64)  # doubled by the upsampler
    assert list(refine["timesteps"]) == list(REFINE_TIMESTEPS)
    assert refine["denoise_strength"] == 0.999 and refine["latents"] is not None
    assert len(sink.frames) == 9 and sink.frames[0].shape == (H, W, 3)
    assert res.recipe["diffusers"]["multiscale"]["refine_pass"] == "128x64"


def test_distilled_without_an_upsampler_says_so_once_and_runs_one_pass(
    engine: DiffusersEngine, ltx_distilled_model: Path, capture: Any, monkeypatch: Any
) -> None:
    from diffusers import LTXConditionPipeline

    from engine.backends.diffusers import ltx

    monkeypatch.setattr(ltx, "_UPSAMPLER_NOTED", set())
    calls = capture(LTXConditionPipeline)
    a = engine.generate(_t2v(ltx_distilled_model, steps=None, guidance=None), CollectingSink())
    b = engine.generate(_t2v(ltx_distilled_model, steps=None, guidance=None), CollectingSink())
    assert len(calls) == 2 and all((c["width"], c["height"]) == (W, H) for c in calls)
    said = [n for n in a.notes if "no spatial latent upsampler" in n]
    assert len(said) == 1 and not any("no spatial latent upsampler" in n for n in b.notes)


def test_dev_ltx_under_guidance_gets_the_published_guidance_rescale(
    engine: DiffusersEngine, ltx_model: Path, capture: Any
) -> None:
    from diffusers import LTXConditionPipeline

    calls = capture(LTXConditionPipeline)
    res = engine.generate(_t2v(ltx_model, guidance=3.0), CollectingSink())
    assert calls[0]["guidance_rescale"] == 0.7
    assert res.recipe["diffusers"]["guidance_rescale"] == 0.7


def test_ltx_098_distilled_tone_maps_the_upsampled_latents(
    engine: DiffusersEngine,
    ltx_distilled_upsampler_model: Path,
    tmp_path_factory: pytest.TempPathFactory,
    capture: Any,
) -> None:
    """diffusers' LTX-Video 0.9.8 distilled example upsamples with tone_map_compression_ratio
    0.6 (its docs recommend it); 0.9.7's has none."""
    import shutil

    from diffusers import LTXLatentUpsamplePipeline

    path = tmp_path_factory.mktemp("ms098") / "tiny-LTX-Video-0.9.8-distilled"
    shutil.copytree(ltx_distilled_upsampler_model, path)
    ups = capture(LTXLatentUpsamplePipeline)
    res = engine.generate(_t2v(path, steps=None, guidance=None), CollectingSink())
    (up,) = ups
    assert up["tone_map_compression_ratio"] == 0.6
    assert res.recipe["diffusers"]["multiscale"]["tone_map_compression_ratio"] == 0.6
    ups.clear()
    engine.generate(
        _t2v(ltx_distilled_upsampler_model, steps=None, guidance=None), CollectingSink()
    )
    assert ups[0]["tone_map_compression_ratio"] == 0.0
