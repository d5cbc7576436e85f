"""The editorial exports agree with the reel on every frame, read back by independent readers:
pycmx (strict, column-exact) for the EDL, OpenTimelineIO for .otio and FCP XML, xml.etree for
the XML's structure, PyAV/OpenCV for the reel's timecode track and pictures."""

from __future__ import annotations

import os
import time
import xml.etree.ElementTree as ET
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import opentimelineio as otio
import pycmx
import pytest

from previz.core.time import frames_to_timecode, timecode_to_frames
from previz.export.interchange import export_timeline
from previz.export.plan import BurnIns, ReelPlan, SequencePlan, Transition
from previz.export.reel import export_reel
from previz.export.timing import build_schedule

from .conftest import bare_options, frame_number, reel, shot, which_color

NTSC = Fraction(30000, 1001)


def parse_edl(path: Path) -> pycmx.edit_list.EditList:
    with open(path) as f:
        edl = pycmx.parse_cmx3600(f)  # strict: column layout only
    assert list(edl.unrecognized_statements) == [], path.read_text()
    assert edl.format == "3600"
    return edl


def edits(edl) -> list:  # type: ignore[no-untyped-def]
    return [e for ev in edl.events for e in ev.edits]


def tc_frames(tc: str, rate: Fraction, drop: bool) -> int:
    return timecode_to_frames(tc, rate, drop_frame=drop, start_hours=1)


def mixed_plan(clips, rate: Fraction = Fraction(24), *, drop: bool = False) -> ReelPlan:
    """Two sequences; every transition kind, a gap, a clip at another rate, head/tail fades."""
    r = rate
    other = Fraction(25) if r == 24 else Fraction(24)
    s1 = SequencePlan(
        name="Scene 1",
        scene="1",
        items=(
            shot("1/0010", clips(fps=r, color=0, frames=24), 24, r, trim_in=2, trim_out=22),
            shot(
                "1/0020",
                clips(fps=r, color=1, frames=24),
                24,
                r,
                trim_in=3,
                transition=Transition("dissolve", 6),
            ),
            shot(
                "1/0030",
                clips(fps=r, color=2, frames=24),
                24,
                r,
                trim_in=4,
                transition=Transition("fade_black", 8),
            ),
            shot("1/0040", None, 0, r, planned=10),
            shot(
                "1/0050",
                clips(fps=other, color=3, frames=25),
                25,
                other,
                trim_in=5,
                transition=Transition("dip_color", 7, (255, 255, 255)),
            ),
        ),
        transition_out=Transition("fade_black", 5),
    )
    s2 = SequencePlan(
        name="Scene 2",
        scene="2",
        items=(
            shot(
                "2/0010",
                clips(fps=r, color=4, frames=24),
                24,
                r,
                trim_out=20,
                transition=Transition("fade_black", 4),
            ),
            shot(
                "2/0020",
                clips(fps=r, color=5, frames=24),
                24,
                r,
                trim_in=6,
                transition=Transition("dissolve", 4),
            ),
        ),
    )
    return ReelPlan("Exact", r, 160, 90, (s1, s2), drop_frame=drop)


# ------------------------------------------------------------------------------------------ EDL


@pytest.mark.parametrize(
    ("rate", "drop", "first", "fcm"),
    [
        (NTSC, False, "01:00:00:00", False),
        (NTSC, True, "01:00:00;00", True),
        (Fraction(24000, 1001), False, "01:00:00:00", False),
    ],
    ids=["29.97NDF", "29.97DF", "23.976"],
)
def test_edl_timecode_and_fcm(clips, tmp_path: Path, rate, drop, first, fcm) -> None:
    plan = ReelPlan(
        "TC",
        rate,
        160,
        90,
        (
            SequencePlan(
                "S",
                "",
                (
                    shot("0010", clips(fps=rate, color=0, frames=24), 24, rate),
                    shot("0020", None, 0, rate, planned=1800),  # crosses a minute
                    shot("0030", clips(fps=rate, color=1, frames=24), 24, rate),
                ),
            ),
        ),
        drop_frame=drop,
    )
    out = tmp_path / "cut.edl"
    export_timeline(plan, out, "edl")
    text = out.read_text()
    assert ("FCM: DROP FRAME" if fcm else "FCM: NON-DROP FRAME") in text.splitlines()[:3]
    edl = parse_edl(out)
    es = edits(edl)
    assert es[0].record_in == first
    sep = ";" if drop else ":"
    assert all(e.record_in[8] == sep and e.source_in[8] == sep for e in es)
    # record time is the reel's (no pre-roll here): 0030 starts at 24 + 1800 frames
    last = es[-1]
    assert tc_frames(last.record_in, rate, drop) == 1824
    assert tc_frames(last.record_out, rate, drop) == 1848
    if drop:  # 1824 frames from 01:00:00;00 is 01:01:00;26 in drop-frame (;00 and ;01 skipped)
        assert last.record_in == "01:01:00;26"
    elif rate == NTSC:
        assert last.record_in == "01:01:00:24"


