"""A take's sound reaches the exports: the reel mixes it under the temp music track, in step with
its shot through trims; the timelines (OTIO, FCP XML, EDL) carry an audio track.

Read back with independent readers: PyAV for the reel, OTIO, xml.etree and pycmx (strict)."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from previz.services.export import ExportRequest, export
from previz.services.media_import import import_take
from previz.services.project import ProjectService

FPS = 24
TONE = 440.0
MUSIC = 1000.0
RATE = 48000


def clip_with_tone(path: Path, frames: int, *, tone_from: float | None = 0.0) -> Path:
    """A 160x90 H.264 clip at 24 fps; its sound is a 440 Hz sine from ``tone_from`` seconds
    (silence before), or no audio stream at all when ``tone_from`` is None."""
    with av.open(str(path), "w") as c:
        v = c.add_stream("libx264", rate=FPS)
        v.width, v.height, v.pix_fmt = 160, 90, "yuv420p"
        a = None
        if tone_from is not None:
            a = c.add_stream("aac", rate=RATE)
            a.layout, a.format = "mono", "fltp"
        for i in range(frames):
            img = np.full((90, 160, 3), (i * 8) % 255, np.uint8)
            for p in v.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                c.mux(p)
        if a is not None:
            n = RATE * frames // FPS
            t = np.arange(n) / RATE
            wave = (0.5 * np.sin(2 * np.pi * TONE * t) * (t >= tone_from)).astype(np.float32)
            for k in range(0, n, 1024):
                af = av.AudioFrame.from_ndarray(
                    wave[k : k + 1024].reshape(1, -1), format="fltp", layout="mono"
                )
                af.sample_rate, af.pts = RATE, k
                for p in a.encode(af):
                    c.mux(p)
            for p in a.encode(None):
                c.mux(p)
        for p in v.encode(None):
            c.mux(p)
    return path


def music(path: Path, seconds: float) -> Path:
    """The temp music track: a quiet 1 kHz sine, as a WAV."""
    from previz.export.audio import write_wav

    t = np.arange(int(seconds * RATE)) / RATE
    write_wav(path, (0.1 * np.sin(2 * np.pi * MUSIC * t)).reshape(1, -1).astype(np.float32), RATE)
    return path


def read_reel(path: Path) -> tuple[float, float, np.ndarray]:
    """(video seconds, audio seconds, mono samples at 48 kHz) of a reel."""
    with av.open(str(path)) as c:
        vs = c.streams.video[0]
        vframes = sum(1 for _ in c.decode(vs))
        video = vframes / float(vs.average_rate)
    with av.open(str(path)) as c:
        rs = av.AudioResampler(format="flt", layout="mono", rate=RATE)
        chunks = [
            f.to_ndarray().reshape(-1)
            for fr in c.decode(c.streams.audio[0])
            for f in rs.resample(fr)
        ]
        chunks += [f.to_ndarray().reshape(-1) for f in rs.resample(None)]
    samples = np.concatenate(chunks)
    return video, len(samples) / RATE, samples


def level(samples: np.ndarray, f0: int, f1: int, hz: float) -> float:
    """RMS amplitude of the ``hz`` component over reel frames ``[f0, f1)`` (edges left out)."""
    a = int((f0 + 2) * RATE / FPS)
    b = int((f1 - 2) * RATE / FPS)
    x = samples[a:b].astype(np.float64)
    t = np.arange(len(x)) / RATE
    c = np.dot(x, np.cos(2 * np.pi * hz * t)) * 2 / len(x)
    s = np.dot(x, np.sin(2 * np.pi * hz * t)) * 2 / len(x)
    return float(np.hypot(c, s) / np.sqrt(2))


@pytest.fixture
def film(tmp_path: Path):
    """0010: 1 s with sound; 0020: 1 s silent footage; 0030: 1 s whose tone starts halfway,
    trimmed to that second half."""
    svc = ProjectService.create(tmp_path / "Sound.previz", fps="24", size="160x90")
    src = tmp_path / "src"
    src.mkdir()
    for code, clip in (
        ("a", clip_with_tone(src / "a.mp4", 24)),
        ("b", clip_with_tone(src / "b.mp4", 24, tone_from=None)),
        ("c", clip_with_tone(src / "c.mp4", 24, tone_from=0.5)),
    ):
        shot = svc.add_shot(prompt=code, duration_frames=24)
        import_take(svc, shot.id, clip)
    svc.trim_shot(svc.shots()[2].id, 12, None)
    yield svc
    svc.close()


def test_the_reel_carries_each_takes_sound_in_step_under_the_temp_music(
    film: ProjectService, tmp_path: Path
) -> None:
    out = tmp_path / "reel.mp4"
    export(film, ExportRequest(reel=out, audio=music(tmp_path / "temp.wav", 10)))
    video, audio, samples = read_reel(out)
    assert abs(video - 60 / FPS) < 1e-6  # 24 + 24 + 12 frames
    assert abs(audio - video) <= 1 / FPS
    # 0010's tone plays under the music in its own window; 0020 is silent footage
    assert level(samples, 0, 24, TONE) > 0.2
    assert level(samples, 24, 48, TONE) < 0.02
    # 0030 is trimmed to the second half of its take, where the tone is: the sound follows
    assert level(samples, 48, 60, TONE) > 0.2
    # the temp music is under all of it
    for f0, f1 in ((0, 24), (24, 48), (48, 60)):
        assert 0.03 < level(samples, f0, f1, MUSIC) < 0.1


def test_without_music_the_reel_has_the_takes_sound_alone(
    film: ProjectService, tmp_path: Path
) -> None:
    out = tmp_path / "reel.mp4"
    # a dissolve into 0020 fades 0010's sound out over its last 12 frames
    film.edit_shot(film.shots()[1].id, transition_kind="dissolve", transition_frames=12)
    export(film, ExportRequest(reel=out))
    video, audio, samples = read_reel(out)
    assert abs(video - 48 / FPS) < 1e-6  # the dissolve overlaps 12 frames
    assert abs(audio - video) <= 1 / FPS
    assert level(samples, 0, 10, TONE) > 0.2  # 0010 before the dissolve
    assert level(samples, 12, 24, TONE) < level(samples, 0, 10, TONE)  # fading out
    assert level(samples, 24, 36, TONE) < 0.02  # 0020 alone: silent
    assert level(samples, 36, 48, TONE) > 0.2  # 0030's second half
    assert level(samples, 0, 48, MUSIC) < 0.01  # no music asked for


def _media_sound(path: Path) -> tuple[float, float] | None:
    """(video seconds, audio seconds) of an exported take media file, None if it is silent."""
    with av.open(str(path)) as c:
        if not c.streams.audio:
            return None
        vs = c.streams.video[0]
        video = sum(1 for _ in c.decode(vs)) / float(vs.average_rate)
    with av.open(str(path)) as c:
        audio = sum(f.samples for f in c.decode(c.streams.audio[0])) / RATE
    return video, audio


def test_the_timelines_carry_an_audio_track_for_takes_with_sound(
    film: ProjectService, tmp_path: Path
) -> None:
    import xml.etree.ElementTree as ET

    import opentimelineio as otio
    import pycmx

    out = tmp_path / "cut"
    done = export(
        film,
        ExportRequest(
            otio=out.with_suffix(".otio"),
            fcpxml=out.with_suffix(".xml"),
            edl=out.with_suffix(".edl"),
        ),
    )
    media = {Path(m).stem: Path(m) for m in done["otio"]["media"]}
    assert sorted(media) == ["0010_T1", "0020_T1", "0030_T1"]
    # the exported take media keeps its sound, as long as its picture
    for name in ("0010_T1", "0030_T1"):
        video, audio = _media_sound(media[name])  # type: ignore[misc]
        assert abs(video - audio) <= 1 / FPS and abs(video - 1.0) < 1e-6
    assert _media_sound(media["0020_T1"]) is None

    # OTIO: an audio track with the sounded takes' media, trimmed like the picture
    tl = otio.adapters.read_from_file(str(out.with_suffix(".otio")))
    (vtrack,) = [t for t in tl.tracks if t.kind == otio.schema.TrackKind.Video]
    (atrack,) = [t for t in tl.tracks if t.kind == otio.schema.TrackKind.Audio]
    aclips = [c for c in atrack if isinstance(c, otio.schema.Clip)]
    vclips = {c.name: c for c in vtrack if isinstance(c, otio.schema.Clip)}
    assert [c.name for c in aclips] == ["0010_T1", "0030_T1"]
    for c in aclips:
        assert c.media_reference.target_url == vclips[c.name].media_reference.target_url
        assert Path(c.media_reference.target_url.removeprefix("file://")) == media[c.name]
        assert c.range_in_parent() == vclips[c.name].range_in_parent()  # in step
    assert aclips[1].source_range.start_time.to_frames() == 12  # 0030's trim
    assert atrack.duration() == vtrack.duration()

    # FCP XML: an <audio> track whose clipitems use the same files as the picture
    root = ET.parse(out.with_suffix(".xml")).getroot()
    seq_media = root.find("sequence/media")
    items = seq_media.findall("audio/track/clipitem")
    assert [i.findtext("name") for i in items] == ["0010_T1", "0030_T1"]
    files = {
        f.get("id"): f.findtext("pathurl")
        for f in root.iter("file")
        if f.find("pathurl") is not None
    }
    vfiles = {
        i.findtext("name"): i.find("file").get("id")
        for i in seq_media.findall("video/track/clipitem")
    }
    for i in items:
        fid = i.find("file").get("id")
        assert fid == vfiles[i.findtext("name")] and files[fid].endswith(
            f"{i.findtext('name')}.mp4"
        )
    assert (items[1].findtext("in"), items[1].findtext("out")) == ("12", "24")
    assert (items[1].findtext("start"), items[1].findtext("end")) == ("48", "60")

    # EDL (pycmx, nothing unrecognised): the sounded shots' events carry audio channels
    with open(out.with_suffix(".edl")) as f:
        edl = pycmx.parse_cmx3600(f)
    assert list(edl.unrecognized_statements) == []
    chans = {}
    for event in edl.events:
        for edit in event.edits:
            chans[edit.clip_name] = (edit.channels.video, edit.channels.a1, edit.channels.a2)
    assert chans == {
        "0010_T1": (True, True, True),
        "0020_T1": (True, False, False),
        "0030_T1": (True, True, True),
    }
