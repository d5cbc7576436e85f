"""PyAV plumbing: probing, frame-accurate segment decoding, packet copy, encoders, audio."""

from __future__ import annotations

import itertools
import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from .plan import ExportError, ShotItem

log = logging.getLogger(__name__)

AUDIO_RATE = 48000

H264_PRESETS: dict[str, tuple[int, str]] = {
    # quality: (crf, x264 preset)
    "draft": (28, "veryfast"),
    "standard": (20, "fast"),
    "high": (16, "slow"),
}
PRORES_PROFILES: dict[str, int] = {"draft": 1, "standard": 2, "high": 3}  # LT, 422, HQ


@dataclass(frozen=True)
class VideoInfo:
    path: Path
    codec: str
    width: int
    height: int
    pix_fmt: str | None
    fps: Fraction
    frames: int
    duration: Fraction  # seconds
    has_audio: bool


def _stream_fps(stream) -> Fraction:
    rate = stream.average_rate or stream.base_rate or stream.guessed_rate
    if not rate:
        raise ExportError(f"{stream.container.name}: video stream has no frame rate")
    return Fraction(rate.numerator, rate.denominator)


def probe(path: Path | str) -> VideoInfo:
    """Basic facts about a media file (frame count from the container or by counting packets)."""
    path = Path(path)
    try:
        with av.open(str(path)) as c:
            if not c.streams.video:
                raise ExportError(f"{path} has no video stream")
            vs = c.streams.video[0]
            fps = _stream_fps(vs)
            frames = vs.frames
            if not frames:
                frames = sum(1 for p in c.demux(vs) if p.size)
            if vs.duration is not None and vs.time_base is not None:
                duration = Fraction(vs.duration) * Fraction(vs.time_base)
            else:
                duration = Fraction(frames) / fps
            return VideoInfo(
                path=path,
                codec=vs.codec_context.name,
                width=vs.codec_context.width,
                height=vs.codec_context.height,
                pix_fmt=vs.codec_context.pix_fmt,
                fps=fps,
                frames=frames,
                duration=duration,
                has_audio=bool(c.streams.audio),
            )
    except ExportError:
        raise
    except (av.FFmpegError, OSError) as exc:
        raise ExportError(f"cannot read {path}: {exc}") from exc


def take_name(item: ShotItem) -> str:
    return f"take {item.take_number} of {item.label}"


def missing_media_error(item: ShotItem, path: Path) -> ExportError:
    return ExportError(
        f"{take_name(item)} is missing its media file {path}; regenerate or re-select the take"
    )


def check_media_exists(items: list[ShotItem]) -> None:
    for item in items:
        for seg in item.segments:
            if not Path(seg.path).is_file():
                raise missing_media_error(item, seg.path)


class _Indexer:
    """Maps decoded frame timestamps of a constant-rate stream to 0-based frame indexes."""

    def __init__(self, stream) -> None:
        self.tb = Fraction(stream.time_base.numerator, stream.time_base.denominator)
        self.fps = _stream_fps(stream)
        self.start = stream.start_time if stream.start_time is not None else 0

    def index(self, pts: int) -> int:
        return round((Fraction(pts - self.start) * self.tb) * self.fps)

    def pts(self, index: int) -> int:
        return self.start + math.floor(Fraction(index) / self.fps / self.tb)


def iter_file_frames(
    path: Path, start: int, end: int, *, what: str = "", threads: bool = True
) -> Iterator[av.VideoFrame]:
    """Decoded frames ``[start, end)`` of ``path`` in display order (seeks to ``start``)."""
    what = what or str(path)
    try:
        container = av.open(str(path))
    except FileNotFoundError as exc:
        raise ExportError(
            f"{what}: media file {path} is missing; regenerate or re-select the take"
        ) from exc
    except (av.FFmpegError, OSError) as exc:
        raise ExportError(f"{what}: cannot open {path} ({exc}); regenerate the take") from exc
    try:
        if not container.streams.video:
            raise ExportError(f"{what}: {path} has no video stream; regenerate the take")
        stream = container.streams.video[0]
        if threads:
            stream.thread_type = "AUTO"
        ix = _Indexer(stream)
        nxt = start

        def scan() -> Iterator[tuple[int, av.VideoFrame]]:
            for frame in container.decode(stream):
                if frame.pts is not None:
                    yield ix.index(frame.pts), frame

        if start > 0:
            container.seek(ix.pts(start), stream=stream, backward=True)
        frames = scan()
        head = next(frames, None)
        if start > 0 and head is not None and head[0] > start:
            # the seek landed past the target (no usable index): decode from the top
            frames.close()
            container.seek(0, stream=stream, backward=True)
            frames = scan()
            head = next(frames, None)
        try:
            for idx, frame in itertools.chain([head] if head else [], frames):
                if idx < nxt:
                    continue
                if idx >= end:
                    break
                nxt = idx + 1
                yield frame
        finally:
            frames.close()
        if nxt < end:
            raise ExportError(
                f"{what}: media file {path} ends at frame {nxt} but the take needs frames up to "
                f"{end}; regenerate or re-select the take"
            )
    except av.FFmpegError as exc:
        raise ExportError(f"{what}: cannot decode {path} ({exc}); regenerate the take") from exc
    finally:
        container.close()


