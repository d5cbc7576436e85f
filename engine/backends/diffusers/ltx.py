"""LTX-Video through diffusers' `LTXConditionPipeline`: every operation, with conditions in time.

LTX conditions a window on frames pinned at any index (`LTXVideoCondition`): one image, or a
run of ``8k+1`` frames, at `frame_index`, with a `strength`. Each operation is one window:

- text to video: no conditions;
- image to video: each still at its frame (first, last, keyframes between);
- extend forward: the parent's last frames (its lossless tail) at index 0; the output starts
  right after them;
- extend backward: the parent's first frames (its lossless head) at the END of the window; the
  output stops right before them;
- bridge: A's tail at index 0, B's head at the end; the output is what lies between;
- loop: with a source, a bridge from its tail back to its head; without one, a keyframe is made
  first (a one-frame generation) and pinned at both ends of the window;
- remix: the source frames as a video condition of strength ``1 - s`` with
  ``denoise_strength = s`` (the denoise starts from the source noised to level s).

A long shot (`LongShot`, longer than one window) is made in one call of diffusers'
`LTXI2VLongMultiPromptPipeline` over the same loaded models: sliding windows in latent space,
each conditioned on the previous window's last 3 latent frames (24 frames; chaining pins the
9 lossless tail frames, i.e. 2 latent frames), blended across the overlap, AdaIN-normalised to
the first window, with a prompt per window. The latents are decoded at the end, 64 frames at a
time as diffusers' VAE tiling does it, and streamed out (no VAE round trip per join, and a
one-minute shot never sits decoded whole); the job cuts them into one clip per planned window.

Distilled checkpoints run with their recommended schedule (8 steps, fixed timesteps) and no
classifier-free guidance.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from engine.api import (
    LONG_SHOT,
    OPERATIONS,
    REGION_OPERATIONS,
    Bridge,
    Extend,
    GenerationRequest,
    ImageToVideo,
    LongShot,
    Loop,
    Remix,
    RequestError,
    TextToVideo,
)
from engine.backends.diffusers.common import (
    Adapter,
    LoadedModel,
    RunContext,
    Window,
    WindowedSteps,
    derived_pipeline,
    latent_upsample_pipeline,
    pretrained_kwargs,
    read_source_frames,
    stream_temporal_decode,
    window_length,
)
from engine.catalog import UPSAMPLER_PART

__all__ = ["DISTILLED_TIMESTEPS", "LTXAdapter"]

log = logging.getLogger(__name__)

# Lightricks' schedule for the distilled 0.9.7/0.9.8 checkpoints (first pass, 8 steps).
DISTILLED_TIMESTEPS = (1000.0, 993.0, 987.0, 981.0, 975.0, 909.0, 725.0, 0.03)
DECODE_TIMESTEP = 0.05
# Lightricks' multi-scale recipe for the distilled checkpoints (diffusers' LTX-Video docs): the
# first pass at 2/3 of the size, the latents doubled by the spatial upsampler (its AdaIN pulled
# fully to the first pass), then a short refine pass at the doubled size from the upsampled
# latents (denoise strength 0.999 over these timesteps), resized to the asked size on output.
MULTISCALE_DOWNSCALE = 2 / 3
REFINE_TIMESTEPS = (1000.0, 909.0, 725.0, 421.0, 0.0)
REFINE_DENOISE = 0.999
UPSAMPLER_ADAIN = 1.0
# LTX-Video 0.9.8 distilled adds tone mapping of the upsampled latents: "The default value of
# 0.6 is recommended" (diffusers docs/source/en/api/pipelines/ltx_video.md, the 0.9.8 distilled
# example: pipe_upsample(latents=..., adain_factor=1.0, tone_map_compression_ratio=0.6)); the
# 0.9.7 example has none. The first-pass timesteps, the refine timesteps with denoise strength
# 0.999, decode timestep 0.05 / noise 0.025 and guidance_rescale 0.7 above are that example's
# too (checked against diffusers 0.42.1's docs); guidance_rescale only acts under classifier-free
# guidance in LTXConditionPipeline, so the engine passes it when guidance > 1.
TONE_MAP_098 = 0.6
UPSAMPLER_SUBFOLDER = "latent_upsampler"
UPSAMPLER_REPOS = (
    "Lightricks/ltxv-spatial-upscaler-0.9.8",
    "Lightricks/ltxv-spatial-upscaler-0.9.7",
)
# The published guidance rescale for guided (dev) runs: keeps classifier-free guidance from
# over-saturating (diffusers' LTX-Video docs use 0.7).
GUIDANCE_RESCALE = 0.7
# Lightricks' default negative prompt (diffusers' LTXConditionPipeline example), used when a
# shot has none and guidance is on.
DEFAULT_NEGATIVE_PROMPT = "worst quality, inconsistent motion, blurry, jittery, distorted"
DECODE_NOISE_SCALE = 0.025
# Long shots in one call: latent frames each pipeline window shares with the one before (3, the
# pipeline's own default of 24 frames at LTX's 8x time compression), and its AdaIN pull
# toward the first window.
LONG_OVERLAP_LATENTS = 3
LONG_ADAIN = 0.25
LONG_PIPELINE = "LTXI2VLongMultiPromptPipeline"
LTX_PROMPT_TOKENS = 256  # LTXConditionPipeline's max_sequence_length
# A long call is decoded in tiles of this many latent frames (64 frames at LTX's 8x), each
# blended over one latent frame's worth into the next, and streamed to the sink.
LONG_DECODE_TILE = 8


@dataclass(frozen=True)
class Condition:
    """Frames pinned in a window (before they become an `LTXVideoCondition`)."""

    frames: tuple[np.ndarray, ...]
    frame_index: int
    strength: float
    label: str
    paths: tuple[str, ...] = ()

    def describe(self) -> dict[str, Any]:
        return {
            "what": self.label,
            "frame_index": self.frame_index,
            "frames": len(self.frames),
            "strength": round(self.strength, 4),
            "paths": list(self.paths),
        }


class LTXVaeFacts:
    """What an LTX-style VAE says and does (LTX-Video and LTX-2 share it): the spatial and
    temporal compression, the checkpoint's variant, and encoding frames for the preview. Needs
    ``_vae`` and ``distilled``."""

    default_scaling: tuple[bool, ...] = (True, True, True, False)
    _vae: dict[str, Any]
    distilled: bool

    @property
    def variant(self) -> str:
        return "distilled" if self.distilled else "dev"

    @property
    def spatial(self) -> int:
        cfg = self._vae
        if cfg.get("spatial_compression_ratio"):
            return int(cfg["spatial_compression_ratio"])
        scaling = cfg.get("spatio_temporal_scaling", self.default_scaling)
        return int(cfg.get("patch_size", 4)) * 2 ** sum(bool(s) for s in scaling)

    @property
    def temporal(self) -> int:
        cfg = self._vae
        if cfg.get("temporal_compression_ratio"):
            return int(cfg["temporal_compression_ratio"])
        scaling = cfg.get("spatio_temporal_scaling", self.default_scaling)
        return int(cfg.get("patch_size_t", 1)) * 2 ** sum(bool(s) for s in scaling)

    def two_stage_upsampler(self) -> Any:
        """The latent upsampler's folder when this model's runs load it, else None."""
        return None

    def part_params(self) -> dict[str, int]:
        """The pipeline's parts, plus the latent upsampler its runs load (kept on the device
        beside them: `engine.catalog.RESIDENT_PARTS`)."""
        from engine.backends.diffusers.device import stored_params

        out: dict[str, int] = super().part_params()  # type: ignore[misc]
        folder = self.two_stage_upsampler()
        if folder is not None:
            out[UPSAMPLER_PART] = stored_params(folder)
        return out

    def encode_for_preview(self, loaded: LoadedModel) -> Any:
        """Images to normalised video latents, for the live preview's reference frames."""
        pipe = loaded.pipe
        vae = pipe.vae

        def encode(images: Any) -> Any:
            images = images.to(pipe._execution_device, vae.dtype)
            lat = vae.encode(images).latent_dist.mode()
            return pipe._normalize_latents(lat, vae.latents_mean, vae.latents_std)

        return encode


