"""Turn a parsed screenplay into scenes, beats (one shot each) and elements for the app.

A *scene* is everything from one scene heading to the next. A *beat* is an action paragraph plus
the dialogue that follows it, up to the next action paragraph (dialogue before the first action
paragraph makes a beat of its own; a scene with no action still gets one beat). Centred text
(``>THE END<``, title cards) is layout, never a beat: it only counts towards the page length.
Each beat becomes one shot: its prompt is the scene setting plus the action, with the names of
speaking characters turned into ``@Element`` mentions, and its caption is the dialogue.

Estimates, so that a plan starts with sensible lengths (the user trims later):

- Page length: each element is word-wrapped at the standard screenplay widths (action 61
  characters, dialogue 35, parentheticals 25) with the usual blank lines, at 55 lines a page;
  a scene is counted in eighths of a page, at least 1/8.
- Duration: dialogue at 2.5 words a second, action at ``ACTION_WORDS_PER_SECOND``, tuned so that
  the two public test scripts come to about a minute a page; at least one second a beat.

Character elements are the characters who speak (a character introduced in capitals in the
action but never speaking is not made an element: capitals also mark sounds, props and camera
directions, and telling them apart is guesswork). Location elements come from scene headings
with an INT/EXT/EST/I/E prefix; a forced heading without one (``.SNIPER SCOPE POV``) is a scene
of its own but names no location.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction

from previz.screenplay.errors import ScreenplayError
from previz.screenplay.fountain import (
    Action,
    Centered,
    Character,
    Dialogue,
    Element,
    Lyric,
    Parenthetical,
    SceneHeading,
    Script,
    Transition,
)
from previz.screenplay.numbering import assign_scene_numbers

log = logging.getLogger(__name__)

__all__ = [
    "ACTION_WORDS_PER_SECOND",
    "DIALOGUE_WORDS_PER_SECOND",
    "LINES_PER_PAGE",
    "Beat",
    "Breakdown",
    "ElementSpec",
    "SceneBreakdown",
    "breakdown",
    "element_name",
    "format_eighths",
    "scene_setting",
    "source_key",
]

DIALOGUE_WORDS_PER_SECOND = 2.5
ACTION_WORDS_PER_SECOND = 2.7
LINES_PER_PAGE = 55
MIN_BEAT_SECONDS = 1.0
_ACTION_WIDTH = 61
_DIALOGUE_WIDTH = 35
_PARENTHETICAL_WIDTH = 25


# --------------------------------------------------------------------------------------------
# Values


@dataclass(frozen=True)
class Beat:
    """One shot's worth of script.

    ``dialogue`` holds ``(character, line)`` pairs with the character as written in the script
    (extension removed); ``caption`` is the same as ``"NAME: line"`` lines; ``characters`` are
    element names (speakers, then speaking characters mentioned in the action), in order of
    appearance. ``source_key`` identifies the beat's text across re-imports (see
    :func:`source_key`). ``ordinal`` counts from 1 within the scene; ``line`` is the source line
    of the beat's first element.
    """

    ordinal: int
    action_text: str
    dialogue: tuple[tuple[str, str], ...]
    caption: str
    characters: tuple[str, ...]
    prompt: str
    estimated_frames: int
    source_key: str
    line: int


@dataclass(frozen=True)
class SceneBreakdown:
    """One scene heading and its beats. ``number`` comes from the script's ``#12A#`` when it has
    one (``numbered_in_script``), else it is assigned 1..N; ``name`` is number plus heading.
    ``location_element`` is the location's element name, "" for a heading without INT/EXT."""

    number: str
    heading: str
    name: str
    int_ext: str
    location: str
    time_of_day: str
    page_eighths: int
    beats: tuple[Beat, ...]
    line: int
    forced: bool = False
    numbered_in_script: bool = False
    location_element: str = ""
    characters: tuple[str, ...] = ()

    @property
    def page_length(self) -> str:
        """The length as a breakdown sheet writes it: ``"1 3/8"``."""
        return format_eighths(self.page_eighths)

    @property
    def estimated_frames(self) -> int:
        return sum(b.estimated_frames for b in self.beats)


