"""The model manager: recommended models, models on disk, adding model folders, downloading.

The CLI (``previz models ...``) and the GUI call these functions; the files work is done by
`engine.hub` (no torch is imported here). Configured folders and the default model live in
the application settings (`AppSettings.model_folders`, ``default_engine``, ``default_model``).
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from previz.core.errors import InvalidInput, NotFound, PrevizError
from previz.services.settings import AppSettings

__all__ = [
    "AddResult",
    "DownloadStopped",
    "ModelRow",
    "ModelsError",
    "add_model",
    "download_model",
    "list_models",
    "worker_environment",
]

log = logging.getLogger(__name__)
_GB = 1024**3


class ModelsError(PrevizError):
    """A model could not be added, found or downloaded; the message says what to do."""


class DownloadStopped(ModelsError):
    """The download was stopped (Ctrl-C); finished files are kept for the next try."""

    exit_code = 130


@dataclass(frozen=True)
class ModelRow:
    """One line of ``previz models list``: a catalogued model and/or a model on disk."""

    id: str
    title: str
    family: str | None
    status: str  # "ready" | "not downloaded" | "incomplete" | "unusable"
    source: str  # "catalog" | "hf-cache" | "folder"
    path: str | None = None
    size_gb: float | None = None
    vram_gb: float | None = None
    native_fps: str | None = None
    sizes: tuple[str, ...] = ()
    licence: str | None = None
    default: bool = False
    problem: str | None = None
    notes: str = ""
    # GPU memory with model offload when the transformer is cast to fp8 (None: fp8 does not
    # lower it), and in words when fp8 or group offload is needed (from the catalog's counts)
    vram_fp8_gb: float | None = None
    memory_note: str = ""


@dataclass(frozen=True)
class AddResult:
    models: tuple[ModelRow, ...]
    folder: str
    made_default: bool
    hint: str | None = None
    skipped: tuple[str, ...] = field(default_factory=tuple)


def _engine_error(exc: Exception) -> ModelsError:
    from engine.hub import ModelNotFound

    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return NotFound(text) if isinstance(exc, ModelNotFound) else ModelsError(text)  # type: ignore[return-value]


def _memory(d: dict[str, Any]) -> dict[str, Any]:
    """The catalog's computed memory figures for a row (nothing for an uncatalogued model)."""
    plans = (d.get("memory") or {}).get("model_offload") or {}
    fp8, bf16 = plans.get("fp8"), plans.get("bf16")
    return {
        "vram_fp8_gb": fp8 if fp8 is not None and bf16 is not None and fp8 < bf16 else None,
        "memory_note": d.get("memory_note") or "",
    }


def _row_for_local(local: Any, settings: AppSettings, entry: Any = None) -> ModelRow:
    from engine.catalog import find_entry

    entry = entry or find_entry(local.id)
    if local.problem is None:
        status = "ready"
    elif not local.complete and local.family:
        status = "incomplete"
    else:
        status = "unusable"
    d = entry.describe() if entry is not None else {}
    return ModelRow(
        id=local.id,
        title=d.get("title") or Path(local.path).name,
        family=local.family or d.get("family"),
        status=status,
        source=local.source,
        path=str(local.path),
        size_gb=round(local.size_bytes / _GB, 2),
        vram_gb=d.get("vram_gb"),
        native_fps=d.get("native_fps"),
        sizes=tuple(d.get("sizes", ())),
        licence=d.get("licence"),
        default=_is_default(settings, local.id, str(local.path)),
        problem=local.problem,
        notes=d.get("notes", ""),
        **_memory(d),
    )


def _is_default(settings: AppSettings, *names: str) -> bool:
    return (
        settings.default_engine == "diffusers"
        and bool(settings.default_model)
        and (settings.default_model in names)
    )


