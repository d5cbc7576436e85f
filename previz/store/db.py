"""Opening a project database: SQLite in WAL mode, foreign keys on, migrations, backups.

Write transactions start with ``BEGIN IMMEDIATE`` so two processes never deadlock upgrading a
read lock, and a generous busy timeout makes a writer wait for the other instead of failing with
"database is locked" (``PREVIZ_BUSY_TIMEOUT_MS`` overrides it, e.g. in tests).

The live files (``project.db``, ``-wal``, ``-shm``) are only ever opened through SQLite: closing
any other descriptor of the database file drops every POSIX lock this process holds on it, after
which another process may delete the WAL under a live connection and edits are silently lost
(SQLite's "How To Corrupt An SQLite Database File", section 2.2).

Errors that come from the machine rather than the project (read-only folder, full disk, disk
error, a write lock held by another process) become one-line :class:`ProjectError` messages in
:func:`environment_error`, so no command reports them as a damaged project.
"""

from __future__ import annotations

import datetime as _dt
import errno
import logging
import os
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError as _DBAPIError

from previz.core.errors import ProjectError
from previz.store.folder import BACKUPS, LOCK_NAME, RunnerLock, safe_subdir
from previz.store.schema import SCHEMA_HEAD

log = logging.getLogger(__name__)

DB_NAME = "project.db"
BACKUP_DIR = BACKUPS
BACKUPS_KEPT = 5
BACKUP_EVERY = _dt.timedelta(minutes=10)
BUSY_TIMEOUT_MS = 60_000  # default; PREVIZ_BUSY_TIMEOUT_MS overrides it
BUSY_TIMEOUT_ENV = "PREVIZ_BUSY_TIMEOUT_MS"
KNOWN_REVISIONS = (
    "0001",
    "0002",
    "0003",
    "0004",
    "0005",
    "0006",
    "0007",
)  # in order; SCHEMA_HEAD is the last


def utcnow() -> str:
    return _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def busy_timeout_ms() -> int:
    """How long a writer waits for another process's write lock before giving up."""
    raw = os.environ.get(BUSY_TIMEOUT_ENV, "").strip()
    if not raw:
        return BUSY_TIMEOUT_MS
    try:
        value = int(raw)
    except ValueError:
        log.warning("ignoring %s=%r (not a whole number of milliseconds)", BUSY_TIMEOUT_ENV, raw)
        return BUSY_TIMEOUT_MS
    return max(0, value)


def make_engine(db_path: Path) -> Engine:
    timeout_ms = busy_timeout_ms()
    engine = create_engine(
        f"sqlite:///{db_path}",
        connect_args={"timeout": timeout_ms / 1000, "check_same_thread": False},
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: sqlite3.Connection, _record: object) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA busy_timeout={timeout_ms}")
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _uri(db_path: Path, **params: str) -> str:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    return f"file:{quote(str(db_path))}" + (f"?{query}" if query else "")


def check_sqlite_file(db_path: Path, folder: Path) -> None:
    """Refuse a file that is not an SQLite database, or is empty, naming the newest backup.

    The file is read through SQLite (read-only), never with ``open()``: this runs while another
    engine of this same process may be connected (the app opening the project a second time,
    e.g. for an export), and closing a plain descriptor would drop that engine's locks.
    """
    try:
        con = sqlite3.connect(_uri(db_path, mode="ro"), uri=True, timeout=busy_timeout_ms() / 1000)
        try:
            pages = con.execute("PRAGMA page_count").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error as exc:
        env = environment_error(exc, folder)
        if env is not None:
            raise env from None
        raise ProjectError(damaged_message(folder, _short(exc))) from None
    if not pages:  # a 0-byte file: refuse it before any migration writes into it
        raise ProjectError(damaged_message(folder, "the file is empty"))


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
    """Bring the database to the newest schema, or refuse one made by a newer Previz.

    Only a database that says which schema it has is migrated: one without its version record
    (or without any table) is refused as damaged before anything is written to it.
    """
    try:
        with engine.connect() as conn:
            rev = current_revision(conn)
            tables = conn.exec_driver_sql(
                "SELECT count(*) FROM sqlite_master WHERE type='table'"
            ).scalar()
            conn.rollback()
    except Exception as exc:  # sqlite3.DatabaseError: file is not a database, malformed image
        env = environment_error(exc, folder)
        if env is not None:
            raise env from None
        raise ProjectError(damaged_message(folder, _short(exc))) from None
    if rev == SCHEMA_HEAD:
        return
    if rev is None:
        why = "its schema version record is missing" if tables else "it holds no Previz tables"
        raise ProjectError(damaged_message(folder, why))
    if rev not in KNOWN_REVISIONS:
        raise ProjectError(
            f"{folder} was saved by a newer version of Previz (schema {rev}, this version knows up "
            f"to {SCHEMA_HEAD}); update Previz to open it. Nothing was changed."
        )
    try:
        backup(engine, folder, reason=f"before-upgrade-{rev}")
        log.info("upgrading project schema %s -> %s", rev, SCHEMA_HEAD)
        upgrade(engine)
    except ProjectError:
        raise
    except Exception as exc:
        env = environment_error(exc, folder)
        if env is not None:
            raise env from None
        raise


