"""Reel export: frame-exact conform, transitions, dressing, fit/matte, smart render, audio,
failure modes. Clips are tiny (160x90) solid colours with the frame number coded in bars."""

from __future__ import annotations

import errno
import json
import math
import os
import threading
from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest

from previz.export import reel as reel_mod
from previz.export.media import probe
from previz.export.plan import (
    BurnIns,
    ExportCancelled,
    ExportError,
    ReelOptions,
    Segment,
    SequencePlan,
    Transition,
)
from previz.export.reel import export_reel
from previz.export.timing import conformed_length, expected_frame_count

from .conftest import (
    COLORS,
    H,
    W,
    bare_options,
    close,
    frame_color,
    frame_number,
    make_clip,
    read_frames,
    reel,
    shot,
    which_color,
)

REEL_RATES = [Fraction(24000, 1001), Fraction(24), Fraction(25), Fraction(30000, 1001)]


def _leftovers(folder: Path, target: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(f".{target.name}"))


@pytest.mark.parametrize("rate", REEL_RATES, ids=lambda r: f"{float(r):.3f}")
def test_frame_exact_conform_from_mixed_rates(rate: Fraction, clips, tmp_path: Path) -> None:
    # sources at 16, 24, 25 and 30 fps, trimmed differently, each its own colour
    spec = [  # (fps, colour, frames, trim_in, trim_out)
        (16, 0, 16, 2, 14),
        (24, 1, 20, 0, None),
        (25, 2, 20, 3, 17),
        (30, 3, 24, 5, 24),
    ]
    items = [
        shot(f"5/00{k + 1}0", clips(fps=f, color=col, frames=n), n, f, trim_in=ti, trim_out=to)
        for k, (f, col, n, ti, to) in enumerate(spec)
    ]
    plan = reel(items, fps=rate)
    out = tmp_path / "reel.mp4"
    res = export_reel(plan, bare_options(), out)

    lengths = [conformed_length((to or n) - ti, Fraction(f), rate) for f, _, n, ti, to in spec]
    assert res.frames == expected_frame_count(plan, bare_options()) == sum(lengths)
    info = probe(out)
    assert (info.width, info.height, info.codec, info.pix_fmt) == (W, H, "h264", "yuv420p")
    assert info.fps == rate
    assert info.frames == sum(lengths)
    assert abs(info.duration - Fraction(sum(lengths)) / rate) <= Fraction(1, 2) / rate
    assert res.render_path == "encode"

    frames = read_frames(out)
    assert len(frames) == sum(lengths)
    i = 0
    for (f, col, _n, ti, _to), length in zip(spec, lengths, strict=True):
        for j in range(length):
            img = frames[i + j]
            assert which_color(img) == col, f"reel frame {i + j}: wrong shot"
            expect = ti + math.floor(Fraction(j) * Fraction(f) / rate)
            assert frame_number(img) == expect, f"reel frame {i + j}: wrong source frame"
        i += length


def test_transitions_cards_and_no_take_slate(clips, tmp_path: Path) -> None:
    a = clips(color=0, frames=24)
    b = clips(color=1, frames=24)
    c = clips(color=2, frames=24)
    items = [
        shot("7/0010", a, 24, transition=Transition("fade_black", 6)),
        shot("7/0020", b, 24, transition=Transition("dissolve", 8)),
        shot("7/0030", None, 0, planned=12, prompt="the ferry leaves"),
        shot("7/0040", c, 24, transition=Transition("dip_color", 8, (255, 255, 255))),
    ]
    plan = reel(items, fps=24, transition_out=Transition("fade_black", 4))
    opts = bare_options(
        head_slate=True,
        scene_cards=True,
        head_slate_seconds=Fraction(1),
        scene_card_seconds=Fraction(1, 2),
    )
    out = tmp_path / "dressed.mp4"
    res = export_reel(plan, opts, out)
    # slate 24 + card 12 + shots (24 + 24 + 12 + 24) - dissolve 8
    assert res.frames == expected_frame_count(plan, opts) == 24 + 12 + 84 - 8
    frames = read_frames(out)
    assert len(frames) == res.frames
    s0 = 36  # first shot starts after slate + card
    # slate and card are not pictures of any shot
    assert all(which_color(f) == -1 for f in frames[:s0])
    # fade up from black over 6 frames: first frame black, brightness rises
    lum = [frame_color(frames[s0 + k]).mean() for k in range(8)]
    assert lum[0] < 20 and lum[6] > 80 and lum == sorted(lum)
    # the dissolve: 8 frames that are mixtures of red and green, starting at 24 - 8
    d0 = s0 + 24 - 8
    assert which_color(frames[d0 - 1]) == 0
    mid = frame_color(frames[d0 + 4])
    assert close(mid, (np.array(COLORS[0]) + np.array(COLORS[1])) / 2, tol=40)
    assert which_color(frames[d0 + 8]) == 1
    # no-take slate: 12 identical frames that are neither shot
    sl = d0 + 24
    slate = frames[sl : sl + 12]
    assert all(which_color(f) == -1 for f in slate)
    assert np.abs(slate[0].astype(int) - slate[7].astype(int)).mean() < 3  # before the dip
    assert which_color(frames[sl - 1]) == 1
    # dip to white: the slate fades to white over its last 4 frames, shot 4 from white over 4
    assert frame_color(slate[-1]).min() > 200
    c0 = sl + 12
    assert frame_color(frames[c0]).min() > 200
    assert which_color(frames[c0 + 5]) == 2
    # tail fade to black over the last 4 frames of the sequence
    assert frame_color(frames[-1]).max() < 30
    assert which_color(frames[-6]) == 2


