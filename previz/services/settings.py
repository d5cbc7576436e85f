"""Application settings (not per project): model folders, device, default engine, fps, size,
and the content-credentials signing identity.

Stored as JSON in the platform's config folder (``platformdirs``); ``PREVIZ_CONFIG_DIR``
overrides the folder (tests use it). Written atomically.

Content credentials (C2PA) on every exported reel and clip are signed with
``content_credentials_cert`` (a PEM file: the signing certificate, then any intermediates) and
``content_credentials_key`` (its PEM private key, unencrypted) when both are set, else with a
per-install certificate chain made on first use in ``<config dir>/content-credentials/``.
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
    # Content credentials: the signing certificate (PEM chain) and key; both empty = the local
    # per-install chain (see the module docstring and previz.export.credentials).
    content_credentials_cert: str = ""
    content_credentials_key: str = ""
    # The render farm new jobs go to when neither the command (--farm) nor the project names
    # one: a Ray cluster address (host:port, auto, ray://host:10001); "" runs them here.
    farm_address: str = ""

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


def credentials_dir() -> Path:
    """Where the per-install content-credentials chain lives (made on first signed export)."""
    return config_dir() / "content-credentials"


def _signing(cert: str, key: str):  # type: ignore[no-untyped-def]
    from previz.export.credentials import SigningConfig

    cert, key = cert.strip(), key.strip()
    return SigningConfig(
        Path(cert).expanduser() if cert else None,
        Path(key).expanduser() if key else None,
        credentials_dir(),
    )


def signing_config(settings: AppSettings | None = None):  # type: ignore[no-untyped-def]
    """The content-credentials signing identity the settings name (a ``SigningConfig``)."""
    s = settings or AppSettings.load()
    return _signing(s.content_credentials_cert, s.content_credentials_key)


def check_content_credentials(cert: str, key: str) -> None:
    """Raise a clear error unless ``cert`` and ``key`` are both empty or a matching pair."""
    cfg = _signing(cert, key)
    if cfg.user_configured:
        from previz.export.credentials import resolve_identity

        resolve_identity(cfg)
