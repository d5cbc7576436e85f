"""The UI's import rules (DESIGN.md section 2): Qt only under previz/ui; the UI reaches the
database and the engine only through previz.services; the player's frame source has no Qt."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


def test_pyside_is_imported_only_under_previz_ui() -> None:
    offenders = []
    for root in ("previz", "engine"):
        for py in (REPO / root).rglob("*.py"):
            if py.is_relative_to(REPO / "previz" / "ui"):
                continue
            if any(m.split(".")[0] == "PySide6" for m in imported_modules(py)):
                offenders.append(str(py.relative_to(REPO)))
    assert offenders == []


def test_ui_uses_no_store_engine_or_sqlalchemy_directly() -> None:
    offenders = []
    for py in (REPO / "previz" / "ui").rglob("*.py"):
        for m in imported_modules(py):
            top = m.split(".")
            if top[0] in ("engine", "sqlalchemy", "alembic") or m.startswith("previz.store"):
                offenders.append(f"{py.relative_to(REPO)}: {m}")
    assert offenders == []


def test_playback_has_no_qt_and_imports_av_lazily() -> None:
    path = REPO / "previz" / "services" / "playback.py"
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top_level = set()
    for node in tree.body:
        if isinstance(node, ast.Import):
            top_level.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            top_level.add(node.module.split(".")[0])
    assert "PySide6" not in imported_modules(path)
    assert not {"av", "numpy", "cv2"} & top_level
