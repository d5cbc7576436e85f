"""Plan a re-import: what an edited screenplay changes in a project made from an earlier draft.

Pure: it reads what the project holds (:class:`ExistingScene`, :class:`ExistingShot`) and the
new :class:`~previz.screenplay.breakdown.Breakdown`, and returns a :class:`ReimportPlan`; the app
applies it. Nothing is ever deleted: scenes and shots that left the script are listed so the app
can flag them, and their takes stay.

Matching, in order:

1. Scenes. A scene numbered in the new script (``#12#``) matches the project scene with that
   number. The others are aligned in script order by a score that mixes the heading (word
   overlap, so ``NIGHT`` -> ``DAY`` or a renamed location still matches) and the content (shared
   beat keys and shared words), so a scene whose heading changed is still found and two scenes
   with the same heading are told apart by what happens in them. Pairs scoring under 0.5 do not
   match. A scene moved to another place in the script is seen as removed there and new here.
2. Beats inside a matched scene, in order: first by ``source_key`` (the same text), then the rest
   by similarity of the action text (``difflib`` ratio >= 0.6), which makes a "changed" beat.
   Shots with an empty ``source_key`` were made by hand, not by an import: they are left alone.
3. Numbers: a matched scene keeps its project number; a new scene gets one between its
   neighbours (``4A`` between 4 and 5) from :func:`~previz.screenplay.numbering.assign_scene_numbers`,
   never reusing a number still in the project.

A matched beat whose new prompt differs from the prompt the last import wrote
(``source_prompt``) is *changed*; when the user also edited the prompt by hand (``prompt`` differs
from ``source_prompt``, and from the new prompt) it is a *conflict* instead: the plan does not
overwrite it and the report says so.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from previz.screenplay.breakdown import (
    Beat,
    Breakdown,
    SceneBreakdown,
    element_name,
    scene_setting,
)
from previz.screenplay.fountain import parse_heading
from previz.screenplay.numbering import assign_scene_numbers

__all__ = [
    "AddedShot",
    "ChangedShot",
    "ConflictShot",
    "ExistingScene",
    "ExistingShot",
    "NewScene",
    "ReimportPlan",
    "RemovedScene",
    "RemovedShot",
    "RetitledScene",
    "SceneMatch",
    "UnchangedShot",
    "plan_reimport",
]

SCENE_MATCH_THRESHOLD = 0.5
BEAT_MATCH_THRESHOLD = 0.6
_HEADING_WEIGHT = 0.35


# --------------------------------------------------------------------------------------------
# What the project holds


@dataclass(frozen=True)
class ExistingShot:
    """A shot in the project. ``source_key`` and ``source_prompt`` are what the last import
    wrote ("" for a shot made by hand); ``prompt`` is the prompt now (differs from
    ``source_prompt`` when the user edited it). ``order`` sorts shots within the scene; ``code``
    (``0010``) is only used to name the shot in the report."""

    shot_id: int
    source_key: str
    source_prompt: str
    prompt: str
    order: int
    code: str = ""


@dataclass(frozen=True)
class ExistingScene:
    """A scene in the project: its number, the heading the last import wrote, and its shots."""

    number: str
    heading: str
    shots: tuple[ExistingShot, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "shots", tuple(sorted(self.shots, key=lambda s: s.order)))

    @property
    def script_shots(self) -> tuple[ExistingShot, ...]:
        """The shots that came from the script (not made by hand)."""
        return tuple(s for s in self.shots if s.source_key)


# --------------------------------------------------------------------------------------------
# The plan


@dataclass(frozen=True)
class SceneMatch:
    existing_number: str
    number: str  # the scene's number after the re-import
    scene_index: int  # index in ReimportPlan.scenes
    by: str  # "number" or "content"
    score: float


@dataclass(frozen=True)
class UnchangedShot:
    scene_number: str
    shot_id: int
    code: str
    beat: Beat


@dataclass(frozen=True)
class ChangedShot:
    """Update this shot from ``beat`` (prompt, caption, planned duration, source key and
    prompt). ``prompt_changed`` is False when only the dialogue changed."""

    scene_number: str
    shot_id: int
    code: str
    beat: Beat
    old_prompt: str
    new_prompt: str
    prompt_changed: bool


@dataclass(frozen=True)
class ConflictShot:
    """The script changed this beat's prompt, but the user had edited the prompt by hand: the
    hand-edited ``current_prompt`` is kept; ``new_prompt`` is what the script now says."""

    scene_number: str
    shot_id: int
    code: str
    beat: Beat
    source_prompt: str
    current_prompt: str
    new_prompt: str


@dataclass(frozen=True)
class AddedShot:
    """A new beat in an existing scene. Insert it after ``after_shot_id`` (None: at the start
    of the scene); several added shots with the same anchor go in the order listed, each after
    the one before. ``beat.ordinal`` is its position among the scene's beats."""

    scene_number: str
    beat: Beat
    after_shot_id: int | None
    after_code: str = ""


