"""The player's sound output: one small interface, a QtMultimedia backend and a silent one.

QtMultimedia ships with PySide6-Addons (the ``previz-studio[audio]`` extra), not with the
PySide6-Essentials the app needs, and it needs the system's PulseAudio library (DESIGN.md §5),
so it is imported here lazily and guarded: the app starts and plays pictures without it. Where
it cannot load, or the machine has no audio output, :func:`open_output` gives a
:class:`NullAudioOut` whose ``reason`` is the one line the player shows.

Positions are seconds from the start of the loaded WAV (the player builds it, in step with its
frames, through ``previz.services.playback``).
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger(__name__)

NO_EXTRA = "No sound: install previz-studio[audio] for playback"
NO_DEVICE = "No sound: no audio output device found"


class AudioOut(Protocol):
    def available(self) -> tuple[bool, str]:
        """(True, "") when sound can be heard; else (False, a one-line reason)."""

    def load(self, wav_path: Path | None) -> None:
        """Play this file from now on (None: nothing)."""

    def play_from(self, seconds: float) -> None: ...

    def pause(self) -> None: ...

    def seek(self, seconds: float) -> None: ...

    def set_muted(self, muted: bool) -> None: ...

    def close(self) -> None: ...

    # optional: ``position() -> float | None``, the second being heard now, or None while the
    # sound is not (yet) running; the player then keeps the picture on the sound's clock


class NullAudioOut:
    """No sound, and the one-line reason why."""

    def __init__(self, reason: str = NO_DEVICE) -> None:
        self.reason = reason

    def available(self) -> tuple[bool, str]:
        return False, self.reason

    def load(self, wav_path: Path | None) -> None:
        pass

    def play_from(self, seconds: float) -> None:
        pass

    def pause(self) -> None:
        pass

    def seek(self, seconds: float) -> None:
        pass

    def set_muted(self, muted: bool) -> None:
        pass

    def close(self) -> None:
        pass


class QtAudioOut:
    """QMediaPlayer + QAudioOutput on the default output device.

    ``setSource`` loads asynchronously, so a position or a play asked for before the file is
    loaded is kept and applied when it is."""

    def __init__(self, qtm: Any) -> None:
        from PySide6.QtCore import QUrl

        self._qtm = qtm
        self._url = QUrl
        self._player = qtm.QMediaPlayer()
        self._output = qtm.QAudioOutput()
        self._player.setAudioOutput(self._output)
        self._player.mediaStatusChanged.connect(self._status)
        self._player.errorOccurred.connect(self._error)
        self._player.positionChanged.connect(self._moved)
        self._loaded = False
        self._from_ms: int | None = None  # where the last play_from started
        self._anchor: tuple[float, float] | None = None  # (seconds heard, monotonic time)
        self._path: Path | None = None
        self._pending: tuple[float, bool] | None = None  # (seconds, playing) until loaded

    def available(self) -> tuple[bool, str]:
        if not self._qtm.QMediaDevices.audioOutputs():
            return False, NO_DEVICE
        return True, ""

    def load(self, wav_path: Path | None) -> None:
        if wav_path is not None and self._path == Path(wav_path):
            return
        self._player.stop()
        self._loaded = False
        self._pending = None
        self._from_ms, self._anchor = None, None
        self._path = None if wav_path is None else Path(wav_path)
        self._player.setSource(
            self._url() if wav_path is None else self._url.fromLocalFile(str(wav_path))
        )

    def _ms(self, seconds: float) -> int:
        return max(0, round(seconds * 1000))

    def play_from(self, seconds: float) -> None:
        if self._path is None:
            return
        self._from_ms, self._anchor = self._ms(seconds), None
        if not self._loaded:
            self._pending = (seconds, True)
            return
        self._player.setPosition(self._ms(seconds))
        self._player.play()

    def pause(self) -> None:
        self._from_ms, self._anchor = None, None
        if self._pending is not None:
            self._pending = (self._pending[0], False)
        self._player.pause()

    def seek(self, seconds: float) -> None:
        self._anchor = None
        if self._path is None:
            return
        if not self._loaded:
            self._pending = (seconds, self._pending[1] if self._pending else False)
            return
        self._player.setPosition(self._ms(seconds))

    def set_muted(self, muted: bool) -> None:
        self._output.setMuted(muted)

    def close(self) -> None:
        self._player.stop()
        self._player.setSource(self._url())
        self._path = None

    def position(self) -> float | None:
        """The second heard now, once the sound runs after the last ``play_from`` (Qt reports
        the position in steps of a buffer; it is carried on with the clock in between)."""
        if self._anchor is None:
            return None
        heard, at = self._anchor
        return heard + (time.monotonic() - at)

    def _moved(self, ms: int) -> None:
        if self._from_ms is None:
            return
        if self._anchor is None and ms == self._from_ms:
            return  # not running yet
        if self._player.playbackState() == self._qtm.QMediaPlayer.PlaybackState.PlayingState:
            self._anchor = (ms / 1000, time.monotonic())

    def _status(self, status: Any) -> None:
        st = self._qtm.QMediaPlayer.MediaStatus
        if status in (st.LoadedMedia, st.BufferedMedia, st.BufferingMedia) and not self._loaded:
            self._loaded = True
            if self._pending is not None:
                seconds, playing = self._pending
                self._pending = None
                self._player.setPosition(self._ms(seconds))
                if playing:
                    self._player.play()

    def _error(self, error: Any, text: str = "") -> None:
        log.warning("sound playback failed: %s", text or error)


def open_output() -> AudioOut:
    """The QtMultimedia output when it loads and the machine has an audio output; otherwise a
    :class:`NullAudioOut` saying why, in one line."""
    import importlib
    import importlib.util

    try:
        found = importlib.util.find_spec("PySide6.QtMultimedia") is not None
    except (ImportError, ValueError):
        found = False
    if not found:  # PySide6-Essentials only
        return NullAudioOut(NO_EXTRA)
    try:
        qtm = importlib.import_module("PySide6.QtMultimedia")
    except ImportError as exc:  # installed, but a system library (libpulse) is missing
        missing = str(exc).split(":")[0].strip() or "a system library"
        return NullAudioOut(
            f"No sound: Qt's audio cannot load ({missing} is missing); install PulseAudio's "
            "client library (libpulse0)"
        )
    except Exception as exc:  # a broken multimedia install must not stop the player
        return NullAudioOut(f"No sound: Qt's audio cannot load ({exc})")
    try:
        if not qtm.QMediaDevices.audioOutputs():
            return NullAudioOut(NO_DEVICE)
        return QtAudioOut(qtm)
    except Exception as exc:  # a broken multimedia plugin must not stop the player
        log.warning("audio output unavailable", exc_info=True)
        return NullAudioOut(f"No sound: the audio output failed to start ({exc})")
