"""Application settings (not per project): model folders, device, default engine, fps, size.

Stored as JSON in the platform's config folder (``platformdirs``); ``PREVIZ_CONFIG_DIR``
overrides the folder (tests use it). Written atomically.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path


def config_dir() -> Path:
    override = os.environ.get("PREVIZ_CONFIG_DIR")
    if override:
        return Path(override)
    from platformdirs import user_config_dir

    return Path(user_config_dir("previz", appauthor=False))


@dataclass
class AppSettings:
    model_folders: list[str] = field(default_factory=list)
    device: str = "auto"  # auto | cuda | mps | cpu
    default_engine: str = "animatic"
    default_model: str = ""
    default_fps: str = "24"
    default_size: str = "1280x720"
    recent_projects: list[str] = field(default_factory=list)
    # Speed levers of the diffusers engine, each on/off (recorded in every take's recipe):
    # compile (regional torch.compile), attention (a backend name or ""), cfg_batch (classifier-
    # free guidance in one batched pass), step_cache ("" | "first_block" | "mag": trades quality
    # for speed), fp8 (layerwise fp8 casting for low-VRAM cards).
    speed: dict[str, object] = field(
        default_factory=lambda: {
            "compile": False,
            "attention": "",
            "cfg_batch": True,
            "step_cache": "",
            "fp8": False,
        }
    )
    # How a shot longer than one model window is made: "auto" (the model's long-video pipeline
    # where it has one, else chained windows), "chain" or "pipeline" (see services.generation).
    long_method: str = "auto"
    demo_shown: bool = False

    @property
    def path(self) -> Path:
        return config_dir() / "settings.json"

    @classmethod
    def load(cls) -> AppSettings:
        path = config_dir() / "settings.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls()
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})

    def save(self) -> None:
        from previz.store.folder import atomic_write_bytes

        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(self.path, json.dumps(asdict(self), indent=2).encode())

    def add_recent(self, project: str | Path, keep: int = 10) -> None:
        p = str(Path(project).resolve())
        self.recent_projects = [p] + [r for r in self.recent_projects if r != p][: keep - 1]