@dataclass(frozen=True)
class RemovedShot:
    """A shot whose beat is no longer in the script: flag it, keep it and its takes."""

    scene_number: str
    shot_id: int
    code: str
    source_prompt: str


@dataclass(frozen=True)
class NewScene:
    """A scene new in the script, with its number; insert it after scene ``after_number``
    (None: before every scene). Its shots are its beats."""

    scene: SceneBreakdown
    after_number: str | None


@dataclass(frozen=True)
class RemovedScene:
    """A scene no longer in the script: flag it; its shots and takes stay."""

    number: str
    heading: str
    shot_ids: tuple[int, ...]


@dataclass(frozen=True)
class RetitledScene:
    """A matched scene whose heading (or script-given number) changed."""

    number: str
    old_number: str
    old_heading: str
    new_heading: str


@dataclass(frozen=True)
class ReimportPlan:
    """Everything a re-import changes; ``scenes`` is the new script with final numbers."""

    scenes: tuple[SceneBreakdown, ...]
    scene_matches: tuple[SceneMatch, ...] = ()
    unchanged: tuple[UnchangedShot, ...] = ()
    changed: tuple[ChangedShot, ...] = ()
    conflicts: tuple[ConflictShot, ...] = ()
    added: tuple[AddedShot, ...] = ()
    removed: tuple[RemovedShot, ...] = ()
    new_scenes: tuple[NewScene, ...] = ()
    removed_scenes: tuple[RemovedScene, ...] = ()
    retitled_scenes: tuple[RetitledScene, ...] = ()

    @property
    def has_changes(self) -> bool:
        return bool(
            self.changed
            or self.conflicts
            or self.added
            or self.removed
            or self.new_scenes
            or self.removed_scenes
            or self.retitled_scenes
        )

    def report_lines(self) -> list[str]:
        """A summary line, then one line per change, scene by scene in script order (scenes
        that left the script last)."""
        counts = [
            _count(len(self.changed), "changed shot"),
            _count(len(self.conflicts), "conflict"),
            _count(len(self.added), "new shot"),
            _count(len(self.removed), "removed shot"),
            _count(len(self.new_scenes), "new scene"),
            _count(len(self.removed_scenes), "removed scene"),
            _count(len(self.retitled_scenes), "changed heading"),
        ]
        unchanged = _count(len(self.unchanged), "shot") + " unchanged"
        if not self.has_changes:
            return [f"Re-import: no changes ({unchanged})."]
        lines = [
            f"Re-import: {', '.join(c for c in counts if not c.startswith('0 '))}; {unchanged}."
        ]
        per_scene: dict[str, list[str]] = {}

        def add(number: str, text: str) -> None:
            per_scene.setdefault(number, []).append(f"Scene {number}: {text}")

        for r in self.retitled_scenes:
            if r.old_number != r.number:
                add(r.number, f"number changed from {r.old_number} (numbered in the script)")
            if r.old_heading != r.new_heading:
                add(r.number, f'heading changed: "{r.old_heading}" -> "{r.new_heading}"')
        for n in self.new_scenes:
            after = f"after scene {n.after_number}" if n.after_number else "before every scene"
            shots = _count(len(n.scene.beats), "shot")
            add(n.scene.number, f'new scene "{n.scene.heading}" ({shots}), {after}')
        for c in self.changed:
            label = _label(c.scene_number, c.code, c.shot_id)
            if c.prompt_changed:
                old, new = _around_change(c.old_prompt, c.new_prompt)
                add(c.scene_number, f'shot {label} changed: "{old}" -> "{new}"')
            else:
                add(c.scene_number, f"shot {label} changed: dialogue updated, prompt unchanged")
        for k in self.conflicts:
            label = _label(k.scene_number, k.code, k.shot_id)
            add(
                k.scene_number,
                f"CONFLICT on shot {label}: its prompt was edited by hand and was kept; "
                f'the script now reads "{_short(k.new_prompt)}"',
            )
        last_anchor: dict[str, int | None] = {}
        for a in self.added:
            if a.after_shot_id is None:
                where = "at the start of the scene"
            else:
                where = f"after shot {_label(a.scene_number, a.after_code, a.after_shot_id)}"
            if last_anchor.get(a.scene_number, -1) == a.after_shot_id:
                where = f"{where} (following the previous new shot)"
            last_anchor[a.scene_number] = a.after_shot_id
            add(a.scene_number, f'new shot {where}: "{_short(a.beat.prompt)}"')
        for r in self.removed:
            label = _label(r.scene_number, r.code, r.shot_id)
            add(
                r.scene_number,
                f"shot {label} is no longer in the script (kept, flagged): "
                f'"{_short(r.source_prompt)}"',
            )
        for g in self.removed_scenes:
            shots = _count(len(g.shot_ids), "shot")
            add(g.number, f'"{g.heading}" is no longer in the script (kept, flagged; {shots})')
        order = [s.number for s in self.scenes] + [g.number for g in self.removed_scenes]
        for number in dict.fromkeys(order + list(per_scene)):
            lines.extend(per_scene.get(number, []))
        return lines


