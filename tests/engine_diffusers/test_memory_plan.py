"""Memory plans on a simulated CUDA card: one load per model, fp8 counted, RAM checked.

The card is simulated where the engine reads it: ``torch.cuda`` (is_available, mem_get_info,
get_device_properties) and ``psutil.virtual_memory`` for RAM. Its free memory drops by the
weights the engine keeps on it (a model loaded with everything on the GPU), as a real card's
would. The seam: `detect_device` runs for real against those numbers, and the test only points
its torch device at the CPU, so the tiny models load, place (hooks included) and run there while
every memory decision sees CUDA numbers.
"""

from __future__ import annotations

import dataclasses
import math
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("diffusers")
pytest.importorskip("transformers")
psutil = pytest.importorskip("psutil")

from diffusers import LTXConditionPipeline  # noqa: E402

from engine import catalog  # noqa: E402
from engine.api import CollectingSink, EngineError, TextToVideo  # noqa: E402
from engine.backends.diffusers import DiffusersEngine  # noqa: E402
from engine.backends.diffusers import device as dev  # noqa: E402
from engine.backends.diffusers.common import Adapter  # noqa: E402
from engine.backends.diffusers.device import (  # noqa: E402
    DeviceInfo,
    apply_plan,
    choose_plan,
    needs_vae_tiling,
)

GIB = 1024**3
W, H = 96, 64


def _t2v(model: Path, **kw: Any) -> TextToVideo:
    fields: dict[str, Any] = dict(
        prompt="wide shot, dusk", width=W, height=H, num_frames=9, steps=1, model=str(model)
    )
    fields.update(kw)
    return TextToVideo(**fields)


class SimulatedCard:
    """A CUDA card of `total` bytes (and `ram` bytes of free RAM) as torch and psutil report it.

    What is free is `total` less the weights `engine` keeps on it (plan "full"), less `used`
    (other programs)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, total: int, ram: int = 64 * GIB) -> None:
        self.total, self.ram, self.used = int(total), int(ram), 0
        self.engine: DiffusersEngine | None = None
        self.detected: list[DeviceInfo] = []
        monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
        monkeypatch.setattr(torch.cuda, "mem_get_info", lambda *a, **k: (self.free(), self.total))
        monkeypatch.setattr(
            torch.cuda,
            "get_device_properties",
            lambda *a, **k: SimpleNamespace(
                name="Simulated GPU", total_memory=self.total, major=9, minor=0
            ),
        )
        # the code before this change asked torch for bf16 support directly
        monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
        monkeypatch.setattr(psutil, "virtual_memory", lambda: SimpleNamespace(available=self.ram))
        real = dev.detect_device

        def detect(prefer: str = "auto") -> DeviceInfo:
            found = real(prefer)
            assert found.kind == "cuda"  # the engine saw the simulated card
            self.detected.append(found)
            return dataclasses.replace(found, torch_device="cpu")  # tensors stay on the CPU

        monkeypatch.setattr(dev, "detect_device", detect)

    def resident(self) -> int:
        loaded = self.engine._loaded if self.engine is not None else None
        if loaded is None or loaded.plan.name != "full":
            return 0  # offloaded parts go back to RAM after each job
        return loaded.weights_bytes

    def free(self) -> int:
        return self.total - self.resident() - self.used


def _weights(model: Path, fp8: bool = False) -> tuple[int, int]:
    """The tiny model's (weights, largest part) as the engine counts them (float32 on the CPU)."""
    adapter = DiffusersEngine().adapter_for(str(model))
    return adapter.weight_estimate(4, fp8=True) if fp8 else adapter.weight_estimate(4)


def _full_just_fits(weights: int, extra: int = catalog.WORK_BYTES) -> int:
    """A card where `weights` fit with everything on the GPU when it is empty, and would not
    fit again beside themselves."""
    return math.ceil((weights + extra) / catalog.HEADROOM) + weights // 2


# -- defect 1: the plan is chosen once per loaded model ------------------------------------------
def test_jobs_on_one_model_load_it_once_on_a_card_it_fills(
    ltx_model: Path, monkeypatch: pytest.MonkeyPatch, count_calls: Any
) -> None:
    weights, _ = _weights(ltx_model)
    card = SimulatedCard(monkeypatch, _full_just_fits(weights))
    loads = count_calls(LTXConditionPipeline, "from_pretrained")
    engine = card.engine = DiffusersEngine()
    plans = []
    for seed in (1, 2, 3):
        res = engine.generate(_t2v(ltx_model, seed=seed), CollectingSink())
        plans.append(res.recipe["memory_plan"])
    assert plans == ["full", "full", "full"]
    assert loads[0] == 1 and engine.loads == 1
    # the second job really saw a card with the model on it (and kept the plan anyway)
    assert [d.free_bytes for d in card.detected][1] == card.total - weights


