"""Editorial timelines: OpenTimelineIO, CMX 3600 EDL and FCP 7 XML.

``build_timeline`` turns a plan into an ``otio.schema.Timeline``; ``export_timeline`` also writes
each selected take as ONE media file (``<out_stem>_media/12A_0010_T2.mp4``) so every clip has a
single file an NLE can relink, then writes the timeline with OTIO's own adapters
(``otio_json``, ``cmx_3600``, ``fcp_xml``).

Conventions:

* All sequences of the plan are concatenated on one video track ("V1"), in order, because an
  EDL holds a single track and stacking sequences on tracks would composite them in an NLE.
  A marker named after the sequence sits on the first item of each sequence.
* A shot with a take is a Clip named ``<scene>_<code>_T<take>`` (``12A_0010_T2``) whose
  ``source_range`` is its trim at the take's own rate, referencing the whole take
  (``available_range`` starts at frame 0), so the trimmed-off frames remain as handles.
* A shot with no take is a Gap of its planned duration (reel rate), named after the shot.
* A dissolve of n frames (the reel overlaps the two shots by n) becomes an ``SMPTE_Dissolve``
  Transition cut at the middle of the overlap: ``in_offset = n // 2``, ``out_offset = n - n //
  2``, the outgoing clip's ``source_range`` ends ``out_offset`` early and the incoming one
  starts ``in_offset`` late. The dissolve then uses only frames inside the trims (no handles
  needed), each clip's ``visible_range()`` equals its trim, and the timeline has the reel's
  length and record timing. Dissolves are written between two clips at the reel rate only
  (not to/from a shot with no take, nor with a clip at another rate: those stay cuts, with the
  transition kept in the metadata). Fades and dips are not written as transitions (CMX and FCP 7
  have no portable "dip to colour" between two clips); they stay in the clip metadata.
* The timeline starts at 01:00:00:00 (``global_start_time``).
* Shot details live in ``clip.metadata["previz"]`` (OTIO keeps them; EDL/XML carry the names).
* EDL: written at the reel rate; reel names are the take's shot code + take when that fits
  CMX's 8 characters (A-Z, 0-9), else ``PV0001``-style; the clip name and the media path go in
  the ``* FROM CLIP NAME:`` / ``* FROM CLIP:`` comments.
"""

from __future__ import annotations

import copy
import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Literal

import av
import opentimelineio as otio

from . import frames as fr
from .files import TempTarget, check_target_dir
from .media import (
    PacketCopier,
    PacketRange,
    add_video_stream,
    check_media_exists,
    iter_take_frames,
    keyframes,
)
from .plan import (
    ExportCancelled,
    ExportError,
    ReelOptions,
    ReelPlan,
    ShotItem,
    disk_full_error,
)
from .provenance import provenance_comment
from .timing import build_schedule, conformed_length, round_half_up

log = logging.getLogger(__name__)

TimelineFormat = Literal["otio", "edl", "fcpxml"]
_ADAPTERS = {"otio": "otio_json", "edl": "cmx_3600", "fcpxml": "fcp_xml"}
TIMECODE_START = "01:00:00:00"


@dataclass(frozen=True)
class TimelineResult:
    path: Path
    fmt: str
    media: tuple[Path, ...]  # one file per take, in timeline order
    copied: tuple[Path, ...]  # the media files written by packet copy (the rest re-encoded)


def clip_name(item: ShotItem) -> str:
    base = re.sub(r"[^A-Za-z0-9]+", "_", item.label).strip("_") or "shot"
    return f"{base}_T{item.take_number}" if item.take_number is not None else base


def _rt(frames: int | Fraction, rate: Fraction) -> otio.opentime.RationalTime:
    return otio.opentime.RationalTime(float(frames), float(rate))


def _tr(start: int, dur: int, rate: Fraction) -> otio.opentime.TimeRange:
    return otio.opentime.TimeRange(_rt(start, rate), _rt(dur, rate))


def _reel_names(items: list[ShotItem]) -> dict[str, str]:
    names: dict[str, str] = {}
    used: set[str] = set()
    for item in items:
        key = clip_name(item)
        if key in names:
            continue
        cand = ""
        for raw in (f"{item.scene}{item.code}T{item.take_number}", f"{item.scene}{item.code}"):
            c = re.sub(r"[^A-Z0-9]", "", raw.upper())
            if c and len(c) <= 8 and c not in used:
                cand = c
                break
        if not cand:
            cand = f"PV{len(names) + 1:04d}"
        names[key] = cand
        used.add(cand)
    return names


