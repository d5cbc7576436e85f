"""A Fountain screenplay parser (https://fountain.io/syntax) producing immutable, typed elements.

Written by hand because no package on PyPI was both maintained and complete for what the
breakdown needs (scene heading parts, source line numbers, notes that never leak into text), and
``previz.screenplay`` keeps to the standard library.

What it does, in order:

1. Line endings (CRLF, CR) become LF; a leading byte order mark is dropped.
2. Boneyard ``/* ... */`` (may span lines and blank lines) and notes ``[[ ... ]]`` (may span lines
   but not an empty line) are cut out. An unclosed boneyard runs to the end of the file and an
   unclosed note to the end of its paragraph, so their text can never reach the output. A line
   that held nothing but removed text disappears (it does not split a paragraph in two).
   Line numbers stay those of the source file.
3. A title page (``Key: value`` lines up to the first blank line, values continued on lines
   indented by a tab or three spaces) is read when the file starts with one.
4. The body is read line by line with the context rules of the spec (blank line before a scene
   heading, character cue followed by dialogue, ...). Emphasis markers ``*``, ``**``, ``***`` and
   ``_`` are removed from text (``\\*`` and ``\\_`` stay as literal characters).

Deliberate choices beyond the letter of the spec (the same as fountain.js, Highland and others):
``FADE OUT.``, ``FADE TO BLACK.``, ``CUT TO BLACK.`` and ``FADE IN:`` are transitions; a character
cue holds only letters, digits, spaces and ``. ' ’ - & # / ,`` (so ``BOOM!`` followed by a line is
action, not a character); a two-space line is a deliberate blank inside dialogue and action and
an ordinary blank elsewhere.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from previz.screenplay.errors import ScreenplayError

log = logging.getLogger(__name__)

__all__ = [
    "Action",
    "Centered",
    "Character",
    "Dialogue",
    "Element",
    "Lyric",
    "PageBreak",
    "Parenthetical",
    "Script",
    "SceneHeading",
    "Section",
    "Synopsis",
    "Transition",
    "parse",
    "parse_file",
    "parse_heading",
    "strip_emphasis",
]


# --------------------------------------------------------------------------------------------
# Elements


@dataclass(frozen=True, kw_only=True, slots=True)
class Element:
    """One screenplay element. ``line`` is its first line in the source file, counted from 1."""

    text: str
    line: int


@dataclass(frozen=True, kw_only=True, slots=True)
class SceneHeading(Element):
    """``INT. TEO'S TRUCK - NIGHT #4A#``: ``text`` is the heading without the number or the
    forcing period; ``int_ext`` is "INT", "EXT", "INT/EXT", "EST" or "" (a forced heading
    without a prefix, such as ``.SNIPER SCOPE POV``)."""

    int_ext: str
    location: str
    time_of_day: str
    scene_number: str | None = None
    forced: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class Action(Element):
    forced: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class Character(Element):
    """A character cue. ``name`` has no extension (``DR. JEKYLL``); ``extension`` is the
    parenthesised suffix as written, e.g. ``(V.O.)`` or ``(O.S.) (CONT'D)``; ``dual`` is True
    on the cue marked with ``^`` (the right-hand side of dual dialogue)."""

    name: str
    extension: str = ""
    dual: bool = False
    forced: bool = False

    @property
    def extensions(self) -> tuple[str, ...]:
        """The extensions without parentheses: ``("O.S.", "CONT'D")``."""
        return tuple(e.strip() for e in re.findall(r"\(([^)]*)\)", self.extension))


@dataclass(frozen=True, kw_only=True, slots=True)
class Dialogue(Element):
    """Consecutive dialogue lines of one speech; lines are joined with newlines."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Parenthetical(Element):
    """``(beat)``, kept with its parentheses."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Lyric(Element):
    """A ``~`` line; ``in_dialogue`` when it is sung inside a character's dialogue block."""

    in_dialogue: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class Transition(Element):
    forced: bool = False


@dataclass(frozen=True, kw_only=True, slots=True)
class Centered(Element):
    """``>THE END<``; consecutive centered lines form one element joined with newlines."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Section(Element):
    level: int


@dataclass(frozen=True, kw_only=True, slots=True)
class Synopsis(Element):
    pass


@dataclass(frozen=True, kw_only=True, slots=True)
class PageBreak(Element):
    pass


@dataclass(frozen=True)
class Script:
    """A parsed screenplay: the title page (keys as written, values with emphasis removed and
    continuation lines joined by newlines) and the body elements in order."""

    title_page: dict[str, str] = field(default_factory=dict, hash=False)
    elements: tuple[Element, ...] = ()

    @property
    def title(self) -> str:
        """The first line of the ``Title`` entry (any case), or ""."""
        for key, value in self.title_page.items():
            if key.strip().lower() == "title":
                return value.split("\n", 1)[0].strip()
        return ""

    @property
    def scene_headings(self) -> tuple[SceneHeading, ...]:
        return tuple(e for e in self.elements if isinstance(e, SceneHeading))


# --------------------------------------------------------------------------------------------
# Text helpers

_ESCAPE_RE = re.compile(r"\\([*_\\])")
_ESCAPE_MAP = {"*": "\x01", "_": "\x02", "\\": "\x03"}
_UNESCAPE = str.maketrans({"\x01": "*", "\x02": "_", "\x03": "\\"})
_EMPHASIS_RES = (
    re.compile(r"\*\*\*(?=\S)(.+?)(?<=\S)\*\*\*"),
    re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*"),
    re.compile(r"\*(?=\S)(.+?)(?<=\S)\*"),
    re.compile(r"(?<!\w)_(?=\S)(.+?)(?<=\S)_(?!\w)"),
)


def strip_emphasis(text: str) -> str:
    """Remove Fountain emphasis (``***``, ``**``, ``*``, ``_``) from one line of text; an escaped
    ``\\*`` or ``\\_`` becomes the plain character."""
    if "\\" in text:
        text = _ESCAPE_RE.sub(lambda m: _ESCAPE_MAP[m.group(1)], text)
    if "*" in text or "_" in text:
        for regex in _EMPHASIS_RES:
            previous = None
            while previous != text:  # nested or adjacent spans of the same kind
                previous = text
                text = regex.sub(r"\1", text)
    return text.translate(_UNESCAPE)


_BONEYARD_RE = re.compile(r"/\*.*?(?:\*/|\Z)", re.S)
# A note may span lines, but not an empty line (a two-space line does not break it). An
# unclosed note ends where its paragraph ends.
_NOTE_RE = re.compile(
    r"\[\[(?:[^\]\n]|\](?!\])|\n(?![ \t]?(?:\n|\Z)))*?(?:\]\]|(?=\n[ \t]?(?:\n|\Z))|\Z)"
)
_CUT = "\x00"


def _cut_spans(text: str, regex: re.Pattern[str], closer: str, unclosed: str) -> str:
    """Replace each match by a marker on every line it touched, keeping the line count."""

    def repl(m: re.Match[str]) -> str:
        if not m.group().endswith(closer):
            line = text.count("\n", 0, m.start()) + 1
            log.warning("line %d: %s", line, unclosed)
        return _CUT + ("\n" + _CUT) * m.group().count("\n")

    return regex.sub(repl, text)


# --------------------------------------------------------------------------------------------
# Scene headings

_HEADING_PREFIX_RE = re.compile(
    r"^(INT\.?\s*/\s*EXT|EXT\.?\s*/\s*INT|I\s*/\s*E|E\s*/\s*I|INT|EXT|EST)(?:\.|\s)\s*", re.I
)
_SCENE_NUMBER_RE = re.compile(r"\s*#([\w.\-]+)#\s*$")
_TIME_SEPARATOR_RE = re.compile(r"\s+(?:-{1,2}|–|—)\s+")
_TIME_WORDS = frozenset(
    """DAY NIGHT MORNING AFTERNOON EVENING DUSK DAWN PREDAWN PRE-DAWN SUNRISE SUNSET NOON MIDDAY
    MIDNIGHT TWILIGHT LATER CONTINUOUS CONTINUED CONT'D SAME MOMENT MOMENTS MINUTE MINUTES HOUR
    HOURS DAYS WEEKS MONTHS YEARS SECOND SECONDS NEXT MAGIC LATE EARLY""".split()
)


def _int_ext(prefix: str) -> str:
    p = re.sub(r"[\s.]", "", prefix.upper())
    if "/" in p:
        return "INT/EXT"
    return p


def parse_heading(text: str) -> tuple[str, str, str]:
    """Split a scene heading (without number or forcing period) into ``(int_ext, location,
    time_of_day)``.

    The time of day follows the last `` - `` (or `` -- ``, en or em dash); without one, a last
    comma-separated part that names a time (``DAY``, ``A MOMENT LATER``, ``SAME TIME``, ...) is
    taken. ``int_ext`` is "" when the heading has no INT/EXT/EST/I/E prefix.
    """
    text = text.strip()
    m = _HEADING_PREFIX_RE.match(text)
    if m:
        int_ext = _int_ext(m.group(1))
        rest = text[m.end() :].strip()
    else:
        int_ext, rest = "", text
    parts = _TIME_SEPARATOR_RE.split(rest)
    if len(parts) > 1:
        return int_ext, " - ".join(p.strip() for p in parts[:-1]).strip(), parts[-1].strip()
    if "," in rest:
        head, _, tail = rest.rpartition(",")
        words = re.findall(r"[\w'’-]+", tail.upper())
        if head.strip() and any(w in _TIME_WORDS for w in words):
            return int_ext, head.strip(), tail.strip()
    return int_ext, rest.strip(" ,"), ""


# --------------------------------------------------------------------------------------------
# Line classification helpers

_TITLE_KEY_RE = re.compile(r"^([^\s:][^:]{0,40}?)\s*:(.*)$")
_TITLE_CONTINUATION_RE = re.compile(r"^(?:\t| {3,})\s*\S")
_PAGE_BREAK_RE = re.compile(r"^={3,}$")
_CENTERED_RE = re.compile(r"^>\s*(.*?)\s*<$")
_STANDARD_TRANSITIONS = frozenset({"FADE OUT.", "FADE TO BLACK.", "CUT TO BLACK.", "FADE IN:"})
_CHARACTER_NAME_RE = re.compile(r"^[^\W_](?:[\w .'’\-&#/,]*[\w.'’])?$")
_CUE_RE = re.compile(r"^(.*?)\s*((?:\([^()]*\)\s*)*)$")


def _is_transition(s: str) -> bool:
    return (
        s == s.upper()
        and any(c.isupper() for c in s)
        and (s.endswith("TO:") or s in _STANDARD_TRANSITIONS)
    )


def _character_cue(s: str) -> tuple[str, str, bool, bool] | None:
    """``(name, extension, dual, forced)`` when ``s`` can be a character cue."""
    forced = s.startswith("@")
    body = s[1:].strip() if forced else s
    dual = body.endswith("^")
    if dual:
        body = body[:-1].rstrip()
    m = _CUE_RE.match(body)
    if not m:  # pragma: no cover - the pattern matches any string
        return None
    name = strip_emphasis(m.group(1)).strip()
    extension = " ".join(m.group(2).split())
    if not name:
        return None
    if not forced:
        if name != name.upper() or not any(c.isupper() for c in name):
            return None
        if not _CHARACTER_NAME_RE.match(name):
            return None
    return name, extension, dual, forced


@dataclass(frozen=True, slots=True)
class _Line:
    number: int  # 1-based line in the source
    raw: str  # without the newline; tabs kept
    text: str  # stripped

    @property
    def blank(self) -> bool:
        """Empty or whitespace only, except the deliberate two-space line."""
        return not self.text and not self.twospace

    @property
    def twospace(self) -> bool:
        return not self.text and len(self.raw) >= 2 and self.raw.strip(" ") == ""


def _prepare_lines(source: str) -> list[_Line]:
    text = source.lstrip("\ufeff").replace("\x00", "")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "/*" in text:
        text = _cut_spans(
            text,
            _BONEYARD_RE,
            "*/",
            "boneyard '/*' is not closed; the rest of the file is left out",
        )
    if "[[" in text:
        text = _cut_spans(
            text, _NOTE_RE, "]]", "note '[[' is not closed; the rest of its paragraph is left out"
        )
    lines: list[_Line] = []
    for number, raw in enumerate(text.split("\n"), start=1):
        if _CUT in raw:
            raw = raw.replace(_CUT, "")
            if not raw.strip():
                continue  # held only a note or boneyard: gone, not a blank line
        raw = raw.rstrip("\t") if raw.strip() == "" else raw.rstrip()
        lines.append(_Line(number, raw, raw.strip()))
    return lines


# --------------------------------------------------------------------------------------------
# Parser


def _read_title_page(lines: list[_Line]) -> tuple[dict[str, str], int]:
    """The title page and the index of the first body line (0 when there is no title page)."""
    start = 0
    while start < len(lines) and lines[start].blank:
        start += 1
    if start == len(lines):
        return {}, 0
    first = lines[start].text
    m = _TITLE_KEY_RE.match(lines[start].raw)
    if not m or _is_transition(first) or _HEADING_PREFIX_RE.match(first):
        return {}, 0
    entries: list[tuple[str, list[str]]] = []
    end = start
    while end < len(lines) and not lines[end].blank:
        line = lines[end]
        if _TITLE_CONTINUATION_RE.match(line.raw) and entries:
            entries[-1][1].append(strip_emphasis(line.text))
        else:
            km = _TITLE_KEY_RE.match(line.raw)
            if not km:
                return {}, 0  # not a title page after all: parse everything as the body
            value = km.group(2).strip()
            entries.append((km.group(1).strip(), [strip_emphasis(value)] if value else []))
        end += 1
    page: dict[str, str] = {}
    for key, values in entries:
        value = "\n".join(values)
        page[key] = f"{page[key]}\n{value}" if key in page and value else value or page.get(key, "")
    return page, end


class _Parser:
    def __init__(self, lines: list[_Line], start: int) -> None:
        self.lines = lines
        self.i = start
        self.out: list[Element] = []
        self.para_start = True  # the current line may begin a paragraph

    def _blank_at(self, j: int) -> bool:
        return j >= len(self.lines) or self.lines[j].blank or self.lines[j].twospace

    def run(self) -> tuple[Element, ...]:
        lines = self.lines
        while self.i < len(lines):
            line = lines[self.i]
            if line.blank or line.twospace:
                self.para_start = True
                self.i += 1
                continue
            self._element(line)
        return tuple(self.out)

    def _element(self, line: _Line) -> None:
        s = line.text
        out = self.out
        if _PAGE_BREAK_RE.match(s):
            out.append(PageBreak(text="===", line=line.number))
            self._next(boundary=True)
        elif s.startswith("#"):
            level = len(s) - len(s.lstrip("#"))
            title = s.lstrip("#").strip().rstrip("#").strip()
            out.append(Section(text=strip_emphasis(title), line=line.number, level=level))
            self._next(boundary=True)
        elif s.startswith("="):
            out.append(Synopsis(text=strip_emphasis(s[1:].strip()), line=line.number))
            self._next(boundary=True)
        elif _CENTERED_RE.match(s):
            self._centered()
        elif s.startswith(">"):
            out.append(
                Transition(text=strip_emphasis(s[1:].strip()), line=line.number, forced=True)
            )
            self._next(boundary=True)
        elif s.startswith("~"):
            out.append(Lyric(text=strip_emphasis(s[1:].strip()), line=line.number))
            self._next(boundary=False)
        elif self.para_start and s.startswith(".") and len(s) > 1 and s[1] not in ". \t":
            self._heading(line, s[1:], forced=True)
        elif (
            self.para_start
            and _HEADING_PREFIX_RE.match(s)
            and (self._blank_at(self.i + 1) or self.lines[self.i + 1].text.startswith("="))
        ):
            self._heading(line, s, forced=False)
        elif self.para_start and self._blank_at(self.i + 1) and _is_transition(s):
            out.append(Transition(text=strip_emphasis(s), line=line.number))
            self._next(boundary=True)
        elif (
            self.para_start
            and self.i + 1 < len(self.lines)
            and not self.lines[self.i + 1].blank
            and (cue := _character_cue(s)) is not None
        ):
            self._dialogue_block(line, cue)
        else:
            self._action()

    def _next(self, *, boundary: bool) -> None:
        self.i += 1
        self.para_start = boundary

    def _heading(self, line: _Line, body: str, *, forced: bool) -> None:
        number = None
        m = _SCENE_NUMBER_RE.search(body)
        if m:
            number = m.group(1)
            body = body[: m.start()]
        text = strip_emphasis(body.strip())
        int_ext, location, time_of_day = parse_heading(text)
        self.out.append(
            SceneHeading(
                text=text,
                line=line.number,
                int_ext=int_ext,
                location=location,
                time_of_day=time_of_day,
                scene_number=number,
                forced=forced,
            )
        )
        self._next(boundary=True)

    def _centered(self) -> None:
        first = self.lines[self.i]
        texts: list[str] = []
        while self.i < len(self.lines):
            m = _CENTERED_RE.match(self.lines[self.i].text)
            if not m:
                break
            texts.append(strip_emphasis(m.group(1)))
            self.i += 1
        self.out.append(Centered(text="\n".join(texts), line=first.number))
        self.para_start = False

    def _dialogue_block(self, cue_line: _Line, cue: tuple[str, str, bool, bool]) -> None:
        name, extension, dual, forced = cue
        out = self.out
        out.append(
            Character(
                text=cue_line.text.lstrip("@").rstrip("^").strip(),
                line=cue_line.number,
                name=name,
                extension=extension,
                dual=dual,
                forced=forced,
            )
        )
        self.i += 1
        speech: list[str] = []
        speech_line = 0

        def flush() -> None:
            nonlocal speech
            while speech and not speech[-1]:
                speech.pop()
            if speech:
                out.append(Dialogue(text="\n".join(speech), line=speech_line))
            speech = []

        lines = self.lines
        while self.i < len(lines) and not lines[self.i].blank:
            line = lines[self.i]
            s = line.text
            if line.twospace:
                if speech:
                    speech.append("")
                self.i += 1
            elif s.startswith("("):
                flush()
                parts = [s]
                start = line.number
                self.i += 1
                while not parts[-1].endswith(")") and self.i < len(lines):
                    nxt = lines[self.i]
                    if nxt.blank or nxt.twospace:
                        break
                    parts.append(nxt.text)
                    self.i += 1
                out.append(Parenthetical(text=strip_emphasis(" ".join(parts)), line=start))
            elif s.startswith("~"):
                flush()
                out.append(
                    Lyric(text=strip_emphasis(s[1:].strip()), line=line.number, in_dialogue=True)
                )
                self.i += 1
            else:
                if not speech:
                    speech_line = line.number
                speech.append(strip_emphasis(s))
                self.i += 1
        flush()
        self.para_start = False

    def _action(self) -> None:
        lines = self.lines
        first = lines[self.i]
        forced = first.text.startswith("!")
        texts: list[str] = []
        while self.i < len(lines):
            line = lines[self.i]
            if line.blank:
                break
            s = line.text
            if texts and (_PAGE_BREAK_RE.match(s) or _CENTERED_RE.match(s) or s.startswith("~")):
                break
            if line.twospace:
                texts.append("")
            else:
                raw = line.raw.expandtabs(4)
                if raw.lstrip().startswith("!"):
                    indent = len(raw) - len(raw.lstrip())
                    raw = raw[:indent] + raw.lstrip()[1:]
                texts.append(strip_emphasis(raw.rstrip()))
            self.i += 1
        while texts and not texts[-1].strip():
            texts.pop()
        if texts:
            self.out.append(Action(text="\n".join(texts), line=first.number, forced=forced))
        self.para_start = False


def parse(source: str) -> Script:
    """Parse Fountain text into a :class:`Script`."""
    lines = _prepare_lines(source)
    title_page, start = _read_title_page(lines)
    elements = _Parser(lines, start).run()
    return Script(title_page=title_page, elements=elements)


def parse_file(path: str | Path) -> Script:
    """Read a ``.fountain`` file (UTF-8, with or without a byte order mark) and parse it."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ScreenplayError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ScreenplayError(
            f"{path} is not UTF-8 text (line {line}); save it as UTF-8 from your screenwriting "
            "app and import it again"
        ) from exc
    return parse(text)
