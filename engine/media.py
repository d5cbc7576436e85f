"""Writing and reading the engine's media: H.264 clips, lossless head/tail PNGs, thumbnails.

`ClipWriter` is the sink a job streams frames into: frames go straight to the encoder, the
first and last K frames are also kept as lossless PNGs (the conditioning frames for extend,
bridge and loop) and one frame becomes a thumbnail. PyAV and OpenCV are imported lazily.
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import shutil
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from engine.api import ClipSource, EngineError, RequestError, SegmentRef, fps_str

__all__ = [
    "ClipFiles",
    "ClipWriter",
    "MAX_IMAGE_PIXELS",
    "audio_sink",
    "check_image_size",
    "load_png_frames",
    "probe",
    "read_frames",
]

log = logging.getLogger(__name__)

VIDEO_NAME = "clip.mp4"
HEAD_DIR = "head"
TAIL_DIR = "tail"
THUMB_NAME = "thumb.jpg"
AUDIO_NAME = "audio.wav"
# Lossless frames kept at each end of a take. 9 = 8k+1: a model whose VAE packs 8 frames into
# one latent (LTX-Video) can condition an extension on a whole latent of motion plus the last
# frame, not on one still; 4x models (Wan, SkyReels-V2) take all 9 (4k+1) too.
HEAD_TAIL_FRAMES = 9


@dataclass(frozen=True)
class ClipFiles:
    """The files a `ClipWriter` made; paths are relative to its out_dir."""

    video: Path
    head: tuple[Path, ...]
    tail: tuple[Path, ...]
    thumbnail: Path
    num_frames: int
    width: int
    height: int
    fps: Fraction
    # The clip's sound, from an audio-video model (LTX-2): a lossless file (WAV/FLAC) as long as
    # the video (±1 frame), at ``audio_rate`` samples a second; None for a silent clip.
    audio: Path | None = None
    audio_rate: int = 0

    def all_paths(self) -> list[Path]:
        paths = [self.video, *self.head, *self.tail, self.thumbnail]
        return paths + ([self.audio] if self.audio is not None else [])

    def source(self, out_dir: Path) -> ClipSource:
        """These files, written in ``out_dir``, as a source for the next request (extend...)."""
        out_dir = Path(out_dir)
        return ClipSource(
            segments=(SegmentRef(out_dir / self.video, 0, self.num_frames),),
            head=tuple(out_dir / p for p in self.head),
            tail=tuple(out_dir / p for p in self.tail),
            width=self.width,
            height=self.height,
            fps=self.fps,
            num_frames=self.num_frames,
        )

    def describe(self) -> dict[str, Any]:
        return {
            "video": str(self.video),
            "head": [str(p) for p in self.head],
            "tail": [str(p) for p in self.tail],
            "thumbnail": str(self.thumbnail),
            "num_frames": self.num_frames,
            "width": self.width,
            "height": self.height,
            "fps": fps_str(self.fps),
            "audio": str(self.audio) if self.audio is not None else None,
            "audio_rate": self.audio_rate,
        }


def _write_png(path: Path, rgb: np.ndarray) -> None:
    import cv2

    bgr = cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)
    ok, buf = cv2.imencode(".png", bgr, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    if not ok:
        raise EngineError(f"could not encode PNG {path.name}")
    with open(path, "wb") as fh:
        fh.write(buf.tobytes())
        fh.flush()
        os.fsync(fh.fileno())


class ClipWriter:
    """A frame sink writing ``clip.mp4`` (H.264), ``head/``, ``tail/`` PNGs and ``thumb.jpg``.

    H.264 in MP4, yuv420p, CRF 20, x264 preset "superfast" (speed matters more than size for
    previz), a keyframe every `gop` frames (12: scrubbing decodes few frames), +faststart, the
    stream rate and time base set to the exact rational `fps` (24000/1001 stays exact).

    Everything goes into `out_dir` (a temporary directory given by the caller). Use `close()` to
    finish and get the `ClipFiles`; `abort()` removes what was written. As a context manager it
    closes on success and aborts on an exception.
    """

    def __init__(
        self,
        out_dir: Path,
        width: int,
        height: int,
        fps: Fraction,
        head_tail_k: int = HEAD_TAIL_FRAMES,
        *,
        expected_frames: int | None = None,
        crf: int = 20,
        preset: str = "superfast",
        gop: int = 12,
        threads: int = 0,
        thumb_width: int = 320,
    ) -> None:
        import av

        if width % 2 or height % 2:
            raise RequestError(f"H.264 needs an even frame size, got {width}x{height}")
        self.out_dir = Path(out_dir)
        self.width, self.height = int(width), int(height)
        self.fps = Fraction(fps)
        self.k = max(1, int(head_tail_k))
        self.expected_frames = expected_frames
        self.thumb_width = thumb_width
        self.count = 0
        self._closed = False
        self._files: ClipFiles | None = None
        self._tail: collections.deque[np.ndarray] = collections.deque(maxlen=self.k)
        self._head_paths: list[Path] = []
        self._thumb: np.ndarray | None = None
        self._thumb_index = (expected_frames // 2) if expected_frames else 0
        self._pool: ThreadPoolExecutor | None = None
        self._pending: list[Future[None]] = []
        self._audio: Path | None = None
        self._audio_rate = 0

        self.out_dir.mkdir(parents=True, exist_ok=True)
        (self.out_dir / HEAD_DIR).mkdir(exist_ok=True)
        (self.out_dir / TAIL_DIR).mkdir(exist_ok=True)
        self._created = [
            self.out_dir / VIDEO_NAME,
            self.out_dir / HEAD_DIR,
            self.out_dir / TAIL_DIR,
            self.out_dir / THUMB_NAME,
        ]
        self._container = av.open(
            str(self.out_dir / VIDEO_NAME),
            "w",
            format="mp4",
            options={"movflags": "+faststart"},
        )
        try:
            stream = self._container.add_stream("libx264", rate=self.fps)
            stream.width = self.width
            stream.height = self.height
            stream.pix_fmt = "yuv420p"
            cc = stream.codec_context
            cc.time_base = 1 / self.fps
            cc.gop_size = int(gop)
            cc.thread_count = int(threads)
            stream.options = {
                "crf": str(crf),
                "preset": preset,
                # A keyframe every `gop` frames, no scene-cut keyframes in between, so that
                # scrubbing decodes at most gop-1 frames; BT.601 tags match the RGB->YUV matrix.
                "x264-params": (
                    f"keyint={gop}:min-keyint={gop}:scenecut=0:"
                    "colorprim=smpte170m:transfer=smpte170m:colormatrix=smpte170m"
                ),
            }
            self._stream = stream
        except Exception:
            self._container.close()
            raise

    # -- sink ----------------------------------------------------------------------------------
    def write(self, frame: np.ndarray) -> None:
        import av

        if self._closed:
            raise EngineError("ClipWriter is closed")
        if frame.shape != (self.height, self.width, 3) or frame.dtype != np.uint8:
            raise EngineError(
                f"frame {self.count} is {frame.shape} {frame.dtype}; the clip is "
                f"{self.width}x{self.height} RGB uint8"
            )
        import cv2

        frame = np.ascontiguousarray(frame)
        # RGB -> YUV 4:2:0 with OpenCV (BT.601, limited range: what swscale would do, 5x faster)
        vf = av.VideoFrame.from_ndarray(
            cv2.cvtColor(frame, cv2.COLOR_RGB2YUV_I420), format="yuv420p"
        )
        vf.pts = self.count
        vf.time_base = 1 / self.fps
        for packet in self._stream.encode(vf):
            self._container.mux(packet)
        if self.count < self.k:
            path = Path(HEAD_DIR) / f"{self.count:06d}.png"
            self._png(self.out_dir / path, frame.copy())
            self._head_paths.append(path)
        self._tail.append(frame.copy())
        if self.count == self._thumb_index or self._thumb is None:
            self._thumb = self._small(frame)
        self.count += 1

    def write_audio(self, samples: np.ndarray, rate: int) -> None:
        """Write the clip's sound as ``audio.wav`` (16-bit PCM, lossless): `samples` are
        (channels, n) floats in [-1, 1] (or (n,) for mono) at `rate` samples a second."""
        import wave

        if self._closed:
            raise EngineError("ClipWriter is closed")
        data = np.asarray(samples, dtype=np.float32)
        if data.ndim == 1:
            data = data[None]
        if data.ndim != 2 or not 1 <= data.shape[0] <= 8 or int(rate) <= 0:
            raise EngineError(f"audio of shape {data.shape} at {rate} Hz is not a sound track")
        pcm = (np.clip(data, -1.0, 1.0) * 32767.0).round().astype("<i2")
        path = self.out_dir / AUDIO_NAME
        self._created.append(path)
        with open(path, "wb") as fh:
            with wave.open(fh, "wb") as w:
                w.setnchannels(int(data.shape[0]))
                w.setsampwidth(2)
                w.setframerate(int(rate))
                w.writeframes(np.ascontiguousarray(pcm.T).tobytes())
            fh.flush()
            os.fsync(fh.fileno())
        self._audio, self._audio_rate = Path(AUDIO_NAME), int(rate)

    def _png(self, path: Path, frame: np.ndarray) -> None:
        """Write a PNG on the writer's own thread (PNG encoding releases the GIL)."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="clip-png")
        self._pending.append(self._pool.submit(_write_png, path, frame))

    def _drain(self, *, raise_errors: bool) -> None:
        pending, self._pending = self._pending, []
        for fut in pending:
            if raise_errors:
                fut.result()
            else:
                fut.cancel()
                with contextlib.suppress(Exception):
                    fut.result()
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None

    def _small(self, frame: np.ndarray) -> np.ndarray:
        import cv2

        w = min(self.thumb_width, self.width)
        h = max(2, round(self.height * w / self.width))
        return cv2.resize(frame, (w, h), interpolation=cv2.INTER_AREA)

    # -- finish --------------------------------------------------------------------------------
    def close(self) -> ClipFiles:
        """Flush the encoder, write tail PNGs and the thumbnail; return the `ClipFiles`."""
        import cv2

        if self._files is not None:
            return self._files
        if self._closed:
            raise EngineError("ClipWriter was aborted")
        if self.count == 0:
            self.abort()
            raise EngineError("no frames were written")
        try:
            for packet in self._stream.encode(None):
                self._container.mux(packet)
        finally:
            self._container.close()
            self._closed = True
        tail_paths = []
        for i, frame in enumerate(self._tail):
            path = Path(TAIL_DIR) / f"{i:06d}.png"
            self._png(self.out_dir / path, frame)
            tail_paths.append(path)
        try:
            self._drain(raise_errors=True)
        except Exception:
            self.abort()
            raise
        assert self._thumb is not None
        ok, buf = cv2.imencode(
            ".jpg", cv2.cvtColor(self._thumb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, 88]
        )
        if not ok:
            raise EngineError("could not encode the thumbnail")
        with open(self.out_dir / THUMB_NAME, "wb") as fh:
            fh.write(buf.tobytes())
            fh.flush()
            os.fsync(fh.fileno())
        with open(self.out_dir / VIDEO_NAME, "rb+") as fh:
            os.fsync(fh.fileno())
        self._tail.clear()
        self._files = ClipFiles(
            video=Path(VIDEO_NAME),
            head=tuple(self._head_paths),
            tail=tuple(tail_paths),
            thumbnail=Path(THUMB_NAME),
            num_frames=self.count,
            width=self.width,
            height=self.height,
            fps=self.fps,
            audio=self._audio,
            audio_rate=self._audio_rate,
        )
        return self._files

    def abort(self) -> None:
        """Stop and remove every file this writer made."""
        self._drain(raise_errors=False)
        if not self._closed:
            try:
                self._container.close()
            except Exception:  # noqa: BLE001 - best effort while discarding
                log.debug("closing an aborted clip failed", exc_info=True)
            self._closed = True
        self._tail.clear()
        for path in self._created:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)

    def __enter__(self) -> ClipWriter:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.close()
        else:
            self.abort()


