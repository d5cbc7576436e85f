"""Live previews from latents, and the step callback that reports progress and honours cancel.

A preview is the current latents of one frame pushed through a small linear map (latent
channels -> RGB), resized to ~160 px: no VAE, a few microseconds of matrix work per step.

The map is fitted per model when the model loads, by least squares: the model's own VAE
encodes a few dozen solid colours and the fit learns which latent channels mean which colour
(LTX-Video's 128-channel latents, Wan 2.1's 16 and Wan 2.2's 48 alike, and the tiny random test
models too). It is exact for flat colours and a fair approximation for pictures, which is all a
preview needs. If the fit fails, the first three channels are shown, normalised.

`StepCallback` is the pipeline's ``callback_on_step_end``: it checks the cancel token first
and RAISES `engine.api.Cancelled` (so a cancelled job never reaches the VAE decode), then
reports the step with a preview at most every `interval_s` seconds (and on the last step).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.api import CancelToken, ProgressCallback, ProgressReporter

__all__ = ["LatentProjection", "StepCallback", "fit_projection", "latent_preview"]

log = logging.getLogger(__name__)

PREVIEW_WIDTH = 160
N_COLOURS = 32


@dataclass(frozen=True)
class LatentProjection:
    """``rgb = latent @ weights + bias``, rgb in [-1, 1]; weights (C, 3), bias (3,)."""

    weights: np.ndarray
    bias: np.ndarray
    source: str  # "fitted" or "channels"

    @property
    def channels(self) -> int:
        return int(self.weights.shape[0])

    @classmethod
    def channels_fallback(cls, channels: int) -> LatentProjection:
        w = np.zeros((channels, 3), np.float32)
        for i in range(min(3, channels)):
            w[i, i] = 0.5
        return cls(w, np.zeros(3, np.float32), "channels")


def _colours(seed: int = 0) -> np.ndarray:
    """The fitting colours in [-1, 1]: the RGB cube's corners, mid grey, then seeded randoms."""
    corners = np.array(
        [[r, g, b] for r in (0.0, 1.0) for g in (0.0, 1.0) for b in (0.0, 1.0)], np.float32
    )
    rng = np.random.default_rng(seed)
    rand = rng.random((N_COLOURS - 9, 3), dtype=np.float32)
    cols = np.concatenate([corners, [[0.5, 0.5, 0.5]], rand])
    return cols * 2.0 - 1.0


def fit_projection(
    encode: Callable[[Any], Any],
    channels: int,
    spatial: int,
    *,
    device: Any,
    dtype: Any,
    batch: int = 8,
    ridge: float = 1e-3,
) -> LatentProjection:
    """Fit the latent -> RGB map for a VAE.

    `encode` takes images ``(N, 3, 1, H, W)`` in [-1, 1] and returns the pipeline's normalised
    latents ``(N, C, 1, h, w)``. Images are ``2 * spatial`` px square solid colours.
    """
    import torch

    cols = _colours()
    size = 2 * max(1, int(spatial))
    zs: list[np.ndarray] = []
    ys: list[np.ndarray] = []
    try:
        with torch.no_grad():
            for i in range(0, len(cols), batch):
                c = torch.from_numpy(cols[i : i + batch])
                images = c[:, :, None, None, None].expand(-1, 3, 1, size, size)
                lat = encode(images.to(device=device, dtype=dtype).contiguous())
                lat = lat.float().cpu()
                n, ch = lat.shape[0], lat.shape[1]
                z = lat[:, :, 0].permute(0, 2, 3, 1).reshape(n, -1, ch)  # (n, h*w, C)
                zs.append(z.reshape(-1, ch).numpy())
                ys.append(np.repeat(cols[i : i + batch], z.shape[1], axis=0))
        z = np.concatenate(zs).astype(np.float64)
        y = np.concatenate(ys).astype(np.float64)
        if z.shape[1] != channels or not np.isfinite(z).all():
            raise ValueError(f"latents have {z.shape[1]} channels, expected {channels}")
        zb = np.concatenate([z, np.ones((len(z), 1))], axis=1)
        a = zb.T @ zb + ridge * np.eye(zb.shape[1])
        coef = np.linalg.solve(a, zb.T @ y)  # (C+1, 3)
    except Exception as exc:  # noqa: BLE001 - a preview must never fail a generation
        log.warning("could not fit a latent preview for this model (%s); using raw channels", exc)
        return LatentProjection.channels_fallback(channels)
    return LatentProjection(coef[:-1].astype(np.float32), coef[-1].astype(np.float32), "fitted")


def latent_preview(
    frame_chw: Any, projection: LatentProjection, width: int = PREVIEW_WIDTH
) -> np.ndarray:
    """A (~`width` px wide) RGB uint8 preview of one latent frame ``(C, h, w)`` (a torch tensor)."""
    import cv2
    import torch

    with torch.no_grad():
        c, h, w = frame_chw.shape
        wmat = torch.from_numpy(projection.weights).to(frame_chw.device, torch.float32)
        bias = torch.from_numpy(projection.bias).to(frame_chw.device, torch.float32)
        rgb = frame_chw.float().reshape(c, h * w).T @ wmat + bias  # (h*w, 3)
        rgb = ((rgb.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).reshape(h, w, 3)
        img = rgb.cpu().numpy()
    if w != width:
        out_h = max(1, round(h * width / w))
        interp = cv2.INTER_LINEAR if width > w else cv2.INTER_AREA
        img = cv2.resize(img, (width, out_h), interpolation=interp)
    return np.ascontiguousarray(img)


class StepCallback:
    """``callback_on_step_end`` for a diffusers pipeline: cancel, progress, throttled previews.

    `preview` maps the callback's ``latents`` to an RGB uint8 image (or None to skip previews).
    `total` is the planned step count; the pipeline's own count replaces it on the first step.
    """

    def __init__(
        self,
        *,
        callback: ProgressCallback | None,
        cancel: CancelToken,
        total: int,
        preview: Callable[[Any], np.ndarray | None] | None,
        interval_s: float = 0.25,
        stage: str = "denoise",
    ) -> None:
        self.cancel = cancel
        self.preview = preview
        self.interval_s = float(interval_s)
        self.reporter = ProgressReporter(
            max(1, total), callback, preview_interval_s=0.0, stage=stage
        )
        self._last = -float("inf")
        self.steps_done = 0
        self.previews = 0
        self.preview_s = 0.0

    def __call__(self, pipe: Any, step: int, timestep: Any, kwargs: dict[str, Any]) -> dict:
        # Cancel first, and raise: the pipeline unwinds before its VAE decode.
        self.cancel.raise_if_cancelled()
        total = getattr(pipe, "_num_timesteps", None)
        if isinstance(total, int) and total > 0:
            self.reporter.total = total
        self.steps_done = step + 1
        image = None
        if self.reporter.callback is not None and self.preview is not None:
            now = time.perf_counter()
            if now - self._last >= self.interval_s or self.steps_done >= self.reporter.total:
                t0 = time.perf_counter()
                try:
                    image = self.preview(kwargs.get("latents"))
                except Exception as exc:  # noqa: BLE001 - a preview must never fail a generation
                    log.debug("preview failed: %s", exc)
                    image = None
                self.preview_s += time.perf_counter() - t0
                self._last = now
                if image is not None:
                    self.previews += 1
        self.reporter(self.steps_done, image)
        return {}
