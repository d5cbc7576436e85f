"""Where a model runs and how it fits: device, dtype, memory plan, and out-of-memory errors.

1. Device: CUDA, then Apple MPS, then the CPU (``PREVIZ_DEVICE`` = auto|cuda|mps|cpu).
2. Dtype: bfloat16 on GPUs that support it, else float16; float32 on the CPU.
3. Memory plan (``PREVIZ_MEMORY_PLAN`` forces one):

   - ``full``: every part on the GPU (fastest);
   - ``model_offload``: one model (text encoder, transformer, VAE) on the GPU at a time, the
     others in RAM;
   - ``group_offload``: the weights stay in RAM and stream to the GPU layer by layer
     (slowest, smallest). With CUDA streams every weight is first copied into pinned RAM
     (``pinned``); when RAM is short for that, each layer is pinned as it streams
     (``low_cpu_mem_usage``); without streams (Apple MPS) whole blocks move, nothing pinned
     (``blocks``).

   What a plan needs comes from `engine.catalog.plan_bytes`, the rule the catalogue's figures
   come from: the weights at the dtype's bytes a parameter, the transformer at one with fp8
   casting (`engine.catalog.part_bytes`), plus activations; a latent upsampler the model's takes
   load (LTX two-stage) counts too, on the GPU beside whichever part is there, and so does the
   refine LoRA an LTX-2 dev checkpoint loads for every take, with its transformer
   (`engine.catalog.weights_and_largest`, `stored_params`). The plan is chosen from the memory
   this engine can use: what is free plus what its own loaded model holds
   (`DeviceInfo.available_bytes`, RAM likewise), so a model sitting on the GPU never makes the
   next job look short of memory. The engine keeps a loaded model's plan while the model's key
   matches, and asks `choose_plan` only when it loads one. When nothing fits (GPU memory and
   RAM), `choose_plan` refuses with one line.

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

# the catalogue's figures follow the same rule and headroom
from engine.catalog import HEADROOM, MEMORY_PLANS, RAM_SPARE_BYTES, WORK_BYTES, plan_bytes

__all__ = [
    "GROUP_MODES",
    "HEADROOM",
    "PLANS",
    "PLAN_TEXT",
    "DeviceInfo",
    "MemoryPlan",
    "apply_plan",
    "choose_plan",
    "detect_device",
    "fp8_applies",
    "free_memory",
    "group_mode",
    "held_on_device",
    "is_oom",
    "needs_vae_tiling",
    "next_plan",
    "oom_message",
    "pick_dtype",
    "WORK_BYTES",
]

log = logging.getLogger(__name__)

PLANS = MEMORY_PLANS  # fastest first
PLAN_TEXT = {
    "full": "everything on the GPU",
    "model_offload": "model CPU offload (one model on the GPU at a time)",
    "group_offload": "group offload (weights stream to the GPU layer by layer)",
}
# How group offload streams (`choose_plan` picks one by RAM; `apply_plan` applies it).
GROUP_MODES = {
    "pinned": "CUDA streams, every weight pinned in RAM",
    "low_cpu_mem_usage": "CUDA streams, each layer pinned as it streams",
    "blocks": "block by block without streams, nothing pinned",
}
_GIB = 1024**3


@dataclass(frozen=True)
class DeviceInfo:
    """The device a model runs on and the memory it has (bytes; None when unknown).

    ``held_bytes`` / ``ram_held_bytes``: what this engine's loaded model holds on the GPU and
    in RAM; it is freed before another model loads, so plans count it as available.
    """

    kind: str  # "cuda" | "mps" | "cpu"
    name: str
    free_bytes: int | None
    total_bytes: int | None
    ram_free_bytes: int | None
    bf16: bool = False
    torch_device: str = ""  # the torch device string; "" means the kind ("cuda", "mps", "cpu")
    held_bytes: int = 0
    ram_held_bytes: int = 0

    def __post_init__(self) -> None:
        if not self.torch_device:
            object.__setattr__(self, "torch_device", self.kind)

    @property
    def available_bytes(self) -> int | None:
        """GPU memory this engine can plan with: free, plus what its loaded model holds."""
        return None if self.free_bytes is None else self.free_bytes + self.held_bytes

    @property
    def ram_available_bytes(self) -> int | None:
        """RAM this engine can plan with: available, plus what its loaded model holds."""
        return None if self.ram_free_bytes is None else self.ram_free_bytes + self.ram_held_bytes

    @property
    def streams(self) -> bool:
        """Whether group offload can overlap copies with CUDA streams here."""
        return self.kind == "cuda" and self.torch_device.startswith("cuda")

    def describe(self) -> str:
        if self.kind == "cpu":
            return "CPU"
        free = f", {self.free_bytes / _GIB:.1f} GiB free" if self.free_bytes is not None else ""
        return f"{self.name}{free}"


@dataclass(frozen=True)
class MemoryPlan:
    name: str  # one of PLANS
    reason: str
    group_mode: str = ""  # group_offload: one of GROUP_MODES ("" for the other plans)

    def same_as(self, other: MemoryPlan) -> bool:
        """Whether `other` places the models the same way (the reasons may differ)."""
        return (self.name, self.group_mode) == (other.name, other.group_mode)

    def describe(self, device: DeviceInfo | None = None) -> str:
        if device is not None and device.kind == "cpu" and self.name == "full":
            return f"everything on the CPU ({self.reason})"
        text = PLAN_TEXT.get(self.name, self.name)
        if self.group_mode:
            text += f", {GROUP_MODES.get(self.group_mode, self.group_mode)}"
        return f"{text} ({self.reason})"


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
        props = torch.cuda.get_device_properties(0)
        free, total = torch.cuda.mem_get_info()
        return DeviceInfo(
            "cuda",
            str(props.name),
            int(free),
            int(getattr(props, "total_memory", 0) or total),
            ram,
            bf16=int(getattr(props, "major", 0)) >= 8,  # Ampere and later (not emulated)
        )
    mps = getattr(torch.backends, "mps", None)
    if prefer in ("auto", "mps") and mps is not None and mps.is_available():
        # Apple GPUs share system memory: what is free for the GPU is what is free in RAM.
        return DeviceInfo("mps", "Apple GPU (MPS)", ram, None, ram, bf16=False)
    if prefer in ("cuda", "mps"):
        log.warning("device %s was asked for but is not available; using the CPU", prefer)
    return DeviceInfo("cpu", "CPU", ram, None, ram, bf16=False)


def stored_params(where: Any) -> int:
    """Parameters in a ``.safetensors`` file, or in a folder's, counted from their headers'
    shapes (nothing loaded; 0 for a file that cannot be read). How a part outside the
    pipeline's own components (a latent upsampler, a LoRA) enters the memory plan."""
    import json
    import math
    import struct
    from pathlib import Path

    where = Path(where)
    total = 0
    for path in [where] if where.is_file() else sorted(where.glob("*.safetensors")):
        try:
            with open(path, "rb") as fh:
                (n,) = struct.unpack("<Q", fh.read(8))
                header = json.loads(fh.read(n)) if n <= 100_000_000 else {}
        except (OSError, ValueError, struct.error):
            continue
        for key, value in header.items():
            if key != "__metadata__" and isinstance(value, dict):
                total += math.prod(int(d) for d in value.get("shape", ()))
    return total