def _short(exc: BaseException) -> str:
    msg = str(getattr(exc, "orig", exc)) or type(exc).__name__
    return msg.splitlines()[0]


def integrity_ok(db_path: Path) -> bool:
    try:
        con = sqlite3.connect(_uri(db_path, mode="ro"), uri=True, timeout=10)
        try:
            row = con.execute("PRAGMA integrity_check").fetchone()
            return bool(row) and row[0] == "ok"
        finally:
            con.close()
    except sqlite3.DatabaseError:
        return False


# --- rolling backups (SQLite online backup API) ----------------------------------------------


def backups(folder: Path) -> list[Path]:
    d = safe_subdir(folder, BACKUP_DIR, create=False)  # a linked backups/ is refused
    return sorted(d.glob("project-*.db")) if d.is_dir() else []


def newest_backup(folder: Path) -> Path | None:
    found = backups(folder)
    return found[-1] if found else None


def backup(engine: Engine, folder: Path, *, reason: str = "") -> Path:
    """Copy the live database with the SQLite backup API into ``backups/``; keep the newest few."""
    d = safe_subdir(folder, BACKUP_DIR)
    stamp = _dt.datetime.now(_dt.UTC).strftime("%Y%m%d-%H%M%S-%f")
    target = d / f"project-{stamp}{('-' + reason) if reason else ''}.db"
    tmp = target.with_suffix(".db.tmp")
    try:
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
    except BaseException:
        try:
            tmp.unlink(missing_ok=True)
        except OSError:  # e.g. a read-only folder: there is no partial file to remove
            pass
        raise
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


def restore(folder: Path, *, force: bool = False) -> Path:
    """Put the newest valid backup back in place; the replaced file is kept beside it.

    Refused while any other process (or connection) has the project open, since replacing the
    file under it would lose its edits, and refused for a healthy database unless ``force``.
    """
    db_path = folder / DB_NAME
    found = backups(folder)  # refuses a linked backups/ before anything else
    for candidate in reversed(found):
        if integrity_ok(candidate):
            break
    else:
        raise ProjectError(
            f"no valid backup of {db_path} was found in {folder / BACKUP_DIR}; nothing was changed"
        )
    lock = RunnerLock(folder)
    if not lock.acquire():
        raise ProjectError(
            f"{folder} is open in another Previz process{_pid_text(runner_pid(folder))}; close "
            "it (the app, or a running `previz generate`) and run restore again. Nothing was "
            "changed."
        )
    try:
        if db_path.exists():
            _check_restorable(db_path, folder, force=force)
            stamp = _dt.datetime.now(_dt.UTC).strftime("%Y%m%d-%H%M%S")
            kept = folder / f"project.db.damaged-{stamp}"
            db_path.replace(kept)
            wal = Path(f"{db_path}-wal")
            if wal.exists():  # keep its edits with the file they belong to (never apply it
                wal.replace(Path(f"{kept}-wal"))  # to the restored file)
        Path(f"{db_path}-shm").unlink(missing_ok=True)
        Path(f"{db_path}-wal").unlink(missing_ok=True)
        tmp = db_path.with_suffix(".db.restoring")
        src = sqlite3.connect(_uri(candidate, mode="ro"), uri=True)
        try:
            dst = sqlite3.connect(tmp)
            try:
                src.backup(dst)
            finally:
                dst.close()
        finally:
            src.close()
        tmp.replace(db_path)
    except sqlite3.Error as exc:
        env = environment_error(exc, folder)
        if env is not None:
            raise env from None
        raise
    finally:
        lock.release()
    return candidate


