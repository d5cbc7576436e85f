"""What an empty panel says: what goes here and what to do next, in the panel's own words.

An empty list or tree is a grey box to a newcomer; like Resolve's media pool or Premiere's
project panel, each of Previz's panels says instead what it will hold and how to fill it. A
shortcut named in that text is read from the window's action, so the hint never drifts from the
menus.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class EmptyState(QLabel):
    """A centred, wrapped, muted hint shown where a panel's list would be."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setObjectName("emptyState")
        self.setWordWrap(True)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Expanding)
        self.setMinimumHeight(48)
        self.setContentsMargins(16, 12, 16, 12)
        self.setStyleSheet("color: #9a9a9a; font-size: 12px;")
        self.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)


def find_action(widget: QWidget, text: str) -> QAction | None:
    """The action of ``widget``'s window whose menu text is ``text`` (mnemonics ignored)."""
    window = widget.window()
    if window is None:
        return None
    for action in window.findChildren(QAction):
        if action.text().replace("&", "") == text:
            return action
    return None


def shortcut_text(widget: QWidget, action_text: str) -> str:
    """`` (Ctrl+G)`` for the window's action named ``action_text``, or "" when it has none."""
    action = find_action(widget, action_text)
    if action is None or action.shortcut().isEmpty():
        return ""
    seq = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
    return f" ({seq})"
