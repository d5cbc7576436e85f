"""What a figure does: each action verb as a pure function of time returning a `Pose`.

``pose_at(action, t, speed=, direction=, seed=)`` is defined for any t (negative too, so a shot
can be extended backward or looped); root motion (x, z, heading) is the displacement from where
the figure stands at t = 0. One-off actions (sit down, fall, kneel...) play once over ~1-1.5 s
starting at t = 0 and then hold their end pose with the idle's breathing on top, so a frame is
never frozen; before t = 0 they hold their start pose. Unknown actions fall back to the idle
(breathing, weight shift, small head moves).

``speed`` scales how fast (1 = normal; "slowly" 0.5, "quickly" 2); ``direction`` is one of
left | right | toward | away | up | down | None; ``seed`` varies phases between figures.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from engine.backends.animatic.pose import Pose

__all__ = ["ACTIONS", "ACTION_ALIASES", "LOCOMOTION", "pose_at", "root_speed", "skeleton"]

TAU = 2 * math.pi

# metres per second at speed 1
LOCOMOTION: dict[str, float] = {"walk": 1.4, "run": 3.6, "drive": 6.0}

_HEADINGS = {
    "right": math.pi / 2,
    "left": -math.pi / 2,
    "toward": 0.0,
    "away": math.pi,
}


def _phase(seed: int) -> float:
    """A per-figure phase offset in [0, 1), stable for a seed."""
    return ((seed * 2654435761) & 0xFFFFFFFF) / 2**32


def _ease(x: float) -> float:
    x = min(1.0, max(0.0, x))
    return x * x * (3 - 2 * x)


def root_speed(action: str, speed: float = 1.0) -> float:
    """Ground speed (m/s) of an action's root motion."""
    return LOCOMOTION.get(action, 0.0) * speed


def _root(action: str, t: float, speed: float, direction: str | None) -> tuple[float, float, float]:
    v = root_speed(action, speed)
    heading = _HEADINGS.get(direction or "", 0.0)
    if v == 0.0:
        return 0.0, 0.0, heading
    d = v * t
    return d * math.sin(heading), -d * math.cos(heading), heading


def _idle(t: float, ph: float, amount: float = 1.0) -> dict[str, float]:
    """Breathing and weight shift: never still."""
    b = math.sin(TAU * (t / 3.6 + ph))
    shift = math.sin(TAU * (t / 7.0 + 2 * ph))
    return {
        "breathe": b * amount,
        "roll": 0.012 * shift * amount,
        "head_yaw": 0.12 * math.sin(TAU * (t / 5.3 + 3 * ph)) * amount,
        "head_pitch": 0.04 * math.sin(TAU * (t / 4.1 + ph)) * amount,
        "l_arm_swing": 0.03 * b * amount,
        "r_arm_swing": -0.03 * b * amount,
        "l_elbow": 0.12,
        "r_elbow": 0.12,
    }


def _gait(t: float, speed: float, ph: float, *, run: bool) -> dict[str, float]:
    v = LOCOMOTION["run" if run else "walk"] * speed
    stride = 1.9 if run else 1.45  # metres per full cycle (two steps)
    cycle = v * t / stride + ph
    s = math.sin(TAU * cycle)
    leg = (0.62 if run else 0.42) * s
    arm = (0.75 if run else 0.38) * s
    knee_l = (1.3 if run else 0.55) * max(0.0, math.sin(TAU * cycle + 1.2))
    knee_r = (1.3 if run else 0.55) * max(0.0, math.sin(TAU * cycle + 1.2 + math.pi))
    bob = (0.06 if run else 0.025) * abs(math.cos(TAU * cycle))
    return {
        "y": bob,
        "lean": 0.28 if run else 0.05,
        "l_leg_swing": leg,
        "r_leg_swing": -leg,
        "l_knee": knee_l,
        "r_knee": knee_r,
        "l_arm_swing": -arm,
        "r_arm_swing": arm,
        "l_elbow": 1.4 if run else 0.25,
        "r_elbow": 1.4 if run else 0.25,
        "breathe": math.sin(TAU * (t / (1.2 if run else 2.8) + ph)),
    }


