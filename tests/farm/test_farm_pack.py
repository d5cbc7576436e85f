"""What travels to and from the farm is data: requests carry their files as bytes under plain
names, and a result's file names are checked before anything is written."""

from __future__ import annotations

import dataclasses
from fractions import Fraction
from pathlib import Path

import pytest


def _files(tmp_path: Path) -> dict[str, Path]:
    project = tmp_path / "Proj.previz" / "media" / "takes" / "abc"
    project.mkdir(parents=True)
    out = {}
    for name, data in {"clip.mp4": b"video", "tail_0.png": b"png0", "tail_1.png": b"png1"}.items():
        (project / name).write_bytes(data)
        out[name] = project / name
    return out


def _paths(obj: object) -> list[Path]:
    found: list[Path] = []

    def walk(o: object) -> None:
        if isinstance(o, Path):
            found.append(o)
        elif dataclasses.is_dataclass(o) and not isinstance(o, type):
            for f in dataclasses.fields(o):
                walk(getattr(o, f.name))
        elif isinstance(o, tuple | list):
            for x in o:
                walk(x)
        elif isinstance(o, dict):
            for x in o.values():
                walk(x)

    walk(obj)
    return found


def test_an_extend_request_travels_with_its_parents_files_and_no_project_path(
    tmp_path: Path,
) -> None:
    from engine.api import ClipSource, Extend, SegmentRef
    from engine.farm.pack import pack_request, unpack_request

    f = _files(tmp_path)
    source = ClipSource(
        segments=(SegmentRef(f["clip.mp4"], 0, 24),),
        head=(),
        tail=(f["tail_0.png"], f["tail_1.png"]),
        width=160,
        height=96,
        fps=Fraction(24),
        num_frames=24,
    )
    req = Extend(source=source, direction="forward", prompt="p", num_frames=12, seed=1)
    packed, files = pack_request(req)
    paths = _paths(packed)
    assert paths and all(not p.is_absolute() and len(p.parts) == 1 for p in paths)
    assert sorted(files.values()) == [b"png0", b"png1", b"video"]
    node = tmp_path / "node"
    placed = unpack_request(packed, files, node)
    assert all(p.parent == node for p in _paths(placed))
    assert placed.source.tail[1].read_bytes() == b"png1"
    assert placed.source.segments[0].path.read_bytes() == b"video"


@pytest.mark.parametrize("bad", ["../clip.mp4", "/etc/passwd", "w00/../../x", ".hidden", "a\\b"])
def test_a_result_naming_a_path_outside_its_folder_is_refused(tmp_path: Path, bad: str) -> None:
    from engine.farm.pack import FarmDataError, unpack_output

    blob = _blob()
    blob["files"][bad] = blob["files"].pop("clip.mp4")
    scratch = tmp_path / "scratch"
    with pytest.raises(FarmDataError):
        unpack_output(blob, scratch)
    assert not scratch.exists() or not any(scratch.rglob("*"))


def test_a_result_with_a_missing_or_empty_file_is_refused_and_a_good_one_written(
    tmp_path: Path,
) -> None:
    from engine.farm.pack import FarmDataError, unpack_output

    blob = _blob()
    del blob["files"]["thumb.jpg"]
    with pytest.raises(FarmDataError, match="missing: thumb.jpg"):
        unpack_output(blob, tmp_path / "a")
    blob = _blob()
    blob["files"]["thumb.jpg"] = b""
    with pytest.raises(FarmDataError, match="empty"):
        unpack_output(blob, tmp_path / "b")
    out = unpack_output(_blob(), tmp_path / "c")
    assert (tmp_path / "c" / "clip.mp4").read_bytes() == b"v" * 10
    assert sorted(p.name for p in (tmp_path / "c").iterdir()) == [
        "clip.mp4",
        "head_0.png",
        "tail_0.png",
        "thumb.jpg",
    ]  # no temporary file left behind
    assert out.files.num_frames == 12


def _blob() -> dict:
    from engine.api import GenerationResult
    from engine.job import JobOutput
    from engine.media import ClipFiles

    files = ClipFiles(
        video=Path("clip.mp4"),
        head=(Path("head_0.png"),),
        tail=(Path("tail_0.png"),),
        thumbnail=Path("thumb.jpg"),
        num_frames=12,
        width=160,
        height=96,
        fps=Fraction(24),
    )
    result = GenerationResult(frames=12, width=160, height=96, fps=Fraction(24), recipe={})
    out = JobOutput(files=files, result=result)
    data = {"clip.mp4": b"v" * 10, "head_0.png": b"h", "tail_0.png": b"t", "thumb.jpg": b"j"}
    return {"output": out, "files": dict(data)}
