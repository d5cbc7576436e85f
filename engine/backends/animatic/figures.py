"""The articulated figure: a `Pose` drawn as head, torso, two-segment arms and legs, hair or hat.

A figure's pose at time t comes from `ShotRenderer.figure_pose` (the shot's action, from
actions.py). `draw_figure` projects the joints once and
draws a dozen OpenCV primitives: legs (trousers), torso and arms (coat), head (skin), hair or a
hat, eyes when it faces the camera and is large enough, a shadow on the ground.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import cv2
import numpy as np

from engine.backends.animatic.dressing import Look
from engine.backends.animatic.pose import Pose
from engine.backends.animatic.scene import Figure

__all__ = ["draw_figure"]

SHIFT = 4
ONE = 1 << SHIFT
_LIMIT = 30000.0


def _limb(root, sgn: float, swing: float, raise_: float, bend: float, l1: float, l2: float,
          bend_sign: float, spine=(1.0, 0.0)):  # fmt: skip
    """Two-segment limb in the body frame (side, up, forward): the upper swings forward and
    raises sideways, the lower bends at the joint. `spine` (cos, sin) tilts "down" with a lean."""
    cl, sl = spine
    cr, sr = math.cos(raise_), math.sin(raise_)
    a2 = swing + bend_sign * bend
    out = []
    x, y, z = root
    for a, ln in ((swing, l1), (a2, l2)):
        ca, sa = math.cos(a), math.sin(a)
        # down (0, -cl, -sl) and forward (0, -sl, cl) of the (leaning) body
        dy = (-cl * ca - sl * sa) * cr
        dz = (-sl * ca + cl * sa) * cr
        x, y, z = x + sgn * sr * ln, y + dy * ln, z + dz * ln
        out.append((x, y, z))
    return out


def joints(pose: Pose, h: float) -> np.ndarray:
    """World points (17, 3): 0 head, 1 neck, 2 pelvis, 3/4 shoulders, 5/6 elbows, 7/8 hands,
    9/10 hips, 11/12 knees, 13/14 feet, 15 head top, 16 face (a point ahead of the head)."""
    cl, sl = math.cos(pose.lean), math.sin(pose.lean)
    py = h * (0.93 - 0.47 * pose.crouch)
    spine = h * (0.54 + 0.01 * pose.breathe)
    neck = (0.0, py + cl * spine, sl * spine)
    hp, hy = pose.head_pitch, pose.head_yaw
    hl = 0.17 * h
    head = (neck[0], neck[1] + cl * math.cos(hp) * 0.9 * hl, neck[2] + (sl * math.cos(hp) * 0.9
            + math.sin(hp) * 0.3) * hl)  # fmt: skip
    top = (head[0], head[1] + cl * 0.115 * h, head[2] + sl * 0.115 * h)
    face = (head[0] + math.sin(hy) * 0.1 * h, head[1], head[2] + math.cos(hy) * 0.1 * h)
    sh_y, sh_z = neck[1] - cl * 0.03 * h, neck[2] - sl * 0.03 * h
    ls, rs = (-0.2 * h, sh_y, sh_z), (0.2 * h, sh_y, sh_z)
    le, lh = _limb(ls, -1.0, pose.l_arm_swing, pose.l_arm_raise, pose.l_elbow, 0.3 * h,
                   0.28 * h, 1.0, (cl, sl))  # fmt: skip
    re, rh = _limb(rs, 1.0, pose.r_arm_swing, pose.r_arm_raise, pose.r_elbow, 0.3 * h,
                   0.28 * h, 1.0, (cl, sl))  # fmt: skip
    lhip, rhip = (-0.1 * h, py, 0.0), (0.1 * h, py, 0.0)
    lk, lf = _limb(lhip, -1.0, pose.l_leg_swing, 0.0, pose.l_knee, 0.46 * h, 0.45 * h, -1.0)
    rk, rf = _limb(rhip, 1.0, pose.r_leg_swing, 0.0, pose.r_knee, 0.46 * h, 0.45 * h, -1.0)
    local = np.array(
        [head, neck, (0.0, py, 0.0), ls, rs, le, re, lh, rh, lhip, rhip, lk, rk, lf, rf, top,
         face]
    )  # fmt: skip
    ch, shd = math.cos(pose.heading), math.sin(pose.heading)
    lat, up, fwd = (ch, 0.0, shd), (0.0, 1.0, 0.0), (shd, 0.0, -ch)
    if pose.roll:
        cr, sr = math.cos(pose.roll), math.sin(pose.roll)
        lat, up = (
            tuple(cr * a + sr * b for a, b in zip(lat, up, strict=True)),
            tuple(cr * b - sr * a for a, b in zip(lat, up, strict=True)),
        )
    pts = local @ np.array([lat, up, fwd])
    pts[:, 0] += pose.x
    pts[:, 1] += pose.y
    pts[:, 2] += pose.z
    return pts


def _fix(pt) -> tuple[int, int]:
    return (
        int(round(max(-_LIMIT, min(_LIMIT, pt[0])) * ONE)),
        int(round(max(-_LIMIT, min(_LIMIT, pt[1])) * ONE)),
    )


def _scaled(c, k: float) -> tuple[float, float, float]:
    return (c[0] * k, c[1] * k, c[2] * k)


def draw_figure(canvas: np.ndarray, view, fig: Figure, pose: Pose,
                shade: Callable[..., tuple[int, int, int]], shadow_col: tuple[int, int, int],
                label: Callable[[str, float, float, float], None]) -> None:  # fmt: skip
    """Draw `fig` in `pose` (see module doc); `shade(colour, depth)` lights and fogs a colour."""
    h = fig.height
    look = fig.look or Look(coat=fig.colour, legs=_scaled(fig.colour, 0.72))
    pts = joints(pose, h)
    cam = view.cam(pts)
    if float(cam[:15, 2].min()) < 0.08:
        return
    p = view.pix(cam)
    zc = float(cam[0, 2])
    f = view.f
    k = 0.45 if fig.foreground else 1.0
    coat = shade(_scaled(look.coat, k), zc)
    legs = shade(_scaled(look.legs, k), zc)
    skin = shade(_scaled(look.skin, k), zc)
    r = f * 0.115 * h / zc

    def thick(w: float) -> int:
        return int(max(1, min(30000, round(f * w * h / zc))))

    def disc(pt, radius: float, col) -> None:
        cv2.circle(canvas, _fix(pt), int(max(1.0, min(_LIMIT, radius)) * ONE), col, -1,
                   cv2.LINE_AA, SHIFT)  # fmt: skip

    if view.pose.pitch < math.radians(-55):  # seen from above: shoulders and a head
        cv2.line(canvas, _fix(p[3]), _fix(p[4]), coat, thick(0.26), cv2.LINE_AA, SHIFT)
        disc(p[0], r, _hair_or_hat(look, skin, shade, zc, k))
        if fig.label:
            label(fig.label, p[0][0], p[0][1] - r * 2.2, r)
        return

    if not fig.foreground:  # the shadow on the ground
        sc = view.cam(np.array([[pose.x, 0.0, pose.z]]))[0]
        if sc[2] > 0.05:
            ps = view.pix(sc)
            ax = f * 0.34 * h / sc[2]
            dist = max(1e-3, math.hypot(view.pos[0] - pose.x, view.pos[2] - pose.z))
            ay = ax * min(1.0, max(0.12, abs(view.pos[1]) / dist))
            if ax < 4 * canvas.shape[1]:
                cv2.ellipse(canvas, _fix(ps), (int(ax * ONE), int(ay * ONE)), -view.pose.roll, 0,
                            360, shadow_col, -1, cv2.LINE_AA, SHIFT)  # fmt: skip

    fixed = np.round(np.clip(p, -_LIMIT, _LIMIT) * ONE).astype(np.int32)

    def poly(idx) -> np.ndarray:
        return fixed[list(idx)]

    # legs (a straight limb is one segment: half the cost of a bent one)
    straight_l, straight_r = abs(pose.l_knee) < 0.12, abs(pose.r_knee) < 0.12
    cv2.polylines(
        canvas,
        [poly((9, 13) if straight_l else (9, 11, 13)), poly((10, 14) if straight_r else (10, 12, 14))],
        False, legs, thick(0.13), cv2.LINE_AA, SHIFT,
    )  # fmt: skip
    # the arms behind the body go first
    arms_back, arms_front = [], []
    for sh, el, ha, bend in ((3, 5, 7, pose.l_elbow), (4, 6, 8, pose.r_elbow)):
        arm = poly((sh, ha) if abs(bend) < 0.12 else (sh, el, ha))
        (arms_back if cam[sh, 2] > cam[1, 2] + 0.05 * h else arms_front).append(arm)
    aw = thick(0.085)
    if arms_back:
        cv2.polylines(canvas, arms_back, False, _darker(coat), aw, cv2.LINE_AA, SHIFT)
    # the torso: a quad from the shoulders to the hips, wide across the view
    axis = p[2] - p[1]
    n = float(np.hypot(axis[0], axis[1]))
    perp = np.array([-axis[1], axis[0]]) / n if n > 1e-6 else np.array([1.0, 0.0])
    lat_px = abs(float(p[4][0] - p[3][0])) + abs(float(p[4][1] - p[3][1]))
    depth_px = f * 0.24 * h / zc
    sh_w = max(0.85 * lat_px + f * 0.03 * h / zc, depth_px) / 2
    hip_w = sh_w * 0.85
    neck2 = (p[3] + p[4]) / 2
    torso = np.array(
        [neck2 - perp * sh_w, neck2 + perp * sh_w, p[2] + perp * hip_w, p[2] - perp * hip_w]
    )
    cv2.fillConvexPoly(canvas, np.round(np.clip(torso, -_LIMIT, _LIMIT) * ONE).astype(np.int32),
                       coat, cv2.LINE_AA, SHIFT)  # fmt: skip
    # the neck over the collar without anti-aliasing: skin next to a complementary coat would
    # blend into a grey seam that cuts the head off the body; seen from behind, the collar is
    # over the neck
    facing = cam[16, 2] < cam[0, 2]
    neck_end = _fix(neck2 + (p[2] - neck2) * 0.03)
    if not facing:
        cv2.line(canvas, _fix(p[0]), neck_end, skin, thick(0.09), cv2.LINE_8, SHIFT)
    cv2.line(canvas, _fix(p[1]), _fix(neck2), coat, thick(0.12), cv2.LINE_AA, SHIFT)
    if facing:
        cv2.line(canvas, _fix(p[0]), neck_end, skin, thick(0.09), cv2.LINE_8, SHIFT)
    if arms_front:
        cv2.polylines(canvas, arms_front, False, coat, aw, cv2.LINE_AA, SHIFT)
    # hands
    if r > 10:
        for hand in (7, 8):
            disc(p[hand], r * 0.33, skin)
    # the head: hair or hat behind or over the face, depending on which way it faces
    top = _hair_or_hat(look, skin, shade, zc, k)
    hat_up = (p[15] - p[0]) * 0.35
    if look.hat in ("hood",):
        disc(p[0] + hat_up * 0.3, r * 1.18, coat)
    if facing:
        disc(p[0] + hat_up * 0.6, r * 1.0, top)
        disc(p[0] - hat_up * 0.15, r * 0.93, skin)
    else:
        disc(p[0], r * 0.95, skin)
        disc(p[0] + hat_up * 0.45, r * 0.92, top)  # the nape shows under the hair
    if look.hat in ("hat", "cap", "helmet"):
        hc = shade(_scaled(look.hat_colour, k), zc)
        crown = p[0] + (p[15] - p[0]) * 0.95
        brim = p[0] + (p[15] - p[0]) * 0.62
        brim_w = {"hat": 1.55, "cap": 1.2, "helmet": 1.05}[look.hat] * r
        side = np.array([perp[0], perp[1]])
        cv2.line(canvas, _fix(brim - side * brim_w), _fix(brim + side * brim_w), hc,
                 max(1, int(r * 0.28)), cv2.LINE_AA, SHIFT)  # fmt: skip
        disc(crown, r * (0.62 if look.hat != "hat" else 0.56), hc)
    if facing and fig.facing_camera and r > 9:
        eye = shade(_scaled(look.skin, 0.25 * k), zc)
        toward = (p[16] - p[0]) * 0.6
        if r > FACE_DETAIL_PX:  # a close-up: a face an actor could be cast from
            _draw_face(canvas, p[0] + toward, p[15] - p[0], perp, r, pose, look, shade, zc, k)
        else:
            for sgn in (-1.0, 1.0):
                disc(p[0] + toward + perp * sgn * r * 0.36, max(1.0, r * 0.13), eye)
    if fig.label:
        label(fig.label, p[0][0], p[0][1] - r * (1.6 if look.hat else 1.25), r)


FACE_DETAIL_PX = 36  # head radius in pixels from which eyes, brows and mouth are drawn


def _draw_face(canvas, centre, up_vec, side, r: float, pose: Pose, look: Look, shade, zc, k):
    """Eyes (white, iris, pupil, lid line), brows, nose and a mouth that opens as the figure
    talks: drawn only when the head is big on screen (close-ups)."""
    n = float(np.hypot(up_vec[0], up_vec[1]))
    up = up_vec / n if n > 1e-6 else np.array([0.0, -1.0])
    side = np.asarray(side, float)
    angle = math.degrees(math.atan2(side[1], side[0]))
    skin = look.skin
    white = shade(_scaled((235, 232, 226), k), zc)
    iris = shade(_scaled((70, 52, 38), k), zc)
    dark = shade(_scaled(skin, 0.3 * k), zc)
    brow = shade(_scaled(look.hair if look.hair != (0, 0, 0) else skin, 0.6 * k), zc)
    lip = shade(_scaled((skin[0] * 0.85, skin[1] * 0.55, skin[2] * 0.55), k), zc)
    look_at = up * (0.05 * r * pose.head_pitch) + side * (0.05 * r * pose.head_yaw)

    def ell(pt, ax: float, ay: float, col, thick: int = -1) -> None:
        cv2.ellipse(canvas, _fix(pt), (max(1, int(ax * ONE)), max(1, int(ay * ONE))), angle, 0,
                    360, col, thick, cv2.LINE_AA, SHIFT)  # fmt: skip

    for sgn in (-1.0, 1.0):
        c = centre + side * sgn * r * 0.36 + up * r * 0.06
        ell(c, r * 0.17, r * 0.10, white)
        ell(c + look_at, r * 0.085, r * 0.085, iris)
        ell(c + look_at, r * 0.04, r * 0.04, (12, 10, 10))
        ell(c, r * 0.17, r * 0.10, dark, max(1, int(r * 0.02)))
        b0 = c + up * r * 0.2 - side * r * 0.14
        b1 = c + up * r * (0.24 + 0.04 * pose.head_pitch) + side * r * 0.14
        cv2.line(canvas, _fix(b0), _fix(b1), brow, max(1, int(r * 0.055)), cv2.LINE_AA, SHIFT)
    nose = centre - up * r * 0.22
    cv2.line(canvas, _fix(centre - up * r * 0.02), _fix(nose), dark, max(1, int(r * 0.03)),
             cv2.LINE_AA, SHIFT)  # fmt: skip
    mouth = centre - up * r * 0.45
    ell(mouth, r * 0.2, r * (0.025 + 0.11 * max(0.0, min(1.0, pose.talking))), lip)


def _darker(c) -> tuple[int, int, int]:
    return (int(c[0] * 0.8), int(c[1] * 0.8), int(c[2] * 0.8))


def _hair_or_hat(look: Look, skin, shade, depth: float, k: float):
    if look.hat == "beanie":
        return shade(_scaled(look.hat_colour, k), depth)
    if look.hair == (0, 0, 0):
        return skin
    return shade(_scaled(look.hair, k), depth)
