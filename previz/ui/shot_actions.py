"""What can be done to a shot or a selection: the toolbar, menus, context menu and shortcuts.

Each action is a plain method taking its parameters (tests call these), plus a ``*_dialog``
wrapper that asks the user for them. Generation goes through :class:`Generation` (the request
is checked before it is queued, so a bad one is a clear message and queues nothing) and then
wakes the job runner; the UI never waits for a job.

Region edits (Inpaint…, Make Cinemagraph…) work on the take the player shows, with the mask
painted in the player's mask tool; they are offered only when the shot's engine and model can
do them (``Generation.region_support``), and their tooltip says why not otherwise.
"""

from __future__ import annotations

import dataclasses
import logging
from fractions import Fraction
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QInputDialog, QMenu, QMessageBox, QWidget

from previz.core.errors import InvalidInput, PrevizError
from previz.core.time import seconds_to_frames
from previz.core.values import JobInfo, ShotInfo, TakeInfo
from previz.services.generation import EngineChoice, Generation
from previz.ui import icons
from previz.ui.errors import show_error

log = logging.getLogger(__name__)

REGION_TIPS = {
    "inpaint": "A new take of the take shown where only the masked region is made again "
    "from a prompt",
    "cinemagraph": "A still (the frame shown, or an image) where only the masked region moves",
}
NO_TAKE_SHOWN = "show a take in the player first (generate the shot, then play it)"
NO_MASK = (
    "paint the region to change first: the mask tool is open under the picture "
    "(brush, rectangle or ellipse)"
)


@dataclasses.dataclass(frozen=True)
class RegionSource:
    """What a region edit applies to: the take in the player, at the frame shown."""

    shot_id: int
    take: TakeInfo
    frame: int


def tooltip_with_shortcut(tip: str, action: QAction) -> str:
    """``tip`` followed by the action's shortcut as the user's platform writes it."""
    keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
    return f"{tip} ({keys})" if keys else tip


class ShotHost(Protocol):
    """What the actions need from the main window."""

    svc: Any
    gen: Generation | None
    runner: Any

    def selected_shot_ids(self) -> list[int]: ...
    def current_shot_id(self) -> int | None: ...
    def current_sequence_id(self) -> int | None: ...
    def commit_pending(self) -> bool: ...
    def engine_choice(self) -> EngineChoice: ...
    def focus_shot(self, shot_id: int) -> None: ...
    def shot_order(self) -> list[int]: ...
    def move_shots(self, ids: list[int], slot: int) -> None: ...
    def say(self, text: str) -> None: ...
    def region_source(self) -> RegionSource | None: ...
    def mask_tool(self) -> Any: ...
    def start_masking(self) -> None: ...


