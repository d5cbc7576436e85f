"""The Fountain parser, one syntax element at a time, then combined."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from previz.screenplay import ScreenplayError, parse, parse_file
from previz.screenplay.fountain import (
    Action,
    Centered,
    Character,
    Dialogue,
    Lyric,
    PageBreak,
    Parenthetical,
    SceneHeading,
    Section,
    Synopsis,
    Transition,
    parse_heading,
    strip_emphasis,
)


def kinds(text: str) -> list[str]:
    return [type(e).__name__ for e in parse(text).elements]


def only(text: str, kind: type):
    found = [e for e in parse(text).elements if isinstance(e, kind)]
    assert len(found) == 1, parse(text).elements
    return found[0]


# -- title page --------------------------------------------------------------------------------


def test_title_page_keys_and_indented_multiline_values() -> None:
    script = parse(
        "Title:\n"
        "\t_**BRICK & STEEL**_\n"
        "\t_**FULL RETIRED**_\n"
        "Credit: Written by\n"
        "Author: Stu Maschwitz\n"
        "Contact:\n"
        "    Next Level Productions\n"
        "    1588 Mission Dr.\n"
        "\n"
        "EXT. PATIO - DAY\n"
        "\n"
        "A gorgeous day.\n"
    )
    assert script.title_page == {
        "Title": "BRICK & STEEL\nFULL RETIRED",
        "Credit": "Written by",
        "Author": "Stu Maschwitz",
        "Contact": "Next Level Productions\n1588 Mission Dr.",
    }
    assert script.title == "BRICK & STEEL"
    assert kinds_of(script) == ["SceneHeading", "Action"]


def kinds_of(script) -> list[str]:
    return [type(e).__name__ for e in script.elements]


def test_no_title_page_when_the_script_starts_with_a_transition() -> None:
    script = parse("FADE IN:\n\nINT. HOUSE - DAY\n\nQuiet.\n")
    assert script.title_page == {}
    assert kinds_of(script) == ["Transition", "SceneHeading", "Action"]


def test_a_first_paragraph_that_is_not_all_key_value_is_body_text() -> None:
    script = parse("Note: it rains.\nEverybody is wet.\n\nINT. HOUSE - DAY\n\nDry.\n")
    assert script.title_page == {}
    assert kinds_of(script)[0] == "Action"


# -- scene headings ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "int_ext", "location", "time_of_day"),
    [
        ("INT. KITCHEN - NIGHT", "INT", "KITCHEN", "NIGHT"),
        ("EXT. PIER - DAWN", "EXT", "PIER", "DAWN"),
        ("EST. CITY SKYLINE - DAY", "EST", "CITY SKYLINE", "DAY"),
        ("INT./EXT. CAR - MOVING - DAY", "INT/EXT", "CAR - MOVING", "DAY"),
        ("INT/EXT. TEO'S TRUCK - NIGHT", "INT/EXT", "TEO'S TRUCK", "NIGHT"),
        ("I/E. TEO'S TRUCK - NIGHT", "INT/EXT", "TEO'S TRUCK", "NIGHT"),
        ("INT HALLWAY - CONTINUOUS", "INT", "HALLWAY", "CONTINUOUS"),
        ("int. kitchen - night", "INT", "kitchen", "night"),
        ("EXT. BRIDGE", "EXT", "BRIDGE", ""),
        ("INT. LANDCRUISER, DRIVING -- A BIT LATER", "INT", "LANDCRUISER, DRIVING", "A BIT LATER"),
        ("INT. SAN FRANCISCO APARTMENT, DAY", "INT", "SAN FRANCISCO APARTMENT", "DAY"),
        ("INT. GALLERY, SOUTH OF MARKET", "INT", "GALLERY, SOUTH OF MARKET", ""),
    ],
)
def test_scene_heading_parts(line: str, int_ext: str, location: str, time_of_day: str) -> None:
    heading = only(f"{line}\n\nSomething happens.\n", SceneHeading)
    assert heading.text == line
    assert (heading.int_ext, heading.location, heading.time_of_day) == (
        int_ext,
        location,
        time_of_day,
    )
    assert heading.forced is False
    assert heading.line == 1


def test_forced_scene_heading_with_a_period() -> None:
    heading = only("Before.\n\n.SNIPER SCOPE POV\n\nThe cross-hairs.\n", SceneHeading)
    assert heading.forced is True
    assert heading.text == "SNIPER SCOPE POV"
    assert heading.int_ext == ""
    assert heading.location == "SNIPER SCOPE POV"
    assert heading.line == 3


def test_two_leading_periods_are_not_a_heading() -> None:
    assert kinds("...and then it rained.\n") == ["Action"]


def test_heading_needs_a_blank_line_after_it() -> None:
    assert kinds("INT. is where we begin\nthe story goes on.\n") == ["Action"]


def test_scene_numbers() -> None:
    heading = only("INT. KITCHEN - NIGHT #12A#\n\nQuiet.\n", SceneHeading)
    assert heading.scene_number == "12A"
    assert heading.text == "INT. KITCHEN - NIGHT"
    forced = only(".FLASHBACK #I-1-A#\n\nYoung Anna.\n", SceneHeading)
    assert forced.scene_number == "I-1-A"
    assert forced.text == "FLASHBACK"


def test_parse_heading_without_prefix() -> None:
    assert parse_heading("ROOFTOP - NIGHT") == ("", "ROOFTOP", "NIGHT")


# -- action --------------------------------------------------------------------------------------


def test_action_paragraphs_are_separate_elements_with_their_lines() -> None:
    script = parse("INT. HOUSE - DAY\n\nFirst line\nsecond line.\n\nAnother paragraph.\n")
    actions = [e for e in script.elements if isinstance(e, Action)]
    assert [(a.text, a.line) for a in actions] == [
        ("First line\nsecond line.", 3),
        ("Another paragraph.", 6),
    ]


def test_forced_action_with_an_exclamation_mark() -> None:
    action = only("\n!SCANNING THE AISLES...\nWhere is he?\n", Action)
    assert action.forced is True
    assert action.text == "SCANNING THE AISLES...\nWhere is he?"


def test_all_caps_line_with_punctuation_is_action_not_a_character() -> None:
    assert kinds("BOOM!\nThe house explodes.\n") == ["Action"]


def test_action_keeps_indentation_and_expands_tabs() -> None:
    action = only("\tScott --\n          Jacob Billups\n", Action)
    assert action.text == "    Scott --\n          Jacob Billups"


# -- characters and dialogue -----------------------------------------------------------------


def test_character_and_dialogue() -> None:
    script = parse("\nCAPTAIN\nWe sail at dawn.\nAll of us.\n")
    character, dialogue = script.elements
    assert isinstance(character, Character)
    assert (character.name, character.extension, character.dual) == ("CAPTAIN", "", False)
    assert isinstance(dialogue, Dialogue)
    assert dialogue.text == "We sail at dawn.\nAll of us."
    assert (character.line, dialogue.line) == (2, 3)


@pytest.mark.parametrize(
    ("cue", "name", "extension"),
    [
        ("DR. JEKYLL (V.O.)", "DR. JEKYLL", "(V.O.)"),
        ("MRS. O'HARA (O.S.)", "MRS. O'HARA", "(O.S.)"),
        ("STEEL (CONT'D)", "STEEL", "(CONT'D)"),
        ("HANS (on the radio)", "HANS", "(on the radio)"),
        ("THE BOSS (O.S.) (CONT'D)", "THE BOSS", "(O.S.) (CONT'D)"),
        ("R2D2", "R2D2", ""),
    ],
)
def test_character_extensions(cue: str, name: str, extension: str) -> None:
    character = only(f"\n{cue}\nBeep.\n", Character)
    assert (character.name, character.extension) == (name, extension)


def test_character_extensions_list() -> None:
    character = only("\nTHE BOSS (O.S.) (CONT'D)\nYes?\n", Character)
    assert character.extensions == ("O.S.", "CONT'D")


def test_forced_character_with_at_sign() -> None:
    character = only("\n@McCLANE\nYippee ki-yay.\n", Character)
    assert character.name == "McCLANE"
    assert character.forced is True
    assert kinds("\n@McCLANE\nYippee ki-yay.\n") == ["Character", "Dialogue"]


def test_caps_line_followed_by_blank_is_not_a_character() -> None:
    assert kinds("\nSTEEL\n\nThe man walks.\n") == ["Action", "Action"]


def test_parenthetical() -> None:
    script = parse("\nSTEEL\n(beer raised)\nTo retirement.\n(beat)\nAgain.\n")
    assert kinds_of(script) == [
        "Character",
        "Parenthetical",
        "Dialogue",
        "Parenthetical",
        "Dialogue",
    ]
    assert script.elements[1].text == "(beer raised)"
    assert script.elements[3].line == 5


def test_parenthetical_over_two_lines() -> None:
    script = parse("\nJACK\n(in Vietnamese,\nsubtitled)\nDid you know?\n")
    assert kinds_of(script) == ["Character", "Parenthetical", "Dialogue"]
    assert script.elements[1].text == "(in Vietnamese, subtitled)"


def test_dual_dialogue_caret() -> None:
    script = parse("\nSTEEL\nScrew retirement.\n\nBRICK ^\nScrew retirement.\n")
    cues = [e for e in script.elements if isinstance(e, Character)]
    assert [(c.name, c.dual) for c in cues] == [("STEEL", False), ("BRICK", True)]
    assert cues[1].text == "BRICK"


def test_two_space_line_is_a_blank_inside_dialogue() -> None:
    script = parse("\nDEALER\nTen.\n  \nTwenty.\n\nThe end.\n")
    assert kinds_of(script) == ["Character", "Dialogue", "Action"]
    assert script.elements[1].text == "Ten.\n\nTwenty."


def test_indented_cue_and_dialogue_are_read_without_indentation() -> None:
    script = parse("\n\t\t\tDAN\n\tThen let's retire them.\n\t_Permanently_.\n")
    assert kinds_of(script) == ["Character", "Dialogue"]
    assert script.elements[1].text == "Then let's retire them.\nPermanently."


# -- lyrics, transitions, centered, sections, synopses, page breaks -------------------------


def test_lyrics() -> None:
    script = parse("~Willy Wonka! Willy Wonka!\n\nWONKA\n~The amazing chocolatier!\n")
    lyrics = [e for e in script.elements if isinstance(e, Lyric)]
    assert [(ly.text, ly.in_dialogue) for ly in lyrics] == [
        ("Willy Wonka! Willy Wonka!", False),
        ("The amazing chocolatier!", True),
    ]


def test_transition_ending_in_to() -> None:
    script = parse("Steel turns.\n\nSMASH CUT TO:\n\nEXT. SHACK - DAY\n\nBang.\n")
    assert kinds_of(script) == ["Action", "Transition", "SceneHeading", "Action"]
    transition = script.elements[1]
    assert (transition.text, transition.forced, transition.line) == ("SMASH CUT TO:", False, 3)


def test_indented_transition() -> None:
    assert kinds("Mercifully we...\n\n\t\t\t\tCUT TO:\n\nEXT. POOL - DAY\n\nSplash.\n")[1] == (
        "Transition"
    )


def test_standard_transitions_without_to() -> None:
    assert kinds("He cleans the gun.\n\nFADE OUT.\n") == ["Action", "Transition"]


def test_forced_transition() -> None:
    transition = only("Beer flies.\n\n> BURN TO PINK.\n", Transition)
    assert (transition.text, transition.forced) == ("BURN TO PINK.", True)


def test_centered_text() -> None:
    script = parse("> BRICK BRADDOCK <\n> & DICK STEEL IN <\n\n>THE END<\n")
    centered = [e for e in script.elements if isinstance(e, Centered)]
    assert [(c.text, c.line) for c in centered] == [
        ("BRICK BRADDOCK\n& DICK STEEL IN", 1),
        ("THE END", 4),
    ]


def test_sections_with_levels() -> None:
    script = parse("# ACT I\n\n## Meet Scott\n\n### Scott's Flat ###\n")
    sections = [e for e in script.elements if isinstance(e, Section)]
    assert [(s.text, s.level) for s in sections] == [
        ("ACT I", 1),
        ("Meet Scott", 2),
        ("Scott's Flat", 3),
    ]


def test_synopsis() -> None:
    synopsis = only("# ACT I\n= Two hit men with very different lives.\n", Synopsis)
    assert synopsis.text == "Two hit men with very different lives."
    assert synopsis.line == 2


def test_page_break() -> None:
    script = parse("The end of page one.\n\n===\n\nThe start of page two.\n")
    assert kinds_of(script) == ["Action", "PageBreak", "Action"]
    assert isinstance(script.elements[1], PageBreak)
    assert script.elements[1].line == 3


# -- notes, boneyard, emphasis ---------------------------------------------------------------


def test_inline_note_is_removed() -> None:
    action = only("Anna waits. [[check the lens]] She sighs.\n", Action)
    assert action.text == "Anna waits.  She sighs."


def test_multiline_note_is_removed_and_lines_keep_their_numbers() -> None:
    script = parse(
        "INT. HOUSE - DAY\n\nAnna waits. [[a note that\nspans two lines]]\n\nBob enters.\n"
    )
    actions = [e for e in script.elements if isinstance(e, Action)]
    assert [(a.text, a.line) for a in actions] == [("Anna waits.", 3), ("Bob enters.", 6)]


def test_note_on_its_own_line_does_not_split_a_paragraph() -> None:
    action = only("Line one.\n[[secret]]\nLine two.\n", Action)
    assert action.text == "Line one.\nLine two."


def test_note_does_not_span_an_empty_line() -> None:
    script = parse("Text [[not closed\n\nNext paragraph. [[real note]] ok\n")
    assert [e.text for e in script.elements] == ["Text", "Next paragraph.  ok"]


def test_boneyard_over_several_paragraphs_is_removed() -> None:
    script = parse(
        "INT. HOUSE - DAY\n\nKept.\n\n/*\nINT. SECRET SET - NIGHT\n\nSECRET BONEYARD TEXT\n*/\n\n"
        "Also kept.\n"
    )
    assert [e.text for e in script.elements] == ["INT. HOUSE - DAY", "Kept.", "Also kept."]
    assert script.elements[2].line == 11


def test_unclosed_boneyard_hides_the_rest(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        script = parse("Kept.\n\n/* cut from here\n\nSECRET\n")
    assert [e.text for e in script.elements] == ["Kept."]
    assert "line 3" in caplog.text


def test_inline_boneyard() -> None:
    action = only("Anna /* SECRET */waits.\n", Action)
    assert action.text == "Anna waits."


@pytest.mark.parametrize(
    ("text", "plain"),
    [
        ("*italic*", "italic"),
        ("**bold**", "bold"),
        ("***bold italic***", "bold italic"),
        ("_underlined_", "underlined"),
        ("_**BRICK & STEEL**_", "BRICK & STEEL"),
        (
            "_Steel's face FILLS the *Leupold Mark 4* scope_.",
            "Steel's face FILLS the Leupold Mark 4 scope.",
        ),
        (r"Two \*stars\* stay", "Two *stars* stay"),
        ("snake_case_name stays", "snake_case_name stays"),
        ("5 * 3 * 2", "5 * 3 * 2"),
    ],
)
def test_emphasis_is_stripped(text: str, plain: str) -> None:
    assert strip_emphasis(text) == plain


def test_emphasis_is_stripped_from_dialogue_and_headings() -> None:
    script = parse("INT. *DARK* ROOM - NIGHT\n\nJACK\n*Did you know?*\n")
    assert script.elements[0].text == "INT. DARK ROOM - NIGHT"
    assert script.elements[2].text == "Did you know?"


# -- line endings, tabs, unicode -------------------------------------------------------------


def test_crlf_cr_and_mixed_line_endings() -> None:
    text = "INT. HOUSE - DAY\r\n\r\nAnna waits.\r\rBOB\nHello.\r\n"
    script = parse(text)
    assert kinds_of(script) == ["SceneHeading", "Action", "Character", "Dialogue"]
    assert [e.line for e in script.elements] == [1, 3, 5, 6]
    assert all("\r" not in e.text for e in script.elements)


def test_unicode_names_and_text() -> None:
    script = parse("\ufeffEXT. CAFÉ DU MONDE - NUIT\n\nZOË (V.O.)\nÇa va, 東京?\n")
    assert script.elements[0].location == "CAFÉ DU MONDE"
    assert script.elements[1].name == "ZOË"
    assert script.elements[2].text == "Ça va, 東京?"


def test_trailing_spaces_are_ignored() -> None:
    script = parse("INT. HOUSE - DAY   \n\nSTEEL   \nHi.   \n")
    assert kinds_of(script) == ["SceneHeading", "Character", "Dialogue"]
    assert script.elements[0].text == "INT. HOUSE - DAY"
    assert script.elements[2].text == "Hi."


# -- files -----------------------------------------------------------------------------------


def test_parse_file_reads_utf8_with_bom(tmp_path: Path) -> None:
    path = tmp_path / "s.fountain"
    path.write_bytes("\ufeffINT. CAFÉ - DAY\r\n\r\nZoë sits.\r\n".encode())
    script = parse_file(path)
    assert script.elements[0].text == "INT. CAFÉ - DAY"


def test_parse_file_rejects_non_utf8_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "s.fountain"
    path.write_bytes("INT. CAFÉ - DAY\n".encode("cp1252"))
    with pytest.raises(ScreenplayError, match="not UTF-8 text .*line 1.*save it as UTF-8"):
        parse_file(path)


def test_parse_file_missing(tmp_path: Path) -> None:
    with pytest.raises(ScreenplayError, match="cannot read"):
        parse_file(tmp_path / "nope.fountain")


# -- everything together ---------------------------------------------------------------------

COMBINED = """\
Title: The Crossing
Author: A. Writer
Draft date: 2024-05-01

