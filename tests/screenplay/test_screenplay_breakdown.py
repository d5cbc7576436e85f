"""Scenes, beats, prompts, elements and estimates from a parsed script."""

from __future__ import annotations

from fractions import Fraction

import pytest

from previz.screenplay import (
    ScreenplayError,
    breakdown,
    element_name,
    format_eighths,
    parse,
    scene_setting,
    source_key,
)
from previz.screenplay.breakdown import ACTION_WORDS_PER_SECOND

PIER = """\
EXT. PIER - NIGHT

CAPTAIN walks along the rain-soaked pier.

CAPTAIN
We sail at dawn.

MRS. O'HARA (O.S.)
(shouting)
Not without me!

The Captain turns. Mrs. O'Hara runs up, soaked.

CAPTAIN (CONT'D)
Then hurry.
"""


@pytest.mark.parametrize(
    ("written", "name"),
    [
        ("MRS. O'HARA", "MrsOHara"),
        ("DR. JEKYLL (V.O.)", "DrJekyll"),
        ("TEO'S TRUCK", "TeosTruck"),
        ("CAPTAIN", "Captain"),
        ("HANDSOME MAN", "HandsomeMan"),
        ("R2-D2", "R2D2"),
        ("ZOË", "Zoe"),
        ("GUARD #2", "Guard2"),
        ("BRICK ^", "Brick"),
        ("the_sniper", "TheSniper"),
        ("...", "Unnamed"),
    ],
)
def test_element_names(written: str, name: str) -> None:
    assert element_name(written) == name


def test_prompt_caption_and_characters_of_a_beat() -> None:
    result = breakdown(parse(PIER))
    (scene,) = result.scenes
    first, second = scene.beats
    assert first.prompt == "EXT. pier, night. @Captain walks along the rain-soaked pier."
    assert first.action_text == "CAPTAIN walks along the rain-soaked pier."
    assert first.dialogue == (("CAPTAIN", "We sail at dawn."), ("MRS. O'HARA", "Not without me!"))
    assert first.caption == "CAPTAIN: We sail at dawn.\nMRS. O'HARA: Not without me!"
    assert first.characters == ("Captain", "MrsOHara")
    assert second.prompt == "EXT. pier, night. The @Captain turns. @MrsOHara runs up, soaked."
    assert second.caption == "CAPTAIN: Then hurry."
    assert [b.ordinal for b in scene.beats] == [1, 2]
    assert [b.line for b in scene.beats] == [3, 12]
    assert scene.characters == ("Captain", "MrsOHara")


def test_scene_fields_and_name() -> None:
    result = breakdown(parse("I/E. TEO'S TRUCK - NIGHT #4A#\n\nTeo drives.\n"))
    (scene,) = result.scenes
    assert scene.number == "4A"
    assert scene.numbered_in_script is True
    assert scene.name == "4A I/E. TEO'S TRUCK - NIGHT"
    assert (scene.int_ext, scene.location, scene.time_of_day) == ("INT/EXT", "TEO'S TRUCK", "NIGHT")
    assert scene.location_element == "TeosTruck"
    assert scene.beats[0].prompt == "INT/EXT. teo's truck, night. Teo drives."


def test_lowercase_words_that_are_names_are_not_mentions() -> None:
    script = parse(
        "INT. LOBBY - DAY\n\nThe woman behind the desk smiles.\n\nWOMAN\nHello.\n\n"
        "Woman waves. WOMAN laughs.\n"
    )
    first, second = breakdown(script).scenes[0].beats
    assert first.prompt == "INT. lobby, day. The woman behind the desk smiles."
    assert first.characters == ("Woman",)  # speaks, but is not mentioned in the action
    assert second.prompt == "INT. lobby, day. @Woman waves. @Woman laughs."


def test_names_in_possessive_caps_and_longest_names_first() -> None:
    script = parse(
        "INT. DEN - NIGHT\n\nSCOTT'S PAINTINGS hang. ART GIRL and ART look.\n\n"
        "ART GIRL\nNice.\n\nART\nThanks.\n"
    )
    beat = breakdown(script).scenes[0].beats[0]
    # SCOTT never speaks, so he is no element; ART GIRL is matched before ART.
    assert beat.prompt == "INT. den, night. SCOTT'S PAINTINGS hang. @ArtGirl and @Art look."
    assert beat.characters == ("ArtGirl", "Art")


