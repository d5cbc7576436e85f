"""Which engines exist, whether they can run here, and how to make one.

Engines are registered by a ``"module:Class"`` path and the top-level packages they need, so
listing them imports nothing heavy: a GPU engine (e.g. "diffusers", needing torch and
diffusers) shows as available only where those packages are installed, and is imported only
when asked for. "animatic" needs nothing beyond numpy, OpenCV and PyAV and is always available.
"""

from __future__ import annotations

import importlib
import importlib.util
import threading
from dataclasses import dataclass

from engine.api import Engine, UnknownEngine

__all__ = ["EngineEntry", "available_engines", "get_engine", "known_engines", "register_engine"]


@dataclass(frozen=True)
class EngineEntry:
    name: str
    target: str  # "package.module:ClassName"
    requires: tuple[str, ...] = ()
    description: str = ""

    def available(self) -> bool:
        module = self.target.partition(":")[0]
        try:
            if importlib.util.find_spec(module) is None:
                return False
            return all(importlib.util.find_spec(req) is not None for req in self.requires)
        except (ImportError, ValueError):
            return False


_lock = threading.Lock()
_entries: dict[str, EngineEntry] = {}


def register_engine(
    name: str, target: str, *, requires: tuple[str, ...] = (), description: str = ""
) -> None:
    """Register (or replace) an engine. `target` is ``"module:Class"``, imported lazily."""
    with _lock:
        _entries[name] = EngineEntry(name, target, tuple(requires), description)


register_engine(
    "animatic",
    "engine.backends.animatic:AnimaticEngine",
    description="built-in grey-box animatic renderer (CPU, no model weights)",
)
register_engine(
    "diffusers",
    "engine.backends.diffusers:DiffusersEngine",
    requires=("torch", "diffusers", "transformers", "huggingface_hub"),
    description="LTX-Video and Wan video models through Hugging Face diffusers (GPU)",
)


def known_engines() -> list[EngineEntry]:
    with _lock:
        return list(_entries.values())


def available_engines() -> list[str]:
    """Names of the engines that can run in this environment ("animatic" always)."""
    return [entry.name for entry in known_engines() if entry.available()]


def get_engine(name: str) -> Engine:
    """A new instance of engine `name`. Raises `UnknownEngine` (a RequestError) if unavailable."""
    with _lock:
        entry = _entries.get(name)
    if entry is None:
        names = ", ".join(e.name for e in known_engines())
        raise UnknownEngine(f"there is no engine called {name!r}; choose one of: {names}")
    if not entry.available():
        missing = [r for r in entry.requires if importlib.util.find_spec(r) is None]
        raise UnknownEngine(
            f"the {name} engine is not installed here (missing: {', '.join(missing) or '?'}); "
            "install its extra or use the animatic engine"
        )
    module_name, _, class_name = entry.target.partition(":")
    module = importlib.import_module(module_name)
    cls = getattr(module, class_name)
    engine = cls()
    if not isinstance(engine, Engine):
        raise TypeError(f"{entry.target} is not an engine.api.Engine")
    return engine