def _progress(t: float, speed: float, duration: float) -> float:
    """0 before the action starts (t = 0), eased to 1 after `duration`/speed seconds."""
    return _ease(t * speed / duration)


def _sit(t: float, speed: float, ph: float) -> dict[str, float]:
    k = _progress(t, speed, 1.3)
    return _sit_pose(k, t, ph)


def _stand_up(t: float, speed: float, ph: float) -> dict[str, float]:
    k = 1.0 - _progress(t, speed, 1.3)
    return _sit_pose(k, t, ph)


def _sit_pose(k: float, t: float, ph: float) -> dict[str, float]:
    d = _idle(t, ph, 0.6)
    d.update(
        crouch=k,
        lean=0.35 * math.sin(math.pi * k) + 0.05 * k,
        l_leg_swing=1.45 * k,
        r_leg_swing=1.45 * k,
        l_knee=1.5 * k,
        r_knee=1.5 * k,
        l_arm_swing=0.45 * k,
        r_arm_swing=0.45 * k,
        l_elbow=0.9 * k + 0.1,
        r_elbow=0.9 * k + 0.1,
    )
    return d


def _kneel(t: float, speed: float, ph: float) -> dict[str, float]:
    k = _progress(t, speed, 1.1)
    d = _idle(t, ph, 0.6)
    d.update(
        crouch=k,
        lean=0.12 * k,
        l_leg_swing=1.4 * k,
        l_knee=1.5 * k,
        r_leg_swing=-0.1 * k,
        r_knee=2.2 * k,
        head_pitch=-0.2 * k + d["head_pitch"],
    )
    return d


def _fall(t: float, speed: float, ph: float, direction: str | None) -> dict[str, float]:
    k = _ease(t * speed / 0.9)
    side = -1.0 if direction == "left" else 1.0
    d = _idle(t, ph, 0.3 * k + (1 - k))
    d.update(
        roll=side * 1.45 * k**1.5,
        crouch=0.35 * math.sin(math.pi * k),
        l_arm_raise=1.2 * k,
        r_arm_raise=1.2 * k,
        l_knee=0.4 * k,
        r_knee=0.2 * k,
        head_pitch=0.3 * k,
    )
    return d


def _jump(t: float, speed: float, ph: float) -> dict[str, float]:
    period = 1.6 / speed
    u = ((t / period + ph) % 1.0) * period * speed  # seconds into this jump at speed 1
    d = _idle(t, ph, 0.3)
    if u < 0.35:  # crouch
        c = math.sin(math.pi * u / 0.7)
        d.update(crouch=0.5 * c, l_knee=0.9 * c, r_knee=0.9 * c, lean=0.2 * c)
        d.update(l_arm_swing=-0.6 * c, r_arm_swing=-0.6 * c)
    elif u < 1.0:  # flight: a parabola, apex 0.45 m
        f = (u - 0.35) / 0.65
        d.update(y=0.45 * 4 * f * (1 - f), l_arm_swing=2.6, r_arm_swing=2.6)
        d.update(l_knee=0.5 * math.sin(math.pi * f), r_knee=0.5 * math.sin(math.pi * f))
    else:  # land
        c = math.sin(math.pi * (u - 1.0) / 1.2)
        d.update(crouch=0.35 * c, l_knee=0.6 * c, r_knee=0.6 * c)
    return d


def _turn(t: float, speed: float, ph: float, direction: str | None) -> tuple[dict, float]:
    k = _progress(t, speed, 1.2)
    target = {"left": -math.pi / 2, "right": math.pi / 2, "away": math.pi}.get(
        direction or "", math.pi
    )
    d = _idle(t, ph, 0.6)
    d["head_yaw"] = 0.4 * math.sin(math.pi * k) * (1 if target > 0 else -1)
    return d, target * k


