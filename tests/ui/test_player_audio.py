"""The player plays a take's sound in step with its picture, a sequence's mix of its shots'
sound, and says in one line (no dialog) when the sound cannot be heard.

A fake output stands in for the sound card: it records where the player asks it to play, so
each play, pause, seek, step and loop can be checked against the frame on screen (within a
frame). Takes with sound are real project takes imported from clips with a 440 Hz tone."""

from __future__ import annotations

import sys
import time
import wave
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from previz.services.media_import import import_take
from previz.services.project import ProjectService
from previz.ui import audio_out
from previz.ui.audio_out import NO_DEVICE, NO_EXTRA, NullAudioOut
from previz.ui.player_widget import PlayerWidget
from tests.services.test_take_audio import write_clip_with_tone
from tests.ui.uihelpers import SIZE

pytestmark = pytest.mark.timeout(120)

FPS = 24
FRAME = 1 / FPS


class FakeAudio:
    """An audio output that records what it is told."""

    def __init__(self) -> None:
        self.loaded: Path | None = None
        self.loads: list[Path | None] = []
        self.playing = False
        self.at: float | None = None  # where the sound was put
        self.muted = False
        self.calls: list[tuple[str, object]] = []

    def available(self) -> tuple[bool, str]:
        return True, ""

    def load(self, wav_path: Path | None) -> None:
        self.loaded = None if wav_path is None else Path(wav_path)
        self.loads.append(self.loaded)
        self.playing = False
        self.at = None

    def play_from(self, seconds: float) -> None:
        self.calls.append(("play_from", seconds))
        self.at, self.playing = seconds, True

    def pause(self) -> None:
        self.calls.append(("pause", None))
        self.playing = False

    def seek(self, seconds: float) -> None:
        self.calls.append(("seek", seconds))
        self.at = seconds

    def set_muted(self, muted: bool) -> None:
        self.muted = muted

    def close(self) -> None:
        self.loaded = None


class ClockedFakeAudio(FakeAudio):
    """An output that also says which second is being heard (None: not running yet)."""

    heard: float | None = None

    def position(self) -> float | None:
        return self.heard if self.playing else None


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    """Mono float samples and the rate of a 16-bit WAV (independent of the app's writer)."""
    with wave.open(str(path), "rb") as w:
        rate, ch, n = w.getframerate(), w.getnchannels(), w.getnframes()
        data = np.frombuffer(w.readframes(n), "<i2").reshape(-1, ch).mean(axis=1)
    return data / 32767.0, rate


def tone_level(samples: np.ndarray, rate: int, t0: float, t1: float) -> float:
    """RMS of the 440 Hz tone between ``t0`` and ``t1`` seconds."""
    part = samples[int(t0 * rate) : int(t1 * rate)]
    return float(np.sqrt(np.mean(part**2))) if len(part) else 0.0


@pytest.fixture
def film(tmp_path: Path):
    """Shot 0010: 36 frames with a tone; shot 0020: 24 frames, silent footage."""
    svc = ProjectService.create(tmp_path / "Sound.previz", fps=str(FPS), size=SIZE)
    a = svc.add_shot(prompt="WIDE, talking", duration_frames=36)
    b = svc.add_shot(prompt="CU, silent", duration_frames=24)
    ta = import_take(svc, a.id, write_clip_with_tone(tmp_path / "a.mp4", FPS, 36))
    tb = import_take(svc, b.id, write_clip_with_tone(tmp_path / "b.mp4", FPS, 24, tone=False))
    assert ta.has_audio and not tb.has_audio
    yield svc, ta, tb
    svc.close()


def make_player(qtbot, svc: ProjectService, audio) -> PlayerWidget:  # type: ignore[no-untyped-def]
    p = PlayerWidget(audio=audio)
    qtbot.addWidget(p)
    p.set_project(svc)
    p.resize(640, 400)
    p.show()
    return p


def last(fake: FakeAudio, op: str) -> object:
    return [arg for name, arg in fake.calls if name == op][-1]