def test_fit_fill_stretch_and_matte(clipdir: Path, tmp_path: Path) -> None:
    # a 4:3 source: red with a blue band across its top 12 rows
    src = clipdir / "four_three.mp4"
    with av.open(str(src), "w") as cont:
        s = cont.add_stream("libx264", rate=24, options={"preset": "ultrafast", "crf": "10"})
        s.width, s.height, s.pix_fmt = 160, 120, "yuv420p"
        img = np.zeros((120, 160, 3), np.uint8)
        img[...] = (220, 40, 40)
        img[:12] = (40, 40, 230)
        for i in range(4):
            vf = av.VideoFrame.from_ndarray(img, format="rgb24")
            vf.pts = i
            for p in s.encode(vf):
                cont.mux(p)
        for p in s.encode(None):
            cont.mux(p)

    def render(**kw) -> np.ndarray:
        plan = reel([shot("1/0010", src, 4, size=(160, 120))])
        out = tmp_path / f"fit_{len(list(tmp_path.iterdir()))}.mp4"
        export_reel(plan, bare_options(**kw), out)
        return read_frames(out)[1].astype(int)

    fit = render(fit="fit")  # 160x120 -> 120x90 pillarboxed in 160x90
    assert fit[:, :16].max() < 30 and fit[:, -16:].max() < 30  # black side bars
    assert close(fit[50, 80], (220, 40, 40)) and close(fit[3, 80], (40, 40, 230))
    fill = render(fit="fill")  # scaled to 160x120 and cropped to the middle 90 rows
    assert close(fill[45, 3], (220, 40, 40)) and close(fill[45, -3], (220, 40, 40))
    assert close(fill[2, 80], (220, 40, 40))  # the blue band was cropped away
    stretch = render(fit="stretch")  # squeezed to 160x90: band kept, no bars
    assert close(stretch[3, 80], (40, 40, 230)) and close(stretch[45, 3], (220, 40, 40))
    matte = render(fit="stretch", matte=2.39)  # 160 / 2.39 = 67 -> 66 visible rows
    assert matte[:10].max() < 30 and matte[-10:].max() < 30
    assert close(matte[45, 80], (220, 40, 40)) and close(matte[45, 3], (220, 40, 40))


def test_burnins_are_drawn_where_expected(clips, tmp_path: Path) -> None:
    a = clips(color=2, frames=12)
    plan = reel([shot("12A/0010", a, 12, dialogue="Where to?")], size=(320, 180))
    plain = tmp_path / "plain.mp4"
    burnt = tmp_path / "burnt.mp4"
    export_reel(plan, bare_options(), plain)
    res = export_reel(plan, bare_options(burnins=BurnIns()), burnt)
    assert res.render_path == "encode"
    p, b = read_frames(plain)[5].astype(int), read_frames(burnt)[5].astype(int)
    diff = np.abs(p - b).sum(-1)
    assert diff[:20, :120].max() > 100  # shot code, top left
    assert diff[:20, -110:].max() > 100  # timecode, top right
    assert diff[80:100, 140:180].max() < 10  # the middle of the picture is untouched


