"""Time as integer frames plus a rational frame rate (never float seconds).

Frame rates are :class:`fractions.Fraction`; NTSC rates are exact (24000/1001). Timecode is
SMPTE-style ``HH:MM:SS:FF`` counted at the nominal (rounded) rate, non-drop-frame unless asked
for drop-frame, which is only defined at 29.97 and 59.94.
"""

from __future__ import annotations

import re
from fractions import Fraction

from previz.core.errors import InvalidInput

# Decimal spellings filmmakers type, mapped to the exact NTSC rationals they mean.
_NTSC = {
    "23.976": Fraction(24000, 1001),
    "23.98": Fraction(24000, 1001),
    "29.97": Fraction(30000, 1001),
    "47.952": Fraction(48000, 1001),
    "59.94": Fraction(60000, 1001),
    "119.88": Fraction(120000, 1001),
}
MAX_FPS = Fraction(240)


def parse_rate(text: str | int | Fraction) -> Fraction:
    """Parse ``24``, ``23.976``, ``29.97`` or ``24000/1001`` into an exact rational rate."""
    if isinstance(text, Fraction):
        rate = text
    elif isinstance(text, int):
        rate = Fraction(text)
    else:
        s = str(text).strip()
        try:
            if s in _NTSC:
                rate = _NTSC[s]
            elif "/" in s:
                num, den = s.split("/", 1)
                rate = Fraction(int(num), int(den))
            elif re.fullmatch(r"\d+", s):
                rate = Fraction(int(s))
            elif re.fullmatch(r"\d+\.\d+", s):
                rate = Fraction(s)
                if rate.denominator != 1:
                    raise InvalidInput(
                        f"frame rate {s!r} is not a standard rate; use 23.976, 24, 25, 29.97, 30, "
                        "50, 59.94, 60 or an exact ratio like 24000/1001"
                    )
            else:
                raise ValueError(s)
        except (ValueError, ZeroDivisionError):
            raise InvalidInput(
                f"frame rate {s!r} is not a number; use e.g. 24, 23.976, 29.97 or 24000/1001"
            ) from None
    if rate <= 0 or rate > MAX_FPS:
        raise InvalidInput(f"frame rate {format_rate(rate)} is out of range (0 < fps <= 240)")
    return rate


def format_rate(rate: Fraction) -> str:
    """``Fraction(24)`` → ``"24"``; ``Fraction(24000, 1001)`` → ``"24000/1001"``."""
    rate = Fraction(rate)
    return str(rate.numerator) if rate.denominator == 1 else f"{rate.numerator}/{rate.denominator}"


def describe_rate(rate: Fraction) -> str:
    """Human form: ``23.976`` for 24000/1001, ``24`` for 24."""
    rate = Fraction(rate)
    if rate.denominator == 1:
        return str(rate.numerator)
    return f"{float(rate):.3f}".rstrip("0").rstrip(".")


def nominal_rate(rate: Fraction) -> int:
    """The integer frames-per-second that timecode counts in (24 for 23.976)."""
    return max(1, round(rate))


def frames_to_seconds(frames: int, rate: Fraction) -> Fraction:
    return Fraction(frames) / Fraction(rate)


def seconds_to_frames(seconds: Fraction | float | str, rate: Fraction) -> int:
    """Round half up to the nearest whole frame."""
    value = Fraction(str(seconds)) * Fraction(rate)
    return int(value + Fraction(1, 2)) if value >= 0 else -int(-value + Fraction(1, 2))


def _is_drop_rate(rate: Fraction) -> bool:
    return Fraction(rate) in (Fraction(30000, 1001), Fraction(60000, 1001))


def frames_to_timecode(
    frames: int, rate: Fraction, *, drop_frame: bool = False, start_hours: int = 0
) -> str:
    """Timecode of a frame count (plus ``start_hours`` hours), e.g. ``01:00:05:12``."""
    rate = Fraction(rate)
    fps = nominal_rate(rate)
    total = frames + start_hours * 3600 * fps
    if total < 0:
        raise InvalidInput("timecode cannot be negative")
    sep = ":"
    if drop_frame:
        if not _is_drop_rate(rate):
            raise InvalidInput("drop-frame timecode exists only at 29.97 and 59.94 fps")
        drop = 2 * (fps // 30)
        per_10min = fps * 600 - drop * 9
        per_min = fps * 60 - drop
        tens, rem = divmod(total, per_10min)
        if rem > drop:
            total += drop * 9 * tens + drop * ((rem - drop) // per_min)
        else:
            total += drop * 9 * tens
        sep = ";"
    ff = total % fps
    secs = total // fps
    return f"{secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}{sep}{ff:02d}"


def timecode_to_frames(tc: str, rate: Fraction, *, start_hours: int = 0) -> int:
    """Inverse of :func:`frames_to_timecode` for non-drop timecode."""
    m = re.fullmatch(r"(\d{1,2}):(\d{2}):(\d{2})[:;](\d{2})", tc.strip())
    if not m:
        raise InvalidInput(f"timecode {tc!r} is not HH:MM:SS:FF")
    h, mi, s, f = (int(g) for g in m.groups())
    fps = nominal_rate(rate)
    if mi >= 60 or s >= 60 or f >= fps:
        raise InvalidInput(f"timecode {tc!r} is out of range at {describe_rate(rate)} fps")
    return ((h - start_hours) * 3600 + mi * 60 + s) * fps + f


# Durations: a shot longer than ten minutes is certainly a typo in a previz.
MAX_DURATION_SECONDS = 600


def parse_duration(text: str | int, rate: Fraction) -> int:
    """Parse ``5s``, ``2.5s``, ``120f``, ``00:00:05:00`` or a bare frame count into frames."""
    s = str(text).strip().lower()
    frames: int
    if re.fullmatch(r"-?\d+f?", s):
        frames = int(s.rstrip("f"))
    elif re.fullmatch(r"-?\d+(\.\d+)?s", s):
        frames = seconds_to_frames(s[:-1], rate)
    elif re.fullmatch(r"\d{1,2}:\d{2}:\d{2}[:;]\d{2}", s):
        frames = timecode_to_frames(s, rate)
    else:
        raise InvalidInput(
            f"duration {text!r} is not a duration; use seconds (5s, 2.5s), frames (120f) "
            "or a timecode (00:00:05:00)"
        )
    check_duration(frames, rate)
    return frames


def check_duration(frames: int, rate: Fraction) -> None:
    if frames <= 0:
        raise InvalidInput(f"duration must be at least one frame (got {frames} frames)")
    limit = MAX_DURATION_SECONDS * Fraction(rate)
    if frames > limit:
        raise InvalidInput(
            f"duration of {frames} frames is over the {MAX_DURATION_SECONDS // 60}-minute limit "
            "for one shot; split it into several shots"
        )


def format_duration(frames: int, rate: Fraction) -> str:
    """``5.0s`` style, for listings."""
    return f"{float(frames_to_seconds(frames, rate)):.2f}s"