def iter_take_frames(item: ShotItem, t_in: int, t_out: int) -> Iterator[av.VideoFrame]:
    """Frames ``[t_in, t_out)`` of the take (take-frame indexes across its segments)."""
    offset = 0
    for seg in item.segments:
        seg_lo, seg_hi = offset, offset + seg.frames
        lo, hi = max(t_in, seg_lo), min(t_out, seg_hi)
        if lo < hi:
            yield from iter_file_frames(
                Path(seg.path),
                seg.start + (lo - seg_lo),
                seg.start + (hi - seg_lo),
                what=take_name(item),
            )
        offset = seg_hi
        if offset >= t_out:
            break


# ---------------------------------------------------------------- packet copy (smart render)


@dataclass(frozen=True)
class PacketRange:
    """Packets of ``path`` covering display frames ``[start, end)``, copyable as they are."""

    path: Path
    start: int
    end: int


def keyframes(path: Path) -> tuple[list[int], int, bytes | None, VideoInfo]:
    """Display indexes of key frames, frame count and codec extradata (demux only, no decode)."""
    info = probe(path)
    with av.open(str(path)) as c:
        vs = c.streams.video[0]
        ix = _Indexer(vs)
        keys: list[int] = []
        count = 0
        for pkt in c.demux(vs):
            if pkt.pts is None or not pkt.size:
                continue
            count += 1
            if pkt.is_keyframe:
                keys.append(ix.index(pkt.pts))
        extradata = bytes(vs.codec_context.extradata or b"")
    return sorted(keys), count, extradata, info


class PacketCopier:
    """Muxes key-frame-aligned packet ranges into one output stream, back to back, with
    timestamps rebased onto the reel (no decode, no encode)."""

    def __init__(self, container, out_stream, fps: Fraction) -> None:
        self.container = container
        self.stream = out_stream
        self.fps = Fraction(fps)
        # fine enough for B-frame dts offsets, exact for every frame boundary
        self.tb = Fraction(1, self.fps.numerator * 16)
        self.frame_ticks = int(Fraction(1) / self.fps / self.tb)
        self.last_dts: int | None = None

    def copy(self, rng: PacketRange, out_offset: int) -> int:
        """Copy ``rng`` so its first frame lands on reel frame ``out_offset``. ``rng.start``
        must be a key frame (closed GOP) and ``rng.end`` the next key frame or the end of the
        file. Returns the number of frames copied."""
        base = Fraction(out_offset) / self.fps
        with av.open(str(rng.path)) as c:
            vs = c.streams.video[0]
            ix = _Indexer(vs)
            start_pts = ix.start + Fraction(rng.start) / ix.fps / ix.tb
            copied = 0
            for pkt in c.demux(vs):
                if pkt.pts is None or pkt.dts is None or not pkt.size:
                    continue
                idx = ix.index(pkt.pts)
                if idx < rng.start or idx >= rng.end:
                    continue
                new_pts = round(((pkt.pts - start_pts) * ix.tb + base) / self.tb)
                new_dts = round(((pkt.dts - start_pts) * ix.tb + base) / self.tb)
                if self.last_dts is not None and new_dts <= self.last_dts:
                    new_dts = self.last_dts + 1
                new_dts = min(new_dts, new_pts)
                self.last_dts = new_dts
                pkt.stream = self.stream
                pkt.time_base = self.tb
                pkt.pts = new_pts
                pkt.dts = new_dts
                pkt.duration = self.frame_ticks
                self.container.mux(pkt)
                copied += 1
        return copied


# ---------------------------------------------------------------------------- video encoders


def add_video_stream(
    container,
    codec: str,
    quality: str,
    fps: Fraction,
    width: int,
    height: int,
    extra: dict[str, str] | None = None,
):
    """Add an H.264 (yuv420p, CRF) or ProRes 422 stream with threading on."""
    if codec == "h264":
        crf, preset = H264_PRESETS[quality]
        opts = {
            "crf": str(crf),
            "preset": preset,
            # frames are built with BT.601 maths (as the engine tags its clips): say so
            "x264-params": "colorprim=smpte170m:transfer=smpte170m:colormatrix=smpte170m",
            **(extra or {}),
        }
        stream = container.add_stream("libx264", rate=fps, options=opts)
        stream.pix_fmt = "yuv420p"
    elif codec == "prores":
        stream = container.add_stream(
            "prores_ks",
            rate=fps,
            options={"profile": str(PRORES_PROFILES[quality]), "vendor": "apl0"},
        )
        stream.pix_fmt = "yuv422p10le"
    else:  # pragma: no cover - validated before
        raise ExportError(f"codec {codec!r} is unknown; use h264 or prores")
    stream.width = width
    stream.height = height
    cc = stream.codec_context
    cc.colorspace = 6  # AVCOL_SPC_SMPTE170M (BT.601)
    cc.color_primaries = 6  # AVCOL_PRI_SMPTE170M
    cc.color_trc = 6  # AVCOL_TRC_SMPTE170M
    cc.color_range = 1  # AVCOL_RANGE_MPEG (limited)
    stream.time_base = Fraction(1) / fps
    stream.codec_context.time_base = Fraction(1) / fps
    stream.thread_type = "AUTO"
    return stream


