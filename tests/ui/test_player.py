"""The player and its frame source: frame-accurate decoding and scrubbing, trims applied in
sequence playback, J/K/L and arrow keys, I/O, guides, frame grab, and timing that drops frames
rather than drifting. Takes are real project takes imported from index-coded clips (frame i is
a flat grey of a known level), so every shown frame can be identified."""

from __future__ import annotations

import random
import time
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QImage

from previz.services.media_import import import_take
from previz.services.playback import FrameSource, Playlist
from previz.services.project import ProjectService
from tests.ui.uihelpers import SIZE, close_errors, error_texts, frame_index, make_index_clip

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def clip_project(tmp_path: Path) -> Path:
    """Two shots whose takes are index-coded clips of 36 and 24 frames."""
    path = tmp_path / "Clips.previz"
    svc = ProjectService.create(path, fps="24", size=SIZE)
    try:
        a = svc.add_shot(prompt="WIDE, a", duration_frames=36)
        b = svc.add_shot(prompt="CU, b", duration_frames=24)
        import_take(svc, a.id, make_index_clip(tmp_path / "a.mp4", 36))
        import_take(svc, b.id, make_index_clip(tmp_path / "b.mp4", 24))
    finally:
        svc.close()
    return path


def test_random_access_is_frame_accurate_and_cached(tmp_path: Path) -> None:
    clip = make_index_clip(tmp_path / "c.mp4", 50)
    src = FrameSource()
    order = list(range(50))
    random.Random(3).shuffle(order)
    for i in order:
        assert frame_index(src.file_frame(clip, i)) == i
    dec = src.decoder(clip)
    assert dec.frame_count == 50
    # never more than a GOP decoded per seek
    assert dec.decoded <= dec.seeks * 12 + 12
    # sequential playback: one decode per frame, no seeks
    src2 = FrameSource(cache_bytes=1)
    for i in range(50):
        assert frame_index(src2.file_frame(clip, i)) == i
    assert src2.decoder(clip).seeks == 1 and src2.decoder(clip).decoded == 50
    # stepping backwards within a GOP hits the cache
    src3 = FrameSource()
    src3.file_frame(clip, 23)
    seeks = src3.decoder(clip).seeks
    for i in range(22, 11, -1):
        assert frame_index(src3.file_frame(clip, i)) == i
    assert src3.decoder(clip).seeks == seeks


def test_sequence_playlist_applies_trims(clip_project: Path) -> None:
    svc = ProjectService.open(clip_project)
    try:
        a, b = svc.shots()
        svc.trim_shot(a.id, 5, 20)
        pl = Playlist.for_sequence(svc, a.sequence_id)
        assert pl.total_frames == 15 + 24
        src = FrameSource()
        assert frame_index(src.frame(pl, 0)) == 5
        assert frame_index(src.frame(pl, 14)) == 19
        assert frame_index(src.frame(pl, 15)) == 0  # first frame of b
        assert frame_index(src.frame(pl, 38)) == 23
        item, take_frame = pl.locate(16)
        assert item.shot_id == b.id and take_frame == 1
        assert pl.locate(39) is None
        src.close()
    finally:
        svc.close()


def test_scrub_step_keys_trim_and_timecode(qtbot, clip_project: Path, open_window) -> None:
    w = open_window(clip_project)
    p = w.player
    assert p.mode == "sequence" and p.total_frames == 60
    p.setFocus()
    assert p.timecode_text() == "01:00:00:00" and p.shot_code_text() == "0010 · T1 · f0"
    # scrub on the scrub bar: the frame under the mouse, exactly
    bar = p.scrub
    x = bar._x(41) + 2
    qtbot.mouseClick(bar, Qt.MouseButton.LeftButton, pos=QPoint(x, 10))
    assert p.frame == 41
    assert frame_index(p.current_frame_array()) == 41 - 36
    assert p.timecode_text() == "01:00:01:17"
    assert p.shot_code_text() == "0020 · T1 · f5"
    # arrows step one frame, shift+arrow a second, up/down jump between shots
    qtbot.keyClick(p, Qt.Key.Key_Left)
    assert p.frame == 40 and frame_index(p.current_frame_array()) == 4
    qtbot.keyClick(p, Qt.Key.Key_Left, Qt.KeyboardModifier.ShiftModifier)
    assert p.frame == 16 and frame_index(p.current_frame_array()) == 16
    qtbot.keyClick(p, Qt.Key.Key_Down)
    assert p.frame == 36
    qtbot.keyClick(p, Qt.Key.Key_Up)
    assert p.frame == 0
    # the timeline's playhead follows the player
    assert w.timeline.playhead == 0
    # I and O on shot 0010 at take frames 6 and 29
    for _ in range(6):
        qtbot.keyClick(p, Qt.Key.Key_Right)
    qtbot.keyClick(p, Qt.Key.Key_I)
    for _ in range(23):
        qtbot.keyClick(p, Qt.Key.Key_Right)
    assert p.shot_code_text() == "0010 · T1 · f29"
    qtbot.keyClick(p, Qt.Key.Key_O)
    shot = w.svc.shots()[0]
    assert (shot.trim_in, shot.trim_out) == (6, 30)
    assert p.total_frames == 24 + 24
    assert frame_index(p.current_frame_array()) == 29 and p.frame == 23
    qtbot.keyClick(p, Qt.Key.Key_Right)
    assert p.shot_code_text() == "0020 · T1 · f0"
    # the trims are undoable like any edit
    w.undo()
    w.undo()
    assert w.svc.shots()[0].trim_in == 0 and w.svc.shots()[0].trim_out is None
    qtbot.waitUntil(lambda: p.total_frames == 60, timeout=5000)