def _check_restorable(db_path: Path, folder: Path, *, force: bool) -> None:
    """Refuse to replace a database another connection uses, or a healthy one (unless forced).

    An exclusive lock on the file is only granted when no other connection, in any process, has
    it open (in WAL mode every connection holds a shared lock while it is open).
    """
    holders = lock_holders(db_path)
    if holders:
        raise ProjectError(_in_use_message(folder, holders))
    healthy = ""
    try:
        con = sqlite3.connect(str(db_path), timeout=2, isolation_level=None)
        try:
            con.execute("PRAGMA locking_mode=EXCLUSIVE")
            con.execute("BEGIN EXCLUSIVE")
            try:
                ok = con.execute("PRAGMA integrity_check").fetchone()
                if ok and ok[0] == "ok" and _looks_like_previz(con):
                    healthy = "it passes SQLite's integrity check and opens as a Previz project"
            finally:
                con.execute("ROLLBACK")
        finally:
            con.close()
    except sqlite3.OperationalError as exc:
        if _code(exc) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            raise ProjectError(_in_use_message(folder, [])) from None
        env = environment_error(exc, folder)
        if env is not None:
            raise env from None
    except sqlite3.DatabaseError:  # not a database / malformed: exactly what restore is for
        pass
    if healthy and not force:
        raise ProjectError(
            f"{db_path} is not damaged ({healthy}); restoring would replace it with an older "
            "backup and lose the edits made since. Run `previz restore --force` to do it "
            "anyway. Nothing was changed."
        )


def _looks_like_previz(con: sqlite3.Connection) -> bool:
    try:
        rev = con.execute("SELECT version_num FROM alembic_version").fetchone()
        row = con.execute("SELECT id FROM project").fetchone()
    except sqlite3.DatabaseError:
        return False
    return bool(rev and row)


def _in_use_message(folder: Path, pids: list[int]) -> str:
    who = _who(pids) if pids else "another program or Previz window"
    return (
        f"{folder} is open in {who}; restoring now would lose the edits it saves. Close it and "
        "run restore again. Nothing was changed."
    )


# --- telling environment errors from damage ---------------------------------------------------


def _code(exc: BaseException) -> int | None:
    err = getattr(exc, "orig", exc)
    code = getattr(err, "sqlite_errorcode", None)
    return None if code is None else int(code) & 0xFF  # the primary result code


def environment_error(exc: BaseException, folder: Path | None) -> ProjectError | None:
    """A one-line :class:`ProjectError` for an error that comes from the machine, not the
    project (read-only folder, full disk, disk error, a write lock held too long), else None."""
    err = getattr(exc, "orig", None) or exc
    where = str(folder) if folder else "the project folder"
    db_file = f"{folder / DB_NAME}" if folder else DB_NAME
    if isinstance(err, OSError) and not isinstance(err, sqlite3.Error):
        if err.errno == errno.ENOSPC:
            return ProjectError(_full_message(where))
        if err.errno == errno.EROFS:
            return ProjectError(_readonly_message(where))
        if err.errno in (errno.EACCES, errno.EPERM):
            return ProjectError(
                f"permission denied on {err.filename or where}; check that you may read and "
                "write it, then retry. Nothing was changed."
            )
        if err.errno == errno.EDQUOT:
            return ProjectError(
                f"your disk quota on {where} is used up; free some space and retry "
                "(the last change was not saved)"
            )
        return None
    if not isinstance(err, sqlite3.Error):
        return None
    code = _code(err)
    text = str(err).lower()
    if code == sqlite3.SQLITE_READONLY or "readonly database" in text:
        return ProjectError(_readonly_message(where))
    if code == sqlite3.SQLITE_FULL or "database or disk is full" in text:
        return ProjectError(_full_message(where))
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or "database is locked" in text:
        pids = lock_holders(folder / DB_NAME, writers_only=True) if folder else []
        if not pids and folder:
            pid = runner_pid(folder)
            pids = [pid] if pid else []
        secs = busy_timeout_ms() / 1000
        return ProjectError(
            f"{_who(pids) if pids else 'another program'} has held a write lock on {db_file} "
            f"for {secs:g} s; close it (or wait for it to finish) and retry. Nothing was changed."
        )
    if code in (sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM) or (
        "disk i/o error" in text or "unable to open database" in text
    ):
        state = _disk_state(folder) if folder else None
        if state == "readonly":
            return ProjectError(_readonly_message(where))
        if state == "full":
            return ProjectError(_full_message(where))
        if code == sqlite3.SQLITE_IOERR or "disk i/o error" in text:
            return ProjectError(
                f"a disk error stopped Previz reading or writing {db_file} ({_short(err)}); "
                "check the disk and its connection, then retry. Nothing was changed."
            )
        return ProjectError(
            f"cannot open {db_file} ({_short(err)}); check that you may read and write "
            f"{where}, then retry. Nothing was changed."
        )
    return None


def _readonly_message(where: str) -> str:
    return (
        f"{where} is read-only (a read-only disk, or no permission to write there), so Previz "
        "cannot open or save the project; copy the project to a writable folder and open the "
        "copy. Nothing was changed."
    )


def _full_message(where: str) -> str:
    return (
        f"the disk holding {where} is full; free some space and retry. The last change was not "
        "saved; the project itself is intact."
    )


FULL_BELOW_BYTES = 1 << 20  # an I/O error with less free space than this is a full disk


