"""A take can have sound: imported footage keeps its audio track, in step with its frames, and
the sound follows the take through extend (a silent part gets silence) and into the project."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np

from previz.core.values import AudioSegmentInfo
from previz.services.media_import import import_take
from previz.services.project import ProjectService
from previz.store.folder import resolve

TONE_HZ = 440.0


def write_clip_with_tone(
    path: Path, fps: int, frames: int, *, tone: bool = True, codec: str = "aac"
) -> Path:
    """A tiny H.264 clip with (or without) a 440 Hz sine as its sound."""
    import av

    rate = 48000
    with av.open(str(path), "w") as c:
        v = c.add_stream("libx264", rate=fps)
        v.width, v.height, v.pix_fmt = 160, 90, "yuv420p"
        a = None
        if tone:
            a = c.add_stream(codec, rate=rate)
            a.layout = "mono"
            a.format = "fltp" if codec == "aac" else "s16"
        for i in range(frames):
            img = np.full((90, 160, 3), (i * 8) % 255, np.uint8)
            for p in v.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                c.mux(p)
        if a is not None:
            n = rate * frames // fps
            t = np.arange(n) / rate
            wave = (0.5 * np.sin(2 * np.pi * TONE_HZ * t)).astype(np.float32)
            step = 1024
            for k in range(0, n, step):
                chunk = wave[k : k + step].reshape(1, -1)
                if codec == "aac":
                    af = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="mono")
                else:
                    pcm = (chunk * 32767).astype(np.int16)
                    af = av.AudioFrame.from_ndarray(pcm, format="s16", layout="mono")
                af.sample_rate = rate
                af.pts = k
                for p in a.encode(af):
                    c.mux(p)
            for p in a.encode(None):
                c.mux(p)
        for p in v.encode(None):
            c.mux(p)
    return path


def read_sound(path: Path) -> tuple[np.ndarray, int]:
    """Mono float samples and rate of ``path``'s first audio stream (independent reader)."""
    import av

    with av.open(str(path)) as c:
        s = c.streams.audio[0]
        rs = av.AudioResampler(format="flt", layout="mono", rate=48000)
        chunks = [f.to_ndarray().reshape(-1) for fr in c.decode(s) for f in rs.resample(fr)]
        chunks += [f.to_ndarray().reshape(-1) for f in rs.resample(None)]
    return np.concatenate(chunks), 48000


def take_seconds(take) -> float:  # type: ignore[no-untyped-def]
    return float(sum(Fraction(a.samples, a.rate) for a in take.audio))


