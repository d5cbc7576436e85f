"""Atomic output files: write beside the target under a temporary name, rename when done.

A temporary file is ``.<target name>.part-<host>-<pid>-<random>`` (hidden). An export killed
before it could clean up leaves one behind; the next export into the same folder sweeps it
(``sweep_stale_parts``) once its writer is gone (same host, pid no longer running) or it has
not been written to for an hour.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import secrets
import socket
import time
from pathlib import Path
from types import TracebackType

from .plan import ExportError, disk_full_error

log = logging.getLogger(__name__)


def check_target_dir(out_path: Path) -> None:
    """Fail early, with a clear message, when ``out_path`` cannot be written."""
    out_path = Path(out_path)
    folder = out_path.parent if str(out_path.parent) else Path(".")
    if out_path.is_dir():
        raise ExportError(
            f"{out_path} is a folder; give a file name such as {out_path / 'reel.mp4'}"
        )
    if not folder.exists():
        raise ExportError(f"folder {folder} does not exist; create it or export somewhere else")
    if not folder.is_dir():
        raise ExportError(f"{folder} is not a folder; export somewhere else")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ExportError(
            f"cannot write in folder {folder} (permission denied); pick a folder you can write to"
        )


STALE_PART_SECONDS = 3600
_PART_RE = re.compile(r"^\..+\.part-(?:([0-9a-f]{4})-(\d+)-)?[0-9a-f]{8}$")


def _host_tag() -> str:
    return hashlib.sha1(socket.gethostname().encode()).hexdigest()[:4]


def temp_name(target: Path) -> Path:
    tag = f"{_host_tag()}-{os.getpid()}-{secrets.token_hex(4)}"
    return target.with_name(f".{target.name}.part-{tag}")


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # exists (another user's process) or unknown: keep it
    return True


def sweep_stale_parts(folder: Path, *, max_age: float = STALE_PART_SECONDS) -> list[Path]:
    """Remove the temporary files killed exports left in ``folder``: those whose writer (on
    this host) is no longer running, and any not written to for ``max_age`` seconds. Returns
    what was removed; never raises."""
    removed: list[Path] = []
    now = time.time()
    host = _host_tag()
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return removed
    for entry in entries:
        m = _PART_RE.match(entry.name)
        if m is None:
            continue
        try:
            if not entry.is_file(follow_symlinks=False):
                continue
            age = now - entry.stat(follow_symlinks=False).st_mtime
            dead = m.group(1) == host and not _pid_alive(int(m.group(2)))
            if dead or age > max_age:
                os.unlink(entry.path)
                removed.append(Path(entry.path))
                log.info("removed a stale temporary export file %s", entry.path)
        except OSError as exc:  # gone already, or not ours to remove
            log.debug("could not sweep %s: %s", entry.path, exc)
    return removed


class TempTarget:
    """``with TempTarget(out) as t: write(t.path); t.commit()`` - on any exit without commit
    (error, cancel) every temporary file is removed and the target is left untouched."""

    def __init__(self, target: Path) -> None:
        self.target = Path(target)
        self.path = temp_name(self.target)
        self._extras: list[tuple[Path, Path]] = []
        self._committed = False

    def extra(self, final: Path) -> Path:
        """A temporary path for a companion file, renamed to ``final`` on commit."""
        tmp = temp_name(Path(final))
        self._extras.append((tmp, Path(final)))
        return tmp

    def __enter__(self) -> TempTarget:
        sweep_stale_parts(self.target.parent if str(self.target.parent) else Path("."))
        try:  # create it now so permission/space problems surface before any work
            with open(self.path, "wb"):
                pass
        except PermissionError as exc:
            raise ExportError(
                f"cannot write in folder {self.target.parent} (permission denied); pick a folder "
                "you can write to"
            ) from exc
        except OSError as exc:
            err = disk_full_error(self.target, exc)
            raise (err or ExportError(f"cannot create {self.path}: {exc.strerror or exc}")) from exc
        return self

    def commit(self) -> None:
        try:
            os.replace(self.path, self.target)
            for tmp, final in self._extras:
                if tmp.exists():
                    os.replace(tmp, final)
        except OSError as exc:
            err = disk_full_error(self.target, exc)
            raise (
                err
                or ExportError(
                    f"cannot move the finished file to {self.target}: {exc.strerror or exc}"
                )
            ) from exc
        self._committed = True

    def discard(self) -> None:
        for p in [self.path, *(t for t, _ in self._extras)]:
            try:
                p.unlink(missing_ok=True)
            except OSError as exc:  # pragma: no cover - nothing more we can do
                log.warning("could not remove temporary file %s: %s", p, exc)

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._committed:
            self.discard()
