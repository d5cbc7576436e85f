"""New / Save As helpers for project folders.

Save As copies the project folder. The database is copied with the SQLite backup API (a
consistent snapshot even while the runner writes); media are copied as files. When the project
service offers ``save_as(dest)`` it is used instead (see the report to the lead).
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path
from typing import Any

from previz.core.errors import InvalidInput

SUFFIX = ".previz"
_SKIP = ("project.db", "project.db-wal", "project.db-shm", ".runner.lock", ".jobs", "*.building")


def with_suffix(path: str | Path) -> Path:
    p = Path(path).expanduser()
    return p if p.name.endswith(SUFFIX) else p.with_name(p.name + SUFFIX)


def copy_project(svc: Any, dest: str | Path) -> Path:
    """Copy the open project to ``dest`` (a new folder) and return it."""
    target = with_suffix(dest)
    if hasattr(svc, "save_as"):
        return Path(svc.save_as(target))
    if target.exists():
        raise InvalidInput(f"{target} already exists; choose a new name")
    src_folder = Path(svc.folder)
    if target.resolve().is_relative_to(src_folder.resolve()):
        raise InvalidInput("a project cannot be saved inside itself; choose another folder")
    tmp = target.with_name(target.name + ".copying")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        shutil.copytree(src_folder, tmp, ignore=shutil.ignore_patterns(*_SKIP))
        src = sqlite3.connect(f"file:{src_folder / 'project.db'}?mode=ro", uri=True, timeout=30)
        try:
            dst = sqlite3.connect(tmp / "project.db")
            try:
                src.backup(dst)
            finally:
                dst.close()
        finally:
            src.close()
        tmp.replace(target)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise InvalidInput(f"could not copy the project to {target}: {exc}") from None
    return target