def _look(t: float, speed: float, ph: float, direction: str | None) -> dict[str, float]:
    d = _idle(t, ph, 0.6)
    k = _progress(t, speed, 0.8)
    if direction == "up":
        d["head_pitch"] = 0.6 * k
        d["lean"] = -0.12 * k
    elif direction == "down":
        d["head_pitch"] = -0.6 * k
        d["lean"] = 0.1 * k
    else:  # look around: sweep left and right
        d["head_yaw"] = 0.9 * math.sin(TAU * (t * speed / 3.0 + ph)) * _progress(t, speed, 0.5)
        d["head_pitch"] = 0.12 * math.sin(TAU * (t * speed / 1.9 + ph))
    return d


def _point(t: float, speed: float, ph: float, direction: str | None) -> dict[str, float]:
    d = _idle(t, ph, 0.6)
    k = _progress(t, speed, 0.7)
    side = "l" if direction == "left" else "r"
    d[f"{side}_arm_swing"] = 1.45 * k
    d[f"{side}_arm_raise"] = 0.35 * k
    d[f"{side}_elbow"] = 0.05
    d["head_yaw"] = (0.5 if side == "r" else -0.5) * k
    return d


def _wave(t: float, speed: float, ph: float) -> dict[str, float]:
    d = _idle(t, ph, 0.6)
    k = _progress(t, speed, 0.4)
    d["r_arm_raise"] = 2.5 * k
    d["r_elbow"] = (0.5 + 0.45 * math.sin(TAU * (t * speed / 0.6 + ph))) * k
    return d


def _talk(t: float, speed: float, ph: float) -> dict[str, float]:
    d = _idle(t, ph, 1.0)
    g1 = math.sin(TAU * (t * speed / 1.7 + ph))
    g2 = math.sin(TAU * (t * speed / 2.3 + 2 * ph))
    d.update(
        talking=0.5 + 0.5 * abs(math.sin(TAU * t * speed * 2.1)),
        l_arm_swing=0.55 + 0.35 * g1,
        r_arm_swing=0.5 + 0.35 * g2,
        l_elbow=1.2 + 0.3 * g2,
        r_elbow=1.2 + 0.3 * g1,
        l_arm_raise=0.15 + 0.15 * g1,
        head_yaw=0.2 * g2,
        head_pitch=0.06 * g1,
    )
    return d


def _drive(t: float, speed: float, ph: float) -> dict[str, float]:
    d = _sit_pose(1.0, t, ph)
    steer = 0.15 * math.sin(TAU * (t / 2.5 + ph))
    d.update(
        l_arm_swing=1.3 + steer,
        r_arm_swing=1.3 - steer,
        l_elbow=0.6,
        r_elbow=0.6,
        head_yaw=0.1 * math.sin(TAU * (t / 4.0 + ph)),
        y=0.01 * math.sin(TAU * t * 3.1),
    )
    return d


ACTIONS: tuple[str, ...] = (
    "idle",
    "stand",
    "walk",
    "run",
    "sit",
    "sit_down",
    "stand_up",
    "turn",
    "look_up",
    "look_down",
    "look_around",
    "point",
    "wave",
    "talk",
    "kneel",
    "fall",
    "jump",
    "drive",
)
"""Every action `pose_at` animates with its own motion."""

ACTION_ALIASES: dict[str, str] = {"gesture": "talk", "look": "look_around", "idle": "stand"}


