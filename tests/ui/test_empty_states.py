"""Polish rule: the takes panel, the job queue and the elements panel each say, when empty, what
goes there and what to do next (with the window's real shortcut); the hint goes once there is
something to show. Also: a job row's title is elided at a narrow width, never clipped, with its
whole text in the tooltip."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtGui import QKeySequence

from previz.core.values import JobInfo
from previz.ui.job_row_widget import JobRowWidget

pytestmark = pytest.mark.timeout(120)


def _shortcut(action: Any) -> str:
    return action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)


def _shown(widget: Any, owner: Any) -> bool:
    return widget.isVisibleTo(owner) and bool(widget.text())


def test_takes_panel_says_generate_with_the_real_shortcut(qtbot, new_project, open_window):
    w = open_window(new_project(["WIDE, dusk, a pier"], frames=12))
    panel = w.takes
    gen = w.actions.generate_action
    assert _shortcut(gen)  # the window has one, whatever it is
    panel.set_shot(None)
    assert _shown(panel.empty, panel) and not panel.list.isVisibleTo(panel)
    assert panel.empty.text() == (
        f"No takes yet — select a shot and press Generate ({_shortcut(gen)})"
    )
    # a shot without takes: the same hint, naming the shot
    sid = w.timeline.shot_ids()[0]
    panel.set_shot(sid)
    label = w.svc.shot(sid).label
    assert f"No takes of {label} yet" in panel.empty.text()
    assert f"Generate ({_shortcut(gen)})" in panel.empty.text()
    # the shortcut is read from the action, so the hint never drifts from the menus
    gen.setShortcut(QKeySequence("Ctrl+Alt+Shift+K"))
    panel.refresh()
    assert f"Generate ({_shortcut(gen)})" in panel.empty.text()
    # once there is a take, the list replaces the hint
    from previz.services.generation import EngineChoice, Generation

    Generation(w.svc).generate(sid, EngineChoice(engine="animatic", seed=1))
    w.runner.wake()
    qtbot.waitUntil(lambda: len(w.svc.takes(sid)) == 1, timeout=60_000)
    qtbot.waitUntil(lambda: panel.list.count() == 1, timeout=10_000)
    assert panel.list.isVisibleTo(panel) and not panel.empty.isVisibleTo(panel)
    # ...and the job queue shows the finished job, not its empty hint
    assert not w.jobs.empty.isVisibleTo(w.jobs)


def test_job_queue_says_how_jobs_get_there(qtbot, new_project, open_window) -> None:
    w = open_window(new_project(["WIDE, dusk, a pier"], frames=12))
    panel = w.jobs
    assert panel.jobs() == []
    assert _shown(panel.empty, panel)
    text = panel.empty.text()
    assert text.startswith("Queue is empty — ")
    assert f"Generate ({_shortcut(w.actions.generate_action)})" in text


def test_elements_panel_says_how_to_add_and_mention_one(qtbot, new_project, open_window):
    w = open_window(new_project(["WIDE, dusk, a pier"], frames=12))
    panel = w.elements
    assert panel.elements() == []
    assert _shown(panel.empty, panel) and not panel.tree.isVisibleTo(panel)
    text = panel.empty.text()
    assert text.startswith("No elements — add a character, prop or location")
    assert "@Name" in text
    panel.add_element("Mara", "character", "a ferry pilot in her sixties, yellow oilskin coat")
    qtbot.waitUntil(lambda: len(panel.elements()) == 1, timeout=5000)
    assert panel.tree.isVisibleTo(panel) and not panel.empty.isVisibleTo(panel)
    # the description is cut short in the tree: the tooltip has all of it
    item = panel.tree.topLevelItem(0).child(0)
    assert "@Mara" in item.toolTip(0) and "yellow oilskin coat" in item.toolTip(0)


def test_a_job_title_is_elided_with_its_whole_text_in_the_tooltip(qtbot) -> None:
    prompt = "EXTREME WIDE, golden hour, a ferry crosses the harbour past the lighthouse"
    job = JobInfo(1, "generate", "pending", 1, None, 0.0, "", {"prompt": prompt})
    row = JobRowWidget(job, "12A/0010 — the harbour crossing at golden hour, second unit")
    qtbot.addWidget(row)
    row.resize(300, 100)
    row.show()
    qtbot.waitExposed(row)
    full = "Generate · 12A/0010 — the harbour crossing at golden hour, second unit"
    shown = row.title.text()
    assert shown != full and shown.endswith("…")
    assert row.title.fontMetrics().horizontalAdvance(shown) <= row.title.width()
    assert row.title.geometry().right() <= row.rect().right()
    assert full in row.title.toolTip() and prompt in row.title.toolTip()