@dataclass(frozen=True)
class ElementSpec:
    """A character or location for the project's element list: ``name`` is the ``@mention``
    (letters, digits; CamelCase), ``display_name`` the name as the script writes it,
    ``description`` a starting description the user can refine."""

    kind: str  # "character" or "location"
    name: str
    display_name: str
    description: str
    first_scene: str = ""


@dataclass(frozen=True)
class Breakdown:
    title: str
    fps: Fraction
    scenes: tuple[SceneBreakdown, ...]
    characters: tuple[ElementSpec, ...]
    locations: tuple[ElementSpec, ...]
    warnings: tuple[str, ...] = field(default=())

    @property
    def page_eighths(self) -> int:
        return sum(s.page_eighths for s in self.scenes)

    @property
    def estimated_frames(self) -> int:
        return sum(s.estimated_frames for s in self.scenes)


# --------------------------------------------------------------------------------------------
# Helpers


def format_eighths(eighths: int) -> str:
    """``11 -> "1 3/8"``, ``8 -> "1"``, ``3 -> "3/8"`` (fractions reduced: ``4 -> "4/8"`` is
    kept as breakdown sheets do)."""
    pages, rest = divmod(eighths, 8)
    if not rest:
        return str(pages)
    return f"{pages} {rest}/8" if pages else f"{rest}/8"


_EXTENSION_RE = re.compile(r"\([^)]*\)")
_SHORT_APOSTROPHE_RE = re.compile(r"['’](\w)(?!\w)")
_WORD_RE = re.compile(r"[^\W_]+")


def element_name(text: str) -> str:
    """The element name (``@mention``) for a character or location as the script writes it.

    ``MRS. O'HARA -> MrsOHara``, ``DR. JEKYLL (V.O.) -> DrJekyll``, ``TEO'S TRUCK ->
    TeosTruck``: extensions in parentheses are dropped, accents are removed, an apostrophe
    before a single final letter joins it (``'S``), any other punctuation separates words, and
    the words are joined in CamelCase.
    """
    s = _EXTENSION_RE.sub(" ", text).replace("^", " ")
    s = unicodedata.normalize("NFKD", s)
    s = "".join(c for c in s if not unicodedata.combining(c))
    s = _SHORT_APOSTROPHE_RE.sub(r"\1", s)
    words = _WORD_RE.findall(s)
    name = "".join(w[:1].upper() + w[1:].lower() for w in words)
    return name or "Unnamed"


def _human(text: str) -> str:
    """``MRS. O'HARA -> Mrs. O'Hara``, ``TEO'S TRUCK -> Teo's Truck``."""
    return re.sub(r"(\w)['’]S\b", lambda m: m.group(0)[:-1] + "s", text.title())


_NORMALISE_RE = re.compile(r"[^\w]+")


def _normalise(text: str) -> str:
    return " ".join(_NORMALISE_RE.sub(" ", text.casefold()).split())


def source_key(action_text: str, dialogue: Iterable[tuple[str, str]] = ()) -> str:
    """A stable key for a beat's text: a hash of the action and dialogue with case, punctuation,
    emphasis and spacing ignored, so reflowing or retyping a paragraph keeps its key."""
    parts = [_normalise(action_text)]
    parts += [f"{_normalise(who)}:{_normalise(line)}" for who, line in dialogue]
    return hashlib.sha1("|".join(parts).encode("utf-8")).hexdigest()[:16]


def scene_setting(
    int_ext: str, location: str, time_of_day: str, *, location_element: str = ""
) -> str:
    """The setting sentence that starts every prompt of a scene: ``EXT. pier, night.``; with
    ``location_element`` the location is written as a mention: ``EXT. @Pier, night.``"""
    place = f"@{location_element}" if location_element else location.strip(" .,:;").lower()
    text = place
    if time_of_day:
        text = f"{text}, {time_of_day.strip(' .,:;').lower()}" if text else time_of_day.lower()
    if int_ext:
        return f"{int_ext}. {text}." if text else f"{int_ext}."
    text = text.strip()
    return f"{text[:1].upper()}{text[1:]}." if text else ""


