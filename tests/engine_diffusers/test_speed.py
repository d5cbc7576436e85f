"""Speed levers (``options["speed"]``) on tiny models on the CPU: each one that can run here
runs, and the recipe's ``speed`` entry records what was applied and why anything was skipped.

Timings are not measured here (see ``benchmarks/engine_gpu.py``); these tests check that each
lever really changes what runs (block calls skipped, weights stored as float8, the attention
backend set, guidance passes batched or not) and that the recipe says so.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")
pytest.importorskip("transformers")

from diffusers import LTXVideoTransformer3DModel, WanTransformer3DModel  # noqa: E402

from engine.api import Cancelled, CancelToken, CollectingSink, Remix, TextToVideo  # noqa: E402
from engine.backends.diffusers import DiffusersEngine  # noqa: E402
from engine.backends.diffusers.device import DeviceInfo  # noqa: E402
from engine.backends.diffusers.speed import (  # noqa: E402
    AppliedSpeed,
    SpeedSettings,
    apply_compile,
    attention_backend_problem,
)

W, H = 96, 64


def _request(model: Path, steps: int = 3, guidance: float = 1.0, **speed: Any) -> TextToVideo:
    return TextToVideo(
        prompt="wide shot, harbour, dawn",
        width=W,
        height=H,
        num_frames=9,
        fps=Fraction(16),
        steps=steps,
        guidance=guidance,
        model=str(model),
        options={"speed": speed} if speed else {},
    )


def _generate(engine: DiffusersEngine, req: TextToVideo) -> tuple[Any, CollectingSink]:
    sink = CollectingSink()
    return engine.generate(req, sink), sink


@pytest.fixture
def attn_calls() -> Any:
    """``count = attn_calls(module)``: a list whose [0] counts the module's forward calls."""
    handles: list[Any] = []

    def watch(module: Any) -> list[int]:
        counter = [0]

        def hook(*_: Any) -> None:
            counter[0] += 1

        handles.append(module.register_forward_hook(hook))
        return counter

    yield watch
    for h in handles:
        h.remove()


# -- defaults ------------------------------------------------------------------------------------


def test_no_speed_options_records_everything_off(engine, wan_t2v_model: Path):
    res, sink = _generate(engine, _request(wan_t2v_model, steps=2))
    speed = res.recipe["speed"]
    assert speed["compile"] is False and speed["fp8"] is False
    assert speed["attention"] == "default" and speed["step_cache"] is None
    assert speed["notes"] == []
    assert speed["requested"]["step_cache"] == "" and res.frames == 9


# -- step cache ----------------------------------------------------------------------------------


def test_first_block_cache_skips_the_later_blocks(engine, wan_t2v_model: Path, attn_calls):
    """With First Block Cache the last block's work is skipped on cached steps. A huge threshold
    makes every step after the first a cache hit, so the count is exact on random weights."""
    steps = 4
    plain = _request(wan_t2v_model, steps=steps)
    _generate(engine, plain)  # load without the cache
    last = attn_calls(engine._loaded.pipe.transformer.blocks[-1].attn1)
    res, sink = _generate(engine, plain)
    assert last[0] == steps
    assert res.recipe["speed"]["step_cache"] is None

    cached = _request(wan_t2v_model, steps=steps, step_cache="first_block", cache_threshold=1e6)
    _generate(engine, cached)  # loads a new model (the cache is part of the key)
    transformer = engine._loaded.pipe.transformer
    assert transformer.is_cache_enabled
    first = attn_calls(transformer.blocks[0].attn1)
    last = attn_calls(transformer.blocks[-1].attn1)
    res, sink = _generate(engine, cached)
    assert first[0] == steps  # the first block always runs: it decides
    assert last[0] == 1  # only the first step computed the rest; the others reused it
    assert sink.array().shape == (9, H, W, 3)
    speed = res.recipe["speed"]
    assert speed["step_cache"] == {"kind": "first_block", "threshold": 1e6}
    assert any("trades quality for speed" in n for n in speed["notes"])
    assert any("First Block Cache" in n for n in res.notes)