class LTXAdapter(LTXVaeFacts, Adapter):
    family = "ltx"
    default_steps = 40
    default_guidance = 3.0
    cfg_batched = True  # LTXConditionPipeline: torch.cat([latents] * 2), one forward pass

    @property
    def _patch(self) -> tuple[int, int]:
        t = self._transformer
        return int(t.get("patch_size", 1)), int(t.get("patch_size_t", 1))

    @property
    def size_multiple(self) -> int:
        # LTXConditionPipeline.check_inputs() insists on multiples of 32.
        return math.lcm(32, self.spatial * self._patch[0])

    @property
    def latent_channels(self) -> int:
        return int(self._vae.get("latent_channels", 128))

    def distilled_schedule(self, steps: int) -> list[float] | None:
        """Lightricks' fixed timesteps when a distilled checkpoint runs its 8 steps, else None."""
        if self.distilled and steps == len(DISTILLED_TIMESTEPS):
            return list(DISTILLED_TIMESTEPS)
        return None

    def operations(self) -> frozenset[str]:
        # The one-call long pipeline (its Euler-ancestral RF sampler, AdaIN, tail injection) is
        # made for the distilled checkpoints; with the others the app chains windows instead.
        # No region edits: LTXConditionPipeline conditions on whole frames, not on a mask.
        ops = frozenset(OPERATIONS - REGION_OPERATIONS)
        return ops | {LONG_SHOT} if self.distilled else ops

    def defaults(self) -> tuple[int, float]:
        if self.distilled and (self.entry is None or self.entry.default_steps is None):
            return len(DISTILLED_TIMESTEPS), 1.0
        return super().defaults()

    def overlap(self, available: int) -> int:
        """The longest ``8k+1`` run of the available head/tail frames (a video condition)."""
        if available < 1:
            return 0
        return (available - 1) // self.temporal * self.temporal + 1

    def prepare(
        self, request: GenerationRequest, engine: str
    ) -> tuple[GenerationRequest, list[str]]:
        request, notes = super().prepare(request, engine)
        guidance = request.guidance if request.guidance is not None else self.defaults()[1]
        if not request.negative_prompt and guidance > 1:
            request = dataclasses.replace(request, negative_prompt=DEFAULT_NEGATIVE_PROMPT)
            notes.append("no negative prompt given: LTX-Video's default negative prompt is used")
        return request, notes

    def check_request(self, request: GenerationRequest) -> None:
        from engine.backends.diffusers.speed import SpeedSettings, family_attention_problem

        backend = SpeedSettings.from_options(request.options).attention
        problem = family_attention_problem(backend, self.family) if backend else None
        if problem is not None:
            raise RequestError(problem)

    # -- loading -------------------------------------------------------------------------------
    def load(self, dtype: Any) -> Any:
        from diffusers import LTXConditionPipeline

        _quiet_timesteps_warning()
        pipe = LTXConditionPipeline.from_pretrained(
            str(self.folder.path), **pretrained_kwargs(dtype)
        )
        pipe.set_progress_bar_config(disable=True)
        return pipe

    def preview(self, loaded: LoadedModel, latents: Any, geometry: Any) -> np.ndarray | None:
        """`latents` are packed tokens (B, S, C*pt*p*p), extra conditioning tokens first."""
        from engine.backends.diffusers.preview import latent_preview

        if geometry is None:
            return None
        lf, lh, lw = geometry
        per_frame = lh * lw
        main = latents[0, -lf * per_frame :]
        f = lf // 2
        block = main[f * per_frame : (f + 1) * per_frame]
        c = self.latent_channels
        chw = block.reshape(per_frame, c, -1)[:, :, 0].T.reshape(c, lh, lw)
        return latent_preview(chw, loaded.projection)

    # -- running ---------------------------------------------------------------------------------
    def run(self, ctx: RunContext) -> dict[str, Any]:
        req = ctx.request
        n = req.num_frames
        denoise_strength = 1.0
        recipe: dict[str, Any] = {}

        # 1. Conditioning frames (lossless PNGs, never the MP4) and the window.
        if isinstance(req, LongShot):
            return self._long(ctx, req)
        if isinstance(req, TextToVideo):
            conds, window = [], Window(n, 0, n)
        elif isinstance(req, ImageToVideo):
            conds = [
                Condition((ctx.pinned_image(p),), f, 1.0, f"image {p.name}", (str(p),))
                for f, p in req.resolved_pins(n)
            ]
            window = Window(n, 0, n)
        elif isinstance(req, Extend):
            conds, window = self._extend(ctx, req)
        elif isinstance(req, Bridge) or (isinstance(req, Loop) and req.source is not None):
            conds, window = self._bridge(ctx, req)
        elif isinstance(req, Loop):
            key = self._keyframe(ctx)
            conds = [
                Condition((key,), 0, 1.0, "loop keyframe (start)"),
                Condition((key,), n, 1.0, "loop keyframe (end, dropped)"),
            ]
            window = Window(n + 1, 0, n)
            recipe["loop_keyframe"] = "generated first (one frame), pinned at both ends"
        elif isinstance(req, Remix):
            conds, window = self._remix(ctx, req)
            denoise_strength = float(req.strength)
        else:  # pragma: no cover - prepare() refuses other operations
            raise TypeError(type(req).__name__)

        # 2. The schedule.
        steps, guidance = int(req.steps or self.defaults()[0]), float(req.guidance or 0.0)
        timesteps = self.distilled_schedule(steps)
        # 3. Denoise to latents (the step callback reports, previews and raises on cancel):
        # distilled checkpoints at their schedule run Lightricks' multi-scale recipe when the
        # spatial upsampler is installed.
        upsampler = self.upsampler_folder() if timesteps and denoise_strength == 1 else None
        if timesteps and denoise_strength == 1 and upsampler is None:
            self._no_upsampler_note(ctx)
        if upsampler is not None:
            latents, recipe["multiscale"] = self._multiscale(
                ctx, conds, window.length, guidance, timesteps, upsampler
            )
        else:
            latents = self._denoise(
                ctx, conds, window.length, steps, guidance, timesteps, denoise_strength
            )
        if guidance > 1:
            recipe["guidance_rescale"] = GUIDANCE_RESCALE
        # 4. Decode, then stream the kept frames into the sink.
        video = self._decode(ctx, latents)
        ctx.write(video, window)

        recipe.update(
            {
                "window": window.describe(),
                "conditioning_frames": [c.describe() for c in conds],
                "timesteps": timesteps,
                "denoise_strength": denoise_strength,
                "image_cond_noise_scale": self._cond_noise(),
                "decode_timestep": DECODE_TIMESTEP
                if self._vae.get("timestep_conditioning")
                else None,
            }
        )
        return recipe

    # -- long shots in one call -----------------------------------------------------------------
    def long_tiles(self, req: LongShot) -> tuple[int, int, int, list[tuple[int, int]]]:
        """The pipeline's plan: (frames made, tile frames, overlap frames, latent windows).

        A tile is the shot's longest planned window plus the overlap (so the pipeline's
        windows fall on the planned ones when those are equal), within the model's window.
        """
        t = self.temporal
        length = window_length(req.num_frames, t)
        longest = max(w.end - w.start for w in req.windows)
        overlap = LONG_OVERLAP_LATENTS * t
        tile = -(-longest // t) * t + overlap
        tile = max(overlap + t, min(tile, (self.max_frames - 1) // t * t))
        lat_len = (length - 1) // t + 1
        tile_lat, ov_lat = tile // t, overlap // t
        stride = max(tile_lat - ov_lat, 1)
        windows, start = [], 0
        while start < lat_len:  # as diffusers' split_into_temporal_windows
            end = min(start + tile_lat, lat_len)
            windows.append((start, end))
            if end == lat_len:
                break
            start += stride
        return length, tile, overlap, windows

    def long_prompts(self, req: LongShot, tiles: list[tuple[int, int]], overlap: int) -> list[str]:
        """Each pipeline window's prompt: the planned window where its new frames begin."""
        t = self.temporal
        prompts = []
        for i, (s, _) in enumerate(tiles):
            first_new = min(req.num_frames - 1, (s + (overlap // t if i else 0)) * t)
            w = next(w for w in req.windows if w.start <= first_new < w.end)
            prompts.append(w.prompt)
        return prompts

    def chained_sigmas(self, loaded: LoadedModel, steps: int) -> list[float]:
        """The noise levels a one-window call (LTXConditionPipeline) goes through for ``steps``,
        down to the terminal 0: its timesteps put through the loaded scheduler's own config
        (shift, terminal stretch), so the long call denoises exactly as chained windows do."""
        import copy

        from diffusers.pipelines.ltx.pipeline_ltx_condition import linear_quadratic_schedule

        timesteps = self.distilled_schedule(steps) or [
            float(x) * 1000.0 for x in linear_quadratic_schedule(steps)
        ]
        scheduler = copy.deepcopy(loaded.pipe.scheduler)
        scheduler.set_timesteps(timesteps=timesteps, device="cpu")
        return [float(x) for x in scheduler.sigmas]

    def _long_pipeline(self, loaded: LoadedModel) -> Any:
        """diffusers' long-video pipeline over the loaded models (no second copy of weights)."""
        from diffusers import LTXEulerAncestralRFScheduler, LTXI2VLongMultiPromptPipeline

        def build(base: dict[str, Any]) -> Any:
            rf = LTXEulerAncestralRFScheduler.from_config(base["scheduler"].config)
            return LTXI2VLongMultiPromptPipeline(
                **dict(base, scheduler=rf), transformer=loaded.pipe.transformer
            )

        return derived_pipeline(loaded, "long", build)

    def _long(self, ctx: RunContext, req: LongShot) -> dict[str, Any]:
        length, tile, overlap, tiles = self.long_tiles(req)
        prompts = self.long_prompts(req, tiles, overlap)
        steps, guidance = int(req.steps or self.defaults()[0]), float(req.guidance or 0.0)
        sigmas = self.chained_sigmas(ctx.loaded, steps)
        pipe = self._long_pipeline(ctx.loaded)
        p, _ = self._patch
        lh, lw = req.height // self.spatial // p, req.width // self.spatial // p
        lengths = [e - s for s, e in tiles]

        def own(window: int, packed: Any) -> Any:
            # the window's own tokens (the pipeline appends the previous window's tail after
            # them), with the geometry the preview needs
            lf = lengths[min(window, len(lengths) - 1)]
            ctx.preview_geometry = (lf, lh, lw)
            return packed[:, : lf * lh * lw]

        # "latents" there is the whole shot's starting noise; the window being denoised is
        # "latents_packed"
        windowed = WindowedSteps(
            ctx, len(tiles), steps, "denoise (long call)", "latents_packed", own
        )
        from engine.backends.diffusers.speed import reset_step_cache

        def callback(call: Any, step: int, timestep: Any, kwargs: dict[str, Any]) -> dict:
            out = windowed(call, step, timestep, kwargs)
            if step >= len(call.scheduler.timesteps) - 2:
                # the window's last step (the pipeline loops over timesteps[:-1]): the next
                # window has other tokens (the previous window's tail appended, maybe fewer
                # frames), so the step cache starts afresh
                reset_step_cache(ctx.loaded.pipe)
            return out

        negative = req.negative_prompt or None
        ctx.cancel.raise_if_cancelled()
        with _encoded_once(pipe, prompts, negative, guidance, ctx):
            out = self._long_call(
                pipe, ctx, req, prompts, negative, length, guidance, sigmas, tile, overlap, callback
            )
        ctx.write_stream(self._decode_stream(ctx, out.frames), Window(length, 0, req.num_frames))
        return {
            "long_pipeline": {
                "pipeline": LONG_PIPELINE,
                "scheduler": type(pipe.scheduler).__name__,
                "frames_made": length,
                "tile_frames": tile,
                "overlap_frames": overlap,
                "adain_factor": LONG_ADAIN,
                "windows": [
                    {"latent_start": s, "latent_end": e, "prompt": text}
                    for (s, e), text in zip(tiles, prompts, strict=True)
                ],
                "prompts_encoded": len(dict.fromkeys(prompts)),
                "sigmas": [round(x, 6) for x in sigmas],
            },
            "decode_timestep": DECODE_TIMESTEP if self._vae.get("timestep_conditioning") else None,
        }

    @staticmethod
    def _long_call(
        pipe: Any,
        ctx: RunContext,
        req: LongShot,
        prompts: list[str],
        negative: str | None,
        length: int,
        guidance: float,
        sigmas: list[float],
        tile: int,
        overlap: int,
        callback: Any,
    ) -> Any:
        return pipe(
            prompt=prompts[0],
            negative_prompt=negative,
            prompt_segments=[
                {"start_window": i, "end_window": i, "text": text} for i, text in enumerate(prompts)
            ],
            height=req.height,
            width=req.width,
            num_frames=length,
            frame_rate=float(req.fps),
            guidance_scale=guidance,
            sigmas=sigmas,
            generator=ctx.generator(),
            seed=None,  # one CPU generator for every window: the same frames on any device
            temporal_tile_size=tile,
            temporal_overlap=overlap,
            adain_factor=LONG_ADAIN,
            skip_steps_sigma_threshold=None,
            # as many prompt tokens as a one-window call reads (this pipeline's default is 128:
            # a long prompt with expanded @elements would be cut short)
            max_sequence_length=LTX_PROMPT_TOKENS,
            output_type="latent",
            callback_on_step_end=callback,
            callback_on_step_end_tensor_inputs=["latents_packed"],
        )

    def _cond_noise(self) -> float:
        return 0.0 if self.distilled else 0.025

    def _extend(self, ctx: RunContext, req: Extend) -> tuple[list[Condition], Window]:
        return self._pins(ctx, req)

    def _bridge(self, ctx: RunContext, req: Bridge | Loop) -> tuple[list[Condition], Window]:
        return self._pins(ctx, req)

    def _pins(self, ctx: RunContext, req: Extend | Bridge | Loop) -> tuple[list[Condition], Window]:
        pins, window = self.edge_plan(ctx, req)
        return [Condition(p.frames, p.index, 1.0, p.label, p.paths) for p in pins], window

    def _remix(self, ctx: RunContext, req: Remix) -> tuple[list[Condition], Window]:
        n = req.num_frames
        frames = read_source_frames(ctx, req)
        strength = 1.0 - float(req.strength)
        cond = Condition(tuple(frames), 0, strength, "source take (remix)")
        return [cond], Window(n, 0, n)

    def _keyframe(self, ctx: RunContext) -> np.ndarray:
        """A one-frame generation of the prompt (the first and last frame of a loop)."""
        steps, guidance = (
            int(ctx.request.steps or self.defaults()[0]),
            float(ctx.request.guidance or 0.0),
        )
        timesteps = self.distilled_schedule(steps)
        latents = self._denoise(ctx, [], 1, steps, guidance, timesteps, 1.0, stage="keyframe")
        video = self._decode(ctx, latents)
        f = video[0, :, 0]
        f = ((f.float().clamp(-1, 1) + 1.0) * 127.5).round().byte()
        return np.ascontiguousarray(f.permute(1, 2, 0).cpu().numpy())

    def _denoise(
        self,
        ctx: RunContext,
        conds: list[Condition],
        length: int,
        steps: int,
        guidance: float,
        timesteps: list[float] | None,
        denoise_strength: float,
        stage: str = "denoise",
        size: tuple[int, int] | None = None,
        latents: Any = None,
    ) -> Any:
        from diffusers.pipelines.ltx.pipeline_ltx_condition import LTXVideoCondition

        req, pipe = ctx.request, ctx.loaded.pipe
        width, height = size or (req.width, req.height)
        p, pt = self._patch
        lf = ((length - 1) // self.temporal + 1) // pt
        ctx.preview_geometry = (
            lf,
            height // self.spatial // p,
            width // self.spatial // p,
        )
        total = len(timesteps) if timesteps else steps
        if denoise_strength < 1:
            total = max(1, min(total, int(total * denoise_strength)))
        callback = ctx.step_callback(total, stage)
        conditions = []
        for c in conds:
            images = ctx.pil(c.frames)
            if len(images) == 1:
                conditions.append(
                    LTXVideoCondition(
                        image=images[0], frame_index=c.frame_index, strength=c.strength
                    )
                )
            else:
                conditions.append(
                    LTXVideoCondition(video=images, frame_index=c.frame_index, strength=c.strength)
                )
        kwargs: dict[str, Any] = dict(
            prompt=req.prompt,
            negative_prompt=req.negative_prompt or None,
            height=height,
            width=width,
            num_frames=length,
            frame_rate=float(req.fps),
            num_inference_steps=steps,
            guidance_scale=guidance,
            guidance_rescale=GUIDANCE_RESCALE if guidance > 1 else 0.0,
            denoise_strength=denoise_strength,
            image_cond_noise_scale=self._cond_noise(),
            generator=ctx.generator(),
            output_type="latent",
            callback_on_step_end=callback,
            callback_on_step_end_tensor_inputs=["latents"],
        )
        if conditions:
            kwargs["conditions"] = conditions
        if timesteps:
            kwargs["timesteps"] = timesteps
        if latents is not None:
            kwargs["latents"] = latents
        ctx.cancel.raise_if_cancelled()
        out = pipe(**kwargs)
        return out.frames

    # -- the distilled multi-scale recipe --------------------------------------------------------
    def two_stage_upsampler(self) -> Any:
        """Only the distilled checkpoints run the multi-scale recipe (with an upsampler)."""
        return self.upsampler_folder() if self.distilled else None

    def upsampler_folder(self) -> Any:
        """The spatial latent upsampler's folder (config.json + safetensors), or None: the
        model folder's ``latent_upsampler/``, ``PREVIZ_LTX_UPSAMPLER``, or Lightricks' upscaler
        repository in the Hugging Face cache (never downloaded here)."""
        import os
        from pathlib import Path

        candidates = [self.folder.path / UPSAMPLER_SUBFOLDER]
        env = os.environ.get("PREVIZ_LTX_UPSAMPLER")
        if env:
            candidates += [Path(env), Path(env) / UPSAMPLER_SUBFOLDER]
        for c in candidates:
            if (c / "config.json").is_file() and any(c.glob("*.safetensors")):
                return c
        try:
            from huggingface_hub import snapshot_download
        except ImportError:  # pragma: no cover - the diffusers extra brings it
            return None
        for repo in UPSAMPLER_REPOS:
            try:
                root = Path(snapshot_download(repo, local_files_only=True))
            except Exception:  # noqa: BLE001 - not in the cache
                continue
            c = root / UPSAMPLER_SUBFOLDER
            if (c / "config.json").is_file() and any(c.glob("*.safetensors")):
                return c
        return None

    def _no_upsampler_note(self, ctx: RunContext) -> None:
        key = str(self.folder.path)
        if key in _UPSAMPLER_NOTED:
            return
        _UPSAMPLER_NOTED.add(key)
        text = (
            f"{self.name}: no spatial latent upsampler installed, so the distilled model runs "
            "one pass at full size instead of its multi-scale recipe (install "
            f"{UPSAMPLER_REPOS[0]} with `previz models download` for it)"
        )
        log.warning(text)
        ctx.notes.append(text)

    def _upsample_pipeline(self, loaded: LoadedModel, folder: Any) -> Any:
        """diffusers' LTXLatentUpsamplePipeline over the loaded VAE and the upsampler."""
        from diffusers import LTXLatentUpsamplePipeline
        from diffusers.pipelines.ltx.modeling_latent_upsampler import LTXLatentUpsamplerModel

        return latent_upsample_pipeline(
            loaded, folder, LTXLatentUpsamplerModel, LTXLatentUpsamplePipeline
        )

    def upsampler_tone_map(self, folder: Any) -> float:
        """`TONE_MAP_098` for LTX-Video 0.9.8 (its model or upsampler named so), else 0."""
        names = (self.name, str(self.folder.path.name), str(folder))
        return TONE_MAP_098 if any("0.9.8" in n or "0-9-8" in n for n in names) else 0.0

    def multiscale_sizes(self, width: int, height: int) -> tuple[tuple[int, int], tuple[int, int]]:
        """((first pass w, h), (refine pass w, h)): 2/3 of the size, down to the pipeline's
        multiple, then doubled by the upsampler."""
        m = self.size_multiple
        dw = max(m, int(width * MULTISCALE_DOWNSCALE) // m * m)
        dh = max(m, int(height * MULTISCALE_DOWNSCALE) // m * m)
        return (dw, dh), (2 * dw, 2 * dh)

    def _multiscale(
        self,
        ctx: RunContext,
        conds: list[Condition],
        length: int,
        guidance: float,
        timesteps: list[float],
        folder: Any,
    ) -> tuple[Any, dict[str, Any]]:
        import torch

        req = ctx.request
        first, refine = self.multiscale_sizes(req.width, req.height)
        tone_map = self.upsampler_tone_map(folder)
        small = self._denoise(
            ctx, conds, length, len(timesteps), guidance, timesteps, 1.0, size=first
        )
        ctx.cancel.raise_if_cancelled()
        ctx.stage("upsample")
        upsample = self._upsample_pipeline(ctx.loaded, folder)
        with torch.no_grad():
            up = upsample(
                latents=small,
                adain_factor=UPSAMPLER_ADAIN,
                tone_map_compression_ratio=tone_map,
                output_type="latent",
            ).frames
        refine_steps = list(REFINE_TIMESTEPS)
        latents = self._denoise(
            ctx,
            conds,
            length,
            len(refine_steps),
            guidance,
            refine_steps,
            REFINE_DENOISE,
            stage="refine",
            size=refine,
            latents=up,
        )
        return latents, {
            "first_pass": f"{first[0]}x{first[1]}",
            "upsampler": str(folder),
            "tone_map_compression_ratio": tone_map,
            "refine_pass": f"{refine[0]}x{refine[1]}",
            "refine_timesteps": refine_steps,
            "refine_denoise_strength": REFINE_DENOISE,
            "output": f"{req.width}x{req.height} (resized from the refine pass)",
        }

    def _decode_inputs(self, ctx: RunContext, latents: Any) -> tuple[Any, Any, Any]:
        """(VAE, latents to decode, decode timestep): denormalised, with decode noise for
        timestep-conditioned VAEs."""
        import torch
        from diffusers.utils.torch_utils import randn_tensor

        pipe = ctx.loaded.pipe
        vae = ctx.begin_decode()
        device = pipe._execution_device
        with torch.no_grad():
            lat = pipe._denormalize_latents(
                latents, vae.latents_mean, vae.latents_std, vae.config.scaling_factor
            ).to(device=device, dtype=vae.dtype)
            timestep = None
            if vae.config.timestep_conditioning:
                noise = randn_tensor(
                    lat.shape, generator=ctx.generator(1), device=device, dtype=lat.dtype
                )
                timestep = torch.tensor([DECODE_TIMESTEP], device=device, dtype=lat.dtype)
                scale = torch.tensor([DECODE_NOISE_SCALE], device=device, dtype=lat.dtype)
                scale = scale[:, None, None, None, None]
                lat = (1 - scale) * lat + scale * noise
        return vae, lat, timestep

    def _decode(self, ctx: RunContext, latents: Any) -> Any:
        """Denormalise and decode with the VAE (timestep-conditioned VAEs get decode noise)."""
        import torch

        vae, lat, timestep = self._decode_inputs(ctx, latents)
        with torch.no_grad():
            video = vae.decode(lat, timestep, return_dict=False)[0]
        ctx.loaded.pipe.maybe_free_model_hooks()
        return video

    def _decode_stream(self, ctx: RunContext, latents: Any) -> Iterator[Any]:
        """`_decode` a stretch of time at a time (a long shot never sits decoded whole; see
        `stream_temporal_decode`), tiles of LONG_DECODE_TILE latent frames."""
        import torch

        vae, lat, timestep = self._decode_inputs(ctx, latents)

        def decode(z: Any) -> Any:
            with torch.no_grad():
                return vae.decode(z, timestep, return_dict=False)[0]

        framewise = getattr(vae, "use_framewise_decoding", False)
        vae.use_framewise_decoding = False  # the VAE's own temporal tiling: ours does it
        try:
            yield from stream_temporal_decode(
                decode, lat, self.temporal, LONG_DECODE_TILE, LONG_DECODE_TILE - 1
            )
        finally:
            vae.use_framewise_decoding = framewise
            ctx.loaded.pipe.maybe_free_model_hooks()


_UPSAMPLER_NOTED: set[str] = set()  # model folders already told they have no upsampler


class _TimestepsWarningFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("`timesteps` were passed without `sigmas`")


def _quiet_timesteps_warning() -> None:
    """LTXConditionPipeline hands its scheduler timesteps by design (its own schedule) and
    diffusers warns about that on every call; drop that one message, keep the logger's others."""
    name = "diffusers.schedulers.scheduling_flow_match_euler_discrete"
    lg = logging.getLogger(name)
    if not any(isinstance(f, _TimestepsWarningFilter) for f in lg.filters):
        lg.addFilter(_TimestepsWarningFilter())


@contextlib.contextmanager
def _encoded_once(
    pipe: Any, prompts: list[str], negative: str | None, guidance: float, ctx: RunContext
) -> Iterator[None]:
    """Encode every window's prompt up front, then have the long pipeline read them back.

    `LTXI2VLongMultiPromptPipeline` encodes its prompt again for every window; under model
    offload that moves the ~9.5 GB text encoder back on the GPU while the transformer is
    resident. Here each distinct prompt is encoded once, before the transformer runs, and the
    pipeline's per-window ``encode_prompt`` returns the stored embeddings."""
    import torch

    ctx.stage("encode")
    cfg = guidance > 1.0
    device = pipe._execution_device
    stored: dict[str, tuple[Any, ...]] = {}
    with torch.no_grad():
        for text in dict.fromkeys(prompts):
            ctx.cancel.raise_if_cancelled()
            stored[text] = type(pipe).encode_prompt(
                pipe,
                prompt=[text],
                negative_prompt=negative,
                do_classifier_free_guidance=cfg,
                num_videos_per_prompt=1,
                max_sequence_length=LTX_PROMPT_TOKENS,
                device=device,
            )

    def encode_prompt(prompt: Any = None, **kwargs: Any) -> tuple[Any, ...]:
        text = prompt[0] if isinstance(prompt, list) else prompt
        if text not in stored:  # pragma: no cover - every window's prompt is stored above
            raise RuntimeError(f"window prompt {text!r} was not encoded up front")
        return stored[text]

    pipe.encode_prompt = encode_prompt
    try:
        yield
    finally:
        del pipe.encode_prompt