def test_imported_footage_keeps_its_sound_in_step_with_its_frames(
    project: ProjectService, tmp_path: Path
) -> None:
    shot = project.add_shot(prompt="reference clip", duration_frames=24)
    src = write_clip_with_tone(tmp_path / "ref.mp4", fps=30, frames=45)  # 1.5 s at 30 fps
    take = import_take(project, shot.id, src)
    assert take.frame_count == 36  # 1.5 s at the sequence's 24 fps
    assert take.has_audio and len(take.audio) == 1
    # the take's sound lasts exactly as long as its frames (within a frame)
    assert abs(take_seconds(take) - 36 / 24) <= 1 / 24
    snd = take.audio[0]
    path = resolve(project.folder, snd.path)
    assert path.is_file() and path.parent.name == take.uid  # copied beside the take's clip
    samples, rate = read_sound(path)
    assert abs(len(samples) / rate - 1.5) <= 1 / 24
    # it is the footage's 440 Hz tone
    spectrum = np.abs(np.fft.rfft(samples[: rate // 2]))
    peak = np.argmax(spectrum) * rate / (rate // 2)
    assert abs(peak - TONE_HZ) < 5
    assert float(np.sqrt(np.mean(samples[rate // 10 : rate] ** 2))) > 0.2
    # the project keeps the file: the sweep and purge see it as referenced
    with project.engine.connect() as conn:
        assert snd.path in project.referenced_paths(conn, live_only=True)
    assert project.missing_media() == []


def test_pcm_sound_is_kept_and_silent_footage_stays_silent(
    project: ProjectService, tmp_path: Path
) -> None:
    shot = project.add_shot(prompt="plate", duration_frames=24)
    pcm = write_clip_with_tone(tmp_path / "pcm.mov", fps=24, frames=24, codec="pcm_s16le")
    assert import_take(project, shot.id, pcm).has_audio
    silent = write_clip_with_tone(tmp_path / "mute.mp4", fps=24, frames=24, tone=False)
    take = import_take(project, shot.id, silent)
    assert take.audio == () and not take.has_audio


def _extend(project: ProjectService, parent, made_frames: int, made_audio):  # type: ignore[no-untyped-def]
    """Record an extension of ``parent`` the way the runner does (Generation.new_take)."""
    import os
    from types import SimpleNamespace

    from engine.media import ClipFiles
    from previz.services.generation import Generation
    from previz.services.takes import install_take

    scratch = project.folder / "media" / ".jobs" / f"ext-{os.urandom(4).hex()}"
    scratch.mkdir(parents=True)
    (scratch / "clip.mp4").write_bytes(os.urandom(64))
    (scratch / "thumb.jpg").write_bytes(b"\xff\xd8")
    audio = None
    if made_audio is not None:
        from previz.export.audio import write_wav

        audio = Path("clip.wav")
        write_wav(scratch / audio, made_audio, 24000)
    files = ClipFiles(
        video=Path("clip.mp4"),
        head=(),
        tail=(),
        thumbnail=Path("thumb.jpg"),
        num_frames=made_frames,
        width=320,
        height=180,
        fps=Fraction(24),
        audio=audio,
        audio_rate=24000 if audio else 0,
    )
    result = SimpleNamespace(recipe={}, timings={}, notes=(), width=320, height=180, fps="24")
    p = {
        "op": "extend",
        "direction": "forward",
        "source": {"take_id": parent.id},
        "engine": "test",
        "prompt": "more",
        "expanded_prompt": "more",
        "seed": 1,
    }
    new = Generation(project).new_take(p, files, result)
    return install_take(project, parent.shot_id, scratch, new)


def test_extending_a_sounded_take_keeps_its_sound_and_pads_a_silent_part(
    project: ProjectService, tmp_path: Path
) -> None:
    shot = project.add_shot(prompt="ref", duration_frames=24)
    src = write_clip_with_tone(tmp_path / "ref.mp4", fps=24, frames=24)
    parent = import_take(project, shot.id, src)
    # a silent engine extends it by 12 frames: the new part is silence, in step
    ext = _extend(project, parent, 12, None)
    assert ext.frame_count == 36
    assert ext.audio[0] == parent.audio[0]  # the parent's sound is reused, not re-encoded
    assert ext.audio[-1].silent
    assert abs(take_seconds(ext) - 36 / 24) <= 1 / 24
    # an audio-video engine extends it: its sound follows the parent's
    tone = np.zeros((1, 12000), np.float32)  # 0.5 s at 24 kHz
    ext2 = _extend(project, parent, 12, tone)
    assert not ext2.audio[-1].silent and ext2.audio[-1].rate == 24000
    assert resolve(project.folder, ext2.audio[-1].path).is_file()
    assert abs(take_seconds(ext2) - 36 / 24) <= 1 / 24


def test_extending_a_silent_take_with_a_sounded_engine_gives_silence_then_sound(
    project: ProjectService, tmp_path: Path
) -> None:
    from tests.helpers import fake_take

    shot = project.add_shot(prompt="x", duration_frames=24)
    parent = fake_take(project, shot.id, frames=24)
    assert parent.audio == ()
    # a silent extension of a silent take: nothing changes, still silent
    assert _extend(project, parent, 12, None).audio == ()
    ext = _extend(project, parent, 12, np.full((2, 12000), 0.1, np.float32))
    # the parent's second is silence at the new sound's rate, then the new sound
    assert ext.audio[0] == AudioSegmentInfo("", 0, 24000, 24000)
    assert abs(take_seconds(ext) - 36 / 24) <= 1 / 24
    assert ext.has_audio
