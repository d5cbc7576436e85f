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


DROP_FRAME_RATES = (Fraction(30000, 1001), Fraction(60000, 1001))


def is_drop_rate(rate: Fraction) -> bool:
    """Whether drop-frame timecode is defined at ``rate`` (29.97 and 59.94 only)."""
    return Fraction(rate) in DROP_FRAME_RATES


_is_drop_rate = is_drop_rate


def _drop_params(rate: Fraction) -> tuple[int, int, int]:
    """``(labels dropped per minute, frames per 10 minutes, frames per minute)``."""
    fps = nominal_rate(rate)
    drop = 2 * (fps // 30)
    return drop, fps * 600 - drop * 9, fps * 60 - drop


def frames_per_hour(rate: Fraction, *, drop_frame: bool = False) -> int:
    """Frames between ``01:00:00:00`` and ``02:00:00:00`` (107892 at 29.97 drop-frame)."""
    if drop_frame:
        if not is_drop_rate(rate):
            raise InvalidInput("drop-frame timecode exists only at 29.97 and 59.94 fps")
        return 6 * _drop_params(rate)[1]
    return 3600 * nominal_rate(rate)


def frames_to_timecode(
    frames: int, rate: Fraction, *, drop_frame: bool = False, start_hours: int = 0
) -> str:
    """Timecode of a frame count (plus ``start_hours`` hours), e.g. ``01:00:05:12``.

    Drop-frame labels use ``;`` before the frames; ``start_hours`` counts hours of timecode,
    so frame 0 with ``start_hours=1`` is ``01:00:00;00`` in drop-frame too.
    """
    rate = Fraction(rate)
    fps = nominal_rate(rate)
    total = frames + start_hours * frames_per_hour(rate, drop_frame=drop_frame)
    if total < 0:
        raise InvalidInput("timecode cannot be negative")
    sep = ":"
    if drop_frame:
        drop, per_10min, per_min = _drop_params(rate)
        tens, rem = divmod(total, per_10min)
        if rem > drop:
            total += drop * 9 * tens + drop * ((rem - drop) // per_min)
        else:
            total += drop * 9 * tens
        sep = ";"
    ff = total % fps
    secs = total // fps
    return f"{secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}{sep}{ff:02d}"


def timecode_to_frames(
    tc: str, rate: Fraction, *, start_hours: int = 0, drop_frame: bool = False
) -> int:
    """Inverse of :func:`frames_to_timecode` (``drop_frame`` counts drop-frame labels)."""
    m = re.fullmatch(r"(\d{1,2}):(\d{2}):(\d{2})[:;.,](\d{2})", tc.strip())
    if not m:
        raise InvalidInput(f"timecode {tc!r} is not HH:MM:SS:FF")
    h, mi, s, f = (int(g) for g in m.groups())
    fps = nominal_rate(rate)
    if mi >= 60 or s >= 60 or f >= fps:
        raise InvalidInput(f"timecode {tc!r} is out of range at {describe_rate(rate)} fps")
    total = (h * 3600 + mi * 60 + s) * fps + f
    if drop_frame:
        drop, _, _ = _drop_params(rate)
        if not is_drop_rate(rate):
            raise InvalidInput("drop-frame timecode exists only at 29.97 and 59.94 fps")
        if s == 0 and f < drop and mi % 10:
            raise InvalidInput(f"timecode {tc!r} does not exist in drop-frame (labels skipped)")
        minutes = h * 60 + mi
        total -= drop * (minutes - minutes // 10)
    return total - start_hours * frames_per_hour(rate, drop_frame=drop_frame)


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
