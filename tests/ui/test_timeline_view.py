"""The storyboard timeline: what the cards say, selection with the mouse, the drop path, the two
modes, and that a 500-shot sequence paints only the cards on screen."""

from __future__ import annotations

from fractions import Fraction

import pytest
from PySide6.QtCore import QPoint, Qt

from previz.core.values import ShotInfo
from previz.ui.timeline_view import TimelineView

pytestmark = pytest.mark.timeout(60)


def shot(i: int, **kw) -> ShotInfo:
    base = dict(
        id=i + 1,
        sequence_id=1,
        sequence_name="S",
        index=i,
        code=f"{(i + 1) * 10:04d}",
        scene="3",
        prompt=f"shot {i}",
        negative_prompt="",
        duration_frames=48,
        camera_notes="",
        notes="",
        dialogue="",
        trim_in=0,
        trim_out=None,
        selected_take_id=None,
        selected_take_number=None,
        take_count=0,
        thumbnail=None,
        status="empty",
    )
    base.update(kw)
    return ShotInfo(**base)


@pytest.fixture
def view(qtbot):
    v = TimelineView()
    qtbot.addWidget(v)
    v.resize(900, 260)
    v.show()
    qtbot.waitExposed(v)
    return v


def test_cards_say_label_duration_takes_and_status(view) -> None:
    view.set_shots(
        [
            shot(0),
            shot(1, take_count=3, selected_take_number=2, selected_take_id=7, status="done"),
            shot(2, status="queued", dialogue="JUN: Then I'll wait."),
            shot(3, status="failed"),
        ],
        [48, 36, 24, 12],
        Fraction(24),
    )
    texts = [view.card_text(i) for i in range(4)]
    assert [t.label for t in texts] == ["3/0010", "3/0020", "3/0030", "3/0040"]
    assert [t.duration for t in texts] == ["2.0s", "1.5s", "1.0s", "0.5s"]
    assert [t.takes for t in texts] == ["no take", "T2 of 3", "no take", "no take"]
    assert [t.status for t in texts] == ["", "Done", "Queued", "Failed"]
    assert texts[2].caption == "JUN: Then I'll wait."  # dialogue is the caption when there is one
    view.set_progress(2, 0.42)  # shot ids are index + 1
    assert view.card_text(1).status == "Generating 42%"
    view.set_progress(2, None)
    assert view.card_text(1).status == "Done"
    # widths follow the cut lengths in timeline mode
    widths = [view.card_rect(i).width() for i in range(4)]
    assert widths[0] > widths[1] > widths[2] >= widths[3]
    assert abs(widths[0] / widths[1] - 48 / 36) < 0.05


def test_click_ctrl_shift_selection_and_drop_path(qtbot, view) -> None:
    view.set_shots([shot(i) for i in range(6)], [24] * 6, Fraction(24))
    vp = view.viewport()

    def click(i, mod=Qt.KeyboardModifier.NoModifier):
        view.ensure_visible(view.shot_ids()[i])
        qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, mod, view.card_rect(i).center())

    click(1)
    assert view.selected_ids() == [2] and view.current_id == 2
    click(3, Qt.KeyboardModifier.ShiftModifier)
    assert view.selected_ids() == [2, 3, 4]
    click(5, Qt.KeyboardModifier.ControlModifier)
    assert view.selected_ids() == [2, 3, 4, 6]
    click(3, Qt.KeyboardModifier.ControlModifier)
    assert view.selected_ids() == [2, 3, 6]
    # the drop path: a QDrag ends in drop_shots(ids, slot)
    with qtbot.waitSignal(view.move_requested, timeout=1000) as sig:
        view.drop_shot(5, 0)
    assert sig.args == [[5], 0]
    with qtbot.waitSignal(view.move_requested, timeout=1000) as sig:
        view.drop_shots([2, 3, 99], 6)
    assert sig.args == [[2, 3], 6]
    # slots: left half of a card inserts before it
    r = view.card_rect(2)
    assert view._slot_at(QPoint(r.left() + 3, r.center().y())) == 2
    assert view._slot_at(QPoint(r.right() - 3, r.center().y())) == 3
    # Delete asks to delete the selection
    with qtbot.waitSignal(view.delete_requested, timeout=1000):
        qtbot.keyClick(view, Qt.Key.Key_Delete)
    # clicking empty space clears the selection
    view.horizontalScrollBar().setValue(view.horizontalScrollBar().maximum())
    qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, pos=QPoint(vp.width() - 5, vp.height() - 5))
    assert view.selected_ids() == []


def test_gap_click_inserts_and_ruler_moves_the_playhead(qtbot, view) -> None:
    view.set_shots([shot(i) for i in range(3)], [24] * 3, Fraction(24))
    vp = view.viewport()
    r0, r1 = view.card_rect(0), view.card_rect(1)
    gap = QPoint((r0.right() + r1.left()) // 2, r0.center().y())
    with qtbot.waitSignal(view.insert_requested, timeout=1000) as sig:
        qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, pos=gap)
    assert sig.args == [1]
    with qtbot.waitSignal(view.playhead_moved, timeout=1000) as sig:
        qtbot.mouseClick(vp, Qt.MouseButton.LeftButton, pos=QPoint(r1.center().x(), 8))
    assert 24 <= sig.args[0] < 48
    assert view.playhead == sig.args[0]


def test_board_mode_is_a_grid(view) -> None:
    view.set_shots([shot(i) for i in range(10)], [24 + 12 * i for i in range(10)], Fraction(24))
    view.set_mode("board")
    rects = [view.card_rect(i) for i in range(10)]
    assert len({r.width() for r in rects}) == 1  # equal cards
    tops = sorted({r.top() for r in rects})
    assert len(tops) >= 2  # wraps onto several rows
    per_row = sum(1 for r in rects if r.top() == tops[0])
    assert per_row == view._cols and per_row >= 2
    view.set_mode("timeline")
    assert len({view.card_rect(i).top() for i in range(10)}) == 1


def test_500_shots_paint_only_what_is_visible(qtbot, view) -> None:
    view.set_shots([shot(i) for i in range(500)], [48] * 500, Fraction(24))
    view.cards_painted = 0
    view.viewport().repaint()
    first = view.cards_painted
    assert 0 < first < 40
    hb = view.horizontalScrollBar()
    assert hb.maximum() > 20 * view.viewport().width()
    hb.setValue(hb.maximum() // 2)
    view.cards_painted = 0
    view.viewport().repaint()
    assert 0 < view.cards_painted < 40
    # the cards painted are the ones in the middle of the sequence
    i = view.index_at(view.viewport().rect().center())
    assert i is not None and 200 < i < 300
    view.set_mode("board")
    view.cards_painted = 0
    view.viewport().repaint()
    assert 0 < view.cards_painted < 60
