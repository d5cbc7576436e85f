"""Wan 2.1 / 2.2 through diffusers: one adapter, five kinds of checkpoint.

Which pipelines a Wan folder can drive depends on its transformer (read from its config):

- ``t2v`` (`WanPipeline`; Wan2.1-T2V, Wan2.2-T2V-A14B): text to video, and remix through
  `WanVideoToVideoPipeline` on the same models;
- ``ti2v`` (`WanPipeline` with ``expand_timesteps``; Wan2.2-TI2V-5B): text to video, and image
  to video / extend forward through `WanImageToVideoPipeline` (first frame);
- ``i2v`` (`WanImageToVideoPipeline`; Wan2.1-I2V, Wan2.2-I2V-A14B): a first frame (image to
  video, extend forward); where the transformer takes no CLIP image embedding (Wan 2.2) also a
  last frame (``last_image``), so bridge and loop too;
- ``flf2v`` (`WanImageToVideoPipeline` whose transformer embeds two images; Wan2.1-FLF2V):
  always a first AND a last frame: image to video with both ends pinned, bridge from A's last
  frame to B's first, loop from a take's last frame back to its first;
- ``vace`` (`WanVACEPipeline`): frames pinned anywhere through a video + mask (grey frames,
  mask white where frames are made), so: image to video with keyframes, extend forward and
  backward on the parent's whole lossless tail/head, bridge, loop, and an element's reference
  image for character consistency (``reference_images``); and the region edits: inpaint (the
  source take's frames, grey and masked white inside the region) and cinemagraph (a still whose
  region is grey and masked after its first frame), each laid back over its source through the
  feathered mask so the pixels outside it are the source's own (see `WanAdapter._region`).

Prompts are encoded once with `WanPipeline.encode_prompt` and passed as embeddings (the other
Wan pipelines' text cleaning needs the optional ``ftfy`` package).
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from engine.api import (
    Bridge,
    Cinemagraph,
    Extend,
    GenerationRequest,
    ImageToVideo,
    Inpaint,
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
    derived_pipeline,
    pretrained_kwargs,
    read_source_frames,
    window_length,
)

__all__ = [
    "WanAdapter",
    "load_with_wan_vae",
    "wan_decode",
    "wan_encode_prompt",
    "wan_preview_encoder",
]

log = logging.getLogger(__name__)

GREY = 128  # the value VACE reads as "nothing here yet"
# Wan's own default negative prompt (Wan's sample_neg_prompt, in the English of diffusers' Wan
# pipeline examples), used when a shot has none and guidance is on.
DEFAULT_NEGATIVE_PROMPT = (
    "Bright tones, overexposed, static, blurred details, subtitles, style, works, paintings, "
    "images, static, overall gray, worst quality, low quality, JPEG compression residue, ugly, "
    "incomplete, extra fingers, poorly drawn hands, poorly drawn faces, deformed, disfigured, "
    "misshapen limbs, fused fingers, still picture, messy background, three legs, many people "
    "in the background, walking backwards"
)
# Frames the checkpoints were trained on (one window): Wan 2.1 and 2.2 A14B 81 (5 s at 16 fps),
# Wan 2.2 TI2V-5B 121 (5 s at 24 fps). The pipelines take more, with repetition and drift.
TRAINED_FRAMES = {"ti2v": 121}
TRAINED_FRAMES_DEFAULT = 81


@dataclass(frozen=True)
class Known:
    """Frames whose pixels are given (mask black) at window positions."""

    frames: tuple[np.ndarray, ...]
    start: int
    label: str
    paths: tuple[str, ...] = ()

    def describe(self) -> dict[str, Any]:
        return {
            "what": self.label,
            "frame_index": self.start,
            "frames": len(self.frames),
            "paths": list(self.paths),
        }


def reference_images(request: GenerationRequest) -> tuple[Path, ...]:
    """Element reference images carried by the request (a ``reference_images`` field), if any."""
    refs = getattr(request, "reference_images", ()) or ()
    return tuple(Path(p) for p in refs)


class WanAdapter(Adapter):
    family = "wan"
    default_steps = 50
    default_guidance = 5.0
    cfg_batched = False  # the Wan pipelines call the transformer twice per step under guidance

    # -- facts from the configs ----------------------------------------------------------------
    @property
    def _transformer(self) -> dict[str, Any]:
        return self.folder.component_config("transformer") or self.folder.component_config(
            "transformer_2"
        )

    @property
    def _transformer_class(self) -> str:
        comp = self.folder.components.get("transformer") or self.folder.components.get(
            "transformer_2", ("", "")
        )
        return comp[1]

    @property
    def variant(self) -> str:
        if "VACE" in self._transformer_class:
            return "vace"
        if self.folder.config.get("expand_timesteps"):
            return "ti2v"
        t = self._transformer
        if int(t.get("in_channels", 16)) > self.latent_channels:
            return "flf2v" if t.get("pos_embed_seq_len") is not None else "i2v"
        return "t2v"

    @property
    def last_image(self) -> bool:
        """Whether the image-to-video transformer takes a last frame: FLF2V (which needs both),
        or one without a CLIP image embedding (Wan 2.2 I2V)."""
        v = self.variant
        return v == "flf2v" or (v == "i2v" and self._transformer.get("image_dim") is None)

    @property
    def latent_channels(self) -> int:
        return int(self._vae.get("z_dim", 16))

    @property
    def spatial(self) -> int:
        return int(self._vae.get("scale_factor_spatial") or 8)

    @property
    def temporal(self) -> int:
        return int(self._vae.get("scale_factor_temporal") or 4)

    @property
    def size_multiple(self) -> int:
        patch = self._transformer.get("patch_size", (1, 2, 2))
        return self.spatial * int(patch[1])

    @property
    def native_fps(self) -> Fraction | None:
        if self.entry is not None:
            return self.entry.native_fps
        return Fraction(24) if self.variant == "ti2v" else Fraction(16)

    @property
    def max_frames(self) -> int:
        return self.entry.max_frames if self.entry is not None else 129

    def operations(self) -> frozenset[str]:
        v = self.variant
        if v == "vace":
            return frozenset(
                {
                    "text_to_video",
                    "image_to_video",
                    "extend",
                    "bridge",
                    "loop",
                    "inpaint",
                    "cinemagraph",
                }
            )
        if v == "ti2v":
            return frozenset({"text_to_video", "image_to_video", "extend"})
        if v == "flf2v":  # the transformer embeds exactly two images: first and last
            return frozenset({"image_to_video", "bridge", "loop"})
        if v == "i2v":
            ops = {"image_to_video", "extend"}
            return frozenset(ops | ({"bridge", "loop"} if self.last_image else set()))
        if "transformer_2" in self.folder.components:
            # Wan 2.2 A14B hands over to a low-noise expert; the video-to-video pipeline has one
            return frozenset({"text_to_video"})
        return frozenset({"text_to_video", "remix"})

    def overlap(self, available: int) -> int:
        # VACE takes any number of known frames; the image-to-video models take one.
        return available if self.variant == "vace" else min(1, available)

    def capabilities_for(self, request: GenerationRequest) -> Any:
        caps = super().capabilities_for(request)
        if isinstance(request, Cinemagraph) and request.loop:
            # the window is n+1 frames: the still again at the end (dropped), as for a loop
            return dataclasses.replace(caps, frame_modulus=self.temporal, frame_remainder=0)
        return caps

    def check_request(self, request: GenerationRequest) -> None:
        v = self.variant
        if isinstance(request, Inpaint | Cinemagraph):
            # the mask is drawn at the frame's own size, so the size cannot be snapped
            m = self.size_multiple
            w, h = request.width, request.height
            if w % m or h % m:
                what = "the take is" if isinstance(request, Inpaint) else "the cinemagraph is"
                fix = (
                    "remix the take to such a size first"
                    if isinstance(request, Inpaint)
                    else "make it at such a size (the still and mask too)"
                )
                raise RequestError(
                    f"model {self.name} makes sizes in multiples of {m} and {what} {w}x{h}; "
                    f"{fix}, e.g. {w // m * m}x{h // m * m}"
                )
        if isinstance(request, Inpaint) and request.num_frames > self.max_frames:
            raise RequestError(
                f"model {self.name} inpaints at most {self.max_frames} frames in one go and the "
                f"take has {request.num_frames}; trim the take (or split the shot) and inpaint "
                "each part"
            )
        if v in ("i2v", "ti2v", "flf2v"):
            if isinstance(request, Extend) and request.direction == "backward":
                raise self.unsupported(
                    "extend backward (it animates forward from a first frame)",
                    "use a Wan VACE or an LTX-Video model to extend backward",
                )
            if isinstance(request, Loop) and request.source is None:
                raise self.unsupported(
                    "make a loop from text alone (it needs a first frame)",
                    "make the shot first, then loop it",
                )
            if isinstance(request, ImageToVideo):
                n = request.num_frames
                frames = {
                    n - 1 if im.frame_index == -1 else im.frame_index for im in request.images
                }
                allowed = {0, n - 1} if self.last_image else {0}
                needed = {0, n - 1} if v == "flf2v" else {0}
                if not needed <= frames or not frames <= allowed:
                    where = {
                        "flf2v": "the first and the last frame (both)",
                    }.get(v, "the first and last frames" if self.last_image else "the first frame")
                    raise RequestError(
                        f"model {self.name} pins images at {where} only (asked for frames "
                        f"{sorted(frames)}); use a Wan VACE or LTX-Video model for keyframes "
                        "in between"
                    )

    @property
    def trained_frames(self) -> int:
        return TRAINED_FRAMES.get(self.variant, TRAINED_FRAMES_DEFAULT)

    def prepare(
        self, request: GenerationRequest, engine: str
    ) -> tuple[GenerationRequest, list[str]]:
        request, notes = super().prepare(request, engine)
        if reference_images(request) and self.variant != "vace":
            notes.append(
                f"reference images are not used by {self.name} (only Wan VACE models take them)"
            )
        trained = self.trained_frames
        if request.num_frames > trained:
            notes.append(
                f"{request.num_frames} frames is more than the {trained} {self.name} was trained "
                f"on: expect repeated or drifting motion past frame {trained}; make a longer shot "
                "by extending it instead"
            )
        guidance = request.guidance if request.guidance is not None else self.defaults()[1]
        if not request.negative_prompt and guidance > 1:
            request = dataclasses.replace(request, negative_prompt=DEFAULT_NEGATIVE_PROMPT)
            notes.append("no negative prompt given: Wan's default negative prompt is used")
        if isinstance(request, Extend) and self.variant in ("i2v", "ti2v"):
            notes.append(
                f"{self.name} continues from the take's last frame only, so motion may not carry "
                "across the join; a Wan VACE model pins the whole lossless tail"
            )
        return request, notes

    # -- loading -------------------------------------------------------------------------------
    def load(self, dtype: Any) -> Any:
        import diffusers

        cls_name = self.folder.pipeline
        if cls_name == "WanVideoToVideoPipeline":
            cls_name = "WanPipeline"  # same models; remix derives its pipeline from it
        return load_with_wan_vae(getattr(diffusers, cls_name), self.folder.path, dtype)

    def _derived(self, loaded: LoadedModel, name: str) -> Any:
        """Other Wan pipelines over the loaded models (no second copy of the weights)."""
        import diffusers

        tr = loaded.pipe.transformer
        builds = {
            "text": lambda base: diffusers.WanPipeline(**base),
            "v2v": lambda base: diffusers.WanVideoToVideoPipeline(**base, transformer=tr),
            "i2v": lambda base: diffusers.WanImageToVideoPipeline(
                **base, transformer=tr, expand_timesteps=True
            ),
        }
        return derived_pipeline(loaded, name, builds[name])

    def encode_for_preview(self, loaded: LoadedModel) -> Any:
        return wan_preview_encoder(loaded, self.latent_channels)

    def preview(self, loaded: LoadedModel, latents: Any, geometry: Any) -> np.ndarray | None:
        """`latents` are (B, C, F, h, w); the first `geometry` frames are reference images."""
        from engine.backends.diffusers.preview import latent_preview

        refs = int(geometry or 0)
        frames = latents.shape[2] - refs
        if frames < 1:
            return None
        return latent_preview(latents[0, :, refs + frames // 2], loaded.projection)

    # -- running ---------------------------------------------------------------------------------
    def run(self, ctx: RunContext) -> dict[str, Any]:
        req = ctx.request
        n = req.num_frames
        v = self.variant
        steps, guidance = int(req.steps or self.defaults()[0]), float(req.guidance or 0.0)
        recipe: dict[str, Any] = {"wan_variant": v}

        # 1. Prompt embeddings, once (guarded text cleaning; shared by every pipeline call).
        embeds = self._encode_prompt(ctx, guidance)
        if isinstance(req, Inpaint | Cinemagraph):
            recipe.update(self._region(ctx, req, embeds, steps, guidance))
            return recipe

        # 2. Conditioning frames (lossless PNGs, never the MP4) and the window.
        known: list[Known]
        if isinstance(req, TextToVideo):
            known, window = [], Window(n, 0, n)
        elif isinstance(req, ImageToVideo):
            known = [
                Known((ctx.pinned_image(p),), f, f"image {p.name}", (str(p),))
                for f, p in req.resolved_pins(n)
            ]
            window = Window(n, 0, n)
        elif isinstance(req, Extend):
            known, window = self._extend(ctx, req)
        elif isinstance(req, Bridge) or (isinstance(req, Loop) and req.source is not None):
            known, window = self._bridge(ctx, req)
        elif isinstance(req, Loop):
            key = self._keyframe(ctx, embeds, steps, guidance)
            known = [
                Known((key,), 0, "loop keyframe (start)"),
                Known((key,), n, "loop keyframe (end, dropped)"),
            ]
            window = Window(n + 1, 0, n)
            recipe["loop_keyframe"] = "generated first (one frame), pinned at both ends"
        elif isinstance(req, Remix):
            known, window = [], Window(n, 0, n)
        else:  # pragma: no cover - prepare() refuses other operations
            raise TypeError(type(req).__name__)

        # 3. Denoise to latents with the pipeline this variant and operation need.
        refs = reference_images(req) if v == "vace" else ()
        if isinstance(req, Remix):
            latents = self._remix(ctx, req, embeds, steps, guidance)
            recipe["strength"] = float(req.strength)
        elif v == "vace":
            latents = self._vace(ctx, known, window.length, embeds, steps, guidance, refs)
        elif known:
            latents = self._image_to_video(ctx, known, window.length, embeds, steps, guidance)
        else:
            latents = self._text_to_video(ctx, window.length, embeds, steps, guidance)

        # 4. Decode, then stream the kept frames into the sink.
        video = self._decode(ctx, latents, len(refs))
        ctx.write(video, window)
        recipe.update(
            {
                "window": window.describe(),
                "conditioning_frames": [k.describe() for k in known],
                "reference_images": [str(p) for p in refs],
                **self.experts(ctx.loaded, guidance, req.options),
            }
        )
        return recipe

    def _encode_prompt(self, ctx: RunContext, guidance: float) -> dict[str, Any]:
        return wan_encode_prompt(
            ctx, self._derived(ctx.loaded, "text"), ctx.request.prompt, guidance
        )

    def _extend(self, ctx: RunContext, req: Extend) -> tuple[list[Known], Window]:
        return self._pins(ctx, req)

    def _bridge(self, ctx: RunContext, req: Bridge | Loop) -> tuple[list[Known], Window]:
        return self._pins(ctx, req)

    def _pins(self, ctx: RunContext, req: Extend | Bridge | Loop) -> tuple[list[Known], Window]:
        pins, window = self.edge_plan(ctx, req)
        return [Known(p.frames, p.index, p.label, p.paths) for p in pins], window

    def _common(self, ctx: RunContext, length: int, steps: int, guidance: float) -> dict[str, Any]:
        req = ctx.request
        kwargs: dict[str, Any] = dict(
            height=req.height,
            width=req.width,
            num_frames=length,
            num_inference_steps=steps,
            guidance_scale=guidance,
            generator=ctx.generator(),
            output_type="latent",
            callback_on_step_end_tensor_inputs=["latents"],
        )
        if getattr(ctx.loaded.pipe, "transformer_2", None) is not None:
            # Wan 2.2 A14B: the high-noise expert runs above boundary_ratio, the low-noise one
            # below it with its own guidance (``options["guidance_2"]``, else the same)
            g2 = req.options.get("guidance_2")
            kwargs["guidance_scale_2"] = float(guidance if g2 is None else g2)
        return kwargs

    def experts(self, loaded: LoadedModel, guidance: float, options: Any) -> dict[str, Any]:
        """The recipe entry of a two-expert (Wan 2.2 A14B) run; empty for one transformer."""
        pipe = loaded.pipe
        if getattr(pipe, "transformer_2", None) is None:
            return {}
        g2 = options.get("guidance_2")
        return {
            "experts": {
                "boundary_ratio": pipe.config.get("boundary_ratio"),
                "guidance_scale": guidance,
                "guidance_scale_2": float(guidance if g2 is None else g2),
            }
        }

    def _call(
        self,
        ctx: RunContext,
        pipe: Any,
        kwargs: dict[str, Any],
        total: int,
        refs: int = 0,
        stage: str = "denoise",
    ) -> Any:
        ctx.preview_geometry = refs
        kwargs["callback_on_step_end"] = ctx.step_callback(total, stage)
        ctx.cancel.raise_if_cancelled()
        return pipe(**kwargs).frames

    def _text_to_video(
        self,
        ctx: RunContext,
        length: int,
        embeds: dict[str, Any],
        steps: int,
        guidance: float,
        stage: str = "denoise",
    ) -> Any:
        kwargs = {**self._common(ctx, length, steps, guidance), **embeds}
        return self._call(ctx, ctx.loaded.pipe, kwargs, steps, 0, stage)

    def _image_to_video(
        self,
        ctx: RunContext,
        known: list[Known],
        length: int,
        embeds: dict[str, Any],
        steps: int,
        guidance: float,
    ) -> Any:
        pipe = ctx.loaded.pipe if self.variant != "ti2v" else self._derived(ctx.loaded, "i2v")
        first = [k for k in known if k.start == 0]
        last = [k for k in known if k.start + len(k.frames) == length and k.start > 0]
        kwargs = {**self._common(ctx, length, steps, guidance), **embeds}
        kwargs["image"] = ctx.pil(first[0].frames[-1:])[0]
        if last:
            kwargs["last_image"] = ctx.pil(last[0].frames[:1])[0]
        return self._call(ctx, pipe, kwargs, steps)

    def _vace(
        self,
        ctx: RunContext,
        known: list[Known],
        length: int,
        embeds: dict[str, Any],
        steps: int,
        guidance: float,
        refs: tuple[Path, ...],
        stage: str = "denoise",
        inputs: tuple[list[np.ndarray], list[np.ndarray]] | None = None,
    ) -> Any:
        """A WanVACEPipeline call: `known` frames given (mask black) among grey ones, or
        ``inputs``: the whole video (RGB uint8) and its masks (uint8, 255 = make) as given."""
        from PIL import Image

        req = ctx.request
        kwargs = {**self._common(ctx, length, steps, guidance), **embeds}
        if inputs is not None:
            video, masks = inputs
            kwargs["video"] = ctx.pil(video)
            kwargs["mask"] = [Image.fromarray(m, "L") for m in masks]
        elif known:
            grey = np.full((req.height, req.width, 3), GREY, np.uint8)
            frames = [grey] * length
            masks = [255] * length
            for k in known:
                for i, f in enumerate(k.frames):
                    frames[k.start + i] = f
                    masks[k.start + i] = 0
            kwargs["video"] = ctx.pil(frames)
            kwargs["mask"] = [
                Image.fromarray(np.full((req.height, req.width), m, np.uint8), "L") for m in masks
            ]
        if refs:
            from engine.media import load_png_frames

            kwargs["reference_images"] = ctx.pil(load_png_frames(refs))
        return self._call(ctx, ctx.loaded.pipe, kwargs, steps, len(refs), stage)

    def _region(
        self,
        ctx: RunContext,
        req: Inpaint | Cinemagraph,
        embeds: dict[str, Any],
        steps: int,
        guidance: float,
    ) -> dict[str, Any]:
        """Inpaint or cinemagraph through WanVACEPipeline's masked video input.

        The model is given the frames with the region (the mask dilated by the feather, so it
        repaints the seam too) grey, and a mask white there: it makes the region and sees the
        rest. Inpaint: the source take's decoded frames, padded to the model's ``4k+1`` count
        by repeating the last frame (and its mask), trimmed back after. Cinemagraph: the still
        whole in the first frame (the motion starts from its own pixels), then the still with
        its region grey; with `loop` the still whole again one frame past the end (dropped), so
        the last frame leads into the first. Every output frame is the model's frame laid over
        the source frame (the still) with `engine.masks.feather_alpha`: outside the dilated mask
        it IS the source's pixel (the VAE round trip never shows there).
        """
        from engine.masks import MaskTrack, composite, feather_alpha, read_mask

        n, feather = req.num_frames, req.feather
        w, h = req.width, req.height
        loop_end: int | None = None  # a cinemagraph loop's known still past the end
        if isinstance(req, Inpaint):
            track = MaskTrack.load(req.masks, w, h)
            sources = read_source_frames(ctx, req)
            if len(sources) < n:
                raise RequestError(
                    f"the source take's video holds {len(sources)} frames, not the {n} it "
                    "claims; its media is damaged: regenerate it"
                )
            length = window_length(n, self.temporal)
            held = None if track.moving else feather_alpha(track.at(0), feather)

            def alpha_at(i: int) -> np.ndarray:
                return held if held is not None else track.alphas(min(i, n - 1), feather)

            video, masks = [], []
            for i in range(length):
                ctx.cancel.raise_if_cancelled()
                region = alpha_at(i) > 0
                frame = sources[min(i, n - 1)].copy()
                frame[region] = GREY
                video.append(frame)
                masks.append(np.where(region, 255, 0).astype(np.uint8))

            def source_at(i: int) -> np.ndarray:
                return sources[i]

            described: dict[str, Any] = {
                "masks": [m.describe() for m in req.masks],
                "moving_mask": track.moving,
            }
        else:
            still = ctx.pinned_image(req.image)
            alpha = feather_alpha(read_mask(req.mask, w, h), feather)
            region = alpha > 0
            greyed = still.copy()
            greyed[region] = GREY
            white = np.where(region, 255, 0).astype(np.uint8)
            black = np.zeros((h, w), np.uint8)
            loop_end = n if req.loop else None
            length = window_length(n + 1 if req.loop else n, self.temporal)
            video, masks = [still], [black]
            for i in range(1, length):
                known = i == loop_end
                video.append(still if known else greyed)
                masks.append(black if known else white)

            def alpha_at(i: int) -> np.ndarray:
                return alpha

            def source_at(i: int) -> np.ndarray:
                return still

            described = {
                "mask": str(req.mask),
                "image": str(req.image),
                "first_frame": "the still (known), so the motion starts from its pixels",
                "loop": (
                    f"the still known again at frame {n} (dropped): frame {n - 1} leads into "
                    "frame 0"
                    if req.loop
                    else None
                ),
            }

        refs = reference_images(req)
        latents = self._vace(ctx, [], length, embeds, steps, guidance, refs, inputs=(video, masks))
        del video, masks

        def compose(i: int, frame: np.ndarray) -> np.ndarray:
            return composite(source_at(i), frame, alpha_at(i))

        window = Window(length, 0, n)
        decoded = self._decode(ctx, latents, len(refs))
        ctx.compose = compose
        try:
            ctx.write(decoded, window)
        finally:
            ctx.compose = None
        return {
            "window": window.describe(),
            "region": {
                **described,
                "feather": feather,
                "mask_dilation_px": feather,
                "grey": GREY,
                "padded_frames": length - n - (1 if loop_end is not None else 0),
                "composited": "model frames over the source through the feathered mask",
            },
            "reference_images": [str(p) for p in refs],
            **self.experts(ctx.loaded, guidance, req.options),
        }

    def _remix(
        self, ctx: RunContext, req: Remix, embeds: dict[str, Any], steps: int, guidance: float
    ) -> Any:
        n = req.num_frames
        frames = read_source_frames(ctx, req)
        pipe = self._derived(ctx.loaded, "v2v")
        kwargs = {**self._common(ctx, n, steps, guidance), **embeds}
        kwargs.pop("num_frames")
        kwargs["video"] = ctx.pil(frames)
        kwargs["strength"] = float(req.strength)
        total = max(1, min(steps, int(steps * float(req.strength))))
        from engine.backends.diffusers.speed import cache_paused

        # WanVideoToVideoPipeline sets no cache context, which the step cache needs
        with cache_paused(pipe.transformer) as paused:
            if paused:
                ctx.speed_notes.append(
                    "step cache: not used for remix (WanVideoToVideoPipeline has no cache context)"
                )
            return self._call(ctx, pipe, kwargs, total)

    def _keyframe(
        self, ctx: RunContext, embeds: dict[str, Any], steps: int, guidance: float
    ) -> np.ndarray:
        if self.variant == "vace":
            latents = self._vace(ctx, [], 1, embeds, steps, guidance, (), stage="keyframe")
        else:
            latents = self._text_to_video(ctx, 1, embeds, steps, guidance, stage="keyframe")
        video = self._decode(ctx, latents, 0)
        f = ((video[0, :, 0].float().clamp(-1, 1) + 1.0) * 127.5).round().byte()
        return np.ascontiguousarray(f.permute(1, 2, 0).cpu().numpy())

    def _decode(self, ctx: RunContext, latents: Any, refs: int) -> Any:
        return wan_decode(ctx, latents, self.latent_channels, refs)


def wan_preview_encoder(loaded: LoadedModel, z: int) -> Any:
    """Images -> normalised latents through a Wan VAE (fits the live preview's projection);
    shared by the families built on Wan 2.1 (Wan, SkyReels-V2)."""
    import torch

    pipe = loaded.pipe
    vae = pipe.vae
    mean = torch.tensor(vae.config.latents_mean).view(1, z, 1, 1, 1)
    inv_std = 1.0 / torch.tensor(vae.config.latents_std).view(1, z, 1, 1, 1)

    def encode(images: Any) -> Any:
        images = images.to(pipe._execution_device, vae.dtype)
        lat = vae.encode(images).latent_dist.mode().float()
        return (lat - mean.to(lat.device)) * inv_std.to(lat.device)

    return encode


def load_with_wan_vae(cls: Any, path: Any, dtype: Any) -> Any:
    """A pipeline of a Wan-based family from its folder, with the Wan VAE kept in float32
    (diffusers' recommendation: half precision bands colour)."""
    import diffusers
    import torch

    vae = diffusers.AutoencoderKLWan.from_pretrained(
        str(path), subfolder="vae", **pretrained_kwargs(torch.float32)
    )
    pipe = cls.from_pretrained(str(path), vae=vae, **pretrained_kwargs(dtype))
    pipe.set_progress_bar_config(disable=True)
    return pipe


def wan_encode_prompt(ctx: RunContext, text: Any, prompt: str, guidance: float) -> dict[str, Any]:
    """T5 embeddings of ``prompt`` (and the negative prompt under guidance) through a Wan
    pipeline's encoder, once per job, for every pipeline call of it."""
    cfg = guidance > 1.0
    ctx.cancel.raise_if_cancelled()
    ctx.stage("encode")
    pe, ne = text.encode_prompt(
        prompt=prompt,
        negative_prompt=ctx.request.negative_prompt if cfg else None,
        do_classifier_free_guidance=cfg,
        max_sequence_length=512,  # what the Wan pipelines use when given a prompt
        device=ctx.loaded.pipe._execution_device,
    )
    return {"prompt_embeds": pe, "negative_prompt_embeds": ne if cfg else None}


def wan_decode(ctx: RunContext, latents: Any, z: int, refs: int = 0) -> Any:
    """Strip ``refs`` reference-image frames, denormalise, decode with the (float32) Wan VAE."""
    import torch

    pipe = ctx.loaded.pipe
    vae = ctx.begin_decode()
    with torch.no_grad():
        lat = latents[:, :, refs:].to(device=pipe._execution_device, dtype=vae.dtype)
        mean = torch.tensor(vae.config.latents_mean).view(1, z, 1, 1, 1).to(lat)
        std = torch.tensor(vae.config.latents_std).view(1, z, 1, 1, 1).to(lat)
        video = vae.decode(lat * std + mean, return_dict=False)[0]
    pipe.maybe_free_model_hooks()
    return video
