"""Where a model runs and how it fits: device, dtype, memory plan, and out-of-memory errors.

1. Device: CUDA, then Apple MPS, then the CPU (``PREVIZ_DEVICE`` = auto|cuda|mps|cpu).
2. Dtype: bfloat16 on GPUs that support it, else float16; float32 on the CPU.
3. Memory plan, from free GPU memory and system RAM (``PREVIZ_MEMORY_PLAN`` forces one):

   - ``full``: every part on the GPU (fastest);
   - ``model_offload``: one model (text encoder, transformer, VAE) on the GPU at a time;
   - ``group_offload``: the weights stay in RAM and stream to the GPU layer by layer
     (slowest, smallest).

   VAE tiling is switched on per request when the decode would not fit next to the weights.
4. Out of memory: `oom_message` names the next plan to try; the engine can retry once with it.

torch is imported inside the functions.
"""

from __future__ import annotations

import gc
import logging
import os
from dataclasses import dataclass
from typing import Any

__all__ = [
    "PLANS",
    "PLAN_TEXT",
    "DeviceInfo",
    "MemoryPlan",
    "apply_plan",
    "choose_plan",
    "detect_device",
    "free_memory",
    "is_oom",
    "needs_vae_tiling",
    "next_plan",
    "oom_message",
    "pick_dtype",
]

log = logging.getLogger(__name__)

PLANS = ("full", "model_offload", "group_offload")
PLAN_TEXT = {
    "full": "everything on the GPU",
    "model_offload": "model CPU offload (one model on the GPU at a time)",
    "group_offload": "group offload (weights stream to the GPU layer by layer)",
}
_GIB = 1024**3
HEADROOM = 0.9  # use at most this share of free memory
WORK_BYTES = 2 * _GIB  # activations besides the decode, roughly


@dataclass(frozen=True)
class DeviceInfo:
    """The device a model runs on and the memory it has (bytes; None when unknown)."""

    kind: str  # "cuda" | "mps" | "cpu"
    name: str
    free_bytes: int | None
    total_bytes: int | None
    ram_free_bytes: int | None
    bf16: bool = False
    torch_device: str = ""  # the torch device string; "" means the kind ("cuda", "mps", "cpu")

    def __post_init__(self) -> None:
        if not self.torch_device:
            object.__setattr__(self, "torch_device", self.kind)

    def describe(self) -> str:
        if self.kind == "cpu":
            return "CPU"
        free = f", {self.free_bytes / _GIB:.1f} GiB free" if self.free_bytes is not None else ""
        return f"{self.name}{free}"


@dataclass(frozen=True)
class MemoryPlan:
    name: str  # one of PLANS
    reason: str

    def describe(self, device: DeviceInfo | None = None) -> str:
        if device is not None and device.kind == "cpu" and self.name == "full":
            return f"everything on the CPU ({self.reason})"
        return f"{PLAN_TEXT.get(self.name, self.name)} ({self.reason})"


def _ram_free() -> int | None:
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except Exception:  # noqa: BLE001 - psutil is optional
        try:
            return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            return None


def detect_device(prefer: str = "auto") -> DeviceInfo:
    """The best available device (or the one asked for, when it exists)."""
    import torch

    prefer = (prefer or "auto").lower()
    if prefer not in ("auto", "cuda", "mps", "cpu"):
        from engine.api import RequestError

        raise RequestError(f"unknown device {prefer!r}; use auto, cuda, mps or cpu")
    ram = _ram_free()
    if prefer in ("auto", "cuda") and torch.cuda.is_available():
        free, total = torch.cuda.mem_get_info()
        return DeviceInfo(
            "cuda",
            torch.cuda.get_device_name(0),
            int(free),
            int(total),
            ram,
            bf16=bool(torch.cuda.is_bf16_supported()),
        )
    mps = getattr(torch.backends, "mps", None)
    if prefer in ("auto", "mps") and mps is not None and mps.is_available():
        # Apple GPUs share system memory: what is free for the GPU is what is free in RAM.
        return DeviceInfo("mps", "Apple GPU (MPS)", ram, None, ram, bf16=False)
    if prefer in ("cuda", "mps"):
        log.warning("device %s was asked for but is not available; using the CPU", prefer)
    return DeviceInfo("cpu", "CPU", ram, None, ram, bf16=False)


def pick_dtype(device: DeviceInfo) -> Any:
    import torch

    if device.torch_device.startswith("cpu"):
        return torch.float32  # half precision on the CPU is slow or unsupported
    if device.kind == "cuda":
        return torch.bfloat16 if device.bf16 else torch.float16
    if device.kind == "mps":
        return torch.float16
    return torch.float32