def test_flow_retime_interpolates(clipdir: Path, tmp_path: Path) -> None:
    # a white square moving 6 px per frame at 12 fps, conformed to 24 fps
    src = clipdir / "moving.mp4"
    with av.open(str(src), "w") as cont:
        s = cont.add_stream("libx264", rate=12, options={"preset": "ultrafast", "crf": "10"})
        s.width, s.height, s.pix_fmt = 160, 90, "yuv420p"
        for i in range(8):
            img = np.full((90, 160, 3), 30, np.uint8)
            img[30:60, 20 + 6 * i : 50 + 6 * i] = 240
            vf = av.VideoFrame.from_ndarray(img, format="rgb24")
            vf.pts = i
            for p in s.encode(vf):
                cont.mux(p)
        for p in s.encode(None):
            cont.mux(p)
    plan = reel([shot("1/0010", src, 8, 12)], fps=24)
    f_out, o_out = tmp_path / "frame.mp4", tmp_path / "flow.mp4"
    export_reel(plan, bare_options(), f_out)
    export_reel(plan, bare_options(retime="flow"), o_out)
    fr_frames, fl_frames = read_frames(f_out), read_frames(o_out)
    assert len(fr_frames) == len(fl_frames) == 16

    def centre_x(img: np.ndarray) -> float:
        cols = np.where(img[45, :, 0] > 140)[0]
        return float(cols.mean())

    # frame retime repeats each source frame; flow puts the odd frames half way
    assert abs(centre_x(fr_frames[3]) - centre_x(fr_frames[2])) < 1
    x2, x3, x4 = (centre_x(fl_frames[k]) for k in (2, 3, 4))
    assert abs(x3 - (x2 + x4) / 2) < 2.0 and x4 - x2 > 5


def test_smart_render_copies_packets_when_eligible(clips, tmp_path: Path) -> None:
    a = clips(color=0, frames=24, gop=6)
    b = clips(color=1, frames=24, gop=6)
    items = [shot("1/0010", a, 24), shot("1/0020", b, 24, trim_in=6, trim_out=18)]
    plan = reel(items)
    out = tmp_path / "smart.mp4"
    res = export_reel(plan, bare_options(), out)
    assert res.render_path == "smart", res.smart_reason
    assert res.frames == expected_frame_count(plan, bare_options()) == 36
    info = probe(out)
    assert info.frames == 36 and info.fps == 24
    assert info.duration == Fraction(36, 24)
    frames = read_frames(out)
    assert [frame_number(f) for f in frames] == list(range(24)) + list(range(6, 18))
    assert [which_color(f) for f in frames] == [0] * 24 + [1] * 12

    # burn-ins force a re-encode, with the same frame count
    res2 = export_reel(plan, bare_options(burnins=BurnIns()), tmp_path / "burnt.mp4")
    assert res2.render_path == "encode" and res2.frames == 36
    # a trim off the key frames forces a re-encode
    plan3 = reel([shot("1/0010", a, 24, trim_in=1)])
    res3 = export_reel(plan3, bare_options(), tmp_path / "offkey.mp4")
    assert res3.render_path == "encode" and "key frames" in res3.smart_reason
    assert res3.frames == 23


def _tone(path: Path, seconds: float, rate: int = 44100) -> Path:
    with av.open(str(path), "w") as cont:
        s = cont.add_stream("pcm_s16le", rate=rate)
        s.layout = "mono"
        n = int(seconds * rate)
        t = np.arange(n) / rate
        data = (np.sin(2 * np.pi * 440 * t) * 8000).astype(np.int16).reshape(1, -1)
        fr_ = av.AudioFrame.from_ndarray(data, format="s16", layout="mono")
        fr_.sample_rate = rate
        for p in s.encode(fr_):
            cont.mux(p)
        for p in s.encode(None):
            cont.mux(p)
    return path


