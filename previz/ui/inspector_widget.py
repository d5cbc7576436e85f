"""The shot inspector: prompt, pickers, duration, seed, engine, notes and dialogue.

Every edit is a service command (``svc.edit_shot``), and each burst of typing is one undo step:
text is committed on Enter, on focus out, or after a short idle pause (``DEBOUNCE_MS``), with
every field changed since the last commit in one command. Nothing lives only in the widgets:
the main window calls :meth:`commit` before it closes, switches shot or runs an action.
"""

from __future__ import annotations

import logging
import random
from fractions import Fraction
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt, QTimer, Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from previz.core.errors import PrevizError
from previz.core.time import describe_rate, frames_to_timecode
from previz.core.values import ElementInfo, ShotInfo
from previz.services.generation import EngineChoice
from previz.services.shot_facts import ShotFactsReader
from previz.ui import shot_grammar
from previz.ui.errors import show_error
from previz.ui.prompt_edit_widget import PromptEditWidget

log = logging.getLogger(__name__)

DEBOUNCE_MS = 1200
ENGINES = ("animatic", "diffusers")
TEXT_FIELDS = ("prompt", "negative_prompt", "dialogue", "notes", "camera_notes", "scene")
RANDOM = -1  # the seed field's value while no seed is locked: it shows "random"