def held_on_device(device: DeviceInfo) -> int:
    """GPU memory this process's allocator holds on `device` (0 when unknown or not CUDA)."""
    if not device.torch_device.startswith("cuda"):
        return 0
    try:
        import torch

        if not torch.cuda.is_initialized():
            return 0
        return int(torch.cuda.memory_reserved(torch.device(device.torch_device)))
    except Exception:  # noqa: BLE001 - best effort
        return 0


def pick_dtype(device: DeviceInfo) -> Any:
    import torch

    if device.torch_device.startswith("cpu"):
        return torch.float32  # half precision on the CPU is slow or unsupported
    if device.kind == "cuda":
        return torch.bfloat16 if device.bf16 else torch.float16
    if device.kind == "mps":
        return torch.float16
    return torch.float32


def fp8_applies(device: DeviceInfo) -> bool:
    """Whether the fp8 speed lever stores weights as float8 here (speed.py skips it on Apple
    MPS and on a torch without float8_e4m3fn)."""
    if device.kind == "mps":
        return False
    try:
        import torch
    except ImportError:  # pragma: no cover - the engine needs torch
        return False
    return getattr(torch, "float8_e4m3fn", None) is not None


def next_plan(name: str) -> str | None:
    """The plan that uses less GPU memory than `name`, or None."""
    try:
        i = PLANS.index(name)
    except ValueError:
        return None
    return PLANS[i + 1] if i + 1 < len(PLANS) else None


def _gib(n: float) -> str:
    return f"{n / _GIB:.1f} GiB"


def _ram_fits(device: DeviceInfo, need: int) -> bool:
    ram = device.ram_available_bytes
    return ram is None or need + RAM_SPARE_BYTES <= ram


def group_mode(device: DeviceInfo, weights_bytes: int) -> tuple[str | None, str]:
    """How group offload should stream here, by RAM: (mode or None when even unpinned weights do
    not fit in RAM, a note when it had to fall back)."""
    plain = plan_bytes("group_offload", weights_bytes, 0, pinned=False)[1]
    if not device.streams:
        return ("blocks" if _ram_fits(device, plain) else None), ""
    pinned = plan_bytes("group_offload", weights_bytes, 0, pinned=True)[1]
    if _ram_fits(device, pinned):
        return "pinned", ""
    ram = device.ram_available_bytes or 0
    short = f"pinning every weight takes {_gib(pinned)} of RAM, {_gib(ram)} available"
    if _ram_fits(device, plain):
        return "low_cpu_mem_usage", f"{short}, so layers are pinned as they stream (slower)"
    return None, short


