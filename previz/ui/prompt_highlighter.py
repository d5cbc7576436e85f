"""Highlighting in the prompt editor: known @elements, unknown @mentions, shot grammar."""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QSyntaxHighlighter, QTextCharFormat, QTextDocument

from previz.ui import shot_grammar

KIND_COLORS = {
    "character": QColor("#c9b38a"),
    "location": QColor("#9db39a"),
    "prop": QColor("#a9a3c4"),
    "style": QColor("#b7a0a0"),
}


class QtPromptHighlighter(QSyntaxHighlighter):
    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        self._elements: dict[str, str] = {}  # lower name -> kind
        self._unknown = QTextCharFormat()
        self._unknown.setForeground(QColor("#d08a7a"))
        self._unknown.setUnderlineStyle(QTextCharFormat.UnderlineStyle.WaveUnderline)
        self._unknown.setUnderlineColor(QColor("#b86a62"))
        self._unknown.setToolTip("no element with this name: add it in the Elements panel")
        self._grammar = QTextCharFormat()
        self._grammar.setForeground(QColor("#a9bccb"))
        self._kinds: dict[str, QTextCharFormat] = {}
        for kind, color in KIND_COLORS.items():
            f = QTextCharFormat()
            f.setForeground(color)
            f.setFontWeight(QFont.Weight.DemiBold)
            self._kinds[kind] = f
        self._patterns = [
            shot_grammar._pattern(sp, speed)
            for table, speed in (
                (shot_grammar.SHOT_SIZES, False),
                (shot_grammar.ANGLES, False),
                (shot_grammar.CAMERA_MOVES, True),
            )
            for _, _, sp in table
        ]

    def set_elements(self, elements: dict[str, str]) -> None:
        """``{lower-case name: kind}`` of the project's elements."""
        if elements != self._elements:
            self._elements = dict(elements)
            self.rehighlight()

    def highlightBlock(self, text: str) -> None:
        for pat in self._patterns:
            for m in pat.finditer(text):
                self.setFormat(m.start(), m.end() - m.start(), self._grammar)
        for m in shot_grammar.MENTION_RE.finditer(text):
            kind = self._elements.get(m.group(1).lower())
            fmt = self._kinds.get(kind or "", self._unknown) if kind else self._unknown
            self.setFormat(m.start(), m.end() - m.start(), fmt)
