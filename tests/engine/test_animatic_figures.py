"""Characters: articulated figures in their wardrobe colours, told apart, the same in every shot.

Measured on rendered frames with OpenCV: a figure's pixels are the saturated ones (the set is
grey-box), its dominant hue the median hue of its coat region.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from engine.backends.animatic.dressing import COLOURS
from engine.backends.animatic.grammar import parse_prompt
from engine.backends.animatic.render import ShotRenderer
from engine.backends.animatic.scene import _distinct
from tests.engine.engine_testutil import render


def frame(prompt: str, labels=(), seed: int = 3, heading: str = "", size=(256, 144)):
    spec = parse_prompt(prompt, labels, heading)
    return ShotRenderer(spec, size[0], size[1], seed, weather=False).frame_at(0.0)


def _figure_pixels(f: np.ndarray, x0: int = 0, x1: int | None = None) -> np.ndarray:
    """HSV of the figure's torso band (rows between the head and the legs), saturated pixels."""
    hsv = cv2.cvtColor(f, cv2.COLOR_RGB2HSV)[:, x0:x1]
    mask = (hsv[..., 1] > 90) & (hsv[..., 2] > 25)
    return hsv[mask]


def _hue_deg(rgb) -> float:
    px = np.uint8([[list(rgb)]])
    return float(cv2.cvtColor(px, cv2.COLOR_RGB2HSV)[0, 0, 0]) * 2


def _hue_dist(a: float, b: float) -> float:
    d = abs(a - b) % 360
    return min(d, 360 - d)


@pytest.mark.parametrize("word", ["navy", "red", "green", "yellow", "purple", "orange"])
def test_a_wardrobe_colour_word_colours_the_figure(word: str) -> None:
    f = frame(f"medium shot, a man in a {word} coat stands")
    px = _figure_pixels(f)
    hue = float(np.median(px[:, 0])) * 2
    assert _hue_dist(hue, _hue_deg(COLOURS[word])) < 15, (word, hue)


def test_the_captain_in_a_navy_peacoat_is_navy_not_red() -> None:
    prompt = "MCU, dusk, Captain (a grizzled ferry captain in a navy peacoat) stands"
    f = frame(prompt, ("Captain",), heading="1 EXT. FERRY PIER - DUSK")
    hue = float(np.median(_figure_pixels(f[110:], 100, 156)[:, 0])) * 2  # the coat
    assert 200 < hue < 260  # blue, not red


def test_two_characters_in_one_shot_are_told_apart() -> None:
    # both in red: the second one turns until the two are distinct at a glance
    f = frame("full shot, a man in a red coat and a woman in a red jacket stand")
    left, right = _figure_pixels(f, 0, 128), _figure_pixels(f, 128, None)
    hl, hr = float(np.median(left[:, 0])) * 2, float(np.median(right[:, 0])) * 2
    vl, vr = float(np.median(left[:, 2])), float(np.median(right[:, 2]))
    assert _hue_dist(hl, hr) >= 30 or abs(vl - vr) >= 0.25 * 255


def test_distinctness_rule() -> None:
    assert _distinct((206, 38, 34), (36, 82, 206))
    assert not _distinct((206, 38, 34), (214, 36, 30))
    assert _distinct((30, 30, 34), (236, 236, 232))


def test_a_character_keeps_its_look_across_shots() -> None:
    jun = "Jun (a young woman in a red raincoat)"
    a = parse_prompt(f"wide shot, {jun} walks right", ("Jun",))
    b = parse_prompt(f"close up, dusk, {jun}", ("Jun",))
    assert a.cast[0] == b.cast[0]
    # an element without wardrobe words: its look comes from its name, not the take's seed
    f1 = frame("medium shot, @Mara stands", seed=1)
    f2 = frame("medium shot, @Mara stands", seed=99)
    h1 = np.median(_figure_pixels(f1)[:, 0])
    h2 = np.median(_figure_pixels(f2)[:, 0])
    assert abs(float(h1) - float(h2)) <= 2


def test_a_child_is_smaller_than_an_adult() -> None:
    def height(prompt: str) -> int:
        f = frame(prompt)
        hsv = cv2.cvtColor(f, cv2.COLOR_RGB2HSV)
        rows = np.nonzero(((hsv[..., 1] > 90) & (hsv[..., 2] > 25)).any(axis=1))[0]
        return int(rows.max() - rows.min())

    assert height("wide shot, static, a child in a green coat stands") < 0.8 * height(
        "wide shot, static, a man in a green coat stands"
    )


def test_hair_and_hat_words() -> None:
    cap = parse_prompt("a grizzled sailor in a navy peacoat").cast[0]
    assert cap.hat == "cap" and cap.hair[0] > 120  # grey hair
    blonde = parse_prompt("a blonde woman in a fedora").cast[0]
    assert blonde.hat == "hat" and blonde.hair == (226, 190, 110)
    hat = frame("medium close up, a man in a black fedora and a green coat", size=(160, 90))
    plain = frame("medium close up, a man in a green coat", size=(160, 90))
    assert np.abs(hat.astype(int) - plain.astype(int)).sum(axis=2)[:30].max() > 60


def test_the_figure_is_articulated_walking_moves_its_legs() -> None:
    spec = parse_prompt("full shot, static, a man in a blue coat walks right")
    r = ShotRenderer(spec, 160, 90, 1, weather=False)
    a, b = r.frame_at(2.5), r.frame_at(2.85)
    # the legs (lower rows of the figure) change shape, not only place
    ma = (cv2.cvtColor(a, cv2.COLOR_RGB2HSV)[..., 1] > 90)[60:88].sum(axis=0)
    mb = (cv2.cvtColor(b, cv2.COLOR_RGB2HSV)[..., 1] > 90)[60:88].sum(axis=0)
    assert np.count_nonzero(ma) != np.count_nonzero(mb) or ma.max() != mb.max()


def test_a_close_up_face_has_eyes_brows_and_a_mouth(monkeypatch: pytest.MonkeyPatch) -> None:
    """A close-up shows a face (whites of the eyes, irises, brows, a mouth), not a blank disc
    with two dots; a wide shot keeps its two-dot faces (too small for more)."""
    from engine.backends.animatic import figures as fmod

    prompt = "CU, dusk, a young woman in a red raincoat, static"
    face = render(prompt, 1, width=640, height=360)[0]
    monkeypatch.setattr(fmod, "FACE_DETAIL_PX", 1e9)
    plain = render(prompt, 1, width=640, height=360)[0]
    changed = np.abs(face.astype(int) - plain.astype(int)).sum(axis=2) > 30
    assert changed.mean() > 0.004, changed.mean()  # the features are there
    luma_face = cv2.cvtColor(face, cv2.COLOR_RGB2GRAY).astype(int)
    luma_plain = cv2.cvtColor(plain, cv2.COLOR_RGB2GRAY).astype(int)
    whites = changed & (luma_face > luma_plain + 25)  # brighter than the skin they are on
    assert whites.sum() > 100, whites.sum()  # the whites of her eyes
    wide = "WIDE, dusk, a young woman in a red raincoat, static"
    a = render(wide, 1, width=640, height=360)[0]
    monkeypatch.undo()
    assert np.array_equal(a, render(wide, 1, width=640, height=360)[0])
