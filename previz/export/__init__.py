"""Reels, editorial timelines and boards out of a project.

The service layer converts the project database into the frozen values of ``plan.py``
(``ReelPlan`` > ``SequencePlan`` > ``ShotItem`` > ``Segment``); this package never touches the
database, Qt or the engine.

* ``export_reel(plan, options, out, progress=, cancel=)`` - MP4/H.264 or MOV/ProRes reel with
  slates, cards, burn-ins, transitions, audio; smart render (packet copy) when nothing changes.
* ``expected_frame_count(plan, options)`` - the reel's exact length from the plan alone.
* ``export_timeline(plan, out, "otio" | "edl" | "fcpxml")`` / ``build_timeline`` - editorial
  timelines through OpenTimelineIO and its adapters, one media file per take.
* ``export_boards_pdf`` / ``export_contact_sheet`` - printed boards.

Rules worth knowing (details in the module docs): conform is ``L = max(1, round_half_up(N * R
/ S))`` with reel frame i showing source frame ``floor(i * S / R)`` (``timing.py``); a dissolve
overlaps two shots (the reel gets shorter), fades and dips do not change the length, sequence
head/tail fades are the first shot's ``transition_in`` / ``SequencePlan.transition_out``
(``plan.py``); every file is written under a temporary name and renamed when complete
(``files.py``); failures are one-line ``ExportError``s.

Importing this package is cheap: the plan values load eagerly, the exporters (which pull in
PyAV, OpenCV, OpenTimelineIO and fpdf2) load on first use.
"""

from __future__ import annotations

import importlib
from typing import Any

from .plan import (
    CUT,
    AudioSegment,
    BurnIns,
    ExportCancelled,
    ExportError,
    ReelOptions,
    ReelPlan,
    ReelResult,
    Segment,
    SequencePlan,
    ShotItem,
    Transition,
)

_LAZY = {
    "export_reel": "reel",
    "expected_frame_count": "timing",
    "build_schedule": "timing",
    "check_plan": "timing",
    "build_timeline": "interchange",
    "export_timeline": "interchange",
    "TimelineResult": "interchange",
    "export_boards_pdf": "boards",
    "export_contact_sheet": "boards",
    "BoardOptions": "boards",
}

__all__ = [
    "CUT",
    "AudioSegment",
    "BurnIns",
    "ExportCancelled",
    "ExportError",
    "ReelOptions",
    "ReelPlan",
    "ReelResult",
    "Segment",
    "SequencePlan",
    "ShotItem",
    "Transition",
    *_LAZY,
]


def __getattr__(name: str) -> Any:
    mod = _LAZY.get(name)
    if mod is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{mod}"), name)
    globals()[name] = value
    return value
