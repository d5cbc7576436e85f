"""The diffusers engine stays cheap to import and inside the engine layer."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _loaded_after(code: str) -> set[str]:
    probe = (
        f"{code}\nimport sys\n"
        "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in "
        "{'torch', 'diffusers', 'transformers', 'previz', 'PySide6', 'sqlalchemy', "
        "'huggingface_hub'})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return set(out.stdout.split())


def test_importing_the_engine_pulls_in_no_heavy_or_app_modules():
    loaded = _loaded_after(
        "import engine.backends.diffusers, engine.backends.diffusers.ltx, "
        "engine.backends.diffusers.wan, engine.catalog, engine.hub"
    )
    assert loaded == set(), loaded


def test_the_model_manager_service_does_not_import_torch():
    loaded = _loaded_after("import previz.services.models, previz.cli.models_cmds")
    assert not {m for m in loaded if m.split(".")[0] in ("torch", "diffusers", "transformers")}


def test_engine_sources_never_import_previz():
    for path in [
        *(REPO / "engine" / "backends" / "diffusers").glob("*.py"),
        REPO / "engine" / "hub.py",
        REPO / "engine" / "catalog.py",
    ]:
        text = path.read_text(encoding="utf-8")
        for banned in ("import previz", "from previz", "PySide6", "sqlalchemy"):
            assert banned not in text, f"{path.name} mentions {banned}"