def choose_plan(
    device: DeviceInfo,
    weights_bytes: int,
    largest_bytes: int,
    forced: str | None = None,
    *,
    model: str = "the model",
) -> MemoryPlan:
    """The fastest plan that fits the GPU memory and RAM this engine can use.

    `weights_bytes` is every part once loaded, `largest_bytes` the largest part (fp8 already
    counted). Raises `EngineError` (one line, naming `model`) when nothing fits. A forced plan
    is used as asked (its group offload mode still follows RAM).
    """
    if forced:
        if forced not in PLANS:
            from engine.api import RequestError

            raise RequestError(
                f"unknown memory plan {forced!r}; use one of {', '.join(PLANS)} (or auto)"
            )
        if forced != "group_offload" or device.kind == "cpu":
            return MemoryPlan(forced, "asked for")
        mode, note = group_mode(device, weights_bytes)
        if mode is None:  # asked for: try with the least RAM it can take
            mode = "low_cpu_mem_usage" if device.streams else "blocks"
            note = f"{note}; RAM looks too short for the weights"
        return MemoryPlan(forced, "asked for" + (f"; {note}" if note else ""), mode)
    if device.kind == "cpu":
        return MemoryPlan("full", "running on the CPU; the weights stay in RAM")
    avail = device.available_bytes
    if avail is None:
        return MemoryPlan("model_offload", "free GPU memory unknown")
    budget = avail * HEADROOM
    gib = f"{_gib(avail)} free"
    full_gpu, _ = plan_bytes("full", weights_bytes, largest_bytes)
    if full_gpu <= budget:
        return MemoryPlan("full", f"{_gib(weights_bytes)} of weights, {gib}")
    offload_gpu, offload_ram = plan_bytes("model_offload", weights_bytes, largest_bytes)
    if offload_gpu <= budget and _ram_fits(device, offload_ram):
        return MemoryPlan(
            "model_offload",
            f"{_gib(weights_bytes)} of weights do not fit in {gib}; the largest part "
            f"({_gib(largest_bytes)}) does",
        )
    group_gpu, _ = plan_bytes("group_offload", weights_bytes, largest_bytes)
    mode, note = group_mode(device, weights_bytes)
    if group_gpu <= budget and mode is not None:
        why = (
            f"the largest part ({_gib(largest_bytes)}) does not fit in {gib}"
            if offload_gpu > budget
            else f"RAM is short to offload whole models ({_gib(offload_ram)} of weights)"
        )
        return MemoryPlan("group_offload", why + (f"; {note}" if note else ""), mode)
    from engine.api import EngineError

    ram = device.ram_available_bytes
    raise EngineError(
        f"{model} does not fit here: everything on the GPU needs {_gib(full_gpu / HEADROOM)} "
        f"of free GPU memory ({gib}); offloaded, it needs {_gib(group_gpu / HEADROOM)} of it "
        f"and {_gib(offload_ram + RAM_SPARE_BYTES)} of free RAM for the weights "
        f"({_gib(ram) + ' available' if ram is not None else 'unknown'}); close other programs "
        "or choose a smaller model"
    )


def needs_vae_tiling(device: DeviceInfo, plan: str, weights_bytes: int, decode_bytes: int) -> bool:
    """Whether the VAE should decode in tiles (the decode would not fit next to the weights).

    The weights a full plan keeps on the GPU are counted once: against the memory this engine
    can use (`DeviceInfo.available_bytes`), not against what is left beside them.
    """
    avail = device.available_bytes
    if avail is None:
        return True
    resident = weights_bytes if plan == "full" else 0
    return resident + decode_bytes > avail * HEADROOM


def apply_plan(pipe: Any, plan: MemoryPlan | str, device: DeviceInfo) -> None:
    """Place `pipe`'s models on `device` according to `plan`."""
    import torch

    name = plan.name if isinstance(plan, MemoryPlan) else plan
    mode = plan.group_mode if isinstance(plan, MemoryPlan) else ""
    target = torch.device(device.torch_device)
    if name == "full":
        pipe.to(target)
    elif name == "model_offload":
        pipe.enable_model_cpu_offload(device=target)
    elif name == "group_offload":
        mode = mode or ("pinned" if device.streams else "blocks")
        if mode == "blocks" or not device.streams:
            pipe.enable_group_offload(
                onload_device=target,
                offload_device=torch.device("cpu"),
                offload_type="block_level",
                num_blocks_per_group=1,
                use_stream=False,
            )
        else:
            pipe.enable_group_offload(
                onload_device=target,
                offload_device=torch.device("cpu"),
                offload_type="leaf_level",
                use_stream=True,
                low_cpu_mem_usage=mode == "low_cpu_mem_usage",
            )
    else:  # pragma: no cover - choose_plan() refuses unknown plans
        raise ValueError(name)


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
