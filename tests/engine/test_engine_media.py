"""ClipWriter writes the clip an editor and the player will read: exact frame count, rate and
size; lossless head/tail frames; a thumbnail; short GOPs for scrubbing."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from engine.api import EngineError, RequestError, SegmentRef
from engine.media import ClipWriter, load_png_frames, probe, read_frames
from tests.engine.engine_testutil import mad, render


def numbered_frames(n: int, w: int = 160, h: int = 96) -> np.ndarray:
    """Frames that differ clearly from one another (a moving bar and a changing colour)."""
    out = np.zeros((n, h, w, 3), np.uint8)
    for i in range(n):
        out[i, :, :] = (40 + 7 * i % 200, 90, 200 - 5 * i % 180)
        x = (i * 9) % (w - 20)
        out[i, :, x : x + 20] = (250, 250, 250)
    return out


@pytest.mark.parametrize(
    "fps", [Fraction(24000, 1001), Fraction(24), Fraction(25), Fraction(30000, 1001)]
)
def test_clip_has_exact_frames_rate_and_size(tmp_path: Path, fps: Fraction) -> None:
    frames = numbered_frames(37)
    with ClipWriter(tmp_path, 160, 96, fps) as writer:
        for f in frames:
            writer.write(f)
    files = writer.close()
    assert files.num_frames == 37 and files.fps == fps
    assert probe(tmp_path / files.video) == (37, fps, 160, 96)
    with av.open(str(tmp_path / files.video)) as c:
        s = c.streams.video[0]
        assert s.average_rate == fps
        decoded = list(c.decode(s))
        assert len(decoded) == 37
        duration = Fraction(decoded[-1].pts - decoded[0].pts) * s.time_base
        assert duration == Fraction(36) / fps  # frame-exact timestamps
        assert s.codec_context.pix_fmt == "yuv420p" and s.codec_context.name == "h264"


def test_keyframes_are_frequent_for_scrubbing(tmp_path: Path) -> None:
    frames = numbered_frames(50)
    writer = ClipWriter(tmp_path, 160, 96, Fraction(24), gop=12)
    for f in frames:
        writer.write(f)
    files = writer.close()
    with av.open(str(tmp_path / files.video)) as c:
        keys = [i for i, f in enumerate(c.decode(video=0)) if f.key_frame]
    assert keys == [0, 12, 24, 36, 48]


def test_head_tail_are_bit_exact_and_thumbnail_exists(tmp_path: Path) -> None:
    frames = render("wide shot, a woman walks left, rain", 20, width=320, height=176)
    writer = ClipWriter(tmp_path, 320, 176, Fraction(24), head_tail_k=6, expected_frames=20)
    for f in frames:
        writer.write(f)
    files = writer.close()
    assert [p.as_posix() for p in files.head] == [f"head/{i:06d}.png" for i in range(6)]
    assert len(files.tail) == 6
    assert np.array_equal(np.stack(load_png_frames([tmp_path / p for p in files.head])), frames[:6])
    assert np.array_equal(
        np.stack(load_png_frames([tmp_path / p for p in files.tail])), frames[-6:]
    )
    thumb = cv2.imread(str(tmp_path / files.thumbnail))
    assert thumb is not None and thumb.shape[1] == 320 and thumb.shape[0] == 176
    middle = cv2.resize(frames[10], (320, 176))
    assert mad(cv2.cvtColor(thumb, cv2.COLOR_BGR2RGB), middle) < 4  # the middle frame


def test_thumbnail_is_small_for_big_frames(tmp_path: Path) -> None:
    writer = ClipWriter(tmp_path, 1280, 720, Fraction(24))
    writer.write(np.full((720, 1280, 3), 128, np.uint8))
    files = writer.close()
    assert cv2.imread(str(tmp_path / files.thumbnail)).shape[:2] == (180, 320)


def test_short_clip_keeps_what_it_has(tmp_path: Path) -> None:
    frames = numbered_frames(3)
    writer = ClipWriter(tmp_path, 160, 96, Fraction(24), head_tail_k=8)
    for f in frames:
        writer.write(f)
    files = writer.close()
    assert len(files.head) == len(files.tail) == 3


def test_tail_memory_is_bounded(tmp_path: Path) -> None:
    writer = ClipWriter(tmp_path, 160, 96, Fraction(24), head_tail_k=4)
    for f in numbered_frames(60):
        writer.write(f)
        assert len(writer._tail) <= 4  # a long shot never sits whole in memory
    writer.close()


def test_read_frames_decodes_ranges_across_files(tmp_path: Path) -> None:
    a, b = numbered_frames(30), numbered_frames(30)[::-1].copy()
    for name, frames in (("a", a), ("b", b)):
        w = ClipWriter(tmp_path / name, 160, 96, Fraction(24000, 1001))
        for f in frames:
            w.write(f)
        w.close()
    segs = [
        SegmentRef(tmp_path / "a" / "clip.mp4", 5, 15),
        SegmentRef(tmp_path / "b" / "clip.mp4", 0, 4),
    ]
    got = list(read_frames(segs))
    want = list(a[5:15]) + list(b[0:4])
    assert len(got) == 14
    for g, expected, i in zip(got, want, range(14), strict=True):
        assert mad(g, expected) < 4, i
    small = list(read_frames(segs[1], width=80, height=48))
    assert small[0].shape == (48, 80, 3)


def test_read_frames_reports_a_short_file(tmp_path: Path) -> None:
    w = ClipWriter(tmp_path, 160, 96, Fraction(24))
    for f in numbered_frames(5):
        w.write(f)
    w.close()
    with pytest.raises(RequestError, match="fewer"):
        list(read_frames([SegmentRef(tmp_path / "clip.mp4", 0, 9)]))


def test_abort_removes_only_what_it_wrote(tmp_path: Path) -> None:
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(ValueError):
        with ClipWriter(tmp_path, 160, 96, Fraction(24)) as writer:
            for f in numbered_frames(10):
                writer.write(f)
            raise ValueError("engine failed")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]


def test_writer_rejects_wrong_frames(tmp_path: Path) -> None:
    writer = ClipWriter(tmp_path, 160, 96, Fraction(24))
    with pytest.raises(EngineError, match="160x96"):
        writer.write(np.zeros((96, 161, 3), np.uint8))
    with pytest.raises(EngineError):
        writer.write(np.zeros((96, 160, 3), np.float32))
    writer.abort()
    with pytest.raises(RequestError, match="even"):
        ClipWriter(tmp_path, 161, 96, Fraction(24))


def test_probe_and_load_reject_bad_files(tmp_path: Path) -> None:
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video at all")
    with pytest.raises(RequestError, match="cannot read"):
        probe(junk)
    with pytest.raises(RequestError, match="not an image"):
        load_png_frames([junk])
