"""A figure's pose at one instant: the interface between actions (how a figure moves) and the
figure renderer (how an articulated figure is drawn).

Actions (``actions.py``) are pure functions of time that return a :class:`Pose`; the renderer
draws an articulated figure (head, torso, upper/lower arms, upper/lower legs) from it. Angles
are radians; positive ``*_swing`` moves a limb forward (toward where the figure faces), positive
bends flex the joint. Root values are metres in the world (x right, y up, z away from camera).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Pose:
    # where the figure stands (its feet) and which way it faces
    x: float = 0.0
    z: float = 0.0
    y: float = 0.0  # lift of the whole body off the ground (jump), metres
    heading: float = 0.0  # 0 faces the camera, pi/2 faces screen right, pi away, -pi/2 left
    # the body
    crouch: float = 0.0  # 0 standing … 1 hips at knee height (sit, kneel)
    lean: float = 0.0  # torso pitch forward (+) / back (-)
    roll: float = 0.0  # whole-body tilt sideways (fall), radians
    breathe: float = 0.0  # -1..1: the idle's chest rise / weight shift
    # the head
    head_pitch: float = 0.0  # up (+) / down (-)
    head_yaw: float = 0.0  # screen right (+) / left (-) relative to the body
    # the arms: swing at the shoulder (forward +), raise sideways, bend at the elbow
    l_arm_swing: float = 0.0
    r_arm_swing: float = 0.0
    l_arm_raise: float = 0.0
    r_arm_raise: float = 0.0
    l_elbow: float = 0.0
    r_elbow: float = 0.0
    # the legs: swing at the hip (forward +), bend at the knee
    l_leg_swing: float = 0.0
    r_leg_swing: float = 0.0
    l_knee: float = 0.0
    r_knee: float = 0.0
    talking: float = 0.0  # 0..1: the mouth/jaw (and gesture) of a figure that speaks


STAND = Pose()