def _wrapped_lines(text: str, width: int) -> int:
    total = 0
    for paragraph in text.split("\n"):
        words = paragraph.split()
        if not words:
            total += 1
            continue
        lines, column = 1, -1
        for word in words:
            size = len(word)
            if column < 0:
                column = size
            elif column + 1 + size <= width:
                column += 1 + size
            else:
                lines += 1
                column = size
            while column > width:  # a word longer than the line
                lines += 1
                column -= width
        total += lines
    return total


def _printed_lines(element: Element) -> int:
    """How many lines an element takes on a printed page, with the blank line before it."""
    if isinstance(element, SceneHeading):
        return 1 + _wrapped_lines(element.text, _ACTION_WIDTH)
    if isinstance(element, Action):
        return 1 + _wrapped_lines(element.text, _ACTION_WIDTH)
    if isinstance(element, Centered):
        return 1 + _wrapped_lines(element.text, _ACTION_WIDTH)
    if isinstance(element, Character):
        return 2
    if isinstance(element, Parenthetical):
        return _wrapped_lines(element.text, _PARENTHETICAL_WIDTH)
    if isinstance(element, Dialogue):
        return _wrapped_lines(element.text, _DIALOGUE_WIDTH)
    if isinstance(element, Lyric):
        if element.in_dialogue:
            return _wrapped_lines(element.text, _DIALOGUE_WIDTH)
        return 1 + _wrapped_lines(element.text, _ACTION_WIDTH)
    if isinstance(element, Transition):
        return 2
    return 0  # sections, synopses, page breaks do not print


def _eighths(lines: int) -> int:
    return max(1, int(Fraction(lines * 8, LINES_PER_PAGE) + Fraction(1, 2)))


class _Mentions:
    """Turns speaking characters' names in action text into ``@Element`` mentions.

    A name is replaced when written in capitals (``STEEL``) or with capital initials
    (``Steel``, ``Art Girl``), never in lower case (``the woman``), so ordinary words that
    happen to be a character's name are left alone.
    """

    def __init__(self, names: dict[str, str]) -> None:
        # One-letter names ("A", "I") would turn ordinary words into mentions: left out.
        names = {k: v for k, v in names.items() if len("".join(_WORD_RE.findall(k))) >= 2}
        self.names = {k.casefold(): v for k, v in names.items()}
        alternatives = sorted(names, key=len, reverse=True)
        if alternatives:
            body = "|".join(r"\s+".join(map(re.escape, n.split())) for n in alternatives)
            self.regex: re.Pattern[str] | None = re.compile(
                rf"(?<![\w@])(?:{body})(?!\w)", re.IGNORECASE
            )
        else:
            self.regex = None

    def apply(self, text: str) -> tuple[str, list[str]]:
        if self.regex is None:
            return text, []
        found: list[str] = []

        def repl(m: re.Match[str]) -> str:
            written = m.group(0)
            words = re.findall(r"[^\W\d_]+", written)
            if written != written.upper() and not all(w[0].isupper() for w in words):
                return written
            name = self.names.get(" ".join(written.split()).casefold())
            if name is None:  # pragma: no cover - the regex only matches known names
                return written
            if name not in found:
                found.append(name)
            return f"@{name}"

        text = self.regex.sub(repl, text)
        text = re.sub(r"(@\w+)['’]S\b", r"\1's", text)
        return text, found


def _talk(speakers: list[str]) -> str:
    mentions = [f"@{s}" for s in speakers]
    if not mentions:
        return ""
    if len(mentions) == 1:
        return f"{mentions[0]} speaks."
    return f"{', '.join(mentions[:-1])} and {mentions[-1]} talk."