def audio_sink(sink: Any, depth: int = 8) -> Any:
    """The sink under `sink` that keeps sound (has ``write_audio``), looking through the
    wrappers a job puts around its `ClipWriter` (each keeps the one it wraps as ``.sink``);
    None when the output keeps no audio."""
    for _ in range(depth):
        if sink is None:
            return None
        if callable(getattr(sink, "write_audio", None)):
            return sink
        sink = getattr(sink, "sink", None)
    return None


# --------------------------------------------------------------------------------------------
# Reading


def probe(path: Path) -> tuple[int, Fraction, int, int]:
    """(frames, fps, width, height) of a video file's first video stream."""
    import av

    path = Path(path)
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as exc:
        raise RequestError(f"cannot read video {path}: {exc}") from exc
    with container:
        if not container.streams.video:
            raise RequestError(f"{path} has no video stream")
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        fps = Fraction(rate) if rate else Fraction(0)
        frames = stream.frames
        if not frames:
            frames = sum(1 for _ in container.decode(stream))
        return int(frames), fps, stream.codec_context.width, stream.codec_context.height


def read_frames(
    segments: Sequence[SegmentRef] | SegmentRef,
    *,
    width: int | None = None,
    height: int | None = None,
) -> Iterator[np.ndarray]:
    """Decode the frames of `segments` in order (each its ``[start, end)`` range) as RGB uint8.

    Frames are resized to `width` x `height` when given. Frame indices are counted from the
    start of each file (frame-accurate; decoding starts at the file's beginning).
    """
    import av
    import cv2

    if isinstance(segments, SegmentRef):
        segments = (segments,)
    for seg in segments:
        try:
            container = av.open(str(seg.path))
        except (av.error.FFmpegError, OSError) as exc:
            raise RequestError(f"cannot read clip {seg.path}: {exc}") from exc
        with container:
            stream = container.streams.video[0]
            stream.thread_type = "AUTO"
            got = 0
            for index, vf in enumerate(container.decode(stream)):
                if index < seg.start:
                    continue
                if index >= seg.end:
                    break
                rgb = vf.to_ndarray(format="rgb24")
                if width and height and (rgb.shape[1], rgb.shape[0]) != (width, height):
                    rgb = cv2.resize(rgb, (width, height), interpolation=cv2.INTER_AREA)
                got += 1
                yield rgb
            if got < seg.end - seg.start:
                index = seg.start + got
                raise RequestError(
                    f"clip {seg.path.name} has {index + 1} frames, fewer than the "
                    f"{seg.end} the take needs; the file is damaged"
                )


