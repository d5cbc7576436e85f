"""Every take of the current shot: thumbnail, recipe, lineage, rating, circle, notes.

Select a take (double-click or Select), rate it, circle it, write a note, delete it (undoable
with Ctrl+Z), compare two side by side, or import a video or still as a new take. A take made
by a region edit (Inpaint, Cinemagraph) offers Edit mask…: its mask goes back into the player's
mask tool, to adjust and run again.
"""

from __future__ import annotations

import logging
from fractions import Fraction
from pathlib import Path
from typing import Any

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QApplication,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from previz.core.errors import NotFound, PrevizError
from previz.core.values import TakeInfo
from previz.services.takes import draft_sources
from previz.ui.empty_state import EmptyState, shortcut_text
from previz.ui.errors import show_error
from previz.ui.thumbnails import ThumbnailCache

log = logging.getLogger(__name__)

VERBS = {
    "extend": "extended from",
    "remix": "remixed from",
    "loop": "looped from",
    "bridge": "bridged between",
    "inpaint": "inpainted from",
    "cinemagraph": "a cinemagraph of a frame of",
}
OPERATION_NAMES = {"inpaint": "Inpaint", "cinemagraph": "Cinemagraph"}
THUMB = QSize(112, 63)
DRAFT_BADGE = QColor("#d9a441")  # amber: a draft, like a watermark on a temp render


