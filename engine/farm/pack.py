"""Requests and results as data: what travels between a Previz client and the farm.

A request names files on the client's disk (a parent take's clip and lossless head/tail,
pinned images, colour references, masks). `pack_request` replaces each path by a plain name
(``in-003.png``) and returns the files' bytes under those names; `unpack_request` writes them
in a folder on the node and points the request there. `pack_output` returns a finished job's
files as bytes under their names relative to the job's folder; `unpack_output` checks those
names (plain relative names only, exactly the files the result lists, none empty) and writes
each under a temporary name before renaming it, so a path from the cluster is never trusted
and no half-written file ever has its final name.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Any

from engine.api import EngineError
from engine.job import JobOutput

__all__ = ["FarmDataError", "pack_output", "pack_request", "unpack_output", "unpack_request"]


class FarmDataError(EngineError):
    """What came back from the farm is not a well-formed result."""


def _map_paths(obj: Any, fn: Callable[[Path], Path]) -> Any:
    """``obj`` with every `Path` inside it (dataclasses, tuples, lists, dicts) mapped by fn."""
    if isinstance(obj, Path):
        return fn(obj)
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        changes = {}
        for f in dataclasses.fields(obj):
            if not f.init:
                continue
            old = getattr(obj, f.name)
            new = _map_paths(old, fn)
            if new is not old:
                changes[f.name] = new
        return dataclasses.replace(obj, **changes) if changes else obj
    if isinstance(obj, tuple):
        items = [_map_paths(x, fn) for x in obj]
        return obj if all(a is b for a, b in zip(items, obj, strict=True)) else tuple(items)
    if isinstance(obj, list):
        return [_map_paths(x, fn) for x in obj]
    if isinstance(obj, dict):
        return {k: _map_paths(v, fn) for k, v in obj.items()}
    return obj


def pack_request(request: Any) -> tuple[Any, dict[str, bytes]]:
    """The request with its files renamed ``in-NNN<suffix>``, and those files' bytes."""
    names: dict[Path, str] = {}
    files: dict[str, bytes] = {}

    def rename(p: Path) -> Path:
        key = Path(os.path.abspath(p))
        if key not in names:
            name = f"in-{len(names):03d}{p.suffix.lower()}"
            names[key] = name
            files[name] = key.read_bytes()
        return Path(names[key])

    return _map_paths(request, rename), files


def unpack_request(request: Any, files: dict[str, bytes], folder: Path) -> Any:
    """Write the request's files in ``folder`` and point the request at them."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (folder / _plain(name)).write_bytes(data)

    def place(p: Path) -> Path:
        return folder / p.name if p.name in files and str(p) == p.name else p

    return _map_paths(request, place)


def _plain(name: str) -> str:
    """A relative name with no way out of its folder (``w00/clip.mp4`` at most one deep)."""
    p = PurePosixPath(name)
    if (
        not name
        or "\\" in name
        or p.is_absolute()
        or len(p.parts) > 2
        or any(part in ("", ".", "..") or part.startswith(".") for part in p.parts)
    ):
        raise FarmDataError(f"the farm returned a file named {name!r}; the result was refused")
    return str(p)


def _expected(out: JobOutput) -> set[str]:
    if out.windows:
        from engine.job import window_dir

        return {
            f"{window_dir(k)}/{p.as_posix()}"
            for k, w in enumerate(out.windows)
            for p in w.all_paths()
        }
    return {p.as_posix() for p in out.files.all_paths()}


def pack_output(out_dir: Path, out: JobOutput) -> dict[str, Any]:
    """A finished job as data: its result (recipe, timings, file names) and its files' bytes."""
    return {"output": out, "files": {n: (out_dir / n).read_bytes() for n in sorted(_expected(out))}}


def unpack_output(blob: Any, scratch: Path) -> JobOutput:
    """Check a result from the farm and write its files in ``scratch``; returns its output."""
    if not isinstance(blob, dict) or not isinstance(blob.get("output"), JobOutput):
        raise FarmDataError("the farm returned something that is not a job result")
    out: JobOutput = blob["output"]
    files = blob.get("files")
    if not isinstance(files, dict):
        raise FarmDataError("the farm's result has no files")
    expected = {_plain(n) for n in _expected(out)}
    got = {_plain(str(n)) for n in files}
    if got != expected:
        missing = ", ".join(sorted(expected - got)) or "none"
        extra = ", ".join(sorted(got - expected)) or "none"
        raise FarmDataError(
            f"the farm's result does not match its file list (missing: {missing}; extra: {extra})"
        )
    for name, data in files.items():
        if not isinstance(data, bytes) or not data:
            raise FarmDataError(f"the farm returned an empty {name}")
    scratch.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        dest = scratch / _plain(name)
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_name(f".{dest.name}.part")
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, dest)
    return out
