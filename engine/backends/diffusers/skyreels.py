"""SkyReels-V2 diffusion forcing through diffusers: long shots in one call, extension from a tail.

A SkyReels-V2 DF checkpoint (e.g. Skywork/SkyReels-V2-DF-1.3B-540P-Diffusers) is a Wan 2.1
model trained with a noise level PER LATENT FRAME, so frames that are already known can sit
clean at the start of a window while the rest is denoised. diffusers drives it with three
pipelines over the same models (`SkyReelsV2DiffusionForcingPipeline` is loaded from the folder,
whichever of the three its model_index.json names; the other two share its modules):

- text to video: `SkyReelsV2DiffusionForcingPipeline`, one window, synchronous (``ar_step=0``);
- extend forward: `SkyReelsV2DiffusionForcingVideoToVideoPipeline` with the source take's
  lossless tail (its last ``4k+1`` frames) as ``video``/``overlap_history``: they are encoded
  as clean prefix latents (with a little ``addnoise_condition`` noise, as the model card
  recommends for joins) and the window continues them; only the new frames are output;
- image to video: `SkyReelsV2DiffusionForcingImageToVideoPipeline` with the still as the first
  frame (a still pinned anywhere else is refused);
- a long shot (`LongShot`): ONE `SkyReelsV2DiffusionForcingPipeline` call with ``num_frames``
  above ``base_num_frames`` (the model's window): the pipeline makes the first window, then
  each next one conditioned on the last ``overlap_history`` frames of the one before (in latent
  space, no VAE round trip), and the whole shot is decoded once. It takes ONE prompt: a long
  shot whose windows have different prompts is refused before any work (the app then chains
  windows, which can change prompt per window).

Extend backward, bridge, loop and remix are refused: diffusion forcing only continues a video
forward, and the DF image-to-video pipeline's ``last_image`` is appended one latent frame after
the window (not a pinned last frame). New shots, long ones included (their window boundaries
move with them), are made at the model's native 24 fps. Prompts are encoded once with
`WanPipeline.encode_prompt` (the same T5 encoding; the SkyReels pipelines' own text cleaning
needs the optional ``ftfy``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
from collections.abc import Iterator
from fractions import Fraction
from typing import Any

import numpy as np

from engine.api import (
    LONG_SHOT,
    Extend,
    GenerationRequest,
    ImageToVideo,
    LongShot,
    RequestError,
    ShotWindow,
    TextToVideo,
    fps_str,
)
from engine.backends.diffusers.common import (
    Adapter,
    LoadedModel,
    RunContext,
    Window,
    WindowedSteps,
    derived_pipeline,
    window_length,
)

__all__ = ["LONG_PIPELINE", "SkyReelsAdapter"]

log = logging.getLogger(__name__)

T2V_PIPELINE = "SkyReelsV2DiffusionForcingPipeline"
LONG_PIPELINE = T2V_PIPELINE  # the text-to-video DF pipeline's long-video mode
V2V_PIPELINE = "SkyReelsV2DiffusionForcingVideoToVideoPipeline"
I2V_PIPELINE = "SkyReelsV2DiffusionForcingImageToVideoPipeline"
# Frames each long-video window shares with the one before (the model card's recommended 17),
# and the noise put on those clean frames so the joins do not freeze (recommended 20).
LONG_OVERLAP = 17
ADDNOISE_CONDITION = 20.0
DEFAULT_WINDOW = 97  # the 540P checkpoints' base_num_frames; 121 for 720P


class SkyReelsAdapter(Adapter):
    family = "skyreels"
    default_steps = 30
    default_guidance = 6.0
    cfg_batched = False  # the DF pipelines call the transformer twice per step under guidance

    # -- facts from the configs ----------------------------------------------------------------
    @property
    def variant(self) -> str:
        return "df"

    @property
    def latent_channels(self) -> int:
        return int(self._vae.get("z_dim", 16))

    @property
    def spatial(self) -> int:
        down = self._vae.get("temperal_downsample")
        if isinstance(down, list) and down:
            return 2 ** len(down)  # as the pipelines compute it
        return int(self._vae.get("scale_factor_spatial") or 8)

    @property
    def temporal(self) -> int:
        down = self._vae.get("temperal_downsample")
        if isinstance(down, list) and down:
            return 2 ** sum(bool(d) for d in down)
        return int(self._vae.get("scale_factor_temporal") or 4)

    @property
    def size_multiple(self) -> int:
        patch = self._transformer.get("patch_size", (1, 2, 2))
        # the DF pipelines' check_inputs insist on multiples of 16
        return math.lcm(16, self.spatial * int(patch[1]))

    @property
    def native_fps(self) -> Fraction | None:
        return self.entry.native_fps if self.entry is not None else Fraction(24)

    @property
    def max_frames(self) -> int:
        """The model's window (``base_num_frames``): 97 at 540P, 121 at 720P."""
        if self.entry is not None:
            return self.entry.max_frames
        names = f"{self.local.id} {self.local.path.name}".lower()
        return 121 if "720p" in names else DEFAULT_WINDOW

    @property
    def base_frames(self) -> int:
        """`max_frames` as a count the VAE makes (``4k+1``)."""
        t = self.temporal
        return max(t + 1, (self.max_frames - 1) // t * t + 1)

    @property
    def long_overlap(self) -> int:
        """``overlap_history`` of a long call: 17 frames, fewer where the window is short."""
        t, base = self.temporal, self.base_frames
        return min(LONG_OVERLAP, max(1, (base // 2 - 1) // t * t + 1))

    def operations(self) -> frozenset[str]:
        return frozenset({"text_to_video", "image_to_video", "extend", LONG_SHOT})

    def overlap(self, available: int) -> int:
        """The longest ``4k+1`` run of the tail: the clean prefix the V2V pipeline encodes."""
        if available < 1:
            return 0
        return (available - 1) // self.temporal * self.temporal + 1

    def check_request(self, request: GenerationRequest) -> None:
        if isinstance(request, Extend) and request.direction == "backward":
            raise self.unsupported(
                "extend backward (diffusion forcing continues a video forward only)",
                "use a Wan VACE or an LTX-Video model to extend backward",
            )
        if isinstance(request, ImageToVideo):
            n = request.num_frames
            frames = {n - 1 if im.frame_index == -1 else im.frame_index for im in request.images}
            if frames != {0}:
                raise RequestError(
                    f"model {self.name} pins one image at the first frame only (asked for frames "
                    f"{sorted(frames)}); use a Wan VACE or LTX-Video model for other keyframes"
                )
        if isinstance(request, LongShot):
            prompts = {w.prompt for w in request.windows}
            if len(prompts) > 1:
                raise RequestError(
                    f"model {self.name}'s long-video pipeline ({LONG_PIPELINE}) takes one prompt "
                    f"for the whole shot, and this shot's windows have {len(prompts)} different "
                    "prompts; use --long-method chain for timed prompts"
                )

    def _to_native_fps(self, request: GenerationRequest, notes: list[str]) -> GenerationRequest:
        """A long shot is made at the native rate too, its window boundaries moved with it."""
        native = self.native_fps
        if (
            not isinstance(request, LongShot)
            or native is None
            or request.fps == native
            or not isinstance(request.fps, Fraction)
        ):
            return super()._to_native_fps(request, notes)
        ratio = native / request.fps
        wins = request.windows
        n = max(len(wins), round(request.num_frames * ratio))
        moved: list[ShotWindow] = []
        start = 0
        for i, w in enumerate(wins):
            last = i == len(wins) - 1
            end = n if last else min(max(start + 1, round(w.end * ratio)), n - (len(wins) - 1 - i))
            moved.append(ShotWindow(start, end, w.prompt))
            start = end
        notes.append(
            f"made at the model's native {fps_str(native)} fps: {request.num_frames} frames at "
            f"{fps_str(request.fps)} fps became {n} frames (same duration)"
        )
        return dataclasses.replace(request, fps=native, num_frames=n, windows=tuple(moved))

    # -- loading -------------------------------------------------------------------------------
    def load(self, dtype: Any) -> Any:
        import diffusers

        from engine.backends.diffusers.wan import load_with_wan_vae

        return load_with_wan_vae(
            diffusers.SkyReelsV2DiffusionForcingPipeline, self.folder.path, dtype
        )

    def _derived(self, loaded: LoadedModel, name: str) -> Any:
        """The other DF pipelines (and a Wan text encoder) over the loaded models."""
        import diffusers

        tr = loaded.pipe.transformer
        builds = {
            "text": lambda base: diffusers.WanPipeline(**base),
            "v2v": lambda base: diffusers.SkyReelsV2DiffusionForcingVideoToVideoPipeline(
                **base, transformer=tr
            ),
            "i2v": lambda base: diffusers.SkyReelsV2DiffusionForcingImageToVideoPipeline(
                **base, transformer=tr
            ),
        }
        return derived_pipeline(loaded, name, builds[name])

    def encode_for_preview(self, loaded: LoadedModel) -> Any:
        from engine.backends.diffusers.wan import wan_preview_encoder

        return wan_preview_encoder(loaded, self.latent_channels)

    def preview(self, loaded: LoadedModel, latents: Any, geometry: Any) -> np.ndarray | None:
        """`latents` are the window being denoised, (B, C, F, h, w): its middle frame."""
        from engine.backends.diffusers.preview import latent_preview

        if latents is None or latents.dim() != 5 or latents.shape[2] < 1:
            return None
        return latent_preview(latents[0, :, latents.shape[2] // 2], loaded.projection)

    # -- running ---------------------------------------------------------------------------------
    def run(self, ctx: RunContext) -> dict[str, Any]:
        req = ctx.request
        n = req.num_frames
        steps, guidance = int(req.steps or self.defaults()[0]), float(req.guidance or 0.0)
        if isinstance(req, LongShot):
            return self._long(ctx, req, steps, guidance)
        embeds = self._encode_prompt(ctx, req.prompt, guidance)
        common = self._common(ctx, steps, guidance)
        conditioning: list[dict[str, Any]] = []
        if isinstance(req, TextToVideo):
            window = Window(n, 0, n)
            pipe, name, noise = ctx.loaded.pipe, T2V_PIPELINE, 0.0
            kwargs = {**common, **embeds, "prompt": None, "num_frames": n}
            overlap = None
        elif isinstance(req, ImageToVideo):
            ((_, path),) = req.resolved_pins(n)
            window = Window(n, 0, n)
            pipe, name, noise = self._derived(ctx.loaded, "i2v"), I2V_PIPELINE, 0.0
            kwargs = {**common, **embeds, "num_frames": n}
            kwargs["image"] = ctx.pil([ctx.pinned_image(path)])[0]
            overlap = None
            conditioning.append(
                {"what": f"image {path.name}", "frame_index": 0, "frames": 1, "paths": [str(path)]}
            )
        elif isinstance(req, Extend):
            pins, window = self.edge_plan(ctx, req)
            (pin,) = pins
            overlap = len(pin.frames)
            pipe, name, noise = self._derived(ctx.loaded, "v2v"), V2V_PIPELINE, ADDNOISE_CONDITION
            kwargs = {**common, **embeds, "num_frames": window.length}
            kwargs["video"] = ctx.pil(pin.frames)
            kwargs["overlap_history"] = overlap
            conditioning.append(
                {
                    "what": pin.label,
                    "frame_index": pin.index,
                    "frames": overlap,
                    "paths": list(pin.paths),
                }
            )
        else:  # pragma: no cover - prepare() refuses other operations
            raise TypeError(type(req).__name__)
        kwargs["addnoise_condition"] = noise
        plan = self.iterations(window.length, overlap, always_long=isinstance(req, Extend))
        latents = self._call(ctx, pipe, kwargs, steps, len(plan), "denoise")
        video = self._decode(ctx, latents)
        ctx.write(video, window)
        return {
            "window": window.describe(),
            "conditioning_frames": conditioning,
            "df_call": {
                "pipeline": name,
                "num_frames": window.length,
                "base_num_frames": self.base_frames,
                "overlap_history": overlap,
                "addnoise_condition": noise,
                "ar_step": 0,
                "iterations": [{"latent_start": s, "latent_end": e} for s, e in plan],
            },
        }

    def iterations(
        self, length: int, overlap: int | None, *, always_long: bool = False
    ) -> list[tuple[int, int]]:
        """The latent frames each of the pipeline's windows denoises (as the DF pipelines loop):
        one window up to ``base_num_frames``, then windows that start `overlap` frames back."""
        t = self.temporal
        lat = (length - 1) // t + 1
        base = (self.base_frames - 1) // t + 1
        if overlap is None or (length <= self.base_frames and not always_long):
            return [(0, lat)]
        ov = (overlap - 1) // t + 1
        spans = [(0, min(lat, base))]
        k = 1
        while spans[-1][1] < lat:
            finished = k * (base - ov) + ov
            start = finished - ov
            spans.append((start, start + min(lat - finished + ov, base)))
            k += 1
        return spans

    def _long(self, ctx: RunContext, req: LongShot, steps: int, guidance: float) -> dict[str, Any]:
        t = self.temporal
        length = window_length(req.num_frames, t)
        base, overlap = self.base_frames, self.long_overlap
        plan = self.iterations(length, overlap)
        prompt = req.windows[0].prompt
        embeds = self._encode_prompt(ctx, prompt, guidance)
        kwargs = {
            **self._common(ctx, steps, guidance),
            **embeds,
            "prompt": None,
            "num_frames": length,
            "overlap_history": overlap,
            "addnoise_condition": ADDNOISE_CONDITION,
        }
        latents = self._call(ctx, ctx.loaded.pipe, kwargs, steps, len(plan), "denoise (long call)")
        video = self._decode(ctx, latents)
        window = Window(length, 0, req.num_frames)
        ctx.write(video, window)
        return {
            "window": window.describe(),
            "long_pipeline": {
                "pipeline": LONG_PIPELINE,
                "scheduler": type(ctx.loaded.pipe.scheduler).__name__,
                "prompt": prompt,
                "frames_made": length,
                "base_num_frames": base,
                "overlap_history": overlap,
                "addnoise_condition": ADDNOISE_CONDITION,
                "ar_step": 0,
                "iterations": [
                    {
                        "latent_start": s,
                        "latent_end": e,
                        "frames": [(s - 1) * t + 1 if s else 0, (e - 1) * t + 1],
                    }
                    for s, e in plan
                ],
            },
        }

    def _encode_prompt(self, ctx: RunContext, prompt: str, guidance: float) -> dict[str, Any]:
        from engine.backends.diffusers.wan import wan_encode_prompt

        return wan_encode_prompt(ctx, self._derived(ctx.loaded, "text"), prompt, guidance)

    def _common(self, ctx: RunContext, steps: int, guidance: float) -> dict[str, Any]:
        req = ctx.request
        return dict(
            height=req.height,
            width=req.width,
            num_inference_steps=steps,
            guidance_scale=guidance,
            generator=ctx.generator(),
            base_num_frames=self.base_frames,
            ar_step=0,  # synchronous: every frame of a window at the same noise level
            fps=int(round(float(req.fps))),
            output_type="latent",
            callback_on_step_end_tensor_inputs=["latents"],
        )

    def _call(
        self,
        ctx: RunContext,
        pipe: Any,
        kwargs: dict[str, Any],
        steps: int,
        windows: int,
        stage: str,
    ) -> Any:
        ctx.preview_geometry = 0
        kwargs["callback_on_step_end"] = WindowedSteps(ctx, windows, steps, stage)
        ctx.cancel.raise_if_cancelled()
        with _seeded_global_rng(ctx.request.seed, pipe._execution_device):
            return pipe(**kwargs).frames

    def _decode(self, ctx: RunContext, latents: Any) -> Any:
        from engine.backends.diffusers.wan import wan_decode

        return wan_decode(ctx, latents, self.latent_channels)


@contextlib.contextmanager
def _seeded_global_rng(seed: int, device: Any) -> Iterator[None]:
    """The DF pipelines draw the noise put on clean prefix frames (``addnoise_condition``) from
    torch's global generator, not the one passed in: seed it from the request for the call (the
    same frames every time), and put the caller's random state back afterwards."""
    import torch

    dev = torch.device(device) if device is not None else torch.device("cpu")
    devices: list[int] = []
    if dev.type == "cuda":
        devices = [dev.index if dev.index is not None else torch.cuda.current_device()]
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(seed % 2**63)
        yield
