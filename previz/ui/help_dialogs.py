"""Help > Keyboard Shortcuts and Help > Getting Started.

The shortcuts table is read from the main window's menus every time it opens, so it lists
exactly the shortcuts the app has (it cannot drift from them); the player's keys, which are
not menu actions, are listed after them. Getting Started shows the README's in-app section,
shipped in the package as ``previz/ui/help/getting_started.md`` (a test keeps the two equal).
"""

from __future__ import annotations

from importlib import resources

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QTableWidget,
    QTableWidgetItem,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

# Keys the player and the board handle themselves (not menu actions)
PLAYER_KEYS = (
    ("Play backward / forward (again: faster)", "J / L"),
    ("Pause", "K"),
    ("Step one frame", "Left / Right"),
    ("Step one second", "Shift+Left / Shift+Right"),
    ("Previous / next shot (sequence)", "Up / Down"),
    ("First / last frame", "Home / End"),
    ("Mask brush smaller / larger (mask tool)", "[ / ]"),
    ("Delete the selected shots (board)", "Del"),
)


def action_label(action: QAction) -> str:
    """An action's name as its menu shows it, without mnemonic or shortcut hint."""
    return action.text().split("\t")[0].replace("&&", "\0").replace("&", "").replace("\0", "&")


def action_keys(action: QAction) -> str:
    """The keys of an action as the platform writes them: its shortcuts, or the key named
    after a tab in its text (keys a widget handles itself, shown in the menu)."""
    keys = [k.toString(QKeySequence.SequenceFormat.NativeText) for k in action.shortcuts()]
    keys = [k for k in keys if k]
    if not keys and "\t" in action.text():
        keys = [action.text().split("\t", 1)[1]]
    return ", ".join(keys)


def shortcut_rows(window: QWidget) -> list[tuple[str, str, str]]:
    """(action, keys, where) for every menu action of ``window`` that has keys, in menu order,
    then the player's own keys."""
    rows: list[tuple[str, str, str]] = []
    seen: set[int] = set()
    # Undo and Redo name the edit they would undo ("Undo Add shot 0010"); the table names the
    # action itself
    fixed = {
        id(a): name
        for name in ("Undo", "Redo")
        if (a := getattr(window, f"{name.lower()}_action", None)) is not None
    }

    def walk(menu: QMenu, path: str) -> None:
        for a in menu.actions():
            if a.isSeparator():
                continue
            sub = a.menu()
            if isinstance(sub, QMenu):
                walk(sub, f"{path} › {action_label(a)}")
                continue
            keys = action_keys(a)
            if keys and id(a) not in seen:
                seen.add(id(a))
                rows.append((fixed.get(id(a), action_label(a)), keys, path))

    bar = window.menuBar() if hasattr(window, "menuBar") else None
    if bar is not None:
        for top in bar.actions():
            menu = top.menu()
            if isinstance(menu, QMenu):
                walk(menu, action_label(top))
    rows += [(name, keys, "Player") for name, keys in PLAYER_KEYS]
    return rows


def fit_width(dialog: QWidget, parent: QWidget | None, wanted: int, height: int) -> None:
    """Size ``dialog`` to ``wanted`` x ``height``, never wider or taller than its parent."""
    if parent is not None:
        top = parent.window()
        wanted = min(wanted, max(320, top.width() - 40))
        height = min(height, max(240, top.height() - 60))
    dialog.resize(wanted, height)
    if parent is not None:
        dialog.setMaximumWidth(max(320, parent.window().width()))


class ShortcutsDialog(QDialog):
    """Every keyboard shortcut, searchable by action, key or menu."""

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.setObjectName("shortcutsDialog")
        self.setWindowTitle("Keyboard Shortcuts")
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search actions, keys or menus…")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.filter)
        self.rows = shortcut_rows(window)
        self.table = QTableWidget(len(self.rows), 3)
        self.table.setHorizontalHeaderLabels(["Action", "Shortcut", "Menu"])
        self.table.verticalHeader().setVisible(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        for r, row in enumerate(self.rows):
            for c, text in enumerate(row):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.table.setItem(r, c, item)
        head = self.table.horizontalHeader()
        head.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        head.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.empty = QLabel("No shortcut matches; clear the search to see them all.")
        self.empty.setStyleSheet("color: #8a8a8a; padding: 6px;")
        self.empty.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.search)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.empty)
        lay.addWidget(buttons)
        fit_width(self, window, 620, 640)
        self.search.setFocus()

    def visible_rows(self) -> list[tuple[str, str, str]]:
        return [row for r, row in enumerate(self.rows) if not self.table.isRowHidden(r)]

    def filter(self, text: str) -> None:
        words = text.lower().split()
        shown = 0
        for r, row in enumerate(self.rows):
            hay = " ".join(row).lower()
            hide = not all(w in hay for w in words)
            self.table.setRowHidden(r, hide)
            shown += not hide
        self.empty.setVisible(shown == 0)


def getting_started_text() -> str:
    """The README's in-app section, as shipped in the package."""
    return (
        resources.files("previz.ui.help").joinpath("getting_started.md").read_text(encoding="utf-8")
    )


class GettingStartedDialog(QDialog):
    """The README's in-app section, rendered."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("gettingStartedDialog")
        self.setWindowTitle("Getting Started")
        self.browser = QTextBrowser()
        self.browser.setOpenExternalLinks(True)
        self.browser.setMarkdown(getting_started_text())
        self.browser.setLineWrapMode(QTextBrowser.LineWrapMode.WidgetWidth)
        self.browser.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.browser, 1)
        lay.addWidget(buttons)
        fit_width(self, parent, 640, 620)
