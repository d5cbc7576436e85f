"""Every action verb moves the figure in the frames (measured with OpenCV, not the scene), with
its direction and speed words honoured; unknown verbs idle (breathing), never a still."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from engine.api import TextToVideo
from engine.backends.animatic.actions import ACTIONS, pose_at
from engine.backends.animatic.grammar import parse_prompt
from tests.engine.engine_testutil import figure_mask, generate

W, H = 160, 90
FPS = Fraction(12)
# a pixel "changed" when a channel moved by more than this; an action must change at least
# CHANGED pixels between its first and last frame (0.28 % of the 160x90 frame) — a static
# camera with nothing moving changes none
LEVEL, CHANGED = 25, 40

VERBS = {
    "walk": "walks left",
    "run": "runs right",
    "stand": "stands",
    "sit_down": "sits down",
    "stand_up": "stands up",
    "turn": "turns around",
    "look_up": "looks up",
    "look_down": "looks down",
    "look_around": "looks around",
    "point": "points left",
    "wave": "waves",
    "talk": "talks",
    "kneel": "kneels",
    "fall": "falls",
    "jump": "jumps",
    "drive": "drives left",
}


def clip(prompt: str, seconds: float = 2.0) -> np.ndarray:
    n = int(seconds * FPS) + 1
    return generate(TextToVideo(prompt=prompt, width=W, height=H, num_frames=n, fps=FPS, seed=1))


def changed(a: np.ndarray, b: np.ndarray) -> int:
    return int((np.abs(a.astype(int) - b.astype(int)).max(axis=2) > LEVEL).sum())


@pytest.mark.parametrize(("action", "words"), list(VERBS.items()))
def test_the_grammar_reads_each_verb(action: str, words: str) -> None:
    assert parse_prompt(f"a man {words}").action == action


@pytest.mark.parametrize(("action", "words"), list(VERBS.items()))
def test_each_action_moves_the_figure(action: str, words: str) -> None:
    # locomotion leaves a full shot: watch it wide
    size = "wide shot" if action in ("walk", "run", "drive") else "full shot"
    f = clip(f"{size}, a man {words}, static", 1.0 if action == "drive" else 2.0)
    assert changed(f[0], f[-1]) >= CHANGED, action
    assert figure_mask(f[0]).any()


def test_unknown_verbs_idle_rather_than_freeze() -> None:
    spec = parse_prompt("full shot, a man ponders")
    assert spec.action == "stand"
    f = clip("full shot, a man ponders, static")
    assert changed(f[0], f[-1]) > 0
    # ...but an idle stays in place (weight shift, not a walk)
    p0, p1 = pose_at("stand", 0.0), pose_at("stand", 2.0)
    assert (p0.x, p0.z) == (p1.x, p1.z) and p0 != p1


def test_static_camera_without_figures_is_still() -> None:
    """The threshold's zero point: nothing in the frame moves, nothing changes."""
    f = clip("wide shot of an empty street, static")
    assert changed(f[0], f[-1]) == 0


def centroid_x(frame: np.ndarray) -> float:
    ys, xs = np.nonzero(figure_mask(frame))
    return float(xs.mean())


def test_run_covers_more_ground_than_walk_and_directions_hold() -> None:
    walk = clip("extreme wide shot, a man walks right, static", 1.0)
    run = clip("extreme wide shot, a man runs right, static", 1.0)
    left = clip("extreme wide shot, a man walks left, static", 1.0)
    d_walk = centroid_x(walk[-1]) - centroid_x(walk[0])
    d_run = centroid_x(run[-1]) - centroid_x(run[0])
    d_left = centroid_x(left[-1]) - centroid_x(left[0])
    assert d_walk > 1.0 and d_run >= 1.5 * d_walk, (d_walk, d_run)
    assert d_left < -1.0


def test_speed_words_scale_the_motion() -> None:
    slow = parse_prompt("a man walks slowly left")
    fast = parse_prompt("a man walks quickly left")
    assert slow.action_speed < 1 < fast.action_speed
    ps = pose_at("walk", 2.0, speed=slow.action_speed, direction="left")
    pf = pose_at("walk", 2.0, speed=fast.action_speed, direction="left")
    assert pf.x < ps.x < 0


@pytest.mark.parametrize("action", ACTIONS)
def test_poses_are_pure_functions_of_any_time(action: str) -> None:
    for t in (-3.0, 0.0, 0.5, 7.25):
        a = pose_at(action, t, speed=1.0, direction="left", seed=3)
        assert a == pose_at(action, t, speed=1.0, direction="left", seed=3)
        assert all(math.isfinite(v) for v in vars(a).values())
    # never still: two instants a second apart differ
    assert pose_at(action, 3.0, seed=1) != pose_at(action, 4.0, seed=1)


def test_one_off_actions_change_height() -> None:
    stand = pose_at("stand", 3.0)
    assert pose_at("sit_down", 3.0).crouch > 0.8 > stand.crouch
    assert pose_at("kneel", 3.0).crouch > 0.8
    assert abs(pose_at("fall", 3.0).roll) > 1.0
    assert max(pose_at("jump", t / 10).y for t in range(20)) > 0.3
    assert pose_at("stand_up", -1.0).crouch > 0.8 and pose_at("stand_up", 3.0).crouch < 0.1


# ---------------------------------------------------------------------------------------------
# camera moves that read (kept here with the other frame-measured motion checks)


def mask_height(frame: np.ndarray) -> int:
    rows = np.nonzero(figure_mask(frame).any(axis=1))[0]
    return int(rows.max() - rows.min() + 1)


def test_a_slow_dolly_in_grows_the_subject_by_fifteen_percent_in_four_seconds() -> None:
    f = generate(
        TextToVideo(
            prompt="wide shot, a woman stands, slow dolly in",
            width=W,
            height=H,
            num_frames=25,
            fps=Fraction(6),
            seed=1,
        )  # fmt: skip
    )
    assert mask_height(f[-1]) >= 1.15 * mask_height(f[0]), (mask_height(f[0]), mask_height(f[-1]))