def test_a_take_with_sound_plays_pauses_seeks_steps_and_loops_in_step(qtbot, film) -> None:
    svc, ta, _ = film
    fake = FakeAudio()
    p = make_player(qtbot, svc, fake)
    p.show_take(ta.id)
    assert p.has_sound and not p.sound_notice.isVisibleTo(p)
    assert p.btn_mute.isEnabled() and p.btn_mute.toolTip()

    # play: the take's sound, as long as its frames, starts where the picture does
    p.seek(12)
    p.play()
    assert fake.playing and fake.loaded is not None and fake.loaded.is_file()
    assert abs(last(fake, "play_from") - 12 * FRAME) < FRAME
    samples, rate = read_wav(fake.loaded)
    assert abs(len(samples) / rate - 36 * FRAME) < FRAME
    assert tone_level(samples, rate, 0.1, 1.4) > 0.2  # the footage's tone is in it

    # a seek while playing moves the sound with the picture
    p.seek(30)
    assert fake.playing and abs(last(fake, "play_from") - 30 * FRAME) < FRAME
    # pause stops it; a seek or a frame step while paused moves it without playing
    p.pause()
    assert not fake.playing
    p.scrub_to(5)
    assert not fake.playing and abs(fake.at - 5 * FRAME) < FRAME
    p.step(1)
    assert not fake.playing and abs(fake.at - 6 * FRAME) < FRAME
    p.step(-3)
    assert abs(fake.at - 3 * FRAME) < FRAME

    # looping: when the picture goes round, the sound restarts where the picture is
    p.play()
    p._t0 = time.monotonic() - 2.0  # the clock says 2 s went by: past the end of 36 frames
    p._tick()
    assert p.playing and p.frame < 36
    assert fake.playing and abs(last(fake, "play_from") - p.frame * FRAME) < FRAME
    # without loop, the end of the take stops the sound
    p.set_loop(False)
    p._t0 = time.monotonic() - 5.0
    p._tick()
    assert not p.playing and not fake.playing

    # shuttling at other speeds keeps the sound quiet; normal speed brings it back
    p.play(2.0)
    assert not fake.playing
    p.play(1.0)
    assert fake.playing
    # the mute button mutes the output
    p.btn_mute.click()
    assert fake.muted and p.muted
    p.btn_mute.click()
    assert not fake.muted
    # the same take again does not rebuild its sound
    loads = len(fake.loads)
    p.pause()
    p.play()
    assert len(fake.loads) == loads
    p.shutdown()


def test_the_picture_follows_the_sound_when_the_sound_starts_late(qtbot, film) -> None:
    svc, ta, _ = film
    fake = ClockedFakeAudio()
    p = make_player(qtbot, svc, fake)
    p.show_take(ta.id)
    p.play()
    # the sound card has not started yet: the picture waits on the first frame for it
    p._t0 = time.monotonic() - 0.5
    p._tick()
    assert p.frame == 0 and p.playing
    # the clock says 1 s went by, but the sound card has only played 0.5 s: it started late
    p._t0 = time.monotonic() - 1.0
    fake.heard = 0.5
    p._tick()
    assert abs(p.frame - 0.5 * FPS) <= 1  # the picture shows what is heard, not 1 s in
    # a small difference (a buffer's step) leaves the picture on its own clock
    p._t0 = time.monotonic() - 1.0
    fake.heard = 0.95
    p._tick()
    assert abs(p.frame - 1.0 * FPS) <= 1
    # a sound that never starts does not hold the picture for more than a moment
    fake.heard = None
    p.seek(0)
    p._sound_asked -= 5.0
    p._t0 = time.monotonic() - 0.25
    p._tick()
    assert abs(p.frame - 0.25 * FPS) <= 1
    p.shutdown()


