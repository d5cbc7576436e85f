"""A take's sound: reading its audio segments, writing lossless WAV, the reel's take-audio bed.

A take's sound is an ordered list of `AudioSegment`s (samples ``[start, end)`` at ``rate`` of a
lossless file; ``path`` None is silence) covering exactly its frames: take frame ``f`` starts at
``f / fps`` seconds of it. Shots keep real time on a reel (the conform shows source frame
``floor(i * S / R)`` at reel frame ``i``), so a shot's sound plays at its own speed from its trim
in-point for as long as the shot lasts on the reel, faded through dissolves and fades like its
picture.
"""

from __future__ import annotations

import wave
from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path

import numpy as np

from .plan import AudioSegment, ExportError, ShotItem

OUT_RATE = 48000  # the reel's and the exported take media's audio rate
CHANNELS = 2  # everything is mixed in stereo


def frames_to_samples(frames: int | Fraction, rate: int, fps: Fraction) -> int:
    """Samples at ``rate`` from the start of a take to its frame ``frames`` (round half up)."""
    return int(Fraction(frames) * rate / Fraction(fps) + Fraction(1, 2))


def _to_stereo(arr: np.ndarray) -> np.ndarray:
    if arr.shape[0] == CHANNELS:
        return arr
    if arr.shape[0] == 1:
        return np.repeat(arr, CHANNELS, axis=0)
    return arr[:CHANNELS]


def decode_file(path: Path, rate: int) -> np.ndarray:
    """The whole first audio stream of ``path`` as float32 stereo ``(2, n)`` at ``rate``."""
    import av

    chunks: list[np.ndarray] = []
    try:
        with av.open(str(path)) as c:
            if not c.streams.audio:
                raise ExportError(f"{path} has no audio stream; regenerate or re-import the take")
            stream = c.streams.audio[0]
            resampler = av.AudioResampler(format="fltp", layout="stereo", rate=rate)
            for frame in c.decode(stream):
                frame.pts = None
                chunks.extend(f.to_ndarray() for f in resampler.resample(frame))
            chunks.extend(f.to_ndarray() for f in resampler.resample(None))
    except (av.FFmpegError, OSError) as exc:
        raise ExportError(
            f"cannot read the sound file {path} ({exc}); regenerate the take"
        ) from exc
    if not chunks:
        return np.zeros((CHANNELS, 0), np.float32)
    return _to_stereo(np.concatenate(chunks, axis=1).astype(np.float32, copy=False))


def _fit(arr: np.ndarray, n: int) -> np.ndarray:
    """Exactly ``n`` samples: cut, or pad with silence."""
    if arr.shape[1] >= n:
        return arr[:, :n]
    return np.concatenate([arr, np.zeros((arr.shape[0], n - arr.shape[1]), np.float32)], axis=1)


def _resample(arr: np.ndarray, src: int, dst: int) -> np.ndarray:
    """Linear resampling (previz sound: in step matters, audiophile quality does not)."""
    if src == dst or arr.shape[1] == 0:
        return arr
    n = int(Fraction(arr.shape[1]) * dst / src)
    x = np.arange(n, dtype=np.float64) * (src / dst)
    idx = np.arange(arr.shape[1], dtype=np.float64)
    return np.stack([np.interp(x, idx, ch) for ch in arr]).astype(np.float32)


class SoundReader:
    """Samples of a take's sound at ``rate``, reading (and caching) each file once."""

    def __init__(self, rate: int = OUT_RATE) -> None:
        self.rate = rate
        self._cache: dict[tuple[Path, int], np.ndarray] = {}

    def _file(self, path: Path, src_rate: int) -> np.ndarray:
        key = (Path(path), src_rate)
        if key not in self._cache:
            if len(self._cache) > 4:
                self._cache.clear()
            self._cache[key] = decode_file(Path(path), src_rate)
        return self._cache[key]

    def take(
        self, audio: Iterable[AudioSegment], fps: Fraction, t_in: int, t_out: int
    ) -> np.ndarray:
        """Take frames ``[t_in, t_out)``'s sound, ``(2, n)`` float32 at this reader's rate,
        ``n`` = the samples those frames last (silence where the take has none)."""
        lo = frames_to_samples(t_in, self.rate, fps)
        hi = frames_to_samples(t_out, self.rate, fps)
        out = np.zeros((CHANNELS, max(0, hi - lo)), np.float32)
        at = 0  # this segment's first sample in the take, at self.rate
        for seg in audio:
            n = int(Fraction(seg.end - seg.start) * self.rate / seg.rate + Fraction(1, 2))
            a, b = max(lo, at), min(hi, at + n)
            if a < b and seg.path is not None:
                data = self._file(seg.path, seg.rate)
                src = data[:, seg.start : seg.end]
                piece = _fit(_resample(src, seg.rate, self.rate), n)[:, a - at : b - at]
                out[:, a - lo : a - lo + piece.shape[1]] = piece
            at += n
            if at >= hi:
                break
        return out


def has_sound(item: ShotItem) -> bool:
    return any(seg.path is not None for seg in item.audio)


def write_wav(path: Path, samples: np.ndarray, rate: int) -> None:
    """``samples`` (channels, n) float32 in [-1, 1] as a 16-bit PCM WAV file."""
    pcm = (np.clip(samples, -1.0, 1.0) * 32767.0).round().astype("<i2")
    with wave.open(str(path), "wb") as w:
        w.setnchannels(pcm.shape[0])
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(np.ascontiguousarray(pcm.T).tobytes())


