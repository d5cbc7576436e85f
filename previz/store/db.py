"""Opening a project database: SQLite in WAL mode, foreign keys on, migrations, backups.

Write transactions start with ``BEGIN IMMEDIATE`` so two processes never deadlock upgrading a
read lock, and a generous busy timeout makes a writer wait for the other instead of failing with
"database is locked".
"""

from __future__ import annotations

import datetime as _dt
import logging
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, create_engine, event, text

from previz.core.errors import ProjectError
from previz.store.schema import SCHEMA_HEAD

log = logging.getLogger(__name__)

DB_NAME = "project.db"
BACKUP_DIR = "backups"
BACKUPS_KEPT = 5
BACKUP_EVERY = _dt.timedelta(minutes=10)
BUSY_TIMEOUT_MS = 60_000
KNOWN_REVISIONS = ("0001", "0002", "0003", "0004", "0005")  # in order; SCHEMA_HEAD is the last


def utcnow() -> str:
    return _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def make_engine(db_path: Path) -> Engine:
    engine = create_engine(
        f"sqlite:///{db_path}",
        connect_args={"timeout": BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def check_sqlite_file(db_path: Path, folder: Path) -> None:
    """Refuse a file that is not an SQLite database, naming the newest backup."""
    try:
        with open(db_path, "rb") as fh:
            header = fh.read(16)
    except OSError as exc:
        raise ProjectError(f"cannot read {db_path}: {exc.strerror}") from None
    if header and header != b"SQLite format 3\x00":
        raise ProjectError(damaged_message(folder, "it is not an SQLite database"))


def damaged_message(folder: Path, why: str) -> str:
    backup = newest_backup(folder)
    hint = (
        f"a backup from {backup.stem.removeprefix('project-')} is at {backup.relative_to(folder)}; "
        f"run `previz restore {folder}` to put it back"
        if backup
        else "no backup exists yet; restore the folder from your own backups"
    )
    return f"{folder / DB_NAME} is not a valid Previz project ({why}); {hint}"


def current_revision(conn: Connection) -> str | None:
    has = conn.exec_driver_sql(
        "SELECT name FROM sqlite_master WHERE type='table' AND name='alembic_version'"
    ).first()
    if not has:
        return None
    row = conn.exec_driver_sql("SELECT version_num FROM alembic_version").first()
    return row[0] if row else None


def _alembic_config(conn: Connection):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
    cfg.attributes["connection"] = conn
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run the Alembic migrations up to ``revision`` (imports Alembic only when needed)."""
    from alembic import command

    with engine.connect() as conn:
        conn.commit()  # no implicit transaction around the migration's own
        command.upgrade(_alembic_config(conn), revision)
        conn.commit()


def script_head() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).with_name("migrations")))
    return ScriptDirectory.from_config(cfg).get_current_head() or ""


def ensure_schema(engine: Engine, folder: Path) -> None:
    """Bring the database to the newest schema, or refuse one made by a newer Previz."""
    try:
        with engine.connect() as conn:
            rev = current_revision(conn)
            conn.rollback()
    except Exception as exc:  # sqlite3.DatabaseError: file is not a database, malformed image
        raise ProjectError(damaged_message(folder, _short(exc))) from None
    if rev == SCHEMA_HEAD:
        return
    if rev is not None and rev not in KNOWN_REVISIONS:
        raise ProjectError(
            f"{folder} was saved by a newer version of Previz (schema {rev}, this version knows up "
            f"to {SCHEMA_HEAD}); update Previz to open it. Nothing was changed."
        )
    if rev is not None:
        backup(engine, folder, reason=f"before-upgrade-{rev}")
        log.info("upgrading project schema %s -> %s", rev, SCHEMA_HEAD)
    upgrade(engine)


def _short(exc: BaseException) -> str:
    msg = str(getattr(exc, "orig", exc)) or type(exc).__name__
    return msg.splitlines()[0]


def integrity_ok(db_path: Path) -> bool:
    try:
        con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10)
        try:
            row = con.execute("PRAGMA integrity_check").fetchone()
            return bool(row) and row[0] == "ok"
        finally:
            con.close()
    except sqlite3.DatabaseError:
        return False


# --- rolling backups (SQLite online backup API) ----------------------------------------------


def backups(folder: Path) -> list[Path]:
    d = folder / BACKUP_DIR
    return sorted(d.glob("project-*.db")) if d.is_dir() else []


def newest_backup(folder: Path) -> Path | None:
    found = backups(folder)
    return found[-1] if found else None


def backup(engine: Engine, folder: Path, *, reason: str = "") -> Path:
    """Copy the live database with the SQLite backup API into ``backups/``; keep the newest few."""
    d = folder / BACKUP_DIR
    d.mkdir(exist_ok=True)
    stamp = _dt.datetime.now(_dt.UTC).strftime("%Y%m%d-%H%M%S-%f")
    target = d / f"project-{stamp}{('-' + reason) if reason else ''}.db"
    tmp = target.with_suffix(".db.tmp")
    raw = engine.raw_connection()
    try:
        dst = sqlite3.connect(tmp)
        try:
            raw.driver_connection.backup(dst)  # type: ignore[union-attr]
        finally:
            dst.close()
    finally:
        raw.close()
    tmp.replace(target)
    for old in backups(folder)[:-BACKUPS_KEPT]:
        old.unlink(missing_ok=True)
    return target


def maybe_backup(engine: Engine, folder: Path) -> Path | None:
    """A rolling backup at most every ``BACKUP_EVERY``."""
    newest = newest_backup(folder)
    if newest is not None:
        age = _dt.datetime.now().timestamp() - newest.stat().st_mtime
        if age < BACKUP_EVERY.total_seconds():
            return None
    return backup(engine, folder)


def restore(folder: Path) -> Path:
    """Put the newest valid backup back in place; the damaged file is kept beside it."""
    db_path = folder / DB_NAME
    for candidate in reversed(backups(folder)):
        if integrity_ok(candidate):
            break
    else:
        raise ProjectError(f"no valid backup of {db_path} was found in {folder / BACKUP_DIR}")
    if db_path.exists():
        stamp = _dt.datetime.now(_dt.UTC).strftime("%Y%m%d-%H%M%S")
        db_path.replace(folder / f"project.db.damaged-{stamp}")
    for side in ("-wal", "-shm"):
        Path(str(db_path) + side).unlink(missing_ok=True)
    tmp = db_path.with_suffix(".db.restoring")
    src = sqlite3.connect(f"file:{candidate}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()
    tmp.replace(db_path)
    return candidate


@contextmanager
def write(engine: Engine) -> Iterator[Connection]:
    """One write transaction (BEGIN IMMEDIATE … COMMIT), rolled back on any error."""
    with engine.connect().execution_options(begin="IMMEDIATE") as conn:
        with conn.begin():
            yield conn


@contextmanager
def read(engine: Engine) -> Iterator[Connection]:
    """A consistent read snapshot."""
    with engine.connect() as conn:
        with conn.begin():
            yield conn


def scalar(conn: Connection, sql: str, **params: object) -> object:
    return conn.execute(text(sql), params).scalar()