def test_jkl_play_loop_and_drop_frames_rather_than_drift(
    qtbot, clip_project: Path, open_window
) -> None:
    w = open_window(clip_project)
    p = w.player
    shot = w.svc.shots()[0]
    p.show_take(shot.selected_take_id)
    assert p.mode == "take" and p.total_frames == 36
    p.setFocus()
    qtbot.keyClick(p, Qt.Key.Key_L)
    assert p.playing and p.speed == 1.0
    qtbot.keyClick(p, Qt.Key.Key_L)
    assert p.speed == 2.0
    qtbot.keyClick(p, Qt.Key.Key_K)
    assert not p.playing
    qtbot.keyClick(p, Qt.Key.Key_End)
    qtbot.keyClick(p, Qt.Key.Key_J)
    assert p.speed == -1.0
    qtbot.waitUntil(lambda: p.frame < 33, timeout=3000)
    qtbot.keyClick(p, Qt.Key.Key_Space)
    assert not p.playing
    # a stalled event loop makes the next tick jump to where the clock is, not one frame on
    p.seek(0)
    p.set_loop(False)
    p.play(1.0)
    start = p.frame
    time.sleep(0.5)  # the GUI thread is blocked: 12 frames' time passes
    qtbot.waitUntil(lambda: p.frame > start, timeout=2000)
    assert p.frame >= start + 10
    assert p.dropped >= 9
    # without loop, playback stops on the last frame
    qtbot.waitUntil(lambda: not p.playing, timeout=5000)
    assert p.frame == 35
    # with loop, it wraps
    p.set_loop(True)
    p.seek(30)
    p.play(4.0)
    qtbot.waitUntil(lambda: p.frame < 20, timeout=5000)
    p.pause()


def test_guides_safe_areas_and_grab(qtbot, tmp_path: Path, clip_project: Path, open_window) -> None:
    w = open_window(clip_project)
    p = w.player
    view = p.view
    view.resize(640, 360)
    r = view.image_rect()
    assert abs(r.width() / r.height() - 320 / 176) < 0.02
    p.guides.setCurrentIndex(1)  # 2.39:1 letterbox inside the frame
    g = view.guide_rect()
    assert g.width() == r.width() and abs(g.width() / g.height() - 2.39) < 0.03
    assert g.height() < r.height()
    p.guides.setCurrentIndex(4)  # 9:16 pillarbox
    g = view.guide_rect()
    assert g.height() == r.height() and abs(g.width() / g.height() - 9 / 16) < 0.03
    p.safe.setChecked(True)
    assert view.safe_areas
    shown = view.grab().toImage()
    assert not shown.isNull()
    # grab writes the frame at its own size, without the guides
    p.seek(10)
    out = p.grab_frame(tmp_path / "frame")
    assert out.suffix == ".png"
    img = QImage(str(out))
    assert (img.width(), img.height()) == (320, 176)
    img = img.convertToFormat(QImage.Format.Format_RGB888)
    arr = np.frombuffer(img.constBits(), np.uint8).reshape(176, img.bytesPerLine())
    assert frame_index(arr[:, : 320 * 3].reshape(176, 320, 3)) == 10


def test_marking_without_a_take_explains(qtbot, new_project, open_window) -> None:
    w = open_window(new_project(["WIDE, a", "CU, b"]))
    p = w.player
    assert p.total_frames == 24  # planned durations, no picture
    assert p.view.message.endswith("no take yet")
    p.setFocus()
    qtbot.keyClick(p, Qt.Key.Key_I)
    assert any("no selected take" in t for t in error_texts())
    close_errors()
    assert w.svc.shots()[0].trim_in == 0
