"""A CMX 3600 EDL writer of our own (one video track and its sound, at the reel rate).

Written from the editorial layout (``editorial.py``), so its record timecode is the reel's:

* ``TITLE:`` then ``FCM: NON-DROP FRAME`` or ``FCM: DROP FRAME`` (the sequence's setting);
  every timecode uses ``:`` in non-drop-frame and ``;`` before the frames in drop-frame.
* Event lines use the standard fixed columns (event 3, reel 8, channels 4, transition 4,
  duration 3, four 11-character timecodes), so column-strict readers parse them.
* A shot with a take is an event from its reel (8 characters, unique per take); its source
  timecode counts the take's media file from 00:00:00:00, in reel-rate frames (a clip at another
  rate is conformed with the reel's rule and says so in a ``* SOURCE FPS:`` comment).
* A shot with no take and a scene card between sequences are ``BL`` (black) events, so record
  time never jumps.
* A dissolve is CMX's two-line event: a zero-length cut on the outgoing source where it
  continues, then ``D nnn`` to the incoming source, starting where the reel's overlap starts.
  A fade to black / dip to colour is a dissolve to a ``BL`` event and a dissolve from it (the
  colour of a dip is in a ``* DIP TO COLOR:`` comment; CMX has no colour source).
* A take with sound is on the channels ``AA/V`` (picture and both sound channels of its media
  file), a silent one on ``V``; a dissolve's two lines share the channels of its sources.
* ``* FROM CLIP NAME:`` / ``* TO CLIP NAME:``, ``* SOURCE FILE:`` (the media file) and
  ``* LOC: <record timecode> GREEN <sequence>`` at the first shot of each sequence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .audio import has_sound
from .editorial import Boundary, Cut, Layout, boundaries, reel_source_frames

BLACK = "BL"


@dataclass(frozen=True)
class _Piece:
    cut: Cut | None  # None: black
    rec_in: int
    rec_out: int
    dissolve: int = 0  # incoming dissolve length (0: cut)
    came_from: Cut | None = None  # the outgoing source of the dissolve (None: black)
    color: tuple[int, int, int] | None = None  # the colour of a dip, for the comment


def _pieces(layout: Layout) -> list[_Piece]:
    bounds: dict[tuple[int, int], Boundary] = {}
    index = {id(c): k for k, c in enumerate(layout.cuts)}
    for b in boundaries(layout):
        key = (
            index[id(b.prev)] if b.prev is not None else -1,
            index[id(b.nxt)] if b.nxt is not None else len(layout.cuts),
        )
        bounds[key] = b
    pieces: list[_Piece] = []
    n = len(layout.cuts)
    for k, c in enumerate(layout.cuts):
        b_in = bounds.get((k - 1, k))
        b_out = bounds.get((k, k + 1 if k + 1 < n else n))
        tail = 0
        if b_out is not None:
            tail = b_out.dissolve or b_out.out_frames
        src = c if c.is_clip else None
        if b_in is not None and b_in.dissolve:
            prev = b_in.prev
            pieces.append(
                _Piece(
                    src,
                    c.start,
                    c.end - tail,
                    b_in.dissolve,
                    prev if prev and prev.is_clip else None,
                )
            )
        elif b_in is not None and b_in.in_frames and c.is_clip:
            color = b_in.in_color if b_in.in_color != (0, 0, 0) else None
            pieces.append(_Piece(src, c.start, c.end - tail, b_in.in_frames, None, color))
        else:
            pieces.append(_Piece(src, c.start, c.end - tail))
        if b_out is not None and not b_out.dissolve and b_out.out_frames and c.is_clip:
            color = b_out.out_color if b_out.out_color != (0, 0, 0) else None
            pieces.append(_Piece(None, c.end - b_out.out_frames, c.end, b_out.out_frames, c, color))
    return pieces


def _line(
    num: int,
    reel: str,
    trans: str,
    dur: int | None,
    tcs: tuple[str, str, str, str],
    chan: str = "V",
) -> str:
    op = f"{dur:03d}" if dur is not None else "   "
    return f"{num:03d}  {reel:<8} {chan:<4}  {trans:<4} {op} " + " ".join(tcs)


def _chan(*cuts: Cut | None) -> str:
    """``AA/V`` (picture and stereo sound) when a source of the event has sound, else ``V``."""
    return (
        "AA/V"
        if any(c is not None and c.item is not None and has_sound(c.item) for c in cuts)
        else "V"
    )


def _src_at(layout: Layout, cut: Cut, rec: int) -> int:
    """Source frame (reel-rate frames of the take's file) that ``cut`` shows at record ``rec``."""
    s_in, _ = reel_source_frames(cut, layout.fps)
    return s_in + (rec - cut.start)


def write_edl(
    layout: Layout,
    title: str,
    reels: dict[int, str],
    clip_names: dict[int, str],
    media: dict[int, Path],
) -> str:
    """The EDL text. ``reels``/``clip_names``/``media`` are keyed by ``id(cut)`` of clips."""
    tc, stc = layout.tc, layout.source_tc
    title = re.sub(r"[^ -~]", "_", title).strip()[:70] or "PREVIZ"
    lines = [f"TITLE: {title}", f"FCM: {'DROP FRAME' if layout.drop_frame else 'NON-DROP FRAME'}"]
    firsts = {}
    for c in layout.cuts:
        if c.kind != "card" and c.seq_index not in firsts:
            firsts[c.seq_index] = c
    first_ids = {id(c) for c in firsts.values()}
    for num, p in enumerate(_pieces(layout), start=1):
        length = p.rec_out - p.rec_in
        reel = reels[id(p.cut)] if p.cut is not None else BLACK
        if p.cut is not None:
            s0 = _src_at(layout, p.cut, p.rec_in)
            s_in, s_out = stc(s0), stc(s0 + length)
        else:
            s_in, s_out = stc(0), stc(length)
        rec = (tc(p.rec_in), tc(p.rec_out))
        if p.dissolve:
            if p.came_from is not None:
                f_reel = reels[id(p.came_from)]
                f_src = stc(_src_at(layout, p.came_from, p.rec_in))
            else:
                f_reel, f_src = BLACK, stc(0)
            chan = _chan(p.cut, p.came_from)
            lines.append(_line(num, f_reel, "C", None, (f_src, f_src, rec[0], rec[0]), chan))
            lines.append(_line(num, reel, "D", p.dissolve, (s_in, s_out, *rec), chan))
            lines.append("EFFECTS NAME IS CROSS DISSOLVE")
            if p.came_from is not None:
                lines.append(f"* FROM CLIP NAME: {clip_names[id(p.came_from)]}")
            if p.cut is not None:
                lines.append(f"* TO CLIP NAME: {clip_names[id(p.cut)]}")
            if p.color is not None:
                r, g, b = p.color
                lines.append(f"* DIP TO COLOR: #{r:02X}{g:02X}{b:02X} (RGB {r} {g} {b})")
        else:
            lines.append(_line(num, reel, "C", None, (s_in, s_out, *rec), _chan(p.cut)))
            if p.cut is not None:
                lines.append(f"* FROM CLIP NAME: {clip_names[id(p.cut)]}")
        if p.cut is not None:
            lines.append(f"* SOURCE FILE: {media[id(p.cut)]}")
            if p.cut.src_rate != layout.fps:
                lines.append(f"* SOURCE FPS: {_rate(p.cut.src_rate)} (source timecode conformed)")
            if id(p.cut) in first_ids and p.rec_in == p.cut.start:
                lines.append(f"* LOC: {tc(p.cut.start)} GREEN   {_ascii(p.cut.sequence.name)}")
                first_ids.discard(id(p.cut))
        elif p.came_from is None:
            owner = next(
                (c for c in layout.cuts if c.start <= p.rec_in < c.end and not c.is_clip), None
            )
            if owner is not None and p.rec_in == owner.start:
                what = "SCENE CARD" if owner.kind == "card" else "NO TAKE"
                lines.append(f"* {what}: {_ascii(owner.name)}")
                if id(owner) in first_ids:
                    lines.append(f"* LOC: {tc(owner.start)} GREEN   {_ascii(owner.sequence.name)}")
                    first_ids.discard(id(owner))
    return "\n".join(lines) + "\n"


def _ascii(text: str) -> str:
    return re.sub(r"[^ -~]", "_", text)[:60]


def _rate(rate) -> str:  # type: ignore[no-untyped-def]
    return str(rate.numerator) if rate.denominator == 1 else f"{float(rate):.3f}"