def test_possessive_mention_keeps_a_lowercase_s() -> None:
    script = parse("INT. DEN - NIGHT\n\nSCOTT'S hand shakes.\n\nSCOTT\nNo.\n")
    assert breakdown(script).scenes[0].beats[0].prompt == "INT. den, night. @Scott's hand shakes."


def test_a_beat_per_action_paragraph_and_leading_dialogue_gets_its_own() -> None:
    script = parse(
        "INT. ROOM - DAY\n\nANNA\nHi.\n\nBob sits.\n\nBOB\nHey.\n\nAnna sits.\n\nThey wait.\n"
    )
    beats = breakdown(script).scenes[0].beats
    assert [(b.action_text, b.caption) for b in beats] == [
        ("", "ANNA: Hi."),
        ("Bob sits.", "BOB: Hey."),
        ("Anna sits.", ""),
        ("They wait.", ""),
    ]
    assert beats[0].prompt == "INT. room, day. @Anna speaks."


def test_a_scene_with_only_dialogue_is_one_beat() -> None:
    script = parse("INT. ROOM - DAY\n\nANNA\nHi.\n\nBOB\nHey.\n\nANNA\nBye.\n")
    (beat,) = breakdown(script).scenes[0].beats
    assert beat.prompt == "INT. room, day. @Anna and @Bob talk."
    assert beat.caption == "ANNA: Hi.\nBOB: Hey.\nANNA: Bye."


def test_an_empty_scene_still_has_one_beat() -> None:
    result = breakdown(parse("EXT. FIELD - DAY\n\nEXT. ROAD - NIGHT\n\nA car.\n"))
    field_scene = result.scenes[0]
    assert len(field_scene.beats) == 1
    assert field_scene.beats[0].prompt == "EXT. field, day."
    assert field_scene.beats[0].estimated_frames == 24


def test_lyrics_in_beats() -> None:
    script = parse("INT. BAR - NIGHT\n\nSINGER\n~Oh my darling\n\n~La la la\n")
    beats = breakdown(script).scenes[0].beats
    assert beats[0].action_text == ""
    assert beats[0].dialogue == (("SINGER", "♪ Oh my darling ♪"), ("", "♪ La la la ♪"))
    assert beats[0].caption == "SINGER: ♪ Oh my darling ♪\n♪ La la la ♪"


def test_centered_text_is_never_a_shot() -> None:
    # ">THE END<" closing the last scene, a centred card inside a scene, centred titles in a
    # scene of their own: none of them is a beat, and nothing is glued to a neighbour
    script = parse(
        "INT. BAR - NIGHT\n\nThe bartender wipes a glass.\n\n>LAST CALL<\n\n"
        "SINGER\n~Oh my darling\n\n.OPENING TITLES\n\n> BRICK BRADDOCK <\n> & DICK STEEL IN <\n"
        "\nEXT. ROAD - DAY\n\nA car passes.\n\n>THE END<\n"
    )
    bar, titles, road = breakdown(script).scenes
    assert [b.action_text for b in bar.beats] == ["The bartender wipes a glass."]
    assert bar.beats[0].caption == "SINGER: ♪ Oh my darling ♪"
    assert [b.prompt for b in titles.beats] == ["Opening titles."]  # the heading only
    assert [b.action_text for b in road.beats] == ["A car passes."]
    everything = " ".join(b.prompt + b.caption for s in (bar, titles, road) for b in s.beats)
    assert "THE END" not in everything and "LAST CALL" not in everything
    assert "BRADDOCK" not in everything


def test_transitions_sections_and_synopses_are_not_beats() -> None:
    script = parse(
        "# ACT I\n\nINT. ROOM - DAY\n\n= The room is empty.\n\nDust.\n\nCUT TO:\n\n"
        "EXT. STREET - DAY\n\nCars.\n"
    )
    result = breakdown(script)
    assert [[b.action_text for b in s.beats] for s in result.scenes] == [["Dust."], ["Cars."]]