def _disk_state(folder: Path) -> str | None:
    """'readonly' or 'full' when the folder's file system says so; None when it looks fine."""
    try:
        if hasattr(os, "statvfs"):
            st = os.statvfs(folder)
            if st.f_flag & getattr(os, "ST_RDONLY", 1):
                return "readonly"
            if st.f_bavail * st.f_frsize < FULL_BELOW_BYTES:
                return "full"
        else:  # Windows
            import shutil

            if shutil.disk_usage(folder).free < FULL_BELOW_BYTES:
                return "full"
        if not os.access(folder, os.W_OK):
            return "readonly"
    except OSError:
        return None
    return None


def lock_holders(db_path: Path, *, writers_only: bool = False) -> list[int]:
    """Other processes holding an OS lock on the database (or, for a writer, the WAL write lock
    in ``-shm``), read from ``/proc/locks`` (Linux; an empty list elsewhere). Never opens them."""
    if not sys.platform.startswith("linux"):
        return []
    targets: dict[tuple[int, int, int], bool] = {}
    for path, is_shm in ((db_path, False), (Path(f"{db_path}-shm"), True)):
        try:
            st = os.stat(path)
        except OSError:
            continue
        targets[(os.major(st.st_dev), os.minor(st.st_dev), st.st_ino)] = is_shm
    if not targets:
        return []
    try:
        lines = Path("/proc/locks").read_text().splitlines()
    except OSError:
        return []
    pids: list[int] = []
    for line in lines:
        parts = line.split()
        if len(parts) < 8 or parts[1] == "->":
            continue
        kind, mode, pid_s, dev_ino, start = parts[1], parts[3], parts[4], parts[5], parts[6]
        try:
            maj, mnr, ino = dev_ino.split(":")
            key = (int(maj, 16), int(mnr, 16), int(ino))
            pid = int(pid_s)
        except ValueError:
            continue
        if key not in targets or pid in (os.getpid(), -1) or kind not in ("POSIX", "OFDLCK"):
            continue
        if writers_only and not (targets[key] and mode == "WRITE" and start == "120"):
            continue  # byte 120 of -shm is SQLite's WAL write lock
        if pid not in pids:
            pids.append(pid)
    return pids


def runner_pid(folder: Path) -> int | None:
    """The process that holds the project's job-runner lock, if it wrote its pid there."""
    try:
        text_ = (folder / LOCK_NAME).read_text(encoding="ascii", errors="replace").strip()
        pid = int(text_.split()[0]) if text_ else 0
    except (OSError, ValueError, IndexError):
        return None
    if pid <= 0 or pid == os.getpid() or sys.platform.startswith("win"):
        return None
    try:
        os.kill(pid, 0)  # alive? (a signal 0 only checks; the lock file may be stale)
    except ProcessLookupError:
        return None
    except OSError:
        pass  # alive, owned by another user
    return pid


def _pid_text(pid: int | None) -> str:
    return f" ({_describe_pid(pid)})" if pid else ""


def _who(pids: list[int]) -> str:
    first = _describe_pid(pids[0])
    more = f" and {len(pids) - 1} more" if len(pids) > 1 else ""
    return f"another process ({first}){more}"


def _describe_pid(pid: int) -> str:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return f"pid {pid}"
    args = [a.decode(errors="replace") for a in raw.split(b"\0") if a]
    if not args:
        return f"pid {pid}"
    cmd = " ".join(" ".join([Path(args[0]).name, *args[1:]]).split())  # one line, always
    return f"pid {pid}: {cmd[:60] + '…' if len(cmd) > 60 else cmd}"


@contextmanager
def _said_plainly(engine: Engine) -> Iterator[None]:
    """Errors of the machine (read-only, disk full, a lock held too long) as one-line
    :class:`ProjectError` messages; anything else passes through unchanged."""
    try:
        yield
    except (sqlite3.Error, OSError, _DBAPIError) as exc:
        env = environment_error(exc, _folder(engine))
        if env is None:
            raise
        raise env from None


@contextmanager
def write(engine: Engine) -> Iterator[Connection]:
    """One write transaction (BEGIN IMMEDIATE … COMMIT), rolled back on any error."""
    with _said_plainly(engine), engine.connect().execution_options(begin="IMMEDIATE") as conn:
        with conn.begin():
            yield conn


@contextmanager
def read(engine: Engine) -> Iterator[Connection]:
    """A consistent read snapshot."""
    with _said_plainly(engine), engine.connect() as conn:
        with conn.begin():
            yield conn


def _folder(engine: Engine) -> Path | None:
    name = engine.url.database
    return Path(name).parent if name else None


def scalar(conn: Connection, sql: str, **params: object) -> object:
    return conn.execute(text(sql), params).scalar()
