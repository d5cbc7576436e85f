"""The player: a take, or the whole sequence with trims applied, at the sequence frame rate.

Frames come from :class:`previz.services.playback.FrameSource` (PyAV, frame-accurate) and are
painted by :class:`FrameView`. Playback runs on a precise QTimer checked against a monotonic
clock: each tick shows the frame that *should* be on screen now, so a slow frame makes the
player skip ahead (counted in ``dropped``) rather than drift behind the clock.

Keys (when the player or the timeline has focus): Space play/pause, J/K/L shuttle (press J or L
again to go faster), Left/Right one frame (Shift: one second), Up/Down previous/next shot,
Home/End, I/O set the trim of the shot under the playhead (``svc.trim_shot``).

Sound: when what is shown has sound (a take, or the sequence's selected takes), the player
plays a WAV of it laid out like the picture (built by ``previz.services.playback``) through
an :mod:`previz.ui.audio_out` output, kept in step at every play, pause, seek, step and loop;
it is silent while shuttling at other speeds. Where no output is available, a one-line notice
under the picture says why.

Mask (the bar's Mask button, Shot ▸ Mask Tool): the mask tool (:mod:`previz.ui.mask_tool`) opens
under the picture and the mouse paints the region a region edit changes, in the frame pixels
of the take shown (a sequence under the playhead switches to its take first); [ and ] make
the brush smaller and larger.
"""

from __future__ import annotations

import logging
import tempfile
import threading
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QSizePolicy,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from previz.core.errors import PrevizError
from previz.core.time import frames_to_timecode
from previz.services.playback import FrameSource, PlaybackError, Playlist, write_playlist_sound
from previz.ui import icons
from previz.ui.audio_out import AudioOut, open_output
from previz.ui.errors import show_error
from previz.ui.frame_view import GUIDES, FrameView, rgb_to_qimage
from previz.ui.mask_tool import MaskTool
from previz.ui.scrub_bar_widget import ScrubBarWidget

log = logging.getLogger(__name__)

MAX_SPEED = 8.0
SOUND_SLIP = 0.15  # seconds the picture may drift from the sound before it is put back on it
SOUND_WAIT = 1.0  # seconds the picture waits on its first frame for the sound to start
SOUND_MIXES_KEPT = 4  # sound mixes kept on disk (switching take/sequence does not rebuild)
PREBUILD_DELAY_MS = 300  # the mix is built in the background once the cut rests this long


