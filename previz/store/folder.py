"""The project folder on disk: ``Name.previz/`` with ``project.db`` and ``media/``.

Every stored path is relative to the folder and must resolve inside it. Files are written to a
temporary name and renamed into place before their row is committed, so a crash leaves either
the old state or the new one. The job-runner lock (an OS file lock) decides which process may
recover interrupted jobs and sweep unreferenced media.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
import uuid
from pathlib import Path, PurePosixPath

from previz.core.errors import InvalidInput, ProjectError

SUFFIX = ".previz"
MEDIA = "media"
TAKES = "media/takes"
JOBS_TMP = "media/.jobs"  # per-job scratch folders; swept only when their job is finished
IMPORTS = "media/imports"
ELEMENTS = "media/elements"
MASKS = "media/masks"  # region edits' masks and cinemagraph stills (lossless PNGs)
BACKUPS = "backups"
LOCK_NAME = ".runner.lock"
# Every folder Previz writes or deletes in; none of them may be a link (see safe_subdir).
FIXED_SUBDIRS = (MEDIA, TAKES, JOBS_TMP, IMPORTS, ELEMENTS, MASKS, BACKUPS)


def project_dir(path: str | Path) -> Path:
    return Path(path).expanduser().resolve()


def rel(folder: Path, path: str | Path) -> str:
    """A path stored in the database: relative, POSIX, inside the folder (else refused)."""
    p = Path(path)
    absolute = (p if p.is_absolute() else folder / p).resolve()
    try:
        relative = absolute.relative_to(folder.resolve())
    except ValueError:
        raise InvalidInput(
            f"path {path} is outside the project folder {folder}; copy the file into the project "
            "(or import it) instead"
        ) from None
    return PurePosixPath(*relative.parts).as_posix()


def resolve(folder: Path, stored: str) -> Path:
    """An absolute path for a stored relative path; refuses anything escaping the folder."""
    if not stored or Path(stored).is_absolute() or PurePosixPath(stored).is_absolute():
        raise ProjectError(f"stored path {stored!r} is not relative to the project folder")
    target = (folder / stored).resolve()
    try:
        inside = target.relative_to(folder.resolve())
    except ValueError:
        raise ProjectError(f"stored path {stored!r} resolves outside the project folder") from None
    if len(inside.parts) == 1 and is_database_file(target):
        raise ProjectError(f"stored path {stored!r} names the project's database, not media")
    return target


DB_FILES = ("project.db", "project.db-wal", "project.db-shm", "project.db-journal")


def is_database_file(path: Path) -> bool:
    """One of a project's live SQLite files, which only SQLite may open (a plain open/close of
    them drops this process's database locks; see previz.store.db)."""
    return path.name in DB_FILES and (path.parent / DB_FILES[0]).exists()


def _is_link(path: Path) -> bool:
    """A symbolic link, or (on Windows) a junction: both point somewhere else."""
    if path.is_symlink():
        return True
    is_junction = getattr(os.path, "isjunction", None)  # Python 3.12+
    return bool(is_junction and is_junction(path))


def safe_subdir(folder: Path, sub: str, *, create: bool = True) -> Path:
    """``folder/sub``, a real folder inside the project: no component of ``sub`` may be a link.

    Previz writes and deletes in its fixed subfolders (``backups``, ``media/.jobs``,
    ``media/takes`` …); a crafted project whose subfolder is a link elsewhere would make it write
    or delete outside the project, so a link is refused with a :class:`ProjectError`. Missing
    folders are created one component at a time when ``create`` is true.
    """
    parts = PurePosixPath(sub).parts
    if not parts or PurePosixPath(sub).is_absolute() or ".." in parts:
        raise ValueError(f"{sub!r} is not a plain relative folder")
    path = folder
    for part in parts:
        path = path / part
        if _is_link(path):
            raise ProjectError(
                f"{path} is a link to somewhere else; Previz only writes inside the project "
                f"folder: replace the link with a real folder (move its contents in) and retry"
            )
        if path.exists():
            if not path.is_dir():
                raise ProjectError(
                    f"{path} is a file where Previz keeps a folder; move it away and retry"
                )
            continue
        if not create:
            return folder.joinpath(*parts)
        try:
            path.mkdir()
        except FileExistsError:  # made meanwhile by another process: check it again
            if _is_link(path) or not path.is_dir():
                raise ProjectError(
                    f"{path} is not a real folder inside the project; replace it with a folder "
                    "and retry"
                ) from None
        except OSError as exc:
            raise ProjectError(f"cannot create folder {path}: {_why(exc)}") from None
    return path


