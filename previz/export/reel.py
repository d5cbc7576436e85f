"""Stitch a reel: decode the selected takes, conform, fit, transitions, dressing, encode.

Frames stream through a bounded queue (decode + compose in a worker thread, encode + mux in the
calling thread); the reel is never held in memory. The file is written under a temporary name
beside the target and renamed into place only when complete.

See ``timing.py`` for the frame arithmetic and ``plan.py`` for the transition conventions.
"""

from __future__ import annotations

import logging
import math
import queue
import threading
from collections.abc import Callable, Iterator
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from . import dressing
from . import frames as fr
from .audio import TakeBed
from .editorial import build_layout
from .files import TempTarget, check_target_dir
from .media import (
    AudioFeeder,
    PacketCopier,
    PacketRange,
    add_video_stream,
    check_media_exists,
    iter_take_frames,
    keyframes,
    samples_for_frames,
    take_name,
)
from .plan import (
    ExportCancelled,
    ExportError,
    ReelOptions,
    ReelPlan,
    ReelResult,
    disk_full_error,
)
from .provenance import container_metadata, write_sidecar
from .timing import ReelEvent, Schedule, build_schedule

log = logging.getLogger(__name__)

ProgressFn = Callable[[int, int], None]

_QUEUE_DEPTH = 8


def export_reel(
    plan: ReelPlan,
    options: ReelOptions | None,
    out_path: Path | str,
    *,
    progress: ProgressFn | None = None,
    cancel: threading.Event | None = None,
) -> ReelResult:
    """Render ``plan`` to ``out_path`` (MP4/H.264 or MOV/ProRes) plus a ``.previz.json`` sidecar.

    Raises ``ExportError`` (one line, what went wrong and what to do) or ``ExportCancelled``
    when ``cancel`` is set; in both cases nothing is left under the target name nor any
    temporary file.
    """
    options = options or ReelOptions()
    out_path = Path(out_path)
    schedule = build_schedule(plan, options)
    _check_container(out_path, options)
    check_target_dir(out_path)
    check_media_exists([ev.item for ev in schedule.shots() if ev.is_take and ev.item])
    if options.audio is not None and not Path(options.audio).is_file():
        raise ExportError(
            f"audio file {options.audio} does not exist; pick another or leave it off"
        )
    cancel = cancel or threading.Event()
    ranges, reason = smart_render_ranges(plan, options, schedule)
    render_path = "smart" if ranges is not None else "encode"
    log.info("reel %s: %d frames, %s (%s)", out_path.name, schedule.frames, render_path, reason)
    fmt = "mov" if out_path.suffix.lower() == ".mov" else "mp4"
    meta = container_metadata(plan)
    # the reel's start timecode: a tmcd track NLEs read (the slate and first card are
    # pre-roll, so the first shot sits at options.timecode_start like in the timelines)
    meta["timecode"] = build_layout(plan, options, schedule).reel_start_tc
    with TempTarget(out_path) as tmp:
        try:
            if ranges is not None:
                n = _write_smart(
                    tmp.path, fmt, plan, options, schedule, ranges, meta, progress, cancel
                )
                if n != schedule.frames:  # never expected; fall back rather than ship it
                    log.warning(
                        "smart render copied %d frames, expected %d; re-encoding",
                        n,
                        schedule.frames,
                    )
                    render_path, reason = "encode", f"packet copy gave {n} frames"
                    n = _write_encoded(
                        tmp.path, fmt, plan, options, schedule, meta, progress, cancel
                    )
            else:
                n = _write_encoded(tmp.path, fmt, plan, options, schedule, meta, progress, cancel)
            if cancel.is_set():
                raise ExportCancelled()
            if n != schedule.frames:  # an invariant, not a user error: never ship a wrong reel
                raise ExportError(
                    f"internal error: wrote {n} frames but the plan needs {schedule.frames}; "
                    "please report this with the .previz.json of the project"
                )
            result = ReelResult(
                path=out_path,
                sidecar=out_path.with_name(out_path.name + ".previz.json"),
                frames=n,
                fps=Fraction(plan.fps),
                width=plan.width,
                height=plan.height,
                codec=options.codec,
                render_path=render_path,  # type: ignore[arg-type]
                smart_reason=reason,
                has_audio=options.audio is not None or not TakeBed(schedule).empty,
                warnings=schedule.warnings,
            )
            write_sidecar(tmp.extra(result.sidecar), plan, options, schedule, result)
        except OSError as exc:
            err = disk_full_error(out_path, exc)
            if err is not None:
                raise err from exc
            raise ExportError(f"cannot write {out_path}: {exc.strerror or exc}") from exc
        except av.FFmpegError as exc:
            raise ExportError(f"encoding {out_path.name} failed: {exc}") from exc
        tmp.commit()
    return result