def test_edl_says_what_the_reel_does(clips, tmp_path: Path) -> None:
    from previz.export.editorial import build_layout

    plan = mixed_plan(clips)
    opts = bare_options()
    layout = build_layout(plan, opts)
    sched = build_schedule(plan, opts)
    out = tmp_path / "cut.edl"
    export_timeline(plan, out, "edl", options=opts)
    edl = parse_edl(out)
    rate = Fraction(24)

    def f(tc: str) -> int:
        return tc_frames(tc, rate, False)

    # record time is contiguous from 01:00:00:00 to the reel's end: no gap, no overlap
    events = list(edl.events)
    spans = [(f(ev.edits[-1].record_in), f(ev.edits[-1].record_out)) for ev in events]
    assert spans[0][0] == 0 and spans[-1][1] == sched.frames
    for (_, a_out), (b_in, _) in zip(spans, spans[1:], strict=False):
        assert a_out == b_in
    for ev in events:
        for e in ev.edits:
            # source and record durations agree (CMX: no speed change)
            assert f(e.source_out) - f(e.source_in) == f(e.record_out) - f(e.record_in)
    # every shot with a take starts on the reel's frame, from its trim in
    starts = {ev.item.label: ev for ev in sched.shots()}
    by_name = {e.clip_name: e for e in edits(edl) if e.clip_name}
    for label, ev in starts.items():
        if not ev.is_take:
            continue
        name = label.replace("/", "_") + f"_T{ev.item.take_number}"
        e = next(x for x in edits(edl) if x.clip_name == name and f(x.record_out) > f(x.record_in))
        assert f(e.record_in) == ev.start, label
        s_in = ev.item.trim_in
        if ev.item.source_fps != rate:  # conformed: 5 @25 -> 5 @24 (round half up)
            s_in = int(Fraction(s_in) * rate / ev.item.source_fps + Fraction(1, 2))
        assert timecode_to_frames(e.source_in, rate) == s_in, label
        assert name in by_name
    # the dissolve: a zero-length cut on 0010, then D 006 to 0020 where the reel overlap starts
    d_events = [ev for ev in events if len(ev.edits) == 2]
    d6 = next(ev for ev in d_events if ev.edits[1].transition.operand == "006")
    assert f(d6.edits[0].record_in) == f(d6.edits[0].record_out) == starts["1/0020"].start
    assert d6.edits[1].transition.kind == "D" and not d6.edits[0].black
    # fade to black between 0020 and 0030 (8 frames: 4 down, 4 up): 0020 -> BL, BL -> 0030
    s30 = starts["1/0030"].start
    down = next(ev for ev in d_events if ev.edits[1].black and f(ev.edits[1].record_out) == s30)
    assert down.edits[1].transition.operand == "004" and f(down.edits[1].record_in) == s30 - 4
    up = next(ev for ev in d_events if ev.edits[0].black and f(ev.edits[1].record_in) == s30)
    assert up.edits[1].transition.operand == "004"
    # the no-take shot is black, as long as the reel's slate for it
    gap = starts["1/0040"]
    bl = next(e for e in edits(edl) if e.black and f(e.record_in) == gap.start)
    # the dip into 0050 (7 frames: 3 down, 4 up): the no-take side is black already
    assert f(bl.record_out) == gap.end
    # the dip to white reaches the EDL with its colour
    assert "* DIP TO COLOR: #FFFFFF (RGB 255 255 255)" in out.read_text()
    # sequence tail fade-out (5) and the next sequence's head fade-in (4) through black
    s21 = starts["2/0010"].start
    assert any(ev.edits[1].black and f(ev.edits[1].record_in) == s21 - 5 for ev in d_events)
    assert any(
        ev.edits[0].black
        and f(ev.edits[1].record_in) == s21
        and ev.edits[1].transition.operand == "004"
        for ev in d_events
    )
    # LOC markers carry RECORD timecode, at each sequence's first shot
    locs = [ln for ln in out.read_text().splitlines() if ln.startswith("* LOC:")]
    assert [ln.split()[2] for ln in locs] == [layout.tc(0), layout.tc(s21)]
    assert locs[1].endswith("Scene 2")