# ACT ONE

= A captain and her crew prepare to leave.

FADE IN:

EXT. PIER - NIGHT #1#

Rain. The CAPTAIN walks along the rain-soaked pier. [[Is it raining enough?]]

CAPTAIN (V.O.)
(quietly)
We sail at dawn.

MRS. O'HARA ^
(calling)
Not without me!

/* An old version:
CAPTAIN
We stay. */

~Row, row, row your boat

CUT TO:

.DECK OF THE SHIP #1A#

!THE ENGINE ROARS.

@McGREGOR
Aye.

===

> INTERMISSION <

> SMASH TO:
"""


def test_everything_together() -> None:
    script = parse(COMBINED)
    assert script.title_page == {
        "Title": "The Crossing",
        "Author": "A. Writer",
        "Draft date": "2024-05-01",
    }
    summary = [(type(e).__name__, e.line, e.text) for e in script.elements]
    assert summary == [
        ("Section", 5, "ACT ONE"),
        ("Synopsis", 7, "A captain and her crew prepare to leave."),
        ("Transition", 9, "FADE IN:"),
        ("SceneHeading", 11, "EXT. PIER - NIGHT"),
        ("Action", 13, "Rain. The CAPTAIN walks along the rain-soaked pier."),
        ("Character", 15, "CAPTAIN (V.O.)"),
        ("Parenthetical", 16, "(quietly)"),
        ("Dialogue", 17, "We sail at dawn."),
        ("Character", 19, "MRS. O'HARA"),
        ("Parenthetical", 20, "(calling)"),
        ("Dialogue", 21, "Not without me!"),
        ("Lyric", 27, "Row, row, row your boat"),
        ("Transition", 29, "CUT TO:"),
        ("SceneHeading", 31, "DECK OF THE SHIP"),
        ("Action", 33, "THE ENGINE ROARS."),
        ("Character", 35, "McGREGOR"),
        ("Dialogue", 36, "Aye."),
        ("PageBreak", 38, "==="),
        ("Centered", 40, "INTERMISSION"),
        ("Transition", 42, "SMASH TO:"),
    ]
    headings = script.scene_headings
    assert [(h.scene_number, h.forced) for h in headings] == [("1", False), ("1A", True)]
    cues = [e for e in script.elements if isinstance(e, Character)]
    assert [(c.name, c.extension, c.dual, c.forced) for c in cues] == [
        ("CAPTAIN", "(V.O.)", False, False),
        ("MRS. O'HARA", "", True, False),
        ("McGREGOR", "", False, True),
    ]
    everything = " ".join(e.text for e in script.elements)
    assert "raining enough" not in everything
    assert "old version" not in everything and "We stay" not in everything
    assert all(isinstance(e, Parenthetical | Dialogue | Character) for e in script.elements[5:11])