class QtShotActions(QObject):
    jobs_queued = Signal(list)  # list[JobInfo]

    def __init__(self, host: ShotHost, parent: QWidget) -> None:
        super().__init__(parent)
        self.host = host
        self.parent_widget = parent
        self.last_jobs: list[JobInfo] = []

        def act(
            text: str, slot: Any, shortcut: str | None = None, tip: str = "", icon: str = ""
        ) -> QAction:
            a = QAction(text, parent)
            if shortcut:
                a.setShortcut(QKeySequence(shortcut))
            if icon:
                a.setIcon(icons.icon(icon))
            a.setToolTip(tooltip_with_shortcut(tip or text, a))
            a.setStatusTip(tip or text)
            a.triggered.connect(lambda _checked=False: slot())
            return a

        self.add_shot_action = act(
            "Add Shot",
            self.add_shot_after_current,
            "Ctrl+Shift+N",
            "Add a shot after the current one",
            "add",
        )
        self.insert_action = act(
            "Insert Shot Before",
            self.insert_before_current,
            None,
            "Insert a shot before the current one",
            "insert",
        )
        self.generate_action = act(
            "Generate",
            self.generate,
            "Ctrl+G",
            "Generate a take for each selected shot",
            "generate",
        )
        self.draft_action = act(
            "Generate Draft",
            self.generate_draft,
            "Ctrl+Alt+G",
            "A cheap preview take of each selected shot: half size, a quarter of the steps; "
            "render it in full later from the takes panel",
            "draft",
        )
        self.reprompt_action = act(
            "Re-prompt",
            self.reprompt,
            "Ctrl+Shift+G",
            "A new take of the current shot from its edited prompt",
            "reprompt",
        )
        self.variations_action = act(
            "Variations…",
            self.variations_dialog,
            None,
            "Several takes with consecutive seeds",
            "variations",
        )
        self.extend_fwd_action = act(
            "Extend Forward…",
            lambda: self.extend_dialog("forward"),
            "Ctrl+E",
            "Continue the selected take after its last frame",
            "extend_fwd",
        )
        self.extend_back_action = act(
            "Extend Backward…",
            lambda: self.extend_dialog("backward"),
            "Ctrl+Shift+E",
            "Add frames before the selected take",
            "extend_back",
        )
        self.bridge_action = act(
            "Bridge to Next Shot",
            self.bridge,
            "Ctrl+B",
            "Insert a generated transition shot before the next shot",
            "bridge",
        )
        self.remix_action = act(
            "Remix…", self.remix_dialog, None, "A new take restyled from the selected one", "remix"
        )
        self.loop_action = act("Loop", self.loop, None, "A take that ends where it begins", "loop")
        self.image_action = act(
            "Image to Video…",
            self.image_to_video_dialog,
            None,
            "Make a still image move (or drop an image on a card)",
        )
        self.import_action = act(
            "Import Take…", self.import_dialog, None, "Import a video or still as a new take"
        )
        self.duplicate_action = act(
            "Duplicate", self.duplicate_selected, "Ctrl+D", "Duplicate the selected shots"
        )
        self.move_earlier_action = act(
            "Move Earlier",
            lambda: self.move_selected(-1),
            "Alt+Left",
            "Move the selected shots one place earlier in the sequence (undoable)",
            "move_earlier",
        )
        self.move_later_action = act(
            "Move Later",
            lambda: self.move_selected(1),
            "Alt+Right",
            "Move the selected shots one place later in the sequence (undoable)",
            "move_later",
        )
        # Delete is handled by the board itself (a window-wide Delete shortcut would also fire
        # in the takes and elements lists and delete shots from there)
        self.delete_action = act(
            "Delete Shot\tDel", self.delete_selected, None, "Delete the selected shots (undoable)"
        )
        self.inpaint_action = act(
            "Inpaint…", self.inpaint_dialog, None, REGION_TIPS["inpaint"], "inpaint"
        )
        self.cinemagraph_action = act(
            "Make Cinemagraph…",
            self.cinemagraph_dialog,
            None,
            REGION_TIPS["cinemagraph"],
            "cinemagraph",
        )
        self.region_actions = {
            "inpaint": self.inpaint_action,
            "cinemagraph": self.cinemagraph_action,
        }
        self.region_reasons: dict[str, str | None] = {}
        self._region_cache: dict[tuple[Any, ...], dict[str, str | None]] = {}
        self._region_gen: Any = None
        # short names on the toolbar (the menus keep the full ones)
        self.draft_action.setIconText("Draft")
        self.bridge_action.setIconText("Bridge")
        self.shot_actions = [
            self.generate_action,
            self.draft_action,
            self.reprompt_action,
            self.variations_action,
            self.extend_fwd_action,
            self.extend_back_action,
            self.bridge_action,
            self.remix_action,
            self.loop_action,
            self.image_action,
            self.import_action,
            self.duplicate_action,
            self.delete_action,
            self.insert_action,
            self.move_earlier_action,
            self.move_later_action,
        ]

    # --- state --------------------------------------------------------------------------------

    def update_enabled(self) -> None:
        has_project = self.host.svc is not None
        sel = self.host.selected_shot_ids() if has_project else []
        cur = self.host.current_shot_id() if has_project else None
        for a in self.shot_actions:
            a.setEnabled(bool(sel) or cur is not None)
        self.add_shot_action.setEnabled(has_project)
        # moving is offered only when there is somewhere to go
        ids = sel or ([cur] if cur is not None else [])
        order = self.host.shot_order() if ids else []
        pos = [order.index(i) for i in ids if i in order]
        self.move_earlier_action.setEnabled(bool(pos) and min(pos) > 0)
        self.move_later_action.setEnabled(bool(pos) and max(pos) < len(order) - 1)
        self.update_region_actions()

    def update_region_actions(self) -> None:
        """Inpaint… / Make Cinemagraph… only with a take shown and a model that can do them;
        otherwise their tooltip and status tip say why. The engine's answer is kept per shot,
        engine and model (a sequence playing past shot boundaries does not ask again)."""
        src = self.host.region_source() if self.host.svc is not None else None
        gen = self.host.gen
        reasons: dict[str, str | None] = dict.fromkeys(self.region_actions, NO_TAKE_SHOWN)
        if src is not None and gen is not None:
            choice = self.host.engine_choice()
            shot = self.host.svc.shot(src.shot_id)
            if gen is not self._region_gen:  # another project
                self._region_cache.clear()
                self._region_gen = gen
            key = (src.shot_id, shot.engine, shot.model, choice)
            if key not in self._region_cache:
                found: dict[str, str | None] = {}
                for op in self.region_actions:
                    try:
                        found[op] = gen.region_support(src.shot_id, op, choice)
                    except PrevizError as exc:
                        found[op] = str(exc)
                if len(self._region_cache) > 256:
                    self._region_cache.clear()
                self._region_cache[key] = found
            reasons = self._region_cache[key]
        if reasons == self.region_reasons:
            return
        self.region_reasons = dict(reasons)
        for op, a in self.region_actions.items():
            reason = reasons[op]
            a.setEnabled(reason is None)
            tip = REGION_TIPS[op] if reason is None else f"Unavailable: {reason}"
            a.setToolTip(tip)
            a.setStatusTip(tip)

    def context_menu(self) -> QMenu:
        m = QMenu(self.parent_widget)
        m.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        for a in (self.generate_action, self.reprompt_action, self.variations_action):
            m.addAction(a)
        m.addSeparator()
        for a in (
            self.extend_fwd_action,
            self.extend_back_action,
            self.bridge_action,
            self.remix_action,
            self.loop_action,
            self.image_action,
            self.import_action,
        ):
            m.addAction(a)
        m.addSeparator()
        m.addAction(self.inpaint_action)
        m.addAction(self.cinemagraph_action)
        m.setToolTipsVisible(True)  # a greyed region edit says why
        m.addSeparator()
        for a in (self.move_earlier_action, self.move_later_action):
            m.addAction(a)
        m.addSeparator()
        for a in (
            self.add_shot_action,
            self.insert_action,
            self.duplicate_action,
            self.delete_action,
        ):
            m.addAction(a)
        return m

    # --- helpers ------------------------------------------------------------------------------

    def _targets(self) -> list[int]:
        sel = self.host.selected_shot_ids()
        if sel:
            return sel
        cur = self.host.current_shot_id()
        return [cur] if cur is not None else []

    def _current(self) -> int:
        cur = self.host.current_shot_id()
        if cur is None:
            sel = self.host.selected_shot_ids()
            if not sel:
                raise InvalidInput("select a shot first")
            cur = sel[-1]
        return cur

    def _current_or_say(self) -> int | None:
        """The shot to act on, or None after telling the user to select one."""
        try:
            return self._current()
        except PrevizError as exc:
            show_error(self.parent_widget, exc)
            return None

    def _queued(self, jobs: list[JobInfo]) -> list[JobInfo]:
        self.last_jobs = jobs
        if jobs:
            if self.host.runner is not None:
                self.host.runner.wake()
            self.jobs_queued.emit(jobs)
        return jobs

    def reroll(self, shot_id: int, take_number: int, window: int) -> list[JobInfo]:
        """A new take of a long shot keeping windows 1..window-1 of ``take_number``."""
        job = self._run(
            lambda: self.host.gen.reroll(shot_id, window, EngineChoice(), take=take_number)
        )
        return self._queued([job]) if job else []

    def rerender(self, shot_id: int, take_number: int) -> list[JobInfo]:
        """Render a draft take again at full quality with the same seed."""
        job = self._run(lambda: self.host.gen.rerender(shot_id, take_number))
        return self._queued([job]) if job else []

    def _run(self, fn: Any) -> Any:
        """Commit pending edits, run ``fn``, show any error; None on error."""
        if self.host.svc is None or self.host.gen is None:
            return None
        if not self.host.commit_pending():
            return None
        try:
            return fn()
        except Exception as exc:
            show_error(self.parent_widget, exc)
            return None

    # --- generation ---------------------------------------------------------------------------

    def generate_draft(self, shot_ids: list[int] | None = None) -> list[JobInfo]:
        """A cheap preview take of each shot (re-rendered in full later with the same seed)."""
        return self.generate(shot_ids, draft=True)

    def generate(
        self, shot_ids: list[int] | None = None, count: int = 1, *, draft: bool = False
    ) -> list[JobInfo]:
        """A new take for each shot (``count`` seeds each; ``draft``: a cheap preview). Shots
        that cannot be generated are reported together; the others are queued."""
        if self.host.svc is None or self.host.gen is None or not self.host.commit_pending():
            return []
        ids = shot_ids if shot_ids is not None else self._targets()
        if not ids:
            show_error(self.parent_widget, InvalidInput("select a shot to generate"))
            return []
        choice = self.host.engine_choice()
        if draft:
            choice = dataclasses.replace(choice, draft=True)
        jobs: list[JobInfo] = []
        problems: list[str] = []
        for sid in ids:
            try:
                jobs += self.host.gen.generate(sid, choice, count=count)
            except PrevizError as exc:
                problems.append(str(exc))
            except Exception as exc:
                show_error(self.parent_widget, exc)
                break
        if problems:
            more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
            show_error(self.parent_widget, PrevizError(problems[0] + more))
        return self._queued(jobs)

    def reprompt(self) -> list[JobInfo]:
        """A new take of the current shot from its prompt as edited in the inspector."""
        cur = self.host.current_shot_id()
        if cur is None:
            show_error(self.parent_widget, InvalidInput("select the shot to re-prompt"))
            return []
        return self.generate([cur])

    def variations(self, count: int, shot_ids: list[int] | None = None) -> list[JobInfo]:
        return self.generate(shot_ids, count=count)

    def variations_dialog(self) -> None:
        n, ok = QInputDialog.getInt(
            self.parent_widget, "Variations", "Takes per shot (consecutive seeds):", 4, 2, 16
        )
        if ok:
            self.variations(n)

    def extend(self, direction: str, seconds: float, shot_id: int | None = None) -> JobInfo | None:
        def go() -> JobInfo:
            sid = shot_id if shot_id is not None else self._current()
            shot = self.host.svc.shot(sid)
            fps = self.host.svc.sequence(shot.sequence_id).fps
            frames = seconds_to_frames(Fraction(str(seconds)), fps)
            if frames < 1:
                raise InvalidInput("extend by at least one frame")
            return self.host.gen.extend(sid, direction, frames, self.host.engine_choice())

        job = self._run(go)
        if job is not None:
            self._queued([job])
        return job

    def extend_dialog(self, direction: str) -> None:
        secs, ok = QInputDialog.getDouble(
            self.parent_widget, f"Extend {direction}", "Seconds to add:", 2.0, 0.1, 60.0, 1
        )
        if ok:
            self.extend(direction, secs)

    def bridge(self, shot_id: int | None = None) -> tuple[ShotInfo, JobInfo] | None:
        def go() -> tuple[ShotInfo, JobInfo]:
            sid = shot_id if shot_id is not None else self._current()
            shot = self.host.svc.shot(sid)
            shots = self.host.svc.shots(shot.sequence_id)
            if shot.index + 1 >= len(shots):
                raise InvalidInput(
                    f"shot {shot.label} is the last in its sequence; a bridge "
                    "joins a shot to the one after it"
                )
            return self.host.gen.bridge(sid, shots[shot.index + 1].id, self.host.engine_choice())

        out = self._run(go)
        if out is not None:
            self._queued([out[1]])
            self.host.focus_shot(out[0].id)
        return out

    def remix(
        self, prompt: str, strength: float = 0.6, shot_id: int | None = None
    ) -> JobInfo | None:
        def go() -> JobInfo:
            sid = shot_id if shot_id is not None else self._current()
            return self.host.gen.remix(sid, prompt, self.host.engine_choice(), strength=strength)

        job = self._run(go)
        if job is not None:
            self._queued([job])
        return job

    def remix_dialog(self) -> None:
        try:
            shot = self.host.svc.shot(self._current())
        except Exception as exc:
            show_error(self.parent_widget, exc)
            return
        text, ok = QInputDialog.getMultiLineText(
            self.parent_widget,
            "Remix",
            "Prompt for the remix (the take's motion is kept):",
            shot.prompt,
        )
        if not ok:
            return
        strength, ok = QInputDialog.getDouble(
            self.parent_widget, "Remix", "Strength (0 = keep, 1 = repaint):", 0.6, 0.05, 1.0, 2
        )
        if ok:
            self.remix(text, strength)

    def loop(self, shot_id: int | None = None) -> JobInfo | None:
        def go() -> JobInfo:
            sid = shot_id if shot_id is not None else self._current()
            shot = self.host.svc.shot(sid)
            return self.host.gen.loop(
                sid, self.host.engine_choice(), take=shot.selected_take_number
            )

        job = self._run(go)
        if job is not None:
            self._queued([job])
        return job

    def image_to_video(self, shot_id: int, image: str | Path, frame: int = 0) -> list[JobInfo]:
        def go() -> list[JobInfo]:
            return self.host.gen.generate(
                shot_id, self.host.engine_choice(), images=[(str(image), frame)]
            )

        jobs = self._run(go)
        return self._queued(jobs) if jobs else []

    def image_to_video_dialog(self) -> None:
        sid = self._current_or_say()
        if sid is None:
            return
        path, _ = QFileDialog.getOpenFileName(
            self.parent_widget,
            "Image to video",
            str(Path.home()),
            "Images (*.png *.jpg *.jpeg *.webp *.bmp *.tif *.tiff)",
        )
        if path:
            self.image_to_video(sid, path)

    def import_dialog(self) -> None:
        sid = self._current_or_say()
        if sid is None:
            return
        from previz.ui.takes_widget import TakesWidget

        path, _ = QFileDialog.getOpenFileName(
            self.parent_widget,
            "Import a take",
            str(Path.home()),
            "Video or image (*.mp4 *.mov *.m4v *.mkv *.avi *.webm *.png *.jpg *.jpeg *.webp);;"
            "All files (*)",
        )
        if path:
            TakesWidget.import_file(self.parent_widget, self.host.svc, sid, path)

    # --- region edits -------------------------------------------------------------------------

    def _region_source(self) -> RegionSource:
        src = self.host.region_source()
        if src is None:
            raise InvalidInput(NO_TAKE_SHOWN)
        return src

    def _region_queue(self, make: Any) -> JobInfo | None:
        """Queue a region edit (``make(resize_mask)``); a mask of another size than the
        frames is offered a resize (the service refuses it otherwise)."""
        try:
            job = self._run_raising(lambda: make(False))
        except InvalidInput as exc:
            if "--resize-mask" not in str(exc):
                show_error(self.parent_widget, exc)
                return None
            text = str(exc).split("; make the mask")[0]
            answer = QMessageBox.question(
                self.parent_widget,
                "Resize the mask?",
                f"{text[:1].upper()}{text[1:]}. Resize the mask to fit the frames?",
            )
            if answer != QMessageBox.StandardButton.Yes:
                return None
            job = self._run(lambda: make(True))
        except Exception as exc:
            show_error(self.parent_widget, exc)
            return None
        if job is not None:
            notes = list(getattr(self.host.gen, "notes", []) or [])
            if notes:
                self.host.say(notes[0])
            self._queued([job])
        return job

    def _run_raising(self, fn: Any) -> Any:
        if self.host.svc is None or self.host.gen is None:
            return None
        if not self.host.commit_pending():
            return None
        return fn()

    def inpaint(
        self,
        prompt: str,
        feather: int | None = None,
        masks: list[tuple[int | None, Any]] | None = None,
    ) -> JobInfo | None:
        """A new take of the take shown, made again inside the mask (the mask tool's, or
        ``masks``: (frame or None, HxW bool) keys) from ``prompt``."""
        from previz.services.regions import MaskInput

        tool = self.host.mask_tool()
        keys = tool.masks() if masks is None else masks
        fth = tool.feather.value() if feather is None else feather

        def make(resize: bool) -> JobInfo:
            src = self._region_source()
            if not keys or not any(m.any() for _f, m in keys):
                raise InvalidInput(NO_MASK)
            return self.host.gen.inpaint(
                src.shot_id,
                prompt,
                [MaskInput(frame=f, array=m) for f, m in keys],
                self.host.engine_choice(),
                take=src.take.number,
                feather=fth,
                resize_mask=resize,
            )

        return self._region_queue(make)

    def cinemagraph(
        self,
        prompt: str,
        seconds: float | None = None,
        *,
        loop: bool = False,
        feather: int | None = None,
        image: str | Path | None = None,
    ) -> JobInfo | None:
        """A cinemagraph from the frame shown (or ``image``) that moves only inside the mask
        shown, for ``seconds`` (default: the shot's planned duration)."""
        from previz.services.regions import MaskInput

        tool = self.host.mask_tool()
        mask = tool.mask()
        fth = tool.feather.value() if feather is None else feather

        def make(resize: bool) -> JobInfo:
            src = self._region_source()
            if not mask.any():
                raise InvalidInput(NO_MASK)
            if image is not None and not str(image).strip():
                raise InvalidInput(
                    "choose the image file for the cinemagraph's still, or use the frame shown"
                )
            frames = None
            if seconds is not None:
                shot = self.host.svc.shot(src.shot_id)
                fps = self.host.svc.sequence(shot.sequence_id).fps
                frames = seconds_to_frames(Fraction(str(seconds)), fps)
                if frames < 1:
                    raise InvalidInput("a cinemagraph lasts at least one frame")
            where: dict[str, Any] = (
                {"image": str(image)}
                if image is not None
                else {"frame": src.frame, "take": src.take.number}
            )
            return self.host.gen.cinemagraph(
                src.shot_id,
                prompt,
                MaskInput(array=mask),
                self.host.engine_choice(),
                duration_frames=frames,
                loop=loop,
                feather=fth,
                resize_mask=resize,
                **where,
            )

        return self._region_queue(make)

    def _ready_to_mask(self) -> tuple[RegionSource, Any] | None:
        """The take shown and the mask tool, or None after saying what is missing (and
        opening the mask tool when it is the mask)."""
        try:
            src = self._region_source()
        except PrevizError as exc:
            show_error(self.parent_widget, exc)
            return None
        tool = self.host.mask_tool()
        if tool.is_empty():
            self.host.start_masking()
            show_error(self.parent_widget, InvalidInput(NO_MASK))
            return None
        return src, tool

    def inpaint_dialog(self) -> None:
        from previz.ui.region_dialogs import InpaintDialog

        ready = self._ready_to_mask()
        if ready is None:
            return
        src, tool = ready
        shot = self.host.svc.shot(src.shot_id)
        dlg = InpaintDialog(
            self.parent_widget,
            take_label=f"{shot.label} take {src.take.number}",
            prompt=shot.prompt,
            mask_text=tool.describe(),
            feather=tool.feather.value(),
        )
        if dlg.exec():
            ans = dlg.answer()
            tool.feather.setValue(ans.feather)
            self.inpaint(ans.prompt, ans.feather)

    def cinemagraph_dialog(self) -> None:
        from previz.ui.region_dialogs import CinemagraphDialog

        ready = self._ready_to_mask()
        if ready is None:
            return
        src, tool = ready
        shot = self.host.svc.shot(src.shot_id)
        fps = self.host.svc.sequence(shot.sequence_id).fps
        dlg = CinemagraphDialog(
            self.parent_widget,
            frame_label=f"Frame {src.frame} of {shot.label} take {src.take.number}",
            prompt=shot.prompt,
            mask_text=(f"The mask at frame {src.frame}" if tool.keyed else "The mask painted"),
            feather=tool.feather.value(),
            seconds=round(float(shot.duration_frames / fps), 1),
        )
        if dlg.exec():
            ans = dlg.answer()
            tool.feather.setValue(ans.feather)
            self.cinemagraph(
                ans.prompt, ans.seconds, loop=ans.loop, feather=ans.feather, image=ans.image
            )

    # --- editing the board --------------------------------------------------------------------

    def add_shot(self, index: int | None = None, prompt: str = "") -> ShotInfo | None:
        def go() -> ShotInfo:
            seq = self.host.current_sequence_id()
            if seq is None:
                raise InvalidInput("open a sequence first")
            return self.host.svc.add_shot(seq, index=index, prompt=prompt)

        shot = self._run(go)
        if shot is not None:
            self.host.focus_shot(shot.id)
        return shot

    def add_shot_after_current(self) -> ShotInfo | None:
        cur = self.host.current_shot_id()
        if cur is None:
            return self.add_shot(None)
        return self.add_shot(self.host.svc.shot(cur).index + 1)

    def insert_before_current(self) -> ShotInfo | None:
        cur = self.host.current_shot_id()
        if cur is None:
            return self.add_shot(0)
        return self.add_shot(self.host.svc.shot(cur).index)

    def duplicate_selected(self) -> list[ShotInfo]:
        def go() -> list[ShotInfo]:
            return self.host.svc.duplicate_shots(self._targets())

        out = self._run(go) or []
        if out:
            self.host.focus_shot(out[-1].id)
        return out

    def move_selected(self, step: int) -> bool:
        """Move the selected shots (or the current one) one place earlier (``step`` -1) or
        later (+1), through the same undoable move as a drag on the board. False (and a word
        in the status bar) when there is nowhere to go."""
        if self.host.svc is None:
            return False
        ids = self._targets()
        order = self.host.shot_order()
        pos = sorted(order.index(i) for i in ids if i in order)
        if not pos:
            show_error(self.parent_widget, InvalidInput("select the shots to move first"))
            return False
        if step < 0 and pos[0] == 0:
            self.host.say("The selection is already at the start of the sequence")
            return False
        if step > 0 and pos[-1] == len(order) - 1:
            self.host.say("The selection is already at the end of the sequence")
            return False
        slot = pos[0] - 1 if step < 0 else pos[-1] + 2
        self.host.move_shots([order[p] for p in pos], slot)
        return True

    def delete_selected(self) -> list[ShotInfo]:
        def go() -> list[ShotInfo]:
            return self.host.svc.remove_shots(self._targets())

        return self._run(go) or []