def test_edl_layout_is_column_exact(clips, tmp_path: Path) -> None:
    out = tmp_path / "cut.edl"
    export_timeline(mixed_plan(clips), out, "edl")
    for ln in out.read_text().splitlines():
        if ln[:3].isdigit():
            assert len(ln) == 76 and ln[3:5] == "  " and ln[13] == " ", ln
            assert ln[14:20] == "V     " and ln[20] in "CD" and ln[28] == " ", ln


# ------------------------------------------------------------------------------ FCP XML, OTIO


def _cut_points(plan, opts) -> dict[str, tuple[int, int]]:  # type: ignore[no-untyped-def]
    sched = build_schedule(plan, opts)
    return {ev.item.label: (ev.start, ev.end) for ev in sched.shots()}


def test_fcpxml_format_rates_and_transitions(clips, tmp_path: Path) -> None:
    plan = mixed_plan(clips, NTSC, drop=True)
    opts = bare_options()
    out = tmp_path / "cut.xml"
    export_timeline(plan, out, "fcpxml", options=opts)
    root = ET.parse(out).getroot()
    seq = root.find("sequence")
    sc = seq.find("media/video/format/samplecharacteristics")
    assert (sc.findtext("width"), sc.findtext("height")) == ("160", "90")
    assert (sc.findtext("rate/timebase"), sc.findtext("rate/ntsc")) == ("30", "TRUE")
    assert seq.findtext("timecode/string") == "01:00:00;00"
    assert seq.findtext("timecode/displayformat") == "DF"
    items = seq.findall("media/video/track/clipitem")
    assert len(items) == 6
    for ci in items:
        assert len(ci.findall("rate")) == 1, ci.findtext("name")
        assert ci.find("file") is not None
    effects = [t.findtext("effect/name") for t in seq.iter("transitionitem")]
    assert "Cross Dissolve" in effects  # the dissolves, and the one-sided fades
    assert "Dip to Color Dissolve" in effects
    dip = next(
        t
        for t in seq.iter("transitionitem")
        if t.findtext("effect/name") == "Dip to Color Dissolve"
    )
    assert [dip.findtext(f"effect/parameter/value/{c}") for c in ("red", "green", "blue")] == [
        "255"
    ] * 3
    # an independent reader (OTIO's FCP adapter) puts every clip on the reel's frames
    tl = otio.adapters.read_from_file(str(out))
    assert otio.opentime.to_timecode(tl.global_start_time, float(NTSC), True) == "01:00:00;00"
    track = tl.tracks[0]
    cuts = _cut_points(plan, opts)
    got = {}
    for c in track:
        if isinstance(c, otio.schema.Clip):
            got[c.name] = c
    assert len(got) == 6
    for label, (start, end) in cuts.items():
        if label == "1/0040":
            continue
        name = label.replace("/", "_") + "_T1"
        clip = got[name]
        vr = track.range_of_child(clip)
        # dissolves are centred on the reel's overlap, every other cut is the reel's cut
        s = round(vr.start_time.value_rescaled_to(float(NTSC)))
        e = round(vr.end_time_exclusive().value_rescaled_to(float(NTSC)))
        assert start <= s <= start + 6 and end - 6 <= e <= end, (label, s, e, start, end)
    assert track.duration().to_frames() == build_schedule(plan, opts).frames