def check_fixed_subdirs(folder: Path) -> None:
    """Refuse a project whose fixed subfolders (or their parents) are links."""
    for sub in FIXED_SUBDIRS:
        safe_subdir(folder, sub, create=False)


def _why(exc: OSError) -> str:
    import errno

    if exc.errno == errno.ENOSPC:
        return "the disk is full; free some space and retry"
    if exc.errno == errno.EROFS:
        return "the disk is read-only; copy the project to a writable disk"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied; check the folder's permissions"
    return exc.strerror or str(exc)


def new_uid() -> str:
    return uuid.uuid4().hex


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


def fsync_dir(path: Path) -> None:
    if sys.platform.startswith("win"):
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write to a temporary name, flush to disk, then rename over ``path``."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(path.parent)


def install_dir(folder: Path, scratch: Path, dest_rel: str) -> Path:
    """Move a finished scratch folder (already flushed) to ``dest_rel`` inside the project."""
    parent = PurePosixPath(dest_rel).parent.as_posix()
    if parent not in ("", "."):
        safe_subdir(folder, parent)  # never through a linked media/takes
    dest = resolve(folder, dest_rel)
    for root, _dirs, files in os.walk(scratch):
        for name in files:
            fd = os.open(Path(root) / name, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    os.replace(scratch, dest)
    fsync_dir(dest.parent)
    return dest


def import_file(folder: Path, source: Path, subdir: str = IMPORTS) -> str:
    """Copy a user's file (reference image, footage) into the project; return its stored path."""
    source = Path(source).expanduser()
    if not source.is_file():
        raise InvalidInput(f"file {source} does not exist")
    if is_database_file(source.resolve()):
        raise InvalidInput(f"{source} is a project database, not a media file; choose another")
    dest_dir = safe_subdir(folder, subdir)
    dest = dest_dir / f"{uuid.uuid4().hex[:8]}-{source.name}"
    tmp = dest.with_name(f".{dest.name}.tmp")
    try:
        shutil.copyfile(source, tmp)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    return rel(folder, dest)


def disk_usage(folder: Path) -> dict[str, int]:
    usage: dict[str, int] = {"database": 0, "media": 0, "backups": 0, "other": 0}
    for root, _dirs, files in os.walk(folder):
        for name in files:
            p = Path(root) / name
            try:
                size = p.lstat().st_size  # a stat only: the live db files are never opened
            except OSError:
                continue
            top = p.relative_to(folder).parts[0]
            key = {"media": "media", "backups": "backups"}.get(top)
            if key is None:
                key = "database" if name.startswith("project.db") else "other"
            usage[key] += size
    usage["total"] = sum(usage.values())
    return usage


class RunnerLock:
    """An advisory OS lock on ``.runner.lock``: one job runner per project at a time.

    The lock is released by the OS when the holding process dies, so a free lock with a
    ``running`` job in the table means that job's runner crashed.
    """

    def __init__(self, folder: Path) -> None:
        self.path = folder / LOCK_NAME
        self._fh: object | None = None

    def acquire(self) -> bool:
        if self._fh is not None:
            return True
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
        try:  # never through a link: a crafted project could point it anywhere
            fd = os.open(self.path, flags, 0o644)
        except OSError as exc:
            if _is_link(self.path):
                raise ProjectError(
                    f"{self.path} is a link; delete it (Previz makes a new one) and retry"
                ) from None
            raise ProjectError(f"cannot use the job lock {self.path}: {_why(exc)}") from None
        fh = os.fdopen(fd, "r+b")
        try:
            if sys.platform.startswith("win"):
                import msvcrt

                fh.seek(0)
                msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
            else:
                import fcntl

                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.close()
            return False
        self._fh = fh
        try:  # say who holds it, for messages in other processes (see db.runner_pid)
            fh.seek(0)
            fh.truncate()
            fh.write(f"{os.getpid()}\n".encode())
            fh.flush()
        except OSError:
            pass
        return True

    @property
    def held(self) -> bool:
        return self._fh is not None

    def release(self) -> None:
        fh = self._fh
        if fh is None:
            return
        self._fh = None
        try:
            try:  # the pid is only true while the lock is held
                fh.seek(0)  # type: ignore[attr-defined]
                fh.truncate()  # type: ignore[attr-defined]
            except OSError:
                pass
            if sys.platform.startswith("win"):
                import msvcrt

                fh.seek(0)  # type: ignore[attr-defined]
                msvcrt.locking(fh.fileno(), msvcrt.LK_UNLCK, 1)  # type: ignore[attr-defined]
            else:
                import fcntl

                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)  # type: ignore[attr-defined]
        finally:
            fh.close()  # type: ignore[attr-defined]
