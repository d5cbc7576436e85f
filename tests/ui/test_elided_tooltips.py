"""Polish rule: any text elided on screen has its full text in a tooltip. Checked on the takes
panel, job queue, elements panel and export dialog of a real window at 1280x800 and 1600x1000,
filled with the long prompts, notes and names a real project has."""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtWidgets import QComboBox, QLabel, QListWidget, QTreeWidget, QWidget

from previz.services.generation import EngineChoice, Generation
from previz.ui.elided_label import ElidedLabel
from tests.ui.uihelpers import JOB_TIMEOUT_MS

pytestmark = pytest.mark.timeout(240)

LONG = (
    "EXTREME WIDE, golden hour, the ferry Mariana crosses the harbour past the lighthouse "
    "while gulls circle the wake and the town's lights come on one by one along the quay"
)


def _cut(text: str) -> str:
    """What is left of a text before its ellipsis (the part the tooltip must contain)."""
    return text.split("…")[0].strip()


def elided_without_tooltip(root: QWidget) -> list[str]:
    """Every piece of text under ``root`` that is cut short on screen without its whole text in
    a tooltip: one line each, naming the widget."""
    bad: list[str] = []
    for lab in root.findChildren(QLabel):
        if not lab.isVisibleTo(root) or not lab.text():
            continue
        shown = lab.text()
        if lab.wordWrap():  # wraps at spaces: only a word elided to fit must be in the tooltip
            for word in shown.split():
                if "…" in word and word.split("…")[0] not in lab.toolTip():
                    bad.append(f"label word {word!r}: tooltip {lab.toolTip()!r}")
            continue
        if isinstance(lab, ElidedLabel):
            full, cut = lab.full_text(), lab.is_elided()
        else:
            full = shown
            cut = lab.fontMetrics().horizontalAdvance(shown) > lab.contentsRect().width() + 1
            cut = cut or "…" in shown
        if cut and _cut(full) not in lab.toolTip():
            bad.append(f"label {shown!r}: tooltip {lab.toolTip()!r}")
    for view in root.findChildren(QListWidget):
        if not view.isVisibleTo(root):
            continue
        fm = view.fontMetrics()
        for i in range(view.count()):
            item = view.item(i)
            room = view.visualItemRect(item).width() - view.iconSize().width() - 8
            for line in item.text().splitlines():
                if (fm.horizontalAdvance(line) > room or "…" in line) and _cut(
                    line
                ) not in item.toolTip():
                    bad.append(f"list row {line!r}: tooltip {item.toolTip()!r}")
    for tree in root.findChildren(QTreeWidget):
        if not tree.isVisibleTo(root):
            continue
        fm = tree.fontMetrics()
        stack = [tree.topLevelItem(i) for i in range(tree.topLevelItemCount())]
        while stack:
            item = stack.pop()
            stack += [item.child(i) for i in range(item.childCount())]
            room = tree.visualItemRect(item).width() - tree.iconSize().width() - 8
            for line in item.text(0).splitlines():
                if (fm.horizontalAdvance(line) > room or "…" in line) and _cut(
                    line
                ) not in item.toolTip(0):
                    bad.append(f"tree row {line!r}: tooltip {item.toolTip(0)!r}")
    for combo in root.findChildren(QComboBox):
        if not combo.isVisibleTo(root) or not combo.currentText():
            continue
        text = combo.currentText()
        room = combo.width() - 30  # the arrow
        if (combo.fontMetrics().horizontalAdvance(text) > room or "…" in text) and _cut(
            text
        ) not in combo.toolTip():
            bad.append(f"combo {text!r}: tooltip {combo.toolTip()!r}")
    return bad


def _fill(qtbot: Any, w: Any) -> int:
    """A long take (two windows, each with the long prompt), a take with a long note, elements with long
    descriptions, and their jobs in the queue; returns the shot id."""
    svc = w.svc
    sid = w.timeline.shot_ids()[0]
    svc.add_element("Mariana", "prop", "the old harbour ferry, " + LONG.lower())
    svc.add_element("Captain_Elisabeth_Vandermeer", "character", "a ferry pilot in her sixties")
    gen = Generation(svc)
    gen.generate(sid, EngineChoice(engine="animatic", seed=3), window_frames=16)
    w.runner.wake()
    qtbot.waitUntil(lambda: len(svc.takes(sid)) == 1, timeout=JOB_TIMEOUT_MS)
    take = svc.takes(sid)[0]
    svc.rate_take(sid, take.number, notes="keep the gulls; " + LONG.lower())
    w.refresh_now()
    w.focus_shot(sid)
    w.takes.refresh()
    w.takes.set_current_take(take.id)
    return sid


@pytest.mark.parametrize("size", [(1280, 800), (1600, 1000)])
def test_no_text_is_cut_short_without_a_tooltip(qtbot, new_project, open_window, size) -> None:
    w = open_window(new_project([LONG], frames=32))
    w.resize(*size)
    _fill(qtbot, w)
    qtbot.wait(50)
    assert w.takes.windows.isVisibleTo(w.takes)  # the long take's windows are listed
    for panel in (w.takes, w.jobs, w.elements):
        assert elided_without_tooltip(panel) == [], type(panel).__name__