class WavWriter:
    """A 16-bit PCM WAV written as it comes, cut or padded with silence to ``total`` samples."""

    def __init__(self, path: Path, rate: int, channels: int, total: int) -> None:
        self.path = Path(path)
        self.total = total
        self.channels = channels
        self.written = 0
        self._w = wave.open(str(self.path), "wb")
        self._w.setnchannels(channels)
        self._w.setsampwidth(2)
        self._w.setframerate(rate)

    def write(self, samples: np.ndarray) -> None:
        """``samples``: (channels, n) float32."""
        n = min(samples.shape[1], self.total - self.written)
        if n <= 0:
            return
        pcm = (np.clip(samples[:, :n], -1.0, 1.0) * 32767.0).round().astype("<i2")
        self._w.writeframes(np.ascontiguousarray(pcm.T).tobytes())
        self.written += n

    def skip(self, n: int) -> None:
        """Silence of ``n`` samples (e.g. the footage's sound starts after its picture)."""
        while n > 0:
            k = min(n, 65536)
            self.write(np.zeros((self.channels, k), np.float32))
            n -= k

    def close(self) -> None:
        self.skip(self.total - self.written)
        self._w.close()


# ------------------------------------------------------------------------ the reel's take bed


class TakeBed:
    """The selected takes' sound laid on the reel (``schedule``), at `OUT_RATE` stereo.

    ``chunk(a, n)`` gives reel samples ``[a, a + n)``; a shot contributes from its first to
    its last reel frame, its gain following its picture's dissolves and fades.
    """

    def __init__(self, schedule) -> None:  # type: ignore[no-untyped-def]
        self.fps = Fraction(schedule.fps)
        self._events = [ev for ev in schedule.shots() if ev.is_take and has_sound(ev.item)]
        self._reader = SoundReader(OUT_RATE)
        self._loaded: dict[int, np.ndarray] = {}

    @property
    def empty(self) -> bool:
        return not self._events

    def _s(self, frame: int) -> int:
        return frames_to_samples(frame, OUT_RATE, self.fps)

    def _shot(self, k: int) -> np.ndarray:
        """Event ``k``'s sound over its whole reel span, its fades applied."""
        if k not in self._loaded:
            for old in [j for j in self._loaded if j < k - 1]:
                del self._loaded[old]
            ev = self._events[k]
            item = ev.item
            t_in, _ = item.trim_range
            a, b = self._s(ev.start), self._s(ev.end)
            src_fps = Fraction(item.source_fps)
            # real time from the in-point for the shot's reel length (conform keeps speed)
            t_end = Fraction(t_in) + Fraction(ev.length) * src_fps / self.fps
            snd = self._reader.take(item.audio, src_fps, t_in, _ceil(t_end))
            snd = _fit(snd, b - a)
            gain = np.ones(b - a, np.float32)
            ramps = []
            if ev.dissolve_in or ev.fade_in:
                ramps.append(("in", max(ev.dissolve_in, ev.fade_in.frames if ev.fade_in else 0)))
            if ev.dissolve_out or ev.fade_out:
                n = max(ev.dissolve_out, ev.fade_out.frames if ev.fade_out else 0)
                ramps.append(("out", n))
            for side, frames in ramps:
                m = min(b - a, self._s(ev.start + frames) - a)
                if m <= 0:
                    continue
                ramp = np.linspace(0.0, 1.0, m, endpoint=False, dtype=np.float32)
                if side == "in":
                    gain[:m] *= ramp
                else:
                    gain[b - a - m :] *= ramp[::-1]
            self._loaded[k] = snd * gain
        return self._loaded[k]

    def chunk(self, start: int, n: int) -> np.ndarray:
        out = np.zeros((CHANNELS, n), np.float32)
        end = start + n
        for k, ev in enumerate(self._events):
            a, b = self._s(ev.start), self._s(ev.end)
            if b <= start:
                continue
            if a >= end:
                break
            lo, hi = max(a, start), min(b, end)
            out[:, lo - start : hi - start] += self._shot(k)[:, lo - a : hi - a]
        return out


def _ceil(x: Fraction) -> int:
    return -((-x.numerator) // x.denominator)


# ------------------------------------------------------------------- a take's exported media


def add_sound_stream(container):  # type: ignore[no-untyped-def]
    """An AAC stereo stream at `OUT_RATE` (add it before the first packet is muxed)."""
    stream = container.add_stream("aac", rate=OUT_RATE)
    stream.layout = "stereo"
    stream.format = "fltp"
    stream.bit_rate = 192_000
    stream.time_base = Fraction(1, OUT_RATE)
    return stream


def encode_take_sound(container, stream, item: ShotItem) -> None:  # type: ignore[no-untyped-def]
    """The whole take's sound (as long as its frames) into ``stream`` of ``container``."""
    import av

    samples = SoundReader(OUT_RATE).take(item.audio, Fraction(item.source_fps), 0, item.take_frames)
    step = 1024
    for k in range(0, samples.shape[1], step):
        chunk = np.ascontiguousarray(samples[:, k : k + step], dtype=np.float32)
        frame = av.AudioFrame.from_ndarray(chunk, format="fltp", layout="stereo")
        frame.sample_rate = OUT_RATE
        frame.pts = k
        frame.time_base = Fraction(1, OUT_RATE)
        for pkt in stream.encode(frame):
            container.mux(pkt)
    for pkt in stream.encode(None):
        container.mux(pkt)
