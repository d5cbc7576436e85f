"""Open and create project folders; the one object that owns a project's database engine."""

from __future__ import annotations

import json
import logging
from fractions import Fraction
from pathlib import Path

from sqlalchemy import Engine, insert, select

import previz
from previz.core.errors import ProjectError
from previz.store import db, schema
from previz.store.folder import JOBS_TMP, MEDIA, SUFFIX, TAKES, RunnerLock, new_uid, project_dir

log = logging.getLogger(__name__)


class ProjectStore:
    """A project folder and its database. Thread-safe: each call takes its own connection."""

    def __init__(self, folder: Path, engine: Engine) -> None:
        self.folder = folder
        self.engine = engine
        self.lock = RunnerLock(folder)

    # --- lifecycle ----------------------------------------------------------------------------

    @classmethod
    def create(
        cls,
        path: str | Path,
        *,
        name: str | None = None,
        fps: Fraction = Fraction(24),
        width: int = 1280,
        height: int = 720,
        sequence_name: str = "Sequence 1",
    ) -> ProjectStore:
        folder = project_dir(path)
        if (folder / db.DB_NAME).exists():
            raise ProjectError(f"{folder} already holds a project; open it instead")
        if folder.exists() and any(folder.iterdir()):
            raise ProjectError(f"{folder} exists and is not empty; choose a new folder name")
        if not folder.parent.is_dir():
            raise ProjectError(f"folder {folder.parent} does not exist; create it first")
        try:
            folder.mkdir(exist_ok=True)
            for sub in (MEDIA, TAKES, JOBS_TMP):
                (folder / sub).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ProjectError(f"cannot create {folder}: {exc.strerror}") from None
        engine = db.make_engine(folder / db.DB_NAME)
        db.upgrade(engine)
        now = db.utcnow()
        if name is None:
            name = folder.name.removesuffix(SUFFIX) or "Untitled"
        with db.write(engine) as conn:
            conn.execute(
                insert(schema.project).values(
                    id=1,
                    uid=new_uid(),
                    name=name,
                    created_at=now,
                    app_version=previz.__version__,
                    settings="{}",
                )
            )
            conn.execute(
                insert(schema.sequences).values(
                    name=sequence_name,
                    position=0,
                    fps_num=fps.numerator,
                    fps_den=fps.denominator,
                    width=width,
                    height=height,
                    aspect=_aspect(width, height),
                    created_at=now,
                )
            )
        return cls(folder, engine)

    @classmethod
    def open(cls, path: str | Path) -> ProjectStore:
        folder = project_dir(path)
        db_path = folder / db.DB_NAME
        if not folder.is_dir():
            raise ProjectError(
                f"{folder} does not exist; create a project with `previz new {path}`"
            )
        if not db_path.is_file():
            raise ProjectError(
                f"{folder} is not a Previz project (no {db.DB_NAME}); "
                f"create one with `previz new {path}`"
            )
        db.check_sqlite_file(db_path, folder)
        engine = db.make_engine(db_path)
        db.ensure_schema(engine, folder)
        store = cls(folder, engine)
        try:
            with db.read(engine) as conn:
                if conn.execute(select(schema.project.c.id)).first() is None:
                    raise ProjectError(db.damaged_message(folder, "its project record is missing"))
        except ProjectError:
            engine.dispose()
            raise
        except Exception as exc:
            engine.dispose()
            raise ProjectError(db.damaged_message(folder, db._short(exc))) from None
        for sub in (MEDIA, TAKES, JOBS_TMP):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        try:
            db.maybe_backup(engine, folder)
        except OSError as exc:  # a read-only folder still opens
            log.warning("could not write a backup: %s", exc)
        return store

    def close(self) -> None:
        self.lock.release()
        self.engine.dispose()

    def __enter__(self) -> ProjectStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- settings -----------------------------------------------------------------------------

    def project_row(self) -> dict:
        with db.read(self.engine) as conn:
            row = conn.execute(select(schema.project)).mappings().one()
            return dict(row)

    def settings(self) -> dict:
        return json.loads(self.project_row()["settings"] or "{}")


def _aspect(width: int, height: int) -> str:
    from math import gcd

    g = gcd(width, height) or 1
    w, h = width // g, height // g
    return {(64, 27): "2.37:1", (12, 5): "2.40:1"}.get((w, h), f"{w}:{h}")
