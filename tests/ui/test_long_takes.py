"""The takes panel shows a long take's windows and re-rolls from the one chosen; a draft take
can be rendered again at full quality."""

from __future__ import annotations

from pathlib import Path

from previz.services.generation import EngineChoice, Generation
from previz.services.project import ProjectService
from tests.ui.uihelpers import JOB_TIMEOUT_MS, SIZE


def test_reroll_from_a_window_and_render_a_draft_in_full(qtbot, tmp_path: Path,
                                                         open_window) -> None:
    path = tmp_path / "Long.previz"
    svc = ProjectService.create(path, fps="24", size=SIZE)
    shot = svc.add_shot(prompt="WIDE, dusk, a ferry, slow pan right", duration_frames=48)
    svc.close()
    w = open_window(path)
    gen = Generation(w.svc)
    gen.generate(shot.id, EngineChoice(engine="animatic", seed=1), window_frames=16)
    w.runner.wake()
    qtbot.waitUntil(lambda: len(w.svc.takes(shot.id)) == 1, timeout=JOB_TIMEOUT_MS)
    w.refresh_now()
    w.takes.set_shot(shot.id)
    w.takes.refresh()
    w.takes.set_current_take(w.svc.takes(shot.id)[0].id)
    assert w.takes.windows.count() == 3 and w.takes.btn_reroll.isVisibleTo(w.takes)
    # the list says how the long take was made (the built-in engine chains windows)
    assert "long shot, 3 windows (chained)" in w.takes.list.item(0).text()
    assert not w.takes.btn_rerender.isVisibleTo(w.takes)
    w.takes.windows.setCurrentIndex(1)  # window 2
    w.takes.btn_reroll.click()
    qtbot.waitUntil(lambda: len(w.svc.takes(shot.id)) == 2, timeout=JOB_TIMEOUT_MS)
    first, second = w.svc.takes(shot.id)
    assert second.segments[0] == first.segments[0]
    assert second.segments[1:] != first.segments[1:]
    assert second.recipe["rerolled_from_window"] == 2

    # one click (Shot > Generate Draft) makes a cheap preview take of the selected shot
    w.focus_shot(shot.id)
    w.actions.draft_action.trigger()
    qtbot.waitUntil(lambda: len(w.svc.takes(shot.id)) == 3, timeout=JOB_TIMEOUT_MS)
    w.takes.refresh()
    draft = w.svc.takes(shot.id)[-1]
    assert draft.recipe["draft"] and draft.width < second.width
    w.takes.set_current_take(draft.id)
    assert w.takes.btn_rerender.isVisibleTo(w.takes)
    assert not w.takes.btn_reroll.isVisibleTo(w.takes)
    w.takes.btn_rerender.click()
    qtbot.waitUntil(lambda: len(w.svc.takes(shot.id)) == 4, timeout=JOB_TIMEOUT_MS)
    full = w.svc.takes(shot.id)[-1]
    assert full.seed == draft.seed and full.width > draft.width and full.parents == (draft.id,)
