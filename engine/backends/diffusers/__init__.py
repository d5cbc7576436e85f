"""The diffusers engine: real open video models (LTX-Video, Wan 2.x, SkyReels-V2) on the user's GPU.

Importing this package is cheap: torch and diffusers are imported when a model loads.

`DiffusersEngine.prepare` resolves the request's `model` (a folder path, a repository id in
the Hugging Face cache, or a folder name in ``PREVIZ_MODEL_FOLDERS``), checks it is safe
(safetensors only, no remote code; see `engine.hub`), picks the family adapter (`ltx.py`,
`wan.py`), and validates and snaps the request to what that model makes (sizes, frame counts,
native fps), with a note for every change. Nothing is loaded to prepare a request.

`generate` then loads the model once per worker (cached by model, device, dtype, the speed
levers that change it, and memory plan), runs the adapter, and streams uint8 RGB frames into
the sink. Progress events carry a live preview decoded from the latents; cancel raises inside the denoising loop, before any
VAE decode. An out-of-memory error becomes an `EngineError` naming the next memory plan, and
with ``oom_retry`` the engine retries once with it.

Memory plans (`device.py`): a loaded model keeps its plan while the model's key matches, so
jobs on one model load it once. Otherwise the plan is chosen from what is free plus what the
loaded model holds (it is dropped before the next one loads), for the weights as they will be
loaded (the transformer at one byte a parameter when fp8 casting applies), with RAM checked
for the plans that keep the weights there; when nothing fits the job is refused in one line.

Settings (constructor arguments, or environment variables for the worker process):
``PREVIZ_DEVICE`` (auto|cuda|mps|cpu), ``PREVIZ_MEMORY_PLAN`` (auto|full|model_offload|
group_offload), ``PREVIZ_OOM_RETRY`` (1 to retry once with the next plan),
``PREVIZ_MODEL_FOLDERS`` (extra model folders), ``PREVIZ_DIFFUSERS_MODEL`` (the model used when
a request names none).

Speed levers come per request in ``request.options["speed"]`` (compile, attention backend,
batched guidance, step cache, fp8 casting; see `speed.py`); those that change the loaded model
are part of the cache key, and what was applied or skipped is the recipe's ``speed`` entry.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from engine.api import (
    LONG_SHOT,
    OPERATIONS,
    Cancelled,
    CancelToken,
    Capabilities,
    Engine,
    EngineError,
    FrameSink,
    GenerationRequest,
    GenerationResult,
    ProgressCallback,
    ProgressReporter,
    RequestError,
)
from engine.hub import LocalModel, resolve_model

__all__ = ["DiffusersEngine"]

log = logging.getLogger(__name__)

_ADAPTERS = {
    "ltx": "engine.backends.diffusers.ltx:LTXAdapter",
    "wan": "engine.backends.diffusers.wan:WanAdapter",
    "skyreels": "engine.backends.diffusers.skyreels:SkyReelsAdapter",
    "ltx2": "engine.backends.diffusers.ltx2:LTX2Adapter",
}


def _env_flag(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _adapter_class(family: str) -> type:
    import importlib

    module, _, cls = _ADAPTERS[family].partition(":")
    return getattr(importlib.import_module(module), cls)


class DiffusersEngine(Engine):
    """LTX-Video and Wan through Hugging Face diffusers (see the module docstring)."""

    name = "diffusers"

    # What some model can do: the app checks requests against this before knowing the model;
    # `prepare` then checks them against the chosen model's own rules.
    _caps = Capabilities(
        operations=frozenset(OPERATIONS) | {LONG_SHOT}, size_multiple=8, frame_modulus=1
    )

    def __init__(
        self,
        *,
        device: str | None = None,
        plan: str | None = None,
        oom_retry: bool | None = None,
        model_folders: Sequence[str | Path] | None = None,
        default_model: str | None = None,
        preview_interval_s: float = 0.25,
        device_info: Any = None,
    ) -> None:
        self.device = device or os.environ.get("PREVIZ_DEVICE") or "auto"
        plan = plan or os.environ.get("PREVIZ_MEMORY_PLAN") or "auto"
        self.plan = None if plan == "auto" else plan
        self.oom_retry = _env_flag("PREVIZ_OOM_RETRY") if oom_retry is None else bool(oom_retry)
        self.model_folders = [Path(p) for p in (model_folders or ())]
        self.default_model = default_model or os.environ.get("PREVIZ_DIFFUSERS_MODEL") or None
        self.preview_interval_s = float(preview_interval_s)
        self._device_info = (
            device_info  # a DeviceInfo to use instead of detecting (tests, embedding)
        )
        self._models: dict[str, LocalModel] = {}
        self._loaded: Any = None  # common.LoadedModel
        self._run_notes: list[str] = []
        self._plan_floor: dict[str, str] = {}  # model path -> smallest plan after an OOM
        self.loads = 0  # how many times a model was loaded (a warm worker loads once)

    # -- capabilities and preparation --------------------------------------------------------------
    @property
    def capabilities(self) -> Capabilities:
        return self._caps

    def _model_name(self, request: GenerationRequest) -> str:
        model = request.model or self.default_model
        if not model:
            raise RequestError(
                "the diffusers engine needs a model: pass --model ID|PATH, or set a default with "
                "`previz models add PATH --default` (see `previz models list`)"
            )
        return model

    def resolve(self, model: str) -> LocalModel:
        """The checked model folder for `model` (cached per engine)."""
        local = self._models.get(model)
        if local is None or not local.path.exists():
            local = resolve_model(model, self.model_folders)
            self._models[model] = local
        return local

    def adapter_for(self, model: str) -> Any:
        local = self.resolve(model)
        assert local.family is not None
        return _adapter_class(local.family)(local)

    def capabilities_for(self, model: str) -> Capabilities:
        """What `model` makes (operations, size multiple, frame rule, native fps, defaults)."""
        return self.adapter_for(model).capabilities()

    def prepare(self, request: GenerationRequest) -> tuple[GenerationRequest, list[str]]:
        """Resolve the model, then validate and snap against its rules (nothing is loaded)."""
        model = self._model_name(request)
        adapter = self.adapter_for(model)
        if request.model is None:
            request = dataclasses.replace(request, model=model)
        return adapter.prepare(request, self.name)

    def load(self) -> None:
        """Warm the heavy imports in the worker (models load on their first request)."""
        import diffusers  # noqa: F401
        import torch  # noqa: F401

    # -- generation --------------------------------------------------------------------------------
    def generate(
        self,
        request: GenerationRequest,
        sink: FrameSink,
        progress: ProgressCallback | None = None,
        cancel: CancelToken | None = None,
        *,
        notes: Sequence[str] = (),
    ) -> GenerationResult:
        self._run_notes = []
        result = super().generate(request, sink, progress, cancel, notes=notes)
        if not self._run_notes:
            return result
        all_notes = tuple(result.notes) + tuple(self._run_notes)
        recipe = dict(result.recipe)
        recipe["notes"] = list(all_notes)
        return dataclasses.replace(result, notes=all_notes, recipe=recipe)

    def _device(self) -> Any:
        from engine.backends.diffusers.device import detect_device

        return self._device_info or detect_device(self.device)

    def _generate(
        self,
        request: GenerationRequest,
        sink: FrameSink,
        progress: ProgressReporter,
        cancel: CancelToken,
    ) -> Mapping[str, Any]:
        from engine.backends.diffusers import device as dev
        from engine.backends.diffusers.speed import SpeedSettings, cfg_batching

        adapter = self.adapter_for(self._model_name(request))
        speed = SpeedSettings.from_options(request.options)
        device = self._device()
        dtype = dev.pick_dtype(device)
        dtype_bytes = 4 if str(dtype).endswith("float32") else 2
        fp8 = speed.fp8 and dev.fp8_applies(device)
        weights, largest = adapter.weight_estimate(dtype_bytes, fp8=fp8)
        device = self._with_held(device)
        plan = self._choose_plan(adapter, device, dtype, speed, weights, largest, dtype_bytes)
        what = f"{request.num_frames} frames at {request.width}x{request.height}"
        counting = _CountingSink(sink)
        retried_from: str | None = None
        while True:
            try:
                loaded = self._ensure_loaded(
                    adapter, device, dtype, plan, weights, progress.callback, speed
                )
                tiling = dev.needs_vae_tiling(
                    device, plan.name, weights, adapter.decode_bytes(request, dtype_bytes)
                )
                extras = self._run(adapter, loaded, request, counting, progress, cancel, tiling)
                break
            except (Cancelled, RequestError):
                raise
            except Exception as exc:
                if not dev.is_oom(exc):
                    self.unload()  # never keep a model that failed mid-run cached
                    raise
                nxt = dev.next_plan(plan.name)
                self.unload()
                dev.free_memory(device)
                if nxt is not None and device.kind != "cpu":
                    self._plan_floor[str(adapter.local.path)] = nxt  # the next job uses it
                log.warning("out of memory with plan %s: %s", plan.name, exc)
                if self.oom_retry and retried_from is None and nxt and counting.count == 0:
                    retried_from = plan.name
                    plan = dataclasses.replace(
                        dev.choose_plan(device, weights, largest, nxt),
                        reason=f"retry after running out of memory with {plan.name}",
                    )
                    self._run_notes.append(
                        f"ran out of memory with {dev.PLAN_TEXT[retried_from]}; retried with "
                        f"{dev.PLAN_TEXT[nxt]}"
                    )
                    continue
                raise EngineError(dev.oom_message(plan.name, device, what, nxt)) from None
        self._run_notes.append(
            f"memory plan: {plan.describe(device)}" + ("; VAE tiling" if tiling else "")
        )
        run_speed_notes = extras.pop("speed_notes", [])
        applied = loaded.speed
        self._run_notes.extend(applied.notes + run_speed_notes)
        cfg = cfg_batching(
            adapter.cfg_batched, adapter.folder.pipeline, request.guidance, speed.cfg_batch
        )
        return {
            "speed": applied.describe(cfg, run_speed_notes),
            "memory_plan": plan.name,
            "diffusers": {
                "model_path": str(adapter.local.path),
                "model_revision": adapter.local.revision,
                "family": adapter.family,
                "variant": adapter.variant,
                "pipeline": adapter.folder.pipeline,
                "device": device.describe(),
                "dtype": str(dtype).removeprefix("torch."),
                "memory_plan": plan.name,
                "memory_plan_reason": plan.reason,
                "group_offload_mode": plan.group_mode or None,
                "vae_tiling": tiling,
                "preview": loaded.projection.source,
                **_versions(),
                **extras,
            },
        }

    def _model_key(self, adapter: Any, device: Any, dtype: Any, speed: Any) -> tuple[Any, ...]:
        """What makes a loaded model this job's model (the memory plan aside)."""
        local = adapter.local
        return (str(local.path), local.revision, device.torch_device, str(dtype), speed.load_key())

    def _with_held(self, device: Any) -> Any:
        """`device` counting what the loaded model holds (on the GPU and in RAM) as available:
        it is dropped before another model loads, and it is what its own next job runs in."""
        from engine.backends.diffusers import device as dev
        from engine.catalog import plan_bytes

        loaded = self._loaded
        if loaded is None or self._device_info is not None:  # a given device is as described
            return device
        plan = loaded.plan
        gpu = loaded.weights_bytes if plan.name == "full" else 0
        ram = plan_bytes(plan.name, loaded.weights_bytes, 0, pinned=plan.group_mode == "pinned")[1]
        if loaded.device.torch_device == device.torch_device:
            gpu = max(gpu, dev.held_on_device(device))
        else:
            gpu = 0
        return dataclasses.replace(device, held_bytes=gpu, ram_held_bytes=ram)

    def _choose_plan(
        self,
        adapter: Any,
        device: Any,
        dtype: Any,
        speed: Any,
        weights: int,
        largest: int,
        dtype_bytes: int,
    ) -> Any:
        """This job's memory plan: the loaded model's while its key matches (and no forced plan
        or out-of-memory floor says otherwise), else the fastest that fits (`device.choose_plan`),
        never above the floor an earlier out-of-memory error left."""
        from engine.backends.diffusers import device as dev

        floor = self._plan_floor.get(str(adapter.local.path))
        loaded = self._loaded
        if loaded is not None and loaded.key == self._model_key(adapter, device, dtype, speed):
            kept = loaded.plan
            wanted = self.plan or kept.name
            above_floor = floor is None or dev.PLANS.index(kept.name) >= dev.PLANS.index(floor)
            if wanted == kept.name and (self.plan is not None or above_floor):
                return kept
        try:
            plan = dev.choose_plan(device, weights, largest, self.plan, model=adapter.local.id)
        except EngineError as exc:
            if speed.fp8 or not dev.fp8_applies(device):
                raise
            try:  # would fp8 casting make it fit? then say so
                dev.choose_plan(device, *adapter.weight_estimate(dtype_bytes, fp8=True))
            except EngineError:
                raise exc from None
            raise EngineError(f"{exc}; with fp8 on (speed settings) it would fit") from None
        if self.plan is None and floor and dev.PLANS.index(floor) > dev.PLANS.index(plan.name):
            plan = dataclasses.replace(
                dev.choose_plan(device, weights, largest, floor),
                reason="an earlier job ran out of memory with more on the GPU",
            )
        return plan

    def _run(
        self,
        adapter: Any,
        loaded: Any,
        request: GenerationRequest,
        sink: FrameSink,
        progress: ProgressReporter,
        cancel: CancelToken,
        tiling: bool,
    ) -> dict[str, Any]:
        from engine.backends.diffusers.common import RunContext
        from engine.backends.diffusers.speed import reset_step_cache

        reset_step_cache(loaded.pipe)
        ctx = RunContext(
            request=request,
            loaded=loaded,
            sink=sink,
            callback=progress.callback,
            cancel=cancel,
            adapter=adapter,
            vae_tiling=tiling,
            preview_interval_s=self.preview_interval_s,
        )
        extras = adapter.run(ctx)
        self._run_notes.extend(ctx.notes)
        if ctx.speed_notes:
            extras["speed_notes"] = list(ctx.speed_notes)
        return extras

    # -- loading ---------------------------------------------------------------------------------
    def _ensure_loaded(
        self,
        adapter: Any,
        device: Any,
        dtype: Any,
        plan: Any,
        weights: int,
        callback: ProgressCallback | None,
        speed: Any = None,
    ) -> Any:
        from engine.backends.diffusers import device as dev
        from engine.backends.diffusers import speed as fast
        from engine.backends.diffusers.common import LoadedModel
        from engine.backends.diffusers.preview import fit_projection

        speed = speed or fast.SpeedSettings()
        local = adapter.local
        key = self._model_key(adapter, device, dtype, speed)
        if self._loaded is not None and self._loaded.key == key and self._loaded.plan.same_as(plan):
            return self._loaded
        self.unload()
        if callback is not None:
            ProgressReporter(1, callback, stage="load")(0)
        t0 = time.perf_counter()
        pipe = adapter.load(dtype)
        applied = fast.apply_on_load(pipe, speed, device, dtype)
        dev.apply_plan(pipe, plan, device)
        fast.apply_compile(pipe, applied, device, plan.name)
        loaded = LoadedModel(
            key=key,
            local=local,
            pipe=pipe,
            plan=plan,
            dtype=dtype,
            device=device,
            projection=None,  # type: ignore[arg-type]
            weights_bytes=weights,
            speed=applied,
        )
        loaded.projection = fit_projection(
            adapter.encode_for_preview(loaded),
            adapter.latent_channels,
            adapter.spatial,
            device=pipe._execution_device,
            dtype=pipe.vae.dtype,
        )
        self._loaded = loaded
        self.loads += 1
        log.info(
            "loaded %s (%s, %s) in %.1fs with %s",
            local.id,
            adapter.family,
            adapter.variant,
            time.perf_counter() - t0,
            plan.describe(device),
        )
        if callback is not None:
            ProgressReporter(1, callback, stage="load")(1)
        return loaded

    def unload(self) -> None:
        """Drop the loaded model (its memory returns on the next collection)."""
        loaded, self._loaded = self._loaded, None
        if loaded is None:
            return
        try:
            loaded.pipe.remove_all_hooks()
        except Exception:  # noqa: BLE001 - best effort while discarding
            log.debug("removing offload hooks failed", exc_info=True)
        loaded.derived.clear()
        del loaded
        from engine.backends.diffusers.device import free_memory

        free_memory()


class _CountingSink:
    """Counts frames written (a retry is only safe before the first one)."""

    def __init__(self, sink: FrameSink) -> None:
        self.sink = sink
        self.count = 0

    def write(self, frame: Any) -> None:
        self.sink.write(frame)
        self.count += 1


def _versions() -> dict[str, str]:
    try:
        import diffusers
        import torch

        return {"diffusers_version": diffusers.__version__, "torch_version": torch.__version__}
    except Exception:  # noqa: BLE001
        return {}
