"""Import real footage or a drawn board as a take, conformed to the shot's sequence.

A video is decoded with PyAV and conformed by exact frame mapping to the sequence rate (output
frame i shows source frame floor(i * src_fps / seq_fps)) and fitted into the sequence frame
(letterbox/pillarbox); a still is held for the shot's planned duration. The footage's sound (its
first audio track) is kept: decoded to a lossless 48 kHz WAV beside the clip, in step with the
picture and exactly as long as the take's frames, so it follows the take through extend, trim
and export. Either way the take gets
the same files a generated take has (H.264 clip, lossless head/tail, thumbnail), so it can be
extended, bridged and exported like any other.

`check_still` is the one gate for a user's still (``generate --image``, an element's reference
image, an imported board): its header must claim at most `engine.media.MAX_IMAGE_PIXELS`
(checked before a pixel is decoded, so a tiny file claiming 30000x30000 cannot exhaust memory)
and it must decode completely, so a damaged file is refused before it is copied or queued.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path

import numpy as np

from previz.core.errors import InvalidInput
from previz.core.time import check_duration
from previz.core.values import AudioSegmentInfo, SegmentInfo, TakeInfo, audio_samples_for_frames
from previz.services.project import ProjectService
from previz.services.takes import NEW, NewTake, install_take
from previz.store.folder import JOBS_TMP, is_database_file, new_uid, safe_subdir

AUDIO_RATE = 48000  # an imported take's sound
AUDIO_FILE = "audio.wav"
log = logging.getLogger(__name__)
STILL_SUFFIXES = {".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".gif"}


_MAGIC = (b"\x89PNG", b"\xff\xd8", b"GIF8", b"BM", b"II*\x00", b"MM\x00*")


def check_still(path: str | Path, what: str = "image") -> tuple[int, int]:
    """Refuse (one line) a still that does not exist, is not an image, claims more pixels than
    Previz reads, or does not decode; returns its (width, height)."""
    from engine.api import EngineError
    from engine.media import check_image_size

    path = Path(path)
    if not path.is_file():
        raise InvalidInput(f"{what} {path} does not exist")
    if is_database_file(path.resolve()):  # only SQLite may open it (see previz.store.db)
        raise InvalidInput(f"{path} is a project database, not an image; choose an image")
    try:
        with open(path, "rb") as fh:
            head = fh.read(12)
    except OSError as exc:
        raise InvalidInput(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    if not (head.startswith(_MAGIC) or head[:4] == b"RIFF" and head[8:12] == b"WEBP"):
        raise InvalidInput(f"{path} is not an image (PNG, JPEG, WebP, GIF, BMP or TIFF)")
    try:
        size = check_image_size(path, what)
    except EngineError as exc:
        raise InvalidInput(exc.message) from None
    if size is None or not _decodes(path):
        raise InvalidInput(
            f"{what} {path} is damaged or not a complete image; re-export it and try again"
        )
    return size


def _decodes(path: Path) -> bool:
    """Whether the whole image decodes (its size was checked first)."""
    import warnings

    from PIL import Image

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(path) as im:
                im.load()
    except Exception:  # noqa: BLE001 - truncated, bad CRC, bad zlib stream, ...
        return False
    return True


def fit_frame(rgb: np.ndarray, width: int, height: int) -> np.ndarray:
    """Scale to fit inside width x height, keeping the aspect, with black bars."""
    import cv2

    h, w = rgb.shape[:2]
    scale = min(width / w, height / h)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    out = np.zeros((height, width, 3), np.uint8)
    small = cv2.resize(
        rgb, (nw, nh), interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    )
    y, x = (height - nh) // 2, (width - nw) // 2
    out[y : y + nh, x : x + nw] = small[..., :3]
    return out


def _video_frames(path: Path, fps: Fraction, width: int, height: int) -> Iterator[np.ndarray]:
    import av

    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, OSError) as exc:
        raise InvalidInput(f"{path} is not a video Previz can read ({exc})") from None
    with container:
        if not container.streams.video:
            raise InvalidInput(f"{path} has no video stream")
        stream = container.streams.video[0]
        from engine.media import MAX_IMAGE_PIXELS

        cc = stream.codec_context
        if (cc.width or 0) * (cc.height or 0) > MAX_IMAGE_PIXELS:
            raise InvalidInput(
                f"{path} is {cc.width}x{cc.height}, more than the "
                f"{MAX_IMAGE_PIXELS / 1e6:.0f} MP per frame Previz reads; scale it down"
            )
        stream.thread_type = "AUTO"
        rate = stream.average_rate or stream.guessed_rate
        src_fps = Fraction(rate) if rate else fps
        out_index = 0
        try:
            for src_index, vf in enumerate(container.decode(stream)):
                rgb = None
                # emit every output frame whose source frame is this one
                while (out_index * src_fps) // fps == src_index:
                    if rgb is None:
                        rgb = fit_frame(vf.to_ndarray(format="rgb24"), width, height)
                    yield rgb
                    out_index += 1
        except av.error.FFmpegError as exc:
            raise InvalidInput(f"{path} is damaged and cannot be decoded ({exc})") from None


def import_take(svc: ProjectService, shot: int | str, path: str | Path) -> TakeInfo:
    """Make a new take of ``shot`` from a video or still image file."""
    from engine.media import ClipWriter

    info = svc.resolve_shot(shot)
    seq = svc.sequence(info.sequence_id)
    src = Path(path).expanduser()
    if not src.is_file():
        raise InvalidInput(f"file {src} does not exist")
    still = src.suffix.lower() in STILL_SUFFIXES
    if still:
        check_still(src)  # before anything is written
    # a scratch folder of its own; the sweep leaves a folder this new alone
    scratch = safe_subdir(svc.folder, JOBS_TMP) / f"import-{new_uid()}"
    writer = ClipWriter(
        scratch, seq.width, seq.height, seq.fps, expected_frames=info.duration_frames
    )
    try:
        if still:
            import cv2

            bgr = cv2.imread(str(src), cv2.IMREAD_COLOR)
            if bgr is None:
                raise InvalidInput(f"{src} is not an image Previz can read")
            frame = fit_frame(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), seq.width, seq.height)
            check_duration(info.duration_frames, seq.fps)
            for _ in range(info.duration_frames):
                writer.write(frame)
        else:
            for frame in _video_frames(src, seq.fps, seq.width, seq.height):
                writer.write(frame)
            if writer.count == 0:
                raise InvalidInput(f"{src} has no frames")
        files = writer.close()
        sound: tuple[AudioSegmentInfo, ...] = ()
        if not still:
            total = audio_samples_for_frames(files.num_frames, AUDIO_RATE, seq.fps)
            if _import_sound(src, scratch / AUDIO_FILE, total):
                sound = (AudioSegmentInfo(NEW + AUDIO_FILE, 0, total, AUDIO_RATE),)
    except BaseException as exc:
        writer.abort()
        shutil.rmtree(scratch, ignore_errors=True)
        from engine.worker import DISK_FULL_ERRNOS, disk_full_message

        if isinstance(exc, OSError) and exc.errno in DISK_FULL_ERRNOS:
            raise InvalidInput(disk_full_message(exc, svc.folder)) from None
        raise
    new = NewTake(
        operation="import",
        engine="import",
        prompt=info.prompt,
        expanded_prompt=info.prompt,
        seed=0,
        width=seq.width,
        height=seq.height,
        fps=seq.fps,
        recipe={
            "operation": "import",
            "source_file": src.name,
            "kind": "still" if still else "video",
            "audio": bool(sound),
        },
        segments=(SegmentInfo(NEW + str(files.video), 0, files.num_frames, ""),),
        head=tuple(NEW + str(p) for p in files.head),
        tail=tuple(NEW + str(p) for p in files.tail),
        thumbnail=NEW + str(files.thumbnail),
        notes=f"imported from {src.name}",
        audio=sound,
    )
    return install_take(svc, info.id, scratch, new)


def _import_sound(src: Path, dest: Path, total: int) -> bool:
    """Decode ``src``'s first audio track to a 16-bit WAV of exactly ``total`` samples at
    `AUDIO_RATE` (cut or padded with silence), aligned with its picture; False if it has none."""
    import av

    from previz.export.audio import WavWriter

    with av.open(str(src)) as container:
        if not container.streams.audio or total <= 0:
            return False
        stream = container.streams.audio[0]
        channels = 1 if (stream.codec_context.channels or 2) == 1 else 2
        layout = "mono" if channels == 1 else "stereo"
        resampler = av.AudioResampler(format="fltp", layout=layout, rate=AUDIO_RATE)
        video = container.streams.video[0] if container.streams.video else None
        v0 = (
            Fraction(video.start_time) * video.time_base
            if video is not None and video.start_time is not None and video.time_base
            else Fraction(0)
        )
        wav = WavWriter(dest, AUDIO_RATE, channels, total)
        drop = 0  # samples before the picture's first frame
        started = False
        try:
            for frame in container.decode(stream):
                if not started:
                    started = True
                    if frame.pts is not None and frame.time_base is not None:
                        lead = Fraction(frame.pts) * frame.time_base - v0
                        if lead > 0:
                            wav.skip(int(lead * AUDIO_RATE))
                        else:
                            drop = int(-lead * AUDIO_RATE)
                frame.pts = None
                for out in resampler.resample(frame):
                    arr = out.to_ndarray().reshape(channels, -1)
                    if drop:
                        cut = min(drop, arr.shape[1])
                        arr, drop = arr[:, cut:], drop - cut
                    wav.write(arr)
                if wav.written >= total:
                    break
            for out in resampler.resample(None):
                wav.write(out.to_ndarray().reshape(channels, -1))
        except av.error.FFmpegError as exc:
            log.warning("the sound of %s stops early (%s); the rest is silent", src.name, exc)
        finally:
            wav.close()
    if not started:
        dest.unlink(missing_ok=True)
    return started
