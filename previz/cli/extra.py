"""Subcommands beyond the project basics (generation, export, screenplay, models)."""

from __future__ import annotations

from typing import Any


def register(add: Any, common: Any) -> None:
    from previz.cli import (
        export_cmds,
        farm_cmds,
        generate_cmds,
        jobs_cmds,
        models_cmds,
        region_cmds,
        script_cmds,
        verify_cmds,
    )

    generate_cmds.register(add)
    region_cmds.register(add)
    export_cmds.register(add)
    script_cmds.register(add, common)
    models_cmds.register(add, common)
    jobs_cmds.register(add, common)
    farm_cmds.register(add, common)
    verify_cmds.register(add)