def pose_at(
    action: str,
    t: float,
    *,
    speed: float = 1.0,
    direction: str | None = None,
    seed: int = 0,
) -> Pose:
    """The pose of a figure doing `action` at time `t` (seconds; any value)."""
    action = ACTION_ALIASES.get(action, action)
    speed = max(0.05, float(speed))
    ph = _phase(seed)
    x, z, heading = _root(action, t, speed, direction)
    if direction in ("up", "down"):
        heading = 0.0
    table: dict[str, Callable[[], dict[str, float]]] = {
        "walk": lambda: _gait(t, speed, ph, run=False),
        "run": lambda: _gait(t, speed, ph, run=True),
        "sit": lambda: _sit_pose(1.0, t, ph),
        "sit_down": lambda: _sit(t, speed, ph),
        "stand_up": lambda: _stand_up(t, speed, ph),
        "kneel": lambda: _kneel(t, speed, ph),
        "fall": lambda: _fall(t, speed, ph, direction),
        "jump": lambda: _jump(t, speed, ph),
        "look_up": lambda: _look(t, speed, ph, "up"),
        "look_down": lambda: _look(t, speed, ph, "down"),
        "look_around": lambda: _look(t, speed, ph, None),
        "point": lambda: _point(t, speed, ph, direction),
        "wave": lambda: _wave(t, speed, ph),
        "talk": lambda: _talk(t, speed, ph),
        "drive": lambda: _drive(t, speed, ph),
    }
    if action == "turn":
        parts, heading = _turn(t, speed, ph, direction)
    elif action in table:
        parts = table[action]()
        if action in ("point", "fall", "look_up", "look_down", "look_around", "wave", "talk"):
            heading = 0.0 if direction not in ("away",) else heading
    else:  # stand, idle and anything unknown: breathing and weight shift
        parts = _idle(t, ph)
    return Pose(x=x, z=z, heading=heading, **parts)


# Bone lengths (fractions of the figure's height) of the skeleton below.
_THIGH, _SHIN, _UPPER_ARM, _FOREARM, _SPINE = 0.47, 0.46, 0.3, 0.29, 0.54


def skeleton(pose: Pose) -> dict[str, tuple[float, float, float]]:
    """Joint positions of a pose in the figure's own frame (side: its left +, up, forward +),
    for a figure 1 m tall standing at the origin; root motion and roll are not applied."""
    hy = 0.93 - 0.43 * pose.crouch + pose.y
    lean = pose.lean
    hip = (0.0, hy, 0.0)
    neck = (0.0, hy + _SPINE * math.cos(lean), _SPINE * math.sin(lean))
    hp, hw = pose.head_pitch, pose.head_yaw
    head = (
        neck[0] - 0.05 * hw,
        neck[1] + 0.16 * math.cos(lean) + 0.02 * hp,
        neck[2] + 0.16 * math.sin(lean) - 0.04 * hp,
    )
    out: dict[str, tuple[float, float, float]] = {"hip": hip, "neck": neck, "head": head}
    for side, sgn in (("l", 1.0), ("r", -1.0)):
        swing = getattr(pose, f"{side}_leg_swing")
        knee_b = getattr(pose, f"{side}_knee")
        h0 = (sgn * 0.1, hy, 0.0)
        knee = (h0[0], h0[1] - _THIGH * math.cos(swing), _THIGH * math.sin(swing))
        a2 = swing - knee_b
        foot = (h0[0], max(0.03, knee[1] - _SHIN * math.cos(a2)), knee[2] + _SHIN * math.sin(a2))
        out[f"{side}_hip"], out[f"{side}_knee"], out[f"{side}_foot"] = h0, knee, foot
        a = getattr(pose, f"{side}_arm_swing")
        r = getattr(pose, f"{side}_arm_raise")
        e = getattr(pose, f"{side}_elbow")
        sh = (neck[0] + sgn * 0.21, neck[1] - 0.05, neck[2])
        elbow = (
            sh[0] + sgn * _UPPER_ARM * math.sin(r),
            sh[1] - _UPPER_ARM * math.cos(r) * math.cos(a),
            sh[2] + _UPPER_ARM * math.cos(r) * math.sin(a),
        )
        hand = (
            elbow[0] + sgn * _FOREARM * math.sin(r),
            elbow[1] - _FOREARM * math.cos(r) * math.cos(a + e),
            elbow[2] + _FOREARM * math.cos(r) * math.sin(a + e),
        )
        out[f"{side}_shoulder"], out[f"{side}_elbow"], out[f"{side}_hand"] = sh, elbow, hand
    return out
