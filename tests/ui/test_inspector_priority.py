"""The inspector's Priority box: it shows the selected shot's priority, a change is saved as one
undoable shot edit."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.timeout(60)


def test_the_priority_box_edits_the_shots_priority_undoably(qtbot, new_project, open_window):
    w = open_window(new_project(["WIDE, the pier", "CU, a gull"], frames=24))
    first, second = w.svc.shots()
    w.svc.edit_shot(second.id, priority=4)
    w.timeline.select([second.id])
    ins = w.inspector
    qtbot.waitUntil(lambda: ins.priority.value() == 4, timeout=5000)
    w.timeline.select([first.id])
    qtbot.waitUntil(lambda: ins.priority.value() == 0, timeout=5000)
    ins.priority.setValue(7)  # as the user does: arrows or typing then Enter
    assert w.svc.shot(first.id).priority == 7
    assert w.svc.shot(second.id).priority == 4
    w.svc.undo()
    assert w.svc.shot(first.id).priority == 0
