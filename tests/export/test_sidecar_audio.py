"""The reel's ``.previz.json`` sidecar lists each shot's sound like its picture: the take it
comes from, the take frames the reel plays, and the samples of each sound file under them, so
the reel's sound can be traced back and rebuilt from the project's files."""

from __future__ import annotations

import json
import wave
from pathlib import Path

import numpy as np

from previz.services.export import ExportRequest, export
from previz.services.project import ProjectService
from tests.export.test_audio_export import FPS, TONE, film  # noqa: F401  (film: fixture)


def wav_samples(path: Path, start: int, end: int) -> tuple[np.ndarray, int]:
    """Mono float samples ``[start, end)`` of a 16-bit WAV, and its rate."""
    with wave.open(str(path), "rb") as w:
        rate, ch = w.getframerate(), w.getnchannels()
        w.setpos(start)
        data = np.frombuffer(w.readframes(end - start), "<i2").reshape(-1, ch).mean(axis=1)
    return data / 32767.0, rate


def tone(x: np.ndarray, rate: int) -> float:
    t = np.arange(len(x)) / rate
    c = np.dot(x, np.cos(2 * np.pi * TONE * t)) * 2 / len(x)
    s = np.dot(x, np.sin(2 * np.pi * TONE * t)) * 2 / len(x)
    return float(np.hypot(c, s))


def test_the_sidecar_lists_each_shots_sound_source(film: ProjectService, tmp_path: Path) -> None:  # noqa: F811
    out = tmp_path / "reel.mp4"
    export(film, ExportRequest(reel=out))
    data = json.loads(out.with_name(out.name + ".previz.json").read_text(encoding="utf-8"))
    assert data["take_sound"] is True
    a, b, c = (s["audio"] for s in data["shots"])
    takes = [film.take_by_id(s.selected_take_id) for s in film.shots()]

    # 0010: all of take 1's second of sound, from its own file
    assert a["has_sound"] and a["take"] == 1 and a["take_uid"] == takes[0].uid
    assert (a["source_in"], a["source_out"]) == (0, 24)
    [seg] = a["segments"]
    rate = seg["rate"]
    assert (seg["start"], seg["end"]) == (0, rate)  # one second: 24 frames at 24 fps
    assert Path(seg["path"]).is_file() and takes[0].uid in seg["path"]

    # 0020: silent footage says so, with nothing to trace
    assert b["has_sound"] is False and b["segments"] == []

    # 0030 is trimmed to its second half: the sidecar points at the second half of its sound
    assert c["has_sound"] and (c["source_in"], c["source_out"]) == (12, 24)
    [seg] = c["segments"]
    assert (seg["start"], seg["end"]) == (seg["rate"] // 2, seg["rate"])
    # ...and those samples are the tone the reel plays there (it starts halfway through)
    x, r = wav_samples(Path(seg["path"]), seg["start"], seg["end"])
    assert len(x) == seg["end"] - seg["start"] and tone(x, r) > 0.4
    # the sound lasts exactly as long as the shot's picture on the reel
    shot = data["shots"][2]
    assert (seg["end"] - seg["start"]) / seg["rate"] == shot["record_frames"] / FPS