def test_notes_never_reach_prompts_or_captions() -> None:
    script = parse(
        "INT. ROOM - DAY\n\nAnna [[NOTE1]] sits. /* BONE1 */\n\nANNA\nHi [[NOTE2\nmore]] there.\n"
        "\n/*\nINT. BONE2 - DAY\n\nBONE3.\n*/\n"
    )
    result = breakdown(script)
    (scene,) = result.scenes
    text = " ".join(b.prompt + b.caption + b.action_text for b in scene.beats)
    assert "NOTE" not in text and "BONE" not in text and "more" not in text
    assert scene.beats[0].prompt == "INT. room, day. @Anna sits."
    assert scene.beats[0].caption == "ANNA: Hi there."


def test_forced_heading_setting_and_no_location_element() -> None:
    result = breakdown(parse(".SNIPER SCOPE POV\n\nCross-hairs.\n"))
    (scene,) = result.scenes
    assert scene.beats[0].prompt == "Sniper scope pov. Cross-hairs."
    assert scene.location_element == ""
    assert result.locations == ()


def test_location_elements() -> None:
    result = breakdown(
        parse(
            "INT. TEO'S TRUCK - NIGHT\n\nA.\n\nEXT. TEO'S TRUCK - DAY\n\nB.\n\n"
            "EXT. PIER - DAWN\n\nC.\n"
        )
    )
    assert [
        (loc.name, loc.display_name, loc.description, loc.first_scene) for loc in result.locations
    ] == [
        ("TeosTruck", "TEO'S TRUCK", "Teo's Truck (interior and exterior)", "1"),
        ("Pier", "PIER", "Pier (exterior)", "3"),
    ]
    assert [s.location_element for s in result.scenes] == ["TeosTruck", "TeosTruck", "Pier"]


def test_location_named_like_a_character_gets_a_suffix() -> None:
    result = breakdown(
        parse("INT. CASINO - NIGHT\n\nLights.\n\nCASINO\nI am a talking building.\n")
    )
    assert result.locations[0].name == "CasinoLocation"
    assert result.characters[0].name == "Casino"


def test_location_mentions_option() -> None:
    result = breakdown(parse("EXT. PIER - NIGHT\n\nWaves.\n"), location_mentions=True)
    assert result.scenes[0].beats[0].prompt == "EXT. @Pier, night. Waves."


def test_character_elements() -> None:
    result = breakdown(parse(PIER + "\nINT. CABIN - NIGHT\n\nDR. JEKYLL (V.O.)\nHello.\n"))
    assert [(c.name, c.display_name, c.description, c.first_scene) for c in result.characters] == [
        ("Captain", "CAPTAIN", "Captain", "1"),
        ("MrsOHara", "MRS. O'HARA", "Mrs. O'Hara", "1"),
        ("DrJekyll", "DR. JEKYLL", "Dr. Jekyll", "2"),
    ]
    assert all(c.kind == "character" for c in result.characters)


def test_scene_numbers_assigned_around_script_numbers() -> None:
    text = "".join(
        f"INT. ROOM {i} - DAY{suffix}\n\nAction {i}.\n\n"
        for i, suffix in enumerate(["", " #5#", "", " #6#", ""])
    )
    assert [s.number for s in breakdown(parse(text)).scenes] == ["A5", "5", "5A", "6", "7"]


def test_scene_numbers_without_any_in_the_script() -> None:
    text = "".join(f"INT. ROOM {i} - DAY\n\nAction {i}.\n\n" for i in range(12))
    assert [s.number for s in breakdown(parse(text)).scenes] == [str(n) for n in range(1, 13)]


def test_the_same_scene_number_twice_is_an_error() -> None:
    text = "INT. A - DAY #3#\n\nA.\n\nINT. B - DAY #3#\n\nB.\n"
    with pytest.raises(ScreenplayError, match="scene number 3 is used twice"):
        breakdown(parse(text))


def test_text_before_the_first_heading_is_reported_not_lost_silently() -> None:
    result = breakdown(parse("FADE IN:\n\nA cold open.\n\nINT. ROOM - DAY\n\nInside.\n"))
    assert len(result.scenes) == 1
    assert result.warnings == (
        "lines 3-3: 1 paragraph(s) before the first scene heading are not part of any scene and "
        "were not imported",
    )


# -- estimates -------------------------------------------------------------------------------


def test_dialogue_duration_at_two_and_a_half_words_a_second() -> None:
    script = parse("INT. ROOM - DAY\n\nANNA\none two three four five six seven eight nine ten\n")
    (beat,) = breakdown(script, fps=24).scenes[0].beats
    assert beat.estimated_frames == 4 * 24