class PlayerWidget(QWidget):
    frame_changed = Signal(int)  # playback frame (a sequence frame in sequence mode)
    shot_changed = Signal(object)  # shot id under the playhead
    trimmed = Signal(int)  # shot id whose trim was set with I/O
    mode_changed = Signal(str)
    mask_mode_changed = Signal(bool)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        compact: bool = False,
        audio: AudioOut | None = None,
    ) -> None:
        """``audio``: the sound output (default: :func:`open_output`, opened the first time
        something with sound is shown, so a silent project never loads QtMultimedia)."""
        super().__init__(parent)
        self.svc: Any = None
        self.source = FrameSource()
        self.compact = compact
        self.mode = "sequence"  # "sequence" | "take"
        self.seq_id: int | None = None
        self.take_id: int | None = None
        self.playlist: Playlist | None = None
        self._stale = True
        self.frame = 0
        self.speed = 0.0  # 0 = paused; negative plays backwards
        self.loop = True
        self.dropped = 0
        self.shown = 0
        self._t0 = 0.0
        self._f0 = 0
        self._last_shot: int | None = None
        self._trim: tuple[int, int | None] | None = None  # take mode: the shot's trim
        self._take_is_selected = False
        self._takes: dict[int, Any] = {}  # (TakeInfo, clips) by id: a take's frames never change
        self._cut_signature: tuple[Any, ...] = ()
        self._shots_hint: list[Any] | None = None
        self._audio: AudioOut | None = audio
        self.muted = False
        self._sound_dir: tempfile.TemporaryDirectory[str] | None = None
        self._mixes: dict[tuple[Any, ...], Path] = {}  # sound key -> WAV built for it
        self._builds: dict[tuple[Any, ...], _MixBuild] = {}  # mixes being built
        self._mix_count = 0
        self._prebuild_timer = QTimer(self)
        self._prebuild_timer.setSingleShot(True)
        self._prebuild_timer.setInterval(PREBUILD_DELAY_MS)
        self._prebuild_timer.timeout.connect(self._prebuild_sound)
        self._sound_key: tuple[Any, ...] | None = None  # what the output has loaded
        self._sound_asked: float | None = None  # monotonic time of the last play_from
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

        self.view = FrameView()
        self.view.on_mask_press = self.pause
        self.mask_tool = MaskTool()
        self.mask_tool.hide()
        self.mask_tool.seek_requested.connect(lambda f: (self.pause(), self.seek(f)))
        self.masking = False
        self.scrub = ScrubBarWidget()
        self.scrub.scrubbed.connect(self.scrub_to)
        self.timecode = QLabel("01:00:00:00")
        self.timecode.setObjectName("timecode")
        self.timecode.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.shot_code = QLabel("")
        self.shot_code.setObjectName("shotCode")
        self.shot_code.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.sound_notice = QLabel("")  # one line: why the sound of this take is not heard
        self.sound_notice.setObjectName("soundNotice")
        self.sound_notice.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self.sound_notice.hide()

        self.mode_box = QComboBox()
        self.mode_box.addItems(["Sequence", "Take"])
        self.mode_box.setToolTip(
            "Play the whole sequence (selected takes, trims applied) or "
            "the selected take on its own"
        )
        self.mode_box.activated.connect(self._mode_picked)

        def tb(text: str, tip: str, slot: Any, checkable: bool = False) -> QToolButton:
            b = QToolButton()
            if text.startswith(":"):
                b.setIcon(icons.icon(text[1:]))
                b.setIconSize(QSize(16, 16))
            else:
                b.setText(text)
            b.setToolTip(tip)
            b.setCheckable(checkable)
            b.setAutoRaise(True)
            b.clicked.connect(slot)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            return b

        self.btn_start = tb(":start", "Go to start (Home)", lambda: self.seek(self._range()[0]))
        self.btn_back = tb(":step_back", "Previous frame (Left)", lambda: self.step(-1))
        self.btn_play = tb(":play", "Play / pause (Space)", self.toggle_play)
        self.btn_fwd = tb(":step_fwd", "Next frame (Right)", lambda: self.step(1))
        self.btn_end = tb(":end", "Go to end (End)", lambda: self.seek(self._range()[1] - 1))
        self.btn_loop = tb(":loop", "Loop playback", self._loop_toggled, checkable=True)
        self.btn_loop.setChecked(self.loop)
        self.btn_mute = tb(
            ":sound",
            "Mute the sound (the picture keeps playing)",
            self._mute_toggled,
            checkable=True,
        )
        self.btn_mute.setEnabled(False)
        self.btn_in = tb("I", "Set the trim in here (I)", self.mark_in)
        self.btn_out = tb("O", "Set the trim out here (O)", self.mark_out)
        self.btn_grab = tb(":grab", "Grab: save the current frame as a PNG", self._grab_clicked)
        self.btn_mask = tb(
            ":mask",
            "Mask: paint the region to inpaint or animate (Shot ▸ Mask Tool)",
            lambda: self.set_mask_mode(self.btn_mask.isChecked()),
            checkable=True,
        )
        self.guides = QComboBox()
        for name, aspect in GUIDES:
            self.guides.addItem(name, aspect)
        self.guides.setToolTip("Frame guides for the delivery aspect")
        self.guides.currentIndexChanged.connect(
            lambda i: self.view.set_guide(self.guides.itemData(i))
        )
        # an icon, not a "Safe" check box: the bar keeps the window within a 1280 px screen
        self.safe = tb(
            ":safe",
            "Safe areas: action safe (93%) and title safe (90%), EBU R 95",
            lambda: None,
            checkable=True,
        )
        self.safe.toggled.connect(self.view.set_safe_areas)
        for w in (self.mode_box, self.guides, self.safe):
            w.setFocusPolicy(Qt.FocusPolicy.NoFocus)

        bar = QHBoxLayout()
        bar.setContentsMargins(6, 0, 6, 4)
        bar.setSpacing(2)
        if not compact:
            bar.addWidget(self.mode_box)
        for b in (
            self.btn_start,
            self.btn_back,
            self.btn_play,
            self.btn_fwd,
            self.btn_end,
            self.btn_loop,
            self.btn_mute,
        ):
            bar.addWidget(b)
        bar.addWidget(self.timecode)
        bar.addWidget(self.shot_code, 1)
        if not compact:
            bar.addWidget(self.btn_in)
            bar.addWidget(self.btn_out)
            bar.addWidget(self.guides)
            bar.addWidget(self.safe)
            bar.addWidget(self.btn_grab)
            bar.addWidget(self.btn_mask)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(self.view, 1)
        lay.addWidget(self.mask_tool)
        lay.addWidget(self.sound_notice)
        lay.addWidget(self.scrub)
        lay.addLayout(bar)

        self._timer = QTimer(self)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)
        self._show_timer = QTimer(self)
        self._show_timer.setSingleShot(True)
        self._show_timer.setInterval(0)
        self._show_timer.timeout.connect(self._show)

    # --- what to play -------------------------------------------------------------------------

    def set_project(self, svc: Any) -> None:
        self.pause()
        if self.masking:
            self.set_mask_mode(False)
        self.mask_tool.clear()
        self.source.close()
        self.source = FrameSource()
        self.svc = svc
        self._forget_sound()
        self._takes = {}
        self._cut_signature = ()
        self.seq_id = None
        self.take_id = None
        self.playlist = None
        self._stale = True
        self.frame = 0
        self._show()

    def show_sequence(self, seq_id: int, shot_id: int | None = None) -> None:
        """Play sequence ``seq_id``; put the playhead at the start of ``shot_id`` if given."""
        if self.masking:
            self.set_mask_mode(False)  # a mask is painted on one take
        changed = self.mode != "sequence" or self.seq_id != seq_id
        self.mode = "sequence"
        self.seq_id = seq_id
        self.mode_box.setCurrentIndex(0)
        if changed:
            self.pause()
            self.frame = 0
        self._stale = True
        self._ensure_playlist()
        if shot_id is not None and self.playlist is not None:
            item = self.playlist.item_for_shot(shot_id)
            if item is not None and not (item.start <= self.frame < item.end):
                self.frame = item.start
        self._show()
        if changed:
            self.mode_changed.emit(self.mode)

    def show_take(self, take_id: int | None, *, keep_frame: bool = False) -> None:
        """Play one take on its own (all its frames; the trim is shown on the scrub bar)."""
        changed = self.mode != "take" or self.take_id != take_id
        self.mode = "take"
        self.take_id = take_id
        self.mode_box.setCurrentIndex(1)
        if changed:
            self.pause()
            if not keep_frame:
                self.frame = 0
        self._stale = True
        self._ensure_playlist()
        self._show()
        if changed:
            self.mode_changed.emit(self.mode)

    def _mode_picked(self, index: int) -> None:
        if index == 0 and self.seq_id is not None:
            self.show_sequence(self.seq_id, self._last_shot)
        elif index == 1:
            self.show_take(self._selected_take_of(self._last_shot))

    def _selected_take_of(self, shot_id: int | None) -> int | None:
        if shot_id is None or self.svc is None:
            return self.take_id
        try:
            return self.svc.shot(shot_id).selected_take_id
        except PrevizError:
            return None

    def refresh(self, shots: list[Any] | None = None, drop_frame: bool | None = None) -> None:
        """The project changed: rebuild what plays (trims, takes, order); the picture is
        decoded in the next turn of the event loop, apart from the rest of the refresh.

        ``shots``: the current sequence's shots, just read by the caller. When what the cut
        depends on (order, selected takes, trims, durations, labels) and the sequence's timecode
        (``drop_frame``) are unchanged, nothing is rebuilt."""
        if self.mode == "sequence" and shots is not None:
            signature = (drop_frame,) + tuple(
                (
                    s.id,
                    s.label,
                    s.selected_take_id,
                    s.selected_take_number,
                    s.trim_in,
                    s.trim_out,
                    s.duration_frames,
                )
                for s in shots
            )
            if signature == self._cut_signature and not self._stale and self.playlist:
                return
            self._cut_signature = signature
            self._shots_hint = list(shots)
        self._stale = True
        if self.isVisible():
            self._ensure_playlist()
            self._show_timer.start()

    def _ensure_playlist(self) -> None:
        if not self._stale or self.svc is None:
            return
        self._stale = False
        self.source.forget_errors()
        try:
            if self.mode == "take":
                if self.take_id is None:
                    self.playlist = None
                else:
                    take = self.svc.take_by_id(self.take_id)
                    shot = self.svc.shot(take.shot_id)
                    self.playlist = Playlist.for_take(self.svc, take.id, shot.label)
                    self._take_is_selected = shot.selected_take_id == take.id
                    self._trim = (shot.trim_in, shot.trim_out) if self._take_is_selected else None
            elif self.seq_id is not None:
                hint, self._shots_hint = self._shots_hint, None
                if hint is not None and hint and hint[0].sequence_id != self.seq_id:
                    hint = None
                self.playlist = Playlist.for_sequence(
                    self.svc, self.seq_id, takes=self._takes, shots=hint
                )
            else:
                self.playlist = None
        except PrevizError as exc:
            log.info("nothing to play: %s", exc)
            self.playlist = None
        self._update_sound()
        pl = self.playlist
        if pl is None:
            self.scrub.set_range(0)
            self.scrub.set_trim(None, None)
            return
        self.view.set_frame_size(pl.width, pl.height)
        if self.masking and self.mode == "take":
            self.mask_tool.set_frame_size(pl.width, pl.height)
        cuts = [it.start for it in pl.items[1:]] if self.mode == "sequence" else []
        self.scrub.set_range(pl.total_frames, cuts)
        if (
            self.mode == "take"
            and self._trim is not None
            and (self._trim[0] > 0 or self._trim[1] is not None)
        ):
            self.scrub.set_trim(self._trim[0], self._trim[1])
        else:
            self.scrub.set_trim(None, None)
        self.frame = max(0, min(self.frame, pl.total_frames - 1))
        fps = float(pl.fps)
        self._timer.setInterval(max(4, int(500 / max(1.0, fps))))
        if self.playing and self._sound_key is not None and pl.sound_key() != self._sound_key:
            self._sound_follow()  # the cut changed under a playing sequence: new mix, same place

    # --- sound --------------------------------------------------------------------------------

    @property
    def has_sound(self) -> bool:
        """What is shown has sound (whether or not it can be heard here)."""
        return self.playlist is not None and self.playlist.has_sound

    def audio_output(self) -> AudioOut:
        if self._audio is None:
            self._audio = open_output()
            self._audio.set_muted(self.muted)
        return self._audio

    def set_audio_output(self, audio: AudioOut) -> None:
        """Use ``audio`` for sound from now on (the old output is closed)."""
        if self._audio is not None and self._audio is not audio:
            self._audio.close()
        self._audio = audio
        self._sound_key = None
        audio.set_muted(self.muted)
        self._update_sound()

    def _update_sound(self) -> None:
        """Show or hide the no-sound notice and the mute button for what is shown now."""
        if not self.has_sound:
            self.sound_notice.hide()
            self.btn_mute.setEnabled(False)
            if self._audio is not None and self._sound_key is not None:
                self._audio.load(None)
                self._sound_key = None
            return
        ok, reason = self.audio_output().available()
        if ok and self.playlist is not None and self.playlist.sound_key() not in self._mixes:
            self._prebuild_timer.start()  # once the cut stops changing
        self.btn_mute.setEnabled(ok)
        self.sound_notice.setText("" if ok else reason)
        self.sound_notice.setToolTip("" if ok else reason)
        self.sound_notice.setVisible(not ok)

    def _sound_ready(self, build: bool) -> bool:
        """The output has this playlist's sound loaded (its mix built, or waited for, first
        when ``build``)."""
        pl = self.playlist
        if pl is None or not pl.has_sound or self._audio is None or self.svc is None:
            return False
        if not self._audio.available()[0]:
            return False
        key = pl.sound_key()
        if key == self._sound_key:
            return True
        if not build:
            return False
        path = self._mix(key, pl)
        if path is None:
            return False
        self._audio.load(path)
        self._sound_key = key
        return True

    def _prebuild_sound(self) -> None:
        """Build the shown playlist's mix off the GUI thread, so play starts at once."""
        pl = self.playlist
        if pl is None or not pl.has_sound or self.svc is None or self._audio is None:
            return
        if not self._audio.available()[0]:
            return
        key = pl.sound_key()
        for old, done in list(self._builds.items()):  # mixes of cuts that changed unplayed
            if old != key and not done.is_alive():
                del self._builds[old]
                done.path.unlink(missing_ok=True)
        if key in self._mixes or key in self._builds:
            return
        build = _MixBuild(Path(self.svc.folder), pl, self._mix_path())
        self._builds[key] = build
        build.start()

    def _mix_path(self) -> Path:
        if self._sound_dir is None:
            self._sound_dir = tempfile.TemporaryDirectory(prefix="previz-sound-")
        self._mix_count += 1
        return Path(self._sound_dir.name) / f"mix{self._mix_count}.wav"

    def _mix(self, key: tuple[Any, ...], pl: Playlist) -> Path | None:
        """The WAV of ``pl``'s sound: built already, being built (waited for), or built now."""
        path = self._mixes.get(key)
        if path is not None and path.is_file():
            return path
        build = self._builds.pop(key, None)
        if build is None:
            build = _MixBuild(Path(self.svc.folder), pl, self._mix_path())
            build.run()
        else:
            build.join()
        if build.error is not None:
            log.warning("could not build the sound mix: %s", build.error)
            self._notice(f"No sound: could not build the sound ({build.error})")
            return None
        if build.warnings:
            self._notice(f"Part of the sound is missing: {build.warnings[0]}")
        while len(self._mixes) >= SOUND_MIXES_KEPT:
            self._mixes.pop(next(iter(self._mixes))).unlink(missing_ok=True)
        self._mixes[key] = build.path
        return build.path

    def _notice(self, text: str) -> None:
        self.sound_notice.setText(text)
        self.sound_notice.setToolTip(text)
        self.sound_notice.show()

    def _sound_follow(self) -> None:
        """Put the sound where the picture is: playing from this frame at normal speed,
        otherwise paused here."""
        if self.playlist is None or not self.has_sound or self._audio is None:
            return
        at = self.playlist.seconds(self.frame)
        self._sound_asked = None
        if self.speed == 1.0:
            if self._sound_ready(build=True):
                self._audio.play_from(at)
                self._sound_asked = time.monotonic()
        elif self._sound_ready(build=False):
            self._audio.pause()
            self._audio.seek(at)

    def _heard(self) -> float | None:
        """The second of the mix being heard, while the sound plays along at normal speed."""
        if self.speed != 1.0 or self._sound_key is None or self._audio is None:
            return None
        position = getattr(self._audio, "position", None)
        return position() if position is not None else None

    def _sound_starting(self, now: float) -> bool:
        """Sound was asked for less than `SOUND_WAIT` ago and its output will say when it runs."""
        return (
            self._sound_asked is not None
            and now - self._sound_asked < SOUND_WAIT
            and self.speed == 1.0
            and self._sound_key is not None
            and hasattr(self._audio, "position")
        )

    def _mute_toggled(self) -> None:
        self.set_muted(self.btn_mute.isChecked())

    def set_muted(self, muted: bool) -> None:
        self.muted = muted
        self.btn_mute.setChecked(muted)
        if self._audio is not None:
            self._audio.set_muted(muted)

    def _forget_sound(self) -> None:
        self._prebuild_timer.stop()
        for build in self._builds.values():
            build.join()
            build.path.unlink(missing_ok=True)
        self._builds.clear()
        if self._audio is not None:
            self._audio.load(None)
        self._sound_key = None
        for path in self._mixes.values():
            path.unlink(missing_ok=True)
        self._mixes.clear()

    @property
    def fps(self) -> Fraction:
        return self.playlist.fps if self.playlist else Fraction(24)

    @property
    def total_frames(self) -> int:
        self._ensure_playlist()
        return self.playlist.total_frames if self.playlist else 0

    def _range(self) -> tuple[int, int]:
        """The frames playback runs over (the trim, in take mode, when one is set)."""
        total = self.total_frames
        if self.mode == "take" and self._trim is not None:
            tin, tout = self._trim
            tout = total if tout is None else min(tout, total)
            if 0 <= tin < tout:
                return tin, tout
        return 0, total

    # --- showing a frame ----------------------------------------------------------------------

    def _show(self) -> None:
        self._show_timer.stop()
        self._ensure_playlist()
        pl = self.playlist
        if pl is None or pl.total_frames == 0:
            self.view.set_frame(
                None,
                "Nothing to play yet: generate a take"
                if self.mode == "take"
                else "This sequence has no shots yet",
            )
            self.timecode.setText(frames_to_timecode(0, self.fps, start_hours=1))
            self.shot_code.setText("")
            self.scrub.set_position(0)
            return
        found = pl.locate(self.frame)
        message = ""
        rgb = None
        if self.masking and found is not None:
            self.mask_tool.set_frame(found[1], found[0].take_offset + found[0].length)
        if found is not None:
            item, take_frame = found
            try:
                rgb = self.source.frame(pl, self.frame)
            except PlaybackError as exc:
                message = str(exc)
            if rgb is None and not message:
                message = f"{item.label}\nno take yet"
        self.view.set_frame(rgb, message)
        self.shown += 1
        self.timecode.setText(self.timecode_text())
        self.shot_code.setText(self.shot_code_text())
        self.scrub.set_position(self.frame)
        self.frame_changed.emit(self.frame)
        shot = found[0].shot_id if found else None
        if shot != self._last_shot:
            self._last_shot = shot
            self.shot_changed.emit(shot)

    def timecode_text(self) -> str:
        pl = self.playlist
        if pl is None:
            return frames_to_timecode(0, Fraction(24), start_hours=1)
        return frames_to_timecode(self.frame, pl.fps, drop_frame=pl.drop_frame, start_hours=1)

    def shot_code_text(self) -> str:
        pl = self.playlist
        found = pl.locate(self.frame) if pl else None
        if found is None:
            return ""
        item, take_frame = found
        take = f" · T{item.take_number}" if item.take_number else " · no take"
        return f"{item.label}{take} · f{take_frame}"

    def current_shot_id(self) -> int | None:
        found = self.playlist.locate(self.frame) if self.playlist else None
        return found[0].shot_id if found else None

    def current_frame_array(self) -> Any:
        return self.view.current_array()

    # --- transport ----------------------------------------------------------------------------

    def seek(self, frame: int) -> None:
        total = self.total_frames
        if total == 0:
            self._show()
            return
        self.frame = max(0, min(int(frame), total - 1))
        self._sound_follow()
        if self.speed:
            self._t0 = time.monotonic()
            self._f0 = self.frame
        self._show()

    def scrub_to(self, frame: int) -> None:
        self.setFocus()
        self.seek(frame)

    def seek_shot(self, shot_id: int) -> None:
        if self.mode == "sequence" and self.playlist is not None:
            item = self.playlist.item_for_shot(shot_id)
            if item is not None:
                self.seek(item.start)

    def step(self, n: int) -> None:
        self.pause()
        self.seek(self.frame + n)

    def play(self, speed: float = 1.0) -> None:
        lo, hi = self._range()
        if hi - lo <= 0:
            return
        if speed > 0 and self.frame >= hi - 1:
            self.frame = lo
        if speed < 0 and self.frame <= lo:
            self.frame = hi - 1
        self.speed = max(-MAX_SPEED, min(MAX_SPEED, speed))
        self._sound_follow()  # first: building the sound mix may take a moment
        self._t0 = time.monotonic()
        self._f0 = self.frame
        self.view.fast = True
        self.btn_play.setIcon(icons.icon("pause"))
        self._timer.start()

    def pause(self) -> None:
        was = self.speed != 0
        self.speed = 0.0
        self._timer.stop()
        self.view.fast = False
        self.btn_play.setIcon(icons.icon("play"))
        if was:
            self.view.update()
            self._sound_asked = None
            if self._audio is not None and self._sound_key is not None:
                self._audio.pause()

    @property
    def playing(self) -> bool:
        return self.speed != 0

    def toggle_play(self) -> None:
        if self.playing:
            self.pause()
        else:
            self.play(1.0)

    def _loop_toggled(self) -> None:
        self.loop = self.btn_loop.isChecked()

    def set_loop(self, on: bool) -> None:
        self.loop = on
        self.btn_loop.setChecked(on)

    def _tick(self) -> None:
        if not self.speed or self.playlist is None:
            self._timer.stop()
            return
        lo, hi = self._range()
        now = time.monotonic()
        heard = self._heard()
        if heard is None and self._sound_starting(now):
            self._t0 = now  # the picture waits for the sound to start, then both run
            return
        if heard is not None and abs((now - self._t0) - (heard - self._f0 / self.fps)) > SOUND_SLIP:
            # the sound started late or slipped: the picture follows the sound's clock
            self._t0 = now - (heard - float(self._f0 / self.fps))
        elapsed = now - self._t0
        advance = int(elapsed * float(self.fps) * self.speed)
        target = self._f0 + advance
        if target >= hi or target < lo:
            if not self.loop:
                self.frame = hi - 1 if target >= hi else lo
                self.pause()
                self._show()
                return
            length = hi - lo
            target = lo + (target - lo) % length
            # went round: restart the clock from here, and the sound with it
            self.frame = target
            self._sound_follow()
            self._t0 = time.monotonic()
            self._f0 = target
            self._show()
            return
        if target == self.frame:
            return
        jump = abs(target - self.frame)
        if jump > 1 and jump < (hi - lo) // 2:
            self.dropped += jump - 1
        self.frame = target
        self._show()

    # --- mask ---------------------------------------------------------------------------------

    def set_mask_mode(self, on: bool) -> None:
        """Open (or close) the mask tool over the picture. Masks are painted on a take: in
        sequence mode the player first shows the take under the playhead, at the same frame."""
        if on:
            self._ensure_playlist()
            found = self.playlist.locate(self.frame) if self.playlist else None
            if found is None or found[0].take_id is None:
                self.btn_mask.setChecked(False)
                self.mask_mode_changed.emit(self.masking)
                show_error(
                    self,
                    PrevizError(
                        "there is no take under the playhead to paint a mask on; "
                        "generate the shot first"
                    ),
                )
                return
            if self.mode == "sequence":
                item, take_frame = found
                self.show_take(item.take_id)
                self.seek(take_frame)
        self.masking = on
        self.btn_mask.setChecked(on)
        self.mask_tool.setVisible(on)
        if on:
            self.pause()
            pl = self.playlist
            if pl is not None:
                self.mask_tool.set_frame_size(pl.width, pl.height)
            self.view.set_mask_tool(self.mask_tool)
            self._show()
        else:
            self.view.set_mask_tool(None)
        self.mask_mode_changed.emit(on)

    # --- trims --------------------------------------------------------------------------------

    def _trim_target(self) -> tuple[int, int] | None:
        """(shot id, take frame) under the playhead, if it can be trimmed here."""
        pl = self.playlist
        found = pl.locate(self.frame) if pl else None
        if found is None or found[0].shot_id is None or found[0].take_id is None:
            return None
        if self.mode == "take" and not self._take_is_selected:
            return None
        return found[0].shot_id, found[1]

    def mark_in(self) -> None:
        self._mark(True)

    def mark_out(self) -> None:
        self._mark(False)

    def _mark(self, is_in: bool) -> None:
        if self.svc is None:
            return
        target = self._trim_target()
        if target is None:
            show_error(
                self,
                PrevizError(
                    "there is no selected take under the playhead to trim; select the take first"
                ),
            )
            return
        shot_id, take_frame = target
        self.pause()
        try:
            shot = self.svc.shot(shot_id)
            if is_in:
                out = (
                    shot.trim_out
                    if shot.trim_out is not None and shot.trim_out > take_frame
                    else None
                )
                self.svc.trim_shot(shot_id, take_frame, out)
            else:
                tin = shot.trim_in if shot.trim_in <= take_frame else 0
                self.svc.trim_shot(shot_id, tin, take_frame + 1)
        except Exception as exc:
            show_error(self, exc)
            return
        if self.mode == "sequence":
            # keep the same picture under the playhead after the cut moved
            self._stale = True
            self._ensure_playlist()
            item = self.playlist.item_for_shot(shot_id) if self.playlist else None
            if item is not None:
                self.frame = item.start if is_in else item.end - 1
        else:
            self._stale = True
        self._show()
        self.trimmed.emit(shot_id)

    # --- keys ---------------------------------------------------------------------------------

    def handle_key(self, event: QKeyEvent) -> bool:
        key = event.key()
        mods = event.modifiers()
        if mods & (
            Qt.KeyboardModifier.ControlModifier
            | Qt.KeyboardModifier.AltModifier
            | Qt.KeyboardModifier.MetaModifier
        ):
            return False
        big = bool(mods & Qt.KeyboardModifier.ShiftModifier)
        if key == Qt.Key.Key_Space:
            self.toggle_play()
        elif key == Qt.Key.Key_K:
            self.pause()
        elif key == Qt.Key.Key_L:
            self.play(min(MAX_SPEED, self.speed * 2) if self.speed > 0 else 1.0)
        elif key == Qt.Key.Key_J:
            self.play(max(-MAX_SPEED, self.speed * 2) if self.speed < 0 else -1.0)
        elif key == Qt.Key.Key_Left:
            self.step(-(round(self.fps) if big else 1))
        elif key == Qt.Key.Key_Right:
            self.step(round(self.fps) if big else 1)
        elif key in (Qt.Key.Key_Up, Qt.Key.Key_Down) and self.playlist and self.mode == "sequence":
            starts = [it.start for it in self.playlist.items]
            if key == Qt.Key.Key_Down:
                nxt = [s for s in starts if s > self.frame]
                self.step(0) if not nxt else (self.pause(), self.seek(nxt[0]))
            else:
                prev = [s for s in starts if s < self.frame]
                self.step(0) if not prev else (self.pause(), self.seek(prev[-1]))
        elif key == Qt.Key.Key_Home:
            self.pause()
            self.seek(self._range()[0])
        elif key == Qt.Key.Key_End:
            self.pause()
            self.seek(self._range()[1] - 1)
        elif key in (Qt.Key.Key_BracketLeft, Qt.Key.Key_BracketRight) and self.masking:
            size = self.mask_tool.size  # as in a paint program: [ smaller, ] larger brush
            step = max(1, round(size.value() * 0.2))
            size.setValue(size.value() + (step if key == Qt.Key.Key_BracketRight else -step))
            self.view.update()
        elif key == Qt.Key.Key_I and not self.compact:
            self.mark_in()
        elif key == Qt.Key.Key_O and not self.compact:
            self.mark_out()
        else:
            return False
        return True

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if not self.handle_key(event):
            super().keyPressEvent(event)

    # --- grab ---------------------------------------------------------------------------------

    def grab_frame(self, path: str | Path) -> Path:
        """Save the current frame, at its own resolution and without guides, as a PNG."""
        rgb = self.current_frame_array()
        if rgb is None:
            raise PrevizError("there is no picture under the playhead to save")
        out = Path(path)
        if out.suffix.lower() != ".png":
            out = out.with_suffix(".png")
        if not rgb_to_qimage(rgb).save(str(out), "PNG"):
            raise PrevizError(f"could not write {out}; check the folder exists and is writable")
        return out

    def _grab_clicked(self) -> None:
        if self.current_frame_array() is None:
            show_error(self, PrevizError("there is no picture under the playhead to save"))
            return
        code = self.shot_code_text().split(" · ")[0].replace("/", "_") or "frame"
        tc = self.timecode_text().replace(":", "").replace(";", "")
        default = str(
            (Path(self.svc.folder).parent if self.svc else Path.home()) / f"{code}_{tc}.png"
        )
        path, _ = QFileDialog.getSaveFileName(self, "Save frame as PNG", default, "PNG (*.png)")
        if path:
            try:
                self.grab_frame(path)
            except Exception as exc:
                show_error(self, exc)

    def closeEvent(self, event) -> None:  # type: ignore[no-untyped-def]
        self.pause()
        super().closeEvent(event)

    def shutdown(self) -> None:
        self.pause()
        self.source.close()
        self._forget_sound()
        if self._audio is not None:
            self._audio.close()
        if self._sound_dir is not None:
            self._sound_dir.cleanup()
            self._sound_dir = None


class _MixBuild(threading.Thread):
    """Builds a playlist's sound mix (``write_playlist_sound``) on a thread of its own; the
    playlist is immutable and the build reads only files, never the database."""

    def __init__(self, folder: Path, playlist: Playlist, path: Path) -> None:
        super().__init__(name="previz-sound-mix", daemon=True)
        self.folder = folder
        self.playlist = playlist
        self.path = path
        self.warnings: list[str] = []
        self.error: Exception | None = None

    def run(self) -> None:
        try:
            self.warnings = write_playlist_sound(self.folder, self.playlist, self.path)
        except Exception as exc:  # a full disk must not stop the picture
            self.error = exc