def _count(n: int, what: str) -> str:
    return f"{n} {what}" if n == 1 else f"{n} {what}s"


def _label(scene_number: str, code: str, shot_id: int) -> str:
    return f"{scene_number}/{code}" if code else f"#{shot_id}"


def _short(text: str, limit: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _around_change(old: str, new: str, limit: int = 70) -> tuple[str, str]:
    """Both texts shortened to ``limit`` characters around where they first differ, so a long
    prompt's report line still shows the words that changed."""
    old, new = " ".join(old.split()), " ".join(new.split())
    if len(old) <= limit and len(new) <= limit:
        return old, new
    first = next((i for i, (a, b) in enumerate(zip(old, new, strict=False)) if a != b), None)
    if first is None:
        first = min(len(old), len(new))
    start = max(0, first - 25)
    if start:
        space = old.rfind(" ", 0, start + 1)
        start = space + 1 if space > 0 else start

    def cut(text: str) -> str:
        piece = text[start:]
        piece = piece if len(piece) <= limit else piece[: limit - 1].rstrip() + "…"
        return ("…" + piece) if start else piece

    return cut(old), cut(new)


# --------------------------------------------------------------------------------------------
# Matching


def _align(
    rows: int, cols: int, score: Callable[[int, int], float], threshold: float
) -> list[tuple[int, int, float]]:
    """Order-preserving matching of rows to columns that maximises the sum of scores, using
    only pairs scoring at least ``threshold`` (a weighted longest common subsequence)."""
    if not rows or not cols:
        return []
    best = [[0.0] * (cols + 1) for _ in range(rows + 1)]
    scores: dict[tuple[int, int], float] = {}
    for i in range(rows - 1, -1, -1):
        row, below = best[i], best[i + 1]
        for j in range(cols - 1, -1, -1):
            value = max(below[j], row[j + 1])
            s = score(i, j)
            if s >= threshold:
                scores[i, j] = s
                value = max(value, s + below[j + 1])
            row[j] = value
    pairs: list[tuple[int, int, float]] = []
    i = j = 0
    while i < rows and j < cols:
        s = scores.get((i, j))
        if s is not None and best[i][j] == s + best[i + 1][j + 1]:
            pairs.append((i, j, s))
            i += 1
            j += 1
        elif best[i][j] == best[i + 1][j]:
            i += 1
        else:
            j += 1
    return pairs


_WORD_RE = re.compile(r"[^\W\d_]{4,}")
_COMMON = frozenset(
    "that this with from they them their there then have into were what when your just like "
    "over some back down only very about will would could should been being here".split()
)


def _words(text: str) -> set[str]:
    """Content words (four letters or more, minus the commonest) for comparing scenes."""
    return {w for w in (m.casefold() for m in _WORD_RE.findall(text)) if w not in _COMMON}


def _jaccard(a: set[str], b: set[str]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


def _settings_for(heading: str) -> list[str]:
    int_ext, location, time_of_day = parse_heading(heading)
    found = [scene_setting(int_ext, location, time_of_day)]
    if int_ext and location:
        for element in (element_name(location), element_name(location) + "Location"):
            found.append(scene_setting(int_ext, location, time_of_day, location_element=element))
    return found


def _action_part(prompt: str, settings: Iterable[str]) -> str:
    for setting in settings:
        if setting and prompt.startswith(setting):
            return prompt[len(setting) :].strip()
    return prompt


@dataclass
class _SceneFacts:
    heading_words: set[str]
    keys: set[str]
    words: set[str]


def _existing_facts(scene: ExistingScene) -> tuple[_SceneFacts, list[str]]:
    settings = _settings_for(scene.heading)
    actions = [_action_part(s.source_prompt, settings) for s in scene.script_shots]
    heading_words = _words(scene.heading)
    words = set().union(*(_words(a) for a in actions)) - heading_words if actions else set()
    return _SceneFacts(heading_words, {s.source_key for s in scene.script_shots}, words), actions


def _new_facts(scene: SceneBreakdown) -> _SceneFacts:
    heading_words = _words(scene.heading)
    setting = _action_setting(scene)
    words = set().union(*(_words(_action_part(b.prompt, [setting])) for b in scene.beats))
    return _SceneFacts(heading_words, {b.source_key for b in scene.beats}, words - heading_words)


def _scene_score(old: _SceneFacts, new: _SceneFacts) -> float:
    heading = _jaccard(old.heading_words, new.heading_words)
    if not old.keys:  # a scene with no imported shots: only its heading can say
        return 0.8 * heading
    shared = len(old.keys & new.keys) / max(len(old.keys), len(new.keys))
    content = max(shared, _jaccard(old.words, new.words))
    return _HEADING_WEIGHT * heading + (1 - _HEADING_WEIGHT) * content


def _ratio(a: str, b: str) -> float:
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < BEAT_MATCH_THRESHOLD:
        return 0.0
    if matcher.quick_ratio() < BEAT_MATCH_THRESHOLD:
        return 0.0
    return matcher.ratio()


def _match_beats(
    old: Sequence[ExistingShot], old_actions: Sequence[str], new: Sequence[Beat], new_setting: str
) -> list[tuple[int, int, bool]]:
    """Pairs ``(old index, new index, same_key)`` in order."""
    matcher = difflib.SequenceMatcher(
        None, [s.source_key for s in old], [b.source_key for b in new], autojunk=False
    )
    pairs: list[tuple[int, int, bool]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            pairs += [(i1 + k, j1 + k, True) for k in range(i2 - i1)]
        elif tag == "replace":
            old_texts = list(old_actions[i1:i2])
            new_texts = [_action_part(b.prompt, [new_setting]) for b in new[j1:j2]]
            found = _align(
                len(old_texts),
                len(new_texts),
                lambda i, j, o=old_texts, n=new_texts: _ratio(o[i], n[j]),
                BEAT_MATCH_THRESHOLD,
            )
            pairs += [(i1 + i, j1 + j, False) for i, j, _s in found]
    return pairs


def plan_reimport(existing: Sequence[ExistingScene], new: Breakdown) -> ReimportPlan:
    """Compare the project's scenes (in project order) with a new breakdown of the script."""
    existing = list(existing)
    scenes = list(new.scenes)
    matched: dict[int, tuple[int, str, float]] = {}  # new index -> (existing index, by, score)

    # 1. Scenes numbered in the script match the project scene with that number.
    by_number = {s.number.upper(): i for i, s in enumerate(existing)}
    for j, scene in enumerate(scenes):
        if scene.numbered_in_script and scene.number.upper() in by_number:
            matched[j] = (by_number.pop(scene.number.upper()), "number", 1.0)

    # 2. The rest by heading and content, in order.
    taken = {i for i, _by, _s in matched.values()}
    old_left = [i for i in range(len(existing)) if i not in taken]
    new_left = [j for j in range(len(scenes)) if j not in matched]
    facts_and_actions = [_existing_facts(s) for s in existing]
    new_facts = [_new_facts(s) for s in scenes]
    for a, b, score in _align(
        len(old_left),
        len(new_left),
        lambda a, b: _scene_score(facts_and_actions[old_left[a]][0], new_facts[new_left[b]]),
        SCENE_MATCH_THRESHOLD,
    ):
        matched[new_left[b]] = (old_left[a], "content", score)

    # 3. Numbers.
    slots: list[str | None] = []
    for j, scene in enumerate(scenes):
        if scene.numbered_in_script:
            slots.append(scene.number)
        elif j in matched:
            slots.append(existing[matched[j][0]].number)
        else:
            slots.append(None)
    numbers = assign_scene_numbers(slots, reserved=[s.number for s in existing])
    scenes = [
        replace(s, number=n, name=f"{n} {s.heading}") for s, n in zip(scenes, numbers, strict=True)
    ]

    scene_matches: list[SceneMatch] = []
    unchanged: list[UnchangedShot] = []
    changed: list[ChangedShot] = []
    conflicts: list[ConflictShot] = []
    added: list[AddedShot] = []
    removed: list[RemovedShot] = []
    new_scenes: list[NewScene] = []
    retitled: list[RetitledScene] = []

    for j, scene in enumerate(scenes):
        if j not in matched:
            new_scenes.append(NewScene(scene=scene, after_number=numbers[j - 1] if j else None))
            continue
        i, by, score = matched[j]
        old_scene = existing[i]
        scene_matches.append(SceneMatch(old_scene.number, scene.number, j, by, round(score, 3)))
        if old_scene.heading != scene.heading or old_scene.number.upper() != scene.number.upper():
            retitled.append(
                RetitledScene(scene.number, old_scene.number, old_scene.heading, scene.heading)
            )
        old_shots = old_scene.script_shots
        old_actions = facts_and_actions[i][1]
        new_setting = _action_setting(scene)
        pairs = _match_beats(old_shots, old_actions, scene.beats, new_setting)
        paired_old = {p[0] for p in pairs}
        paired_new = {p[1]: (p[0], p[2]) for p in pairs}
        anchor: ExistingShot | None = None
        for k, beat in enumerate(scene.beats):
            if k not in paired_new:
                added.append(
                    AddedShot(
                        scene.number,
                        beat,
                        anchor.shot_id if anchor else None,
                        anchor.code if anchor else "",
                    )
                )
                continue
            o, same_key = paired_new[k]
            shot = old_shots[o]
            anchor = shot
            prompt_changed = beat.prompt != shot.source_prompt
            if same_key and not prompt_changed:
                unchanged.append(UnchangedShot(scene.number, shot.shot_id, shot.code, beat))
            elif prompt_changed and shot.prompt not in (shot.source_prompt, beat.prompt):
                conflicts.append(
                    ConflictShot(
                        scene.number,
                        shot.shot_id,
                        shot.code,
                        beat,
                        shot.source_prompt,
                        shot.prompt,
                        beat.prompt,
                    )
                )
            else:
                changed.append(
                    ChangedShot(
                        scene.number,
                        shot.shot_id,
                        shot.code,
                        beat,
                        shot.source_prompt,
                        beat.prompt,
                        prompt_changed,
                    )
                )
        for o, shot in enumerate(old_shots):
            if o not in paired_old:
                removed.append(
                    RemovedShot(scene.number, shot.shot_id, shot.code, shot.source_prompt)
                )

    matched_old = {i for i, _by, _s in matched.values()}
    removed_scenes = [
        RemovedScene(s.number, s.heading, tuple(shot.shot_id for shot in s.shots))
        for i, s in enumerate(existing)
        if i not in matched_old and (s.script_shots or not s.shots)
    ]
    return ReimportPlan(
        scenes=tuple(scenes),
        scene_matches=tuple(scene_matches),
        unchanged=tuple(unchanged),
        changed=tuple(changed),
        conflicts=tuple(conflicts),
        added=tuple(added),
        removed=tuple(removed),
        new_scenes=tuple(new_scenes),
        removed_scenes=tuple(removed_scenes),
        retitled_scenes=tuple(retitled),
    )


def _action_setting(scene: SceneBreakdown) -> str:
    """The setting sentence this scene's prompts start with (either form)."""
    plain = scene_setting(scene.int_ext, scene.location, scene.time_of_day)
    if scene.beats and scene.location_element and not scene.beats[0].prompt.startswith(plain):
        return scene_setting(
            scene.int_ext,
            scene.location,
            scene.time_of_day,
            location_element=scene.location_element,
        )
    return plain
