"""A region edit's prompt read against the shot it edits.

An inpaint's prompt usually says only what goes inside the mask: "a blue car", "remove the
man", "no people", "a woman in a yellow raincoat". Rendered on its own, such a prompt is
another scene (the animatic's default plaza at noon) and the region would show a patch of it.
`edited_prompt` applies it to the source's prompt instead, the way a person reads it:

- a prompt that describes a whole shot (it names a shot size, a time of day, or an interior
  or exterior) replaces the source's prompt as it is;
- "a blue car": the source's phrase with the same noun ("a red car") becomes the edit's
  phrase; a noun the source does not have is added ("a lamp post");
- "remove the man", "without the car": the source's phrases with that noun go (the whole
  clause for a person and what they do, just the phrase where the clause also says where the
  shot is); "no people", "nobody", "an empty pier": every figure goes.

Everything the edit does not mention (set, light, weather, the other figures and props) stays
as the source's prompt says, so the re-rendered region lines up with the rest of the frame.
"""

from __future__ import annotations

import re

from engine.backends.animatic.grammar import (
    _GROUPS,
    _PERSON,
    _PERSON_PLURAL,
    _match_phrases,
    _normalise,
    _tokenise,
    parse_prompt,
)

__all__ = ["edited_labels", "edited_prompt", "names_whole_shot"]

REMOVE = re.compile(
    r"\b(remove|removed|erase|erased|delete|deleted|no|without|nobody|get rid of|take out|"
    r"lose|empty)\b",
    re.IGNORECASE,
)
_ARTICLES = {"a", "an", "the", "one", "two", "three", "some", "any", "all", "every", "of"}
_SKIP = {"remove", "removed", "erase", "erased", "delete", "deleted", "no", "without", "get",
         "rid", "take", "out", "lose", "empty", "and", "in", "with", "from", "frame", "shot",
         "nobody", "anyone", "anybody", "it", "them", "there", "here"}  # fmt: skip
_CLAUSE = re.compile(r"\s*(?:[,;]|\band\b)\s*")
_WHOLE_SHOT = {"size", "time", "place"}  # what makes a clause say where the shot is
_INT_EXT = re.compile(r"\b(int|ext|interior|exterior)\b", re.IGNORECASE)
_EMPTY = re.compile(r"\b(empty|deserted|nobody|no one|no-one|unoccupied)\b", re.IGNORECASE)


def _categories(text: str) -> set[str]:
    """The grammar categories (size, time, place, ...) a text names."""
    found: set[str] = set()
    for clause in _tokenise(_normalise(text)):
        for _start, _end, cat, _val in _match_phrases(clause):
            found.add(cat)
    return found


def names_whole_shot(prompt: str) -> bool:
    """Whether `prompt` describes a whole shot (it names a shot size, a time of day or INT/EXT)
    rather than only what goes in a region."""
    return bool(_categories(prompt) & {"size", "time"}) or bool(_INT_EXT.search(prompt))


def _is_person(word: str) -> bool:
    return word in _PERSON or word in _PERSON_PLURAL or word in _GROUPS or word == "people"


def _head(clause: str) -> str | None:
    """The noun an addition is about: its first person word, else the word before "in",
    "with", "on", "by"... ("a woman in a yellow coat" -> woman, "a blue car" -> car)."""
    words = re.findall(r"@?[a-z0-9_'-]+", clause.lower())
    for w in words:
        if _is_person(w.lstrip("@")):
            return w.lstrip("@")
    head = None
    for w in words:
        if w in ("in", "with", "on", "by", "at", "near", "under", "wearing", "that", "who"):
            break
        if w not in _ARTICLES:
            head = w.lstrip("@")
    return head


def _phrase(noun: str) -> re.Pattern[str]:
    """A noun phrase of `noun` in a prompt: an article and up to two words before it, or the
    noun alone (with a plural s), "@Name" included."""
    n = re.escape(noun)
    return re.compile(
        rf"(?:\b(?:a|an|the|one|two|three|some)\s+(?:[\w'-]+\s+){{0,2}}?)?@?\b{n}(?:e?s)?\b",
        re.IGNORECASE,
    )


def _clauses(prompt: str) -> list[str]:
    return [c.strip() for c in re.split(r"[,;\n]", prompt) if c.strip()]


def _lower(labels: tuple[str, ...]) -> set[str]:
    return {x.lower() for x in labels}


def _remove(prompt: str, noun: str, *, person: bool) -> str:
    pat = _phrase(noun)
    out = []
    for clause in _clauses(prompt):
        if not pat.search(clause):
            out.append(clause)
            continue
        if person:
            # a figure and what they do go together, unless the clause also says where we are
            if not (_categories(clause) & _WHOLE_SHOT or parse_prompt(clause).location):
                continue
        left = re.sub(r"\s{2,}", " ", pat.sub("", clause)).strip(" ,")
        if left:
            out.append(left)
    return ", ".join(out)


_ANYONE = {"people", "person", "persons", "figure", "figures", "anyone", "everyone", "everybody",
           "nobody", "humans", "pedestrians", "one", "crowd"}  # fmt: skip


def _people_words(clause: str, labels: tuple[str, ...]) -> list[str]:
    """The person words and names a clause of the source uses."""
    names = {x.lower() for x in labels}
    words = re.findall(r"@?[a-z0-9_'-]+", clause.lower())
    return [w.lstrip("@") for w in words if _is_person(w.lstrip("@")) or w.lstrip("@") in names]


def edited_prompt(source: str, edit: str, labels: tuple[str, ...] = ()) -> str:
    """`edit` applied to the `source` shot's prompt (see the module docstring); `labels` are
    the source's element names (its characters)."""
    edit = (edit or "").strip()
    if not edit or not source.strip() or names_whole_shot(edit):
        return edit or source
    out = source.strip()
    for clause in (c for c in _CLAUSE.split(edit) if c and c.strip()):
        clause = clause.strip()
        if REMOVE.search(clause):
            rest = REMOVE.sub(" ", clause)
            head = _head(rest)
            if _EMPTY.search(clause) or head is None or head in _ANYONE:
                # "no people", "an empty pier", "nobody": every figure goes
                for c in _clauses(out):
                    for word in _people_words(c, labels):
                        out = _remove(out, word, person=True)
            elif _phrase(head).search(out):
                out = _remove(out, head, person=_is_person(head) or head in _lower(labels))
            continue
        head = _head(clause)
        pat = _phrase(head) if head else None
        if pat is not None and pat.search(out):
            out = pat.sub(lambda _m, c=clause: c, out, count=1)
        else:
            out = f"{out}, {clause}"
    return out


def edited_labels(prompt: str, labels: tuple[str, ...]) -> tuple[str, ...]:
    """The element names (characters) still in the edited prompt: an edit that removes one
    removes its figure too."""
    low = prompt.lower()
    return tuple(x for x in labels if re.search(rf"@?\b{re.escape(x.lower())}\b", low))
