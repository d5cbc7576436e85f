"""The animatic reads the shot grammar filmmakers write (parsing only; rendering is measured in
test_animatic_visual.py)."""

from __future__ import annotations

import pytest

from engine.backends.animatic.grammar import CameraMove, parse_prompt


@pytest.mark.parametrize(
    ("prompt", "size"),
    [
        ("EWS of a valley", "extreme_wide"),
        ("Extreme wide shot, desert", "extreme_wide"),
        ("XWS: city at night", "extreme_wide"),
        ("establishing shot of the harbour", "extreme_wide"),
        ("wide shot, a man", "wide"),
        ("WS - a man", "wide"),
        ("long shot of a woman", "wide"),
        ("full shot; a woman", "full"),
        ("FS a woman", "full"),
        ("medium wide shot, two men", "medium_wide"),
        ("medium shot of a woman", "medium"),
        ("MS, a woman", "medium"),
        ("medium close-up, a detective", "medium_close_up"),
        ("MCU detective", "medium_close_up"),
        ("Close-up on her face", "close_up"),
        ("close up of a man", "close_up"),
        ("CU: the man", "close_up"),
        ("closeup, woman", "close_up"),
        ("extreme close-up of an eye", "extreme_close_up"),
        ("ECU eyes", "extreme_close_up"),
        ("XCU, the hand", "extreme_close_up"),
    ],
)
def test_shot_sizes_and_abbreviations(prompt: str, size: str) -> None:
    assert parse_prompt(prompt).shot_size == size


@pytest.mark.parametrize(
    ("prompt", "framing", "figures"),
    [
        ("two-shot of the partners", "two_shot", 2),
        ("Over-the-shoulder, a woman and a man talk", "ots", 2),
        ("OTS on the captain", "ots", 2),
        ("POV walking down a hallway", "pov", 0),
        ("insert: a letter on the table", "insert", 0),
    ],
)
def test_framings(prompt: str, framing: str, figures: int) -> None:
    spec = parse_prompt(prompt)
    assert spec.framing == framing
    assert spec.figures == figures


@pytest.mark.parametrize(
    ("prompt", "angle", "dutch"),
    [
        ("eye level, a man", "eye", 0.0),
        ("low angle, a giant", "low", 0.0),
        ("worm's-eye view of the tower", "low", 0.0),
        ("HIGH ANGLE on the crowd", "high", 0.0),
        ("overhead shot of the table", "overhead", 0.0),
        ("bird's eye view, a car park", "overhead", 0.0),
        ("top-down, a chessboard", "overhead", 0.0),
        ("Dutch angle, a detective", "eye", 15.0),
        ("dutch tilt on the villain", "eye", 15.0),
        ("a slight dutch, a man", "eye", 8.0),
        ("low angle dutch tilt", "low", 15.0),
    ],
)
def test_angles(prompt: str, angle: str, dutch: float) -> None:
    spec = parse_prompt(prompt)
    assert spec.angle == angle
    assert spec.dutch_deg == dutch
    assert spec.move("tilt") is None  # "dutch tilt" is an angle, not a tilt move


@pytest.mark.parametrize(
    ("prompt", "focal"),
    [
        ("18mm, wide shot", 18.0),
        ("85 mm close-up", 85.0),
        ("on a 50mm lens", 50.0),
        ("shot on 35mm film, a woman", 35.0),  # a film gauge: the default lens stays
        ("shot on 16mm, a woman", 35.0),
        ("telephoto lens, a runner", 135.0),
        ("wide-angle lens, a room", 24.0),
        ("a man", 35.0),
    ],
)
def test_focal_length(prompt: str, focal: float) -> None:
    assert parse_prompt(prompt).focal_mm == focal


@pytest.mark.parametrize(
    ("prompt", "moves"),
    [
        ("pan left across the street", [CameraMove("pan", "left")]),
        ("camera pans to the right", [CameraMove("pan", "right")]),
        ("slow pan left", [CameraMove("pan", "left", 0.5)]),
        ("whip pan right", [CameraMove("pan", "right", 5.0)]),
        ("tilt up to the sky", [CameraMove("tilt", "up")]),
        ("tilts down", [CameraMove("tilt", "down")]),
        ("dolly in on her face", [CameraMove("dolly", "in")]),
        ("slow push-in", [CameraMove("dolly", "in", 0.5)]),
        ("a fast dolly out", [CameraMove("dolly", "out", 2.0)]),
        ("pull back to reveal the city", [CameraMove("dolly", "out")]),
        ("truck left with the runner", [CameraMove("truck", "left")]),
        ("tracking right", [CameraMove("truck", "right")]),
        ("crab right", [CameraMove("truck", "right")]),
        ("crane up over the wall", [CameraMove("crane", "up")]),
        ("pedestal down", [CameraMove("crane", "down")]),
        ("boom up", [CameraMove("crane", "up")]),
        ("zoom in on the door", [CameraMove("zoom", "in")]),
        ("zooming out slowly", [CameraMove("zoom", "out", 0.5)]),
        ("the camera orbits the statue", [CameraMove("orbit", "right")]),
        ("arc left around them", [CameraMove("orbit", "left")]),
        ("pan left and dolly in", [CameraMove("pan", "left"), CameraMove("dolly", "in")]),
        ("static shot, locked off", []),
    ],
)
def test_camera_moves(prompt: str, moves: list[CameraMove]) -> None:
    assert list(parse_prompt(prompt).moves) == moves