def test_step_cache_state_does_not_leak_between_generations(engine, wan_t2v_model, attn_calls):
    """A generation cancelled mid-way leaves the cache's state behind (the pipeline never
    reaches its own reset); the next generation's first step must still compute every block."""
    cached = _request(wan_t2v_model, steps=3, step_cache="first_block", cache_threshold=1e6)
    _generate(engine, cached)
    last = attn_calls(engine._loaded.pipe.transformer.blocks[-1].attn1)
    token = CancelToken()

    def cancel_after_first_step(event: Any) -> None:
        if getattr(event, "stage", "") == "denoise" and getattr(event, "step", 0) >= 1:
            token.cancel()

    with pytest.raises(Cancelled):
        engine.generate(cached, CollectingSink(), cancel_after_first_step, token)
    assert last[0] == 1
    _generate(engine, cached)
    assert last[0] == 2  # the new generation's first step ran the whole transformer


def test_remix_pauses_the_step_cache_and_says_so(engine, wan_t2v_model, make_take):
    take = make_take(21, n=9, width=W, height=H, fps=16)
    req = Remix.for_source(
        take,
        prompt="noir",
        strength=0.5,
        steps=4,
        model=str(wan_t2v_model),
        options={"speed": {"step_cache": "first_block"}},
    )
    res = engine.generate(req, CollectingSink())
    assert res.frames == 9
    assert any("not used for remix" in n for n in res.recipe["speed"]["notes"])
    assert engine._loaded.pipe.transformer.is_cache_enabled  # back on for the next job


def test_mag_cache_is_skipped_with_a_reason(engine, wan_t2v_model: Path):
    res, _ = _generate(engine, _request(wan_t2v_model, steps=2, step_cache="mag"))
    speed = res.recipe["speed"]
    assert speed["step_cache"] is None
    assert any("'mag': skipped" in n and "magnitude ratios" in n for n in speed["notes"])
    assert not engine._loaded.pipe.transformer.is_cache_enabled


def test_first_block_cache_needs_two_blocks():
    """A one-block transformer: the cache is skipped with a note, not a crash (the tiny test
    models all have two blocks or more, so the cache itself runs everywhere it is tested)."""
    from engine.backends.diffusers.speed import _apply_step_cache

    one_block = LTXVideoTransformer3DModel(
        in_channels=8,
        out_channels=8,
        num_attention_heads=2,
        attention_head_dim=4,
        cross_attention_dim=8,
        num_layers=1,
        caption_channels=8,
    )
    settings = SpeedSettings(step_cache="first_block")
    applied = AppliedSpeed(settings)
    _apply_step_cache(one_block, settings, applied)
    assert applied.step_cache is None
    assert any("needs at least 2" in n for n in applied.notes)
    assert not one_block.is_cache_enabled


def test_first_block_cache_runs_on_the_two_block_ltx(engine, ltx_model: Path):
    res, sink = _generate(engine, _request(ltx_model, steps=3, step_cache="first_block"))
    assert res.recipe["speed"]["step_cache"]["kind"] == "first_block"
    assert len(sink.frames) == res.frames == 9


# -- fp8 -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["ltx", "wan"])
def test_fp8_stores_transformer_weights_as_float8(engine, which, ltx_model, wan_t2v_model):
    model = ltx_model if which == "ltx" else wan_t2v_model
    res, sink = _generate(engine, _request(model, steps=2, fp8=True))
    transformer = engine._loaded.pipe.transformer
    linears = [m for m in transformer.modules() if isinstance(m, torch.nn.Linear)]
    stored = {m.weight.dtype for m in linears}
    assert torch.float8_e4m3fn in stored
    # the blocks' attention projections are float8; norms/embedders stay (diffusers' skip list)
    block = transformer.transformer_blocks[0] if which == "ltx" else transformer.blocks[0]
    assert block.attn1.to_q.weight.dtype == torch.float8_e4m3fn
    assert res.frames == 9 and sink.array().shape == (9, H, W, 3)
    assert res.recipe["speed"]["fp8"] is True
    assert any("float8_e4m3fn" in n and "quality" in n for n in res.notes)


# -- attention backend ---------------------------------------------------------------------------


def test_native_attention_backend_is_applied(engine, wan_t2v_model: Path):
    res, _ = _generate(engine, _request(wan_t2v_model, steps=2, attention="native"))
    assert res.recipe["speed"]["attention"] == "native"
    processor = engine._loaded.pipe.transformer.blocks[0].attn1.processor
    assert str(getattr(processor._attention_backend, "value", processor._attention_backend)) == (
        "native"
    )


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("flash", "needs a CUDA GPU"),
        ("flash_hub", "downloads a kernel"),
        ("warp_drive", "not known"),
    ],
)
def test_unavailable_attention_backend_is_skipped_with_a_note(engine, wan_t2v_model, name, why):
    res, sink = _generate(engine, _request(wan_t2v_model, steps=2, attention=name))
    speed = res.recipe["speed"]
    assert speed["attention"] == "default"
    assert any(f"attention backend {name!r}" in n and why in n for n in speed["notes"])
    assert any(why in n for n in res.notes) and sink.array().shape == (9, H, W, 3)
    processor = engine._loaded.pipe.transformer.blocks[0].attn1.processor
    assert processor._attention_backend is None


