"""A one-line label that elides what does not fit and keeps the whole text in its tooltip.

A panel that is narrower than its text should neither stretch (a horizontal scrollbar, a dialog
wider than its window) nor cut letters off: it shows "…" where text is left out, and the tooltip
has all of it, as Resolve and Premiere do with long clip names.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget


class ElidedLabel(QLabel):
    def __init__(
        self,
        text: str = "",
        parent: QWidget | None = None,
        mode: Qt.TextElideMode = Qt.TextElideMode.ElideRight,
    ) -> None:
        super().__init__(parent)
        self._full = ""
        self._tip = ""
        self._mode = mode
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setText(text)

    def setText(self, text: str) -> None:  # noqa: N802 (Qt's name)
        self._full = text
        self._fit()

    def full_text(self) -> str:
        return self._full

    def set_extra_tooltip(self, tip: str) -> None:
        """More to say in the tooltip after the full text (e.g. a whole path)."""
        self._tip = tip
        self._fit()

    def is_elided(self) -> bool:
        return super().text() != self._full

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(
            self.fontMetrics().horizontalAdvance("…") * 4, super().minimumSizeHint().height()
        )

    def resizeEvent(self, event: Any) -> None:  # noqa: N802
        super().resizeEvent(event)
        self._fit()

    def _fit(self) -> None:
        width = self.contentsRect().width()
        shown = self.fontMetrics().elidedText(self._full, self._mode, width) if width > 0 else ""
        super().setText(shown if width > 0 else self._full)  # not laid out yet: all of it
        tip = self._full
        if self._tip:
            tip = f"{tip}\n{self._tip}" if tip else self._tip
        self.setToolTip(tip)
