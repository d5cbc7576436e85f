"""OTIO / FCP XML read back with OpenTimelineIO; the EDL with pycmx (see test_edl_exact.py)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import opentimelineio as otio
import pycmx
import pytest

from previz.export.interchange import build_timeline, clip_name, export_timeline
from previz.export.media import probe
from previz.export.plan import ExportError, Segment, Transition
from previz.export.timing import build_schedule

from .conftest import bare_options, make_clip, reel, shot

FORMATS = [("otio", ".otio"), ("fcpxml", ".xml")]


def _plan(clips, rate: Fraction):
    r = rate
    return reel(
        [
            shot("12A/0010", clips(fps=r, color=0, frames=24), 24, r, trim_in=2, trim_out=20),
            shot("12A/0020", None, 0, r, planned=12),
            shot("12A/0030", clips(fps=r, color=1, frames=24), 24, r, take=2, trim_in=3),
            shot(
                "12A/0040",
                clips(fps=r, color=2, frames=24),
                24,
                r,
                take=3,
                transition=Transition("dissolve", 6),
            ),
            shot("12A/0050", clips(fps=r, color=3, frames=18), 18, r, take=1, trim_out=12),
        ],
        fps=rate,
    )


def _read(path: Path, fmt: str, rate: Fraction) -> otio.schema.Timeline:
    if fmt == "edl":
        return otio.adapters.read_from_file(str(path), rate=float(rate))
    return otio.adapters.read_from_file(str(path))


@pytest.mark.parametrize(("fmt", "ext"), FORMATS)
@pytest.mark.parametrize("rate", [Fraction(24), Fraction(24000, 1001)], ids=["24", "23.976"])
def test_round_trip(fmt: str, ext: str, rate: Fraction, clips, tmp_path: Path) -> None:
    plan = _plan(clips, rate)
    out = tmp_path / f"cut{ext}"
    res = export_timeline(plan, out, fmt)
    assert res.path == out and out.is_file()
    # one media file per take, named by shot code + take, holding the whole take
    names = [clip_name(i) for i in plan.items() if i.has_take]
    assert [p.name for p in res.media] == [f"{n}.mp4" for n in names]
    assert names == ["12A_0010_T1", "12A_0030_T2", "12A_0040_T3", "12A_0050_T1"]
    for item, media in zip([i for i in plan.items() if i.has_take], res.media, strict=True):
        info = probe(media)
        assert info.frames == item.take_frames and info.fps == rate
    assert set(res.copied) == set(res.media)  # GOP-aligned whole files: packet copy

    tl = _read(out, fmt, rate)
    track = tl.tracks[0]
    got_clips = [c for c in track if isinstance(c, otio.schema.Clip)]
    assert [c.name for c in got_clips] == names
    want = {clip_name(i): i.trim_range for i in plan.items() if i.has_take}
    for c in got_clips:
        vr = c.visible_range()  # trim == source_range + the dissolve's share
        t_in, t_out = want[c.name]
        assert vr.start_time.to_frames(float(rate)) == t_in, c.name
        assert vr.duration.to_frames(float(rate)) == t_out - t_in, c.name
    # the no-take shot is a gap of its planned length
    gaps = [g for g in track if isinstance(g, otio.schema.Gap)]
    assert [g.duration().to_frames(float(rate)) for g in gaps] == [12]
    # the dissolve is a transition of its length between 0030 and 0040
    (tr,) = [t for t in track if isinstance(t, otio.schema.Transition)]
    assert (tr.in_offset + tr.out_offset).to_frames(float(rate)) == 6
    kids = list(track)
    k = kids.index(tr)
    assert kids[k - 1].name == "12A_0030_T2" and kids[k + 1].name == "12A_0040_T3"
    # the cut is as long as the reel's shots (dissolve overlap included)
    sched = build_schedule(plan, bare_options())
    assert track.duration().to_frames(float(rate)) == sched.frames
    if fmt in ("otio", "fcpxml"):
        assert otio.opentime.to_timecode(tl.global_start_time, float(rate)) == "01:00:00:00"
        url = got_clips[0].media_reference.target_url
        assert url.startswith("file://") and url.endswith("cut_media/12A_0010_T1.mp4")
    if fmt == "otio":
        meta = got_clips[1].metadata["previz"]
        assert meta["label"] == "12A/0030" and meta["take"] == 2
        assert meta["prompt"] == "prompt for 12A/0030"


def test_edl_text_is_cmx(clips, tmp_path: Path) -> None:
    plan = _plan(clips, Fraction(24))
    out = tmp_path / "cut.edl"
    export_timeline(plan, out, "edl")
    lines = out.read_text().splitlines()
    events = [ln for ln in lines if ln[:3].isdigit()]
    assert events[0].split()[-2] == "01:00:00:00"  # record starts at one hour
    assert lines[1] == "FCM: NON-DROP FRAME"
    for ev in events:
        reel_name = ev.split()[1]
        assert len(reel_name) <= 8 and reel_name.isalnum() and reel_name.isupper()
    assert "* FROM CLIP NAME: 12A_0010_T1" in lines
    assert any(" D    006 " in ev for ev in events)


def test_mixed_rates_keep_source_rate_in_otio(clips, tmp_path: Path) -> None:
    plan = reel(
        [
            shot("1/0010", clips(fps=25, color=0, frames=25), 25, 25, trim_in=5),
            shot("1/0020", clips(fps=16, color=1, frames=16), 16, 16, trim_out=8),
        ],
        fps=24,
    )
    out = tmp_path / "cut.otio"
    export_timeline(plan, out, "otio")
    tl = otio.adapters.read_from_file(str(out))  # keep the timeline alive while iterating
    clips_ = list(tl.tracks[0])
    # the take's own rate and in point; the reel's conformed length (20 @25 -> 19 @24)
    assert [(c.source_range.start_time.value, c.source_range.start_time.rate) for c in clips_] == [
        (5, 25),
        (0, 16),
    ]
    assert [round(c.duration().value_rescaled_to(24)) for c in clips_] == [19, 12]
    assert tl.tracks[0].duration().to_frames(24) == 31
    # the EDL says it at one rate, with the reel's conform rule: 20 @25 -> 19 @24
    edl = tmp_path / "cut.edl"
    export_timeline(plan, edl, "edl", media_dir=tmp_path / "cut_media")
    with open(edl) as f:
        back = [e for ev in pycmx.parse_cmx3600(f).events for e in ev.edits]
    assert [(e.record_in, e.record_out) for e in back] == [
        ("01:00:00:00", "01:00:00:19"),
        ("01:00:00:19", "01:00:01:07"),
    ]


def test_multi_segment_take_becomes_one_media_file(clipdir: Path, tmp_path: Path) -> None:
    a = make_clip(clipdir / "ms_a.mp4", 12, 24, (200, 60, 210))
    b = make_clip(clipdir / "ms_b.mp4", 15, 24, (200, 60, 210), first_index=9)
    item = shot("3/0010", a, 12, take=5)
    # second segment starts off a key frame: the take is re-encoded into one file
    item = type(item)(**{**item.__dict__, "segments": (Segment(a, 0, 12), Segment(b, 3, 15))})
    res = export_timeline(reel([item]), tmp_path / "cut.otio", "otio")
    (media,) = res.media
    assert media.name == "3_0010_T5.mp4" and res.copied == ()
    assert probe(media).frames == 24
    tl = build_timeline(reel([item]))  # no media dir: no single file to point at
    assert isinstance(tl.tracks[0][0].media_reference, otio.schema.MissingReference)


def test_errors(clips, tmp_path: Path) -> None:
    plan = _plan(clips, Fraction(24))
    with pytest.raises(ExportError, match="unknown"):
        export_timeline(plan, tmp_path / "x.aaf", "aaf")  # type: ignore[arg-type]
    with pytest.raises(ExportError, match="does not exist"):
        export_timeline(plan, tmp_path / "no" / "cut.edl", "edl")
    missing = reel([shot("8/0010", tmp_path / "gone.mp4", 10, take=4)])
    with pytest.raises(ExportError, match="take 4 of 8/0010 is missing its media file"):
        export_timeline(missing, tmp_path / "cut.xml", "fcpxml")
    assert not (tmp_path / "cut.xml").exists()