def test_action_duration_uses_the_reading_rate() -> None:
    words = " ".join(["word"] * 27)
    (beat,) = breakdown(parse(f"INT. ROOM - DAY\n\n{words}.\n"), fps=25).scenes[0].beats
    assert beat.estimated_frames == round(27 / ACTION_WORDS_PER_SECOND * 25)


def test_minimum_one_second_and_fractional_fps() -> None:
    script = parse("INT. ROOM - DAY\n\nBeer flies.\n")
    assert breakdown(script, fps=24).scenes[0].beats[0].estimated_frames == 24
    ntsc = breakdown(script, fps=Fraction(24000, 1001))
    assert ntsc.fps == Fraction(24000, 1001)
    assert ntsc.scenes[0].beats[0].estimated_frames == 24  # 23.976 rounds to 24
    assert breakdown(script, fps="23.976").fps == Fraction(23976, 1000)


@pytest.mark.parametrize("fps", [0, -24, "abc"])
def test_bad_fps(fps: object) -> None:
    with pytest.raises(ScreenplayError, match="frame rate"):
        breakdown(parse("INT. ROOM - DAY\n\nA.\n"), fps=fps)  # type: ignore[arg-type]


def test_page_eighths_from_printed_lines() -> None:
    # A heading (blank + 1 line) and 27 one-line action paragraphs (blank + 1 line each) make
    # 56 printed lines: one page at 55 lines a page.
    one_page = "INT. ROOM - DAY\n\n" + "".join(f"Beat {i}.\n\n" for i in range(27))
    two_pages = "INT. HALL - DAY\n\n" + "".join(f"Beat {i}.\n\n" for i in range(54))
    tiny = "INT. CLOSET - DAY\n\nDark.\n\n"
    scenes = breakdown(parse(one_page + two_pages + tiny)).scenes
    assert [s.page_eighths for s in scenes] == [8, 16, 1]
    assert [s.page_length for s in scenes] == ["1", "2", "1/8"]


def test_long_dialogue_wraps_at_dialogue_width() -> None:
    speech = " ".join(["word"] * 70)  # 349 characters: 10 lines at 35 characters
    scene = breakdown(parse(f"INT. ROOM - DAY\n\nANNA\n{speech}\n")).scenes[0]
    # heading 2 + cue 2 + dialogue 10 = 14 lines -> 14 * 8 / 55 = 2.04 -> 2/8
    assert scene.page_eighths == 2


@pytest.mark.parametrize(("eighths", "text"), [(1, "1/8"), (8, "1"), (11, "1 3/8"), (20, "2 4/8")])
def test_format_eighths(eighths: int, text: str) -> None:
    assert format_eighths(eighths) == text


# -- keys ------------------------------------------------------------------------------------


def test_source_key_ignores_reflow_case_and_punctuation() -> None:
    a = source_key("Anna walks in.\nShe sits.", [("ANNA", "Hi!")])
    assert a == source_key("anna walks in  she sits", [("Anna", "hi")])
    assert a != source_key("Anna walks out. She sits.", [("ANNA", "Hi!")])
    assert a != source_key("Anna walks in. She sits.", [("ANNA", "Bye!")])


def test_source_key_is_stable_across_parses() -> None:
    first = [b.source_key for b in breakdown(parse(PIER)).scenes[0].beats]
    again = [
        b.source_key for b in breakdown(parse(PIER.replace("pier.", "pier. "))).scenes[0].beats
    ]
    assert first == again
    assert len(set(first)) == 2


def test_scene_setting_forms() -> None:
    assert scene_setting("EXT", "PIER", "NIGHT") == "EXT. pier, night."
    assert scene_setting("INT", "BATHROOM", "") == "INT. bathroom."
    assert scene_setting("", "A LAND ROVER.", "") == "A land rover."
    assert scene_setting("EXT", "PIER", "NIGHT", location_element="Pier") == "EXT. @Pier, night."


def test_one_letter_character_names_are_not_mentions() -> None:
    script = parse("INT. ROOM - DAY\n\nA man waits. I see him.\n\nA\nHello.\n\nI\nHi.\n")
    (beat,) = breakdown(script).scenes[0].beats
    assert beat.prompt == "INT. room, day. A man waits. I see him."
    assert {c.name for c in breakdown(script).characters} == {"A", "I"}
