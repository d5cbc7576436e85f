"""Frame arithmetic: conform rule, layout, expected frame count (pure, no media)."""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from previz.export.plan import ExportError, ReelOptions, Transition
from previz.export.timing import (
    build_schedule,
    conformed_length,
    expected_frame_count,
    source_index,
)

from .conftest import bare_options, reel, shot

RATES = [
    Fraction(24000, 1001),
    Fraction(24),
    Fraction(25),
    Fraction(30000, 1001),
    Fraction(16),
    Fraction(30),
    Fraction(60000, 1001),
]
FAKE = Path("/nonexistent/clip.mp4")  # timing never opens media


def test_conformed_length_examples() -> None:
    assert conformed_length(48, Fraction(24), Fraction(24)) == 48
    assert conformed_length(25, Fraction(25), Fraction(24)) == 24  # 24.0
    assert conformed_length(16, Fraction(16), Fraction(24)) == 24
    assert conformed_length(30, Fraction(30), Fraction(24000, 1001)) == 24  # 23.976 -> 24
    assert conformed_length(1, Fraction(16), Fraction(24)) == 2  # 1.5 rounds half up
    assert conformed_length(24, Fraction(24), Fraction(30000, 1001)) == 30  # 29.97 -> 30


@given(
    n=st.integers(1, 500),
    s=st.sampled_from(RATES),
    r=st.sampled_from(RATES),
)
def test_source_index_is_monotonic_in_range_and_exact(n: int, s: Fraction, r: Fraction) -> None:
    length = conformed_length(n, s, r)
    idx = [source_index(i, n, s, r) for i in range(length)]
    assert idx[0] == 0
    assert all(0 <= k < n for k in idx)
    assert all(b >= a for a, b in zip(idx, idx[1:], strict=False))
    # exact rational rule: no float drift even at the end of long shots
    assert idx == [min(math.floor(Fraction(i) * s / r), n - 1) for i in range(length)]
    if s == r:
        assert idx == list(range(n))
    # the shot lasts as long as the source, to within half a reel frame (a shot shorter than
    # half a reel frame still shows one frame)
    assert length >= 1
    if Fraction(n) * r / s >= Fraction(1, 2):
        assert abs(Fraction(length) / r - Fraction(n) / s) <= Fraction(1, 2) / r


def test_expected_frame_count_adds_cards_and_subtracts_dissolves() -> None:
    items = [
        shot("1/0010", FAKE, 30, 24),
        shot("1/0020", FAKE, 25, 25, transition=Transition("dissolve", 6)),
        shot("1/0030", None, 0, planned=20, transition=Transition("fade_black", 10)),
        shot(
            "1/0040",
            FAKE,
            16,
            16,
            trim_in=2,
            trim_out=14,
            transition=Transition("dip_color", 8, (255, 255, 255)),
        ),
    ]
    plan = reel(items, fps=24)
    opts = ReelOptions(
        head_slate=True,
        scene_cards=True,
        head_slate_seconds=Fraction(2),
        scene_card_seconds=Fraction(1, 2),
    )
    shots = 30 + 24 + 20 + 18  # 12 frames at 16 fps -> 18 at 24
    assert expected_frame_count(plan, opts) == 48 + 12 + shots - 6
    assert expected_frame_count(plan, bare_options()) == shots - 6


def test_transition_override_and_clamping() -> None:
    items = [
        shot("1/0010", FAKE, 10, 24),
        shot("1/0020", FAKE, 40, 24),
        shot("1/0030", FAKE, 40, 24),
    ]
    plan = reel(items)
    sched = build_schedule(plan, bare_options(transition=Transition("dissolve", 12)))
    # the first dissolve cannot be longer than the 10-frame shot before it
    assert [e.dissolve_in for e in sched.events] == [0, 10, 12]
    assert sched.frames == 90 - 22
    assert sched.warnings and "shortened" in sched.warnings[0]
    # a head transition is a fade in, not an overlap
    head = build_schedule(
        reel([shot("1/0010", FAKE, 10, 24, transition=Transition("dissolve", 4))]), bare_options()
    )
    assert head.frames == 10 and head.events[0].fade_in is not None


@pytest.mark.parametrize(
    ("kwargs", "needle"),
    [
        ({"trim_in": 5, "trim_out": 40}, "outside take"),
        ({"trim_in": 10, "trim_out": 10}, "outside take"),
    ],
)
def test_bad_trims_are_clear_errors(kwargs: dict, needle: str) -> None:
    plan = reel([shot("3/0010", FAKE, 30, 24, **kwargs)])
    with pytest.raises(ExportError, match=needle):
        expected_frame_count(plan)


def test_no_take_without_duration_and_odd_size_rejected() -> None:
    with pytest.raises(ExportError, match="no take and no planned duration"):
        expected_frame_count(reel([shot("3/0010", None, 0, planned=0)]))
    with pytest.raises(ExportError, match="even"):
        expected_frame_count(reel([shot("3/0010", FAKE, 30)], size=(161, 90)))
    with pytest.raises(ExportError, match="drop-frame"):
        from previz.export.plan import BurnIns

        expected_frame_count(
            reel([shot("3/0010", FAKE, 30)]), ReelOptions(burnins=BurnIns(drop_frame=True))
        )


def test_burnin_timecode_starts_at_one_hour() -> None:
    from previz.export.dressing import timecode, timecode_start_frames
    from previz.export.plan import BurnIns

    ntsc = Fraction(24000, 1001)
    start = timecode_start_frames(ReelOptions(), ntsc)
    assert start == 86400  # 01:00:00:00 non-drop counts 24 frames a second
    assert timecode(start, ntsc) == "01:00:00:00"
    assert timecode(start + 24 * 60 + 5, ntsc) == "01:01:00:05"
    df = Fraction(30000, 1001)
    opts = ReelOptions(burnins=BurnIns(drop_frame=True))
    s = timecode_start_frames(opts, df)
    assert timecode(s, df, True) == "01:00:00;00"
    # drop-frame skips frame numbers 00 and 01 at each minute not divisible by ten
    assert timecode(s + 1799, df, True) == "01:00:59;29"
    assert timecode(s + 1800, df, True) == "01:01:00;02"
    assert timecode(s + 1800, df, False) != "01:01:00;02"
