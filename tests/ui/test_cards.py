"""Timeline cards as a newcomer reads them: a short (1-second) shot keeps its code and a take
badge at every zoom, with its full text in a tooltip; a draft take says DRAFT; a bridge whose
two neighbours are no longer the shots it was made from says so."""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QApplication, QToolTip

from previz.core.values import SegmentInfo, ShotInfo
from previz.services.project import ProjectService
from previz.services.takes import NEW, NewTake, install_take
from previz.ui.timeline_view import TimelineView

pytestmark = pytest.mark.timeout(60)


def add_take(svc, shot_id: int, frames: int, *, draft=False, operation="generate", parents=()):
    """Record a take through the real install path (its 'clip' is a stand-in file)."""
    scratch = svc.folder / "media" / ".jobs" / f"card-{os.urandom(4).hex()}"
    scratch.mkdir(parents=True)
    (scratch / "clip.mp4").write_bytes(os.urandom(256))
    new = NewTake(
        operation=operation,
        engine="animatic",
        prompt="p",
        expanded_prompt="p",
        seed=4242,
        width=320,
        height=176,
        fps=Fraction(24),
        recipe={"engine": "animatic", "draft": draft},
        segments=(SegmentInfo(NEW + "clip.mp4", 0, frames, ""),),
        parents=parents,
    )
    return install_take(svc, shot_id, scratch, new)


def marked_project(tmp_path: Path) -> Path:
    """0010 (planned 12, extended: cut 24), 0020, a bridge 0015 between them moved to the end,
    and 0030, whose take is a draft."""
    path = tmp_path / "Cards.previz"
    svc = ProjectService.create(path, fps="24", size="320x176")
    try:
        a = svc.add_shot(prompt="WIDE, dusk, a woman walks on the pier", duration_frames=12)
        b = svc.add_shot(prompt="CU, night, a man, static", duration_frames=12)
        c = svc.add_shot(prompt="MS, day, two people sit", duration_frames=24)
        ta = add_take(svc, a.id, 12)
        add_take(svc, a.id, 24, operation="extend", parents=((ta.id, "source"),))
        tb = add_take(svc, b.id, 12)
        add_take(svc, c.id, 24, draft=True)
        bridge = svc.add_shot(index=1, prompt="transition", duration_frames=12)
        add_take(svc, bridge.id, 12, operation="bridge", parents=((ta.id, "a"), (tb.id, "b")))
        svc.move_shot(bridge.id, 3)
    finally:
        svc.close()
    return path


def _shot(i: int, code: str, frames: int, **kw) -> ShotInfo:
    base = dict(
        id=i,
        sequence_id=1,
        sequence_name="Seq",
        index=i - 1,
        code=code,
        scene="12A",
        prompt="MS, day, a long prompt that a narrow card cannot show, slow push in",
        negative_prompt="",
        duration_frames=frames,
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


def test_a_one_second_card_stays_readable_at_every_zoom(qtbot) -> None:
    view = TimelineView()
    qtbot.addWidget(view)
    view.resize(1200, 260)
    view.show()
    qtbot.waitExposed(view)
    shots = [
        _shot(1, "0010", 240),
        _shot(
            2, "0020", 24, selected_take_id=5, selected_take_number=1, take_count=2, status="done"
        ),
        _shot(3, "0030", 240),
    ]
    view.set_shots(shots, [240, 24, 240], Fraction(24))
    fm = view._fm_bold
    for factor in (0.0001, None, 10_000):  # the narrowest zoom, the fitted one, the widest
        if factor is not None:
            view.zoom(factor)
        card = view.card_rect(1)
        shown = view.card_shown(1)
        # the shot code is whole, never "12A/0…" or "1/0…"
        assert shown.label in ("12A/0020", "0020"), shown
        assert "…" not in shown.label
        assert fm.horizontalAdvance(shown.label) <= card.width() - 14
        # a readable take badge, and no one-letter status
        assert shown.takes in ("T1 of 2", "T1")
        assert len(shown.status) != 1
        view.viewport().grab()  # paints without error at this size
    # what a narrow card hides is in its tooltip
    tip = view.card_tooltip(1)
    for part in ("12A/0020", "1.0s", "T1 of 2", "Done", "a long prompt that a narrow card"):
        assert part in tip
    # and the tooltip shows on hover
    view.zoom(0.0001)
    pos = view.card_rect(1).center()
    QApplication.sendEvent(
        view.viewport(), QHelpEvent(QEvent.Type.ToolTip, pos, view.viewport().mapToGlobal(pos))
    )
    assert QToolTip.text() == tip
    QToolTip.hideText()
    assert view.card_rect(1).width() >= fm.horizontalAdvance("0020") + 14


def test_draft_and_moved_bridge_are_marked_on_their_cards(qtbot, tmp_path, open_window) -> None:
    w = open_window(marked_project(tmp_path))
    labels = [s.code for s in w.timeline.shots()]
    assert labels == ["0010", "0020", "0030", "0015"]
    texts = [w.timeline.card_text(i) for i in range(4)]
    assert [t.draft for t in texts] == [False, False, True, False]
    assert w.timeline.card_shown(2).draft == "DRAFT"
    assert w.timeline.card_shown(0).draft == ""
    warn = "Bridge sources moved: was between 0010 and 0020"
    assert [t.warning for t in texts] == ["", "", "", warn]
    assert w.timeline.card_shown(3).warning
    assert warn in w.timeline.card_tooltip(3)
    assert "draft" in w.timeline.card_tooltip(2)
    # put the bridge back between its sources: the mark goes
    bridge = w.timeline.shots()[3]
    w.svc.move_shot(bridge.id, 1)
    w.refresh_now()
    assert [s.code for s in w.timeline.shots()] == ["0010", "0015", "0020", "0030"]
    assert all(not w.timeline.card_text(i).warning for i in range(4))
    assert not w.timeline.card_shown(1).warning
