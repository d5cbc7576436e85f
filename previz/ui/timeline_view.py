"""The storyboard timeline: the current sequence's shots as cards, in order.

A custom-painted scroll area (not one widget per card) so a sequence of 500+ shots stays fast:
the card layout is a list of rectangles computed once per change, painting visits only the
cards that intersect the viewport (found by bisection), and thumbnails come scaled from a
cache. Two modes: *timeline* (one row, widths proportional to each shot's cut length, a ruler
and a playhead) and *board* (a grid of equal cards).

The view owns no project state: it shows what :meth:`set_shots` gives it and reports intent
through signals (move, insert, delete, drop an image); the main window turns those into
service commands. Dragging cards uses QDrag, whose drop lands in :meth:`drop_shots` — a plain
method, so tests drive exactly the path a drop takes.
"""

from __future__ import annotations

import bisect
import json
import logging
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from PySide6.QtCore import QEvent, QMimeData, QPoint, QRect, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QDrag,
    QFont,
    QFontMetrics,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPen,
    QPolygon,
    QWheelEvent,
)
from PySide6.QtWidgets import QAbstractScrollArea, QApplication, QToolTip, QWidget

from previz.core.time import frames_to_timecode
from previz.core.values import ShotInfo
from previz.services.shot_facts import ShotFacts
from previz.ui import theme
from previz.ui.thumbnails import ThumbnailCache

log = logging.getLogger(__name__)

SHOT_MIME = "application/x-previz-shot-ids"
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".gif"}
VIDEO_SUFFIXES = {".mp4", ".mov", ".m4v", ".mkv", ".avi", ".webm", ".mxf"}

RULER_H = 22
MARGIN = 10
GAP = 8
FOOTER_H = 40
MIN_CARD_W = 64  # at least this wide, and wide enough for the shot code (see _min_card_w)
CARD_PAD = 7  # text inset inside a card
BOARD_GAP = 14

STATUS_TEXT = {
    "empty": "",
    "queued": "Queued",
    "generating": "Generating",
    "done": "Done",
    "failed": "Failed",
}


@dataclass(frozen=True)
class CardText:
    """What a card says, as the user reads it (painting and tests use the same strings)."""

    label: str
    duration: str
    takes: str
    status: str
    caption: str
    draft: bool = False  # the selected take is a draft
    warning: str = ""  # e.g. a bridge whose sources are no longer its neighbours


@dataclass(frozen=True)
class CardShown:
    """What a card actually paints at its current width: a narrow card keeps a readable
    minimum (the shot code, a take badge such as "T1") and never a clipped "1/0…" or a
    one-letter badge; whatever it leaves out is in :meth:`TimelineView.card_tooltip`."""

    label: str  # the full label, or the shot code alone on a narrow card
    duration: str  # "" when it does not fit
    takes: str  # "T1 of 3", "T1", or "" (no take)
    status: str  # the status word, or "" (a coloured dot only)
    draft: str  # "DRAFT" or ""
    warning: bool


