"""An FCP 7 XML (xmeml v4) writer of our own, from the editorial layout (``editorial.py``).

* One ``<sequence>`` at the reel rate with a filled ``<format>`` (frame size, rate, square
  pixels), a ``<timecode>`` at the layout's start (01:00:00:00; ``DF`` display when the
  sequence is drop-frame) and a ``<marker>`` at the first shot of each sequence.
* A shot with a take is a ``<clipitem>`` with exactly one ``<rate>`` (the take's own rate, in
  which ``<in>``/``<out>`` count the take's frames) and ``<start>``/``<end>`` in sequence frames
  (the reel's conformed length); its ``<file>`` is the take's media file. A shot with no take
  and a scene card between sequences are empty track time.
* A shot whose take has sound also has a ``<clipitem>`` on the sequence's ``<audio>`` track,
  on the same ``<file>`` (whose media then lists its audio) and linked to its picture; it is
  cut at the middle of a dissolve (no two audio clips overlap) and otherwise matches the
  picture's start/end and in/out, so sound follows the trim.
* Transitions are ``<transitionitem>``s on the reel's frames: a dissolve is a centred "Cross
  Dissolve" over the reel's overlap (the clips on either side have ``-1`` for the start/end the
  transition decides, as FCP writes them); a fade to black is a centred "Fade In Fade Out
  Dissolve", a dip to colour a "Dip to Color Dissolve" with its colour, when the two halves are
  equal (or the incoming one a frame longer); otherwise, and next to empty time, each half is
  its own "Cross Dissolve" aligned ``end-black`` / ``start-black``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path

from previz.core.time import nominal_rate

from .audio import OUT_RATE, has_sound
from .editorial import Boundary, Cut, Layout, boundaries

_EFFECTS = {
    "dissolve": ("Cross Dissolve", "Dissolve"),
    "fade_black": ("Fade In Fade Out Dissolve", "Dissolve"),
    "dip_color": ("Dip to Color Dissolve", "Dissolve"),
}


def _sub(parent: ET.Element, tag: str, text: object | None = None) -> ET.Element:
    el = ET.SubElement(parent, tag)
    if text is not None:
        el.text = str(text)
    return el


def _rate(parent: ET.Element, rate: Fraction) -> ET.Element:
    el = _sub(parent, "rate")
    _sub(el, "timebase", nominal_rate(rate))
    _sub(el, "ntsc", "TRUE" if Fraction(rate).denominator == 1001 else "FALSE")
    return el


def _timecode(parent: ET.Element, rate: Fraction, label: str, frame: int, drop: bool) -> None:
    el = _sub(parent, "timecode")
    _rate(el, rate)
    _sub(el, "string", label)
    _sub(el, "frame", frame)
    _sub(el, "displayformat", "DF" if drop else "NDF")


def _transition(
    track: ET.Element, rate: Fraction, start: int, end: int, alignment: str, kind: str, color
) -> None:
    t = _sub(track, "transitionitem")
    _sub(t, "start", start)
    _sub(t, "end", end)
    _sub(t, "alignment", alignment)
    _rate(t, rate)
    name, category = _EFFECTS[kind]
    eff = _sub(t, "effect")
    _sub(eff, "name", name)
    _sub(eff, "effectid", name)
    _sub(eff, "effectcategory", category)
    _sub(eff, "effecttype", "transition")
    _sub(eff, "mediatype", "video")
    _sub(eff, "wipecode", 0)
    _sub(eff, "wipeaccuracy", 100)
    _sub(eff, "startratio", 0)
    _sub(eff, "endratio", 1)
    _sub(eff, "reverse", "FALSE")
    if kind == "dip_color":
        p = _sub(eff, "parameter")
        _sub(p, "parameterid", "color")
        _sub(p, "name", "Color")
        v = _sub(p, "value")
        _sub(v, "alpha", 255)
        for tag, c in zip(("red", "green", "blue"), color, strict=True):
            _sub(v, tag, int(c))


def write_fcpxml(
    layout: Layout,
    title: str,
    width: int,
    height: int,
    clip_names: dict[int, str],
    media: dict[int, Path],
) -> str:
    """The XML text. ``clip_names``/``media`` are keyed by ``id(cut)`` of clips."""
    rate = layout.fps
    root = ET.Element("xmeml", version="4")
    seq = _sub(root, "sequence", None)
    seq.set("id", "sequence-1")
    _sub(seq, "name", title)
    _sub(seq, "duration", layout.frames)
    _rate(seq, rate)
    _timecode(seq, rate, layout.start_tc, layout.start, layout.drop_frame)
    video = _sub(_sub(seq, "media"), "video")
    sc = _sub(_sub(video, "format"), "samplecharacteristics")
    _rate(sc, rate)
    _sub(sc, "width", width)
    _sub(sc, "height", height)
    _sub(sc, "anamorphic", "FALSE")
    _sub(sc, "pixelaspectratio", "square")
    _sub(sc, "fielddominance", "none")
    track = _sub(video, "track")

    heads: dict[int, Boundary] = {}
    tails: dict[int, Boundary] = {}
    for b in boundaries(layout):
        if b.prev is not None:
            tails[id(b.prev)] = b
        if b.nxt is not None:
            heads[id(b.nxt)] = b
    files: dict[Path, str] = {}
    clip_no = 0
    sounded: list[tuple[Cut, int, str]] = []  # clips whose take has sound: (cut, no, file id)

    def emit_boundary(b: Boundary) -> tuple[bool, bool]:
        """Write the transition(s) of ``b``; return whether they position (prev end, next
        start)."""
        a = b.prev if b.prev is not None and b.prev.is_clip else None
        n = b.nxt if b.nxt is not None and b.nxt.is_clip else None
        if b.dissolve:
            start = b.nxt.start  # type: ignore[union-attr]
            end = start + b.dissolve
            if a is not None and n is not None:
                _transition(track, rate, start, end, "center", "dissolve", None)
                return True, True
            if a is not None:
                _transition(track, rate, start, end, "end-black", "dissolve", None)
                return True, False
            _transition(track, rate, start, end, "start-black", "dissolve", None)
            return False, True
        f = b.out_frames if a is not None else 0
        g = b.in_frames if n is not None else 0
        kind = b.kind
        if _centred(b, rate):
            cut = b.nxt.start  # type: ignore[union-attr]
            _transition(track, rate, cut - f, cut + g, "center", kind, b.color)
            return True, True
        if f:
            e = b.prev.end  # type: ignore[union-attr]
            k = "dip_color" if b.out_color != (0, 0, 0) else "dissolve"
            _transition(track, rate, e - f, e, "end-black", k, b.out_color)
        if g:
            s = b.nxt.start  # type: ignore[union-attr]
            k = "dip_color" if b.in_color != (0, 0, 0) else "dissolve"
            _transition(track, rate, s, s + g, "start-black", k, b.in_color)
        return bool(f), bool(g)

    pending_head = False
    for c in layout.cuts:
        head = heads.get(id(c))
        if head is not None and (head.prev is None or not head.prev.is_clip):
            # a transition from empty time (the clip before wrote the shared ones)
            pending_head = emit_boundary(head)[1]
        if not c.is_clip:
            continue
        tail = tails.get(id(c))
        tail_pos = False
        clip_no += 1
        ci = _sub(track, "clipitem")
        ci.set("id", f"clipitem-{clip_no}")
        item = c.item
        assert item is not None
        _sub(ci, "name", clip_names[id(c)])
        _sub(ci, "enabled", "TRUE")
        _sub(ci, "duration", item.take_frames)
        _rate(ci, c.src_rate)
        start_el = _sub(ci, "start", c.start)
        end_el = _sub(ci, "end", c.end)
        if pending_head:
            start_el.text = "-1"
            pending_head = False
        t_in, t_out = item.trim_range
        if head is not None and _centred(head, rate):
            t_in -= head.out_frames  # FCP's in point is under the transition's start
        if tail is not None and _centred(tail, rate):
            t_out += tail.in_frames
        _sub(ci, "in", t_in)
        _sub(ci, "out", t_out)
        path = media[id(c)]
        if path in files:
            ET.SubElement(ci, "file", id=files[path])
        else:
            fid = f"file-{len(files) + 1}"
            files[path] = fid
            fe = ET.SubElement(ci, "file", id=fid)
            _sub(fe, "name", path.name)
            _sub(fe, "pathurl", path.absolute().as_uri())
            _rate(fe, c.src_rate)
            _sub(fe, "duration", item.take_frames)
            _timecode(fe, c.src_rate, "00:00:00:00", 0, False)
            fmedia = _sub(fe, "media")
            fv = _sub(fmedia, "video")
            fsc = _sub(fv, "samplecharacteristics")
            _rate(fsc, c.src_rate)
            _sub(fsc, "width", item.source_size[0])
            _sub(fsc, "height", item.source_size[1])
            if has_sound(item):
                fa = _sub(fmedia, "audio")
                asc = _sub(fa, "samplecharacteristics")
                _sub(asc, "depth", 16)
                _sub(asc, "samplerate", OUT_RATE)
                _sub(fa, "channelcount", 2)
        if has_sound(item):
            sounded.append((c, clip_no, files[path]))
        _sub(ci, "comments").append(_comment(item.label))
        if tail is not None:
            tail_pos, pending_head = emit_boundary(tail)
            if tail_pos:
                end_el.text = "-1"
    if sounded:
        _audio_track(_sub(seq.find("media"), "audio"), layout, clip_names, sounded, tails, heads)
    seen: set[int] = set()
    for c in layout.cuts:
        if c.kind == "card" or c.seq_index in seen:
            continue
        seen.add(c.seq_index)
        m = _sub(seq, "marker")
        _sub(m, "name", c.sequence.name)
        _sub(m, "comment", f"sequence {c.sequence.name}")
        _sub(m, "in", c.start)
        _sub(m, "out", -1)
    ET.indent(root, "  ")
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE xmeml>\n' + body + "\n"


def _audio_track(
    audio: ET.Element,
    layout: Layout,
    clip_names: dict[int, str],
    sounded: list[tuple[Cut, int, str]],
    tails: dict[int, Boundary],
    heads: dict[int, Boundary],
) -> None:
    """One audio track: a clipitem per shot whose take has sound, on the same file as its
    picture (linked to it), cut at the middle of a dissolve so no two clips overlap."""
    rate = layout.fps
    fmt = _sub(_sub(audio, "format"), "samplecharacteristics")
    _sub(fmt, "depth", 16)
    _sub(fmt, "samplerate", OUT_RATE)
    track = _sub(audio, "track")
    for k, (c, no, fid) in enumerate(sounded, start=1):
        item = c.item
        assert item is not None
        head, tail = heads.get(id(c)), tails.get(id(c))
        d_in = head.dissolve // 2 if head is not None and head.dissolve else 0
        d_out = tail.dissolve - tail.dissolve // 2 if tail is not None and tail.dissolve else 0
        t_in, t_out = item.trim_range
        src = Fraction(c.src_rate) / rate  # source frames per sequence frame
        ci = _sub(track, "clipitem")
        ci.set("id", f"clipitem-a{k}")
        _sub(ci, "name", clip_names[id(c)])
        _sub(ci, "enabled", "TRUE")
        _sub(ci, "duration", item.take_frames)
        _rate(ci, c.src_rate)
        _sub(ci, "start", c.start + d_in)
        _sub(ci, "end", c.end - d_out)
        _sub(ci, "in", t_in + round(d_in * src))
        _sub(ci, "out", t_out - round(d_out * src))
        ET.SubElement(ci, "file", id=fid)
        st = _sub(ci, "sourcetrack")
        _sub(st, "mediatype", "audio")
        _sub(st, "trackindex", 1)
        for ref, kind in ((f"clipitem-{no}", "video"), (f"clipitem-a{k}", "audio")):
            link = _sub(ci, "link")
            _sub(link, "linkclipref", ref)
            _sub(link, "mediatype", kind)
            _sub(link, "trackindex", 1)
            _sub(link, "clipindex", no if kind == "video" else k)


def _centred(b: Boundary, rate: Fraction) -> bool:
    """Whether a fade/dip between two clips is one centred transition: equal halves (or the
    incoming one a frame longer), one colour, both clips at the reel rate, and handles for the
    frames FCP reads under it (the incoming clip's in point moves back by the first half, the
    outgoing one's out point on by the second)."""
    a, n = b.prev, b.nxt
    if b.dissolve or a is None or n is None or not (a.is_clip and n.is_clip):
        return False
    f, g = b.out_frames, b.in_frames
    if not (f and g and 0 <= g - f <= 1 and b.out_color == b.in_color):
        return False
    if a.src_rate != rate or n.src_rate != rate:
        return False
    assert a.item is not None and n.item is not None
    return n.src_in >= f and a.item.trim_range[1] + g <= a.item.take_frames


def _comment(text: str) -> ET.Element:
    el = ET.Element("mastercomment1")
    el.text = text
    return el
