"""Editorial timelines: OpenTimelineIO, CMX 3600 EDL and FCP 7 XML.

``export_timeline`` writes each selected take as ONE media file (``<out_stem>_media/
12A_0010_T2.mp4``) so every clip has a single file an NLE can relink, then the timeline:
OTIO through OpenTimelineIO (``otio_json``); the EDL (``edl.py``) and FCP 7 XML
(``fcpxml.py``) through writers of our own, because the adapters could not say what the reel
does (no FCM line, a guessed drop-frame, source time in LOC markers, fades dropped).

All three are built from one editorial layout (``editorial.build_layout``), which reads the
reel's own schedule, so the timelines cut, dissolve and fade on exactly the reel's frames.

Conventions:

* Timecode: the first frame of the first shot is at 01:00:00:00 (``ReelOptions.timecode_start``)
  in every timeline and in the reel. The reel's head slate and first scene card are pre-roll:
  the reel starts at 01:00:00:00 minus their length (its tmcd track and burn-ins say so). A
  scene card between sequences is a gap as long as the card (EDL: a ``BL`` event).
* Drop-frame is the sequence's setting (``ReelPlan.drop_frame``, 29.97/59.94 only); the EDL's
  ``FCM:`` line, the XML's ``<displayformat>``, OTIO's metadata and every label follow it.
* All sequences of the plan are concatenated on one video track ("V1"), in order (an EDL holds
  a single track, and stacked tracks would composite). A marker named after the sequence sits
  on its first shot (EDL: ``* LOC:`` with the record timecode).
* A shot with a take is a Clip named after its media file, ``<scene>_<code>_T<take>``
  (``12A_0010_T2``); two different takes that would share a name (shot 0010 in two sequences
  with no scene) get the sequence name in front, so each take has its own file and reel name.
  Its ``source_range`` starts at the trim's in point at the take's own rate and lasts the
  reel's conformed length (a clip at another rate: that length expressed at the take's rate),
  referencing the whole take (``available_range`` from frame 0), so the trimmed-off frames
  remain as handles.
* A shot with no take is a Gap of its planned length (reel rate), named after the shot.
* Transitions are written, never turned into cuts: a dissolve of n frames (the reel overlaps
  the two shots by n) is an ``SMPTE_Dissolve`` cut at the middle of the overlap (``in_offset =
  n // 2``, ``out_offset = n - n // 2``; the outgoing clip's range ends ``out_offset`` early and
  the incoming one starts ``in_offset`` late, so each clip's ``visible_range()`` is its trim). A
  fade to black / dip to colour (the outgoing shot fades over its last ``f`` frames, the
  incoming one up over its first ``g``; a sequence's head fade-in and tail fade-out are the
  one-sided cases) is a ``Custom`` Transition at the cut with ``in_offset = f``, ``out_offset =
  g`` and ``metadata["previz"]["kind"]`` (``fade_black`` or ``dip_color``, with ``color``).
  The EDL and FCP XML say the same in their own terms (see ``edl.py`` and ``fcpxml.py``).
* Shot details live in ``clip.metadata["previz"]`` (OTIO keeps them; EDL/XML carry the names).
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Literal

import av
import opentimelineio as otio

from . import frames as fr
from .audio import add_sound_stream, encode_take_sound, has_sound
from .editorial import Cut, Layout, boundaries, build_layout, timecode_label
from .edl import write_edl
from .fcpxml import write_fcpxml
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

log = logging.getLogger(__name__)

TimelineFormat = Literal["otio", "edl", "fcpxml"]
_FORMATS = ("otio", "edl", "fcpxml")
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


def take_key(item: ShotItem) -> tuple:
    """What makes a take the same take: its frames (the media behind it)."""
    return tuple((str(s.path), s.start, s.end) for s in item.segments)


def media_names(plan: ReelPlan) -> dict[tuple, str]:
    """One unique file/clip name per take (see the module docs), in timeline order."""
    names: dict[tuple, str] = {}
    used: set[str] = set()
    for seq in plan.sequences:
        for item in seq.items:
            if not item.has_take or take_key(item) in names:
                continue
            base = clip_name(item)
            seq_slug = re.sub(r"[^A-Za-z0-9]+", "_", seq.name).strip("_") or "seq"
            cand = base
            if cand.lower() in used:
                cand = f"{seq_slug}_{base}"
            k = 2
            while cand.lower() in used:
                cand = f"{seq_slug}_{base}_{k}"
                k += 1
            names[take_key(item)] = cand
            used.add(cand.lower())
    return names


def _rt(frames: int | Fraction, rate: Fraction) -> otio.opentime.RationalTime:
    return otio.opentime.RationalTime(float(frames), float(rate))


def _tr(start: int, dur: int, rate: Fraction) -> otio.opentime.TimeRange:
    return otio.opentime.TimeRange(_rt(start, rate), _rt(dur, rate))


def reel_names(plan: ReelPlan) -> dict[tuple, str]:
    """A CMX reel name per take: shot code + take when that fits 8 characters (A-Z, 0-9) and is
    free, else ``PV0001``-style; never shared by two takes."""
    names: dict[tuple, str] = {}
    used: set[str] = {"BL", "AX"}
    for item in plan.items():
        key = take_key(item)
        if not item.has_take or key in names:
            continue
        cand = ""
        for raw in (
            f"{item.scene}{item.code}T{item.take_number}",
            f"{item.code}T{item.take_number}",
        ):
            c = re.sub(r"[^A-Z0-9]", "", raw.upper())
            if c and len(c) <= 8 and c not in used:
                cand = c
                break
        k = len(names) + 1
        while not cand or cand in used:
            cand = f"PV{k:04d}"
            k += 1
        names[key] = cand
        used.add(cand)
    return names


def _fps_text(rate: Fraction) -> str:
    return f"{rate.numerator}/{rate.denominator}"


def build_timeline(
    plan: ReelPlan,
    media_dir: Path | str | None = None,
    *,
    options: ReelOptions | None = None,
    media_ext: str = ".mp4",
    layout: Layout | None = None,
) -> otio.schema.Timeline:
    """The plan as an OTIO timeline (see the module docs for the conventions).

    With ``media_dir`` each clip references ``media_dir/<clip name><media_ext>`` (the files
    ``export_timeline`` writes); without it a clip whose take is one segment starting at frame 0
    references that file, and a multi-segment take gets a ``MissingReference``.
    """
    rate = Fraction(plan.fps)
    layout = layout or build_layout(plan, options)
    names = media_names(plan)
    reels = reel_names(plan)
    tl = otio.schema.Timeline(name=f"{plan.project_name} {plan.version}")
    tl.global_start_time = _rt(layout.start, rate)
    tl.metadata["previz"] = {
        "project": plan.project_name,
        "version": plan.version,
        "fps": _fps_text(rate),
        "width": plan.width,
        "height": plan.height,
        "drop_frame": layout.drop_frame,
        "timecode_start": layout.start_tc,
        "reel_timecode_start": layout.reel_start_tc,
        "preroll_frames": layout.preroll,
        "provenance": provenance_comment(plan),
    }
    track = otio.schema.Track(name="V1", kind=otio.schema.TrackKind.Video)
    tl.tracks.append(track)
    comps: dict[int, otio.core.Item] = {}
    seen_seq: set[int] = set()
    for c in layout.cuts:
        item = c.item
        if c.is_clip:
            assert item is not None
            s_rate = c.src_rate
            name = names[take_key(item)]
            dur = _rt(c.length, rate)
            if s_rate != rate:
                dur = dur.rescaled_to(float(s_rate))
            comp: otio.core.Item = otio.schema.Clip(
                name=name,
                media_reference=_media_reference(item, name, media_dir, media_ext, s_rate),
                source_range=otio.opentime.TimeRange(_rt(c.src_in, s_rate), dur),
            )
            comp.metadata["cmx_3600"] = {"reel": reels[take_key(item)]}
        else:
            comp = otio.schema.Gap(source_range=_tr(0, c.length, rate))
            comp.name = clip_name(item) if item is not None else f"{c.name} card"
        comp.metadata["previz"] = _item_meta(c)
        if c.kind != "card" and c.seq_index not in seen_seq:
            seen_seq.add(c.seq_index)
            comp.markers.append(
                otio.schema.Marker(
                    name=c.sequence.name,
                    marked_range=otio.opentime.TimeRange(
                        comp.source_range.start_time, _rt(0, rate)
                    ),
                    color=otio.schema.MarkerColor.GREEN,
                )
            )
        comps[id(c)] = comp
    # transitions: shorten around dissolves first, then lay items and transitions in order
    after: dict[int, otio.schema.Transition] = {}
    head: otio.schema.Transition | None = None
    for b in boundaries(layout):
        if b.dissolve:
            n = b.dissolve
            i, o = n // 2, n - n // 2
            assert b.prev is not None and b.nxt is not None
            _shift(comps[id(b.prev)], 0, -o, rate)
            _shift(comps[id(b.nxt)], i, -i, rate)
            t = otio.schema.Transition(
                name=f"Dissolve {n}",
                transition_type=otio.schema.TransitionTypes.SMPTE_Dissolve,
                in_offset=_rt(i, rate),
                out_offset=_rt(o, rate),
            )
            t.metadata["previz"] = {"kind": "dissolve", "frames": n}
        else:
            kind = b.kind
            label = "Fade to black" if kind == "fade_black" else "Dip to color"
            t = otio.schema.Transition(
                name=f"{label} {b.frames}",
                transition_type=otio.schema.TransitionTypes.Custom,
                in_offset=_rt(b.out_frames, rate),
                out_offset=_rt(b.in_frames, rate),
            )
            t.metadata["previz"] = {
                "kind": kind,
                "frames": b.frames,
                "out_frames": b.out_frames,
                "in_frames": b.in_frames,
                "color": list(b.color),
            }
        if b.prev is None:
            head = t
        else:
            after[id(b.prev)] = t
    if head is not None:
        track.append(head)
    for c in layout.cuts:
        track.append(comps[id(c)])
        if id(c) in after:
            track.append(after[id(c)])
    sounded = {id(comps[id(c)]) for c in layout.cuts if c.is_clip and has_sound(c.item)}
    if sounded:
        tl.tracks.append(_audio_track(track, sounded))
    return tl


def _audio_track(video: otio.schema.Track, sounded: set[int]) -> otio.schema.Track:
    """ "A1": the video track's clips whose take has sound (the same media file, the same
    source range, so sound stays in step with picture through trims), gaps elsewhere, and the
    dissolves (a crossfade) between them."""
    track = otio.schema.Track(name="A1", kind=otio.schema.TrackKind.Audio)
    for child in video:
        if isinstance(child, otio.schema.Clip) and id(child) in sounded:
            clip = otio.schema.Clip(
                name=child.name,
                media_reference=child.media_reference.clone(),
                source_range=child.source_range,
                metadata={"previz": dict(child.metadata["previz"])},
            )
            track.append(clip)
        elif isinstance(child, otio.schema.Transition):
            if child.transition_type == otio.schema.TransitionTypes.SMPTE_Dissolve:
                track.append(child.clone())
        else:
            track.append(otio.schema.Gap(source_range=child.source_range))
    return track


def _shift(comp: otio.core.Item, start: int, dur: int, rate: Fraction) -> None:
    sr = comp.source_range
    s_rate = sr.start_time.rate
    comp.source_range = otio.opentime.TimeRange(
        sr.start_time + _rt(start, rate).rescaled_to(s_rate),
        sr.duration + _rt(dur, rate).rescaled_to(s_rate),
    )


def _item_meta(c: Cut) -> dict:
    item = c.item
    meta: dict = {"sequence": c.sequence.name, "kind": "scene_card" if c.kind == "card" else "shot"}
    if item is None:
        return meta
    tr = item.transition_in
    meta.update(
        {
            "label": item.label,
            "scene": item.scene,
            "code": item.code,
            "take": item.take_number,
            "prompt": item.prompt,
            "dialogue": item.dialogue,
            "camera": item.camera,
            "notes": item.notes,
            "recipe": dict(item.recipe or {}),
            "transition_in": {"kind": tr.kind, "frames": tr.frames, "color": list(tr.color)},
            "source_fps": _fps_text(Fraction(item.source_fps)),
        }
    )
    if item.has_take:
        t_in, t_out = item.trim_range
        meta["trim"] = [t_in, t_out]
    return meta


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
    if fmt not in _FORMATS:
        raise ExportError(f"timeline format {fmt!r} is unknown; use otio, edl or fcpxml")
    out_path = Path(out_path)
    check_target_dir(out_path)
    if not any(seq.items for seq in plan.sequences):
        raise ExportError("the timeline has no shots; add shots to the sequence(s) first")
    layout = build_layout(plan, options)  # validates the plan (one-line errors) before any work
    media_dir = (
        Path(media_dir) if media_dir is not None else out_path.with_name(f"{out_path.stem}_media")
    )
    names = media_names(plan)
    takes: dict[tuple, ShotItem] = {}
    for item in plan.items():
        if item.has_take:
            takes.setdefault(take_key(item), item)
    check_media_exists(list(takes.values()))
    cancel = cancel or threading.Event()
    written: list[Path] = []
    copied: list[Path] = []
    if takes:
        try:
            media_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ExportError(f"cannot create media folder {media_dir}: {exc.strerror}") from exc
    drop = layout.drop_frame
    for k, (key, item) in enumerate(takes.items()):
        if cancel.is_set():
            raise ExportCancelled()
        dest = media_dir / f"{names[key]}.mp4"
        tc = timecode_label(0, Fraction(item.source_fps), drop and item.source_fps == plan.fps)
        if write_take_media(item, dest, cancel=cancel, timecode=tc):
            copied.append(dest)
        written.append(dest)
        if progress is not None:
            progress(k + 1, len(takes) + 1)
    with TempTarget(out_path) as tmp:
        try:
            text = _timeline_text(plan, layout, fmt, media_dir, options)
            with open(tmp.path, "w", encoding="utf-8") as f:
                f.write(text)
                f.flush()
        except OSError as exc:
            raise (
                disk_full_error(out_path, exc)
                or ExportError(f"cannot write {out_path}: {exc.strerror or exc}")
            ) from exc
        tmp.commit()
    if progress is not None:
        progress(len(takes) + 1, len(takes) + 1)
    return TimelineResult(out_path, fmt, tuple(written), tuple(copied))


def _timeline_text(
    plan: ReelPlan, layout: Layout, fmt: str, media_dir: Path, options: ReelOptions | None
) -> str:
    title = f"{plan.project_name} {plan.version}"
    if fmt == "otio":
        tl = build_timeline(plan, media_dir, options=options, layout=layout)
        try:
            return otio.adapters.write_to_string(tl, adapter_name="otio_json")
        except otio.exceptions.OTIOError as exc:
            raise ExportError(f"cannot express this cut as OTIO: {exc}") from exc
    names = media_names(plan)
    reels = reel_names(plan)
    clip_names: dict[int, str] = {}
    media: dict[int, Path] = {}
    reel_of: dict[int, str] = {}
    for c in layout.cuts:
        if c.is_clip and c.item is not None:
            key = take_key(c.item)
            clip_names[id(c)] = names[key]
            media[id(c)] = (media_dir / f"{names[key]}.mp4").absolute()
            reel_of[id(c)] = reels[key]
    if fmt == "edl":
        return write_edl(layout, title, reel_of, clip_names, media)
    return write_fcpxml(layout, title, plan.width, plan.height, clip_names, media)


def write_take_media(
    item: ShotItem,
    dest: Path,
    *,
    cancel: threading.Event | None = None,
    timecode: str | None = None,
) -> bool:
    """Write the whole take (all its segments) as one H.264 MP4 at its own rate, with a start
    ``timecode`` (tmcd track) when given: the EDL's source timecode counts from it.

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
                    if timecode:
                        vs.metadata["timecode"] = timecode
                    out.metadata["comment"] = f"take {item.take_number} of {item.label}"
                    sound = add_sound_stream(out) if has_sound(item) else None
                    copier = PacketCopier(out, vs, rate)
                    n = 0
                    for rng in ranges:
                        if cancel.is_set():
                            raise ExportCancelled()
                        n += copier.copy(rng, n)
                    if sound is not None:
                        encode_take_sound(out, sound, item)
            else:
                _encode_take(item, tmp.path, rate, cancel, timecode)
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


def _encode_take(
    item: ShotItem, path: Path, rate: Fraction, cancel: threading.Event, timecode: str | None
) -> None:
    with av.open(str(path), "w", format="mp4", options={"movflags": "+faststart"}) as out:
        stream = None
        sound = None
        n = 0
        for frame in iter_take_frames(item, 0, item.take_frames):
            if cancel.is_set():
                raise ExportCancelled()
            if stream is None:
                w, h = frame.width & ~1, frame.height & ~1
                stream = add_video_stream(
                    out, "h264", "high", rate, w, h, {"crf": "16", "preset": "fast", "g": "12"}
                )
                if timecode:
                    stream.metadata["timecode"] = timecode
                sound = add_sound_stream(out) if has_sound(item) else None
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
        if sound is not None:
            encode_take_sound(out, sound, item)
