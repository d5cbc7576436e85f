"""A prompt editor with @element completion (QCompleter) and highlighting.

Enter commits the prompt (``committed`` is emitted); Shift+Enter inserts a line break. Typing
``@`` opens the list of the project's elements; Tab or Enter takes the highlighted one.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QStringListModel, Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent, QTextCursor
from PySide6.QtWidgets import QCompleter, QPlainTextEdit, QWidget

from previz.ui.prompt_highlighter import QtPromptHighlighter


class PromptEditWidget(QPlainTextEdit):
    committed = Signal()  # Enter or focus out: the text is ready to save
    focus_lost = Signal()

    def __init__(self, parent: QWidget | None = None, *, commit_on_enter: bool = True) -> None:
        super().__init__(parent)
        self.commit_on_enter = commit_on_enter
        self.setTabChangesFocus(True)
        self.highlighter = QtPromptHighlighter(self.document())
        self._model = QStringListModel(self)
        self.completer = QCompleter(self._model, self)
        self.completer.setWidget(self)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.completer.setFilterMode(Qt.MatchFlag.MatchStartsWith)
        self.completer.activated.connect(self.insert_completion)

    def set_elements(self, elements: dict[str, str]) -> None:
        """``{name: kind}``: names offered after ``@`` and highlighted when mentioned."""
        names = sorted(elements, key=str.lower)
        self._model.setStringList(names)
        self.highlighter.set_elements({n.lower(): k for n, k in elements.items()})

    def _mention_prefix(self) -> str | None:
        """The partial name after an ``@`` right before the cursor, or None."""
        cur = self.textCursor()
        block = cur.block().text()[: cur.positionInBlock()]
        at = block.rfind("@")
        if at < 0:
            return None
        prefix = block[at + 1 :]
        if prefix and not all(c.isalnum() or c == "_" for c in prefix):
            return None
        if at > 0 and (block[at - 1].isalnum() or block[at - 1] == "_"):
            return None
        return prefix

    def insert_completion(self, name: str) -> None:
        prefix = self._mention_prefix()
        if prefix is None:
            return
        cur = self.textCursor()
        cur.movePosition(
            QTextCursor.MoveOperation.Left, QTextCursor.MoveMode.KeepAnchor, len(prefix)
        )
        cur.insertText(name + " ")
        self.setTextCursor(cur)
        self.completer.popup().hide()

    def event(self, event: QEvent) -> bool:
        # Tab normally moves focus before keyPressEvent sees it; while the completion list is
        # open it takes the highlighted name instead.
        if (
            event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Tab, Qt.Key.Key_Backtab)
            and self.completer.popup().isVisible()
        ):
            self.keyPressEvent(event)
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        popup = self.completer.popup()
        key = event.key()
        if popup.isVisible() and key in (
            Qt.Key.Key_Enter,
            Qt.Key.Key_Return,
            Qt.Key.Key_Tab,
            Qt.Key.Key_Escape,
            Qt.Key.Key_Backtab,
        ):
            if key == Qt.Key.Key_Escape:
                popup.hide()
                return
            idx = popup.currentIndex()
            name = idx.data() if idx.isValid() else self.completer.currentCompletion()
            if name:
                self.insert_completion(str(name))
            popup.hide()
            return
        if (
            key in (Qt.Key.Key_Enter, Qt.Key.Key_Return)
            and self.commit_on_enter
            and not event.modifiers() & Qt.KeyboardModifier.ShiftModifier
        ):
            self.committed.emit()
            return
        if key in (Qt.Key.Key_Enter, Qt.Key.Key_Return) and (
            event.modifiers() & Qt.KeyboardModifier.ControlModifier
        ):
            self.committed.emit()
            return
        super().keyPressEvent(event)
        self._update_completer()

    def _update_completer(self) -> None:
        prefix = self._mention_prefix()
        if prefix is None or not self._model.stringList():
            self.completer.popup().hide()
            return
        self.completer.setCompletionPrefix(prefix)
        if self.completer.completionCount() == 0:
            self.completer.popup().hide()
            return
        popup = self.completer.popup()
        rect = self.cursorRect()
        rect.setWidth(
            popup.sizeHintForColumn(0) + popup.verticalScrollBar().sizeHint().width() + 16
        )
        self.completer.complete(rect)
        # after complete(): Tab/Enter then take the first match, as the user sees it highlighted
        popup.setCurrentIndex(self.completer.completionModel().index(0, 0))

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        if self.completer.popup().isVisible():
            return  # focus went to the completion list, not away
        self.focus_lost.emit()
