"""An inpaint's prompt read against the shot it edits (engine.backends.animatic.edits): what
a person typing "a blue car" or "remove the man" into the Inpaint box means."""

from __future__ import annotations

import pytest

from engine.backends.animatic.edits import edited_labels, edited_prompt, names_whole_shot

SOURCE = "WIDE, dusk, a red car parked on a harbour street, a man walks left, rain"
PIER = "WIDE, dusk, Captain walks along a rain-soaked pier, slow dolly in"


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        ("a blue car", "WIDE, dusk, a blue car parked on a harbour street, a man walks left, rain"),
        ("remove the man", "WIDE, dusk, a red car parked on a harbour street, rain"),
        ("no people", "WIDE, dusk, a red car parked on a harbour street, rain"),
        ("an empty street", "WIDE, dusk, a red car parked on a harbour street, rain"),
        ("without the car", "WIDE, dusk, parked on a harbour street, a man walks left, rain"),
        ("a lamp post", SOURCE + ", a lamp post"),
        ("remove the boat", SOURCE),  # nothing of the kind: nothing goes
        # a whole shot prompt is taken as it is
        ("MCU, night, a woman in the rain", "MCU, night, a woman in the rain"),
    ],
)
def test_an_edit_applies_to_the_source_prompt(edit: str, expected: str) -> None:
    assert edited_prompt(SOURCE, edit) == expected


def test_removing_a_character_keeps_where_the_shot_is_and_drops_their_label() -> None:
    for edit in ("remove the captain", "nobody", "an empty rain-soaked pier"):
        merged = edited_prompt(PIER, edit, ("Captain",))
        assert "pier" in merged and "dusk" in merged and "captain" not in merged.lower()
        assert edited_labels(merged, ("Captain",)) == ()
    assert edited_labels(PIER, ("Captain",)) == ("Captain",)


def test_what_counts_as_a_whole_shot() -> None:
    assert names_whole_shot("WIDE, a red car")
    assert names_whole_shot("a car at night")
    assert names_whole_shot("INT. kitchen")
    assert not names_whole_shot("a blue car in the street")
    assert not names_whole_shot("remove the man")