def test_static_and_handheld() -> None:
    assert parse_prompt("locked off, a man waits").static
    assert parse_prompt("tripod, pan left").moves == ()  # static wins over a move
    assert parse_prompt("handheld, a woman runs").handheld
    assert parse_prompt("hand-held shaky cam").handheld
    assert not parse_prompt("a woman runs").handheld


@pytest.mark.parametrize(
    ("prompt", "time", "interior"),
    [
        ("EXT. STREET - DAY", "day", False),
        ("INT. KITCHEN - NIGHT", "night", True),
        ("int. office, golden hour", "dusk", True),
        ("a beach at sunset", "dusk", False),
        ("dusk, a road", "dusk", False),
        ("sunrise over the field", "dawn", False),
        ("at dawn, inside the barn", "dawn", True),
        ("interior, a bedroom", "day", True),
        ("INT./EXT. CAR - DAY", "day", False),
        ("a man", "day", False),
    ],
)
def test_light_and_place(prompt: str, time: str, interior: bool) -> None:
    spec = parse_prompt(prompt)
    assert spec.time_of_day == time
    assert spec.interior is interior


@pytest.mark.parametrize(
    ("prompt", "weather"),
    [
        ("rain, a street", {"rain"}),
        ("It is raining.", {"rain"}),
        ("a snowy field", {"snow"}),
        ("blizzard", {"snow"}),
        ("fog over the lake", {"fog"}),
        ("misty morning, rain", {"fog", "rain"}),
        ("a sunny street", set()),
    ],
)
def test_weather(prompt: str, weather: set[str]) -> None:
    assert parse_prompt(prompt).weather == weather


@pytest.mark.parametrize(
    ("prompt", "figures"),
    [
        ("a woman walks left", 1),
        ("A MAN.", 1),
        ("two men talk", 2),
        ("2 women", 2),
        ("three people wait", 3),
        ("five soldiers march", 5),
        ("a man and a woman", 2),
        ("two men and a woman", 3),
        ("a woman enters; the woman sits", 1),
        ("a couple of friends", 2),
        ("a group of four people", 4),
        ("a crowd", 14),
        ("she turns", 1),
        ("wide shot of a valley", 0),
        ("close-up", 1),  # a close shot is of someone
    ],
)
def test_subject_counts(prompt: str, figures: int) -> None:
    assert parse_prompt(prompt).figures == figures


@pytest.mark.parametrize(
    ("prompt", "action", "direction"),
    [
        ("a woman walks left", "walk", "left"),
        ("a man walks to the right", "walk", "right"),
        ("a girl runs toward camera", "run", "toward"),
        ("he walks towards us", "walk", "toward"),
        ("a man walks away from camera", "walk", "away"),
        ("she crosses right to left", "walk", "left"),
        ("a man stands", "stand", None),
        ("a woman sits at the table", "sit", None),
        ("a man jogs", "run", "right"),
        ("pan left, a woman walks right", "walk", "right"),
    ],
)
def test_action(prompt: str, action: str, direction: str | None) -> None:
    spec = parse_prompt(prompt)
    assert (spec.action, spec.direction) == (action, direction)


def test_speed_modifiers_apply_to_the_nearest_move() -> None:
    spec = parse_prompt("very slow pan left, a man runs fast")
    assert spec.move("pan") == CameraMove("pan", "left", 0.3)


def test_labels_from_request_and_at_names() -> None:
    spec = parse_prompt("@Captain walks left past @mate", labels=("Captain", "Bosun"))
    assert spec.labels == ("Captain", "Bosun", "mate")
    assert spec.figures == 3


def test_looks_for_remix() -> None:
    assert parse_prompt("film noir").looks == {"noir"}
    assert parse_prompt("black-and-white").looks == {"noir"}
    assert parse_prompt("sepia, vintage").looks == {"sepia", "vintage"}
    assert parse_prompt("teal & orange").looks == {"teal_orange"}


def test_punctuation_and_case_do_not_matter() -> None:
    a = parse_prompt("CLOSE-UP. Low Angle!! Dolly-In, 85MM; NIGHT; rain")
    b = parse_prompt("close up low angle dolly in 85mm night rain")
    assert (
        (a.shot_size, a.angle, a.moves, a.focal_mm, a.time_of_day, a.weather)
        == (b.shot_size, b.angle, b.moves, b.focal_mm, b.time_of_day, b.weather)
        == ("close_up", "low", (CameraMove("dolly", "in"),), 85.0, "night", frozenset({"rain"}))
    )
