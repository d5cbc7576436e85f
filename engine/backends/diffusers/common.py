"""What every model family shares: the adapter contract, request preparation, and the run context.

An adapter (one per family: `ltx.py`, `wan.py`) knows its model's rules (sizes, frame counts,
native fps, operations, defaults) from the model's configs without loading it, and turns a
prepared request into one or more pipeline calls. The pipelines always return latents
(``output_type="latent"``); the adapter decodes them itself, so it can stream frames into the
sink as uint8 RGB, drop the conditioning frames an extension overlaps, and so that a cancelled
job never reaches the decode.

Windows: a pipeline call makes `length` frames (a count the model can make), of which frames
``[keep_start, keep_end)`` are output. Conditioning frames (a take's lossless head/tail PNGs)
sit inside the window and are not output, so an extension continues its take seamlessly.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import struct
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from engine.api import (
    REGION_OPERATIONS,
    Bridge,
    CancelToken,
    Capabilities,
    Extend,
    FrameSink,
    GenerationRequest,
    ImageToVideo,
    Inpaint,
    LongShot,
    Loop,
    PinnedImage,
    ProgressCallback,
    ProgressReporter,
    Remix,
    RequestError,
    UnsupportedOperation,
    fps_str,
    snap,
    validate,
)
from engine.backends.diffusers.device import DeviceInfo, MemoryPlan
from engine.backends.diffusers.preview import LatentProjection, StepCallback
from engine.catalog import (
    CatalogEntry,
    find_entry,
    is_distilled_name,
    part_bytes,
    weights_and_largest,
)
from engine.hub import LocalModel, ModelFolder

__all__ = [
    "Adapter",
    "LoadedModel",
    "RunContext",
    "Window",
    "WindowedSteps",
    "derived_pipeline",
    "stream_temporal_decode",
    "fit_cover",
    "window_length",
]

log = logging.getLogger(__name__)

_DTYPE_BYTES = {"F64": 8, "F32": 4, "F16": 2, "BF16": 2, "F8_E4M3": 1, "F8_E5M2": 1, "I8": 1}
OP_TEXT = {
    "text_to_video": "text to video",
    "image_to_video": "image to video",
    "extend": "extend",
    "bridge": "bridge",
    "remix": "remix",
    "loop": "loop",
    "long": "a long shot in one call",
    "inpaint": "inpaint",
    "cinemagraph": "cinemagraph",
}
_REGION_VERB = {"inpaint": "inpaint", "cinemagraph": "make a cinemagraph"}
# The family whose pipeline takes a video plus a per-pixel mask (what region edits need)
REGION_MODEL_HINT = "pick a Wan VACE model (e.g. Wan-AI/Wan2.1-VACE-1.3B-diffusers)"


@dataclass(frozen=True)
class Window:
    """One pipeline call of `length` frames; frames [keep_start, keep_end) are the output."""

    length: int
    keep_start: int
    keep_end: int

    def describe(self) -> dict[str, int]:
        return {"frames": self.length, "keep_start": self.keep_start, "keep_end": self.keep_end}


@dataclass(frozen=True)
class Pinned:
    """Source frames pinned at ``index`` of a window (an adapter turns them into its own
    conditioning: LTX conditions, Wan known frames)."""

    frames: tuple[np.ndarray, ...]
    index: int
    label: str
    paths: tuple[str, ...] = ()


def read_source_frames(ctx: Any, req: Remix | Inpaint) -> list[np.ndarray]:
    """The first ``req.num_frames`` frames of a remix's or an inpaint's source take, at the
    request's size, checking cancel between frames (the operations that read the take's
    video)."""
    from engine.media import read_frames

    frames: list[np.ndarray] = []
    reader = read_frames(req.source.segments, width=req.width, height=req.height)
    try:
        for frame in reader:
            ctx.cancel.raise_if_cancelled()
            frames.append(frame)
            if len(frames) == req.num_frames:
                break
    finally:
        reader.close()
    return frames


def window_length(at_least: int, temporal: int) -> int:
    """The smallest count ``temporal*k + 1`` that is at least `at_least`."""
    at_least = max(1, at_least)
    return -(-(at_least - 1) // temporal) * temporal + 1


def fit_cover(image: np.ndarray, width: int, height: int) -> np.ndarray:
    """Scale `image` to cover width x height and crop the centre (no distortion)."""
    import cv2

    h, w = image.shape[:2]
    if (w, h) == (width, height):
        return image
    k = max(width / w, height / h)
    nw, nh = max(width, round(w * k)), max(height, round(h * k))
    interp = cv2.INTER_AREA if k < 1 else cv2.INTER_CUBIC
    scaled = cv2.resize(image, (nw, nh), interpolation=interp)
    x0, y0 = (nw - width) // 2, (nh - height) // 2
    return np.ascontiguousarray(scaled[y0 : y0 + height, x0 : x0 + width])


def _stored_bytes_per_param(path: Path) -> int | None:
    """Bytes per parameter of a safetensors file, from its header (the first tensor's dtype)."""
    try:
        with open(path, "rb") as fh:
            (n,) = struct.unpack("<Q", fh.read(8))
            if n > 100_000_000:
                return None
            header = json.loads(fh.read(n))
    except (OSError, ValueError, struct.error):
        return None
    for key, value in header.items():
        if key != "__metadata__" and isinstance(value, dict):
            return _DTYPE_BYTES.get(str(value.get("dtype")))
    return None


# --------------------------------------------------------------------------------------------
# Loaded models and the run context


@dataclass
class LoadedModel:
    """A pipeline loaded on a device with a memory plan (what the engine caches per worker)."""

    key: tuple[Any, ...]
    local: LocalModel
    pipe: Any
    plan: MemoryPlan
    dtype: Any
    device: DeviceInfo
    projection: LatentProjection
    weights_bytes: int
    derived: dict[str, Any] = field(default_factory=dict)  # other pipelines sharing the models
    speed: Any = None  # speed.AppliedSpeed: the speed levers applied when it loaded


@dataclass
class RunContext:
    """Everything one generation needs; adapters call its helpers."""

    request: GenerationRequest
    loaded: LoadedModel
    sink: FrameSink
    callback: ProgressCallback | None
    cancel: CancelToken
    adapter: Adapter
    vae_tiling: bool
    preview_interval_s: float = 0.25
    # latent geometry of the current pipeline call, set by the adapter (for previews)
    preview_geometry: Any = None
    notes: list[str] = field(default_factory=list)  # notes for the result, added by adapters
    speed_notes: list[str] = field(default_factory=list)  # speed levers changed for this run
    written: int = 0
    # ``compose(index, frame) -> frame``: applied to every output frame before it is written
    # (a region edit lays the model's frame over its source through the feathered mask)
    compose: Any = None
    _overlay: Any = None

    # -- randomness, progress ------------------------------------------------------------------
    def generator(self, offset: int = 0) -> Any:
        """A CPU generator seeded from the request (same frames on any device)."""
        import torch

        return torch.Generator(device="cpu").manual_seed((self.request.seed + offset) % 2**63)

    def step_callback(self, total: int, stage: str = "denoise") -> StepCallback:
        adapter, loaded = self.adapter, self.loaded

        def preview(latents: Any) -> np.ndarray | None:
            if latents is None:
                return None
            return adapter.preview(loaded, latents, self.preview_geometry)

        return StepCallback(
            callback=self.callback,
            cancel=self.cancel,
            total=total,
            preview=preview,
            interval_s=self.preview_interval_s,
            stage=stage,
        )

    def stage(self, name: str, step: int = 0, total: int = 1) -> None:
        """Report a stage boundary (load, encode, decode) without a preview."""
        if self.callback is not None:
            ProgressReporter(total, self.callback, stage=name)(step)

    def begin_decode(self) -> Any:
        """The last cancel check before the VAE runs; reports the stage, sets tiling as the
        memory plan asks, and returns the VAE."""
        self.cancel.raise_if_cancelled()
        self.stage("decode")
        vae = self.loaded.pipe.vae
        if self.vae_tiling:
            vae.enable_tiling()
        else:
            vae.disable_tiling()
        return vae

    # -- inputs ----------------------------------------------------------------------------------
    def conditioning_frames(self, paths: Sequence[Path], what: str) -> list[np.ndarray]:
        """Lossless head/tail PNGs as RGB uint8, exactly (checked against the request's size)."""
        from engine.media import load_png_frames

        self.cancel.raise_if_cancelled()
        frames = load_png_frames(paths)
        req = self.request
        for f, p in zip(frames, paths, strict=True):
            if f.shape[:2] != (req.height, req.width):
                raise RequestError(
                    f"{what} frame {Path(p).name} is {f.shape[1]}x{f.shape[0]}, not the "
                    f"{req.width}x{req.height} the take claims; its head/tail files do not match it"
                )
        return frames

    def pinned_image(self, path: Path) -> np.ndarray:
        from engine.media import load_png_frames

        self.cancel.raise_if_cancelled()
        image = load_png_frames([path])[0]
        return fit_cover(image, self.request.width, self.request.height)

    @staticmethod
    def pil(frames: Sequence[np.ndarray]) -> list[Any]:
        from PIL import Image

        return [Image.fromarray(np.ascontiguousarray(f), "RGB") for f in frames]

    # -- output ----------------------------------------------------------------------------------
    def write(self, video: Any, window: Window) -> None:
        """Stream frames [keep_start, keep_end) of a decoded video ``(1, 3, F, H, W)`` in [-1, 1]
        into the sink as uint8 RGB, checking cancel at every frame."""
        frames = int(video.shape[2])
        if frames < window.keep_end:
            raise RequestError(
                f"the model made {frames} frames, fewer than the {window.keep_end} expected"
            )
        self.write_stream([video], window)

    def write_stream(self, pieces: Iterable[Any], window: Window) -> None:
        """`write` for a video decoded a stretch at a time: ``pieces`` are consecutive
        ``(1, 3, f, H, W)`` runs of it; each is written as it comes and can be dropped."""
        import torch

        req = self.request
        if req.overlay_text and self._overlay is None:
            from engine.backends.animatic.effects import Overlay

            self._overlay = Overlay(req.overlay_text, req.width, req.height)
        total = window.keep_end - window.keep_start
        reporter = ProgressReporter(total, self.callback, stage="write")
        at = 0  # frame index of the piece's first frame in the whole video
        for video in pieces:
            n = int(video.shape[2])
            for i in range(max(window.keep_start, at), min(window.keep_end, at + n)):
                self.cancel.raise_if_cancelled()
                with torch.no_grad():
                    f = video[0, :, i - at]
                    f = ((f.float().clamp(-1, 1) + 1.0) * 127.5).round().to(torch.uint8)
                    frame = np.ascontiguousarray(f.permute(1, 2, 0).cpu().numpy())
                if frame.shape[:2] != (req.height, req.width):
                    import cv2

                    frame = cv2.resize(frame, (req.width, req.height), interpolation=cv2.INTER_AREA)
                if self._overlay is not None:
                    self._overlay.draw(frame)
                if self.compose is not None:
                    frame = self.compose(self.written, frame)
                self.sink.write(frame)
                self.written += 1
                reporter(self.written, frame)
            at += n
            if at >= window.keep_end:
                return
        raise RequestError(f"the model made {at} frames, fewer than the {window.keep_end} expected")


def stream_temporal_decode(
    decode: Any, latents: Any, temporal: int, tile: int, stride: int
) -> Iterator[Any]:
    """Decode ``latents`` (B, C, F, h, w) a stretch of time at a time and yield each finished run
    of frames, so a long shot never sits decoded whole in memory.

    The tiling is diffusers' own for the LTX-Video VAE (`_temporal_tiled_decode`): tiles of
    ``tile`` latent frames plus one, every ``stride``, each blended linearly into the one
    before over the frames they share; the frames yielded are exactly what that method returns
    (in pieces). ``decode(z)`` decodes one tile of latents to (B, 3, f, H, W).
    """
    frames = int(latents.shape[2])
    total = (frames - 1) * temporal + 1
    stride_px = stride * temporal
    blend = (tile - stride) * temporal
    prev = None
    sent = 0
    for k, i in enumerate(range(0, frames, stride)):
        cur = decode(latents[:, :, i : i + tile + 1])
        if k:
            cur = cur[:, :, :-1]
            extent = min(prev.shape[2], cur.shape[2], blend)
            for x in range(extent):
                w = x / extent
                cur[:, :, x] = prev[:, :, x - extent] * (1 - w) + cur[:, :, x] * w
        out = cur[:, :, : stride_px + (0 if k else 1)][:, :, : total - sent]
        sent += int(out.shape[2])
        if out.shape[2]:
            yield out
        prev = cur
        if sent >= total:
            return


def derived_pipeline(loaded: LoadedModel, name: str, build: Any) -> Any:
    """Another pipeline of the family over the loaded models (no second copy of the weights),
    made once per load: ``build(base)`` gets the shared tokenizer, text encoder, VAE and
    scheduler and returns the pipeline (adding the transformer where it needs one)."""
    made = loaded.derived.get(name)
    if made is None:
        pipe = loaded.pipe
        made = build(
            dict(
                tokenizer=pipe.tokenizer,
                text_encoder=pipe.text_encoder,
                vae=pipe.vae,
                scheduler=pipe.scheduler,
            )
        )
        made.set_progress_bar_config(disable=True)
        loaded.derived[name] = made
    return made


def latent_upsample_pipeline(
    loaded: LoadedModel, folder: Any, model_cls: Any, pipeline_cls: Any
) -> Any:
    """A latent-upsample pipeline (LTX-Video's or LTX-2's) over the loaded VAE and the
    upsampler in ``folder``, made once per load; the upsampler is small and stays on the
    device."""

    def build(base: dict[str, Any]) -> Any:
        model = model_cls.from_pretrained(str(folder), **pretrained_kwargs(loaded.dtype))
        model.to(loaded.pipe._execution_device)
        return pipeline_cls(vae=base["vae"], latent_upsampler=model)

    return derived_pipeline(loaded, "upsample", build)


class WindowedSteps:
    """The step callback of ONE pipeline call that loops over windows (a long-video call): the
    pipeline counts steps from 0 in each window; this reports them as one run (window w, step
    i -> w*steps + i). ``latents_key`` names the callback tensor that holds the window being
    denoised; ``own(window, latents)``, if given, returns the part to preview."""

    def __init__(
        self,
        ctx: RunContext,
        windows: int,
        steps: int,
        stage: str,
        latents_key: str = "latents",
        own: Any = None,
    ) -> None:
        import types

        self.steps = steps
        self.total = max(1, windows) * steps
        self.inner = ctx.step_callback(self.total, stage)
        self.key, self.own = latents_key, own
        self.window = 0
        self._last = -1
        self._proxy = types.SimpleNamespace(_num_timesteps=self.total)

    def __call__(self, pipe: Any, step: int, timestep: Any, kwargs: dict[str, Any]) -> dict:
        if step <= self._last:
            self.window += 1
        self._last = step
        lat = kwargs.get(self.key)
        if self.own is not None and lat is not None:
            lat = self.own(self.window, lat)
        done = min(self.total - 1, self.window * self.steps + step)
        self.inner(self._proxy, done, timestep, {"latents": lat})
        return {}  # the latents stay the pipeline's own


# --------------------------------------------------------------------------------------------
# Adapters


class Adapter(ABC):
    """One model family: its rules (pure Python, from configs) and how to run it (torch)."""

    family: ClassVar[str] = ""
    default_steps: ClassVar[int] = 30
    default_guidance: ClassVar[float] = 5.0
    # whether the family's pipelines run guidance's two passes as one batched forward pass
    cfg_batched: ClassVar[bool] = False

    def __init__(self, local: LocalModel) -> None:
        if local.folder is None:
            raise RequestError(f"model {local.id} was not checked")
        self.local = local
        self.folder: ModelFolder = local.folder
        self.entry: CatalogEntry | None = find_entry(local.id)

    # -- facts from the configs ----------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.local.id if self.local.source == "hf-cache" else self.local.path.name

    @property
    def _vae(self) -> dict[str, Any]:
        return self.folder.component_config("vae")

    @property
    def _transformer(self) -> dict[str, Any]:
        return self.folder.component_config("transformer")

    @property
    def distilled(self) -> bool:
        if self.entry is not None:
            return self.entry.distilled
        return is_distilled_name(self.local.id) or is_distilled_name(self.local.path.name)

    @property
    @abstractmethod
    def variant(self) -> str:
        """e.g. "condition" (LTX), "t2v", "i2v", "flf2v", "ti2v", "vace" (Wan)."""

    @property
    @abstractmethod
    def temporal(self) -> int:
        """Frames per latent frame: counts are ``temporal*k + 1``."""

    @property
    @abstractmethod
    def size_multiple(self) -> int: ...

    @property
    @abstractmethod
    def latent_channels(self) -> int: ...

    @property
    @abstractmethod
    def spatial(self) -> int:
        """Pixels per latent pixel (the VAE's spatial compression)."""

    @abstractmethod
    def operations(self) -> frozenset[str]: ...

    @property
    def native_fps(self) -> Fraction | None:
        return self.entry.native_fps if self.entry is not None else None

    @property
    def max_frames(self) -> int:
        return self.entry.max_frames if self.entry is not None else 257

    @property
    def native_sizes(self) -> tuple[tuple[int, int], ...]:
        return self.entry.sizes if self.entry is not None else ()

    def defaults(self) -> tuple[int, float]:
        e = self.entry
        if e is not None and e.default_steps is not None and e.default_guidance is not None:
            return e.default_steps, e.default_guidance
        return self.default_steps, self.default_guidance

    def capabilities(self) -> Capabilities:
        steps, guidance = self.defaults()
        return Capabilities(
            operations=self.operations(),
            size_multiple=self.size_multiple,
            frame_modulus=self.temporal,
            frame_remainder=1,
            native_fps=self.native_fps,
            max_frames=self.max_frames,
            default_steps=steps,
            default_guidance=guidance,
        )

    # -- conditioning geometry -------------------------------------------------------------------
    def overlap(self, available: int) -> int:
        """How many of `available` head/tail frames a window conditions on (at least 1)."""
        return 1 if available >= 1 else 0

    def bridge_overlaps(self, request: GenerationRequest) -> tuple[int, int]:
        if isinstance(request, Bridge):
            return self.overlap(len(request.source_a.tail)), self.overlap(
                len(request.source_b.head)
            )
        assert isinstance(request, Loop) and request.source is not None
        return self.overlap(len(request.source.tail)), self.overlap(len(request.source.head))

    def edge_plan(self, ctx: Any, req: Extend | Bridge | Loop) -> tuple[list[Pinned], Window]:
        """Where the source frames sit in the window, for extend, bridge and loop-from-a-take.

        Extend forward pins the source's last frames at the start of the window and keeps what
        follows; backward pins its first frames at the end and keeps what precedes them; a
        bridge (or a loop closing a take) pins A's tail at the start and B's head at the end.
        The pinned frames come from the lossless head/tail PNGs.
        """
        if isinstance(req, Extend):
            src, n = req.source, req.num_frames
            if req.direction == "forward":
                ov = self.overlap(len(src.tail))
                paths = src.tail[-ov:]
                frames = ctx.conditioning_frames(paths, "the source take's tail")
                length = window_length(ov + n, self.temporal)
                pin = Pinned(tuple(frames), 0, "source tail", tuple(map(str, paths)))
                return [pin], Window(length, ov, ov + n)
            ov = self.overlap(len(src.head))
            paths = src.head[:ov]
            frames = ctx.conditioning_frames(paths, "the source take's head")
            length = window_length(n + ov, self.temporal)
            pin = Pinned(tuple(frames), length - ov, "source head", tuple(map(str, paths)))
            return [pin], Window(length, length - ov - n, length - ov)
        if isinstance(req, Bridge):
            a_src, b_src, names = req.source_a, req.source_b, ("take A", "take B")
        else:
            assert req.source is not None
            a_src = b_src = req.source
            names = ("the source take", "the source take")
        a, b = self.bridge_overlaps(req)
        n = req.num_frames
        length = a + n + b
        a_paths, b_paths = a_src.tail[-a:], b_src.head[:b]
        a_frames = ctx.conditioning_frames(a_paths, f"{names[0]}'s tail")
        b_frames = ctx.conditioning_frames(b_paths, f"{names[1]}'s head")
        return [
            Pinned(tuple(a_frames), 0, f"{names[0]} tail", tuple(map(str, a_paths))),
            Pinned(tuple(b_frames), length - b, f"{names[1]} head", tuple(map(str, b_paths))),
        ], Window(length, a, a + n)

    def capabilities_for(self, request: GenerationRequest) -> Capabilities:
        """The rules for this request: the frame rule is the OUTPUT's (windows add overlaps)."""
        caps = self.capabilities()
        t = self.temporal
        if isinstance(request, Extend):
            return dataclasses.replace(caps, frame_modulus=1, frame_remainder=0)
        if isinstance(request, Bridge) or (isinstance(request, Loop) and request.source):
            a, b = self.bridge_overlaps(request)
            return dataclasses.replace(caps, frame_modulus=t, frame_remainder=(1 - a - b) % t)
        if isinstance(request, Loop):
            # the window is n+1 frames: the loop's first frame again at the end (dropped)
            return dataclasses.replace(caps, frame_modulus=t, frame_remainder=0)
        if isinstance(request, LongShot):
            # any count up to the library's minute: a long call makes the next count the model
            # makes, in windows, and the extra frames at the end are dropped
            return dataclasses.replace(caps, frame_modulus=1, frame_remainder=0, max_frames=None)
        return caps

    def check_request(self, request: GenerationRequest) -> None:  # noqa: B027 - optional hook
        """Model-specific refusals (e.g. where images may be pinned); raise RequestError."""

    def unsupported(self, what: str, hint: str) -> UnsupportedOperation:
        return UnsupportedOperation(f"model {self.name} cannot {what}; {hint}")

    # -- preparation -----------------------------------------------------------------------------
    def prepare(
        self, request: GenerationRequest, engine: str
    ) -> tuple[GenerationRequest, list[str]]:
        """Validate against this model and snap to what it makes; returns the request and notes."""
        label = f"{engine} ({self.name})"
        op = request.operation
        ops = self.operations()
        if op in REGION_OPERATIONS and op not in ops:
            raise UnsupportedOperation(
                f"model {self.name} cannot {_REGION_VERB[op]}: its pipeline takes no mask; "
                f"{REGION_MODEL_HINT}"
            )
        if op not in ops:
            can = ", ".join(OP_TEXT[o] for o in sorted(ops))
            raise UnsupportedOperation(
                f"model {self.name} cannot do {OP_TEXT.get(op, op)} (it can do: {can}); pick "
                "another model (see `previz models list`)"
            )
        self.check_request(request)
        notes: list[str] = []
        if isinstance(request, ImageToVideo):
            # a still pinned at the last frame stays on the last frame however the count changes
            last = request.num_frames - 1
            request = dataclasses.replace(
                request,
                images=tuple(
                    PinnedImage(im.path, -1) if im.frame_index == last else im
                    for im in request.images
                ),
            )
        request = self._to_native_fps(request, notes)
        caps = self.capabilities_for(request)
        relaxed = dataclasses.replace(caps, frame_modulus=1, frame_remainder=0)
        validate(request, relaxed, label)
        if isinstance(request, Remix) and not caps.frames_ok(request.num_frames):
            # a remix cannot make more frames than its source has: snap down
            n, t = request.num_frames, self.temporal
            best = (min(n, request.source.num_frames) - 1) // t * t + 1
            request = dataclasses.replace(request, num_frames=best)
            notes.append(
                f"frame count {n} lowered to {best} (the model makes {caps.frame_rule()} and "
                f"the source take has {request.source.num_frames} frames)"
            )
        request, snapped = snap(request, caps, label)
        notes.extend(snapped)
        if isinstance(request, ImageToVideo):
            request = self._clamp_pins(request, notes)
            self.check_request(request)
        notes.extend(self._size_hint(request))
        return request, notes

    def _to_native_fps(self, request: GenerationRequest, notes: list[str]) -> GenerationRequest:
        """New shots (no source take) are made at the model's native frame rate, same duration."""
        native = self.native_fps
        if native is None or request.fps == native or not isinstance(request.fps, Fraction):
            return request
        if isinstance(request, Extend | Bridge | Remix | Inpaint) or (
            isinstance(request, Loop) and request.source is not None
        ):
            rate = fps_str(request.fps)
            what = (
                f"this inpaint keeps the take's {rate} fps"
                if isinstance(request, Inpaint)
                else f"these frames continue a {rate} fps take"
            )
            notes.append(
                f"{self.name} is made for {fps_str(native)} fps; {what}, so motion may play at "
                "a different speed"
            )
            return request
        ratio = native / request.fps
        n = max(1, round(request.num_frames * ratio))
        changes: dict[str, Any] = {"fps": native, "num_frames": n}
        if isinstance(request, ImageToVideo):
            changes["images"] = tuple(
                PinnedImage(
                    im.path,
                    im.frame_index
                    if im.frame_index == -1
                    else min(n - 1, round(im.frame_index * ratio)),
                )
                for im in request.images
            )
        notes.append(
            f"made at the model's native {fps_str(native)} fps: {request.num_frames} frames at "
            f"{fps_str(request.fps)} fps became {n} frames (same duration)"
        )
        return dataclasses.replace(request, **changes)

    def _clamp_pins(self, request: ImageToVideo, notes: list[str]) -> ImageToVideo:
        n = request.num_frames
        pins = []
        for im in request.images:
            if im.frame_index != -1 and im.frame_index > n - 1:
                notes.append(f"image {im.path.name} moved from frame {im.frame_index} to {n - 1}")
                pins.append(PinnedImage(im.path, n - 1))
            else:
                pins.append(im)
        frames = [n - 1 if p.frame_index == -1 else p.frame_index for p in pins]
        if len(set(frames)) != len(frames):
            raise RequestError(
                "two pinned images land on the same frame once the shot is made at the model's "
                "frame count; pin them further apart"
            )
        return dataclasses.replace(request, images=tuple(pins))

    def _size_hint(self, request: GenerationRequest) -> list[str]:
        sizes = self.native_sizes
        if not sizes:
            return []
        area = request.width * request.height
        best = max(w * h for w, h in sizes)
        if area > 1.6 * best:
            w, h = sizes[0]
            return [
                f"{request.width}x{request.height} is well above {self.name}'s native {w}x{h}; "
                "expect slower generation and weaker results"
            ]
        return []

    # -- memory estimate -------------------------------------------------------------------------
    def part_params(self) -> dict[str, int]:
        """Parameters of each part with weights on disk: its safetensors bytes over the bytes a
        parameter its first file's header says (two when it says nothing known)."""
        out: dict[str, int] = {}
        for name in self.folder.components:
            stored = self.folder.weight_bytes(name)
            if not stored:
                continue
            files = sorted((self.folder.path / name).glob("*.safetensors"))
            per = (_stored_bytes_per_param(files[0]) if files else None) or 2
            out[name] = stored // per
        return out

    def weight_estimate(self, dtype_bytes: int, fp8: bool = False) -> tuple[int, int]:
        """(all model weights, the largest single model) in bytes once loaded at `dtype_bytes`;
        with `fp8`, the parts fp8 casting stores as float8 at one byte a parameter (the rule
        the catalogue's figures come from: `engine.catalog.part_bytes`)."""
        sizes = part_bytes(self.part_params(), dtype_bytes=dtype_bytes, fp8=fp8)
        return weights_and_largest(sizes)

    def decode_bytes(self, request: GenerationRequest, dtype_bytes: int) -> int:
        """Rough peak memory of decoding the request's frames without tiling."""
        return request.num_frames * request.width * request.height * 64 * dtype_bytes

    # -- running (torch) -------------------------------------------------------------------------
    @abstractmethod
    def load(self, dtype: Any) -> Any:
        """The main pipeline, loaded from the folder (safetensors only, no remote code)."""

    @abstractmethod
    def encode_for_preview(self, loaded: LoadedModel) -> Any:
        """A function: images (N, 3, 1, H, W) in [-1, 1] -> normalised latents (N, C, 1, h, w)."""

    @abstractmethod
    def preview(self, loaded: LoadedModel, latents: Any, geometry: Any) -> np.ndarray | None:
        """A small RGB preview of the callback's `latents` (one frame)."""

    @abstractmethod
    def run(self, ctx: RunContext) -> dict[str, Any]:
        """Make the request's frames into ``ctx.sink``; return recipe entries."""


def pretrained_kwargs(dtype: Any = None) -> dict[str, Any]:
    """The loading options every adapter uses: safetensors only, local files only (and the
    dtype, under the keyword this diffusers version takes)."""
    kwargs: dict[str, Any] = {"use_safetensors": True, "local_files_only": True}
    if dtype is not None:
        try:
            from diffusers.utils import deprecation_utils

            new_style = hasattr(deprecation_utils, "_resolve_dtype")
        except ImportError:
            new_style = False
        kwargs["dtype" if new_style else "torch_dtype"] = dtype
    return kwargs