def test_fcpxml_centred_fade_uses_handles(clips, tmp_path: Path) -> None:
    r = Fraction(24)
    plan = reel(
        [
            shot("1/0010", clips(color=0, frames=24), 24, trim_out=18),
            shot(
                "1/0020",
                clips(color=1, frames=24),
                24,
                trim_in=6,
                transition=Transition("fade_black", 8),
            ),
        ],
        fps=r,
    )
    out = tmp_path / "cut.xml"
    export_timeline(plan, out, "fcpxml")
    root = ET.parse(out).getroot()
    (t,) = root.iter("transitionitem")
    assert t.findtext("effect/name") == "Fade In Fade Out Dissolve"
    assert (t.findtext("start"), t.findtext("end"), t.findtext("alignment")) == (
        "14",
        "22",
        "center",
    )
    a, b = root.iter("clipitem")
    assert (a.findtext("end"), a.findtext("in"), a.findtext("out")) == ("-1", "0", "22")
    assert (b.findtext("start"), b.findtext("in"), b.findtext("out")) == ("-1", "2", "24")
    tl = otio.adapters.read_from_file(str(out))
    clips_ = [c for c in tl.tracks[0] if isinstance(c, otio.schema.Clip)]
    # at the cut the incoming clip shows its trim in, as in the reel
    assert clips_[1].source_range.start_time.to_frames() == 6
    assert tl.tracks[0].range_of_child(clips_[1]).start_time.to_frames() == 18


def test_otio_transitions_and_timecode(clips, tmp_path: Path) -> None:
    plan = mixed_plan(clips, NTSC, drop=True)
    opts = bare_options()
    out = tmp_path / "cut.otio"
    export_timeline(plan, out, "otio", options=opts)
    tl = otio.adapters.read_from_file(str(out))
    assert otio.opentime.to_timecode(tl.global_start_time, float(NTSC), True) == "01:00:00;00"
    assert tl.metadata["previz"]["drop_frame"] is True
    track = tl.tracks[0]
    kinds = [t.metadata["previz"]["kind"] for t in track if isinstance(t, otio.schema.Transition)]
    assert kinds.count("dissolve") == 2 and "dip_color" in kinds and "fade_black" in kinds
    dip = next(
        t
        for t in track
        if isinstance(t, otio.schema.Transition) and t.metadata["previz"]["kind"] == "dip_color"
    )
    assert list(dip.metadata["previz"]["color"]) == [255, 255, 255]
    # 7 frames: 3 down from the no-take shot (black already in an editor), 4 up into 1/0050
    assert (dip.in_offset.to_frames(), dip.out_offset.to_frames()) == (0, 4)
    assert round(track.duration().to_frames()) == build_schedule(plan, opts).frames
    cuts = _cut_points(plan, opts)
    kids = list(track)
    for k, c in enumerate(kids):
        if isinstance(c, otio.schema.Clip):
            label = c.metadata["previz"]["label"]
            t_in = c.metadata["previz"]["trim"][0]
            before = kids[k - 1] if k else None
            if (
                isinstance(before, otio.schema.Transition)
                and before.metadata["previz"]["kind"] == "dissolve"
            ):
                # the incoming side of a dissolve: its visible range is the trim
                assert c.visible_range().start_time.to_frames() == t_in, label
            else:  # after a cut or a fade, the clip shows its trim in at the cut
                assert c.source_range.start_time.to_frames() == t_in, label
            rng = track.range_of_child(c)
            start, end = cuts[label]
            # record range: the reel's, with a dissolve's share on the other side of its cut
            s = round(rng.start_time.value_rescaled_to(float(NTSC)))
            e = round(rng.end_time_exclusive().value_rescaled_to(float(NTSC)))
            assert start <= s <= start + 3 and end - 3 <= e <= end, label


# ----------------------------------------------------------------------- the reel's timecode


def _reel_tc_and_frames(path: Path) -> tuple[str, list[np.ndarray]]:
    with av.open(str(path)) as c:
        tcs = {st.metadata.get("timecode") for st in c.streams}
        tcs.discard(None)
        assert len(tcs) == 1, tcs
    cap = cv2.VideoCapture(str(path))
    frames = []
    try:
        while True:
            ok, bgr = cap.read()
            if not ok:
                break
            frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    finally:
        cap.release()
    return tcs.pop(), frames