# ------------------------------------------------------------------------------------ audio


class AudioFeeder:
    """Decodes an audio file, resamples to 48 kHz stereo, encodes AAC in step with the video,
    then trims or pads (silence) to exactly the video's duration.

    ``bed`` (the takes' own sound laid on the reel, see ``audio.TakeBed``) is mixed under it;
    with no ``path`` the bed alone is the reel's sound."""

    def __init__(self, path: Path | None, container, bed=None) -> None:
        self._bed = bed
        self.stream = container.add_stream("aac", rate=AUDIO_RATE)
        self.stream.layout = "stereo"
        self.stream.format = "fltp"
        self.stream.bit_rate = 192_000
        self.stream.time_base = Fraction(1, AUDIO_RATE)
        self.container = container
        self._pending: list[np.ndarray] = []  # resampled (2, n) chunks not yet encoded
        self._pending_n = 0
        self.written = 0  # samples sent to the encoder
        self.frame_size = 1024
        self._in = None
        self._eof = path is None
        if path is None:
            self.path = None
            return
        self.path = Path(path)
        if not self.path.is_file():
            raise ExportError(
                f"audio file {self.path} does not exist; pick another or leave it off"
            )
        try:
            self._in = av.open(str(self.path))
        except (av.FFmpegError, OSError) as exc:
            raise ExportError(f"cannot read audio file {self.path} ({exc}); pick another") from exc
        if not self._in.streams.audio:
            self._in.close()
            raise ExportError(f"{self.path} has no audio stream; pick another audio file")
        self._astream = self._in.streams.audio[0]
        self._resampler = av.AudioResampler(format="fltp", layout="stereo", rate=AUDIO_RATE)
        self._frames = self._in.decode(self._astream)

    def _pull(self) -> bool:
        if self._eof:
            return False
        try:
            frame = next(self._frames)
        except StopIteration:
            self._eof = True
            out = self._resampler.resample(None)
        except av.FFmpegError as exc:
            raise ExportError(f"cannot decode audio file {self.path} ({exc})") from exc
        else:
            frame.pts = None
            out = self._resampler.resample(frame)
        for f in out:
            arr = f.to_ndarray()
            if arr.ndim == 1:
                arr = arr.reshape(2, -1)
            self._pending.append(arr)
            self._pending_n += arr.shape[1]
        return True

    def _take(self, n: int) -> np.ndarray:
        while self._pending_n < n and self._pull():
            pass
        if self._pending_n < n:  # pad with silence
            self._pending.append(np.zeros((2, n - self._pending_n), np.float32))
            self._pending_n = n
        buf = np.concatenate(self._pending, axis=1) if len(self._pending) > 1 else self._pending[0]
        out, rest = buf[:, :n], buf[:, n:]
        self._pending = [rest] if rest.shape[1] else []
        self._pending_n = rest.shape[1]
        return np.ascontiguousarray(out, dtype=np.float32)

    def _encode(self, samples: np.ndarray) -> None:
        if self._bed is not None:
            samples = np.clip(samples + self._bed.chunk(self.written, samples.shape[1]), -1, 1)
            samples = np.ascontiguousarray(samples, dtype=np.float32)
        frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="stereo")
        frame.sample_rate = AUDIO_RATE
        frame.pts = self.written
        frame.time_base = Fraction(1, AUDIO_RATE)
        self.written += samples.shape[1]
        for pkt in self.stream.encode(frame):
            self.container.mux(pkt)

    def feed_until(self, samples: int) -> None:
        """Encode whole AAC frames up to ``samples`` (the end of the video written so far)."""
        while self.written + self.frame_size <= samples:
            self._encode(self._take(self.frame_size))

    def finish(self, total_samples: int) -> None:
        self.feed_until(total_samples)
        rest = total_samples - self.written
        if rest > 0:
            self._encode(self._take(rest))
        for pkt in self.stream.encode(None):
            self.container.mux(pkt)
        self.close()

    def close(self) -> None:
        if self._in is None:
            return
        try:
            self._frames.close()
        finally:
            self._in.close()


def samples_for_frames(frames: int, fps: Fraction) -> int:
    return round(Fraction(frames) * AUDIO_RATE / Fraction(fps))