@pytest.mark.parametrize("audio_seconds", [0.4, 3.0], ids=["padded", "trimmed"])
@pytest.mark.parametrize("smart", [False, True], ids=["encode", "smart"])
def test_audio_is_aac_of_the_video_duration(audio_seconds, smart, clips, tmp_path: Path) -> None:
    a = clips(color=0, frames=24, gop=6)
    wav = _tone(tmp_path / "music.wav", audio_seconds)
    plan = reel([shot("1/0010", a, 24), shot("1/0020", a, 24)], fps=Fraction(24000, 1001))
    plan = (
        reel(
            [
                shot(
                    "1/0010",
                    clips(fps=Fraction(24000, 1001), color=0, frames=24),
                    24,
                    Fraction(24000, 1001),
                )
            ],
            fps=Fraction(24000, 1001),
        )
        if smart
        else plan
    )
    out = tmp_path / "withaudio.mp4"
    res = export_reel(plan, bare_options(audio=wav, smart_render=smart), out)
    assert res.render_path == ("smart" if smart else "encode")
    video_dur = Fraction(res.frames) / plan.fps
    with av.open(str(out)) as cont:
        assert len(cont.streams.audio) == 1
        ast = cont.streams.audio[0]
        assert ast.codec_context.name == "aac"
        samples = sum(f.samples for f in cont.decode(ast))
    # AAC decoders add priming/padding up to one 1024-sample frame
    assert abs(Fraction(samples, 48000) - video_dur) <= Fraction(1, 24) + Fraction(1024, 48000)
    assert abs(Fraction(probe(out).duration) - video_dur) <= Fraction(1001, 24000)


def test_prores_mov(clips, tmp_path: Path) -> None:
    plan = reel([shot("1/0010", clips(color=3, frames=6), 6)])
    out = tmp_path / "reel.mov"
    res = export_reel(plan, bare_options(codec="prores"), out)
    info = probe(out)
    assert info.codec == "prores" and info.frames == res.frames == 6
    with av.open(str(out)) as cont:  # tagged BT.601 like the engine's clips, so colours hold
        assert int(cont.streams.video[0].codec_context.colorspace) == 6
    assert which_color(read_frames(out)[2]) == 3
    with pytest.raises(ExportError, match=r"\.mov"):
        export_reel(plan, bare_options(codec="prores"), tmp_path / "reel.mp4")


def test_provenance_metadata_and_sidecar(clips, tmp_path: Path) -> None:
    recipe = {"model": "ltx-video-0.9", "seed": 1234, "prompt": "rain on the deck", "steps": 30}
    plan = reel([shot("2/0010", clips(color=4, frames=6), 6, take=3, recipe=recipe)])
    out = tmp_path / "reel.mp4"
    res = export_reel(plan, ReelOptions(quality="draft"), out)
    with av.open(str(out)) as cont:
        comment = cont.metadata.get("comment", "")
    assert comment.startswith("AI-generated previz made with Previz")
    assert "ltx-video-0.9" in comment
    side = json.loads(res.sidecar.read_text())
    assert side["ai_generated"] is True and side["frames"] == res.frames
    (rec,) = side["shots"]
    assert rec["label"] == "2/0010" and rec["take"] == 3 and rec["recipe"]["seed"] == 1234


def test_cancel_leaves_nothing(clips, tmp_path: Path) -> None:
    a = clips(color=0, frames=48)
    plan = reel([shot("1/0010", a, 48), shot("1/0020", a, 48)])
    out = tmp_path / "reel.mp4"
    cancel = threading.Event()
    seen: list[int] = []

    def progress(done: int, total: int) -> None:
        seen.append(done)
        if done >= 5:
            cancel.set()

    with pytest.raises(ExportCancelled):
        export_reel(plan, bare_options(burnins=BurnIns()), out, progress=progress, cancel=cancel)
    assert max(seen) <= 6  # stopped promptly
    assert not out.exists()
    assert not out.with_name(out.name + ".previz.json").exists()
    assert _leftovers(tmp_path, out) == []
    # an old reel under the target name survives a cancelled re-export (smart path) untouched
    out.write_bytes(b"old reel")
    cancel.clear()
    with pytest.raises(ExportCancelled):
        export_reel(plan, bare_options(), out, progress=progress, cancel=cancel)
    assert out.read_bytes() == b"old reel" and _leftovers(tmp_path, out) == []


