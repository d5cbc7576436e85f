"""The app driven as a user drives it: real window, real job runner and worker, animatic engine.

Board a sequence, write prompts in the inspector, generate, extend, bridge, undo and redo,
reorder by the drop path, trim with I/O in the player, then reopen the project and find it all
as it was.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from previz.services.project import ProjectService
from tests.ui.uihelpers import (
    JOB_TIMEOUT_MS,
    SIZE,
    card_labels,
    close_errors,
    error_texts,
    wait_cards_done,
)

pytestmark = pytest.mark.timeout(180)


def click_card(qtbot, window, index: int, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    tl = window.timeline
    tl.ensure_visible(tl.shot_ids()[index])
    qtbot.mouseClick(
        tl.viewport(), Qt.MouseButton.LeftButton, modifier, tl.card_rect(index).center()
    )


def type_prompt(qtbot, window, text: str) -> None:
    ed = window.inspector.prompt
    ed.setFocus()
    ed.selectAll()
    qtbot.keyClick(ed, Qt.Key.Key_Delete)
    qtbot.keyClicks(ed, text)
    qtbot.keyClick(ed, Qt.Key.Key_Return)  # Enter commits


def test_board_generate_extend_bridge_undo_reorder_trim_and_reopen(
    qtbot, tmp_path: Path, open_window
) -> None:
    path = tmp_path / "Flow.previz"
    ProjectService.create(path, fps="24", size=SIZE).close()
    w = open_window(path)
    assert card_labels(w) == []

    # --- three shots, added from the toolbar action, each written in the inspector ---------
    for _ in range(3):
        w.actions.add_shot_action.trigger()
    assert card_labels(w) == ["0010", "0020", "0030"]
    prompts = [
        "WIDE, dusk, rain, a woman walks right, slow dolly in",
        "CU, night, a man, static",
        "MS, day, two people sit, pan left",
    ]
    for i, text in enumerate(prompts):
        click_card(qtbot, w, i)
        assert w.inspector.title.text() == f"Shot {card_labels(w)[i]}"
        type_prompt(qtbot, w, text)
        w.inspector.duration.setValue(12)
        w.inspector.duration.editingFinished.emit()
        assert w.inspector.commit()
    w.refresh_now()
    svc = w.svc
    assert [s.prompt for s in svc.shots()] == prompts
    assert [s.duration_frames for s in svc.shots()] == [12, 12, 12]
    assert [w.timeline.card_text(i).caption for i in range(3)] == prompts
    assert [w.timeline.card_text(i).duration for i in range(3)] == ["0.5s"] * 3
    assert w.undo_action.text() == "Undo Edit shot 0030"

    # --- Generate (Ctrl+G) on the whole board; the UI stays live while it runs --------------
    w.timeline.select_all()
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w, timeout=5000)
    qtbot.keyClick(w, Qt.Key.Key_G, Qt.KeyboardModifier.ControlModifier)
    assert len(w.actions.last_jobs) == 3  # the shortcut queued one job per selected shot
    qtbot.waitUntil(lambda: len(w.jobs.rows) == 3, timeout=5000)
    wait_cards_done(qtbot, w)
    assert [w.timeline.card_text(i).takes for i in range(3)] == ["T1 of 1"] * 3
    assert all(j.status == "done" for j in w.jobs.jobs())

    # --- Extend forward 0.5 s: a second take, 24 frames, lineage back to take 1 -----------
    click_card(qtbot, w, 0)
    job = w.actions.extend("forward", 0.5)
    assert job is not None
    qtbot.waitUntil(lambda: w.timeline.card_text(0).takes == "T2 of 2", timeout=JOB_TIMEOUT_MS)
    qtbot.waitUntil(lambda: w.timeline.card_text(0).status == "Done", timeout=JOB_TIMEOUT_MS)
    assert w.timeline.card_text(0).duration == "1.0s"  # the cut length follows the new take
    takes = w.takes.takes()
    assert [t.number for t in takes] == [1, 2]
    assert takes[1].frame_count == 24
    assert w.takes.lineage(takes[1], {takes[0].id: "T1"}) == "extended from T1"
    assert "extended from T1" in w.takes.list.item(0).text()

    # --- Undo and redo an edit, as the user sees it on the card and in the inspector -------
    click_card(qtbot, w, 1)
    type_prompt(qtbot, w, "CU, night, a man, slow push in")
    qtbot.waitUntil(
        lambda: w.timeline.card_text(1).caption == "CU, night, a man, slow push in", timeout=5000
    )
    assert w.undo_action.text() == "Undo Edit shot 0020"
    w.timeline.setFocus()
    qtbot.keyClick(w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: w.timeline.card_text(1).caption == prompts[1], timeout=5000)
    assert w.inspector.prompt.toPlainText() == prompts[1]
    assert w.redo_action.text() == "Redo Edit shot 0020"
    qtbot.keyClick(
        w, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    qtbot.waitUntil(
        lambda: w.timeline.card_text(1).caption == "CU, night, a man, slow push in", timeout=5000
    )

    # --- Reorder through the drop path: 0030 to the front, then undo the move ------------
    ids = w.timeline.shot_ids()
    w.timeline.drop_shot(ids[2], 0)
    assert card_labels(w) == ["0030", "0010", "0020"]
    assert [s.code for s in svc.shots()] == ["0030", "0010", "0020"]
    assert w.timeline.selected_ids() == [ids[2]]
    w.undo()
    assert card_labels(w) == ["0010", "0020", "0030"]

    # --- Bridge 0010 → 0020: a new shot between them, generated --------------------------
    click_card(qtbot, w, 0)
    out = w.actions.bridge()
    assert out is not None
    new_shot, _job = out
    assert card_labels(w) == ["0010", new_shot.code, "0020", "0030"]
    assert "0010" < new_shot.code < "0020"
    qtbot.waitUntil(lambda: w.timeline.card_text(1).status == "Done", timeout=JOB_TIMEOUT_MS)
    assert w.timeline.has_thumbnail(1)

    # --- Trim 0010 with I and O in the player (sequence mode) ------------------------------
    click_card(qtbot, w, 0)
    w.player.show_sequence(w.seq_id, w.timeline.shot_ids()[0])
    assert w.player.timecode_text() == "01:00:00:00"
    w.player.setFocus()
    for _ in range(3):
        qtbot.keyClick(w.player, Qt.Key.Key_Right)
    assert w.player.timecode_text() == "01:00:00:03"
    qtbot.keyClick(w.player, Qt.Key.Key_I)
    shot0 = svc.shots()[0]
    assert (shot0.trim_in, shot0.trim_out) == (3, None)
    assert w.player.timecode_text() == "01:00:00:00"  # the shot now starts on take frame 3
    assert w.player.shot_code_text() == "0010 · T2 · f3"
    for _ in range(10):
        qtbot.keyClick(w.player, Qt.Key.Key_Right)
    assert w.player.shot_code_text() == "0010 · T2 · f13"
    qtbot.keyClick(w.player, Qt.Key.Key_O)
    shot0 = svc.shots()[0]
    assert (shot0.trim_in, shot0.trim_out) == (3, 14)
    qtbot.waitUntil(lambda: w.timeline.card_text(0).duration == "0.5s", timeout=5000)  # 11 f
    # the bridge starts right after the trimmed shot: 11 frames in
    qtbot.keyClick(w.player, Qt.Key.Key_Right)
    assert w.player.timecode_text() == "01:00:00:11"
    assert w.player.shot_code_text().startswith(new_shot.code)

    # --- Close and reopen: everything is where it was -------------------------------------
    before = [
        (s.code, s.prompt, s.trim_in, s.trim_out, s.take_count, s.selected_take_number)
        for s in svc.shots()
    ]
    w.close()
    w2 = open_window(path)
    after = [
        (s.code, s.prompt, s.trim_in, s.trim_out, s.take_count, s.selected_take_number)
        for s in w2.svc.shots()
    ]
    assert after == before
    assert card_labels(w2) == ["0010", new_shot.code, "0020", "0030"]
    assert all(w2.timeline.has_thumbnail(i) for i in range(4))
    assert w2.timeline.card_text(0).takes == "T2 of 2"
    assert w2.timeline.card_text(0).duration == "0.5s"
    assert w2.timeline.card_text(2).caption == "CU, night, a man, slow push in"


def test_generate_without_prompt_explains_and_queues_nothing(
    qtbot, new_project, open_window
) -> None:
    w = open_window(new_project([""]))
    w.timeline.select_all()
    jobs = w.actions.generate()
    assert jobs == []
    texts = error_texts()
    assert any("has no prompt" in t for t in texts), texts
    assert not any("Traceback" in t for t in texts)
    assert w.jobs.queue.list() == []
    assert w.timeline.card_text(0).status == ""
    close_errors()


def test_image_dropped_on_a_card_becomes_an_image_to_video_take(
    qtbot, tmp_path: Path, new_project, open_window
) -> None:
    import cv2
    import numpy as np

    still = tmp_path / "painting.png"
    img = np.zeros((176, 320, 3), np.uint8)
    img[:, :160] = (40, 90, 160)
    cv2.imwrite(str(still), img)
    w = open_window(new_project(["WIDE, day, a harbour, slow push in"]))
    sid = w.timeline.shot_ids()[0]
    assert w.timeline.drop_file(sid, str(still))
    qtbot.waitUntil(lambda: w.timeline.card_text(0).takes == "T1 of 1", timeout=JOB_TIMEOUT_MS)
    [take] = w.svc.takes(sid)
    assert take.operation == "image_to_video"
    w.takes.set_shot(sid)
    w.takes.refresh()
    assert "image to video" in w.takes.list.item(0).text()
    # a text file dropped on a card is refused, nothing queued
    assert not w.timeline.drop_file(sid, str(tmp_path / "notes.txt"))


def test_variations_remix_and_loop_make_new_takes_with_lineage(
    qtbot, new_project, open_window
) -> None:
    w = open_window(new_project(["MS, day, a woman sits, static"]))
    sid = w.timeline.shot_ids()[0]
    w.timeline.select([sid], sid)
    jobs = w.actions.variations(2)
    assert len(jobs) == 2
    assert jobs[1].payload["seed"] == jobs[0].payload["seed"] + 1  # consecutive seeds
    qtbot.waitUntil(lambda: w.timeline.card_text(0).takes == "T2 of 2", timeout=JOB_TIMEOUT_MS)
    assert w.actions.remix("MS, day, a woman sits, static, noir", 0.5) is not None
    qtbot.waitUntil(lambda: w.timeline.card_text(0).takes == "T3 of 3", timeout=JOB_TIMEOUT_MS)
    assert w.actions.loop() is not None
    qtbot.waitUntil(lambda: w.timeline.card_text(0).takes == "T4 of 4", timeout=JOB_TIMEOUT_MS)
    takes = w.svc.takes(sid)
    assert [t.operation for t in takes] == ["generate", "generate", "remix", "loop"]
    assert takes[2].parents == (takes[1].id,)
    assert takes[3].parents == (takes[2].id,)
    qtbot.waitUntil(lambda: w.takes.list.count() == 4, timeout=5000)
    assert "looped from T3" in w.takes.list.item(0).text()
    assert "remixed from T2" in w.takes.list.item(1).text()