def build_timeline(
    plan: ReelPlan,
    media_dir: Path | str | None = None,
    *,
    options: ReelOptions | None = None,
    media_ext: str = ".mp4",
) -> otio.schema.Timeline:
    """The plan as an OTIO timeline (see the module docs for the conventions).

    With ``media_dir`` each clip references ``media_dir/<clip name><media_ext>`` (the files
    ``export_timeline`` writes); without it a clip whose take is one segment starting at frame 0
    references that file, and a multi-segment take gets a ``MissingReference``.
    """
    rate = Fraction(plan.fps)
    override = options.transition if options is not None else None
    tl = otio.schema.Timeline(name=f"{plan.project_name} {plan.version}")
    tl.global_start_time = otio.opentime.from_timecode(TIMECODE_START, float(rate))
    tl.metadata["previz"] = {
        "project": plan.project_name,
        "version": plan.version,
        "fps": f"{rate.numerator}/{rate.denominator}",
        "width": plan.width,
        "height": plan.height,
        "provenance": provenance_comment(plan),
    }
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    tl.tracks.append(track)
    reels = _reel_names([i for i in plan.items() if i.has_take])
    # the reel's own (clamped) dissolve lengths, so the timeline cuts where the reel does
    sched = build_schedule(
        plan, replace(options or ReelOptions(), head_slate=False, scene_cards=False, burnins=None)
    )
    dissolves = {(ev.seq_index, ev.item_index): ev.dissolve_in for ev in sched.shots()}
    for si, seq in enumerate(plan.sequences):
        for ii, item in enumerate(seq.items):
            tr = item.transition_in if (ii == 0 or override is None) else override
            meta = {
                "label": item.label,
                "scene": item.scene,
                "code": item.code,
                "take": item.take_number,
                "sequence": seq.name,
                "prompt": item.prompt,
                "dialogue": item.dialogue,
                "camera": item.camera,
                "notes": item.notes,
                "recipe": dict(item.recipe or {}),
                "transition_in": {"kind": tr.kind, "frames": tr.frames, "color": list(tr.color)},
            }
            if item.has_take:
                s_rate = Fraction(item.source_fps)
                t_in, t_out = item.trim_range
                name = clip_name(item)
                ref = _media_reference(item, name, media_dir, media_ext, s_rate)
                comp: otio.core.Item = otio.schema.Clip(
                    name=name,
                    media_reference=ref,
                    source_range=_tr(t_in, t_out - t_in, s_rate),
                )
                comp.metadata["cmx_3600"] = {"reel": reels[name]}
            else:
                comp = otio.schema.Gap(source_range=_tr(0, item.planned_frames, rate))
                comp.name = clip_name(item)
            comp.metadata["previz"] = meta
            n = dissolves.get((si, ii), 0)
            prev = track[-1] if len(track) else None
            if (
                n > 0
                and isinstance(comp, otio.schema.Clip)
                and isinstance(prev, otio.schema.Clip)
                and Fraction(item.source_fps) == rate
                and prev.source_range.start_time.rate == float(rate)
            ):
                # the reel overlaps the two shots inside their trims: cut at the middle of the
                # overlap, so source_range + transition offsets == the trims (visible_range)
                i, o = n // 2, n - n // 2
                pr = prev.source_range
                prev.source_range = otio.opentime.TimeRange(
                    pr.start_time, pr.duration - _rt(o, rate)
                )
                cr = comp.source_range
                comp.source_range = otio.opentime.TimeRange(
                    cr.start_time + _rt(i, rate), cr.duration - _rt(i, rate)
                )
                track.append(
                    otio.schema.Transition(
                        name=f"Dissolve {n}",
                        transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve,
                        in_offset=_rt(i, rate),
                        out_offset=_rt(o, rate),
                    )
                )
            if ii == 0:
                comp.markers.append(
                    otio.schema.Marker(
                        name=seq.name,
                        marked_range=_tr(
                            0 if not item.has_take else item.trim_range[0],
                            0,
                            Fraction(item.source_fps) if item.has_take else rate,
                        ),
                        color=otio.schema.MarkerColor.GREEN,
                    )
                )
            track.append(comp)
    return tl