def next_plan(name: str) -> str | None:
    """The plan that uses less GPU memory than `name`, or None."""
    try:
        i = PLANS.index(name)
    except ValueError:
        return None
    return PLANS[i + 1] if i + 1 < len(PLANS) else None


def choose_plan(
    device: DeviceInfo, weights_bytes: int, largest_bytes: int, forced: str | None = None
) -> MemoryPlan:
    """The fastest plan that fits: all parts (`weights_bytes`) or the largest one on the GPU."""
    if forced:
        if forced not in PLANS:
            from engine.api import RequestError

            raise RequestError(
                f"unknown memory plan {forced!r}; use one of {', '.join(PLANS)} (or auto)"
            )
        return MemoryPlan(forced, "asked for")
    if device.kind == "cpu":
        return MemoryPlan("full", "running on the CPU; the weights stay in RAM")
    free = device.free_bytes
    if free is None:
        return MemoryPlan("model_offload", "free GPU memory unknown")
    budget = free * HEADROOM
    gib = f"{free / _GIB:.1f} GiB free"
    if weights_bytes + WORK_BYTES <= budget:
        return MemoryPlan("full", f"{weights_bytes / _GIB:.1f} GiB of weights, {gib}")
    ram = device.ram_free_bytes
    ram_ok = ram is None or ram >= weights_bytes
    if largest_bytes + WORK_BYTES <= budget and ram_ok:
        return MemoryPlan(
            "model_offload",
            f"{weights_bytes / _GIB:.1f} GiB of weights do not fit in {gib}; the largest part "
            f"({largest_bytes / _GIB:.1f} GiB) does",
        )
    return MemoryPlan(
        "group_offload",
        f"the largest part ({largest_bytes / _GIB:.1f} GiB) does not fit in {gib}",
    )


def needs_vae_tiling(device: DeviceInfo, plan: str, weights_bytes: int, decode_bytes: int) -> bool:
    """Whether the VAE should decode in tiles (the decode would not fit next to the weights)."""
    if device.free_bytes is None:
        return True
    resident = weights_bytes if plan == "full" else 0
    return resident + decode_bytes > device.free_bytes * HEADROOM


def apply_plan(pipe: Any, plan: str, device: DeviceInfo) -> None:
    """Place `pipe`'s models on `device` according to `plan`."""
    import torch

    target = torch.device(device.torch_device)
    if plan == "full":
        pipe.to(target)
    elif plan == "model_offload":
        pipe.enable_model_cpu_offload(device=target)
    elif plan == "group_offload":
        pipe.enable_group_offload(
            onload_device=target,
            offload_device=torch.device("cpu"),
            offload_type="leaf_level",
            use_stream=device.kind == "cuda",
        )
    else:  # pragma: no cover - choose_plan() refuses unknown plans
        raise ValueError(plan)


def is_oom(exc: BaseException) -> bool:
    """Whether `exc` (or what caused it) is an out-of-memory error (CUDA, MPS, HIP, CPU)."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return False
        if _is_oom(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _is_oom(exc: BaseException) -> bool:
    import torch

    oom_types = tuple(
        t
        for t in (
            getattr(torch, "OutOfMemoryError", None),
            getattr(torch.cuda, "OutOfMemoryError", None),
        )
        if isinstance(t, type)
    )
    if oom_types and isinstance(exc, oom_types):
        return True
    if isinstance(exc, RuntimeError | MemoryError):
        text = str(exc).lower()
        return (
            "out of memory" in text
            or "can't allocate memory" in text
            or isinstance(exc, MemoryError)
        )
    return False


def oom_message(
    plan: str,
    device: DeviceInfo,
    what: str,
    nxt: str | None,
) -> str:
    """One line: what ran out, with which plan, and what to try next."""
    where = "GPU" if device.kind != "cpu" else "computer"
    head = f"the {where} ran out of memory making {what} with {PLAN_TEXT.get(plan, plan)}"
    if nxt is not None and device.kind != "cpu":
        return (
            f"{head}; retry the job to use the next memory plan, {nxt} ({PLAN_TEXT[nxt]}) "
            f"(to always use it set PREVIZ_MEMORY_PLAN={nxt}; PREVIZ_OOM_RETRY=1 retries by "
            "itself), or make a smaller or shorter shot"
        )
    return f"{head}; make a smaller or shorter shot, or close other programs using the {where}"


def free_memory(device: DeviceInfo | None = None) -> None:
    """Return cached memory to the device after a failure or an unload."""
    gc.collect()
    try:
        import torch

        if torch.cuda.is_available():
            torch.cuda.empty_cache()
        mps = getattr(torch, "mps", None)
        if device is not None and device.kind == "mps" and mps is not None:
            mps.empty_cache()
    except Exception:  # noqa: BLE001 - best effort
        log.debug("emptying the device cache failed", exc_info=True)
