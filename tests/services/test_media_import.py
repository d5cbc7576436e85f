"""Real footage and drawn boards become takes conformed to the sequence."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

from engine.media import HEAD_TAIL_FRAMES
from previz.core.errors import InvalidInput
from previz.services.media_import import import_take
from previz.services.project import ProjectService
from previz.store.folder import resolve


def write_clip(path: Path, fps: int, frames: int, size=(160, 120)) -> None:
    import av

    with av.open(str(path), "w") as c:
        s = c.add_stream("libx264", rate=fps)
        s.width, s.height = size
        s.pix_fmt = "yuv420p"
        for i in range(frames):
            img = np.full((size[1], size[0], 3), (i * 8) % 255, np.uint8)
            for p in s.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                c.mux(p)
        for p in s.encode(None):
            c.mux(p)


def probe(path: Path) -> tuple[int, int, int]:
    import av

    with av.open(str(path)) as c:
        s = c.streams.video[0]
        return sum(1 for _ in c.decode(s)), s.width, s.height


def test_footage_at_another_rate_is_conformed_to_the_sequence(project: ProjectService,
                                                              tmp_path: Path) -> None:
    shot = project.add_shot(prompt="real plate", duration_frames=24)
    src = tmp_path / "plate.mp4"
    write_clip(src, fps=30, frames=30)  # one second at 30 fps
    take = import_take(project, shot.id, src)
    assert take.operation == "import" and take.fps == Fraction(24)
    assert take.frame_count == 24  # one second at the sequence's 24 fps
    frames, w, h = probe(resolve(project.folder, take.segments[0].path))
    assert (frames, w, h) == (24, 320, 180)  # fitted into the 320x180 sequence
    assert take.selected and len(take.head) == HEAD_TAIL_FRAMES


def test_a_still_is_held_for_the_planned_duration(project: ProjectService, tmp_path: Path) -> None:
    import cv2

    shot = project.add_shot(prompt="board", duration_frames=36)
    img = np.zeros((300, 300, 3), np.uint8)
    img[:] = (0, 0, 255)
    cv2.imwrite(str(tmp_path / "board.png"), img)
    take = import_take(project, shot.id, tmp_path / "board.png")
    assert take.frame_count == 36
    frames, w, h = probe(resolve(project.folder, take.segments[0].path))
    assert frames == 36 and (w, h) == (320, 180)


def test_a_bad_file_changes_nothing(project: ProjectService, tmp_path: Path) -> None:
    shot = project.add_shot(prompt="x", duration_frames=12)
    bad = tmp_path / "clip.mp4"
    bad.write_bytes(b"not a video")
    with pytest.raises(InvalidInput):
        import_take(project, shot.id, bad)
    with pytest.raises(InvalidInput, match="does not exist"):
        import_take(project, shot.id, tmp_path / "missing.mov")
    assert project.takes(shot.id) == []
    assert not any((project.folder / "media" / "takes").iterdir())
    assert not any((project.folder / "media" / ".jobs").iterdir())