def test_another_model_is_planned_with_the_memory_the_loaded_one_frees(
    ltx_model: Path, ltx_distilled_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    weights, _ = _weights(ltx_model)
    assert _weights(ltx_distilled_model)[0] == weights  # the same weights in another folder
    card = SimulatedCard(monkeypatch, _full_just_fits(weights))
    engine = card.engine = DiffusersEngine()
    first = engine.generate(_t2v(ltx_model), CollectingSink())
    second = engine.generate(_t2v(ltx_distilled_model), CollectingSink())
    # the first model's weights were counted as available: it is dropped before the second loads
    assert first.recipe["memory_plan"] == second.recipe["memory_plan"] == "full"
    assert engine.loads == 2


def test_vae_tiling_counts_the_weights_once(
    ltx_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    weights, _ = _weights(ltx_model)
    request = _t2v(ltx_model)
    decode = DiffusersEngine().adapter_for(str(ltx_model)).decode_bytes(request, 4)
    # the decode fits beside the weights on this card, but not beside them twice
    card = SimulatedCard(monkeypatch, _full_just_fits(weights, extra=decode))
    engine = card.engine = DiffusersEngine(plan="full")
    tiling = [
        engine.generate(_t2v(ltx_model, seed=s), CollectingSink()).recipe["diffusers"]["vae_tiling"]
        for s in (1, 2)
    ]
    assert tiling == [False, False] and engine.loads == 1


def test_available_memory_is_free_plus_held() -> None:
    gpu = DeviceInfo("cuda", "GPU", 4 * GIB, 24 * GIB, 64 * GIB, held_bytes=18 * GIB)
    assert gpu.available_bytes == 22 * GIB
    # 18 GiB of weights already on the card, a 1 GiB decode: fits in the 22 GiB it can use
    assert not needs_vae_tiling(gpu, "full", 18 * GIB, 1 * GIB)
    assert needs_vae_tiling(gpu, "full", 18 * GIB, 3 * GIB)


# -- defect 4: fp8 and RAM -----------------------------------------------------------------------
def _ltx13b(fp8: bool) -> tuple[int, int]:
    sizes = catalog.part_bytes(catalog.LTX_13B.as_dict(), fp8=fp8)
    return sum(sizes.values()), max(sizes.values())


def test_fp8_weights_count_one_byte_a_parameter_and_change_the_plan(ltx_model: Path) -> None:
    adapter = DiffusersEngine().adapter_for(str(ltx_model))
    params = adapter.part_params()
    assert set(params) >= {"transformer", "text_encoder", "vae"}
    bf16, largest = adapter.weight_estimate(2)
    fp8, _ = adapter.weight_estimate(2, fp8=True)
    assert bf16 == 2 * sum(params.values()) and largest == 2 * max(params.values())
    assert fp8 == bf16 - params["transformer"]  # the transformer at 1 byte, the rest at 2
    # at full size: an LTX 13B on a 32 GiB card offloads in bf16 and fits whole in fp8
    card = DeviceInfo("cuda", "GPU", 32 * GIB, 32 * GIB, 64 * GIB, bf16=True)
    assert choose_plan(card, *_ltx13b(fp8=False)).name == "model_offload"
    assert choose_plan(card, *_ltx13b(fp8=True)).name == "full"


def test_fp8_changes_the_engines_plan_on_the_simulated_card(
    ltx_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bf16, _ = _weights(ltx_model)
    fp8, _ = _weights(ltx_model, fp8=True)
    # full fits with the transformer in fp8, not without it
    total = math.ceil((fp8 + catalog.WORK_BYTES) / catalog.HEADROOM) + 1
    assert (bf16 + catalog.WORK_BYTES) > total * catalog.HEADROOM
    card = SimulatedCard(monkeypatch, total)
    engine = card.engine = DiffusersEngine()
    with_fp8 = engine.generate(_t2v(ltx_model, options={"speed": {"fp8": True}}), CollectingSink())
    assert with_fp8.recipe["memory_plan"] == "full" and with_fp8.recipe["speed"]["fp8"] is True
    without = engine.generate(_t2v(ltx_model), CollectingSink())
    assert without.recipe["memory_plan"] != "full"
    assert engine.loads == 2  # fp8 is part of the model key


def test_group_offload_pins_weights_only_when_ram_holds_them() -> None:
    weights, largest = _ltx13b(fp8=False)  # about 35.5 GiB
    small = 8 * GIB  # free GPU memory: neither everything nor the transformer fits

    def card(ram_gib: float) -> DeviceInfo:
        return DeviceInfo("cuda", "GPU", small, small, int(ram_gib * GIB), bf16=True)

    roomy = choose_plan(card(96), weights, largest)
    assert (roomy.name, roomy.group_mode) == ("group_offload", "pinned")
    tight = choose_plan(card(48), weights, largest)  # holds the weights, not pinned copies
    assert (tight.name, tight.group_mode) == ("group_offload", "low_cpu_mem_usage")
    assert "pinning every weight takes" in tight.reason and "as they stream" in tight.reason
    with pytest.raises(EngineError) as refused:
        choose_plan(card(24), weights, largest, model="Lightricks/LTX-Video-0.9.7-dev")
    text = str(refused.value)
    assert "\n" not in text and "does not fit" in text and "RAM" in text
    assert text.startswith("Lightricks/LTX-Video-0.9.7-dev")
    # model offload keeps every weight in RAM too: short RAM never picks it
    mid = DeviceInfo("cuda", "GPU", 32 * GIB, 32 * GIB, 24 * GIB, bf16=True)
    with pytest.raises(EngineError, match="does not fit"):
        choose_plan(mid, weights, largest)
    # a forced group offload still falls back by RAM, without refusing
    forced = choose_plan(card(48), weights, largest, forced="group_offload")
    assert forced.group_mode == "low_cpu_mem_usage" and forced.reason.startswith("asked for")
    # no CUDA streams (Apple MPS): block by block, nothing pinned
    mps = DeviceInfo("mps", "Apple GPU", small, None, 48 * GIB)
    assert choose_plan(mps, weights, largest).group_mode == "blocks"


class _Pipe:
    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def enable_group_offload(self, **kwargs: Any) -> None:
        self.calls.append(("group", kwargs))


@pytest.mark.parametrize(
    ("mode", "expected"),
    [
        ("pinned", {"offload_type": "leaf_level", "use_stream": True, "low_cpu_mem_usage": False}),
        (
            "low_cpu_mem_usage",
            {"offload_type": "leaf_level", "use_stream": True, "low_cpu_mem_usage": True},
        ),
        ("blocks", {"offload_type": "block_level", "use_stream": False, "num_blocks_per_group": 1}),
    ],
)
def test_each_group_offload_mode_reaches_diffusers(mode: str, expected: dict[str, Any]) -> None:
    pipe = _Pipe()
    gpu = DeviceInfo("cuda", "GPU", 8 * GIB, 8 * GIB, 64 * GIB, torch_device="cuda")
    apply_plan(pipe, dev.MemoryPlan("group_offload", "test", mode), gpu)
    ((_, kwargs),) = pipe.calls
    assert {k: kwargs[k] for k in expected} == expected


def test_a_job_that_fits_nowhere_is_refused_before_loading(
    ltx_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # an LTX 13B's weights (as the files would say) on an 8 GiB card with 16 GiB of RAM
    monkeypatch.setattr(Adapter, "weight_estimate", lambda self, b, fp8=False: _ltx13b(fp8))
    card = SimulatedCard(monkeypatch, 8 * GIB, ram=16 * GIB)
    engine = card.engine = DiffusersEngine()
    with pytest.raises(EngineError) as refused:
        engine.generate(_t2v(ltx_model), CollectingSink())
    text = str(refused.value)
    assert "\n" not in text and "does not fit" in text and "RAM" in text
    assert "fp8" not in text  # it would not fit with fp8 either
    assert engine.loads == 0
    # a 30 GiB card holds it whole with the transformer in fp8: the refusal says so
    card.total = 30 * GIB
    with pytest.raises(EngineError, match=r"does not fit.*with fp8 on \(speed settings\) it would"):
        engine.generate(_t2v(ltx_model), CollectingSink())
    res = engine.generate(_t2v(ltx_model, options={"speed": {"fp8": True}}), CollectingSink())
    assert res.recipe["memory_plan"] == "full" and engine.loads == 1


def test_short_ram_runs_group_offload_without_pinning(
    ltx_model: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # an LTX 13B's weights on an 8 GiB card whose 40 GiB of RAM hold them, but not pinned
    monkeypatch.setattr(Adapter, "weight_estimate", lambda self, b, fp8=False: _ltx13b(fp8))
    card = SimulatedCard(monkeypatch, 8 * GIB, ram=40 * GIB)
    engine = card.engine = DiffusersEngine()
    sink = CollectingSink()
    res = engine.generate(_t2v(ltx_model), sink)
    assert res.recipe["memory_plan"] == "group_offload" and len(sink.frames) == 9
    # the simulated card has no CUDA streams for the CPU tensors: block by block, no pinning
    assert res.recipe["diffusers"]["group_offload_mode"] == "blocks"
    assert any("memory plan: group offload" in n and "nothing pinned" in n for n in res.notes)
