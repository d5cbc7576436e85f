"""The takes panel: every take with its recipe, select, rate, circle, notes, delete with undo,
compare two side by side, and import a video or a still as a take."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtCore import Qt

from previz.ui.compare_dialog import QtCompareDialog
from tests.ui.uihelpers import frame_index, index_frame, make_index_clip

pytestmark = pytest.mark.timeout(90)


def test_import_select_rate_circle_notes_delete_and_compare(
    qtbot, tmp_path: Path, new_project, open_window
) -> None:
    w = open_window(new_project(["WIDE, dusk, a pier"], frames=24))
    sid = w.timeline.shot_ids()[0]
    panel = w.takes
    assert panel.list.count() == 0
    assert w.timeline.card_text(0).takes == "no take"

    # import a video and a still through the panel's import path
    clip = make_index_clip(tmp_path / "board.mp4", 30)
    still = tmp_path / "frame.png"
    cv2.imwrite(str(still), cv2.cvtColor(index_frame(5), cv2.COLOR_RGB2BGR))
    w._import_media(sid, str(clip))
    w._import_media(sid, str(still))
    qtbot.waitUntil(lambda: panel.list.count() == 2, timeout=10_000)
    assert w.timeline.card_text(0).takes == "T2 of 2"
    assert w.timeline.has_thumbnail(0)
    newest = panel.list.item(0).text()
    assert newest.startswith("Take 2") and "in the cut" in newest
    assert "imported from frame.png" in newest
    assert "imported from board.mp4" in panel.list.item(1).text()
    [t1, t2] = panel.takes()
    assert t1.frame_count == 30 and t2.frame_count == 24  # a still lasts the planned duration

    # choosing a take shows it in the player
    panel.list.setCurrentRow(1)
    assert w.player.mode == "take" and w.player.take_id == t1.id
    w.player.seek(17)
    assert frame_index(w.player.current_frame_array()) == 17

    # select take 1 for the cut
    qtbot.mouseClick(panel.btn_select, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.timeline.card_text(0).takes == "T1 of 2", timeout=5000)
    assert w.svc.shots()[0].selected_take_number == 1

    # rate 4 stars, circle, write a note: shown on the take's line
    panel.set_current_take(t1.id)
    qtbot.mouseClick(panel.stars[3], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(panel.btn_circle, Qt.MouseButton.LeftButton)
    panel.notes.setFocus()
    panel.notes.selectAll()  # an imported take starts with a note saying where it came from
    qtbot.keyClicks(panel.notes, "keeper, slightly late")
    qtbot.keyClick(panel.notes, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "“keeper, slightly late”" in panel.list.item(1).text(), timeout=5000)
    line = panel.list.item(1).text()
    assert "★★★★☆" in line and "◎ circled" in line
    take = w.svc.take(sid, 1)
    assert (take.rating, take.circled, take.notes) == (4, True, "keeper, slightly late")
    assert [b.text() for b in panel.stars] == ["★", "★", "★", "★", "☆"]

    # compare the two takes side by side
    panel.list.item(0).setSelected(True)
    panel.list.item(1).setSelected(True)
    assert panel.btn_compare.isEnabled()
    with qtbot.waitSignal(panel.compare_requested, timeout=2000):
        qtbot.mouseClick(panel.btn_compare, Qt.MouseButton.LeftButton)
    dialogs = [d for d in w.findChildren(QtCompareDialog) if d.isVisible()]
    assert len(dialogs) == 1
    left, right = dialogs[0].players
    assert {left.total_frames, right.total_frames} == {30, 24}
    dialogs[0].seek(3)
    assert left.frame == 3 and right.frame == 3
    dialogs[0].close()

    # delete take 2, then undo brings it back
    panel.set_current_take(t2.id)
    qtbot.mouseClick(panel.btn_delete, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: panel.list.count() == 1, timeout=5000)
    assert w.timeline.card_text(0).takes == "T1 of 1"
    w.undo()
    qtbot.waitUntil(lambda: panel.list.count() == 2, timeout=5000)
    assert w.timeline.card_text(0).takes == "T1 of 2"


def test_import_of_a_file_that_is_not_media_explains(
    qtbot, tmp_path: Path, new_project, open_window
) -> None:
    from tests.ui.uihelpers import close_errors, error_texts

    w = open_window(new_project(["WIDE, dusk"]))
    bad = tmp_path / "notes.mp4"
    bad.write_bytes(np.arange(300, dtype=np.uint8).tobytes())
    w._import_media(w.timeline.shot_ids()[0], str(bad))
    texts = error_texts()
    assert texts and "Traceback" not in texts[0]
    close_errors()
    assert w.svc.takes(w.timeline.shot_ids()[0]) == []
