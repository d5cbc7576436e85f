"""``previz doctor``: what this machine can do, in one report."""

from __future__ import annotations

import importlib.util
import platform
import shutil
import sys
from pathlib import Path
from typing import Any

import previz


def _version(mod: str) -> str:
    try:
        from importlib.metadata import version

        return version(mod)
    except Exception:
        return "not installed"


def torch_report() -> dict[str, Any]:
    if importlib.util.find_spec("torch") is None:
        return {
            "installed": False,
            "note": "torch is not installed: the animatic engine works; for real models install "
            "your torch build, then `pip install 'previz-studio[diffusers]'`",
        }
    try:
        import torch

        out: dict[str, Any] = {"installed": True, "version": torch.__version__}
        if torch.cuda.is_available():
            out["device"] = f"cuda ({torch.cuda.get_device_name(0)})"
            free, total = torch.cuda.mem_get_info()
            out["vram_free_gb"] = round(free / 2**30, 1)
            out["vram_total_gb"] = round(total / 2**30, 1)
        elif getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
            out["device"] = "mps (Apple GPU)"
        else:
            out["device"] = "cpu (no GPU found)"
        return out
    except Exception as exc:  # a broken install must not break the report
        return {"installed": True, "error": f"torch failed to import: {exc}"}


def codecs_report() -> dict[str, Any]:
    try:
        import av

        wanted = ("libx264", "h264", "prores_ks", "aac", "png", "mjpeg")
        have = {name: (name in av.codecs_available) for name in wanted}
        return {
            "pyav": av.__version__,
            "ffmpeg": ".".join(map(str, av.library_versions.get("libavcodec", ()))),
            **have,
        }
    except Exception as exc:
        return {"error": f"PyAV failed to import: {exc}"}


def report(project: Path | None = None) -> dict[str, Any]:
    from previz.services.settings import AppSettings

    settings = AppSettings.load()
    where = project if project is not None else Path.cwd()
    free = shutil.disk_usage(where if where.exists() else Path.cwd()).free
    data: dict[str, Any] = {
        "previz": previz.__version__,
        "python": f"{platform.python_version()} ({sys.executable})",
        "platform": platform.platform(),
        "torch": torch_report(),
        "diffusers": _version("diffusers"),
        "media": codecs_report(),
        "qt": _version("PySide6-Essentials"),
        "disk_free": f"{free / 2**30:.1f} GB at {where}",
        "model_folders": settings.model_folders or ["(none configured)"],
        "default_engine": settings.default_engine,
        "settings_file": str(settings.path),
    }
    if project is not None:
        from previz.services.project import ProjectService

        try:
            with ProjectService.open(project) as svc:
                info = svc.info()
                data["project"] = {
                    "name": info["name"],
                    "schema": info["schema"],
                    "shots": info["shots"],
                    "takes": info["takes"],
                    "missing_media": len(info["missing_media"]),
                }
        except Exception as exc:
            data["project"] = {"error": str(exc)}
    return data
