"""The main window: sequences and elements on the left, the player over the storyboard timeline
in the middle, the shot inspector and takes on the right, the job queue below the sequences.

The window owns the open project: the :class:`ProjectService`, a :class:`JobRunner` (when this
process holds the project's runner lock) and the :class:`QtRunnerBridge` that brings the runner's
callbacks and the service's change notifications onto the GUI thread. Any change, from an edit
here, an undo, or a take landing from the runner, schedules one coalesced refresh that re-reads
what the widgets show from the services, so nothing is held only in a widget.
"""

from __future__ import annotations

import gc
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QByteArray,
    QChildEvent,
    QEvent,
    QObject,
    QSettings,
    QSize,
    Qt,
    QTimer,
)
from PySide6.QtGui import (
    QAction,
    QActionGroup,
    QCloseEvent,
    QGuiApplication,
    QKeySequence,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QDialog,
    QDockWidget,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QSizePolicy,
    QSplitter,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from previz.core.errors import NotFound, PrevizError
from previz.core.values import JobInfo, ShotInfo
from previz.services.generation import EngineChoice, Generation
from previz.services.project import ProjectService
from previz.services.runner import JobProgress, JobRunner
from previz.services.settings import AppSettings, config_dir
from previz.services.shot_facts import ShotFactsReader
from previz.ui import icons
from previz.ui.about_dialog import QtAboutDialog
from previz.ui.compare_dialog import QtCompareDialog
from previz.ui.elements_widget import ElementsWidget
from previz.ui.errors import show_error
from previz.ui.help_dialogs import GettingStartedDialog, ShortcutsDialog
from previz.ui.inspector_widget import ShotInspectorWidget
from previz.ui.job_panel_widget import JobPanelWidget
from previz.ui.player_widget import PlayerWidget
from previz.ui.project_files import copy_project, with_suffix
from previz.ui.runner_bridge import QtRunnerBridge, connect_queued
from previz.ui.sequence_list_widget import SequenceListWidget
from previz.ui.settings_dialog import QtSettingsDialog
from previz.ui.shot_actions import QtShotActions, RegionSource, tooltip_with_shortcut
from previz.ui.takes_widget import TakesWidget
from previz.ui.thumbnails import ThumbnailCache
from previz.ui.timeline_view import TimelineView

log = logging.getLogger(__name__)

AUTOSAVE_MS = 5000
PROGRESS_FLUSH_MS = 100
LAYOUT_VERSION = 1


def settle_garbage_collector() -> None:
    """Move everything alive now (modules, Qt wrappers, the open project's objects) out of the
    cyclic garbage collector's way. A full collection otherwise walks all of them from time to
    time and stops every thread for 50-100 ms — measured as the longest event-loop stall while a
    job runs (benchmarks/ui_responsiveness.py). Objects made later are still collected."""
    gc.unfreeze()  # what an earlier project left behind becomes collectable again
    gc.collect()
    gc.freeze()


def first_size() -> tuple[int, int]:
    """The window's size before any layout is saved: 1600x1000, or the screen's free area on a
    smaller screen (a 1280x800 laptop) so the window never opens past the screen's edge."""
    w, h = 1600, 1000
    screen = QGuiApplication.primaryScreen()
    if screen is not None:
        free = screen.availableGeometry()
        if free.width() >= 1024:  # a real desktop (not a headless test screen)
            w, h = min(w, free.width()), min(h, free.height())
    return w, h


def fit_labels(dialog: QWidget, width: int) -> None:
    """Labels of ``dialog`` too long for ``width`` wrap; one that still cannot fit (a path with
    no space in it) no longer sets the dialog's width: it is cut at the edge, its full text in
    its tooltip."""
    limit = width - 60
    for label in dialog.findChildren(QLabel):
        if label.sizeHint().width() <= limit:
            continue
        if not label.wordWrap():
            label.setWordWrap(True)
        if label.minimumSizeHint().width() > limit:
            label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
            label.setMinimumWidth(0)
            if not label.toolTip():
                label.setToolTip(label.text())


class DialogWidthGuard(QObject):
    """Keeps a dialog no wider than its window, also when a label's text changes later (the
    export dialog's "Wrote …" line)."""

    def __init__(self, window: QWidget, dialog: QDialog) -> None:
        super().__init__(dialog)
        self.window = window
        dialog.installEventFilter(self)
        self.fit(dialog)

    def fit(self, dialog: QDialog) -> None:
        width = max(self.window.width(), 320)
        fit_labels(dialog, width)
        dialog.setMaximumWidth(width)
        if dialog.width() > width:  # grown before its labels wrapped: shrink once they have
            QTimer.singleShot(0, dialog, lambda: self._shrink(dialog, width))

    @staticmethod
    def _shrink(dialog: QDialog, width: int) -> None:
        layout = dialog.layout()
        if layout is not None:
            layout.activate()
        if dialog.width() > width:
            dialog.resize(width, dialog.height())

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.LayoutRequest and isinstance(obj, QDialog):
            self.fit(obj)
        return False


def layout_settings() -> QSettings:
    return QSettings(str(config_dir() / "window.ini"), QSettings.Format.IniFormat)


class QtMainWindow(QMainWindow):
    def __init__(
        self,
        *,
        worker_factory: Callable[[], Any] | None = None,
        run_jobs: bool = True,
        restore_layout: bool = True,
    ) -> None:
        super().__init__()
        self.setObjectName("previzMainWindow")
        self.setWindowTitle("Previz")
        self.resize(*first_size())
        self.svc: ProjectService | None = None
        self.gen: Generation | None = None
        self.runner: JobRunner | None = None
        self.bridge: QtRunnerBridge | None = None
        self.seq_id: int | None = None
        self._worker_factory = worker_factory
        self._run_jobs = run_jobs
        self._facts = ShotFactsReader(None)  # cut lengths, drafts, bridges (cached per take)
        self._live: dict[int, float] = {}  # shot id -> progress of its running job
        self._live_dirty = False
        self._elements_key: tuple[Any, ...] = ()
        self._changes: list[Any] = []  # project changes since the last refresh
        self._takes_sig: tuple[Any, ...] | None = None
        self.refreshes = 0
        self.thumbs = ThumbnailCache()

        # --- widgets ---------------------------------------------------------------------------
        self.timeline = TimelineView(self.thumbs)
        self.player = PlayerWidget()
        self.inspector = ShotInspectorWidget()
        self.takes = TakesWidget(ThumbnailCache(300))
        self.sequences = SequenceListWidget()
        self.elements = ElementsWidget(ThumbnailCache(200))
        self.jobs = JobPanelWidget()
        self.actions = QtShotActions(self, self)
        self.timeline.key_handler = self.player.handle_key

        self.seq_title = QLabel("")
        self.seq_title.setStyleSheet("font-weight: 600; color: #cfcfcf; padding-left: 6px;")
        self.seq_info = QLabel("")
        self.seq_info.setStyleSheet("color: #8a8a8a;")
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 4, 6, 2)
        bar.addWidget(self.seq_title)
        bar.addWidget(self.seq_info)
        bar.addStretch(1)
        self.mode_buttons: dict[str, QToolButton] = {}
        for mode, text in (("timeline", "Timeline"), ("board", "Board")):
            b = QToolButton()
            b.setText(text)
            b.setCheckable(True)
            b.setAutoRaise(True)
            b.clicked.connect(lambda _c=False, m=mode: self.set_view_mode(m))
            self.mode_buttons[mode] = b
            bar.addWidget(b)
        add = QToolButton()
        add.setDefaultAction(self.actions.add_shot_action)
        add.setText("+ Shot")
        add.setAutoRaise(True)
        bar.addWidget(add)
        timeline_box = QWidget()
        tl = QVBoxLayout(timeline_box)
        tl.setContentsMargins(0, 0, 0, 0)
        tl.setSpacing(0)
        tl.addLayout(bar)
        tl.addWidget(self.timeline, 1)

        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setObjectName("centralSplitter")
        self.splitter.addWidget(self.player)
        self.splitter.addWidget(timeline_box)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.splitter.setSizes([560, 330])
        self.setCentralWidget(self.splitter)

        self.docks: dict[str, QDockWidget] = {}
        self._dock("sequences", "Sequences", self.sequences, Qt.DockWidgetArea.LeftDockWidgetArea)
        self._dock("elements", "Elements", self.elements, Qt.DockWidgetArea.LeftDockWidgetArea)
        self._dock("jobs", "Job Queue", self.jobs, Qt.DockWidgetArea.LeftDockWidgetArea)
        self._dock("inspector", "Shot", self.inspector, Qt.DockWidgetArea.RightDockWidgetArea)
        self._dock("takes", "Takes", self.takes, Qt.DockWidgetArea.RightDockWidgetArea)
        self.resizeDocks(
            [self.docks["sequences"], self.docks["inspector"]],
            [300, 380],
            Qt.Orientation.Horizontal,
        )
        self.resizeDocks(
            [self.docks["sequences"], self.docks["elements"], self.docks["jobs"]],
            [230, 260, 420],
            Qt.Orientation.Vertical,
        )
        self.resizeDocks(
            [self.docks["inspector"], self.docks["takes"]], [560, 380], Qt.Orientation.Vertical
        )

        self._build_menus()
        self.status_label = QLabel("")
        self.statusBar().addPermanentWidget(self.status_label)

        # --- wiring ----------------------------------------------------------------------------
        self.timeline.current_changed.connect(self._current_shot_changed)
        self.timeline.selection_changed.connect(self.actions.update_enabled)
        self.timeline.activated.connect(self._card_activated)
        self.timeline.move_requested.connect(self.move_shots)
        self.timeline.insert_requested.connect(lambda i: self.actions.add_shot(i))
        self.timeline.delete_requested.connect(self.actions.delete_selected)
        self.timeline.image_dropped.connect(lambda s, p: self.actions.image_to_video(s, p))
        self.timeline.media_dropped.connect(self._import_media)
        self.timeline.playhead_moved.connect(self._timeline_scrubbed)
        self.timeline.context_menu_requested.connect(
            lambda pos: self.actions.context_menu().popup(pos)
        )
        self.player.frame_changed.connect(self._player_frame)
        self.player.trimmed.connect(lambda _s: self.schedule_refresh())
        self.takes.take_activated.connect(lambda tid: self.player.show_take(tid))
        self.takes.compare_requested.connect(self.compare_takes)
        self.takes.import_requested.connect(self._import_media)
        self.takes.reroll_requested.connect(self.actions.reroll)
        self.takes.rerender_requested.connect(self.actions.rerender)
        self.takes.mask_edit_requested.connect(self.edit_mask)
        self.player.mask_mode_changed.connect(self._mask_mode_changed)
        self.player.mode_changed.connect(lambda _m: self.actions.update_region_actions())
        self.player.shot_changed.connect(lambda _s: self.actions.update_region_actions())
        self.sequences.sequence_selected.connect(self.set_sequence)
        self.elements.mention_requested.connect(self._insert_mention)
        self.actions.jobs_queued.connect(self._jobs_queued)

        self._refresh_timer = QTimer(self)
        self._refresh_timer.setSingleShot(True)
        self._refresh_timer.setInterval(0)
        self._refresh_timer.timeout.connect(self.refresh_now)
        self._progress_timer = QTimer(self)
        self._progress_timer.setSingleShot(True)
        self._progress_timer.setInterval(PROGRESS_FLUSH_MS)
        self._progress_timer.timeout.connect(self._flush_progress)
        self._autosave = QTimer(self)
        self._autosave.setInterval(AUTOSAVE_MS)
        self._autosave.timeout.connect(self._autosave_tick)
        self._autosave.start()

        self.set_view_mode("timeline")
        if restore_layout:
            self.restore_layout()
        self._update_project_state()

    # --- construction helpers -------------------------------------------------------------------

    def _dock(self, name: str, title: str, widget: QWidget, area: Qt.DockWidgetArea) -> None:
        dock = QDockWidget(title, self)
        dock.setObjectName(f"dock_{name}")
        dock.setWidget(widget)
        dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetMovable
            | QDockWidget.DockWidgetFeature.DockWidgetClosable
            | QDockWidget.DockWidgetFeature.DockWidgetFloatable
        )
        self.addDockWidget(area, dock)
        self.docks[name] = dock

    def _action(
        self,
        text: str,
        slot: Callable[[], Any],
        shortcut: Any = None,
        tip: str = "",
        icon: str = "",
    ) -> QAction:
        a = QAction(text, self)
        if shortcut is not None:
            if isinstance(shortcut, list):
                a.setShortcuts(shortcut)
            else:
                a.setShortcut(QKeySequence(shortcut))
        if tip:
            a.setStatusTip(tip)
        if icon:
            a.setIcon(icons.icon(icon))
        a.setToolTip(tooltip_with_shortcut(tip or text.split("\t")[0], a))
        a.triggered.connect(lambda _c=False: slot())
        return a

    def _build_menus(self) -> None:
        mb = self.menuBar()
        f = mb.addMenu("&File")
        self.new_action = self._action(
            "New Project…", self.new_project_dialog, QKeySequence.StandardKey.New
        )
        self.open_action = self._action(
            "Open Project…", self.open_project_dialog, QKeySequence.StandardKey.Open
        )
        self.recent_menu = f.addMenu("Open Recent")
        self.recent_menu.aboutToShow.connect(self._fill_recent)
        self.save_as_action = self._action(
            "Save Project As…",
            self.save_as_dialog,
            QKeySequence.StandardKey.SaveAs,
            "Copy the project to a new folder and continue there",
        )
        self.save_action = self._action(
            "Save",
            self.commit_pending,
            QKeySequence.StandardKey.Save,
            "Every edit is saved as you make it",
        )
        self.settings_action = self._action(
            "Settings…", self.settings_dialog, QKeySequence.StandardKey.Preferences
        )
        self.quit_action = self._action("Quit", self.close, QKeySequence.StandardKey.Quit)
        f.insertAction(self.recent_menu.menuAction(), self.new_action)
        f.insertAction(self.recent_menu.menuAction(), self.open_action)
        for a in (self.save_action, self.save_as_action):
            f.addAction(a)
        f.addSeparator()
        self.import_script_action = self._action(
            "Import Screenplay…",
            self.import_screenplay_dialog,
            "Ctrl+Shift+I",
            "A Fountain screenplay becomes sequences of shots (a revised one updates them)",
        )
        # Ctrl+M is Premiere's Export Media; Ctrl+E / Ctrl+Shift+E extend the selected take
        self.export_action = self._action(
            "Export…",
            self.export_dialog,
            "Ctrl+M",
            "A previz reel, EDL / FCP XML / OTIO for your editor, PDF boards",
            "export",
        )
        f.addAction(self.import_script_action)
        f.addAction(self.export_action)
        f.addSeparator()
        f.addAction(self.settings_action)
        f.addSeparator()
        f.addAction(self.quit_action)

        e = mb.addMenu("&Edit")
        self.undo_action = self._action("Undo", self.undo, "Ctrl+Z", "Undo the last edit", "undo")
        self.redo_action = self._action(
            "Redo", self.redo, ["Ctrl+Shift+Z", "Ctrl+Y"], "Redo what was undone", "redo"
        )
        e.addAction(self.undo_action)
        e.addAction(self.redo_action)
        e.addSeparator()
        self.select_all_action = self._action("Select All Shots", self.timeline.select_all, None)
        e.addAction(self.select_all_action)
        e.addAction(self.actions.duplicate_action)
        e.addAction(self.actions.delete_action)

        s = mb.addMenu("&Shot")
        for a in (self.actions.add_shot_action, self.actions.insert_action):
            s.addAction(a)
        s.addSeparator()
        for a in (
            self.actions.generate_action,
            self.actions.draft_action,
            self.actions.reprompt_action,
            self.actions.variations_action,
        ):
            s.addAction(a)
        s.addSeparator()
        for a in (
            self.actions.extend_fwd_action,
            self.actions.extend_back_action,
            self.actions.bridge_action,
            self.actions.remix_action,
            self.actions.loop_action,
            self.actions.image_action,
            self.actions.import_action,
        ):
            s.addAction(a)
        s.addSeparator()
        self.mask_action = self._action(
            "Mask Tool",
            lambda: self.player.set_mask_mode(self.mask_action.isChecked()),
            "Ctrl+Shift+M",
            "Paint the region to change on the take shown (brush, rectangle, ellipse, keys)",
            "mask",
        )
        self.mask_action.setCheckable(True)
        s.addAction(self.mask_action)
        s.addAction(self.actions.inpaint_action)
        s.addAction(self.actions.cinemagraph_action)
        s.setToolTipsVisible(True)  # a greyed region edit says why
        s.addSeparator()
        s.addAction(self.actions.move_earlier_action)
        s.addAction(self.actions.move_later_action)
        # the region edits, beside the mask they use
        for a in (self.actions.inpaint_action, self.actions.cinemagraph_action):
            btn = QToolButton()
            btn.setDefaultAction(a)
            btn.setAutoRaise(True)
            btn.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
            btn.setIconSize(QSize(16, 16))
            btn.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            self.player.mask_tool.extra.addWidget(btn)

        v = mb.addMenu("&View")
        group = QActionGroup(self)
        self.view_actions: dict[str, QAction] = {}
        for mode, text, key in (("timeline", "Timeline", "Ctrl+1"), ("board", "Board", "Ctrl+2")):
            a = self._action(text, lambda m=mode: self.set_view_mode(m), key)
            a.setCheckable(True)
            group.addAction(a)
            v.addAction(a)
            self.view_actions[mode] = a
        v.addAction(self._action("Zoom In", lambda: self.timeline.zoom(1.25), "Ctrl+="))
        v.addAction(self._action("Zoom Out", lambda: self.timeline.zoom(0.8), "Ctrl+-"))
        v.addSeparator()
        for dock in self.docks.values():
            v.addAction(dock.toggleViewAction())

        p = mb.addMenu("&Playback")
        p.addAction(self._action("Play / Pause\tSpace", self.player.toggle_play))
        p.addAction(self._action("Play Sequence", self._play_sequence))
        p.addAction(self._action("Play Selected Take", self._play_take))
        p.addAction(self._action("Set Trim In\tI", self.player.mark_in))
        p.addAction(self._action("Set Trim Out\tO", self.player.mark_out))

        h = mb.addMenu("&Help")
        self.getting_started_action = self._action(
            "Getting Started",
            self.getting_started_dialog,
            QKeySequence.StandardKey.HelpContents,
            "A short tour: board, describe, generate, refine, review, export",
        )
        self.shortcuts_action = self._action(
            "Keyboard Shortcuts",
            self.shortcuts_dialog,
            "Ctrl+Alt+K",
            "Every shortcut of the app, searchable",
        )
        h.addAction(self.getting_started_action)
        h.addAction(self.shortcuts_action)
        h.addSeparator()
        h.addAction(self._action("About Previz", self.about_dialog))

        tb = self.addToolBar("Main")
        tb.setObjectName("mainToolbar")
        tb.setMovable(False)
        tb.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        tb.setIconSize(QSize(16, 16))
        tb.addAction(self.actions.add_shot_action)
        tb.addSeparator()
        for a in (
            self.actions.generate_action,
            self.actions.draft_action,
            self.actions.reprompt_action,
            self.actions.variations_action,
        ):
            tb.addAction(a)
        tb.addSeparator()
        for a in (
            self.actions.extend_back_action,
            self.actions.extend_fwd_action,
            self.actions.bridge_action,
            self.actions.remix_action,
            self.actions.loop_action,
        ):
            tb.addAction(a)
        tb.addSeparator()
        tb.addAction(self.undo_action)
        tb.addAction(self.redo_action)
        # Undo / Redo carry the edit's name ("Undo Edit shot 0020"): icons only, the name and
        # the shortcut are in the tooltip, so the toolbar never outgrows a 1280 px window
        for a in (self.undo_action, self.redo_action):
            btn = tb.widgetForAction(a)
            if isinstance(btn, QToolButton):
                btn.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonIconOnly)
        tb.addSeparator()
        tb.addAction(self.export_action)
        self.toolbar = tb
        # in a window too narrow for every label, these show their icon only (the name and the
        # shortcut stay in the tooltip) rather than falling into the toolbar's overflow menu
        self._compactable = [
            self.actions.reprompt_action,
            self.actions.variations_action,
            self.actions.extend_back_action,
            self.actions.remix_action,
            self.actions.loop_action,
        ]
        self.toolbar_compact = False

    def _fit_toolbar(self) -> None:
        """Labels on every toolbar button when the window has room for them, else the icons
        only on the least used (with some slack so it does not flip back and forth)."""
        tb = self.toolbar
        need = tb.sizeHint().width()
        if self.toolbar_compact:
            fm = tb.fontMetrics()
            need += sum(fm.horizontalAdvance(a.iconText()) + 6 for a in self._compactable)
            self._set_toolbar_compact(need > self.width() - 40)
        else:
            self._set_toolbar_compact(need > self.width() - 16)

    def _set_toolbar_compact(self, compact: bool) -> None:
        if compact == self.toolbar_compact:
            return
        self.toolbar_compact = compact
        style = (
            Qt.ToolButtonStyle.ToolButtonIconOnly
            if compact
            else Qt.ToolButtonStyle.ToolButtonTextBesideIcon
        )
        for a in self._compactable:
            btn = self.toolbar.widgetForAction(a)
            if isinstance(btn, QToolButton):
                btn.setToolButtonStyle(style)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._fit_toolbar()
        for dlg in self.findChildren(QDialog, options=Qt.FindChildOption.FindDirectChildrenOnly):
            dlg.setMaximumWidth(max(self.width(), 320))

    def childEvent(self, event: QChildEvent) -> None:
        super().childEvent(event)
        child = event.child()
        if (
            event.polished()
            and isinstance(child, QDialog)
            and child.findChild(DialogWidthGuard) is None
        ):
            DialogWidthGuard(self, child)

    # --- project lifecycle ------------------------------------------------------------------------

    def open_project(self, path: str | Path) -> bool:
        try:
            svc = ProjectService.open(path)
        except Exception as exc:
            show_error(self, exc, "Cannot open project")
            return False
        self.close_project()
        self._attach(svc)
        return True

    def _attach(self, svc: ProjectService) -> None:
        self.svc = svc
        self.gen = Generation(svc)
        self._facts = ShotFactsReader(svc)
        self._live.clear()
        self._elements_key = ()
        self._changes = []
        self._takes_sig = None
        self.bridge = QtRunnerBridge(self)
        connect_queued(self.bridge.project_changed, self._on_project_changed)
        connect_queued(self.bridge.job_updated, self._on_job_updated)
        connect_queued(self.bridge.progress_updated, self._on_progress)
        connect_queued(self.bridge.take_created, self._on_take_created)
        connect_queued(self.bridge.lock_taken, self._update_status)
        svc.subscribe(self.bridge.on_project_change)
        self.runner = None
        if self._run_jobs:
            runner = (
                JobRunner(svc, worker_factory=self._worker_factory)
                if self._worker_factory
                else JobRunner(svc)
            )
            runner.add_listener(self.bridge)
            self.runner = runner
            if not runner.start(wait_for_lock=True):
                self.statusBar().showMessage(
                    "Another Previz process runs this project's jobs; the app takes the queue "
                    "over when it finishes",
                    8000,
                )
        self.thumbs.clear()
        self.timeline.set_project_folder(svc.folder)
        self.timeline.select([])
        self.inspector.set_project(svc)
        self.takes.set_project(svc)
        self.elements.set_project(svc)
        self.sequences.set_project(svc)
        self.jobs.set_project(svc, self.runner)
        self.player.set_project(svc)
        try:
            st = AppSettings.load()
            st.add_recent(svc.folder)
            st.save()
            self.inspector.set_defaults(st.default_engine, st.default_model)
        except OSError as exc:
            log.warning("could not record the recent project: %s", exc)
        seqs = svc.sequences()
        self.seq_id = seqs[0].id if seqs else None
        self.refresh_now()
        shots = self.timeline.shot_ids()
        if shots:
            self.timeline.select([shots[0]], shots[0])
        if self.seq_id is not None:
            self.player.show_sequence(self.seq_id)
        self._update_project_state()
        settle_garbage_collector()

    def close_project(self) -> None:
        if self.svc is None:
            return
        self.commit_pending()
        svc, runner, bridge = self.svc, self.runner, self.bridge
        self.svc = None
        self.gen = None
        self.runner = None
        self.bridge = None
        self.player.shutdown()
        if runner is not None:
            try:
                runner.stop()
            except Exception:
                log.exception("stopping the job runner failed")
        if bridge is not None:
            bridge.blockSignals(True)
            bridge.deleteLater()
        try:
            svc.close()
        except Exception:
            log.exception("closing the project failed")
        self.inspector.set_project(None)
        self.takes.set_project(None)
        self.elements.set_project(None)
        self.sequences.set_project(None)
        self.jobs.set_project(None, None)
        self.player.set_project(None)
        self.timeline.set_shots([])
        self.seq_id = None
        self._update_project_state()

    def new_project(self, path: str | Path, name: str | None = None) -> bool:
        st = AppSettings.load()
        try:
            svc = ProjectService.create(
                with_suffix(path), name=name, fps=st.default_fps, size=st.default_size
            )
        except Exception as exc:
            show_error(self, exc, "Cannot create project")
            return False
        self.close_project()
        self._attach(svc)
        return True

    def save_as(self, dest: str | Path) -> Path | None:
        if self.svc is None:
            return None
        self.commit_pending()
        try:
            target = copy_project(self.svc, dest)
        except Exception as exc:
            show_error(self, exc, "Cannot save the project")
            return None
        self.open_project(target)
        return target

    def new_project_dialog(self) -> None:
        path, _ = QFileDialog.getSaveFileName(
            self, "New project", str(Path.home() / "Untitled"), "Previz project (*.previz)"
        )
        if path:
            self.new_project(path)

    def open_project_dialog(self) -> None:
        path = QFileDialog.getExistingDirectory(self, "Open a project folder (…previz)")
        if path:
            self.open_project(path)

    def save_as_dialog(self) -> None:
        if self.svc is None:
            return
        start = str(Path(self.svc.folder).with_name(Path(self.svc.folder).stem + " copy"))
        path, _ = QFileDialog.getSaveFileName(
            self, "Save project as", start, "Previz project (*.previz)"
        )
        if path:
            self.save_as(path)

    def _fill_recent(self) -> None:
        self.recent_menu.clear()
        recent = [p for p in AppSettings.load().recent_projects if Path(p).is_dir()]
        if not recent:
            a = self.recent_menu.addAction("No recent projects")
            a.setEnabled(False)
        for p in recent:
            a = self.recent_menu.addAction(Path(p).name)
            a.setToolTip(p)
            a.triggered.connect(lambda _c=False, p=p: self.open_project(p))

    def settings_dialog(self) -> None:
        dlg = QtSettingsDialog(parent=self)
        if dlg.exec():
            self.inspector.set_defaults(dlg.settings.default_engine, dlg.settings.default_model)

    def about_dialog(self) -> None:
        QtAboutDialog(self).exec()

    def shortcuts_dialog(self) -> ShortcutsDialog:
        """Help > Keyboard Shortcuts (one window: asked again, it comes to the front)."""
        dlg = next((d for d in self.findChildren(ShortcutsDialog) if d.isVisible()), None)
        if dlg is None:
            dlg = ShortcutsDialog(self)
            dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            dlg.show()
        dlg.raise_()
        dlg.activateWindow()
        return dlg

    def getting_started_dialog(self) -> GettingStartedDialog:
        dlg = GettingStartedDialog(self)
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.show()
        return dlg

    def _update_project_state(self) -> None:
        has = self.svc is not None
        for a in (self.save_as_action, self.save_action, self.undo_action, self.redo_action):
            a.setEnabled(has)
        if has:
            self._update_undo_labels()
        self.actions.update_enabled()
        if has:
            self.setWindowTitle(f"{self.svc.name()} — Previz")  # type: ignore[union-attr]
        else:
            self.setWindowTitle("Previz")
            self.seq_title.setText("No project open")
            self.seq_info.setText("File ▸ New Project or Open Project")

    # --- host interface for the actions -----------------------------------------------------------

    def selected_shot_ids(self) -> list[int]:
        return self.timeline.selected_ids()

    def current_shot_id(self) -> int | None:
        return self.timeline.current_id

    def current_sequence_id(self) -> int | None:
        return self.seq_id

    def engine_choice(self) -> EngineChoice:
        return self.inspector.engine_choice()

    def commit_pending(self) -> bool:
        ok = self.inspector.commit()
        self.takes.commit()
        return ok

    def _autosave_tick(self) -> None:
        """A safety net behind the inspector's idle commit: save what is still pending, but
        never in the middle of a burst of typing (that would split one edit in several)."""
        if self.inspector.typing:
            return
        if self.inspector.has_pending:
            self.inspector.commit()
        if not self.takes.notes.hasFocus():
            self.takes.commit()

    def shot_order(self) -> list[int]:
        return self.timeline.shot_ids()

    def region_source(self) -> RegionSource | None:
        """The take the player shows (the take under the playhead in a sequence), for the
        region edits; None when no take is shown."""
        p = self.player
        found = p.playlist.locate(p.frame) if p.playlist is not None else None
        if self.svc is None or found is None:
            return None
        item, take_frame = found
        if item.take_id is None or item.shot_id is None:
            return None
        try:
            take = self.svc.take_by_id(item.take_id)
        except PrevizError:
            return None
        return RegionSource(item.shot_id, take, take_frame)

    def mask_tool(self) -> Any:
        return self.player.mask_tool

    def start_masking(self) -> None:
        if not self.player.masking:
            self.player.set_mask_mode(True)

    def _mask_mode_changed(self, on: bool) -> None:
        self.mask_action.setChecked(on)
        self.actions.update_region_actions()

    def edit_mask(self, take_id: int) -> bool:
        """Put the masks of region-edit take ``take_id`` back in the player's mask tool, on
        the take it was made from (an inpaint's source), to adjust them and run it again."""
        from previz.services.regions import load_region_masks

        if self.svc is None:
            return False
        try:
            take = self.svc.take_by_id(take_id)
            region = take.recipe.get("region") or {}
            masks = load_region_masks(Path(self.svc.folder), take.recipe)
            if not masks:
                raise PrevizError(f"take {take.number} has no mask to edit")
            target = take.id
            source = take.parents[0] if take.parents else None
            if take.operation == "cinemagraph":
                source = region.get("from_take")  # None: made from an image
            if source is not None:
                try:
                    target = self.svc.take_by_id(source).id
                except PrevizError:
                    target = take.id  # its source was deleted: paint on the take itself
        except Exception as exc:
            show_error(self, exc)
            return False
        self.player.show_take(target)
        self.player.set_mask_mode(True)
        self.player.mask_tool.load(masks, region.get("feather"))
        keys = [f for f, _m in masks if f is not None]
        at = region.get("from_frame") if target != take.id else None
        if at is None and keys:
            at = min(keys)
        if at is not None:
            self.player.seek(int(at))
        self.say(
            f"The mask of take {take.number} is in the player: adjust it, then "
            + ("Inpaint…" if take.operation == "inpaint" else "Make Cinemagraph…")
            + " again"
        )
        return True

    def say(self, text: str) -> None:
        self.statusBar().showMessage(text, 5000)

    def focus_shot(self, shot_id: int) -> None:
        """Select ``shot_id`` once the board shows it."""
        self.refresh_now()
        if self.svc is not None:
            try:
                shot = self.svc.shot(shot_id)
            except NotFound:
                return
            if shot.sequence_id != self.seq_id:
                self.set_sequence(shot.sequence_id)
        self.timeline.select([shot_id], shot_id)

    # --- refresh -----------------------------------------------------------------------------------

    def schedule_refresh(self) -> None:
        if not self._refresh_timer.isActive():
            self._refresh_timer.start()

    def _on_project_changed(self, change: Any) -> None:
        self._changes.append(change)
        self.schedule_refresh()

    def refresh_now(self, force_takes: bool = False) -> None:
        """Re-read everything the window shows from the services."""
        self._refresh_timer.stop()
        self.refreshes += 1
        svc = self.svc
        if svc is None:
            return
        try:
            seqs = svc.sequences()
            if self.seq_id not in {s.id for s in seqs}:
                self.seq_id = seqs[0].id if seqs else None
            self.sequences.set_sequences(seqs, self.seq_id)
            seq = next((s for s in seqs if s.id == self.seq_id), None)
            shots = svc.shots(seq.id) if seq else []
            if seq is not None:
                facts = self._facts.facts(shots)
                self.timeline.set_shots(
                    shots,
                    [f.cut_frames for f in facts],
                    seq.fps,
                    aspect=seq.width / seq.height,
                    drop_frame=seq.drop_frame,
                    facts=facts,
                )
                secs = int(self.timeline.total_frames() / seq.fps)
                self.seq_title.setText(seq.name)
                self.seq_info.setText(
                    f"  {len(shots)} shot{'' if len(shots) == 1 else 's'} · {secs // 60}:{secs % 60:02d} cut · "
                    f"{seq.width}x{seq.height}"
                )
            else:
                self.timeline.set_shots([])
            for sid, frac in self._live.items():
                self.timeline.set_progress(sid, frac)
            elements = svc.elements()
            key = tuple(elements)
            if key != self._elements_key:
                self._elements_key = key
                self.elements.refresh()
                self.inspector.set_elements(elements)
            cur = self.timeline.current_id
            shot = next((s for s in shots if s.id == cur), None)
            self.inspector.set_shot(shot, seq.fps if seq else None)
            # the takes list is re-read only when something about takes may have changed
            changes, self._changes = self._changes, []
            takes_sig = (cur, shot.take_count, shot.selected_take_id) if shot else None
            if (
                takes_sig != self._takes_sig
                or force_takes
                or any(
                    c.kind in ("undo", "redo", "takes") or "take" in c.label.lower()
                    for c in changes
                )
            ):
                self.takes.set_shot(cur)
                self.takes.refresh()
            before, self._takes_sig = self._takes_sig, takes_sig
            same_seq = self.player.mode == "sequence" and self.player.seq_id == self.seq_id
            self.player.refresh(
                shots if same_seq else None, drop_frame=seq.drop_frame if seq else None
            )
            if (
                shot is not None
                and before is not None
                and takes_sig is not None
                and before[0] == cur
                and before[2] != takes_sig[2]
            ):
                self._follow_new_take(shot, before[2])
            self._update_undo_labels()
            self.actions.update_enabled()
            self._update_status()
        except PrevizError as exc:
            log.warning("refresh failed: %s", exc)

    def _cut_length(self, shot: ShotInfo) -> int:
        return shot.duration_frames if self.svc is None else self._facts.cut_frames(shot)

    def _update_undo_labels(self) -> None:
        if self.svc is None:
            return
        undo, redo = self.svc.undo_labels()
        self.undo_action.setText(f"Undo {undo}" if undo else "Undo")
        self.undo_action.setToolTip(
            tooltip_with_shortcut(self.undo_action.text(), self.undo_action)
        )
        self.undo_action.setEnabled(undo is not None)
        self.redo_action.setText(f"Redo {redo}" if redo else "Redo")
        self.redo_action.setToolTip(
            tooltip_with_shortcut(self.redo_action.text(), self.redo_action)
        )
        self.redo_action.setEnabled(redo is not None)

    def _update_status(self) -> None:
        if self.svc is None:
            self.status_label.setText("")
            return
        runner = (
            "jobs run here"
            if self.runner is not None and self.runner.holds_lock
            else "jobs run in another Previz process"
        )
        self.status_label.setText(f"{self.svc.folder}  ·  {runner}")

    def set_sequence(self, seq_id: int) -> None:
        if seq_id == self.seq_id:
            return
        self.commit_pending()
        self.seq_id = seq_id
        self.timeline.select([])
        self.refresh_now()
        ids = self.timeline.shot_ids()
        if ids:
            self.timeline.select([ids[0]], ids[0])
        self.player.show_sequence(seq_id)

    def set_view_mode(self, mode: str) -> None:
        self.timeline.set_mode(mode)
        for m, b in self.mode_buttons.items():
            b.setChecked(m == mode)
        if hasattr(self, "view_actions"):
            self.view_actions[mode].setChecked(True)

    # --- edits -------------------------------------------------------------------------------------

    def undo(self) -> str | None:
        if self.svc is None:
            return None
        self.commit_pending()
        try:
            label = self.svc.undo()
        except Exception as exc:
            show_error(self, exc)
            return None
        self.statusBar().showMessage(f"Undid: {label}" if label else "Nothing to undo", 4000)
        self.refresh_now()
        return label

    def redo(self) -> str | None:
        if self.svc is None:
            return None
        self.commit_pending()
        try:
            label = self.svc.redo()
        except Exception as exc:
            show_error(self, exc)
            return None
        self.statusBar().showMessage(f"Redid: {label}" if label else "Nothing to redo", 4000)
        self.refresh_now()
        return label

    # --- screenplay and export -------------------------------------------------------------------

    def import_screenplay_dialog(self) -> None:
        if self.svc is None:
            return
        path, _ = QFileDialog.getOpenFileName(
            self, "Import Screenplay", str(Path.home()), "Fountain (*.fountain *.spmd *.txt)"
        )
        if path:
            self.import_screenplay(Path(path))

    def import_screenplay(self, path: Path) -> Any:
        """Import (or re-import) a Fountain script as one undoable step; show the report."""
        from previz.services.screenplay_import import import_script

        if self.svc is None:
            return None
        self.commit_pending()
        try:
            report = import_script(self.svc, path)
        except Exception as exc:
            show_error(self, exc, "Import Screenplay")
            return None
        box = QMessageBox(
            QMessageBox.Icon.Information,
            "Import Screenplay",
            report.lines[0] if report.lines else "Imported.",
            parent=self,
        )
        box.setObjectName("importReport")
        if len(report.lines) > 1:
            box.setDetailedText("\n".join([*report.lines[1:], *report.warnings]))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
        self.statusBar().showMessage(report.lines[0] if report.lines else "Imported", 8000)
        return report

    def export_dialog(self) -> Any:
        from previz.ui.export_dialog import ExportDialog

        if self.svc is None:
            return None
        self.commit_pending()
        dlg = ExportDialog(self.svc, self, self.current_sequence_id())
        dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dlg.open()
        return dlg

    def move_shots(self, ids: list[int], slot: int) -> None:
        """Drop ``ids`` at ``slot`` (counted in the order shown before the move)."""
        if self.svc is None:
            return
        self.commit_pending()
        order = self.timeline.shot_ids()
        moving = [i for i in order if i in set(ids)]
        rest = [i for i in order if i not in set(ids)]
        at = slot - sum(1 for i in order[:slot] if i in set(ids))
        target = rest[:at] + moving + rest[at:]
        if target == order:
            return
        try:
            if len(moving) == 1:  # its undo then names the shot: "Undo Move shot 0030"
                self.svc.move_shot(moving[0], at)
            elif hasattr(self.svc, "move_shots"):
                self.svc.move_shots(moving, at)
            else:
                current = list(order)
                for idx, sid in enumerate(target):
                    if current[idx] != sid:
                        self.svc.move_shot(sid, idx)
                        current.remove(sid)
                        current.insert(idx, sid)
        except Exception as exc:
            show_error(self, exc)
        self.refresh_now()
        self.timeline.select(moving, moving[-1] if moving else None)

    def _insert_mention(self, name: str) -> None:
        if self.inspector.shot is None:
            return
        ed = self.inspector.prompt
        ed.setFocus()
        cur = ed.textCursor()
        text = ed.toPlainText()
        before = text[: cur.position()]
        sep = "" if not before or before.endswith((" ", "\n")) else " "
        cur.insertText(f"{sep}@{name} ")

    def _import_media(self, shot_id: int, path: str) -> None:
        if self.svc is None:
            return
        self.commit_pending()
        take = TakesWidget.import_file(self, self.svc, shot_id, path)
        if take is not None:
            self.statusBar().showMessage(f"Imported {Path(path).name} as take {take.number}", 5000)
            self.refresh_now()

    def compare_takes(self, a: int, b: int) -> QtCompareDialog | None:
        if self.svc is None:
            return None
        try:
            dlg = QtCompareDialog(self.svc, a, b, self)
        except Exception as exc:
            show_error(self, exc)
            return None
        dlg.show()
        return dlg

    # --- selection and player ------------------------------------------------------------------

    def _current_shot_changed(self, shot_id: int | None) -> None:
        self.inspector.commit()
        shot = self.timeline.shot(shot_id) if shot_id is not None else None
        seq = self.svc.sequence(self.seq_id) if self.svc and self.seq_id else None
        self.inspector.set_shot(shot, seq.fps if seq else None)
        self.takes.set_shot(shot_id)
        self.actions.update_enabled()
        if shot is None:
            return
        if self.player.mode == "take":
            self.player.show_take(shot.selected_take_id)
        elif not self.player.playing:
            self._seek_to_shot(shot)

    def _follow_new_take(self, shot: ShotInfo, old_take: int | None) -> None:
        """The current shot has a new selected take (an extend or a generation landed, a take
        was selected, an undo): show it, unless the user is playing the sequence."""
        p = self.player
        if p.mode == "take":
            if p.take_id in (old_take, None) or not p.playing:
                p.show_take(shot.selected_take_id)
        elif not p.playing:
            self._seek_to_shot(shot)

    def _seek_to_shot(self, shot: ShotInfo) -> None:
        """Put the sequence playhead on ``shot`` unless it is already inside it."""
        start = self.timeline.start_frame(shot.id)
        if start is None:
            return
        if self.player.seq_id != self.seq_id and self.seq_id is not None:
            self.player.show_sequence(self.seq_id, shot.id)
            return
        if self.player.current_shot_id() != shot.id:
            self.player.seek(start)

    def _card_activated(self, shot_id: int) -> None:
        shot = self.timeline.shot(shot_id)
        if shot is not None and shot.selected_take_id is not None:
            self.player.show_take(shot.selected_take_id)
            self.player.setFocus()

    def _timeline_scrubbed(self, frame: int) -> None:
        if self.seq_id is None:
            return
        if self.player.mode != "sequence":
            self.player.show_sequence(self.seq_id)
        self.player.seek(frame)

    def _player_frame(self, frame: int) -> None:
        if self.player.mode == "sequence":
            self.timeline.set_playhead(frame)
            return
        found = self.player.playlist.locate(frame) if self.player.playlist else None
        sid = found[0].shot_id if found else None
        start = self.timeline.start_frame(sid) if sid is not None else None
        shot = self.timeline.shot(sid) if sid is not None else None
        if start is None or shot is None:
            return
        if found and found[0].take_id != shot.selected_take_id:
            return
        length = self._cut_length(shot)
        self.timeline.set_playhead(start + max(0, min(length - 1, frame - shot.trim_in)))

    def _play_sequence(self) -> None:
        if self.seq_id is not None:
            self.player.show_sequence(self.seq_id, self.timeline.current_id)
            self.player.play()

    def _play_take(self) -> None:
        shot = self.timeline.shot(self.timeline.current_id) if self.timeline.current_id else None
        if shot is not None and shot.selected_take_id is not None:
            self.player.show_take(shot.selected_take_id)
            self.player.play()

    # --- jobs --------------------------------------------------------------------------------------

    def _jobs_queued(self, jobs: list[JobInfo]) -> None:
        n = len(jobs)
        self.statusBar().showMessage(f"Queued {n} job" + ("" if n == 1 else "s"), 4000)
        self.jobs.reload()
        self.schedule_refresh()

    def _on_job_updated(self, job: JobInfo) -> None:
        self.jobs.on_job_changed(job)
        if job.status != "running" and job.shot_id is not None:
            self._live.pop(job.shot_id, None)
            self.timeline.set_progress(job.shot_id, None)
        if job.status == "failed":
            self.statusBar().showMessage(f"A job failed: {job.message}", 8000)
        self.schedule_refresh()

    def _on_progress(self, p: JobProgress) -> None:
        self.jobs.on_progress(p)
        if p.shot_id is not None:
            self._live[p.shot_id] = p.step / max(1, p.total)
            self._live_dirty = True
            if not self._progress_timer.isActive():
                self._progress_timer.start()

    def _flush_progress(self) -> None:
        if not self._live_dirty:
            return
        self._live_dirty = False
        for sid, frac in self._live.items():
            self.timeline.set_progress(sid, frac)

    def _on_take_created(self, take: Any) -> None:
        self.statusBar().showMessage(f"New take {take.number} is ready", 4000)
        self._live.pop(take.shot_id, None)
        self.timeline.set_progress(take.shot_id, None)
        self.schedule_refresh()

    # --- layout and closing --------------------------------------------------------------------

    def restore_layout(self) -> None:
        s = layout_settings()
        if s.value("layout_version", 0, type=int) != LAYOUT_VERSION:
            return
        geo = s.value("geometry")
        state = s.value("state")
        split = s.value("splitter")
        if isinstance(geo, QByteArray):
            self.restoreGeometry(geo)
        if isinstance(state, QByteArray):
            self.restoreState(state, LAYOUT_VERSION)
        if isinstance(split, QByteArray):
            self.splitter.restoreState(split)
        mode = s.value("view_mode", "timeline")
        if mode in ("timeline", "board"):
            self.set_view_mode(str(mode))

    def save_layout(self) -> None:
        s = layout_settings()
        s.setValue("layout_version", LAYOUT_VERSION)
        s.setValue("geometry", self.saveGeometry())
        s.setValue("state", self.saveState(LAYOUT_VERSION))
        s.setValue("splitter", self.splitter.saveState())
        s.setValue("view_mode", self.timeline.mode)
        s.sync()

    def closeEvent(self, event: QCloseEvent) -> None:
        t0 = time.monotonic()
        self.commit_pending()
        self.save_layout()
        self.close_project()
        log.debug("closed in %.2fs", time.monotonic() - t0)
        event.accept()