def _audio_feeder(options: ReelOptions, schedule: Schedule, out) -> AudioFeeder | None:  # type: ignore[no-untyped-def]
    """The reel's sound: the takes' own sound (in step with their shots) under the temp music
    track, either alone, or None for a silent reel."""
    bed = TakeBed(schedule)
    if options.audio is None and bed.empty:
        return None
    music = Path(options.audio) if options.audio is not None else None
    return AudioFeeder(music, out, None if bed.empty else bed)


def _check_container(out_path: Path, options: ReelOptions) -> None:
    ext = out_path.suffix.lower()
    if options.codec == "prores" and ext != ".mov":
        raise ExportError(f"ProRes needs a .mov file, not {out_path.name}; name it *.mov")
    if options.codec == "h264" and ext not in (".mp4", ".mov", ".m4v"):
        raise ExportError(f"H.264 reels are .mp4 or .mov files, not {out_path.name}")


def _open_output(path: Path, fmt: str, meta: dict[str, str]):
    out = av.open(str(path), mode="w", format=fmt, options={"movflags": "+faststart"})
    for k, v in meta.items():
        out.metadata[k] = v
    return out


def _stamp_timecode(stream: av.video.stream.VideoStream, meta: dict[str, str]) -> None:
    """The start timecode on the video stream too: FFmpeg writes it as a tmcd track."""
    if meta.get("timecode"):
        stream.metadata["timecode"] = meta["timecode"]


# ------------------------------------------------------------------------------ encode path


def _write_encoded(
    tmp: Path,
    fmt: str,
    plan: ReelPlan,
    options: ReelOptions,
    schedule: Schedule,
    meta: dict[str, str],
    progress: ProgressFn | None,
    cancel: threading.Event,
) -> int:
    fps = Fraction(plan.fps)
    total = schedule.frames
    producer = _Producer(lambda: compose_frames(plan, options, schedule))
    written = 0
    with _open_output(tmp, fmt, meta) as out:
        vstream = add_video_stream(
            out, options.codec, options.quality, fps, plan.width, plan.height
        )
        _stamp_timecode(vstream, meta)
        audio = _audio_feeder(options, schedule, out)
        producer.start()
        try:
            for vf in producer.frames(cancel):
                if cancel.is_set():
                    raise ExportCancelled()
                vf.pts = written
                vf.time_base = Fraction(1) / fps
                for pkt in vstream.encode(vf):
                    out.mux(pkt)
                written += 1
                if audio is not None:
                    audio.feed_until(samples_for_frames(written, fps))
                if progress is not None:
                    progress(written, total)
            if cancel.is_set():
                raise ExportCancelled()
            for pkt in vstream.encode(None):
                out.mux(pkt)
            if audio is not None:
                audio.finish(samples_for_frames(written, fps))
                audio = None
        finally:
            producer.close()
            if audio is not None:
                audio.close()
    return written


class _End:
    pass


class _Failure:
    def __init__(self, exc: BaseException) -> None:
        self.exc = exc