def test_attention_backend_needs_its_package_even_on_cuda():
    problem = attention_backend_problem("sage", "cuda")
    try:
        import sageattention  # noqa: F401
    except ImportError:
        assert problem is not None and "sageattention package is not installed" in problem
    assert attention_backend_problem("native", "cpu") is None
    assert "Hub" in (attention_backend_problem("sage_hub", "cuda") or "")


# -- compile -------------------------------------------------------------------------------------


def test_compile_is_skipped_on_the_cpu_with_a_note(engine, wan_t2v_model: Path):
    res, sink = _generate(engine, _request(wan_t2v_model, steps=2, compile=True))
    speed = res.recipe["speed"]
    assert speed["compile"] is False and speed["requested"]["compile"] is True
    assert "compile: skipped on CPU (CUDA only)" in speed["notes"]
    assert sink.array().shape == (9, H, W, 3)


class _FakeTransformer:
    def __init__(self) -> None:
        self.calls: list[dict[str, Any]] = []

    def compile_repeated_blocks(self, **kwargs: Any) -> None:
        self.calls.append(kwargs)


class _FakePipe:
    def __init__(self) -> None:
        self.transformer = _FakeTransformer()


_CUDA = DeviceInfo("cuda", "test GPU", 8 << 30, 8 << 30, 16 << 30, bf16=True)


def test_compile_on_cuda_compiles_the_repeated_blocks():
    pipe = _FakePipe()
    applied = AppliedSpeed(SpeedSettings(compile=True))
    apply_compile(pipe, applied, _CUDA, "full")
    assert pipe.transformer.calls == [{"fullgraph": True}]
    assert applied.compile is True


def test_compile_is_not_combined_with_hooks_that_break_the_graph():
    for applied, plan, why in (
        (AppliedSpeed(SpeedSettings(compile=True), step_cache={"kind": "x"}), "full", "cache"),
        (AppliedSpeed(SpeedSettings(compile=True), fp8=True), "full", "fp8"),
        (AppliedSpeed(SpeedSettings(compile=True)), "group_offload", "group offload"),
    ):
        pipe = _FakePipe()
        apply_compile(pipe, applied, _CUDA, plan)
        assert pipe.transformer.calls == [] and applied.compile is False
        assert why in applied.notes[-1]


# -- batched guidance ----------------------------------------------------------------------------


def test_ltx_batches_guidance_in_one_forward_pass(engine, ltx_model: Path, count_calls):
    forwards = count_calls(LTXVideoTransformer3DModel, "forward")
    res, _ = _generate(engine, _request(ltx_model, steps=3, guidance=3.0, cfg_batch=True))
    assert forwards[0] == 3  # one batched pass per step, not two
    assert res.recipe["speed"]["cfg_batch"].startswith("batched: LTXConditionPipeline")


def test_wan_guidance_batching_is_not_claimed(engine, wan_t2v_model: Path, count_calls):
    forwards = count_calls(WanTransformer3DModel, "forward")
    res, _ = _generate(engine, _request(wan_t2v_model, steps=3, guidance=5.0, cfg_batch=True))
    assert forwards[0] == 6  # two passes per step: the pipeline does not batch them
    assert res.recipe["speed"]["cfg_batch"].startswith("not available for this pipeline")


# -- the model cache key -------------------------------------------------------------------------


def test_speed_settings_that_change_the_model_reload_it(wan_t2v_model: Path):
    engine = DiffusersEngine(preview_interval_s=0.0)
    _generate(engine, _request(wan_t2v_model, steps=1, fp8=True))
    _generate(engine, _request(wan_t2v_model, steps=1, fp8=True, cfg_batch=False))
    assert engine.loads == 1  # cfg_batch does not change the loaded model
    _generate(engine, _request(wan_t2v_model, steps=1))
    assert engine.loads == 2
    _generate(engine, _request(wan_t2v_model, steps=1, attention="native"))
    assert engine.loads == 3
    engine.unload()