def list_models(
    settings: AppSettings | None = None, *, cache_dir: str | Path | None = None
) -> list[ModelRow]:
    """The catalogue (marked ready when downloaded) plus every model found on disk."""
    from engine.catalog import catalog
    from engine.hub import find_local_models

    settings = settings or AppSettings.load()
    local = find_local_models(settings.model_folders, cache_dir=cache_dir)
    by_id = {m.id.lower(): m for m in local}
    rows: list[ModelRow] = []
    for entry in catalog():
        found = by_id.pop(entry.id.lower(), None)
        if found is not None:
            rows.append(_row_for_local(found, settings, entry))
            continue
        d = entry.describe()
        rows.append(
            ModelRow(
                id=entry.id,
                title=entry.title,
                family=entry.family,
                status="not downloaded",
                source="catalog",
                size_gb=entry.size_gb,
                vram_gb=entry.vram_gb,
                native_fps=d["native_fps"],
                sizes=tuple(d["sizes"]),
                licence=entry.licence,
                default=_is_default(settings, entry.id),
                notes=entry.notes,
                **_memory(d),
            )
        )
    rows.extend(_row_for_local(m, settings) for m in local if m.id.lower() in by_id)
    return rows


def add_model(path: str | Path, *, make_default: bool = False) -> AddResult:
    """Check a model folder (or a folder of model folders) and add it to the settings.

    With `make_default`, the model becomes the default (``default_engine = "diffusers"``).
    """
    from engine.api import EngineError
    from engine.hub import add_folder, find_local_models

    folder = Path(path).expanduser()
    if not folder.is_dir():
        raise NotFound(f"model folder not found: {folder}")
    folder = folder.resolve()
    settings = AppSettings.load()
    had_models = any(m.usable for m in find_local_models(settings.model_folders))
    skipped: list[str] = []
    try:
        if (folder / "model_index.json").is_file():
            models = [add_folder(folder)]
        else:
            candidates = sorted(p for p in folder.iterdir() if (p / "model_index.json").is_file())
            if not candidates:
                add_folder(folder)  # raises the "not a diffusers model folder" message
            models = []
            for p in candidates:
                try:
                    models.append(add_folder(p))
                except EngineError as exc:
                    skipped.append(f"{p.name}: {exc}")
            if not models:
                raise ModelsError(f"no usable model in {folder}: " + "; ".join(skipped[:3]))
    except EngineError as exc:
        raise _engine_error(exc) from None
    if make_default and len(models) != 1:
        raise InvalidInput(
            f"{folder} holds {len(models)} models; add the one model folder you want as the "
            "default with --default"
        )
    if str(folder) not in settings.model_folders:
        settings.model_folders = [*settings.model_folders, str(folder)]
    if make_default:
        settings.default_engine = "diffusers"
        settings.default_model = models[0].id
    settings.save()
    rows = tuple(_row_for_local(m, settings) for m in models)
    hint = None
    if not make_default and not had_models and not settings.default_model:
        hint = (
            f"to generate with it by default: previz models add {folder} --default "
            f"(or pass --engine diffusers --model {models[0].id})"
        )
    return AddResult(rows, str(folder), make_default, hint, tuple(skipped))


def download_model(
    model_id: str,
    *,
    progress: Callable[[Any], None] | None = None,
    cancel: threading.Event | None = None,
    make_default: bool = False,
    revision: str | None = None,
    cache_dir: str | Path | None = None,
    endpoint: str | None = None,
) -> ModelRow:
    """Download a model into the Hugging Face cache (resumable); optionally make it the default."""
    from engine.api import EngineError
    from engine.hub import DownloadCancelled, download

    try:
        local = download(
            model_id,
            revision=revision,
            cache_dir=cache_dir,
            endpoint=endpoint,
            progress=progress,
            cancel=cancel,
        )
    except DownloadCancelled:
        raise DownloadStopped(
            f"download of {model_id} stopped; run the same command again to resume (finished "
            "files are kept)"
        ) from None
    except EngineError as exc:
        raise _engine_error(exc) from None
    settings = AppSettings.load()
    if make_default:
        settings.default_engine = "diffusers"
        settings.default_model = local.id
        settings.save()
    return _row_for_local(local, settings)


def worker_environment(settings: AppSettings | None = None) -> dict[str, str]:
    """Environment for the generation worker so the diffusers engine sees the app settings:
    ``PREVIZ_MODEL_FOLDERS``, ``PREVIZ_DEVICE`` and ``PREVIZ_DIFFUSERS_MODEL``."""
    settings = settings or AppSettings.load()
    env = {"PREVIZ_MODEL_FOLDERS": os.pathsep.join(settings.model_folders)}
    if settings.device and settings.device != "auto":
        env["PREVIZ_DEVICE"] = settings.device
    if settings.default_engine == "diffusers" and settings.default_model:
        env["PREVIZ_DIFFUSERS_MODEL"] = settings.default_model
    return env