def _media_reference(
    item: ShotItem, name: str, media_dir: Path | str | None, ext: str, rate: Fraction
) -> otio.core.MediaReference:
    available = _tr(0, item.take_frames, rate)
    if media_dir is not None:
        path = (Path(media_dir) / f"{name}{ext}").absolute()
        return otio.schema.ExternalReference(target_url=path.as_uri(), available_range=available)
    if len(item.segments) == 1 and item.segments[0].start == 0:
        path = Path(item.segments[0].path).absolute()
        return otio.schema.ExternalReference(target_url=path.as_uri(), available_range=available)
    return otio.schema.MissingReference(name=name, available_range=available)


def export_timeline(
    plan: ReelPlan,
    out_path: Path | str,
    fmt: TimelineFormat,
    *,
    media_dir: Path | str | None = None,
    options: ReelOptions | None = None,
    progress: Callable[[int, int], None] | None = None,
    cancel: threading.Event | None = None,
) -> TimelineResult:
    """Write each selected take as one media file, then the timeline in ``fmt``."""
    if fmt not in _ADAPTERS:
        raise ExportError(f"timeline format {fmt!r} is unknown; use otio, edl or fcpxml")
    out_path = Path(out_path)
    check_target_dir(out_path)
    if not any(seq.items for seq in plan.sequences):
        raise ExportError("the timeline has no shots; add shots to the sequence(s) first")
    media_dir = (
        Path(media_dir) if media_dir is not None else out_path.with_name(f"{out_path.stem}_media")
    )
    takes: dict[str, ShotItem] = {}
    for item in plan.items():
        if item.has_take:
            takes.setdefault(clip_name(item), item)
    check_media_exists(list(takes.values()))
    cancel = cancel or threading.Event()
    written: list[Path] = []
    copied: list[Path] = []
    if takes:
        try:
            media_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ExportError(f"cannot create media folder {media_dir}: {exc.strerror}") from exc
    for k, (name, item) in enumerate(takes.items()):
        if cancel.is_set():
            raise ExportCancelled()
        dest = media_dir / f"{name}.mp4"
        if write_take_media(item, dest, cancel=cancel):
            copied.append(dest)
        written.append(dest)
        if progress is not None:
            progress(k + 1, len(takes) + 1)
    timeline = build_timeline(plan, media_dir, options=options)
    adapter = _ADAPTERS[fmt]
    with TempTarget(out_path) as tmp:
        try:
            _write_timeline(timeline, tmp.path, adapter, plan)
        except OSError as exc:
            raise (
                disk_full_error(out_path, exc)
                or ExportError(f"cannot write {out_path}: {exc.strerror or exc}")
            ) from exc
        tmp.commit()
    if progress is not None:
        progress(len(takes) + 1, len(takes) + 1)
    return TimelineResult(out_path, fmt, tuple(written), tuple(copied))


def _write_timeline(
    timeline: otio.schema.Timeline, path: Path, adapter: str, plan: ReelPlan
) -> None:
    tl = copy.deepcopy(timeline)  # the EDL writer edits the track it is given
    try:
        if adapter == "cmx_3600":
            text = otio.adapters.write_to_string(
                edl_ready(tl, Fraction(plan.fps)),
                adapter_name=adapter,
                rate=float(Fraction(plan.fps)),
                style="avid",
            )
        else:
            text = otio.adapters.write_to_string(tl, adapter_name=adapter)
    except otio.exceptions.OTIOError as exc:
        raise ExportError(f"cannot express this cut as {adapter}: {exc}") from exc
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()


