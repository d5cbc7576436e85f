"""What a shot's selected take says about it: the length the cut uses, whether it is a draft, and
whether a bridge still sits between the two shots it was made from.

The GUI (timeline cards, inspector) and the CLI (``previz shot list``) read these through one
place, so a card, the inspector and ``shot list --json`` never disagree. Takes never change
once made (see DESIGN §3), so what is read from a take is cached by take id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from previz.core.errors import NotFound
from previz.core.values import ShotInfo
from previz.services.playback import cut_length


@dataclass(frozen=True)
class _TakeFacts:
    frame_count: int
    draft: bool
    bridge_sources: tuple[int, int] | None  # shot ids of a bridge take's two parents


@dataclass(frozen=True)
class ShotFacts:
    cut_frames: int  # frames the shot plays in its sequence (its selected take, trims applied)
    draft: bool = False  # the selected take is a draft (a cheap preview to re-render)
    bridge_note: str = ""  # "" or why a bridge no longer joins its sources


class ShotFactsReader:
    """Reads :class:`ShotFacts` for shots; keep one per open project to reuse its cache."""

    def __init__(self, svc: Any) -> None:
        self.svc = svc
        self._takes: dict[int, _TakeFacts | None] = {}
        self._labels: dict[int, str] = {}

    def _take(self, take_id: int) -> _TakeFacts | None:
        if take_id in self._takes:
            return self._takes[take_id]
        try:
            t = self.svc.take_by_id(take_id)
        except NotFound:
            self._takes[take_id] = None
            return None
        sources = None
        if t.operation == "bridge" and len(t.parents) == 2:
            try:
                a, b = (self.svc.take_by_id(pid).shot_id for pid in t.parents)
                sources = (a, b)
            except NotFound:
                sources = None
        facts = _TakeFacts(int(t.frame_count), bool(t.recipe.get("draft")), sources)
        self._takes[take_id] = facts
        return facts

    def _label(self, shot_id: int, known: dict[int, ShotInfo]) -> str:
        if shot_id in known:
            self._labels[shot_id] = known[shot_id].label
            return known[shot_id].label
        if shot_id not in self._labels:
            try:
                self._labels[shot_id] = self.svc.shot(shot_id).label
            except NotFound:
                return "a deleted shot"
        return self._labels[shot_id]

    def cut_frames(self, shot: ShotInfo) -> int:
        """Frames ``shot`` plays in the cut: its selected take's length with the trims applied,
        or its planned duration while it has no take."""
        t = None if shot.selected_take_id is None else self._take(shot.selected_take_id)
        if t is None:
            return shot.duration_frames
        return cut_length(shot.trim_in, shot.trim_out, t.frame_count)

    def facts(self, shots: list[ShotInfo]) -> list[ShotFacts]:
        """Facts for ``shots``, one sequence's live shots in order (a bridge's neighbours are
        read from this order)."""
        known = {s.id: s for s in shots}
        out = []
        for i, s in enumerate(shots):
            t = None if s.selected_take_id is None else self._take(s.selected_take_id)
            note = ""
            if t is not None and t.bridge_sources is not None:
                before = shots[i - 1].id if i > 0 else None
                after = shots[i + 1].id if i + 1 < len(shots) else None
                if (before, after) != t.bridge_sources:
                    a, b = (self._label(x, known) for x in t.bridge_sources)
                    note = f"Bridge sources moved: was between {a} and {b}"
            out.append(ShotFacts(self.cut_frames(s), bool(t and t.draft), note))
        return out


def cut_frames(svc: Any, shot: ShotInfo) -> int:
    """Frames ``shot`` plays in the cut (see :meth:`ShotFactsReader.cut_frames`)."""
    return ShotFactsReader(svc).cut_frames(shot)
