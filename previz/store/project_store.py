"""Open and create project folders; the one object that owns a project's database engine."""

from __future__ import annotations

import json
import logging
import sqlite3
from fractions import Fraction
from pathlib import Path

from sqlalchemy import Engine, insert, or_, select

import previz
from previz.core.errors import ProjectError
from previz.store import db, schema
from previz.store.folder import (
    JOBS_TMP,
    MEDIA,
    SUFFIX,
    TAKES,
    RunnerLock,
    check_fixed_subdirs,
    new_uid,
    project_dir,
    safe_subdir,
)

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
        except OSError as exc:
            env = db.environment_error(exc, folder.parent)
            raise (env or ProjectError(f"cannot create {folder}: {exc.strerror}")) from None
        for sub in (MEDIA, TAKES, JOBS_TMP):
            safe_subdir(folder, sub)
        engine = db.make_engine(folder / db.DB_NAME)
        try:
            db.upgrade(engine)
        except Exception as exc:
            engine.dispose()
            env = db.environment_error(exc, folder)
            if env is None:
                raise
            raise env from None
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
        check_fixed_subdirs(folder)  # a crafted project must not lead Previz outside itself
        db.check_sqlite_file(db_path, folder)  # through SQLite, never open() (see db.py)
        engine = db.make_engine(db_path)
        try:
            db.ensure_schema(engine, folder)
            with db.read(engine) as conn:
                if conn.execute(select(schema.project.c.id)).first() is None:
                    raise ProjectError(db.damaged_message(folder, "its project record is missing"))
                bad = _bad_rates(conn)
                if bad:
                    raise ProjectError(db.damaged_message(folder, bad))
        except ProjectError:
            engine.dispose()
            raise
        except Exception as exc:
            engine.dispose()
            raise ProjectError(db.damaged_message(folder, db._short(exc))) from None
        store = cls(folder, engine)
        for sub in (MEDIA, TAKES, JOBS_TMP):
            try:
                safe_subdir(folder, sub)
            except ProjectError as exc:  # e.g. a read-only folder: it still opens for reading
                log.info("%s", exc)
        try:
            db.maybe_backup(engine, folder)
        except (OSError, sqlite3.Error, ProjectError) as exc:  # read-only or full: still opens
            env = db.environment_error(exc, folder)
            # a read-only or full disk is reported by the first edit; reading goes on quietly
            log.log(logging.INFO if env else logging.WARNING, "no rolling backup: %s", env or exc)
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


def _bad_rates(conn) -> str:  # type: ignore[no-untyped-def]
    """Why the stored frame rates or sizes cannot be used (a crafted or damaged file), or ""."""
    q, t = schema.sequences, schema.takes
    row = conn.execute(
        select(q.c.name, q.c.fps_num, q.c.fps_den, q.c.width, q.c.height)
        .where(
            or_(
                q.c.fps_num.is_(None),
                q.c.fps_den.is_(None),
                q.c.fps_num <= 0,
                q.c.fps_den <= 0,
                q.c.width <= 0,
                q.c.height <= 0,
            )
        )
        .limit(1)
    ).first()
    if row is not None:
        return (
            f"sequence {row.name!r} has frame rate {row.fps_num}/{row.fps_den} and size "
            f"{row.width}x{row.height}"
        )
    row = conn.execute(
        select(t.c.id, t.c.fps_num, t.c.fps_den)
        .where(
            or_(t.c.fps_num.is_(None), t.c.fps_den.is_(None), t.c.fps_num <= 0, t.c.fps_den <= 0)
        )
        .limit(1)
    ).first()
    if row is not None:
        return f"take id {row.id} has frame rate {row.fps_num}/{row.fps_den}"
    return ""


def _aspect(width: int, height: int) -> str:
    from math import gcd

    g = gcd(width, height) or 1
    w, h = width // g, height // g
    return {(64, 27): "2.37:1", (12, 5): "2.40:1"}.get((w, h), f"{w}:{h}")