class _Producer:
    """Runs a frame generator in a worker thread, handing ``av.VideoFrame``s over a bounded
    queue so decode/compose overlap with encode (PyAV releases the GIL in both)."""

    def __init__(self, factory: Callable[[], Iterator[np.ndarray]]) -> None:
        self._factory = factory
        self._q: queue.Queue = queue.Queue(maxsize=_QUEUE_DEPTH)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="previz-reel-frames", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _put(self, item) -> bool:
        while not self._stop.is_set():
            try:
                self._q.put(item, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def _run(self) -> None:
        gen = None
        try:
            gen = self._factory()
            for arr in gen:
                if self._stop.is_set():
                    return
                if not self._put(fr.to_video_frame(arr)):
                    return
            self._put(_End())
        except BaseException as exc:  # handed to the consumer
            self._put(_Failure(exc))
        finally:
            if gen is not None:
                gen.close()

    def frames(self, cancel: threading.Event) -> Iterator[av.VideoFrame]:
        while True:
            try:
                item = self._q.get(timeout=0.05)
            except queue.Empty:
                if cancel.is_set():
                    raise ExportCancelled() from None
                continue
            if isinstance(item, _End):
                return
            if isinstance(item, _Failure):
                raise item.exc
            yield item

    def close(self) -> None:
        self._stop.set()
        while self._thread.is_alive():
            try:
                while True:
                    self._q.get_nowait()
            except queue.Empty:
                pass
            self._thread.join(timeout=0.05)


def compose_frames(
    plan: ReelPlan, options: ReelOptions, schedule: Schedule
) -> Iterator[np.ndarray]:
    """Every reel frame in order, as yuv420p arrays at the reel size."""
    W, H = plan.width, plan.height
    layout = build_layout(plan, options, schedule)
    burn = (
        dressing.BurnInRenderer(
            plan, options, start=layout.reel_start, drop_frame=layout.drop_frame
        )
        if options.burnins is not None
        else None
    )
    if burn is not None and not burn.active:
        burn = None
    matte = fr.Matte(W, H, float(options.matte)) if options.matte else None
    events = schedule.events
    open_gens: list[Iterator[np.ndarray]] = []
    idx = 0

    def finish(arr: np.ndarray, owner: ReelEvent) -> np.ndarray:
        if matte is not None and owner.kind == "shot":
            matte.apply(arr)
        if burn is not None:
            burn.apply(arr, idx, owner)
        return arr

    try:
        prev: Iterator[np.ndarray] | None = None
        for k, ev in enumerate(events):
            gen = event_frames(plan, options, ev)
            open_gens.append(gen)
            if ev.dissolve_in:
                n = ev.dissolve_in
                assert prev is not None
                for j in range(n):
                    a, b = next(prev), next(gen)
                    t = (j + 1) / (n + 1)
                    yield finish(fr.blend(a, b, t), ev if t >= 0.5 else events[k - 1])
                    idx += 1
            for _ in range(ev.length - ev.dissolve_in - ev.dissolve_out):
                yield finish(next(gen), ev)
                idx += 1
            if prev is not None:
                prev.close()  # type: ignore[attr-defined]
                open_gens.remove(prev)
            prev = gen
    finally:
        for g in open_gens:
            g.close()  # type: ignore[attr-defined]


def event_frames(plan: ReelPlan, options: ReelOptions, ev: ReelEvent) -> Iterator[np.ndarray]:
    """The ``ev.length`` frames of one event (fitted, fades applied, no burn-ins), fresh arrays
    the caller may modify."""
    if ev.kind == "head_slate":
        yield from _repeat(dressing.head_slate(plan, options), ev.length)
        return
    if ev.kind == "scene_card":
        assert ev.sequence is not None
        yield from _repeat(dressing.scene_card(plan, ev.sequence), ev.length)
        return
    assert ev.item is not None
    if ev.item.has_take:
        src = take_frames(plan, options, ev)
    else:
        src = _repeat(dressing.missing_take_slate(plan, ev.item, ev.length), ev.length)
    if ev.fade_in is None and ev.fade_out is None:
        yield from src
        return
    W, H = plan.width, plan.height
    colors: dict[tuple[int, int, int], np.ndarray] = {}
    try:
        for j, arr in enumerate(src):
            w = 0.0
            if ev.fade_in is not None and j < ev.fade_in.frames:
                w = max(w, (ev.fade_in.frames - j) / ev.fade_in.frames)
                col = ev.fade_in.color
            if ev.fade_out is not None and j >= ev.length - ev.fade_out.frames:
                wo = (j - (ev.length - ev.fade_out.frames) + 1) / ev.fade_out.frames
                if wo >= w:
                    w, col = wo, ev.fade_out.color
            if w > 0:
                if col not in colors:
                    colors[col] = fr.solid(W, H, col)
                arr = fr.blend(arr, colors[col], w)
            yield arr
    finally:
        src.close()  # type: ignore[attr-defined]


def _repeat(template: np.ndarray, n: int) -> Iterator[np.ndarray]:
    for _ in range(n):
        yield template.copy()


def take_frames(plan: ReelPlan, options: ReelOptions, ev: ReelEvent) -> Iterator[np.ndarray]:
    """A take's trimmed frames conformed to the reel rate and fitted to the reel size.

    Reel frame i shows source frame floor(i * S / R) ("frame" retime) or, with "flow", an
    optical-flow interpolation between floor(i * S / R) and the next source frame.
    """
    item = ev.item
    assert item is not None
    W, H = plan.width, plan.height
    R, S = Fraction(plan.fps), Fraction(item.source_fps)
    n_src = ev.source_frames
    t_in, t_out = item.trim_range
    flow = options.retime == "flow" and S != R
    src = iter_take_frames(item, t_in, t_out)
    fitter: fr.Fitter | None = None
    have: dict[int, np.ndarray] = {}
    pos = -1

    def fit(frame: av.VideoFrame) -> np.ndarray:
        nonlocal fitter
        if fitter is None:
            fitter = fr.Fitter(frame.width, frame.height, W, H, options.fit)
        return fitter(frame)

    def advance(k: int, keep: int) -> None:
        """Decode up to source frame k, keeping fitted frames k-keep..k."""
        nonlocal pos
        while pos < k:
            frame = next(src, None)
            if frame is None:
                raise ExportError(
                    f"{take_name(item)}: only {pos + 1} of {n_src} frames could be decoded; "
                    "regenerate or re-select the take"
                )
            pos += 1
            if pos >= k - keep:
                have[pos] = fit(frame)
        for key in [key for key in have if key < k - keep]:
            del have[key]

    try:
        for i in range(ev.length):
            p = Fraction(i) * S / R
            k = min(math.floor(p), n_src - 1)
            frac = p - math.floor(p)
            if flow and frac and k + 1 < n_src:
                advance(k + 1, keep=1)
                yield fr.flow_interpolate(have[k], have[k + 1], float(frac), W, H)
                continue
            advance(k, keep=1 if flow else 0)
            nxt = min(math.floor(Fraction(i + 1) * S / R), n_src - 1)
            if flow or (i + 1 < ev.length and nxt == k):
                yield have[k].copy()
            else:
                yield have.pop(k)
    finally:
        src.close()  # type: ignore[attr-defined]


# -------------------------------------------------------------------------------- smart path


def smart_render_ranges(
    plan: ReelPlan, options: ReelOptions, schedule: Schedule
) -> tuple[list[PacketRange] | None, str]:
    """The packet ranges to copy when nothing in the reel needs re-encoding, else
    ``(None, reason)``. Eligible: H.264 output, no slates/cards/burn-ins/matte, only cuts, every
    shot has a take at the reel rate, every clip H.264 yuv420p at the reel size with identical
    codec headers, and every trimmed range starting on a key frame and ending on the next key
    frame or the end of its file."""
    if not options.smart_render:
        return None, "smart render turned off"
    if options.codec != "h264":
        return None, "ProRes output is always encoded"
    if options.has_dressing:
        return None, "slates, cards, burn-ins or a matte need re-encoding"
    ranges: list[PacketRange] = []
    extradata: bytes | None = None
    cache: dict[Path, tuple[list[int], int, bytes | None, object]] = {}
    for ev in schedule.events:
        if ev.kind != "shot" or ev.item is None:
            return None, "cards need re-encoding"
        item = ev.item
        if not item.has_take:
            return None, f"{item.label} has no take (slate card)"
        if ev.dissolve_in or ev.dissolve_out or ev.fade_in or ev.fade_out:
            return None, f"transition at {item.label} needs re-encoding"
        if Fraction(item.source_fps) != Fraction(plan.fps):
            return None, f"{item.label} is at {item.source_fps} fps, the reel at {plan.fps}"
        t_in, t_out = item.trim_range
        offset = 0
        for seg in item.segments:
            lo, hi = max(t_in, offset), min(t_out, offset + seg.frames)
            if lo < hi:
                path = Path(seg.path)
                if path not in cache:
                    try:
                        cache[path] = keyframes(path)
                    except ExportError as exc:
                        return None, str(exc)
                keys, count, extra, info = cache[path]
                if info.codec != "h264" or info.pix_fmt != "yuv420p":  # type: ignore[attr-defined]
                    return None, f"{path.name} is {info.codec}/{info.pix_fmt}"  # type: ignore[attr-defined]
                if (info.width, info.height) != (plan.width, plan.height):  # type: ignore[attr-defined]
                    return None, f"{path.name} is not {plan.width}x{plan.height}"
                if info.fps != Fraction(plan.fps):  # type: ignore[attr-defined]
                    return None, f"{path.name} is not at the reel rate"
                if extradata is None:
                    extradata = extra
                elif extra != extradata:
                    return None, f"{path.name} has different H.264 headers from the other clips"
                a = seg.start + lo - offset
                b = seg.start + hi - offset
                if b > count:
                    return None, f"{path.name} has only {count} frames"
                if a not in keys or (b != count and b not in keys):
                    return None, f"{item.label} is not cut on key frames"
                ranges.append(PacketRange(path, a, b))
            offset += seg.frames
    return ranges, "every clip is copied without re-encoding"


def _write_smart(
    tmp: Path,
    fmt: str,
    plan: ReelPlan,
    options: ReelOptions,
    schedule: Schedule,
    ranges: list[PacketRange],
    meta: dict[str, str],
    progress: ProgressFn | None,
    cancel: threading.Event,
) -> int:
    fps = Fraction(plan.fps)
    written = 0
    with _open_output(tmp, fmt, meta) as out:
        with av.open(str(ranges[0].path)) as first:
            vstream = out.add_stream_from_template(first.streams.video[0])
            vstream.time_base = Fraction(1, fps.numerator * 16)
        _stamp_timecode(vstream, meta)
        audio = _audio_feeder(options, schedule, out)
        try:
            copier = PacketCopier(out, vstream, fps)
            for rng in ranges:
                if cancel.is_set():
                    raise ExportCancelled()
                written += copier.copy(rng, written)
                if audio is not None:
                    audio.feed_until(samples_for_frames(written, fps))
                if progress is not None:
                    progress(written, schedule.frames)
            if audio is not None:
                audio.finish(samples_for_frames(written, fps))
                audio = None
        finally:
            if audio is not None:
                audio.close()
    return written