class TakesWidget(QWidget):
    take_activated = Signal(int)  # take id: show it in the player
    compare_requested = Signal(int, int)
    import_requested = Signal(int, str)  # shot id, file
    reroll_requested = Signal(int, int, int)  # shot id, take number, window (1-based)
    rerender_requested = Signal(int, int)  # shot id, take number of a draft
    mask_edit_requested = Signal(int)  # take id of a region edit: its mask into the player

    def __init__(self, thumbs: ThumbnailCache | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.svc: Any = None
        self.shot_id: int | None = None
        self.thumbs = thumbs or ThumbnailCache()
        self._takes: list[TakeInfo] = []
        self._loading = False
        self._last_selected: int | None = None
        self._row_ids: list[int] = []  # take id of each row, newest first
        self._signature: tuple[Any, ...] | None = None
        self._draft_of: dict[int, int] = {}  # full-quality take id -> the draft it re-renders
        self._full_of: dict[int, int] = {}  # draft take id -> its newest full-quality take

        self.title = QLabel("Takes")
        self.title.setStyleSheet("font-weight: 600; padding: 2px 0;")
        self.list = QListWidget()
        self.list.setIconSize(THUMB)
        self.list.setSelectionMode(QListWidget.SelectionMode.ExtendedSelection)
        self.list.setWordWrap(True)
        self.list.setSpacing(2)
        self.list.setUniformItemSizes(False)
        self.list.itemDoubleClicked.connect(lambda _i: self.select_current())
        self.list.currentItemChanged.connect(self._current_changed)
        self.list.itemSelectionChanged.connect(self._update_buttons)

        self.btn_select = QPushButton("Select")
        self.btn_select.setToolTip("Use this take in the sequence")
        self.btn_select.clicked.connect(self.select_current)
        self.stars: list[QToolButton] = []
        stars = QHBoxLayout()
        stars.setSpacing(0)
        for n in range(1, 6):
            b = QToolButton()
            b.setText("☆")
            b.setAutoRaise(True)
            b.setToolTip(f"Rate {n} star" + ("s" if n > 1 else "") + " (click again to clear)")
            b.clicked.connect(lambda _c=False, n=n: self.rate_current(n))
            self.stars.append(b)
            stars.addWidget(b)
        self.btn_circle = QPushButton("Circle")
        self.btn_circle.setCheckable(True)
        self.btn_circle.setToolTip("Circle this take (a keeper)")
        self.btn_circle.clicked.connect(self._circle_clicked)
        self.btn_delete = QPushButton("Delete")
        self.btn_delete.setToolTip("Delete this take (Edit ▸ Undo brings it back)")
        self.btn_delete.clicked.connect(self.delete_current)
        self.btn_compare = QPushButton("Compare")
        self.btn_compare.setToolTip("Select two takes to compare them side by side")
        self.btn_compare.clicked.connect(self._compare_clicked)
        self.btn_import = QPushButton("Import…")
        self.btn_import.setToolTip("Import a video or a still image as a new take")
        self.btn_import.clicked.connect(self._import_clicked)
        self.btn_mask = QPushButton("Edit mask…")
        self.btn_mask.setToolTip(
            "Put this take's mask back in the player's mask tool, to adjust it and run the "
            "edit again"
        )
        self.btn_mask.clicked.connect(self._mask_clicked)
        self.btn_mask.hide()
        # A long take's windows: re-roll from any of them (keeps the windows before it).
        self.windows = QComboBox()
        self.windows.setToolTip("The windows this long take was made in")
        self.windows.currentIndexChanged.connect(self._window_tip)
        self.btn_reroll = QPushButton("Re-roll from here")
        self.btn_reroll.setToolTip(
            "A new take that keeps the windows before this one and remakes the rest"
        )
        self.btn_reroll.clicked.connect(self._reroll_clicked)
        self.btn_rerender = QPushButton("Render full quality")
        self.btn_rerender.setToolTip("Re-render this draft at full quality with the same seed")
        self.btn_rerender.clicked.connect(self._rerender_clicked)
        # once a draft's full-quality take exists, the button gives way to a link to it
        self.btn_full = QPushButton()
        self.btn_full.setFlat(True)
        self.btn_full.setCursor(Qt.CursorShape.PointingHandCursor)
        self.btn_full.setStyleSheet("color: #6fa8dc; text-decoration: underline; border: none;")
        self.btn_full.clicked.connect(self._full_clicked)
        self.empty = EmptyState()
        self.stack = QStackedWidget()
        self.stack.addWidget(self.list)
        self.stack.addWidget(self.empty)
        self.notes = QLineEdit()
        self.notes.setPlaceholderText("Notes on this take")
        self.notes.editingFinished.connect(self._notes_done)

        row1 = QHBoxLayout()
        row1.addWidget(self.btn_select)
        row1.addLayout(stars)
        row1.addWidget(self.btn_circle)
        row1.addStretch(1)
        row2 = QHBoxLayout()
        row2.addWidget(self.btn_compare)
        row2.addWidget(self.btn_delete)
        row2.addStretch(1)
        row2.addWidget(self.btn_import)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 4, 8, 8)
        lay.addWidget(self.title)
        lay.addWidget(self.stack, 1)
        lay.addLayout(row1)
        # a region take's Edit mask… on a line of its own: beside Compare, Delete and Import…
        # it made the panel (and so the window) wider than a 1280 px screen
        mrow = QHBoxLayout()
        mrow.addWidget(self.btn_mask)
        mrow.addStretch(1)
        lay.addLayout(mrow)
        # a long take's window picker on its own line, its buttons below: side by side they
        # made the panel (and so the window) too wide for a 1280 px screen
        self.long_row = QWidget()
        lcol = QVBoxLayout(self.long_row)
        lcol.setContentsMargins(0, 0, 0, 0)
        lcol.setSpacing(2)
        self.windows.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.windows.setMinimumContentsLength(12)
        lcol.addWidget(self.windows)
        lrow = QHBoxLayout()
        lrow.setContentsMargins(0, 0, 0, 0)
        lcol.addLayout(lrow)
        lrow.addWidget(self.btn_reroll)
        lrow.addWidget(self.btn_rerender)
        lrow.addWidget(self.btn_full)
        lrow.addStretch(0)  # a lone link or button sits at the left, not in the middle
        lay.addWidget(self.long_row)
        self.long_row.hide()  # until a long take or a draft is current
        lay.addWidget(self.notes)
        lay.addLayout(row2)
        self._update_buttons()

    # --- data ---------------------------------------------------------------------------------

    def set_project(self, svc: Any) -> None:
        self.svc = svc
        self.shot_id = None
        self._signature = None
        self.thumbs.clear()
        self.refresh()

    def set_shot(self, shot_id: int | None) -> None:
        if shot_id != self.shot_id:
            self.shot_id = shot_id
            self._last_selected = None
            self._signature = None
            self.refresh()

    def takes(self) -> list[TakeInfo]:
        return list(self._takes)

    def refresh(self) -> None:
        keep = self.current_take()
        keep_id = keep.id if keep else None
        takes: list[TakeInfo] = []
        label = ""
        draft_of: dict[int, int] = {}
        if self.svc is not None and self.shot_id is not None:
            try:
                label = self.svc.shot(self.shot_id).label
                takes = self.svc.takes(self.shot_id)
                draft_of = draft_sources(self.svc, self.shot_id) if takes else {}
            except NotFound:
                self.shot_id = None
        signature = (
            label,
            tuple((t.id, t.rating, t.circled, t.notes, t.selected, t.frame_count) for t in takes),
            tuple(draft_of.items()),
        )
        self.title.setText(f"Takes of {label}  ({len(takes)})" if label else "Takes")
        self._show_empty(label, bool(takes))
        if signature == self._signature:
            return  # nothing the list shows has changed
        self._signature = signature
        self._takes = takes
        self._draft_of = draft_of
        self._full_of = {draft: full for full, draft in draft_of.items()}  # newest wins
        names = self._names()
        selected = next((t.id for t in takes if t.selected), None)
        if selected != self._last_selected:
            keep_id = None  # a new take went into the cut: follow it
        self._last_selected = selected
        current_row = None
        self._loading = True
        # the list is rebuilt with its signals blocked: no slot runs while items are deleted
        self.list.blockSignals(True)
        try:
            self.list.clear()
            self._row_ids = []
            for t in reversed(takes):  # newest first
                text = self._describe(t, names)
                item = QListWidgetItem(text)
                # a long line is elided by the list: the whole text is in the tooltip
                item.setToolTip(f"{text}\nPrompt: {t.prompt}" if t.prompt else text)
                item.setIcon(self._icon(t))
                # tall enough for every line plus one wrapped (a note, a draft's link)
                lines = text.count("\n") + 2
                tall = self.list.fontMetrics().lineSpacing() * lines + 6
                item.setSizeHint(QSize(0, max(THUMB.height() + 14, tall)))
                if t.selected:
                    f = item.font()
                    f.setBold(True)
                    item.setFont(f)
                self.list.addItem(item)
                self._row_ids.append(t.id)
                if t.id == keep_id or (keep_id is None and t.selected):
                    current_row = len(self._row_ids) - 1
            if current_row is not None:
                self.list.setCurrentRow(current_row)
        finally:
            self.list.blockSignals(False)
            self._loading = False
        self._load_current()

    def _show_empty(self, label: str, has_takes: bool) -> None:
        """Say what to do when the list would be empty: pick a shot, then generate."""
        gen = f"Generate{shortcut_text(self, 'Generate')}"
        if has_takes:
            self.stack.setCurrentWidget(self.list)
            return
        if self.svc is None:
            text = "No project open — open or create one (File menu) to start making takes"
        elif not label:
            text = f"No takes yet — select a shot and press {gen}"
        else:
            text = (
                f"No takes of {label} yet — press {gen} to make the first one, "
                "or Import… a video or still"
            )
        self.empty.setText(text)
        self.stack.setCurrentWidget(self.empty)

    def showEvent(self, event: Any) -> None:  # the window's actions exist once it is shown
        super().showEvent(event)
        if self.stack.currentWidget() is self.empty:
            self._signature = None
            self.refresh()

    def _names(self) -> dict[int, str]:
        """Short names of every take a lineage line may mention (other shots: with label)."""
        names = {t.id: f"T{t.number}" for t in self._takes}
        for t in self._takes:
            for pid in t.parents:
                if pid in names:
                    continue
                try:
                    p = self.svc.take_by_id(pid)
                    names[pid] = f"{self.svc.shot(p.shot_id).label} T{p.number}"
                except PrevizError:
                    names[pid] = "a deleted take"
        return names

    @staticmethod
    def lineage(t: TakeInfo, names: dict[int, str]) -> str:
        if t.operation == "import":
            src = t.recipe.get("source_file") or "a file"
            return f"imported from {src}"
        if not t.parents:
            if t.operation == "cinemagraph":
                return "a cinemagraph of a still image"
            return "image to video" if t.operation == "image_to_video" else "from the prompt"
        verb = VERBS.get(t.operation, "made from")
        parents = " and ".join(names.get(p, f"take #{p}") for p in t.parents)
        return f"{verb} {parents}"

    def _describe(self, t: TakeInfo, names: dict[int, str]) -> str:
        flags = []
        if t.recipe.get("draft"):
            flags.append("DRAFT")
        if t.selected:
            flags.append("● in the cut")
        if t.circled:
            flags.append("◎ circled")
        stars = "★" * t.rating + "☆" * (5 - t.rating) if t.rating else ""
        secs = float(Fraction(t.frame_count) / t.fps) if t.fps else 0.0
        head = f"Take {t.number}   " + "   ".join(flags + ([stars] if stars else []))
        engine = t.engine + (f" ({t.model})" if t.model else "")
        op = OPERATION_NAMES.get(t.operation, t.operation)
        windows = t.recipe.get("windows") or []
        if op == "long" and windows:
            how = "one long-video call" if t.recipe.get("long_method") == "pipeline" else "chained"
            op = f"long shot, {len(windows)} windows ({how})"
        recipe = f"{op} · {engine} · seed {t.seed} · {t.frame_count} f ({secs:.1f}s)"
        lineage = self.lineage(t, names)
        if t.id in self._draft_of:
            draft = self._draft_of[t.id]
            lineage = f"full-quality render of draft {names.get(draft, f'take #{draft}')}"
        lines = [head, recipe, lineage]
        if t.id in self._full_of:
            full = next((x for x in self._takes if x.id == self._full_of[t.id]), None)
            if full is not None:
                lines.append(f"Full quality: take {full.number}")
        if t.notes:
            lines.append(f"“{t.notes}”")
        return "\n".join(lines)

    def _icon(self, t: TakeInfo) -> QIcon:
        pm = None
        if t.thumbnail and self.svc is not None:
            pm = self.thumbs.get(Path(self.svc.folder) / t.thumbnail, THUMB)
        if pm is None:
            pm = QPixmap(THUMB)
            pm.fill(Qt.GlobalColor.black)
        if t.recipe.get("draft"):
            pm = self._badge(pm, "DRAFT")
        return QIcon(pm)

    def _badge(self, pm: QPixmap, text: str) -> QPixmap:
        """The thumbnail with an amber tag in its corner (a copy; the cache keeps the plain one)."""
        out = QPixmap(pm)
        p = QPainter(out)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        f = QFont(self.font())
        f.setPixelSize(10)
        f.setBold(True)
        p.setFont(f)
        w = p.fontMetrics().horizontalAdvance(text) + 8
        box = QRectF(3, 3, w, 14)
        p.setPen(Qt.PenStyle.NoPen)
        p.setBrush(DRAFT_BADGE)
        p.drawRoundedRect(box, 3, 3)
        p.setPen(QColor("#1b1b1b"))
        p.drawText(box, Qt.AlignmentFlag.AlignCenter, text)
        p.end()
        return out

    def current_take(self) -> TakeInfo | None:
        row = self.list.currentRow()
        if not 0 <= row < len(self._row_ids):
            return None
        tid = self._row_ids[row]
        return next((t for t in self._takes if t.id == tid), None)

    def selected_takes(self) -> list[TakeInfo]:
        rows = {i.row() for i in self.list.selectionModel().selectedRows()}
        ids = {self._row_ids[r] for r in rows if 0 <= r < len(self._row_ids)}
        return [t for t in self._takes if t.id in ids]

    def set_current_take(self, take_id: int) -> None:
        if take_id in self._row_ids:
            self.list.setCurrentRow(self._row_ids.index(take_id))

    def _current_changed(self, *_args: Any) -> None:
        if self._loading:
            return
        self._load_current()
        t = self.current_take()
        if t is not None:
            self.take_activated.emit(t.id)

    def _load_current(self) -> None:
        t = self.current_take()
        if not (self.notes.hasFocus() and self.notes.isModified()):
            self.notes.blockSignals(True)
            self.notes.setText(t.notes if t else "")
            self.notes.setModified(False)
            self.notes.blockSignals(False)
        for n, b in enumerate(self.stars, start=1):
            b.setText("★" if t and t.rating >= n else "☆")
        self.btn_circle.setChecked(bool(t and t.circled))
        self._load_windows(t)
        self._update_buttons()

    def _load_windows(self, t: TakeInfo | None) -> None:
        windows = (t.recipe.get("windows") or []) if t else []
        fps = float(t.fps) if t else 24.0
        self.windows.blockSignals(True)
        self.windows.clear()
        for i, w in enumerate(windows, start=1):
            a, b = w["start"] / fps, w["end"] / fps
            prompt = w.get("prompt", "")
            short = prompt if len(prompt) <= 40 else prompt[:39] + "…"
            self.windows.addItem(f"Window {i}: {a:.1f}–{b:.1f} s  {short}")
            full = f"Window {i}: {a:.1f}–{b:.1f} s  {prompt}"
            self.windows.setItemData(i - 1, full, Qt.ItemDataRole.ToolTipRole)
        self.windows.blockSignals(False)
        self._window_tip()
        long_take = len(windows) > 1
        draft = bool(t and t.recipe.get("draft"))
        full_id = self._full_of.get(t.id) if t is not None else None
        full = next((x for x in self._takes if x.id == full_id), None)
        self.windows.setVisible(long_take)
        self.btn_reroll.setVisible(long_take)
        self.btn_rerender.setVisible(draft and full is None)
        self.btn_full.setVisible(draft and full is not None)
        if full is not None:
            self.btn_full.setText(f"Full quality: take {full.number}")
            self.btn_full.setToolTip(f"Go to take {full.number}, this draft rendered in full")
        self.long_row.setVisible(long_take or draft)

    def _window_tip(self, *_args: Any) -> None:
        """The combo shows a window's prompt cut short: its tooltip has all of it."""
        full = self.windows.currentData(Qt.ItemDataRole.ToolTipRole)
        self.windows.setToolTip(full or "The windows this long take was made in")

    def _full_clicked(self) -> None:
        t = self.current_take()
        if t is not None and t.id in self._full_of:
            self.set_current_take(self._full_of[t.id])

    def _reroll_clicked(self) -> None:
        t = self.current_take()
        if t is not None and self.shot_id is not None and self.windows.count() > 1:
            self.reroll_requested.emit(self.shot_id, t.number, self.windows.currentIndex() + 1)

    def _rerender_clicked(self) -> None:
        t = self.current_take()
        if t is not None and self.shot_id is not None:
            self.rerender_requested.emit(self.shot_id, t.number)

    def _update_buttons(self) -> None:
        t = self.current_take()
        has = t is not None
        for w in (self.btn_select, self.btn_circle, self.btn_delete, self.notes, *self.stars):
            w.setEnabled(has)
        self.btn_select.setEnabled(has and not t.selected)  # type: ignore[union-attr]
        self.btn_compare.setEnabled(len(self.selected_takes()) == 2)
        self.btn_import.setEnabled(self.shot_id is not None)
        self.btn_mask.setVisible(bool(t and (t.recipe.get("region") or {}).get("masks")))

    # --- edits --------------------------------------------------------------------------------

    def _run(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:
            show_error(self, exc)
            return None

    def select_current(self) -> None:
        t = self.current_take()
        if t is not None and self.shot_id is not None:
            self._run(self.svc.select_take, self.shot_id, t.number)

    def rate_current(self, stars: int) -> None:
        t = self.current_take()
        if t is not None and self.shot_id is not None:
            value = 0 if t.rating == stars else stars
            self._run(self.svc.rate_take, self.shot_id, t.number, rating=value)

    def _circle_clicked(self) -> None:
        self.circle_current(self.btn_circle.isChecked())

    def circle_current(self, on: bool) -> None:
        t = self.current_take()
        if t is not None and self.shot_id is not None:
            self._run(self.svc.rate_take, self.shot_id, t.number, circled=on)

    def _notes_done(self) -> None:
        t = self.current_take()
        if t is not None and self.shot_id is not None and self.notes.text() != t.notes:
            self._run(self.svc.rate_take, self.shot_id, t.number, notes=self.notes.text())
        self.notes.setModified(False)

    def commit(self) -> None:
        """Save a note still being typed."""
        self._notes_done()

    def delete_current(self) -> None:
        t = self.current_take()
        if t is not None and self.shot_id is not None:
            self._run(self.svc.remove_take, self.shot_id, t.number)

    def _mask_clicked(self) -> None:
        t = self.current_take()
        if t is not None:
            self.mask_edit_requested.emit(t.id)

    def _compare_clicked(self) -> None:
        sel = self.selected_takes()
        if len(sel) == 2:
            self.compare_requested.emit(sel[0].id, sel[1].id)

    def _import_clicked(self) -> None:
        if self.shot_id is None:
            return
        path, _ = QFileDialog.getOpenFileName(
            self,
            "Import a video or still as a take",
            str(Path.home()),
            "Video or image (*.mp4 *.mov *.m4v *.mkv *.avi *.webm *.png *.jpg *.jpeg *.webp "
            "*.bmp *.tif *.tiff);;All files (*)",
        )
        if path:
            self.import_requested.emit(self.shot_id, path)

    @staticmethod
    def import_file(parent: QWidget, svc: Any, shot_id: int, path: str) -> TakeInfo | None:
        """Import ``path`` as a new take of ``shot_id`` (video conformed, still held)."""
        try:
            from previz.services.media_import import import_take
        except ImportError:
            show_error(parent, PrevizError("importing media is not available in this build"))
            return None
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            return import_take(svc, shot_id, path)
        except Exception as exc:
            QApplication.restoreOverrideCursor()
            show_error(parent, exc)
            return None
        finally:
            if QApplication.overrideCursor() is not None:
                QApplication.restoreOverrideCursor()