class _SeedBox(QSpinBox):
    """A seed, or empty showing "random" (no seed locked: each take draws its own)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setRange(RANDOM, 2**31 - 1)
        self.setValue(RANDOM)
        self.lineEdit().setPlaceholderText("random")

    def textFromValue(self, value: int) -> str:
        return "" if value < 0 else str(value)

    def valueFromText(self, text: str) -> int:
        text = text.strip()
        return RANDOM if not text else int(text)

    def validate(self, text: str, pos: int) -> Any:
        if not text.strip():
            return QValidator.State.Acceptable, text, pos
        if not text.strip().isdigit():
            return QValidator.State.Invalid, text, pos
        return super().validate(text, pos)


def _shrinkable(box: QComboBox, chars: int = 6) -> QComboBox:
    """A combo box that may get narrower than its longest item (Qt elides the text); its
    tooltip then says what it shows."""
    box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    box.setMinimumContentsLength(chars)
    return box


class _NotesEdit(QPlainTextEdit):
    """Multi-line text that commits on focus out and Ctrl+Enter."""

    committed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTabChangesFocus(True)

    def keyPressEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and (
            event.modifiers() & Qt.KeyboardModifier.ControlModifier
        ):
            self.committed.emit()
            return
        super().keyPressEvent(event)

    def focusOutEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        super().focusOutEvent(event)
        self.committed.emit()


class ShotInspectorWidget(QWidget):
    committed = Signal(int)  # shot id, after an edit reached the project

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.svc: Any = None
        self.shot: ShotInfo | None = None
        self.fps = Fraction(24)
        self._dirty: set[str] = set()
        self._loading = False
        self._styles: list[str] = []
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.commit)
        self.commits = 0

        self.title = QLabel("No shot selected")
        self.title.setObjectName("inspectorTitle")
        self.title.setStyleSheet("font-size: 15px; font-weight: 600; padding: 2px 0 4px 0;")
        self.subtitle = QLabel("")
        self.subtitle.setStyleSheet("color: #8c8c8c;")
        self.subtitle.setWordWrap(True)

        self.prompt = PromptEditWidget()
        self.prompt.setPlaceholderText(
            "What the shot shows: size, subject, action, camera… type @ for an element"
        )
        self.prompt.setMinimumHeight(84)
        self.negative = PromptEditWidget()
        self.negative.setPlaceholderText("What to avoid (negative prompt)")
        self.negative.setFixedHeight(46)

        self.size_pick = self._picker("Shot size", shot_grammar.SHOT_SIZES)
        self.angle_pick = self._picker("Angle", shot_grammar.ANGLES)
        self.move_pick = self._picker("Camera move", shot_grammar.CAMERA_MOVES)
        self.style_pick = _shrinkable(QComboBox())
        self.style_pick.setToolTip("Style preset (an @element of kind style)")
        self.style_pick.addItem("Style: none")  # until the project's style presets are known
        for box in (self.size_pick, self.angle_pick, self.move_pick, self.style_pick):
            box.currentIndexChanged.connect(lambda _i, b=box: self._tip_picker(b))
        self.size_pick.activated.connect(lambda i: self._pick(shot_grammar.with_shot_size, i))
        self.angle_pick.activated.connect(lambda i: self._pick(shot_grammar.with_angle, i))
        self.move_pick.activated.connect(lambda i: self._pick(shot_grammar.with_camera_move, i))
        self.style_pick.activated.connect(self._pick_style)

        self.duration = QSpinBox()
        self.duration.setRange(1, 600 * 240)
        self.duration.setSuffix(" frames")
        self.duration.setKeyboardTracking(False)
        self.duration_info = QLabel("")
        self.duration_info.setStyleSheet("color: #8c8c8c;")
        self.duration_info.setWordWrap(True)
        self._facts = ShotFactsReader(None)
        self.cut_frames: int | None = None  # what the cut plays of this shot (None: no take)

        self.priority = QSpinBox()
        self.priority.setRange(-1000, 1000)
        self.priority.setKeyboardTracking(False)
        self.priority.setToolTip(
            "The priority of this shot's jobs, here and on a render farm: higher runs first "
            "(0 is the default)"
        )

        self.seed = _SeedBox()
        self.seed.setKeyboardTracking(False)
        self.seed.setToolTip(
            "Empty (random): each new take draws its own seed (the take shows the one it used). "
            "Type a seed or press New to lock one."
        )
        self.seed_lock = QCheckBox("Lock")
        self.seed_lock.setToolTip(
            "Locked: every new take uses this seed. Unlocked: a new seed for each take "
            "(locking keeps the selected take's seed)."
        )
        self.seed_new = QToolButton()
        self.seed_new.setText("New")
        self.seed_new.setToolTip("Draw a new seed and lock it")

        # the shot's own engine and model ("" = the defaults in Settings)
        self.engine = _shrinkable(QComboBox(), 10)
        self.engine.addItem("default", "")
        for name in ENGINES:
            self.engine.addItem(name, name)
        self.engine.currentIndexChanged.connect(lambda _i: self._tip_engine())
        self._tip_engine()
        self.model = QLineEdit()
        self.model.setPlaceholderText("default model")
        self.model.setToolTip("The model this shot's new takes use (diffusers)")

        self.scene = QLineEdit()
        self.scene.setPlaceholderText("e.g. 12A")
        self.camera_notes = QLineEdit()
        self.camera_notes.setPlaceholderText("lens, rig, blocking…")
        self.dialogue = _NotesEdit()
        self.dialogue.setPlaceholderText("The line spoken over this shot (caption)")
        self.dialogue.setFixedHeight(52)
        self.notes = _NotesEdit()
        self.notes.setPlaceholderText("Notes")
        self.notes.setFixedHeight(64)

        # layout: one column of fields that reflows to the dock's width (rows wrap their
        # label above the field, pickers shrink and elide with their full text in a tooltip)
        body = QWidget()
        form = QFormLayout(body)
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        form.setContentsMargins(10, 6, 10, 10)
        form.setVerticalSpacing(6)
        head = QVBoxLayout()
        head.setSpacing(0)
        head.addWidget(self.title)
        head.addWidget(self.subtitle)
        form.addRow(head)
        form.addRow(self.prompt)
        picks = QGridLayout()
        picks.setHorizontalSpacing(6)
        picks.setVerticalSpacing(6)
        for n, box in enumerate((self.size_pick, self.angle_pick, self.move_pick, self.style_pick)):
            picks.addWidget(box, n // 2, n % 2)
        picks.setColumnStretch(0, 1)
        picks.setColumnStretch(1, 1)
        form.addRow(picks)
        form.addRow("Negative", self.negative)
        dur = QVBoxLayout()
        dur.setSpacing(2)
        dur.addWidget(self.duration)
        dur.addWidget(self.duration_info)
        form.addRow("Duration", dur)
        seed = QHBoxLayout()
        seed.addWidget(self.seed, 1)
        seed.addWidget(self.seed_lock)
        seed.addWidget(self.seed_new)
        form.addRow("Seed", seed)
        form.addRow("Engine", self.engine)
        form.addRow("Model", self.model)
        form.addRow("Priority", self.priority)
        form.addRow("Scene", self.scene)
        form.addRow("Camera", self.camera_notes)
        form.addRow("Dialogue", self.dialogue)
        form.addRow("Notes", self.notes)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

        # edits
        for field, w in (
            ("prompt", self.prompt),
            ("negative_prompt", self.negative),
            ("dialogue", self.dialogue),
            ("notes", self.notes),
        ):
            w.textChanged.connect(lambda f=field: self._changed(f))
        self.prompt.committed.connect(self.commit)
        self.prompt.focus_lost.connect(self.commit)
        self.negative.committed.connect(self.commit)
        self.negative.focus_lost.connect(self.commit)
        self.dialogue.committed.connect(self.commit)
        self.notes.committed.connect(self.commit)
        for field, le in (("scene", self.scene), ("camera_notes", self.camera_notes)):
            le.textEdited.connect(lambda _t, f=field: self._changed(f))
            le.editingFinished.connect(self.commit)
        self.duration.valueChanged.connect(self._duration_changed)
        self.seed.valueChanged.connect(self._seed_changed)
        self.seed_lock.toggled.connect(self._lock_toggled)
        self.seed_new.clicked.connect(self.new_seed)
        self.engine.currentIndexChanged.connect(lambda _i: self._engine_edited("engine"))
        self.model.editingFinished.connect(lambda: self._engine_edited("model"))
        self.priority.valueChanged.connect(lambda _v: self._engine_edited("priority"))
        self.set_shot(None)

    def _picker(self, title: str, table: list[tuple[str, str, tuple[str, ...]]]) -> QComboBox:
        box = _shrinkable(QComboBox())
        box.addItem(f"{title}: —")
        for name, word, _ in table:
            box.addItem(name, word)
        box.setProperty("title", title)
        self._tip_picker(box)
        return box

    def _tip_picker(self, box: QComboBox) -> None:
        title = box.property("title")
        if title:
            shown = box.currentText()
            shown = shown if shown.startswith(title) else f"{title}: {shown}"
            box.setToolTip(f"{shown} (writes the words into the prompt)")
        else:
            box.setToolTip(f"{box.currentText()} (style preset: an @element of kind style)")

    def _tip_engine(self) -> None:
        self.engine.setToolTip(
            f"{self.engine.currentText()}: the engine this shot's new takes use; "
            "default: the one in Settings"
        )

    # --- project ------------------------------------------------------------------------------

    def set_project(self, svc: Any) -> None:
        self._timer.stop()
        self._dirty.clear()
        self.svc = svc
        self._facts = ShotFactsReader(svc)
        self.shot = None
        self.set_shot(None)

    def set_elements(self, elements: list[ElementInfo]) -> None:
        # re-highlighting the mentions is not an edit: it must not make the prompt pending
        # (a pending prompt would ignore, then overwrite, a change made elsewhere)
        loading, self._loading = self._loading, True
        try:
            self.prompt.set_elements({e.name: e.kind for e in elements})
        finally:
            self._loading = loading
        self._styles = [e.name for e in elements if e.kind == "style"]
        with QSignalBlocker(self.style_pick):
            self.style_pick.clear()
            self.style_pick.addItem("Style: none")
            for name in self._styles:
                self.style_pick.addItem(f"@{name}", name)
        self._sync_pickers()

    @property
    def has_pending(self) -> bool:
        return bool(self._dirty)

    @property
    def typing(self) -> bool:
        """Edits are coming in (the idle commit has not fired yet)."""
        return self._timer.isActive()

    def set_shot(self, shot: ShotInfo | None, fps: Fraction | None = None) -> None:
        """Show ``shot`` (a fresh snapshot). Fields the user is still editing keep their text."""
        if fps is not None:
            self.fps = Fraction(fps)
        if shot is None or self.shot is None or shot.id != self.shot.id:
            if self._dirty:
                self.commit()
            self._dirty.clear()
        self.shot = shot
        enabled = shot is not None
        for w in self._editors():
            w.setEnabled(enabled)
        self._loading = True
        try:
            if shot is None:
                self.title.setText("No shot selected")
                self.subtitle.setText("Select a shot on the board to edit it")
                for w in (self.prompt, self.negative, self.dialogue, self.notes):
                    w.setPlainText("")
                self.scene.setText("")
                self.camera_notes.setText("")
                self.model.setText("")
                with QSignalBlocker(self.priority):
                    self.priority.setValue(0)
                self.cut_frames = None
                self.duration_info.setText("")
                with QSignalBlocker(self.seed), QSignalBlocker(self.seed_lock):
                    self.seed.setValue(RANDOM)
                    self.seed_lock.setChecked(False)
                return
            self.title.setText(f"Shot {shot.label}")
            takes = f"{shot.take_count} take" + ("" if shot.take_count == 1 else "s")
            self.subtitle.setText(f"{shot.sequence_name} · {takes} · {shot.status}")
            self._set_text(self.prompt, "prompt", shot.prompt)
            self._set_text(self.negative, "negative_prompt", shot.negative_prompt)
            self._set_text(self.dialogue, "dialogue", shot.dialogue)
            self._set_text(self.notes, "notes", shot.notes)
            if "scene" not in self._dirty and self.scene.text() != shot.scene:
                self.scene.setText(shot.scene)
            if "camera_notes" not in self._dirty and self.camera_notes.text() != shot.camera_notes:
                self.camera_notes.setText(shot.camera_notes)
            if "engine" not in self._dirty:
                with QSignalBlocker(self.engine):
                    self.engine.setCurrentIndex(max(0, self.engine.findData(shot.engine)))
            if "model" not in self._dirty and self.model.text() != shot.model:
                self.model.setText(shot.model)
            if "priority" not in self._dirty:
                with QSignalBlocker(self.priority):
                    self.priority.setValue(shot.priority)
            if "duration_frames" not in self._dirty:
                with QSignalBlocker(self.duration):
                    self.duration.setValue(shot.duration_frames)
            self.cut_frames = None
            if shot.selected_take_id is not None and self.svc is not None:
                try:
                    self.cut_frames = self._facts.cut_frames(shot)
                except PrevizError:
                    self.cut_frames = None
            self._update_duration_info()
            if "seed" not in self._dirty:
                # unlocked: empty, showing "random" (never another shot's or take's seed)
                seed = shot.seed
                with QSignalBlocker(self.seed), QSignalBlocker(self.seed_lock):
                    self.seed_lock.setChecked(seed is not None)
                    self.seed.setValue(RANDOM if seed is None else int(seed) % 2**31)
                self.seed_lock.setEnabled(seed is None or hasattr(self.svc, "unlock_seed"))
            self._sync_pickers()
        finally:
            self._loading = False

    def _editors(self) -> list[QWidget]:
        return [
            self.prompt,
            self.negative,
            self.size_pick,
            self.angle_pick,
            self.move_pick,
            self.style_pick,
            self.duration,
            self.seed,
            self.seed_lock,
            self.seed_new,
            self.scene,
            self.camera_notes,
            self.dialogue,
            self.notes,
            self.engine,
            self.model,
            self.priority,
        ]

    def _set_text(self, w: QPlainTextEdit, field: str, value: str) -> None:
        if field in self._dirty or w.toPlainText() == value:
            return
        w.setPlainText(value)

    def _sync_pickers(self) -> None:
        text = self.prompt.toPlainText()
        for box, fn in (
            (self.size_pick, shot_grammar.shot_size_of),
            (self.angle_pick, shot_grammar.angle_of),
            (self.move_pick, shot_grammar.camera_move_of),
        ):
            i = fn(text)
            with QSignalBlocker(box):
                box.setCurrentIndex(0 if i is None else i + 1)
            self._tip_picker(box)
        style = shot_grammar.style_of(text, self._styles)
        with QSignalBlocker(self.style_pick):
            idx = self.style_pick.findData(style) if style else 0
            self.style_pick.setCurrentIndex(max(0, idx))
        self._tip_picker(self.style_pick)

    # --- editing ------------------------------------------------------------------------------

    def _changed(self, field: str) -> None:
        if self._loading or self.shot is None:
            return
        self._dirty.add(field)
        self._timer.start()
        if field == "prompt":
            self._sync_pickers()

    def _engine_edited(self, field: str) -> None:
        """The shot's engine or model changed: save it now (one undoable edit)."""
        if self._loading or self.shot is None:
            return
        if field == "priority":
            value = int(self.priority.value())
        elif field == "engine":
            value = self.engine.currentData()
        else:
            value = self.model.text().strip()
        if value != getattr(self.shot, field):
            self._dirty.add(field)
            self.commit()

    def _pick(self, fn: Any, index: int) -> None:
        if self.shot is None:
            return
        new = fn(self.prompt.toPlainText(), None if index <= 0 else index - 1)
        self.set_prompt_text(new)
        self.commit()

    def _pick_style(self, index: int) -> None:
        if self.shot is None:
            return
        chosen = self.style_pick.itemData(index) if index > 0 else None
        self.set_prompt_text(
            shot_grammar.with_style(self.prompt.toPlainText(), self._styles, chosen)
        )
        self.commit()

    def set_prompt_text(self, text: str) -> None:
        """Replace the prompt as if typed (it becomes a pending edit)."""
        if text != self.prompt.toPlainText():
            self.prompt.setPlainText(text)
            cur = self.prompt.textCursor()
            cur.movePosition(cur.MoveOperation.End)
            self.prompt.setTextCursor(cur)

    def _duration_changed(self, _v: int) -> None:
        self._update_duration_info()
        self._changed("duration_frames")

    def _update_duration_info(self) -> None:
        """The planned duration in seconds and timecode; beside it what the cut plays when
        that differs (an extend or a trim changed the take, not the plan)."""
        n = self.duration.value()
        secs = float(Fraction(n) / self.fps)
        tc = frames_to_timecode(n, self.fps)
        rate = describe_rate(self.fps)
        cut = self.cut_frames
        if cut is None or cut == n:
            self.duration_info.setText(f"{secs:.2f}s · {tc} @ {rate}")
            self.duration_info.setToolTip(
                "The planned duration" + ("" if cut is None else "; the cut plays the same")
            )
            return
        cut_secs = float(Fraction(cut) / self.fps)
        self.duration_info.setText(f"Plan {secs:.2f}s · Cut {cut_secs:.2f}s @ {rate}")
        self.duration_info.setToolTip(
            f"Planned {n} frames ({tc}); the cut plays the selected take, trims applied: "
            f"{cut} frames ({frames_to_timecode(cut, self.fps)})"
        )

    def _seed_changed(self, value: int) -> None:
        if self._loading or self.shot is None:
            return
        if value < 0:
            if self.seed_lock.isChecked():
                self.seed_lock.setChecked(False)  # cleared: back to a random seed per take
        elif not self.seed_lock.isChecked():
            self.seed_lock.setChecked(True)  # a typed seed is one the user wants: lock it
        else:
            self._changed("seed")

    def _selected_take_seed(self) -> int | None:
        if self.shot is None or self.shot.selected_take_id is None or self.svc is None:
            return None
        try:
            return int(self.svc.take_by_id(self.shot.selected_take_id).seed) % 2**31
        except PrevizError:
            return None

    def _lock_toggled(self, on: bool) -> None:
        if self._loading or self.shot is None or self.svc is None:
            return
        try:
            if on:
                value = int(self.seed.value())
                if value < 0:  # lock what the selected take used, so Lock keeps its look
                    value = self._selected_take_seed()
                    if value is None:
                        value = random.SystemRandom().randrange(0, 2**31)
                    with QSignalBlocker(self.seed):
                        self.seed.setValue(value)
                self.commit()
                self.svc.edit_shot(self.shot.id, seed=value)
            elif hasattr(self.svc, "unlock_seed"):
                self.commit()
                self.svc.unlock_seed(self.shot.id)
                with QSignalBlocker(self.seed):
                    self.seed.setValue(RANDOM)
            self.commits += 1
            self.committed.emit(self.shot.id)
        except Exception as exc:
            show_error(self, exc)

    def new_seed(self) -> None:
        """Draw a new seed and lock it (unlocked, every take already draws its own)."""
        value = random.SystemRandom().randrange(0, 2**31)
        self.seed.setValue(value)  # locks it, or becomes a pending edit of the locked seed
        if self.seed_lock.isChecked():
            self.commit()

    def commit(self) -> bool:
        """Save every pending edit as one command. Returns False when the service refused."""
        self._timer.stop()
        if not self._dirty or self.shot is None or self.svc is None:
            self._dirty.clear()
            return True
        values: dict[str, Any] = {}
        for field in self._dirty:
            if field == "prompt":
                values[field] = self.prompt.toPlainText()
            elif field == "negative_prompt":
                values[field] = self.negative.toPlainText()
            elif field == "dialogue":
                values[field] = self.dialogue.toPlainText()
            elif field == "notes":
                values[field] = self.notes.toPlainText()
            elif field == "scene":
                values[field] = self.scene.text()
            elif field == "camera_notes":
                values[field] = self.camera_notes.text()
            elif field == "duration_frames":
                values[field] = int(self.duration.value())
            elif field == "seed":
                values[field] = int(self.seed.value())
            elif field == "engine":
                values[field] = self.engine.currentData() or ""
            elif field == "model":
                values[field] = self.model.text().strip()
            elif field == "priority":
                values[field] = int(self.priority.value())
        current = self.shot
        unchanged = {k for k, v in values.items() if k in TEXT_FIELDS and getattr(current, k) == v}
        if "duration_frames" in values and values["duration_frames"] == current.duration_frames:
            unchanged.add("duration_frames")
        for k in unchanged:
            values.pop(k)
        self._dirty.clear()
        if not values:
            return True
        try:
            self.shot = self.svc.edit_shot(current.id, **values)
        except PrevizError as exc:
            self._dirty.update(values)  # keep the user's text so they can fix it
            show_error(self, exc)
            return False
        except Exception as exc:
            show_error(self, exc)
            return False
        self.commits += 1
        self.committed.emit(current.id)
        return True

    # --- generation options -------------------------------------------------------------------

    def engine_choice(self) -> EngineChoice:
        """The choice for a generate from here: the seed lock; each shot's own engine and
        model (or the defaults) come from the shot."""
        value = int(self.seed.value())
        seed = value if self.seed_lock.isChecked() and value >= 0 else None
        return EngineChoice(seed=seed)

    def set_defaults(self, engine: str, model: str = "") -> None:
        """Show what "default" means: the engine and model in Settings."""
        self.engine.setItemText(0, f"default ({engine or 'animatic'})")
        self._tip_engine()
        self.model.setPlaceholderText(model or "default model")