def test_unwritable_targets(clips, tmp_path: Path) -> None:
    plan = reel([shot("1/0010", clips(frames=6), 6)])
    with pytest.raises(ExportError, match="does not exist"):
        export_reel(plan, bare_options(), tmp_path / "nope" / "reel.mp4")
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(ExportError, match="not a folder"):
        export_reel(plan, bare_options(), blocker / "reel.mp4")
    if os.geteuid() != 0:  # root ignores permission bits
        ro = tmp_path / "ro"
        ro.mkdir()
        ro.chmod(0o500)
        try:
            with pytest.raises(ExportError, match="permission denied"):
                export_reel(plan, bare_options(), ro / "reel.mp4")
        finally:
            ro.chmod(0o700)


def test_missing_take_file(tmp_path: Path) -> None:
    missing = tmp_path / "media" / "take_0003.mp4"
    plan = reel([shot("12A/0010", missing, 24, take=3)])
    with pytest.raises(ExportError) as exc:
        export_reel(plan, bare_options(), tmp_path / "reel.mp4")
    msg = str(exc.value)
    assert msg.startswith("take 3 of 12A/0010 is missing its media file")
    assert "take_0003.mp4" in msg and "regenerate or re-select the take" in msg
    assert "\n" not in msg
    assert list(tmp_path.iterdir()) == []


def test_short_media_file_is_a_clear_error(clips, tmp_path: Path) -> None:
    a = clips(color=0, frames=12)
    item = shot("4/0010", a, 12, take=2)
    item = type(item)(**{**item.__dict__, "segments": (Segment(a, 0, 20),)})
    with pytest.raises(ExportError, match="take 2 of 4/0010"):
        export_reel(reel([item]), bare_options(smart_render=False), tmp_path / "r.mp4")
    assert _leftovers(tmp_path, tmp_path / "r.mp4") == []


def test_disk_full_is_clear_and_cleans_up(clips, tmp_path: Path, monkeypatch) -> None:
    plan = reel([shot("1/0010", clips(frames=24), 24)])
    real_open = reel_mod._open_output

    class Full:
        def __init__(self, inner) -> None:
            self._inner, self._n = inner, 0

        def __getattr__(self, name):
            return getattr(self._inner, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return self._inner.__exit__(*exc)

        def mux(self, pkt) -> None:
            self._n += 1
            if self._n > 3:
                raise OSError(errno.ENOSPC, "No space left on device")
            self._inner.mux(pkt)

    monkeypatch.setattr(reel_mod, "_open_output", lambda *a, **k: Full(real_open(*a, **k)))
    out = tmp_path / "reel.mp4"
    with pytest.raises(ExportError, match="disk full") as exc:
        export_reel(plan, bare_options(smart_render=False), out)
    assert "free some space" in str(exc.value)
    assert not out.exists() and _leftovers(tmp_path, out) == []


def test_multiple_sequences_in_order_with_scene_cards(clips, tmp_path: Path) -> None:
    s1 = SequencePlan("Arrival", "1", (shot("1/0010", clips(color=0, frames=8), 8),))
    s2 = SequencePlan(
        "Departure",
        "2",
        (shot("2/0010", clips(color=1, frames=8), 8), shot("2/0020", clips(color=2, frames=8), 8)),
    )
    plan = reel([], fps=25)
    plan = type(plan)(plan.project_name, plan.fps, plan.width, plan.height, (s1, s2))
    opts = bare_options(scene_cards=True, scene_card_seconds=Fraction(1, 5))
    out = tmp_path / "two.mp4"
    res = export_reel(plan, opts, out)
    assert res.frames == 5 + 8 + 5 + 16
    got = [which_color(f) for f in read_frames(out)]
    assert got == [-1] * 5 + [0] * 8 + [-1] * 5 + [1] * 8 + [2] * 8


def test_reel_made_from_multi_segment_take(clipdir: Path, tmp_path: Path) -> None:
    # an extended take: frames 0-11 of one file then 4-15 of another (continuing the count)
    first = make_clip(clipdir / "seg_a.mp4", 12, 24, COLORS[5])
    second = make_clip(clipdir / "seg_b.mp4", 16, 24, COLORS[5], first_index=8)
    item = shot("9/0010", first, 12, take=4)
    item = type(item)(
        **{
            **item.__dict__,
            "segments": (Segment(first, 0, 12), Segment(second, 4, 16)),
            "trim_in": 2,
            "trim_out": 22,
        }
    )
    out = tmp_path / "seg.mp4"
    res = export_reel(reel([item]), bare_options(), out)
    assert res.frames == 20
    assert [frame_number(f) for f in read_frames(out)] == list(range(2, 22))
