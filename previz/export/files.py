"""Atomic output files: write beside the target under a temporary name, rename when done."""

from __future__ import annotations

import logging
import os
import secrets
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


def temp_name(target: Path) -> Path:
    return target.with_name(f".{target.name}.part-{secrets.token_hex(4)}")


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
