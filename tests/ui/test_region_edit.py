"""Region edits in the app (issue 17): paint a mask in the player, Inpaint… and Make
Cinemagraph… on the animatic, the take's mask back in the mask tool, keys between frames,
and the actions offered only when the shot's model can do them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt, QTimer
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

from tests.ui.uihelpers import JOB_TIMEOUT_MS, close_errors, error_texts, wait_cards_done

pytestmark = pytest.mark.timeout(240)

PROMPT = "WIDE, day, a man walks along a pier"


def take_shown(qtbot, w, frames: int = 12):
    """A window with one generated shot, its take in the player (take mode)."""
    sid = w.timeline.shot_ids()[0]
    w.actions.generate([sid])
    wait_cards_done(qtbot, w)
    w.timeline.select([sid], sid)
    w._card_activated(sid)
    assert w.player.mode == "take"
    return sid


def drag(view, a: tuple[int, int], b: tuple[int, int], steps: int = 6, button=None) -> None:
    """A mouse drag over the frame view from frame pixel ``a`` to ``b`` (real mouse events)."""
    button = button or Qt.MouseButton.LeftButton
    pa, pb = view.from_frame(*a), view.from_frame(*b)
    QTest.mousePress(view, button, Qt.KeyboardModifier.NoModifier, pa)
    for i in range(1, steps + 1):
        p = QPoint(
            round(pa.x() + (pb.x() - pa.x()) * i / steps),
            round(pa.y() + (pb.y() - pa.y()) * i / steps),
        )
        QTest.mouseMove(view, p)
    QTest.mouseRelease(view, button, Qt.KeyboardModifier.NoModifier, pb)


def centroid(m: np.ndarray) -> tuple[float, float]:
    ys, xs = np.nonzero(m)
    return float(xs.mean()), float(ys.mean())


def answer_dialog(qtbot, name: str, fill) -> list[str]:
    """Fill and accept the modal dialog ``name`` once it opens; returns what it showed."""
    seen: list[str] = []

    def go() -> None:
        dlg = QApplication.activeModalWidget()
        if dlg is None or dlg.objectName() != name:
            QTimer.singleShot(20, go)
            return
        seen.append(dlg.mask_label.text())
        fill(dlg)
        dlg.accept()

    QTimer.singleShot(0, go)
    return seen


def test_paint_a_mask_inpaint_on_the_animatic_and_edit_the_mask_again(
    qtbot, open_window, new_project
) -> None:
    w = open_window(new_project([PROMPT], frames=12))
    sid = take_shown(qtbot, w)
    source = w.svc.shot(sid).selected_take_id

    # Shot > Mask Tool opens the tool under the picture; the mouse paints in frame pixels
    w.mask_action.trigger()
    tool, view = w.player.mask_tool, w.player.view
    assert w.player.masking and tool.isVisible() and w.mask_action.isChecked()
    assert (tool.width_px, tool.height_px) == (320, 176)  # the take's frame, not the widget
    w.player.setFocus()
    qtbot.keyClick(w.player, Qt.Key.Key_BracketRight)  # [ and ] size the brush
    assert tool.size.value() > 24
    qtbot.keyClick(w.player, Qt.Key.Key_BracketLeft)
    qtbot.keyClick(w.player, Qt.Key.Key_BracketLeft)
    assert tool.size.value() < 24
    tool.size.setValue(30)
    drag(view, (100, 90), (220, 90))
    painted = tool.mask().copy()
    assert painted.shape == (176, 320)
    assert painted[90, 160] and painted[90, 100] and painted[90, 220]
    assert not painted[10, 10] and not painted[150, 300] and not painted[90, 260]
    # the right button erases
    drag(view, (160, 90), (160, 90), steps=1, button=Qt.MouseButton.RightButton)
    assert not tool.mask()[90, 160] and tool.mask()[90, 110]
    drag(view, (150, 90), (170, 90))
    painted = tool.mask().copy()
    assert painted[90, 160]

    # Inpaint… (the dialog filled as a user would) queues a job; a new take lands
    assert w.actions.inpaint_action.isEnabled(), w.actions.inpaint_action.toolTip()
    seen = answer_dialog(
        qtbot, "inpaintDialog", lambda d: d.prompt.setPlainText("WIDE, day, an empty pier")
    )
    w.actions.inpaint_action.trigger()
    assert seen == ["One mask, held for the whole take"]
    assert error_texts() == []
    job = w.actions.last_jobs[-1]
    assert job.kind == "inpaint"
    row = w.jobs.row(job.id)
    assert row is not None and row.title.text().startswith("Inpaint · ")
    qtbot.waitUntil(lambda: w.svc.shot(sid).take_count == 2, timeout=JOB_TIMEOUT_MS)
    new = next(t for t in w.svc.takes(sid) if t.number == 2)
    assert new.operation == "inpaint" and tuple(new.parents) == (source,)
    region = new.recipe["region"]
    [entry] = region["masks"]
    assert entry["frame_index"] is None and entry["path"].startswith("media/masks/")
    assert (Path(w.svc.folder) / entry["path"]).is_file()
    assert region["feather"] == tool.feather.value()

    # the takes panel names the operation and offers Edit mask…, which reloads the mask
    w.takes.refresh()
    w.takes.set_current_take(new.id)
    assert "Inpaint" in w.takes.list.currentItem().text()
    assert "inpainted from T1" in w.takes.list.currentItem().text()
    assert not w.takes.btn_mask.isHidden()
    w.player.set_mask_mode(False)
    tool.clear()
    qtbot.mouseClick(w.takes.btn_mask, Qt.MouseButton.LeftButton)
    assert w.player.masking and w.player.take_id == source  # on the take it was painted on
    assert np.array_equal(tool.mask(), painted)
    w.takes.set_current_take(source)
    assert w.takes.btn_mask.isHidden()  # a generated take has no mask


def test_rectangle_keys_move_the_mask_and_the_player_shows_it_between_keys(
    qtbot, open_window, new_project
) -> None:
    w = open_window(new_project([PROMPT], frames=12))
    sid = take_shown(qtbot, w)
    w.player.set_mask_mode(True)
    tool, view = w.player.mask_tool, w.player.view
    tool.onion.setChecked(True)

    w.player.seek(0)
    qtbot.mouseClick(tool.mode_buttons["rect"], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(tool.btn_add_key, Qt.MouseButton.LeftButton)
    drag(view, (20, 40), (80, 100))
    at0 = tool.mask().copy()
    assert at0[70, 50] and not at0[70, 200]
    w.player.seek(10)
    qtbot.mouseClick(tool.mode_buttons["move"], Qt.MouseButton.LeftButton)
    drag(view, (50, 70), (230, 70))  # the box slides 180 px right: a key at frame 10
    assert tool.key_frames() == [0, 10]
    at10 = tool.mask().copy()
    assert at10[70, 230] and not at10[70, 50]

    # between the keys the tool, and the picture, show the interpolated mask
    w.player.seek(5)
    mid = tool.mask()
    cx, _cy = centroid(mid)
    assert 120 < cx < 160, cx  # about half way (50 -> 230)
    assert "between keys" in tool.keys_label.full_text()
    img = view.grab().toImage()

    def reddish(x: int, y: int) -> bool:
        c = img.pixelColor(view.from_frame(x, y))
        return c.red() > c.green() + 40

    assert reddish(round(cx), 70) and not reddish(50, 70) and not reddish(230, 70)

    job = w.actions.inpaint("WIDE, day, an empty pier")
    assert job is not None, error_texts()
    masks = job.payload["region"]["masks"]
    assert [m["frame_index"] for m in masks] == [0, 10]
    for m in masks:
        assert (Path(w.svc.folder) / m["path"]).is_file()
    qtbot.waitUntil(lambda: w.svc.shot(sid).take_count == 2, timeout=JOB_TIMEOUT_MS)
    # a key deleted: the mask holds the remaining key everywhere
    w.player.seek(10)
    qtbot.mouseClick(tool.btn_del_key, Qt.MouseButton.LeftButton)
    assert tool.key_frames() == [0]
    w.player.seek(5)
    assert np.array_equal(tool.mask(), at0)


def test_invert_clear_and_feather(qtbot, open_window, new_project) -> None:
    w = open_window(new_project([PROMPT], frames=12))
    take_shown(qtbot, w)
    w.mask_action.trigger()
    tool, view = w.player.mask_tool, w.player.view
    qtbot.mouseClick(tool.mode_buttons["ellipse"], Qt.MouseButton.LeftButton)
    drag(view, (100, 40), (200, 120))
    before = tool.mask().copy()
    assert before[80, 150] and not before[42, 102]  # an ellipse: its box's corner is out
    qtbot.mouseClick(tool.btn_invert, Qt.MouseButton.LeftButton)
    assert np.array_equal(tool.mask(), ~before)
    qtbot.mouseClick(tool.btn_invert, Qt.MouseButton.LeftButton)
    assert np.array_equal(tool.mask(), before)
    # Undo takes back the last change: a stroke, then a clear
    qtbot.mouseClick(tool.mode_buttons["brush"], Qt.MouseButton.LeftButton)
    drag(view, (10, 10), (60, 10))
    assert tool.mask()[10, 30]
    qtbot.mouseClick(tool.btn_undo, Qt.MouseButton.LeftButton)
    assert np.array_equal(tool.mask(), before)
    qtbot.mouseClick(tool.btn_clear, Qt.MouseButton.LeftButton)
    assert tool.is_empty()
    qtbot.mouseClick(tool.btn_undo, Qt.MouseButton.LeftButton)
    assert np.array_equal(tool.mask(), before)

    # the feather's soft edge shows around the mask, as far as the feather reaches
    def redness(x: int, y: int) -> int:
        img = view.grab().toImage()
        c = img.pixelColor(view.from_frame(x, y))
        return c.red() - c.green()

    tool.feather.setValue(0)
    near0, far0 = redness(150, 130), redness(150, 170)  # 10 px and 50 px below the ellipse
    tool.feather.setValue(20)
    near20, far20 = redness(150, 130), redness(150, 170)
    assert near20 > near0 + 15, (near0, near20)
    assert abs(far20 - far0) <= 2

    # the feather set on the tool is what the dialog shows and what the edit gets
    feathers: list[int] = []

    def fill(d) -> None:
        feathers.append(d.feather.value())
        d.loop.setChecked(True)
        d.seconds.setValue(0.5)

    answer_dialog(qtbot, "cinemagraphDialog", fill)
    w.actions.cinemagraph_action.trigger()
    assert feathers == [20], error_texts()
    job = w.actions.last_jobs[-1]
    assert job.kind == "cinemagraph"
    assert job.payload["feather"] == 20 and job.payload["loop"] is True
    assert job.payload["num_frames"] == 12  # 0.5 s at 24 fps
    assert job.payload["region"]["from_frame"] == w.player.frame

    # Clear: no mask; Inpaint… then says to paint one, and queues nothing
    qtbot.mouseClick(tool.btn_clear, Qt.MouseButton.LeftButton)
    assert not tool.mask().any() and tool.is_empty()
    n = len(w.jobs.rows)
    w.actions.inpaint_action.trigger()
    qtbot.waitUntil(lambda: bool(error_texts()), timeout=5000)
    assert "paint the region to change" in error_texts()[0]
    close_errors()
    assert len(w.jobs.rows) == n


def test_region_edits_disabled_with_the_reason(
    qtbot, open_window, new_project, monkeypatch
) -> None:
    from previz.services.generation import Generation

    reason = "LTX-Video cannot inpaint; pick a Wan VACE model or the animatic"

    def refuse(self, shot, op, choice=None):
        return reason if op == "inpaint" else None

    monkeypatch.setattr(Generation, "region_support", refuse)
    w = open_window(new_project([PROMPT], frames=12))
    inpaint, cine = w.actions.inpaint_action, w.actions.cinemagraph_action
    # no take yet: neither is offered, and they say what to do
    assert not inpaint.isEnabled() and not cine.isEnabled()
    assert "show a take in the player first" in inpaint.toolTip()
    w.mask_action.trigger()  # nothing to paint on: said, and the tool stays closed
    qtbot.waitUntil(lambda: bool(error_texts()), timeout=5000)
    assert "no take under the playhead" in error_texts()[0]
    close_errors()
    assert not w.mask_action.isChecked() and not w.player.masking
    take_shown(qtbot, w)
    w.actions.update_enabled()
    assert not inpaint.isEnabled()
    assert reason in inpaint.toolTip() and reason in inpaint.statusTip()
    assert cine.isEnabled()
    # both in the Shot menu and the card's context menu, whose tooltips show
    shot_menu = next(a.menu() for a in w.menuBar().actions() if a.text() == "&Shot")
    assert inpaint in shot_menu.actions() and cine in shot_menu.actions()
    assert w.mask_action in shot_menu.actions()
    assert shot_menu.toolTipsVisible()
    dlg = w.shortcuts_dialog()  # Help > Keyboard Shortcuts has the mask keys
    assert ("Mask Tool", "Ctrl+Shift+M", "Shot") in dlg.rows
    assert any(keys == "[ / ]" for _name, keys, _menu in dlg.rows)
    dlg.close()
    menu = w.actions.context_menu()
    assert inpaint in menu.actions() and menu.toolTipsVisible()
    menu.close()


def test_region_dialogs_and_the_mask_tool_fit_a_1280x800_window(
    qtbot, open_window, new_project, app_theme
) -> None:
    """With the app's theme (the fonts a user sees), opening the mask tool keeps the window
    inside a 1280 px screen (its first row once pushed the window to 1313 px)."""
    w = open_window(new_project([PROMPT], frames=12))
    take_shown(qtbot, w)
    w.resize(1280, 800)
    QApplication.processEvents()
    w.mask_action.trigger()
    QApplication.processEvents()
    tool = w.player.mask_tool
    assert w.minimumSizeHint().width() <= 1280, w.minimumSizeHint()
    qtbot.waitUntil(lambda: w.width() == 1280, timeout=5000)
    assert tool.minimumSizeHint().width() <= w.player.width()
    assert tool.geometry().right() <= w.player.width()
    drag(w.player.view, (150, 80), (170, 80))
    widths: dict[str, int] = {}

    def measure(name: str) -> None:
        dlg = QApplication.activeModalWidget()
        if dlg is None:
            QTimer.singleShot(20, lambda: measure(name))
            return
        widths[name] = dlg.width()
        dlg.reject()

    for name, a in (
        ("inpaint", w.actions.inpaint_action),
        ("cinemagraph", w.actions.cinemagraph_action),
    ):
        QTimer.singleShot(0, lambda name=name: measure(name))
        a.trigger()
    assert set(widths) == {"inpaint", "cinemagraph"}
    for name, width in widths.items():
        assert width <= w.width(), f"the {name} dialog is {width} px wide"
    # a region take shown in the takes panel, its Edit mask… offered, the mask tool open: the
    # window still fits (Edit mask… beside Compare, Delete and Import… made it 1313 px wide)
    sid = w.timeline.shot_ids()[0]
    seen = answer_dialog(qtbot, "inpaintDialog", lambda d: d.prompt.setPlainText("a blue car"))
    w.actions.inpaint_action.trigger()
    assert seen and error_texts() == []
    qtbot.waitUntil(lambda: w.svc.shot(sid).take_count == 2, timeout=JOB_TIMEOUT_MS)
    new = next(t for t in w.svc.takes(sid) if t.number == 2)
    w.takes.refresh()
    w.takes.set_current_take(new.id)
    assert not w.takes.btn_mask.isHidden()
    if not w.player.masking:
        w.mask_action.trigger()
    QApplication.processEvents()
    assert w.minimumSizeHint().width() <= 1280, w.minimumSizeHint()


def test_a_mask_of_another_size_is_offered_a_resize_and_a_cinemagraph_mask_edits_again(
    qtbot, open_window, new_project, monkeypatch, tmp_path
) -> None:
    from PySide6.QtGui import QColor, QImage
    from PySide6.QtWidgets import QMessageBox

    w = open_window(new_project([PROMPT], frames=12))
    sid = w.timeline.shot_ids()[0]
    w.actions.generate_draft([sid])  # a draft is half the size: its mask is too
    wait_cards_done(qtbot, w)
    w.timeline.select([sid], sid)
    w._card_activated(sid)
    w.player.set_mask_mode(True)
    tool = w.player.mask_tool
    assert (tool.width_px, tool.height_px) == (160, 88)
    drag(w.player.view, (40, 40), (100, 40))
    still = tmp_path / "still.png"
    img = QImage(320, 176, QImage.Format.Format_RGB888)
    img.fill(QColor("#406080"))
    assert img.save(str(still))

    asked: list[str] = []
    answer = [QMessageBox.StandardButton.No]

    def question(_parent, _title, text, *a, **k):
        asked.append(text)
        return answer[0]

    monkeypatch.setattr(QMessageBox, "question", staticmethod(question))
    assert w.actions.cinemagraph("water ripples", 0.5, image=still) is None
    assert asked and "160x88" in asked[0] and "320x176" in asked[0] and "Resize" in asked[0]
    assert "--resize-mask" not in asked[0]  # the app's words, not the command line's
    answer[0] = QMessageBox.StandardButton.Yes
    job = w.actions.cinemagraph("water ripples", 0.5, image=still)
    assert job is not None, error_texts()
    assert job.payload["width"] == 320 and job.payload["region"]["from_take"] is None
    qtbot.waitUntil(lambda: w.svc.shot(sid).take_count == 2, timeout=JOB_TIMEOUT_MS)
    cine = next(t for t in w.svc.takes(sid) if t.number == 2)
    assert cine.operation == "cinemagraph"
    w.takes.refresh()
    w.takes.set_current_take(cine.id)
    assert "Cinemagraph" in w.takes.list.currentItem().text()
    # from an image: its mask goes back onto the cinemagraph itself, at its size
    qtbot.mouseClick(w.takes.btn_mask, Qt.MouseButton.LeftButton)
    assert w.player.take_id == cine.id
    assert (tool.width_px, tool.height_px) == (320, 176)
    assert tool.mask()[80, 140] and not tool.mask()[10, 10]
