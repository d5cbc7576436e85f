"""Speed levers for the diffusers engine, each switched on or off per request.

The app passes ``request.options["speed"]`` (see `previz.services.settings.AppSettings.speed`)::

    {"compile": bool, "attention": str, "cfg_batch": bool, "step_cache": "" | "first_block" |
     "mag", "fp8": bool}

Four levers change the loaded transformer, so they are part of the engine's model cache key
(`SpeedSettings.load_key`) and are applied once per load (`apply_on_load`, before the memory
plan places the models; `apply_compile` after it):

- ``fp8``: layerwise casting (weights stored as float8 e4m3, cast to the model's dtype layer by
  layer as it runs): about half the transformer's memory, slightly lower quality (lossy);
- ``attention``: diffusers' attention dispatcher (`set_attention_backend`), only for backends that
  need nothing downloaded at run time and whose package is installed; never a "*_hub" kernel;
- ``step_cache``: First Block Cache (a step whose first block changes little from the last step
  reuses the other blocks' residual): faster, lower quality (lossy). MagCache needs magnitude
  ratios calibrated per model and step count; diffusers ships none for LTX-Video or Wan, so it
  is skipped with a note rather than run uncalibrated;
- ``compile``: regional torch.compile of the repeated transformer blocks (CUDA only; not with
  the step cache or fp8 casting, whose per-layer hooks break a full graph, nor with group
  offload).

``cfg_batch`` does not change the model: whether classifier-free guidance runs as one batched
forward pass is the pipeline's own code, so the recipe records what the pipeline does
(`cfg_batching`) and never claims more.

Everything applied or skipped is recorded (`AppliedSpeed.describe`, the recipe's ``speed``).
torch and diffusers are imported inside the functions.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "DEFAULT_CACHE_THRESHOLD",
    "AppliedSpeed",
    "SpeedSettings",
    "apply_compile",
    "apply_on_load",
    "attention_backend_problem",
    "attention_backends_for",
    "family_attention_problem",
    "cache_paused",
    "cfg_batching",
    "reset_step_cache",
]

log = logging.getLogger(__name__)

DEFAULT_CACHE_THRESHOLD = 0.05  # First Block Cache: relative change of the first block's output
STEP_CACHES = ("first_block", "mag")
LOSSY = "trades quality for speed"

# Attention backends that need nothing downloaded at run time:
# name -> (needs CUDA, the Python package it needs or None).
_BACKENDS: dict[str, tuple[bool, str | None]] = {
    "native": (False, None),
    "_native_math": (False, None),
    "_native_cudnn": (True, None),
    "_native_flash": (True, None),
    "_native_efficient": (True, None),
    "flash": (True, "flash_attn"),
    "flash_varlen": (True, "flash_attn"),
    "_flash_3": (True, "flash_attn_interface"),
    "sage": (True, "sageattention"),
    "sage_varlen": (True, "sageattention"),
    "xformers": (True, "xformers"),
}


# Backends whose kernels refuse an attention mask in diffusers 0.42.1 (flash-attn 2 and 3, Sage,
# PyTorch's flash kernel), by model family that always passes one: LTX-Video's cross-attention
# masks the prompt's padding tokens on every step. Wan's and SkyReels' pass none.
_MASK_REFUSING = ("flash", "_native_flash", "_flash_3", "sage")
_FAMILY_REFUSES: dict[str, tuple[str, ...]] = {"ltx": _MASK_REFUSING}
_FAMILY_TEXT = {"ltx": "LTX-Video", "wan": "Wan", "skyreels": "SkyReels-V2"}


def attention_backends_for(family: str) -> tuple[str, ...]:
    """The attention backends a model family can run with (before device and package checks)."""
    refused = _FAMILY_REFUSES.get(family, ())
    return tuple(sorted(b for b in _BACKENDS if b not in refused))


def family_attention_problem(name: str, family: str) -> str | None:
    """Why a model of `family` cannot use attention backend `name` at all (None: it can), as
    one line for the user; checked before anything loads."""
    if name not in _FAMILY_REFUSES.get(family, ()):
        return None
    who = _FAMILY_TEXT.get(family, family)
    usable = ", ".join(attention_backends_for(family))
    return (
        f"attention backend {name!r} cannot run {who}: its attention always passes a mask, which "
        f"{name!r} refuses; pick one of {usable}, or leave the attention backend unset"
    )


@dataclass(frozen=True)
class SpeedSettings:
    """What the request asked for (``options["speed"]``; missing keys are off)."""

    compile: bool = False
    attention: str = ""
    cfg_batch: bool = True
    step_cache: str = ""
    fp8: bool = False
    cache_threshold: float = DEFAULT_CACHE_THRESHOLD

    @classmethod
    def from_options(cls, options: Mapping[str, Any] | None) -> SpeedSettings:
        raw = (options or {}).get("speed") or {}
        if not isinstance(raw, Mapping):
            log.warning("ignoring speed options that are not a mapping: %r", raw)
            raw = {}
        try:
            threshold = float(raw.get("cache_threshold", DEFAULT_CACHE_THRESHOLD))
        except (TypeError, ValueError):
            threshold = DEFAULT_CACHE_THRESHOLD
        return cls(
            compile=bool(raw.get("compile", False)),
            attention=str(raw.get("attention") or "").strip().lower(),
            cfg_batch=bool(raw.get("cfg_batch", True)),
            step_cache=str(raw.get("step_cache") or "").strip().lower(),
            fp8=bool(raw.get("fp8", False)),
            cache_threshold=threshold,
        )

    def load_key(self) -> tuple[Any, ...]:
        """The settings that change the loaded model (part of the engine's cache key)."""
        cache = (self.step_cache, self.cache_threshold) if self.step_cache else ("",)
        return (self.compile, self.attention, cache, self.fp8)

    def requested(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "compile": self.compile,
            "attention": self.attention,
            "cfg_batch": self.cfg_batch,
            "step_cache": self.step_cache,
            "fp8": self.fp8,
        }
        if self.step_cache:
            out["cache_threshold"] = self.cache_threshold
        return out


@dataclass
class AppliedSpeed:
    """What was actually applied to a loaded model, and why anything was skipped."""

    settings: SpeedSettings
    compile: bool = False
    attention: str = "default"
    step_cache: dict[str, Any] | None = None
    fp8: bool = False
    notes: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        log.info("speed: %s", text)
        self.notes.append(text)

    def describe(self, cfg_batch: str | None = None, extra: list[str] | None = None) -> dict:
        """The recipe's ``speed`` entry (per run: how guidance ran, run-time notes)."""
        return {
            "requested": self.settings.requested(),
            "compile": self.compile,
            "attention": self.attention,
            "cfg_batch": cfg_batch,
            "step_cache": dict(self.step_cache) if self.step_cache else None,
            "fp8": self.fp8,
            "notes": list(self.notes) + list(extra or ()),
        }


# --------------------------------------------------------------------------------------------
# Applied when the model loads


# The denoising transformers a pipeline may hold: Wan 2.2 A14B has a second, low-noise expert
# (``transformer_2``, as large as the first); fp8 casting and the attention backend apply to
# each, so the memory plan (`engine.catalog.FP8_PARTS`) and the card agree.
EXPERTS = ("transformer", "transformer_2")


def experts(pipe: Any) -> list[tuple[str, Any]]:
    """(name, module) of each denoising transformer the pipeline holds, the main one first."""
    return [(n, m) for n in EXPERTS if (m := getattr(pipe, n, None)) is not None]


def apply_on_load(pipe: Any, settings: SpeedSettings, device: Any, dtype: Any) -> AppliedSpeed:
    """fp8 casting and the attention backend on every expert transformer (``transformer`` and,
    for Wan 2.2 A14B, ``transformer_2``), the step cache on ``pipe.transformer`` (before
    placing)."""
    applied = AppliedSpeed(settings)
    transformer = getattr(pipe, "transformer", None)
    if transformer is None:  # pragma: no cover - every supported pipeline has one
        if settings != SpeedSettings():
            applied.note("speed settings: skipped (the pipeline has no transformer)")
        return applied
    if settings.fp8:
        _apply_fp8(experts(pipe), device, dtype, applied)
    if settings.attention:
        for _, module in experts(pipe):
            _apply_attention(module, settings.attention, device, applied)
            if applied.attention != settings.attention:
                break
    else:
        _restore_default_attention()
    if settings.step_cache:
        _apply_step_cache(transformer, settings, applied)
    return applied


def _apply_fp8(
    modules: list[tuple[str, Any]], device: Any, dtype: Any, applied: AppliedSpeed
) -> None:
    import torch

    storage = getattr(torch, "float8_e4m3fn", None)
    if storage is None:
        applied.note("fp8: skipped (this torch has no float8_e4m3fn)")
        return
    if device.kind == "mps":
        applied.note("fp8: skipped on Apple MPS (no float8 storage there)")
        return
    try:
        for _, module in modules:
            module.enable_layerwise_casting(storage_dtype=storage, compute_dtype=dtype)
    except Exception as exc:  # noqa: BLE001 - a lever that fails is skipped, not fatal
        applied.note(f"fp8: skipped ({type(exc).__name__}: {exc})")
        return
    applied.fp8 = True
    which = "transformer" if len(modules) == 1 else "both expert transformers'"
    applied.note(
        f"fp8: {which} weights stored as float8_e4m3fn, computed in "
        f"{str(dtype).removeprefix('torch.')} ({LOSSY})"
    )


def attention_backend_problem(name: str, device_kind: str) -> str | None:
    """Why attention backend `name` cannot be used here (None: it can)."""
    if name.endswith("_hub") or "hub" in name.split("_"):
        return (
            f"attention backend {name!r} not used: it downloads a kernel from the Hugging Face "
            "Hub at run time"
        )
    if name not in _BACKENDS:
        known = ", ".join(sorted(_BACKENDS))
        return f"attention backend {name!r} not known (known: {known})"
    needs_cuda, package = _BACKENDS[name]
    if needs_cuda and device_kind != "cuda":
        return f"attention backend {name!r} not available: it needs a CUDA GPU"
    if package is not None and importlib.util.find_spec(package) is None:
        return f"attention backend {name!r} not available: the {package} package is not installed"
    try:
        from diffusers.models.attention_dispatch import (
            AttentionBackendName,
            _check_attention_backend_requirements,
        )

        _check_attention_backend_requirements(AttentionBackendName(name))
    except ImportError:
        return f"attention backend {name!r} not available: this diffusers has no dispatcher"
    except (RuntimeError, ValueError) as exc:
        return f"attention backend {name!r} not available: {exc}"
    return None


def _apply_attention(transformer: Any, name: str, device: Any, applied: AppliedSpeed) -> None:
    problem = attention_backend_problem(name, device.kind)
    if problem is None and not hasattr(transformer, "set_attention_backend"):
        problem = f"attention backend {name!r} not available: this diffusers cannot set one"
    if problem is not None:
        applied.note(problem)
        return
    try:
        transformer.set_attention_backend(name)
    except Exception as exc:  # noqa: BLE001
        applied.note(f"attention backend {name!r} not available ({type(exc).__name__}: {exc})")
        return
    if applied.attention != name:
        applied.note(f"attention backend: {name}")
    applied.attention = name


def _restore_default_attention() -> None:
    """`set_attention_backend` also sets diffusers' process-wide default; a model loaded later
    without a backend must not inherit the last one's (e.g. "flash")."""
    try:
        from diffusers.models.attention_dispatch import (
            DIFFUSERS_ATTN_BACKEND,
            AttentionBackendName,
            _AttentionBackendRegistry,
        )

        _AttentionBackendRegistry.set_active_backend(AttentionBackendName(DIFFUSERS_ATTN_BACKEND))
    except Exception:  # noqa: BLE001 - an older or newer dispatcher: nothing to restore
        log.debug("could not restore the default attention backend", exc_info=True)


def _block_count(transformer: Any) -> int:
    import torch

    try:
        from diffusers.hooks._common import _ALL_TRANSFORMER_BLOCK_IDENTIFIERS as names
    except ImportError:  # pragma: no cover - older diffusers
        names = ("blocks", "transformer_blocks")
    return sum(
        len(m)
        for n, m in transformer.named_children()
        if n in names and isinstance(m, torch.nn.ModuleList)
    )


def _apply_step_cache(transformer: Any, settings: SpeedSettings, applied: AppliedSpeed) -> None:
    kind = settings.step_cache
    if kind not in STEP_CACHES:
        applied.note(f"step cache {kind!r}: skipped (known: first_block, mag)")
        return
    if not hasattr(transformer, "enable_cache"):
        applied.note(f"step cache {kind!r}: skipped (this diffusers has no cache hooks)")
        return
    if kind == "mag":
        applied.note(
            "step cache 'mag': skipped (MagCache needs magnitude ratios calibrated for this "
            "model and step count; diffusers ships none for LTX-Video or Wan); use 'first_block'"
        )
        return
    blocks = _block_count(transformer)
    if blocks < 2:
        applied.note(
            f"step cache 'first_block': skipped (the transformer has {blocks} block(s); "
            "First Block Cache needs at least 2)"
        )
        return
    from diffusers import FirstBlockCacheConfig

    try:
        transformer.enable_cache(FirstBlockCacheConfig(threshold=settings.cache_threshold))
    except Exception as exc:  # noqa: BLE001
        applied.note(f"step cache 'first_block': skipped ({type(exc).__name__}: {exc})")
        return
    applied.step_cache = {"kind": "first_block", "threshold": settings.cache_threshold}
    applied.note(
        f"step cache: First Block Cache, threshold {settings.cache_threshold:g} ({LOSSY}: "
        "steps whose first block barely changes reuse the other blocks' last result)"
    )


def apply_compile(pipe: Any, applied: AppliedSpeed, device: Any, plan: str) -> None:
    """Regional torch.compile of the transformer's repeated blocks (after placement)."""
    if not applied.settings.compile:
        return
    transformer = pipe.transformer
    why = None
    if device.kind != "cuda":
        why = f"skipped on {'CPU' if device.kind == 'cpu' else device.kind.upper()} (CUDA only)"
    elif applied.step_cache:
        why = "skipped with the step cache (its per-step decision breaks the compiled graph)"
    elif applied.fp8:
        why = "skipped with fp8 casting (its per-layer casting hooks are not compiled here)"
    elif plan == "group_offload":
        why = "skipped with group offload (its per-layer hooks are not compiled here)"
    elif not hasattr(transformer, "compile_repeated_blocks"):
        why = "skipped (this diffusers has no compile_repeated_blocks; needs 0.35 or later)"
    if why is not None:
        applied.note(f"compile: {why}")
        return
    try:
        transformer.compile_repeated_blocks(fullgraph=True)
    except Exception as exc:  # noqa: BLE001
        applied.note(f"compile: skipped ({type(exc).__name__}: {exc})")
        return
    applied.compile = True
    applied.note(
        "compile: regional torch.compile of the repeated transformer blocks (the first "
        "generation at a new size is slower while it compiles)"
    )


# --------------------------------------------------------------------------------------------
# At run time


def cfg_batching(pipeline_batches: bool, pipeline: str, guidance: float | None, asked: bool) -> str:
    """What the recipe says about classifier-free guidance batching (never more than is true)."""
    if guidance is None or guidance <= 1.0:
        return "no classifier-free guidance (guidance 1 or less): one forward pass per step"
    if pipeline_batches:
        text = f"batched: {pipeline} runs the conditional and unconditional passes as one batch"
        return text if asked else text + " (it always does; cannot be switched off)"
    return (
        f"not available for this pipeline: {pipeline} runs the conditional and unconditional "
        "passes one after the other"
    )


def reset_step_cache(pipe: Any) -> None:
    """Forget the step cache's state (a new generation must not reuse the last one's blocks)."""
    transformer = getattr(pipe, "transformer", None)
    reset = getattr(transformer, "_reset_stateful_cache", None)
    if reset is not None and getattr(transformer, "is_cache_enabled", False):
        reset()


@contextlib.contextmanager
def cache_paused(transformer: Any) -> Iterator[bool]:
    """Switch the step cache off for one pipeline call (one without cache contexts); yields
    whether it was on."""
    config = getattr(transformer, "_cache_config", None)
    if config is None or not getattr(transformer, "is_cache_enabled", False):
        yield False
        return
    transformer.disable_cache()
    try:
        yield True
    finally:
        transformer.enable_cache(config)
