"""`benchmarks/engine_gpu.py`: the one GPU check plans itself to its budget, compares the plain
diffusers call with the engine at the same VAE dtype, and its ``--cpu-smoke`` runs every code
path (per-step table, LTX-2's in-memory step, end to end) on tiny random models."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _bench():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("engine_gpu", ROOT / "benchmarks/engine_gpu.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("engine_gpu", module)
    spec.loader.exec_module(module)
    return module


LEVERS = ["plain", "compile", "attn:_native_cudnn", "compile+attn:_native_cudnn", "fp8 (lossy)"]


def test_the_plan_fits_the_budget_and_shrinks_with_it():
    g = _bench()
    totals = {}
    for budget in (900, 480, 300):
        b = g.Budget(budget, 989e12, False, True, 5, 3)
        plan, parts = b.plan(
            ["ltx", "wan", "ltx2"], None, {"ltx": LEVERS, "wan": LEVERS}, ["_native_cudnn"], True
        )
        totals[budget] = (plan.rung, sum(parts.values()))
        assert sum(parts.values()) <= budget
        assert plan.e2e_models == ["ltx", "wan"]  # end to end on both, whatever the budget
    # the default 8-minute budget keeps the LTX-2 step and the compile + attention variant
    b = g.Budget(480, 989e12, False, True, 5, 3)
    plan, _ = b.plan(
        ["ltx", "wan", "ltx2"], None, {"ltx": LEVERS, "wan": LEVERS}, ["_native_cudnn"], True
    )
    assert plan.ltx2_step
    assert any("compile" in label for label, _ in b.e2e_variants(plan, ["_native_cudnn"], True))
    assert totals[900][0] < totals[480][0] < totals[300][0]  # less time: a leaner plan


def test_ltx2_step_flops_count_both_streams():
    g = _bench()
    s = g.shapes(False)["ltx2"]
    video_only = g.Shape(
        s.name, s.config, 128, s.frames, s.height, s.width, s.text_tokens, True, 0, "ltx2"
    )
    assert g.step_flops(s, True) > g.step_flops(video_only, True) > 0
    # 2 x params x tokens is the floor of a transformer's FLOPs (linear layers alone)
    assert g.forward_flops(s, 1) > 2 * 15e9 * s.tokens


def test_plain_wan_baseline_decodes_in_float32_like_the_engine(wan_t2v_model):
    torch = pytest.importorskip("torch")
    g = _bench()
    pipe = g.load_plain("wan", wan_t2v_model, torch.bfloat16)
    assert pipe.transformer.dtype == torch.bfloat16
    assert pipe.vae.dtype == torch.float32  # as `load_with_wan_vae` loads it for the engine


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_cpu_smoke_runs_every_code_path(tmp_path, capsys):
    pytest.importorskip("torch")
    pytest.importorskip("diffusers")
    g = _bench()
    assert g.main(["--cpu-smoke", "--work", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "budget 480 s -> plan" in out
    for name in ("LTX-Video (tiny)", "Wan 2.1 (tiny)", "LTX-2 (tiny)"):
        assert f"{name:<20} plain" in out, name
    assert "failed" not in out
    e2e = [line for line in out.splitlines() if "x plain" in line]
    assert len(e2e) >= 4  # plain + ours, both models
    assert all("VAE float32" in line for line in e2e)
    assert "WARNING" not in out
