from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from previz.core.errors import InvalidInput
from previz.core.time import (
    format_rate,
    frames_to_timecode,
    parse_duration,
    parse_rate,
    timecode_to_frames,
)


@pytest.mark.parametrize(
    ("text", "exact"),
    [
        ("23.976", Fraction(24000, 1001)),
        ("24000/1001", Fraction(24000, 1001)),
        ("24", Fraction(24)),
        ("25", Fraction(25)),
        ("29.97", Fraction(30000, 1001)),
        ("30", Fraction(30)),
        ("59.94", Fraction(60000, 1001)),
    ],
)
def test_rates_round_trip_exactly(text: str, exact: Fraction) -> None:
    rate = parse_rate(text)
    assert rate == exact
    assert parse_rate(format_rate(rate)) == exact


@pytest.mark.parametrize("bad", ["0", "-24", "abc", "24.5", "1/0", "1000"])
def test_bad_rates_say_what_to_type(bad: str) -> None:
    with pytest.raises(InvalidInput, match="frame rate"):
        parse_rate(bad)


def test_durations_in_every_spelling() -> None:
    r = Fraction(24000, 1001)
    assert parse_duration("5s", Fraction(24)) == 120
    assert parse_duration("120f", r) == 120
    assert parse_duration("00:00:05:00", r) == 120
    assert parse_duration("2.5s", Fraction(24)) == 60
    assert parse_duration("5s", Fraction(30000, 1001)) == 150  # 4.995 frames/s rounds to 150


@pytest.mark.parametrize("bad", ["-5s", "0f", "abc", "99999s", "5 minutes"])
def test_bad_durations_are_refused(bad: str) -> None:
    with pytest.raises(InvalidInput):
        parse_duration(bad, Fraction(24))


def test_sequence_timecode_starts_at_one_hour() -> None:
    assert frames_to_timecode(0, Fraction(24), start_hours=1) == "01:00:00:00"
    assert frames_to_timecode(24 * 61 + 5, Fraction(24000, 1001), start_hours=1) == "01:01:01:05"


def test_drop_frame_skips_labels_not_frames() -> None:
    r = Fraction(30000, 1001)
    assert frames_to_timecode(1799, r, drop_frame=True) == "00:00:59;29"
    assert frames_to_timecode(1800, r, drop_frame=True) == "00:01:00;02"
    assert frames_to_timecode(17982, r, drop_frame=True) == "00:10:00;00"
    with pytest.raises(InvalidInput):
        frames_to_timecode(10, Fraction(24), drop_frame=True)


@given(st.integers(0, 24 * 3600 * 5), st.sampled_from(["23.976", "24", "25", "29.97", "30"]))
def test_non_drop_timecode_round_trips(frames: int, rate: str) -> None:
    fps = parse_rate(rate)
    assert timecode_to_frames(frames_to_timecode(frames, fps), fps) == frames