def test_the_sequence_plays_a_mix_of_its_shots_sound_as_long_as_the_cut(qtbot, film) -> None:
    svc, ta, _ = film
    a, b = svc.shots()
    svc.trim_shot(a.id, 6, 30)  # 24 frames of the talking shot, then 24 silent ones
    fake = FakeAudio()
    p = make_player(qtbot, svc, fake)
    p.show_sequence(a.sequence_id)
    assert p.total_frames == 48 and p.has_sound
    # the mix is built in the background while the cut rests, so play starts at once
    qtbot.waitUntil(lambda: len(p._builds) == 1, timeout=5000)
    [built] = p._builds.values()
    p.play()
    assert fake.loaded == built.path
    assert fake.playing and abs(last(fake, "play_from")) < FRAME
    samples, rate = read_wav(fake.loaded)
    assert abs(len(samples) / rate - 48 * FRAME) < FRAME  # exactly the cut's length
    assert tone_level(samples, rate, 0.05, 0.95) > 0.2  # shot 0010's sound...
    assert tone_level(samples, rate, 1.05, 2.0) < 0.01  # ...then the silent shot
    # jumping to the next shot plays the mix from there
    p.seek_shot(b.id)
    assert abs(last(fake, "play_from") - 24 * FRAME) < FRAME
    p.pause()
    # a new trim gives a new mix, as long as the new cut
    svc.trim_shot(a.id, 0, 12)
    p.refresh(svc.shots(a.sequence_id))
    assert p.total_frames == 36
    p.play()
    samples, rate = read_wav(fake.loaded)
    assert abs(len(samples) / rate - 36 * FRAME) < FRAME
    p.shutdown()


def test_without_an_output_a_one_line_notice_shows_for_sound_only(qtbot, film) -> None:
    svc, ta, tb = film
    p = make_player(qtbot, svc, NullAudioOut(NO_EXTRA))
    p.show_take(ta.id)
    assert p.sound_notice.isVisibleTo(p)
    assert p.sound_notice.text() == NO_EXTRA and "\n" not in p.sound_notice.text()
    assert not p.btn_mute.isEnabled()
    p.play()  # the picture plays on, silently
    assert p.playing
    p.pause()
    # a take without sound: nothing to say
    p.show_take(tb.id)
    assert not p.has_sound and not p.sound_notice.isVisibleTo(p)
    # the sequence has sound (shot 0010): the notice again, still one label
    p.show_sequence(svc.shots()[0].sequence_id)
    assert p.sound_notice.isVisibleTo(p) and p.sound_notice.text() == NO_EXTRA
    p.shutdown()


def test_a_silent_project_does_not_open_an_output(qtbot, film, monkeypatch) -> None:
    svc, _, tb = film
    opened = []
    monkeypatch.setattr(
        "previz.ui.player_widget.open_output", lambda: opened.append(1) or NullAudioOut()
    )
    p = make_player(qtbot, svc, None)
    p.show_take(tb.id)
    p.play()
    p.pause()
    assert opened == [] and not p.sound_notice.isVisibleTo(p)
    p.shutdown()


def test_open_output_says_why_there_is_no_sound(monkeypatch) -> None:
    import importlib
    import importlib.util

    import PySide6

    # QtMultimedia not installed (PySide6-Essentials only)
    with monkeypatch.context() as m:
        m.delattr(PySide6, "QtMultimedia", raising=False)
        m.setitem(sys.modules, "PySide6.QtMultimedia", None)
        out = audio_out.open_output()
        assert out.available() == (False, NO_EXTRA)
        assert "previz-studio[audio]" in NO_EXTRA
    # installed (as far as Python can tell)...
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: object())

    # ...but the system's PulseAudio library is not there
    def no_pulse(name: str):  # type: ignore[no-untyped-def]
        raise ImportError("libpulse.so.0: cannot open shared object file: No such file")

    monkeypatch.setattr(importlib, "import_module", no_pulse)
    ok, reason = audio_out.open_output().available()
    assert not ok and reason.startswith("No sound") and "libpulse.so.0" in reason
    assert "\n" not in reason

    # ...and it loads, but the machine has no audio output
    class Devices:
        @staticmethod
        def audioOutputs() -> list[object]:  # noqa: N802 (Qt's name)
            return []

    monkeypatch.setattr(
        importlib, "import_module", lambda name: SimpleNamespace(QMediaDevices=Devices)
    )
    assert audio_out.open_output().available() == (False, NO_DEVICE)


def test_the_default_output_plays_or_says_why_not(qtbot, film) -> None:
    """Whatever this machine has (no QtMultimedia, no libpulse, no device, or a sound card),
    a take with sound plays, and the notice shows exactly when the sound cannot be heard."""
    svc, ta, _ = film
    p = make_player(qtbot, svc, None)
    p.show_take(ta.id)
    ok, reason = p.audio_output().available()
    assert p.sound_notice.isVisibleTo(p) == (not ok)
    if not ok:
        assert p.sound_notice.text() == reason and reason.startswith("No sound")
    p.play()
    assert p.playing
    p.pause()
    p.shutdown()