# The largest still Previz decodes: 8192x8192 (67 MP, 200 MB as RGB). A PNG of a flat colour
# compresses 900:1, so a small file can claim a size whose decoding would exhaust memory; the
# header says how big it is before any pixel is decoded.
MAX_IMAGE_PIXELS = 8192 * 8192


def check_image_size(path: Path, what: str = "image") -> tuple[int, int] | None:
    """Refuse an image whose header claims more than `MAX_IMAGE_PIXELS`, decoding no pixels.

    Returns (width, height) from the header, or None when Pillow cannot read the header (the
    decoder then says what is wrong with the file)."""
    path = Path(path)
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow ships with Previz
        return None
    import warnings

    limit = f"{MAX_IMAGE_PIXELS / 1e6:.0f} MP"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Pillow's own "decompression bomb" warning
            with Image.open(path) as im:  # lazy: reads the header only
                w, h = int(im.size[0]), int(im.size[1])
    except Image.DecompressionBombError:  # Pillow's hard limit, far above ours
        raise RequestError(
            f"{what} {path.name} is larger than the {limit} Previz reads; scale it down "
            "(e.g. to 3840x2160)"
        ) from None
    except Exception:  # noqa: BLE001 - not an image Pillow knows; the decoder will say
        return None
    if w * h > MAX_IMAGE_PIXELS:
        raise RequestError(
            f"{what} {path.name} is {w}x{h} ({w * h / 1e6:.0f} MP), more than the {limit} "
            "Previz reads; scale it down (e.g. to 3840x2160)"
        )
    return w, h


def load_png_frames(paths: Iterable[Path]) -> list[np.ndarray]:
    """Load image files (lossless head/tail PNGs, pinned stills) as RGB uint8 arrays."""
    import cv2

    frames = []
    for path in paths:
        check_image_size(Path(path))
        data = np.fromfile(str(path), dtype=np.uint8) if Path(path).is_file() else None
        img = cv2.imdecode(data, cv2.IMREAD_COLOR) if data is not None and data.size else None
        if img is None:
            raise RequestError(f"cannot read image {path}; the file is missing or not an image")
        frames.append(cv2.cvtColor(img, cv2.COLOR_BGR2RGB))
    return frames
