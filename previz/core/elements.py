"""Elements (characters, locations, props, style presets) and @mentions in prompts.

A prompt mentions an element as ``@Name`` (letters, digits, underscore; case-insensitive). The
mention expands the same way in every shot: characters, locations and props become
``Name (description)`` in place; a style preset is removed from the sentence and its description
is appended, so "@Noir" reads as a look rather than a subject.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from previz.core.errors import InvalidInput

ELEMENT_KINDS = ("character", "location", "prop", "style")
MENTION_RE = re.compile(r"@([A-Za-z0-9_]+)")
NAME_RE = re.compile(r"^[A-Za-z0-9_]{1,64}$")
MAX_DESCRIPTION = 4000


@dataclass(frozen=True)
class ElementSpec:
    name: str
    kind: str
    description: str = ""


def check_element_name(name: str) -> str:
    name = name.strip().lstrip("@")
    if not NAME_RE.match(name):
        raise InvalidInput(
            f"element name {name!r} is not valid; use letters, digits and underscore only "
            "(at most 64), e.g. Captain or Red_Coat"
        )
    return name


def check_element_kind(kind: str) -> str:
    kind = kind.strip().lower()
    if kind == "preset":
        kind = "style"
    if kind not in ELEMENT_KINDS:
        raise InvalidInput(f"element kind {kind!r} is not one of: {', '.join(ELEMENT_KINDS)}")
    return kind


def mentions(prompt: str) -> list[str]:
    """Names mentioned in ``prompt``, in order, without duplicates (original spelling)."""
    seen: dict[str, str] = {}
    for m in MENTION_RE.finditer(prompt):
        seen.setdefault(m.group(1).lower(), m.group(1))
    return list(seen.values())


@dataclass(frozen=True)
class Expansion:
    text: str
    used: tuple[str, ...]  # element names that were expanded
    unknown: tuple[str, ...]  # @mentions with no element (left as written)


def expand_prompt(prompt: str, elements: Mapping[str, ElementSpec]) -> Expansion:
    """Expand @mentions using ``elements`` keyed by lower-case name."""
    used: list[str] = []
    unknown: list[str] = []
    styles: list[str] = []

    def repl(m: re.Match[str]) -> str:
        el = elements.get(m.group(1).lower())
        if el is None:
            if m.group(1) not in unknown:
                unknown.append(m.group(1))
            return m.group(0)
        if el.name not in used:
            used.append(el.name)
        if el.kind == "style":
            if el.description and el.description not in styles:
                styles.append(el.description)
            return ""
        return f"{el.name} ({el.description})" if el.description else el.name

    text = MENTION_RE.sub(repl, prompt)
    text = re.sub(r"\s+([,.;:])", r"\1", re.sub(r"[ \t]{2,}", " ", text)).strip()
    if styles:
        text = (text.rstrip(" ,.;") + ". Style: " + "; ".join(styles)).strip()
    return Expansion(text, tuple(used), tuple(unknown))