class TimelineView(QAbstractScrollArea):
    selection_changed = Signal()
    current_changed = Signal(object)  # shot id or None
    activated = Signal(int)  # double-click on a card
    move_requested = Signal(list, int)  # shot ids, slot (0..n, in the order before the move)
    insert_requested = Signal(int)  # a new shot at this index
    delete_requested = Signal()
    image_dropped = Signal(int, str)  # shot id, image file: image to video
    media_dropped = Signal(int, str)  # shot id, video file: import as a take
    playhead_moved = Signal(int)  # sequence frame, from the ruler
    context_menu_requested = Signal(QPoint)  # global position

    def __init__(self, thumbs: ThumbnailCache | None = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.thumbs = thumbs or ThumbnailCache()
        self.folder: Path | None = None
        self.mode = "timeline"
        self.fps = Fraction(24)
        self.drop_frame = False
        self.px_per_frame = 1.6
        self.board_card_w = 212
        self.aspect = 16 / 9
        self._shots: list[ShotInfo] = []
        self._lengths: list[int] = []
        self._starts: list[int] = []  # sequence frame of each card
        self._rects: list[QRect] = []  # content coordinates
        self._lefts: list[int] = []
        self._rights: list[int] = []
        self._cols = 1
        self._content = QSize(0, 0)
        self._index: dict[int, int] = {}
        self._selected: set[int] = set()
        self._current: int | None = None
        self._anchor: int | None = None
        self._progress: dict[int, float] = {}
        self._playhead: int | None = None
        self._hover_gap: int | None = None
        self._drop_slot: int | None = None
        self._drop_card: int | None = None
        self._press: tuple[QPoint, int | None, bool] | None = None  # pos, card, on ruler
        self._needs_fit = True
        self.key_handler = None  # callable(QKeyEvent) -> bool: keys the player handles
        self.paint_count = 0
        self.cards_painted = 0
        self.setAcceptDrops(True)
        self.viewport().setAcceptDrops(True)
        self.viewport().setMouseTracking(True)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMinimumHeight(150)
        self.setFrameShape(QAbstractScrollArea.Shape.NoFrame)
        self.viewport().setAutoFillBackground(False)
        self._font = QFont(self.font())
        self._bold = QFont(self.font())
        self._bold.setBold(True)
        self._small = QFont(self.font())
        self._small.setPointSizeF(max(7.0, self.font().pointSizeF() - 1.5))
        self._fm = QFontMetrics(self._font)
        self._fm_small = QFontMetrics(self._small)
        self._fm_bold = QFontMetrics(self._bold)
        self._facts: list[ShotFacts | None] = []
        self._min_w = MIN_CARD_W

    # --- data ---------------------------------------------------------------------------------

    def set_project_folder(self, folder: Path | None) -> None:
        self.folder = folder
        self._needs_fit = True
        self.thumbs.clear()
        self.viewport().update()

    def set_shots(
        self,
        shots: list[ShotInfo],
        lengths: list[int] | None = None,
        fps: Fraction | None = None,
        *,
        aspect: float | None = None,
        drop_frame: bool = False,
        facts: list[ShotFacts] | None = None,
    ) -> None:
        """Show ``shots`` in order; ``lengths`` are their cut lengths in frames (trims applied),
        the planned durations when not given; ``facts`` mark drafts and moved bridges."""
        self._shots = list(shots)
        self._facts = list(facts) if facts is not None else [None] * len(self._shots)
        codes = [self._fm_bold.horizontalAdvance(s.code) for s in self._shots]
        self._min_w = max([MIN_CARD_W] + [w + 2 * CARD_PAD + 2 for w in codes])
        self._lengths = list(lengths) if lengths is not None else [s.duration_frames for s in shots]
        if fps is not None:
            self.fps = Fraction(fps)
        if aspect:
            self.aspect = aspect
        self.drop_frame = drop_frame
        self._index = {s.id: i for i, s in enumerate(self._shots)}
        self._selected &= set(self._index)
        if self._current is not None and self._current not in self._index:
            self._current = None
        self._progress = {k: v for k, v in self._progress.items() if k in self._index}
        if self._needs_fit and self._lengths:
            self._needs_fit = False
            self.fit_zoom()
        self._starts = []
        t = 0
        for n in self._lengths:
            self._starts.append(t)
            t += n
        self._relayout()

    def shot_ids(self) -> list[int]:
        return [s.id for s in self._shots]

    def shots(self) -> list[ShotInfo]:
        return list(self._shots)

    def shot(self, shot_id: int) -> ShotInfo | None:
        i = self._index.get(shot_id)
        return None if i is None else self._shots[i]

    def total_frames(self) -> int:
        return sum(self._lengths)

    def start_frame(self, shot_id: int) -> int | None:
        i = self._index.get(shot_id)
        return None if i is None else self._starts[i]

    def card_text(self, index: int) -> CardText:
        s = self._shots[index]
        n = self._lengths[index]
        secs = float(Fraction(n) / self.fps)
        if s.take_count == 0:
            takes = "no take"
        elif s.selected_take_number is not None:
            takes = f"T{s.selected_take_number} of {s.take_count}"
        else:
            takes = f"{s.take_count} take" + ("s" if s.take_count != 1 else "")
        status = STATUS_TEXT.get(s.status, s.status)
        prog = self._progress.get(s.id)
        if s.status == "generating" or prog is not None:
            status = "Generating" + (f" {round(prog * 100)}%" if prog is not None else "")
        caption = s.dialogue or s.prompt
        facts = self._facts[index] if index < len(self._facts) else None
        return CardText(
            s.label,
            f"{secs:.1f}s",
            takes,
            status,
            caption.replace("\n", " "),
            draft=bool(facts and facts.draft),
            warning=facts.bridge_note if facts else "",
        )

    def card_tooltip(self, index: int) -> str:
        """The card's full text, whatever its width hides."""
        t = self.card_text(index)
        s = self._shots[index]
        head = f"{t.label} · {t.duration}"
        if s.duration_frames != self._lengths[index]:
            head += f" (planned {float(Fraction(s.duration_frames) / self.fps):.1f}s)"
        lines = [head, t.takes + (" · draft" if t.draft else "")]
        if t.status:
            lines[-1] += f" · {t.status}"
        if t.warning:
            lines.append(t.warning)
        if t.caption:
            lines.append(t.caption)
        return "\n".join(lines)

    def _layout_text(self, index: int, r: QRect) -> CardShown:
        t = self.card_text(index)
        s = self._shots[index]
        foot_w = r.width() - 2 * CARD_PAD
        dur_w = self._fm_small.horizontalAdvance(t.duration) + 6
        label_w = self._fm_bold.horizontalAdvance(t.label)
        if label_w + dur_w <= foot_w:
            label, duration = t.label, t.duration
        elif label_w <= foot_w:
            label, duration = t.label, ""
        else:
            label, duration = s.code, ""
            if self._fm_bold.horizontalAdvance(s.code) + dur_w <= foot_w:
                duration = t.duration
        # badges along the top of the picture: status on the left, take on the right
        room = r.width() - 2 - 15  # the picture, less the badges' outer margins and gap
        takes = ""
        if s.take_count:
            short = f"T{s.selected_take_number}" if s.selected_take_number else str(s.take_count)
            takes = t.takes if self._pill_w(t.takes) + 17 <= room else short
            room -= self._pill_w(takes)
        status = t.status
        if status and self._pill_w(status) + 16 > room:
            status = ""  # a dot says it; the tooltip has the word
        return CardShown(
            label, duration, takes, status, "DRAFT" if t.draft else "", bool(t.warning)
        )

    def card_shown(self, index: int) -> CardShown:
        """What card ``index`` paints at its current size (see :class:`CardShown`)."""
        return self._layout_text(index, self._rects[index])

    def _pill_w(self, text: str) -> int:
        return self._fm_small.horizontalAdvance(text) + 10

    def has_thumbnail(self, index: int) -> bool:
        """Whether the card shows a picture (the selected take's thumbnail loaded)."""
        s = self._shots[index]
        if not s.thumbnail or self.folder is None:
            return False
        r = self._thumb_rect(self._rects[index])
        return self.thumbs.get(self.folder / s.thumbnail, r.size()) is not None

    # --- state --------------------------------------------------------------------------------

    def set_mode(self, mode: str) -> None:
        if mode not in ("timeline", "board"):
            raise ValueError(mode)
        if mode != self.mode:
            self.mode = mode
            self._relayout()
            if self._current is not None:
                self.ensure_visible(self._current)

    def set_progress(self, shot_id: int, fraction: float | None) -> None:
        if fraction is None:
            if self._progress.pop(shot_id, None) is None:
                return
        else:
            self._progress[shot_id] = max(0.0, min(1.0, fraction))
        i = self._index.get(shot_id)
        if i is not None:
            self.viewport().update(self._to_view(self._rects[i]).adjusted(-2, -2, 2, 2))

    def clear_progress(self) -> None:
        self._progress.clear()
        self.viewport().update()

    def set_playhead(self, frame: int | None) -> None:
        if frame == self._playhead:
            return
        old = self._playhead_rect()
        self._playhead = frame
        self.viewport().update(old)
        self.viewport().update(self._playhead_rect())

    @property
    def playhead(self) -> int | None:
        return self._playhead

    def selected_ids(self) -> list[int]:
        return [s.id for s in self._shots if s.id in self._selected]

    @property
    def current_id(self) -> int | None:
        return self._current

    def select(self, ids: list[int], current: int | None = None) -> None:
        ids = [i for i in ids if i in self._index]
        new_current = current if current in self._index else (ids[-1] if ids else None)
        changed = set(ids) != self._selected
        self._selected = set(ids)
        self._anchor = new_current
        self.viewport().update()
        if changed:
            self.selection_changed.emit()
        if new_current != self._current:
            self._current = new_current
            self.current_changed.emit(new_current)
        if new_current is not None:
            self.ensure_visible(new_current)

    def select_all(self) -> None:
        self.select(self.shot_ids(), self._current)

    # --- drop path (QDrag ends here; tests call it directly) ------------------------------------

    def drop_shot(self, shot_id: int, index: int) -> None:
        self.drop_shots([shot_id], index)

    def drop_shots(self, shot_ids: list[int], index: int) -> None:
        """Move ``shot_ids`` to slot ``index`` (0 = before the first card, n = after the last,
        counted in the order shown before the move)."""
        ids = [i for i in shot_ids if i in self._index]
        if not ids:
            return
        index = max(0, min(index, len(self._shots)))
        self.move_requested.emit(ids, index)

    def drop_file(self, shot_id: int, path: str) -> bool:
        """An image makes the shot move (image to video); a video is imported as a take."""
        suffix = Path(path).suffix.lower()
        if shot_id not in self._index:
            return False
        if suffix in IMAGE_SUFFIXES:
            self.image_dropped.emit(shot_id, path)
            return True
        if suffix in VIDEO_SUFFIXES:
            self.media_dropped.emit(shot_id, path)
            return True
        return False

    # --- geometry -----------------------------------------------------------------------------

    def _card_h(self) -> int:
        if self.mode == "board":
            return round(self.board_card_w / self.aspect) + FOOTER_H
        avail = self.viewport().height() - RULER_H - 2 * MARGIN - FOOTER_H
        return max(56, min(avail, 132)) + FOOTER_H

    def _relayout(self) -> None:
        rects: list[QRect] = []
        if self.mode == "timeline":
            h = self._card_h()
            x = MARGIN
            top = RULER_H + MARGIN
            for n in self._lengths:
                w = max(self._min_w, round(n * self.px_per_frame))
                rects.append(QRect(x, top, w, h))
                x += w + GAP
            self._content = QSize(x + 48, top + h + MARGIN)
            self._cols = max(1, len(rects))
        else:
            w = self.board_card_w
            h = self._card_h()
            avail = max(w, self.viewport().width() - 2 * MARGIN)
            cols = max(1, (avail + BOARD_GAP) // (w + BOARD_GAP))
            self._cols = cols
            for i in range(len(self._lengths)):
                r, c = divmod(i, cols)
                rects.append(
                    QRect(MARGIN + c * (w + BOARD_GAP), MARGIN + r * (h + BOARD_GAP), w, h)
                )
            rows = (len(rects) + cols - 1) // cols
            self._content = QSize(
                MARGIN * 2 + cols * (w + BOARD_GAP), MARGIN * 2 + rows * (h + BOARD_GAP) + 40
            )
        self._rects = rects
        self._lefts = [r.left() for r in rects]
        self._rights = [r.right() for r in rects]
        self._update_scrollbars()
        self.viewport().update()

    def _update_scrollbars(self) -> None:
        vw, vh = self.viewport().width(), self.viewport().height()
        hb, vb = self.horizontalScrollBar(), self.verticalScrollBar()
        hb.setRange(0, max(0, self._content.width() - vw))
        hb.setPageStep(vw)
        hb.setSingleStep(40)
        vb.setRange(0, max(0, self._content.height() - vh))
        vb.setPageStep(vh)
        vb.setSingleStep(40)

    def _offset(self) -> QPoint:
        return QPoint(self.horizontalScrollBar().value(), self.verticalScrollBar().value())

    def _to_view(self, r: QRect) -> QRect:
        return r.translated(-self._offset())

    def card_rect(self, index: int) -> QRect:
        """A card's rectangle in viewport coordinates."""
        return self._to_view(self._rects[index])

    def _thumb_rect(self, r: QRect) -> QRect:
        return QRect(r.left() + 1, r.top() + 1, r.width() - 2, r.height() - FOOTER_H - 1)

    def _visible_range(self) -> range:
        if not self._rects:
            return range(0)
        off = self._offset()
        view = QRect(off, self.viewport().size())
        if self.mode == "timeline":
            i0 = bisect.bisect_left(self._rights, view.left())
            i1 = bisect.bisect_right(self._lefts, view.right())
            return range(i0, i1)
        h = self._rects[0].height() + BOARD_GAP
        r0 = max(0, (view.top() - MARGIN) // h)
        r1 = (view.bottom() - MARGIN) // h + 1
        return range(min(len(self._rects), r0 * self._cols), min(len(self._rects), r1 * self._cols))

    def index_at(self, pos: QPoint) -> int | None:
        p = pos + self._offset()
        for i in self._visible_range():
            if self._rects[i].contains(p):
                return i
        return None

    def _slot_at(self, pos: QPoint) -> int:
        """Insertion slot under ``pos`` (before the card whose centre is right of it)."""
        p = pos + self._offset()
        if not self._rects:
            return 0
        if self.mode == "timeline":
            centres = [(r.left() + r.right()) / 2 for r in self._rects]
            return bisect.bisect_left(centres, p.x())
        h = self._rects[0].height() + BOARD_GAP
        w = self._rects[0].width() + BOARD_GAP
        row = max(0, (p.y() - MARGIN) // h)
        col = max(0, min(self._cols, round((p.x() - MARGIN) / w)))
        return max(0, min(len(self._rects), row * self._cols + col))

    def _gap_at(self, pos: QPoint) -> int | None:
        """The gap between cards under ``pos`` in timeline mode (insert a shot there)."""
        if self.mode != "timeline" or pos.y() < RULER_H:
            return None
        p = pos + self._offset()
        if not self._rects:
            return 0 if p.x() < MARGIN + 40 else None
        i = bisect.bisect_left(self._lefts, p.x())
        left_edge = self._rights[i - 1] if i > 0 else MARGIN - GAP
        right_edge = self._lefts[i] if i < len(self._lefts) else self._rights[-1] + 40
        if left_edge - 3 <= p.x() <= right_edge + 3 and right_edge - left_edge <= GAP + 40:
            return i
        return None

    def _frame_to_x(self, frame: int) -> int | None:
        if not self._rects:
            return None
        i = max(0, bisect.bisect_right(self._starts, frame) - 1)
        r = self._rects[i]
        n = max(1, self._lengths[i])
        frac = min(1.0, max(0.0, (frame - self._starts[i]) / n))
        return round(r.left() + frac * r.width())

    def _x_to_frame(self, x: int) -> int:
        if not self._rects:
            return 0
        i = max(0, bisect.bisect_right(self._lefts, x) - 1)
        r = self._rects[i]
        frac = min(1.0, max(0.0, (x - r.left()) / max(1, r.width())))
        return min(self.total_frames() - 1, self._starts[i] + int(frac * self._lengths[i]))

    def _playhead_rect(self) -> QRect:
        if self._playhead is None:
            return QRect()
        if self.mode == "board":
            i = self._card_at_frame(self._playhead)
            return QRect() if i is None else self.card_rect(i).adjusted(-4, -4, 4, 4)
        x = self._frame_to_x(self._playhead)
        if x is None:
            return QRect()
        return QRect(x - self._offset().x() - 7, 0, 15, self.viewport().height())

    def _card_at_frame(self, frame: int) -> int | None:
        if not self._starts:
            return None
        i = bisect.bisect_right(self._starts, frame) - 1
        return i if 0 <= i < len(self._shots) else None

    def ensure_visible(self, shot_id: int) -> None:
        i = self._index.get(shot_id)
        if i is None:
            return
        r = self._rects[i]
        off = self._offset()
        vw, vh = self.viewport().width(), self.viewport().height()
        if self.mode == "timeline":
            if r.left() < off.x():
                self.horizontalScrollBar().setValue(r.left() - MARGIN)
            elif r.right() > off.x() + vw:
                self.horizontalScrollBar().setValue(r.right() - vw + MARGIN)
        else:
            if r.top() < off.y():
                self.verticalScrollBar().setValue(r.top() - MARGIN)
            elif r.bottom() > off.y() + vh:
                self.verticalScrollBar().setValue(r.bottom() - vh + MARGIN)

    def fit_zoom(self) -> None:
        """Timeline scale at which a typical (median) shot's card shows its picture at the
        sequence aspect."""
        if not self._lengths:
            return
        median = sorted(self._lengths)[len(self._lengths) // 2]
        thumb_h = self._card_h() - FOOTER_H
        self.px_per_frame = max(0.15, min(24.0, thumb_h * self.aspect / max(1, median)))
        self._relayout()

    def zoom(self, factor: float, anchor_x: int | None = None) -> None:
        if self.mode == "board":
            self.board_card_w = int(max(120, min(420, self.board_card_w * factor)))
            self._relayout()
            return
        ax = self.viewport().width() // 2 if anchor_x is None else anchor_x
        frame = self._x_to_frame(ax + self._offset().x())
        self.px_per_frame = max(0.15, min(24.0, self.px_per_frame * factor))
        self._relayout()
        x = self._frame_to_x(frame)
        if x is not None:
            self.horizontalScrollBar().setValue(x - ax)

    # --- events -------------------------------------------------------------------------------

    def resizeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        super().resizeEvent(event)
        self._relayout()

    def scrollContentsBy(self, dx: int, dy: int) -> None:
        self.viewport().update()

    def wheelEvent(self, event: QWheelEvent) -> None:
        delta = event.angleDelta()
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.zoom(1.15 if delta.y() > 0 else 1 / 1.15, int(event.position().x()))
            event.accept()
            return
        if self.mode == "timeline" and delta.x() == 0:
            hb = self.horizontalScrollBar()
            hb.setValue(hb.value() - delta.y())
            event.accept()
            return
        super().wheelEvent(event)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.setFocus()
        pos = event.position().toPoint()
        if event.button() != Qt.MouseButton.LeftButton:
            if event.button() == Qt.MouseButton.RightButton:
                i = self.index_at(pos)
                if i is not None and self._shots[i].id not in self._selected:
                    self.select([self._shots[i].id])
            super().mousePressEvent(event)
            return
        if self.mode == "timeline" and pos.y() < RULER_H and self._rects:
            self._press = (pos, None, True)
            self._scrub_to(pos)
            return
        gap = self._gap_at(pos)
        if gap is not None and self.index_at(pos) is None:
            self.insert_requested.emit(gap)
            return
        i = self.index_at(pos)
        self._press = (pos, i, False)
        mods = event.modifiers()
        if i is None:
            if not mods & (Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier):
                self.select([])
            return
        sid = self._shots[i].id
        if mods & Qt.KeyboardModifier.ShiftModifier and self._anchor in self._index:
            a = self._index[self._anchor]
            lo, hi = sorted((a, i))
            ids = [s.id for s in self._shots[lo : hi + 1]]
            anchor = self._anchor
            self.select(ids, sid)
            self._anchor = anchor
        elif mods & Qt.KeyboardModifier.ControlModifier:
            ids = self.selected_ids()
            ids = [x for x in ids if x != sid] if sid in self._selected else ids + [sid]
            self.select(ids, sid if sid in ids else (ids[-1] if ids else None))
        elif sid not in self._selected:
            self.select([sid], sid)
        else:
            if self._current != sid:
                self._current = sid
                self._anchor = sid
                self.current_changed.emit(sid)
                self.viewport().update()

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position().toPoint()
        if self._press is None:
            gap = self._gap_at(pos) if self.index_at(pos) is None else None
            if gap != self._hover_gap:
                self._hover_gap = gap
                self.viewport().update()
            return
        start, card, on_ruler = self._press
        if on_ruler:
            self._scrub_to(pos)
            return
        if card is None:
            return
        if (pos - start).manhattanLength() < QApplication.startDragDistance():
            return
        sid = self._shots[card].id
        ids = self.selected_ids() if sid in self._selected else [sid]
        self._press = None
        mime = QMimeData()
        mime.setData(SHOT_MIME, json.dumps(ids).encode())
        drag = QDrag(self)
        drag.setMimeData(mime)
        pm = self.thumbs.get(
            self.folder / self._shots[card].thumbnail
            if self.folder and self._shots[card].thumbnail
            else None,
            QSize(120, round(120 / self.aspect)),
        )
        if pm is not None:
            drag.setPixmap(pm)
        drag.exec(Qt.DropAction.MoveAction)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        self._press = None
        event.accept()

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        i = self.index_at(event.position().toPoint())
        if i is not None:
            self.activated.emit(self._shots[i].id)
        elif event.position().y() >= RULER_H or self.mode == "board":
            self.insert_requested.emit(self._slot_at(event.position().toPoint()))

    def leaveEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        if self._hover_gap is not None:
            self._hover_gap = None
            self.viewport().update()
        super().leaveEvent(event)

    def _scrub_to(self, pos: QPoint) -> None:
        frame = self._x_to_frame(pos.x() + self._offset().x())
        self.set_playhead(frame)
        self.playhead_moved.emit(frame)

    def viewportEvent(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip:
            pos = event.pos()  # type: ignore[attr-defined]
            i = self.index_at(pos)
            if i is None:
                QToolTip.hideText()
                event.ignore()
            else:
                QToolTip.showText(event.globalPos(), self.card_tooltip(i), self.viewport())  # type: ignore[attr-defined]
            return True
        return super().viewportEvent(event)

    def contextMenuEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        self.context_menu_requested.emit(event.globalPos())

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        if key in (Qt.Key.Key_Delete, Qt.Key.Key_Backspace) and self._selected:
            self.delete_requested.emit()
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self._current is not None:
            self.activated.emit(self._current)
            return
        if key == Qt.Key.Key_Tab or key == Qt.Key.Key_Backtab:
            super().keyPressEvent(event)
            return
        if (
            event.modifiers() & Qt.KeyboardModifier.AltModifier
            and key in (Qt.Key.Key_Left, Qt.Key.Key_Right)
            and self._shots
        ):
            i = self._index.get(self._current, -1) if self._current is not None else -1
            i = max(0, min(len(self._shots) - 1, i + (1 if key == Qt.Key.Key_Right else -1)))
            self.select([self._shots[i].id])
            return
        if self.key_handler is not None and self.key_handler(event):
            return
        super().keyPressEvent(event)

    # --- drag and drop ------------------------------------------------------------------------

    def _drop_kind(self, mime: QMimeData) -> str | None:
        if mime.hasFormat(SHOT_MIME):
            return "shots"
        if mime.hasUrls() and any(u.isLocalFile() for u in mime.urls()):
            return "file"
        return None

    def dragEnterEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        if self._drop_kind(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        kind = self._drop_kind(event.mimeData())
        pos = event.position().toPoint()
        if kind == "shots":
            self._drop_slot = self._slot_at(pos)
            self._drop_card = None
            event.acceptProposedAction()
        elif kind == "file":
            self._drop_card = self.index_at(pos)
            self._drop_slot = None
            if self._drop_card is None:
                event.ignore()
            else:
                event.acceptProposedAction()
        else:
            event.ignore()
        self.viewport().update()

    def dragLeaveEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        self._drop_slot = self._drop_card = None
        self.viewport().update()

    def dropEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        mime = event.mimeData()
        kind = self._drop_kind(mime)
        pos = event.position().toPoint()
        self._drop_slot = self._drop_card = None
        self.viewport().update()
        if kind == "shots":
            try:
                ids = [int(x) for x in json.loads(bytes(mime.data(SHOT_MIME)).decode())]
            except (ValueError, TypeError):
                event.ignore()
                return
            event.acceptProposedAction()
            self.drop_shots(ids, self._slot_at(pos))
        elif kind == "file":
            i = self.index_at(pos)
            files = [u.toLocalFile() for u in mime.urls() if u.isLocalFile()]
            if i is not None and files and self.drop_file(self._shots[i].id, files[0]):
                event.acceptProposedAction()
            else:
                event.ignore()

    # --- painting -----------------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        self.paint_count += 1
        p = QPainter(self.viewport())
        p.fillRect(event.rect(), theme.BASE)
        off = self._offset()
        if not self._shots:
            p.setPen(theme.TEXT_DIM)
            p.drawText(
                self.viewport().rect(),
                Qt.AlignmentFlag.AlignCenter,
                "No shots yet — double-click here or press Add Shot to start the board",
            )
            p.end()
            return
        if self.mode == "timeline":
            self._paint_ruler(p, event.rect())
        p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        clip = event.rect().translated(off)
        for i in self._visible_range():
            r = self._rects[i]
            if r.intersects(clip.adjusted(-4, -4, 4, 4)):
                self._paint_card(p, i, r.translated(-off))
                self.cards_painted += 1
        self._paint_overlays(p)
        p.end()

    def _paint_ruler(self, p: QPainter, dirty: QRect) -> None:
        if dirty.top() > RULER_H:
            return
        off = self._offset()
        p.fillRect(QRect(0, 0, self.viewport().width(), RULER_H), QColor("#222222"))
        p.setPen(QPen(theme.BORDER))
        p.drawLine(0, RULER_H - 1, self.viewport().width(), RULER_H - 1)
        p.setFont(self._small)
        fps = max(1, round(self.fps))
        for i in self._visible_range():
            r = self._rects[i].translated(-off)
            start = self._starts[i]
            n = max(1, self._lengths[i])
            p.setPen(QPen(QColor("#5a5a5a")))
            p.drawLine(r.left(), RULER_H - 9, r.left(), RULER_H - 1)
            step = fps
            px_per_sec = r.width() * fps / n
            if px_per_sec < 12:
                step = fps * 5
            p.setPen(QPen(QColor("#3e3e3e")))
            f = step - (start % step) if start % step else step
            while f < n:
                x = r.left() + round(f / n * r.width())
                p.drawLine(x, RULER_H - 5, x, RULER_H - 1)
                f += step
            if r.width() > 70:
                p.setPen(theme.TEXT_DIM)
                tc = frames_to_timecode(start, self.fps, drop_frame=self.drop_frame, start_hours=1)
                p.drawText(
                    r.left() + 4,
                    2,
                    r.width() - 6,
                    RULER_H - 6,
                    Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                    tc,
                )

    def _paint_card(self, p: QPainter, i: int, r: QRect) -> None:
        s = self._shots[i]
        text = self.card_text(i)
        selected = s.id in self._selected
        current = s.id == self._current
        path = QPainterPath()
        path.addRoundedRect(QRectF(r), 5, 5)
        p.fillPath(path, QColor("#343434") if selected else theme.RAISED)
        thumb = self._thumb_rect(r)
        p.save()
        clip = QPainterPath()
        clip.addRoundedRect(QRectF(thumb), 4, 4)
        p.setClipPath(clip)
        pm = None
        if s.thumbnail and self.folder is not None:
            pm = self.thumbs.get(self.folder / s.thumbnail, thumb.size())
        if pm is not None:
            p.drawPixmap(thumb.topLeft(), pm)
        else:
            p.fillRect(thumb, QColor("#202020"))
            p.setPen(QColor("#7a7a7a"))
            p.setFont(self._small)
            inner = thumb.adjusted(8, 22, -8, -8)
            if inner.width() > 30 and inner.height() > 14:
                p.drawText(
                    inner,
                    Qt.AlignmentFlag.AlignLeft
                    | Qt.AlignmentFlag.AlignTop
                    | Qt.TextFlag.TextWordWrap,
                    s.prompt or "No prompt yet",
                )
        # live progress along the bottom of the picture
        prog = self._progress.get(s.id)
        if s.status == "generating" or prog is not None:
            bar = QRect(thumb.left(), thumb.bottom() - 3, thumb.width(), 4)
            p.fillRect(bar, QColor(0, 0, 0, 150))
            p.fillRect(
                QRect(bar.left(), bar.top(), round(bar.width() * (prog or 0.0)), bar.height()),
                theme.STATUS_COLORS["generating"],
            )
        # playhead within this card (board mode)
        if self.mode == "board" and self._playhead is not None:
            if self._card_at_frame(self._playhead) == i:
                frac = (self._playhead - self._starts[i]) / max(1, self._lengths[i])
                x = thumb.left() + round(frac * thumb.width())
                p.fillRect(QRect(x - 1, thumb.top(), 2, thumb.height()), theme.PLAYHEAD)
        p.restore()
        # badges on the picture
        shown = self._layout_text(i, r)
        p.setFont(self._small)
        status = s.status if s.status != "empty" else None
        if prog is not None:
            status = "generating"
        if status and text.status:
            tw = self._fm_small.horizontalAdvance(shown.status) if shown.status else 0
            pill = QRect(thumb.left() + 5, thumb.top() + 5, tw + 20 if tw else 17, 17)
            pp = QPainterPath()
            pp.addRoundedRect(QRectF(pill), 8, 8)
            p.fillPath(pp, QColor(16, 16, 16, 200))
            p.setBrush(theme.STATUS_COLORS.get(status, theme.MID))
            p.setPen(Qt.PenStyle.NoPen)
            p.drawEllipse(QRect(pill.left() + 5, pill.top() + 5, 7, 7))
            if shown.status:
                p.setPen(QColor("#e0e0e0"))
                p.drawText(pill.adjusted(16, 0, -4, 0), Qt.AlignmentFlag.AlignVCenter, shown.status)
        if shown.takes:
            tw = self._pill_w(shown.takes)
            pill = QRect(thumb.right() - tw - 4, thumb.top() + 5, tw, 17)
            pp = QPainterPath()
            pp.addRoundedRect(QRectF(pill), 8, 8)
            p.fillPath(pp, QColor(16, 16, 16, 200))
            p.setPen(QColor("#d0d0d0"))
            p.drawText(pill, Qt.AlignmentFlag.AlignCenter, shown.takes)
        if shown.draft:
            tw = self._pill_w(shown.draft)
            pill = QRect(thumb.left() + 5, thumb.bottom() - 22, tw, 16)
            pp = QPainterPath()
            pp.addRoundedRect(QRectF(pill), 3, 3)
            p.fillPath(pp, theme.DRAFT)
            p.setPen(QColor("#1c1c1c"))
            p.drawText(pill, Qt.AlignmentFlag.AlignCenter, shown.draft)
        if shown.warning:
            c = QPoint(thumb.right() - 12, thumb.bottom() - 13)
            tri = QPolygon([c + QPoint(0, -8), c + QPoint(8, 7), c + QPoint(-8, 7)])
            p.setBrush(theme.WARNING)
            p.setPen(QPen(QColor(16, 16, 16, 200), 1))
            p.drawPolygon(tri)
            p.setPen(QColor("#1c1c1c"))
            p.setFont(self._bold)
            p.drawText(QRect(c.x() - 4, c.y() - 5, 8, 12), Qt.AlignmentFlag.AlignCenter, "!")
        # footer
        foot = QRect(
            r.left() + CARD_PAD, thumb.bottom() + 4, r.width() - 2 * CARD_PAD, FOOTER_H - 6
        )
        p.setFont(self._bold)
        p.setPen(theme.TEXT)
        p.drawText(
            QRect(foot.left(), foot.top(), foot.width(), 16),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            shown.label,
        )
        p.setFont(self._small)
        p.setPen(theme.TEXT_DIM)
        if shown.duration:
            p.drawText(
                QRect(foot.left(), foot.top(), foot.width(), 16),
                Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                shown.duration,
            )
        cap = self._fm_small.elidedText(text.caption, Qt.TextElideMode.ElideRight, foot.width())
        p.setPen(QColor("#808080"))
        p.drawText(
            QRect(foot.left(), foot.top() + 17, foot.width(), 14),
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            cap,
        )
        # outline
        if selected or current or self._drop_card == i:
            pen = QPen(theme.SELECTION if selected else QColor("#777777"), 2 if selected else 1)
            if self._drop_card == i:
                pen = QPen(theme.PLAYHEAD, 2)
            p.setPen(pen)
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRoundedRect(QRectF(r).adjusted(1, 1, -1, -1), 5, 5)
        else:
            p.setPen(QPen(theme.BORDER, 1))
            p.setBrush(Qt.BrushStyle.NoBrush)
            p.drawRoundedRect(QRectF(r).adjusted(0.5, 0.5, -0.5, -0.5), 5, 5)

    def _paint_overlays(self, p: QPainter) -> None:
        off = self._offset()
        h = self.viewport().height()
        if self._drop_slot is not None and self._rects:
            if self._drop_slot < len(self._rects):
                r = self._rects[self._drop_slot].translated(-off)
                x = r.left() - (GAP // 2 if self.mode == "timeline" else BOARD_GAP // 2)
            else:
                r = self._rects[-1].translated(-off)
                x = r.right() + (GAP // 2 if self.mode == "timeline" else BOARD_GAP // 2)
            p.fillRect(QRect(x - 1, r.top() - 4, 3, r.height() + 8), theme.PLAYHEAD)
        if self._hover_gap is not None and self.mode == "timeline":
            i = self._hover_gap
            if self._rects:
                x = (self._lefts[i] - GAP // 2) if i < len(self._lefts) else self._rights[-1] + 16
                top = self._rects[0].top()
                mid = top + (self._rects[0].height() - FOOTER_H) // 2
            else:
                x, mid = MARGIN + 12, RULER_H + 60
            c = QPoint(x - off.x(), mid - off.y())
            p.setPen(Qt.PenStyle.NoPen)
            p.setBrush(QColor("#4a4a4a"))
            p.drawEllipse(c, 10, 10)
            p.setPen(QPen(QColor("#e0e0e0"), 2))
            p.drawLine(c.x() - 5, c.y(), c.x() + 5, c.y())
            p.drawLine(c.x(), c.y() - 5, c.x(), c.y() + 5)
        if self._playhead is not None and self.mode == "timeline":
            x = self._frame_to_x(self._playhead)
            if x is not None:
                x -= off.x()
                p.setPen(QPen(theme.PLAYHEAD, 1.5))
                p.drawLine(x, 0, x, h)
                p.setBrush(theme.PLAYHEAD)
                p.setPen(Qt.PenStyle.NoPen)
                p.drawPolygon(QPolygon([QPoint(x - 6, 0), QPoint(x + 6, 0), QPoint(x, 8)]))
