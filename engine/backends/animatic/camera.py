"""The animatic's camera: where it stands for a shot size and angle, and how it moves over time.

World: x right, y up, z away from the camera's starting position; the subject stands at the
origin. Poses are a pure function of time (seconds, negative allowed), so any frame can be
rendered on its own, before the shot (backward extend) or after it (loops).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from engine.backends.animatic.grammar import SHOT_SIZES, ShotSpec

__all__ = ["CameraPose", "CameraRig", "NEAR"]

NEAR = 0.05  # near clipping plane, metres
SENSOR_WIDTH_MM = 36.0
REFERENCE_MM = 35.0  # shot sizes are framed through this lens; other focal lengths crop or widen

# Height of the point the camera frames at the subject, per shot size (metres).
_AIM_HEIGHT = {
    "extreme_wide": 1.6,
    "wide": 1.5,
    "medium_wide": 1.15,
    "full": 1.0,
    "medium": 1.3,
    "medium_close_up": 1.42,
    "close_up": 1.55,
    "extreme_close_up": 1.62,
}
_ANGLE_PITCH = {"eye": 0.0, "low": 18.0, "high": -25.0, "overhead": -88.0}

# Move rates per second at speed 1 (distances are fractions of the subject distance, so a move
# looks the same on screen whatever the shot size).
PAN_DEG_S = 8.0
TILT_DEG_S = 5.0
DOLLY_FRAC_S = 0.13
TRUCK_FRAC_S = 0.12
CRANE_FRAC_S = 0.10
ZOOM_LOG_S = 0.14
ORBIT_DEG_S = 10.0


@dataclass(frozen=True)
class CameraPose:
    position: np.ndarray  # (3,)
    yaw: float  # radians, positive turns right
    pitch: float  # radians, positive looks up
    roll: float  # degrees, image rotation (counter-clockwise positive)
    focal_px: float

    def basis(self) -> np.ndarray:
        """Rows: right, up, forward (world directions)."""
        cy, sy = math.cos(self.yaw), math.sin(self.yaw)
        cp, sp = math.cos(self.pitch), math.sin(self.pitch)
        forward = np.array([sy * cp, sp, cy * cp])
        right = np.array([cy, 0.0, -sy])
        up = np.cross(forward, right)
        return np.stack([right, up, forward])


def _smooth_noise(rng: np.random.Generator, n: int = 4) -> tuple[np.ndarray, ...]:
    freqs = rng.uniform(0.4, 2.6, n)
    phases = rng.uniform(0, 2 * math.pi, n)
    amps = rng.uniform(0.5, 1.0, n)
    amps /= math.sqrt(float(np.sum(amps**2)) / 2)
    return freqs, phases, amps


def _noise_at(params: tuple[np.ndarray, ...], t: float) -> float:
    freqs, phases, amps = params
    return float(np.sum(amps * np.sin(2 * math.pi * freqs * t + phases)))


class CameraRig:
    """The camera of one shot: placement from shot size/angle/framing, moves as functions of t."""

    def __init__(
        self,
        spec: ShotSpec,
        width: int,
        height: int,
        seed: int,
        *,
        motion_scale: float = 1.0,
    ) -> None:
        self.spec = spec
        self.width, self.height = width, height
        self.motion_scale = motion_scale
        ref_px = REFERENCE_MM / SENSOR_WIDTH_MM * width
        tan_half_v = (height / 2) / ref_px
        visible = SHOT_SIZES[spec.shot_size]
        if spec.framing == "two_shot" and spec.shot_size in (
            "medium",
            "medium_close_up",
            "close_up",
        ):
            visible *= 1.3
        self.distance = visible / (2 * tan_half_v)
        self.focal_px = spec.focal_mm / SENSOR_WIDTH_MM * width

        aim_y = _AIM_HEIGHT[spec.shot_size]
        if spec.framing == "insert":
            aim_y = 0.8
        self.aim = np.array([0.0, aim_y, 0.0])
        pitch_deg = _ANGLE_PITCH.get(spec.angle, 0.0)
        if spec.framing == "insert" and spec.angle == "eye":
            pitch_deg = -35.0
        if spec.framing == "pov" and spec.angle == "eye":
            pitch_deg = -3.0
        pitch = math.radians(pitch_deg)
        d = self.distance
        if spec.framing == "pov":
            # the viewer's own eyes, looking at the scene
            position = np.array([0.0, 1.65, -d])
            pitch = math.atan2(aim_y - 1.65, d) if spec.angle == "eye" else pitch
        else:
            position = self.aim - d * np.array([0.0, math.sin(pitch), math.cos(pitch)])
            if position[1] < 0.15:  # a low angle cannot go below the ground
                horizontal = d * math.cos(pitch)
                position = np.array([0.0, 0.15, -horizontal])
                pitch = math.atan2(aim_y - 0.15, horizontal)
        self.position0 = position
        self.yaw0 = 0.0
        self.pitch0 = pitch
        self.roll0 = spec.dutch_deg

        rng = np.random.default_rng([seed & 0xFFFFFFFF, 7])
        self._shake = [_smooth_noise(rng) for _ in range(6)]

    def pose(self, t: float) -> CameraPose:
        spec = self.spec
        k = self.motion_scale
        pos = self.position0.copy()
        yaw, pitch, roll, focal = self.yaw0, self.pitch0, self.roll0, self.focal_px
        d = self.distance
        basis0 = CameraPose(pos, yaw, pitch, roll, focal).basis()
        for mv in spec.moves:
            s = mv.speed * k * t
            if mv.kind == "pan":
                yaw += math.radians(PAN_DEG_S * s) * (1 if mv.direction == "right" else -1)
            elif mv.kind == "tilt":
                pitch += math.radians(TILT_DEG_S * s) * (1 if mv.direction == "up" else -1)
            elif mv.kind == "dolly":
                travel = DOLLY_FRAC_S * d * s * (1 if mv.direction == "in" else -1)
                travel = min(travel, 0.8 * d)
                pos = pos + basis0[2] * travel
            elif mv.kind == "truck":
                pos = pos + basis0[0] * TRUCK_FRAC_S * d * s * (
                    1 if mv.direction == "right" else -1
                )
            elif mv.kind == "crane":
                pos = pos + np.array([0.0, 1.0, 0.0]) * CRANE_FRAC_S * max(d, 1.0) * s * (
                    1 if mv.direction == "up" else -1
                )
                pos[1] = max(pos[1], 0.1)
            elif mv.kind == "zoom":
                focal *= math.exp(ZOOM_LOG_S * s * (1 if mv.direction == "in" else -1))
            elif mv.kind == "orbit":
                theta = math.radians(ORBIT_DEG_S * s) * (-1 if mv.direction == "right" else 1)
                rel = pos - self.aim
                c, si = math.cos(theta), math.sin(theta)
                pos = self.aim + np.array(
                    [c * rel[0] + si * rel[2], rel[1], -si * rel[0] + c * rel[2]]
                )
                yaw += theta
        if spec.handheld:
            yaw += math.radians(0.55) * _noise_at(self._shake[0], t)
            pitch += math.radians(0.4) * _noise_at(self._shake[1], t)
            roll += 0.7 * _noise_at(self._shake[2], t)
            jitter = 0.012 * max(0.3, min(d, 3.0))
            pos = pos + jitter * np.array(
                [
                    _noise_at(self._shake[3], t),
                    _noise_at(self._shake[4], t),
                    _noise_at(self._shake[5], t),
                ]
            )
        pitch = max(-math.radians(89.5), min(math.radians(89.5), pitch))
        return CameraPose(pos, yaw, pitch, roll, focal)
