"""Long shots: a shot longer than one model window is made window by window.

A prompt may give each stretch of time its own text::

    WIDE, dusk, the ferry. 0-4 s: it leaves the pier; 4-8 s: it turns toward camera

Text before the first timed section is shared by every window. Windows follow the timed
sections, and any stretch longer than the engine's window is split further.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fractions import Fraction

from previz.core.errors import InvalidInput
from previz.core.time import seconds_to_frames

MIN_WINDOW = 8  # frames; a shorter last window is merged into the one before

_SECTION = re.compile(
    r"(?P<a>\d+(?:\.\d+)?)\s*(?:s\s*)?[-–]\s*(?P<b>\d+(?:\.\d+)?)\s*s\s*:\s*",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Window:
    start: int  # first frame of the shot in this window
    end: int  # exclusive
    prompt: str

    @property
    def frames(self) -> int:
        return self.end - self.start


def parse_timed_prompt(text: str, fps: Fraction) -> tuple[str, list[Window]]:
    """Split ``text`` into its shared part and timed sections (frames at ``fps``)."""
    matches = list(_SECTION.finditer(text))
    if not matches:
        return text.strip(), []
    shared = text[: matches[0].start()].strip().rstrip(";").strip()
    sections: list[Window] = []
    for i, m in enumerate(matches):
        body_end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        body = text[m.end() : body_end].strip().rstrip(";").strip()
        a = seconds_to_frames(m.group("a"), fps)
        b = seconds_to_frames(m.group("b"), fps)
        if b <= a:
            raise InvalidInput(
                f"timed prompt '{m.group(0).strip()}' ends before it starts; write e.g. 0-4 s: …"
            )
        if sections and a != sections[-1].end:
            raise InvalidInput(
                f"timed prompt sections must follow each other without gaps or overlaps "
                f"(a section starts at {m.group('a')} s)"
            )
        if not sections and a != 0:
            raise InvalidInput("the first timed prompt section must start at 0 s")
        sections.append(Window(a, b, body))
    return shared, sections


def plan_windows(
    prompt: str, total_frames: int, fps: Fraction, window_frames: int | None
) -> list[Window]:
    """The windows of a shot: by timed sections, then by the engine's window length."""
    shared, sections = parse_timed_prompt(prompt, fps)
    if sections:
        if sections[-1].end != total_frames:
            sections[-1] = Window(sections[-1].start, total_frames, sections[-1].prompt)
            if sections[-1].frames <= 0:
                raise InvalidInput(
                    "the timed prompt runs past the shot's duration; shorten the sections or "
                    "lengthen the shot"
                )
        parts = [Window(s.start, s.end, _join(shared, s.prompt)) for s in sections]
    else:
        parts = [Window(0, total_frames, shared)]
    if not window_frames or window_frames <= 0:
        return parts
    out: list[Window] = []
    for part in parts:
        start = part.start
        while start < part.end:
            end = min(part.end, start + window_frames)
            if part.end - end < MIN_WINDOW:
                end = part.end
            out.append(Window(start, end, part.prompt))
            start = end
    return out


def _join(shared: str, own: str) -> str:
    if not shared:
        return own
    if not own:
        return shared
    return f"{shared.rstrip('.;, ')}. {own}"