@pytest.mark.parametrize("drop", [False, True], ids=["NDF", "DF"])
def test_reel_first_shot_burns_the_timelines_timecode(clips, tmp_path: Path, drop: bool) -> None:
    r = NTSC
    plan = ReelPlan(
        "TC",
        r,
        320,
        180,
        (
            SequencePlan(
                "Scene 1",
                "1",
                (
                    shot(
                        "1/0010",
                        clips(fps=r, color=0, frames=12, size=(320, 180)),
                        12,
                        r,
                        trim_in=2,
                        size=(320, 180),
                    ),
                ),
            ),
        ),
        drop_frame=drop,
    )
    burn = BurnIns(shot_code=False, take=False, dialogue=False, watermark=False)
    dressed = bare_options(
        head_slate=True,
        scene_cards=True,
        burnins=burn,
        head_slate_seconds=Fraction(1),
        scene_card_seconds=Fraction(1),
    )
    plain = bare_options(burnins=burn, quality="high")
    a, b = tmp_path / "dressed.mp4", tmp_path / "plain.mp4"
    export_reel(plan, dressed, a)
    export_reel(plan, plain, b)
    edl = tmp_path / "cut.edl"
    export_timeline(plan, edl, "edl", options=dressed)
    first = edits(parse_edl(edl))[0].record_in
    assert first == ("01:00:00;00" if drop else "01:00:00:00")
    tc_a, fa = _reel_tc_and_frames(a)
    tc_b, fb = _reel_tc_and_frames(b)
    preroll = 30 + 30  # one-second slate and card at 29.97
    assert tc_b == first
    assert tc_a == frames_to_timecode(
        timecode_to_frames(first, r, drop_frame=drop) - preroll, r, drop_frame=drop
    )
    assert tc_a == ("00:59:58;00" if drop else "00:59:58:00")
    # frame `preroll` of the dressed reel is the first shot's first frame ...
    assert which_color(fa[preroll]) == 0 and frame_number(fa[preroll]) == 2
    assert which_color(fa[preroll - 1]) == -1  # ... and the frame before it is the card
    # ... and it burns in the same timecode as frame 0 of the plain reel (01:00:00:00)
    box = (slice(4, 22), slice(320 - 26, 320 - 4))  # the last two digits of the timecode
    same = np.abs(fa[preroll][box].astype(int) - fb[0][box].astype(int)).mean()
    other = np.abs(fa[preroll + 1][box].astype(int) - fb[0][box].astype(int)).mean()
    assert same < other / 2, (same, other)


# ----------------------------------------------------------------------- stale part files


def test_stale_part_files_are_swept(clips, tmp_path: Path) -> None:
    import socket

    from previz.export.files import _host_tag

    assert socket.gethostname()
    old = tmp_path / ".reel.mp4.part-1a2b3c4d"  # a killed export of an older version
    old.write_bytes(b"x" * 100)
    hour_ago = time.time() - 2 * 3600
    os.utime(old, (hour_ago, hour_ago))
    dead = tmp_path / f".reel.mp4.part-{_host_tag()}-999999999-00112233"
    dead.write_bytes(b"x")
    live = tmp_path / f".reel.mp4.part-{_host_tag()}-{os.getpid()}-44556677"
    live.write_bytes(b"x")
    fresh = tmp_path / ".cut.edl.part-deadbeef"
    fresh.write_bytes(b"x")
    keep = tmp_path / ".notes.part"
    keep.write_bytes(b"x")
    plan = reel([shot("1/0010", clips(color=0, frames=12), 12)])
    export_reel(plan, bare_options(), tmp_path / "reel.mp4")
    left = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("."))
    assert left == sorted([live.name, fresh.name, keep.name])


def test_edl_parses_in_otio_too(clips, tmp_path: Path) -> None:
    """A second reader: OTIO's CMX adapter accepts the EDL and finds every take."""
    out = tmp_path / "cut.edl"
    export_timeline(mixed_plan(clips), out, "edl")
    tl = otio.adapters.read_from_string(out.read_text(), "cmx_3600", rate=24)
    names = {c.name for c in tl.tracks[0].find_clips()}
    assert {"1_0010_T1", "1_0020_T1", "1_0030_T1", "1_0050_T1", "2_0010_T1"} <= names
