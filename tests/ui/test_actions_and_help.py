"""The main window's actions as a newcomer meets them: unique shortcuts, Move Earlier / Later,
the player following the selection, Help > Keyboard Shortcuts and Getting Started, toolbar
icons and tooltips, and dialogs that fit inside the window."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QDialog, QMenu

from previz.ui.help_dialogs import action_keys, action_label
from tests.ui.uihelpers import JOB_TIMEOUT_MS, card_labels, wait_cards_done

pytestmark = pytest.mark.timeout(180)

ROOT = Path(__file__).resolve().parents[2]


def activate(qtbot, w) -> None:
    w.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w, timeout=5000)


def all_actions(w) -> list[QAction]:
    """Every action a user can reach: the window's, its menus' (and submenus'), the
    toolbar's and the card context menu's."""
    found: dict[int, QAction] = {}

    def walk(actions) -> None:
        for a in actions:
            if a.isSeparator() or id(a) in found:
                continue
            found[id(a)] = a
            sub = a.menu()
            if isinstance(sub, QMenu):
                walk(sub.actions())

    walk(w.findChildren(QAction))
    walk(w.menuBar().actions())
    walk(w.toolbar.actions())
    menu = w.actions.context_menu()
    walk(menu.actions())
    menu.close()
    return list(found.values())


def keys_of(a: QAction) -> list[str]:
    keys = [k.toString(QKeySequence.SequenceFormat.PortableText) for k in a.shortcuts()]
    if "\t" in a.text():
        keys.append(a.text().split("\t", 1)[1])
    return [k for k in keys if k]


# --- item 1: one action per shortcut ------------------------------------------------------------


def test_no_two_actions_share_a_shortcut(open_window, new_project) -> None:
    w = open_window(new_project(["WIDE, day, a pier"]))
    owners: dict[str, list[str]] = {}
    for a in all_actions(w):
        for k in keys_of(a):
            owners.setdefault(k.lower(), []).append(action_label(a))
    for sc in w.findChildren(QShortcut):  # shortcuts a widget set up on its own
        k = sc.key().toString(QKeySequence.SequenceFormat.PortableText)
        owners.setdefault(k.lower(), []).append(f"{sc.parent().objectName()} shortcut")
    dupes = {k: v for k, v in owners.items() if len(v) > 1}
    assert not dupes, f"shortcuts bound to more than one action: {dupes}"
    # the two that collided, each on a shortcut of its own
    assert w.actions.extend_fwd_action.shortcut().toString() == "Ctrl+E"
    assert w.export_action.shortcut().toString() == "Ctrl+M"


def test_ctrl_e_extends_and_ctrl_m_exports_with_no_ambiguous_shortcut(
    qtbot, qtlog, open_window, new_project, monkeypatch
) -> None:
    w = open_window(new_project(["WIDE, day, a pier", "CU, night, a face"]))
    asked: list[str] = []
    monkeypatch.setattr(w.actions, "extend_dialog", lambda direction: asked.append(direction))
    activate(qtbot, w)
    w.timeline.setFocus()
    with qtbot.waitSignal(w.actions.extend_fwd_action.triggered, timeout=2000):
        qtbot.keyClick(w.timeline, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)
    assert asked == ["forward"]
    with qtbot.waitSignal(w.export_action.triggered, timeout=2000):
        qtbot.keyClick(w.timeline, Qt.Key.Key_M, Qt.KeyboardModifier.ControlModifier)
    dialogs = [d for d in QApplication.topLevelWidgets() if type(d).__name__ == "ExportDialog"]
    assert any(d.isVisible() for d in dialogs), "Ctrl+M did not open the export dialog"
    for d in dialogs:
        d.close()
    ambiguous = [r.message for r in qtlog.records if "mbiguous" in r.message]
    assert not ambiguous, ambiguous


# --- item 5: Move Earlier / Move Later ------------------------------------------------------------


def test_move_earlier_and_later_from_menu_keys_and_context_menu_are_undoable(
    qtbot, open_window, new_project
) -> None:
    w = open_window(new_project(["one", "two", "three"]))
    ids = w.timeline.shot_ids()
    shot_menu = next(a.menu() for a in w.menuBar().actions() if action_label(a) == "Shot")
    assert w.actions.move_earlier_action in shot_menu.actions()
    assert w.actions.move_later_action in shot_menu.actions()
    menu = w.actions.context_menu()
    assert w.actions.move_earlier_action in menu.actions()
    assert w.actions.move_later_action in menu.actions()
    menu.close()

    # the first shot cannot go earlier, the last cannot go later
    w.timeline.select([ids[0]], ids[0])
    assert not w.actions.move_earlier_action.isEnabled()
    assert w.actions.move_later_action.isEnabled()
    w.timeline.select([ids[2]], ids[2])
    assert w.actions.move_earlier_action.isEnabled()
    assert not w.actions.move_later_action.isEnabled()

    # Alt+Left moves 0030 one place earlier, the selection goes with it
    activate(qtbot, w)
    w.timeline.setFocus()
    qtbot.keyClick(w.timeline, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    assert card_labels(w) == ["0010", "0030", "0020"]
    assert [s.code for s in w.svc.shots()] == ["0010", "0030", "0020"]
    assert w.timeline.selected_ids() == [ids[2]]
    assert w.undo_action.text() == "Undo Move shot 0030"
    qtbot.keyClick(w.timeline, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    assert card_labels(w) == ["0010", "0020", "0030"]

    # the menu action, then one undo puts it back
    w.timeline.select([ids[0]], ids[0])
    w.actions.move_later_action.trigger()
    assert card_labels(w) == ["0020", "0010", "0030"]
    w.undo()
    assert card_labels(w) == ["0010", "0020", "0030"]

    # two adjacent shots move together
    w.timeline.select([ids[1], ids[2]], ids[2])
    assert w.actions.move_selected(-1)
    assert card_labels(w) == ["0020", "0030", "0010"]
    assert not w.actions.move_selected(-1)  # nowhere to go: said in the status bar
    assert "start of the sequence" in w.statusBar().currentMessage()
    assert card_labels(w) == ["0020", "0030", "0010"]


# --- item 7: the player follows the selection ------------------------------------------------------


def test_player_follows_selection_add_shot_extend_and_bridge(
    qtbot, open_window, new_project
) -> None:
    w = open_window(new_project(["WIDE, day, a man walks", "CU, night, a woman"], frames=12))
    w.timeline.select_all()
    w.actions.generate()
    wait_cards_done(qtbot, w)
    a, b = w.timeline.shot_ids()

    # sequence mode: a click on a card puts the playhead on that shot
    assert w.player.mode == "sequence"
    w.timeline.select([b], b)
    assert w.player.current_shot_id() == b
    # Add Shot: the player shows the new (empty) shot, not the one before it
    new = w.actions.add_shot_after_current()
    assert new is not None and w.timeline.current_id == new.id
    assert w.player.current_shot_id() == new.id
    assert w.player.shot_code_text().startswith(new.code)

    # take mode (a double-click on a card): Extend lands a new take and the player shows it
    w.timeline.select([a], a)
    w._card_activated(a)
    assert w.player.mode == "take"
    first = w.svc.shot(a).selected_take_id
    assert w.player.take_id == first
    assert w.actions.extend("forward", 0.5) is not None
    qtbot.waitUntil(lambda: w.svc.shot(a).take_count == 2, timeout=JOB_TIMEOUT_MS)
    second = w.svc.shot(a).selected_take_id
    assert second != first
    qtbot.waitUntil(lambda: w.player.take_id == second, timeout=JOB_TIMEOUT_MS)
    assert "T2" in w.player.shot_code_text()

    # a click on the older take in the takes list shows that take
    w.takes.set_current_take(first)
    assert w.player.take_id == first
    w.takes.set_current_take(second)
    assert w.player.take_id == second

    # selecting another card in take mode shows that shot's take
    w.timeline.select([b], b)
    assert w.player.take_id == w.svc.shot(b).selected_take_id

    # Bridge: back in sequence mode, the player goes to the new bridge shot
    w.player.show_sequence(w.seq_id, a)
    w.timeline.select([a], a)
    out = w.actions.bridge()
    assert out is not None
    bridge_shot = out[0]
    assert w.timeline.current_id == bridge_shot.id
    assert w.player.current_shot_id() == bridge_shot.id


def test_player_keeps_playing_the_sequence_when_the_selection_changes(
    qtbot, open_window, new_project
) -> None:
    w = open_window(new_project(["WIDE, day, a man walks", "CU, night, a woman"], frames=48))
    w.timeline.select_all()
    w.actions.generate()
    wait_cards_done(qtbot, w)
    a, b = w.timeline.shot_ids()
    w.timeline.select([a], a)
    w._play_sequence()
    assert w.player.playing and w.player.mode == "sequence"
    w.timeline.select([b], b)
    assert w.player.playing and w.player.mode == "sequence"
    w.player.pause()


# --- item 8: Help ------------------------------------------------------------------------------


def test_keyboard_shortcuts_dialog_lists_every_shortcut_and_searches(
    qtbot, open_window, new_project
) -> None:
    w = open_window(new_project(["one"]))
    help_menu = next(a.menu() for a in w.menuBar().actions() if action_label(a) == "Help")
    assert w.shortcuts_action in help_menu.actions()
    assert w.getting_started_action in help_menu.actions()
    dlg = w.shortcuts_dialog()
    qtbot.waitExposed(dlg)
    assert w.shortcuts_dialog() is dlg  # asked again: the same window comes to the front
    listed = {(name, keys) for name, keys, _menu in dlg.rows}
    fixed = {id(w.undo_action): "Undo", id(w.redo_action): "Redo"}
    missing = [
        (action_label(a), action_keys(a))
        for a in all_actions(w)
        if action_keys(a) and (fixed.get(id(a), action_label(a)), action_keys(a)) not in listed
    ]
    # Undo is listed as itself, not as the edit it would undo now ("Undo Add shot 0010")
    assert w.undo_action.text().startswith("Undo ")
    assert ("Undo", "Ctrl+Z", "Edit") in dlg.rows
    assert not missing, f"shortcuts missing from Help > Keyboard Shortcuts: {missing}"
    assert ("Move Earlier", "Alt+Left", "Shot") in dlg.rows
    assert ("Export…", "Ctrl+M", "File") in dlg.rows
    # the table shows them (action, keys, menu)
    assert dlg.table.rowCount() == len(dlg.rows)
    assert dlg.table.item(0, 0).text() == dlg.rows[0][0]

    qtbot.keyClicks(dlg.search, "extend")
    shown = dlg.visible_rows()
    assert {r[0] for r in shown} == {"Extend Forward…", "Extend Backward…"}
    dlg.search.setText("ctrl+m")
    assert [r[0] for r in dlg.visible_rows()] == ["Export…"]
    dlg.search.setText("no such thing")
    assert dlg.visible_rows() == [] and dlg.empty.isVisible()
    dlg.close()


def readme_section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"<!-- getting-started -->\n(.*?)<!-- /getting-started -->", text, re.S)
    assert m, "README.md has no <!-- getting-started --> section"
    return m.group(1)


def test_getting_started_shows_the_readme_section_and_ships_in_the_package(
    qtbot, open_window, new_project
) -> None:
    from previz.ui.help_dialogs import getting_started_text

    assert getting_started_text() == readme_section(), (
        "previz/ui/help/getting_started.md differs from README.md's getting-started section: "
        "copy the README section into it"
    )
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "*.md" in pyproject["tool"]["setuptools"]["package-data"]["*"]

    w = open_window(new_project(["one"]))
    with qtbot.waitSignal(w.getting_started_action.triggered, timeout=2000):
        w.getting_started_action.trigger()
    dlg = next(
        d
        for d in QApplication.topLevelWidgets()
        if d.objectName() == "gettingStartedDialog" and d.isVisible()
    )
    text = dlg.browser.toPlainText()
    assert "Board the scene" in text and "**" not in text  # rendered, not raw markdown
    assert not dlg.browser.horizontalScrollBar().isVisible()
    dlg.close()


# --- polish rules -------------------------------------------------------------------------------


def test_every_toolbar_action_has_an_icon_and_a_tooltip_with_its_shortcut(
    open_window, new_project
) -> None:
    w = open_window(new_project(["one"]))
    actions = [a for a in w.toolbar.actions() if not a.isSeparator()]
    assert len(actions) >= 10
    for a in actions:
        assert not a.icon().isNull(), f"toolbar action {action_label(a)!r} has no icon"
        img = a.icon().pixmap(16, 16).toImage()
        inked = sum(
            img.pixelColor(x, y).alpha() > 128 for x in range(img.width()) for y in range(16)
        )
        assert inked >= 12, f"the icon of {action_label(a)!r} is blank"
        tip = w.toolbar.widgetForAction(a).toolTip()
        assert tip, f"toolbar action {action_label(a)!r} has no tooltip"
        keys = a.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
        if keys:
            assert keys in tip, f"{action_label(a)!r}: tooltip {tip!r} does not say {keys}"
    # the tooltip keeps its shortcut when the undo label changes
    w.actions.add_shot_action.trigger()
    assert w.undo_action.text().startswith("Undo ")
    assert "Ctrl+Z" in w.toolbar.widgetForAction(w.undo_action).toolTip()
    # at 1920 wide every button but Undo / Redo has its name beside its icon
    w.resize(1920, 1000)
    QApplication.processEvents()
    labelled = {
        action_label(a)
        for a in actions
        if w.toolbar.widgetForAction(a).toolButtonStyle()
        == Qt.ToolButtonStyle.ToolButtonTextBesideIcon
    }
    assert labelled == {action_label(a) for a in actions} - {"Undo", "Redo"} - {
        action_label(w.undo_action),
        action_label(w.redo_action),
    }
    # and every toolbar button stays on the toolbar (none in its overflow menu), also in a
    # window too narrow for every label (here: a large font): the least used lose their label
    for width in (1920, 1280):
        w.resize(width, 800)
        QApplication.processEvents()
        toolbar_fits(w, actions, f"{width} wide")
    assert not w.toolbar_compact
    big = w.toolbar.font()
    big.setPointSizeF(big.pointSizeF() * 1.6)
    w.toolbar.setFont(big)
    QApplication.processEvents()
    w.resize(1300, 800)
    QApplication.processEvents()
    assert w.toolbar_compact
    toolbar_fits(w, actions, "a large font")
    for a in (w.actions.generate_action, w.actions.extend_fwd_action, w.export_action):
        style = w.toolbar.widgetForAction(a).toolButtonStyle()
        assert style != Qt.ToolButtonStyle.ToolButtonIconOnly, f"{action_label(a)!r} lost its label"


def toolbar_fits(w, actions, where: str) -> None:
    for a in actions:
        btn = w.toolbar.widgetForAction(a)
        assert btn.isVisible(), f"{action_label(a)!r} falls off the toolbar in {where}"
        assert btn.geometry().right() <= w.toolbar.width(), where


def test_every_menu_dialog_fits_inside_the_window_at_1280x800(
    qtbot, open_window, new_project
) -> None:
    from previz.ui.about_dialog import QtAboutDialog
    from previz.ui.settings_dialog import QtSettingsDialog

    w = open_window(new_project(["WIDE, day, a man walks"], frames=12))
    w.resize(1280, 800)
    QApplication.processEvents()
    w.actions.variations(2)
    qtbot.waitUntil(
        lambda: w.svc.shot(w.timeline.shot_ids()[0]).take_count == 2, timeout=JOB_TIMEOUT_MS
    )
    takes = w.svc.takes(w.timeline.shot_ids()[0])

    dialogs: dict[str, QDialog] = {
        "settings": QtSettingsDialog(parent=w),
        "export": w.export_dialog(),
        "about": QtAboutDialog(w),
        "shortcuts": w.shortcuts_dialog(),
        "getting started": w.getting_started_dialog(),
        "compare": w.compare_takes(takes[0].id, takes[1].id),
    }
    # the questions the Shot menu asks (modal: measured, then cancelled)
    widths: dict[str, int] = {}

    def measure(name: str) -> None:
        dlg = QApplication.activeModalWidget()
        assert dlg is not None, f"{name}: no dialog opened"
        widths[name] = dlg.width()
        dlg.reject()

    for name, ask in (
        ("extend", lambda: w.actions.extend_dialog("forward")),
        ("variations", w.actions.variations_dialog),
        ("remix", w.actions.remix_dialog),
    ):
        QTimer.singleShot(0, lambda name=name: measure(name))
        ask()
    assert set(widths) == {"extend", "variations", "remix"}
    for name, width in widths.items():
        assert width <= w.width(), f"the {name} dialog is {width} px wide"

    for name, dlg in dialogs.items():
        assert dlg is not None, name
        dlg.show()
        qtbot.waitExposed(dlg)
        QApplication.processEvents()
        assert dlg.width() <= w.width(), (
            f"the {name} dialog is {dlg.width()} px wide in a {w.width()} px window"
        )
        dlg.close()


def test_first_window_fits_a_laptop_screen(qtbot, monkeypatch) -> None:
    from PySide6.QtCore import QRect
    from PySide6.QtGui import QScreen

    from previz.ui.main_window import first_size

    monkeypatch.setattr(QScreen, "availableGeometry", lambda _self: QRect(0, 0, 1280, 770))
    assert first_size() == (1280, 770)
    monkeypatch.setattr(QScreen, "availableGeometry", lambda _self: QRect(0, 0, 2560, 1400))
    assert first_size() == (1600, 1000)


def test_a_dialog_with_a_long_line_stays_inside_the_window(qtbot, open_window) -> None:
    from PySide6.QtWidgets import QLabel, QVBoxLayout

    w = open_window()
    w.resize(1280, 800)
    QApplication.processEvents()
    long_path = "/a/very/long/folder" * 120 + "/reel.mp4"
    dlg = QDialog(w)
    lay = QVBoxLayout(dlg)
    lay.addWidget(QLabel("Wrote " + long_path))
    later = QLabel("Ready")
    lay.addWidget(later)
    dlg.show()
    qtbot.waitExposed(dlg)
    assert dlg.width() <= w.width()
    # a line set after the dialog opened (the export dialog's "Wrote …") does not widen it
    later.setText("Wrote " + long_path)
    qtbot.waitUntil(lambda: later.wordWrap() and dlg.width() <= w.width(), timeout=2000)
    assert later.wordWrap()  # the whole path shows, on several lines
    assert later.heightForWidth(later.width()) > 2 * later.fontMetrics().height()
    dlg.close()