def _to_fps(fps: int | float | Fraction | str) -> Fraction:
    try:
        rate = Fraction(str(fps)) if isinstance(fps, float | str) else Fraction(fps)
    except (ValueError, ZeroDivisionError):
        rate = Fraction(0)
    if rate <= 0:
        raise ScreenplayError(f"frame rate {fps!r} is not valid; use e.g. 24 or 24000/1001")
    return rate


# --------------------------------------------------------------------------------------------
# The breakdown


@dataclass
class _BeatDraft:
    line: int
    action: str = ""
    dialogue: list[tuple[str, str, str]] = field(default_factory=list)  # (who, element, line)


def _scene_chunks(
    elements: tuple[Element, ...],
) -> tuple[list[Element], list[tuple[SceneHeading, list[Element]]]]:
    preamble: list[Element] = []
    scenes: list[tuple[SceneHeading, list[Element]]] = []
    for element in elements:
        if isinstance(element, SceneHeading):
            scenes.append((element, []))
        elif scenes:
            scenes[-1][1].append(element)
        else:
            preamble.append(element)
    return preamble, scenes


def _beat_drafts(heading: SceneHeading, body: list[Element]) -> list[_BeatDraft]:
    drafts: list[_BeatDraft] = []
    current: _BeatDraft | None = None
    speaker = ("", "")
    for element in body:
        # Centred text (">THE END<", title cards, ">INTERMISSION<") is layout, not action: it
        # never makes a shot (it still counts towards the page length).
        if isinstance(element, Action):
            current = _BeatDraft(line=element.line, action=element.text)
            drafts.append(current)
        elif isinstance(element, Character):
            speaker = (element.name, element_name(element.name))
            if current is None:
                current = _BeatDraft(line=element.line)
                drafts.append(current)
        elif isinstance(element, Dialogue | Lyric):
            if isinstance(element, Lyric) and not element.in_dialogue:
                who = ("", "")
            else:
                who = speaker
            if current is None:
                current = _BeatDraft(line=element.line)
                drafts.append(current)
            text = " ".join(element.text.split())
            if isinstance(element, Lyric):
                text = f"♪ {text} ♪"
            current.dialogue.append((who[0], who[1], text))
    if not drafts:
        drafts.append(_BeatDraft(line=heading.line))
    return drafts


