"""A dark, neutral theme for looking at footage: mid greys, no saturated chrome.

Colours that carry meaning (status badges, the playhead) are muted so they never tint the
viewer's judgement of the picture.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication

# Greys, darkest to lightest.
BASE = QColor("#1c1c1c")  # text fields, lists, the player surround
WINDOW = QColor("#262626")  # panels
RAISED = QColor("#303030")  # buttons, cards
BORDER = QColor("#3c3c3c")
MID = QColor("#5a5a5a")
TEXT_DIM = QColor("#9a9a9a")
TEXT = QColor("#dcdcdc")
HIGHLIGHT = QColor("#5f6b78")  # a slate grey-blue, barely tinted

# Muted meaning colours.
STATUS_COLORS = {
    "empty": QColor("#6a6a6a"),
    "queued": QColor("#7d8794"),
    "generating": QColor("#c29a5b"),
    "done": QColor("#7fa07a"),
    "failed": QColor("#b86a62"),
}
PLAYHEAD = QColor("#d9a25f")
DRAFT = QColor("#b9a98a")  # the DRAFT badge on a card: a take to re-render at full quality
WARNING = QColor("#d6a64f")  # a mark that asks for a look (a bridge whose sources moved)
SELECTION = QColor("#c8c8c8")

STYLE_SHEET = """
QToolTip { color: #dcdcdc; background: #303030; border: 1px solid #4a4a4a; padding: 4px; }
QDockWidget { titlebar-close-icon: none; }
QDockWidget::title { background: #2c2c2c; padding: 5px 8px; border-bottom: 1px solid #3a3a3a; }
QToolBar { background: #242424; border: none; border-bottom: 1px solid #333; spacing: 2px;
           padding: 3px; }
QToolBar QToolButton { padding: 4px 9px; border-radius: 4px; color: #d0d0d0; }
QToolBar QToolButton:hover { background: #353535; }
QToolBar QToolButton:pressed, QToolBar QToolButton:checked { background: #404040; }
QToolBar::separator { background: #3a3a3a; width: 1px; margin: 4px 6px; }
QPushButton { background: #323232; border: 1px solid #424242; border-radius: 4px;
              padding: 4px 12px; min-height: 18px; }
QPushButton:hover { background: #3a3a3a; }
QPushButton:pressed, QPushButton:checked { background: #474747; }
QPushButton:disabled, QToolButton:disabled { color: #666; }
QToolButton { border-radius: 3px; padding: 2px 4px; }
QToolButton:checked { background: #444; }
QLineEdit, QPlainTextEdit, QTextEdit, QSpinBox, QDoubleSpinBox, QComboBox {
    background: #1c1c1c; border: 1px solid #3c3c3c; border-radius: 3px; padding: 3px 5px;
    selection-background-color: #5f6b78; }
QLineEdit:focus, QPlainTextEdit:focus, QSpinBox:focus, QComboBox:focus { border-color: #6b6b6b; }
QComboBox QAbstractItemView { background: #242424; border: 1px solid #444; }
QListWidget, QTreeWidget, QListView, QTreeView { background: #1f1f1f; border: none;
    alternate-background-color: #232323; }
QListWidget::item, QTreeWidget::item { padding: 3px; }
QListWidget::item:selected, QTreeWidget::item:selected { background: #3d4349; color: #eee; }
QHeaderView::section { background: #2a2a2a; border: none; padding: 4px; color: #aaa; }
QProgressBar { background: #1c1c1c; border: 1px solid #3a3a3a; border-radius: 3px;
               text-align: center; color: #ccc; max-height: 12px; font-size: 10px; }
QProgressBar::chunk { background: #8a7a5c; border-radius: 2px; }
QScrollBar:horizontal, QScrollBar:vertical { background: #1e1e1e; border: none; }
QScrollBar:horizontal { height: 11px; }
QScrollBar:vertical { width: 11px; }
QScrollBar::handle { background: #444; border-radius: 4px; min-width: 24px; min-height: 24px; }
QScrollBar::handle:hover { background: #555; }
QScrollBar::add-line, QScrollBar::sub-line { width: 0; height: 0; }
QMenu { background: #272727; border: 1px solid #3e3e3e; }
QMenu::item { padding: 5px 22px 5px 22px; }
QMenu::item:selected { background: #3d4349; }
QMenu::separator { height: 1px; background: #3a3a3a; margin: 4px 8px; }
QMenuBar { background: #242424; }
QMenuBar::item:selected { background: #353535; }
QStatusBar { background: #202020; color: #9a9a9a; border-top: 1px solid #2f2f2f; }
QTabWidget::pane { border: none; }
QTabBar::tab { background: #262626; color: #9a9a9a; padding: 5px 12px; border: none; }
QTabBar::tab:selected { color: #e0e0e0; border-bottom: 2px solid #8a8a8a; }
QLabel#sectionTitle { color: #8c8c8c; font-size: 10px; font-weight: 600;
                      text-transform: uppercase; letter-spacing: 1px; padding-top: 6px; }
QLabel#timecode { font-family: monospace; font-size: 15px; color: #e6e6e6; padding: 0 8px; }
QLabel#shotCode { color: #b0b0b0; font-weight: 600; padding: 0 6px; }
QFrame#jobRow { background: #262626; border: 1px solid #333; border-radius: 4px; }
QFrame#jobRow[running="true"] { border-color: #5a5244; }
"""


def apply_theme(app: QApplication) -> None:
    app.setStyle("Fusion")
    pal = QPalette()
    roles = {
        QPalette.ColorRole.Window: WINDOW,
        QPalette.ColorRole.WindowText: TEXT,
        QPalette.ColorRole.Base: BASE,
        QPalette.ColorRole.AlternateBase: QColor("#232323"),
        QPalette.ColorRole.ToolTipBase: RAISED,
        QPalette.ColorRole.ToolTipText: TEXT,
        QPalette.ColorRole.PlaceholderText: QColor("#6e6e6e"),
        QPalette.ColorRole.Text: TEXT,
        QPalette.ColorRole.Button: RAISED,
        QPalette.ColorRole.ButtonText: TEXT,
        QPalette.ColorRole.BrightText: QColor("#ffffff"),
        QPalette.ColorRole.Highlight: HIGHLIGHT,
        QPalette.ColorRole.HighlightedText: QColor("#f2f2f2"),
        QPalette.ColorRole.Link: QColor("#9fb0c0"),
        QPalette.ColorRole.Light: QColor("#3a3a3a"),
        QPalette.ColorRole.Midlight: QColor("#333333"),
        QPalette.ColorRole.Mid: MID,
        QPalette.ColorRole.Dark: QColor("#161616"),
        QPalette.ColorRole.Shadow: QColor("#000000"),
    }
    for role, color in roles.items():
        pal.setColor(role, color)
    for role in (
        QPalette.ColorRole.Text,
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.ButtonText,
    ):
        pal.setColor(QPalette.ColorGroup.Disabled, role, QColor("#666666"))
    app.setPalette(pal)
    font = app.font()
    if font.pointSizeF() > 0 and font.pointSizeF() < 9:
        font.setPointSizeF(9)
    app.setFont(font)
    app.setStyleSheet(STYLE_SHEET)


def mono_font(size: int = 10) -> QFont:
    f = QFont("monospace")
    f.setStyleHint(QFont.StyleHint.Monospace)
    f.setPointSize(size)
    return f