def edl_ready(tl: otio.schema.Timeline, rate: Fraction) -> otio.schema.Timeline:
    """Adapt a copy of the timeline to what a CMX 3600 EDL can say (edits ``tl`` in place):

    * one rate: a clip at another rate gets its source range expressed in reel-rate frames
      (``round_half_up(frame * R / S)``, the reel's conform rule), so source and record
      durations agree as CMX requires;
    * record timecode from 01:00:00:00: the writer counts record time from the track start, so
      a one-hour lead-in Gap (no event in the EDL) is put in front;
    * an ASCII title.
    """
    tl.name = re.sub(r"[^ -~]", "_", tl.name)[:70]
    track = tl.tracks[0]
    for item in list(track):
        if isinstance(item, otio.schema.Clip):
            sr = item.source_range
            s_rate = Fraction(sr.start_time.rate).limit_denominator(100000)
            if abs(float(s_rate) - float(rate)) > 1e-9:
                start = round_half_up(Fraction(round(sr.start_time.value)) * rate / s_rate)
                dur = conformed_length(round(sr.duration.value), s_rate, rate)
                item.source_range = _tr(start, dur, rate)
                ref = item.media_reference
                if ref is not None and ref.available_range is not None:
                    ar = ref.available_range
                    ref.available_range = _tr(
                        0, conformed_length(round(ar.duration.value), s_rate, rate), rate
                    )
    lead = otio.schema.Gap(source_range=_tr(0, 0, rate))
    lead.source_range = otio.opentime.TimeRange(
        _rt(0, rate), otio.opentime.from_timecode(TIMECODE_START, float(rate))
    )
    track.insert(0, lead)
    return tl


def write_take_media(item: ShotItem, dest: Path, *, cancel: threading.Event | None = None) -> bool:
    """Write the whole take (all its segments) as one H.264 MP4 at its own rate.

    Packets are copied when every segment is cut on key frames and all files share codec
    headers; otherwise the take is re-encoded (CRF 16). Returns True when copied.
    """
    cancel = cancel or threading.Event()
    rate = Fraction(item.source_fps)
    ranges = _copy_ranges(item, rate)
    with TempTarget(dest) as tmp:
        try:
            if ranges is not None:
                with av.open(
                    str(tmp.path), "w", format="mp4", options={"movflags": "+faststart"}
                ) as out:
                    with av.open(str(ranges[0].path)) as first:
                        vs = out.add_stream_from_template(first.streams.video[0])
                    out.metadata["comment"] = f"take {item.take_number} of {item.label}"
                    copier = PacketCopier(out, vs, rate)
                    n = 0
                    for rng in ranges:
                        if cancel.is_set():
                            raise ExportCancelled()
                        n += copier.copy(rng, n)
            else:
                _encode_take(item, tmp.path, rate, cancel)
        except OSError as exc:
            raise (
                disk_full_error(dest, exc)
                or ExportError(f"cannot write {dest}: {exc.strerror or exc}")
            ) from exc
        tmp.commit()
    return ranges is not None


def _copy_ranges(item: ShotItem, rate: Fraction) -> list[PacketRange] | None:
    ranges: list[PacketRange] = []
    extradata: bytes | None = None
    for seg in item.segments:
        try:
            keys, count, extra, info = keyframes(Path(seg.path))
        except ExportError:
            return None
        if info.codec != "h264" or info.pix_fmt != "yuv420p" or info.fps != rate:
            return None
        if extradata is None:
            extradata = extra
        elif extra != extradata:
            return None
        if seg.end > count or seg.start not in keys or (seg.end != count and seg.end not in keys):
            return None
        ranges.append(PacketRange(Path(seg.path), seg.start, seg.end))
    return ranges


def _encode_take(item: ShotItem, path: Path, rate: Fraction, cancel: threading.Event) -> None:
    with av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"}) as out:
        stream = None
        n = 0
        for frame in iter_take_frames(item, 0, item.take_frames):
            if cancel.is_set():
                raise ExportCancelled()
            if stream is None:
                w, h = frame.width & ~1, frame.height & ~1
                stream = add_video_stream(
                    out, "h264", "high", rate, w, h, {"crf": "16", "preset": "fast", "g": "12"}
                )
            arr = fr.frame_to_yuv420(
                frame.reformat(width=stream.width, height=stream.height)
                if (frame.width, frame.height) != (stream.width, stream.height)
                else frame
            )
            vf = fr.to_video_frame(arr)
            vf.pts = n
            vf.time_base = Fraction(1) / rate
            for pkt in stream.encode(vf):
                out.mux(pkt)
            n += 1
        if stream is not None:
            for pkt in stream.encode(None):
                out.mux(pkt)