def breakdown(
    script: Script,
    *,
    fps: int | float | Fraction | str = 24,
    location_mentions: bool = False,
) -> Breakdown:
    """Break ``script`` down into scenes, beats and elements.

    ``fps`` sets the unit of ``Beat.estimated_frames`` (24, ``Fraction(24000, 1001)``, "23.976"
    as a string is read exactly). With ``location_mentions`` the setting names the location as
    an element mention (``EXT. @Pier, night.``) instead of in words (``EXT. pier, night.``).
    Scenes without ``#n#`` numbers are numbered 1..N around the ones that have them (see
    :func:`~previz.screenplay.numbering.assign_scene_numbers`); the same number used twice in
    the script raises :class:`ScreenplayError`.
    """
    rate = _to_fps(fps)
    preamble, chunks = _scene_chunks(script.elements)
    warnings: list[str] = []
    skipped = [e for e in preamble if isinstance(e, Action | Dialogue | Lyric)]
    if skipped:
        message = (
            f"lines {skipped[0].line}-{skipped[-1].line}: {len(skipped)} paragraph(s) before the "
            "first scene heading are not part of any scene and were not imported"
        )
        warnings.append(message)
        log.warning(message)

    # Scene numbers: kept from the script where given, else assigned.
    try:
        numbers = assign_scene_numbers([h.scene_number for h, _ in chunks])
    except ScreenplayError as exc:
        raise ScreenplayError(f"{exc} (scene numbers written in the script as #n#)") from exc

    # Speaking characters, in order of first appearance.
    characters: dict[str, ElementSpec] = {}
    display_to_element: dict[str, str] = {}
    for index, (_heading, body) in enumerate(chunks):
        for element in body:
            if isinstance(element, Character):
                name = element_name(element.name)
                display_to_element[" ".join(element.name.split())] = name
                if name not in characters:
                    characters[name] = ElementSpec(
                        kind="character",
                        name=name,
                        display_name=element.name,
                        description=_human(element.name),
                        first_scene=numbers[index],
                    )
    mentions = _Mentions(display_to_element)

    locations: dict[str, ElementSpec] = {}
    location_kinds: dict[str, list[str]] = {}
    scenes: list[SceneBreakdown] = []
    for (heading, body), number in zip(chunks, numbers, strict=True):
        location_element = ""
        if heading.int_ext and heading.location:
            location_element = element_name(heading.location)
            if location_element in characters:
                location_element += "Location"
            kinds = location_kinds.setdefault(location_element, [])
            if heading.int_ext not in kinds:
                kinds.append(heading.int_ext)
            if location_element not in locations:
                locations[location_element] = ElementSpec(
                    kind="location",
                    name=location_element,
                    display_name=heading.location,
                    description=_human(heading.location),
                    first_scene=number,
                )
        setting = scene_setting(
            heading.int_ext,
            heading.location,
            heading.time_of_day,
            location_element=location_element if location_mentions else "",
        )
        beats: list[Beat] = []
        scene_characters: list[str] = []
        for ordinal, draft in enumerate(_beat_drafts(heading, body), start=1):
            action = " ".join(draft.action.split())
            action_prompt, mentioned = mentions.apply(action)
            speakers: list[str] = []
            for _who, element, _text in draft.dialogue:
                if element and element not in speakers:
                    speakers.append(element)
            beat_characters = speakers + [m for m in mentioned if m not in speakers]
            for name in beat_characters:
                if name not in scene_characters:
                    scene_characters.append(name)
            body_text = action_prompt if action else _talk(speakers)
            prompt = f"{setting} {body_text}".strip()
            dialogue = tuple((who, text) for who, _element, text in draft.dialogue)
            caption = "\n".join(f"{who}: {text}" if who else text for who, text in dialogue)
            seconds = (
                len(action.split()) / ACTION_WORDS_PER_SECOND
                + sum(len(text.split()) for _who, text in dialogue) / DIALOGUE_WORDS_PER_SECOND
            )
            frames = round(Fraction(max(seconds, MIN_BEAT_SECONDS)).limit_denominator(1000) * rate)
            beats.append(
                Beat(
                    ordinal=ordinal,
                    action_text=action,
                    dialogue=dialogue,
                    caption=caption,
                    characters=tuple(beat_characters),
                    prompt=prompt,
                    estimated_frames=max(1, frames),
                    source_key=source_key(action, dialogue),
                    line=draft.line,
                )
            )
        lines = _printed_lines(heading) + sum(_printed_lines(e) for e in body)
        scenes.append(
            SceneBreakdown(
                number=number,
                heading=heading.text,
                name=f"{number} {heading.text}",
                int_ext=heading.int_ext,
                location=heading.location,
                time_of_day=heading.time_of_day,
                page_eighths=_eighths(lines),
                beats=tuple(beats),
                line=heading.line,
                forced=heading.forced,
                numbered_in_script=heading.scene_number is not None,
                location_element=location_element,
                characters=tuple(scene_characters),
            )
        )

    # A location seen both inside and out says so in its description.
    location_specs = tuple(
        ElementSpec(
            kind=spec.kind,
            name=spec.name,
            display_name=spec.display_name,
            description=f"{spec.description} ({_place_kind(location_kinds[spec.name])})",
            first_scene=spec.first_scene,
        )
        for spec in locations.values()
    )
    return Breakdown(
        title=script.title,
        fps=rate,
        scenes=tuple(scenes),
        characters=tuple(characters.values()),
        locations=location_specs,
        warnings=tuple(warnings),
    )


def _place_kind(kinds: list[str]) -> str:
    words = {"INT": "interior", "EXT": "exterior", "INT/EXT": "interior and exterior"}
    words["EST"] = "establishing"
    named = []
    for kind in kinds:
        for word in words[kind].split(" and "):
            if word not in named:
                named.append(word)
    return " and ".join(named)
