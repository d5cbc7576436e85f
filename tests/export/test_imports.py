"""previz.export stands alone: no Qt, SQLAlchemy, store, services or engine; cheap to import."""

from __future__ import annotations

import json
import subprocess
import sys

FORBIDDEN = ("PySide6", "sqlalchemy", "previz.store", "previz.services", "engine")


def _modules_after(code: str) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", f"{code}\nimport sys, json; print(json.dumps(list(sys.modules)))"],
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_exporters_import_nothing_forbidden() -> None:
    mods = _modules_after(
        "import previz.export.reel, previz.export.interchange, previz.export.boards"
    )
    bad = [m for m in mods if any(m == f or m.startswith(f + ".") for f in FORBIDDEN)]
    assert bad == []


def test_package_import_is_light() -> None:
    mods = _modules_after("import previz.export as e; e.ReelPlan; e.ExportError")
    assert "av" not in mods and "cv2" not in mods and "fpdf" not in mods
