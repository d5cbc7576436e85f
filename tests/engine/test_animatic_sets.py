"""Sets and props read from the prompt, measured on rendered frames (small, one frame each)."""

from __future__ import annotations

import itertools

import cv2
import numpy as np
import pytest

from engine.backends.animatic.dressing import SET_KINDS, heading_location
from engine.backends.animatic.grammar import parse_prompt
from engine.backends.animatic.render import ShotRenderer

SET_PROMPTS = {
    "harbour": ("", "wide shot, static, on the pier"),
    "street": ("EXT. CITY STREET - DAY", "wide shot, static"),
    "room": ("INT. LIVING ROOM - DAY", "wide shot, static"),
    "office": ("INT. OFFICE CORRIDOR - DAY", "wide shot, static"),
    "forest": ("", "wide shot, static, a forest"),
    "field": ("EXT. OPEN FIELD - DAY", "wide shot, static"),
    "desert": ("EXT. DESERT - DAY", "wide shot, static"),
    "beach": ("", "wide shot, static, on the beach"),
    "rooftop": ("EXT. ROOFTOP - DAY", "wide shot, static"),
    "car": ("INT. CAR - DAY", "wide shot, static"),
    "train": ("INT. TRAIN - DAY", "wide shot, static"),
    "stage": ("", "wide shot, static, on a bare stage"),
    "plaza": ("", "wide shot, static"),
}


def frame(prompt: str, heading: str = "", seed: int = 1, size=(160, 90), labels=()) -> np.ndarray:
    spec = parse_prompt(prompt, labels, heading)
    return ShotRenderer(spec, size[0], size[1], seed, weather=False).frame_at(0.0)


def test_every_set_kind_is_read_from_words() -> None:
    assert set(SET_PROMPTS) == set(SET_KINDS)
    for kind, (heading, prompt) in SET_PROMPTS.items():
        assert parse_prompt(prompt, (), heading).setting == kind


def test_any_two_sets_differ_in_the_lower_half() -> None:
    frames = {k: frame(p, h)[45:].astype(np.int16) for k, (h, p) in SET_PROMPTS.items()}
    for a, b in itertools.combinations(frames, 2):
        d = float(np.abs(frames[a] - frames[b]).mean())
        assert d >= 20, f"{a} and {b} look alike ({d:.1f})"


def test_heading_and_element_description_choose_the_set() -> None:
    assert heading_location("12 INT. FERRY CABIN - NIGHT") == (True, "ferry cabin")
    assert heading_location("EXT. FERRY PIER - DUSK") == (False, "ferry pier")
    cabin = parse_prompt("WIDE, night, two people sit", (), "2 INT. FERRY CABIN - NIGHT")
    assert cabin.setting == "room" and cabin.interior
    pier = parse_prompt("EWS, dusk, Pier (a rain-soaked wooden ferry pier with lamp posts)")
    assert pier.setting == "harbour" and not pier.interior


def test_a_location_looks_the_same_in_every_shot_whatever_the_seed() -> None:
    heading = "1 EXT. CITY STREET - DAY"
    a = frame("wide shot, static", heading, seed=1)
    b = frame("wide shot, static", heading, seed=987)
    assert float(np.abs(a.astype(int) - b.astype(int)).mean()) < 1.0


def test_the_pier_has_water_and_planks() -> None:
    f = frame("wide shot, static, on the pier")
    hsv = cv2.cvtColor(f, cv2.COLOR_RGB2HSV)
    low = hsv[60:]
    # warm wood in the middle, cool water at the sides
    assert 5 <= np.median(low[:, 70:90, 0]) <= 25
    assert 95 <= np.median(low[:, :15, 0]) <= 125


@pytest.mark.parametrize(
    ("words", "hue_range"),
    [("a car", (100, 125)), ("a red car", (0, 8)), ("a boat", (0, 12))],
)
def test_props_add_their_colour(words: str, hue_range: tuple[int, int]) -> None:
    base = frame("wide shot, static, a street", size=(256, 144))
    with_prop = frame(f"wide shot, static, a street, {words}", size=(256, 144))
    changed = np.abs(base.astype(int) - with_prop.astype(int)).sum(axis=2) > 40
    assert changed.mean() > 0.005
    hsv = cv2.cvtColor(with_prop, cv2.COLOR_RGB2HSV)
    hues = hsv[..., 0][changed & (hsv[..., 1] > 60)]
    assert hues.size > 0
    assert hue_range[0] <= np.median(hues) <= hue_range[1]


def test_ten_prop_kinds_each_change_the_frame() -> None:
    base = frame("full shot, static, a woman stands in a room", size=(256, 144))
    for words in ("a car", "a van", "a boat", "a ferry", "a door", "a table", "chairs",
                  "a phone", "a lamp post", "a bench", "crates", "a suitcase"):  # fmt: skip
        f = frame(f"full shot, static, a woman stands in a room, {words}", size=(256, 144))
        assert np.abs(base.astype(int) - f.astype(int)).sum(axis=2).max() > 40, words


def test_a_ferry_at_night_shows_its_lights() -> None:
    f = frame("wide shot, static, night, a ferry on the pier", size=(256, 144))
    g = frame("wide shot, static, night, on the pier", size=(256, 144))
    bright = (cv2.cvtColor(f, cv2.COLOR_RGB2GRAY) > 180).sum()
    assert bright > (cv2.cvtColor(g, cv2.COLOR_RGB2GRAY) > 180).sum() + 10


def test_the_requests_scene_heading_chooses_the_set() -> None:
    from engine.api import CollectingSink, TextToVideo
    from tests.engine.engine_testutil import ENGINE

    sink = CollectingSink()
    req = TextToVideo(
        prompt="wide shot, static", width=160, height=96, num_frames=1,
        scene_heading="3 INT. TRAIN - NIGHT",
    )  # fmt: skip
    result = ENGINE.generate(req, sink)
    assert result.recipe["shot"]["setting"] == "train"
    assert result.recipe["scene_heading"] == "3 INT. TRAIN - NIGHT"
