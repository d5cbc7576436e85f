"""Subcommands added by later features (generation, export, screenplay, models)."""

from __future__ import annotations

from typing import Any


def register(add: Any, common: Any) -> None:
    """Hook for the generation, export and screenplay commands (added as they land)."""
    return None
