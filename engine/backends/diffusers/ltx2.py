"""LTX-2 (Lightricks' audio-video model) through diffusers' `LTX2ConditionPipeline`: picture AND sound.

One call denoises the video latents and the audio latents together; the adapter decodes the
video with the video VAE (streamed into the sink as usual) and the audio with the audio VAE and
the vocoder, and hands the sound to the sink's ``write_audio`` (a `ClipWriter` writes it as a
lossless WAV beside the clip, `ClipFiles.audio`). The sound is cut to exactly the frames the take
keeps: an extension's sound starts where its new frames start.

Operations (all one `LTX2ConditionPipeline` call, conditions pinned in time as with LTX-Video):

- text to video: no conditions;
- image to video and keyframes: each still at its frame;
- extend forward / backward: the source take's lossless tail at the start of the window (or its
  head at the end); only the new frames (and their sound) are output;
- bridge: A's tail at the start, B's head at the end.

Remix, loop and one-call long shots are not offered (not implemented for this family).

Dialogue: the shot's spoken lines (``request.dialogue``) go into the prompt the way LTX-2's
prompting guide writes speech: who speaks, then the line in quotation marks
(``The captain says: "Last boat's gone."``), so the model voices them.

Camera-control LoRAs (Lightricks' dolly in/out/left/right, jib up/down, static): when the prompt
asks for one of those moves and the LoRA is installed, it is applied for that take. Installed
means a ``.safetensors`` named after the move (``dolly-in``, ``jib_up``…) in ``loras/`` or
``camera_loras/`` inside the model folder, or a path in ``request.options["camera_loras"]``
(``{"dolly_in": "/path/lora.safetensors"}``). Loading a LoRA needs the ``peft`` package (in the
``diffusers`` extra). A file that is not a LoRA, or a LoRA made for another model, is skipped
with a one-line note; every LoRA is unloaded once the take is made, so the cached pipeline
never carries one into the next job.

The two-stage path (LTX-2's published recipe, diffusers' LTX-2 docs "Two-stages Generation"):
when the model folder has a ``latent_upsampler/`` (config + safetensors, as in Lightricks/LTX-2),
the first pass runs at half the size, `LTX2LatentUpsamplePipeline` doubles its video latents,
and a short refine pass at full size denoises them again from sigma 0.909 over diffusers'
``STAGE_2_DISTILLED_SIGMA_VALUES`` (3 steps, no guidance, a scheduler without dynamic shifting),
with the first pass's audio latents refined beside them so the sound stays in step. A distilled
checkpoint refines as it is; a dev checkpoint needs Lightricks' distilled LoRA for that pass
(a ``.safetensors`` with "distilled" in its name in ``loras/``, and the ``peft`` package), and
without it (or when it does not load) is made in one stage at full size, with a note. The
distilled LoRA is loaded before the first pass and switched on for the refine pass only.
"""

from __future__ import annotations

import importlib.util
import logging
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from engine.api import (
    Bridge,
    Extend,
    GenerationRequest,
    ImageToVideo,
    TextToVideo,
)
from engine.backends.diffusers.common import (
    Adapter,
    LoadedModel,
    RunContext,
    Window,
    latent_upsample_pipeline,
    pretrained_kwargs,
)
from engine.backends.diffusers.ltx import LTXVaeFacts

__all__ = ["CAMERA_LORAS", "LTX2Adapter", "camera_lora_for", "dialogue_prompt"]

log = logging.getLogger(__name__)

PIPELINE = "LTX2ConditionPipeline"
UPSAMPLER_SUBFOLDER = "latent_upsampler"
UPSAMPLE_PIPELINE = "LTX2LatentUpsamplePipeline"
REFINE_LORA = "stage_2_distilled"  # the adapter name diffusers' LTX-2 docs give it
PROMPT_TOKENS = 1024  # the pipeline's default max_sequence_length
# Lightricks' camera-control LoRAs for LTX-2, by the move they make.
CAMERA_LORAS = (
    "dolly_in",
    "dolly_out",
    "dolly_left",
    "dolly_right",
    "jib_up",
    "jib_down",
    "static",
)
_LORA_DIRS = ("loras", "camera_loras", "loras/camera")
# Speakers named by their role ("CAPTAIN") read as "The captain"; any other name as itself.
_ROLES = frozenset(
    "captain man woman boy girl officer driver doctor nurse guard narrator mother father "
    "soldier waiter pilot sergeant detective stranger child teacher priest king queen "
    "announcer reporter operator clerk bartender old young".split()
)
_SPEAKER = re.compile(r"^\s*([^:\n]{1,40}?)\s*(\([^)]*\))?\s*:\s*(.+)$")


# --------------------------------------------------------------------------------------------
# Pure helpers (no torch)


def dialogue_prompt(prompt: str, dialogue: str) -> str:
    """`prompt` with the shot's spoken lines added as LTX-2's prompt guide writes speech.

    ``CAPTAIN: Last boat's gone.`` becomes ``The captain says: "Last boat's gone."``; a line
    with no speaker becomes ``A voice says: "..."``. One sentence per line of dialogue."""
    sentences = []
    for raw in (dialogue or "").splitlines():
        line = raw.strip()
        if not line:
            continue
        m = _SPEAKER.match(line)
        if m:
            who, said = m.group(1).strip(), m.group(3).strip()
            words = who.lower().split()
            if words and set(words) <= _ROLES:
                speaker = "The " + " ".join(words)
            else:
                speaker = who.title() if who.isupper() else who
        else:
            speaker, said = "A voice", line
        said = said.strip().strip('"\u201c\u201d').strip()
        if said:
            sentences.append(f'{speaker} says: "{said}"')
    if not sentences:
        return prompt
    text = prompt.rstrip()
    if text and text[-1] not in ".!?":
        text += "."
    return " ".join([text, *sentences]).strip()


def camera_move_of(prompt: str) -> str | None:
    """The camera-control LoRA the prompt's camera move asks for (one of `CAMERA_LORAS`)."""
    from engine.backends.animatic.grammar import parse_prompt

    spec = parse_prompt(prompt)
    for mv in spec.moves:
        if mv.kind == "dolly" and mv.direction in ("in", "out"):
            return f"dolly_{mv.direction}"
        if mv.kind == "truck" and mv.direction in ("left", "right"):
            return f"dolly_{mv.direction}"
        if mv.kind == "crane" and mv.direction in ("up", "down"):
            return f"jib_{mv.direction}"
    if spec.static and not spec.moves:
        return "static"
    return None


def _lora_key(name: str) -> str:
    return re.sub(r"[^a-z]+", "_", name.lower())


def installed_camera_loras(folder: Path, configured: Mapping[str, Any] | None) -> dict[str, Path]:
    """Move -> LoRA file: paths from settings first, then files named after a move in the
    model folder's ``loras/`` (or ``camera_loras/``)."""
    found: dict[str, Path] = {}
    for key, value in (configured or {}).items():
        move = _lora_key(str(key))
        if move in CAMERA_LORAS and value and Path(value).is_file():
            found[move] = Path(value)
    for sub in _LORA_DIRS:
        d = Path(folder) / sub
        if not d.is_dir():
            continue
        for f in sorted(d.glob("*.safetensors")):
            key = _lora_key(f.stem)
            for move in CAMERA_LORAS:
                if move in key and move not in found:
                    found[move] = f
    return found


def lora_file_problem(path: Path) -> str | None:
    """Why `path` is not a LoRA file diffusers can load (read from its safetensors header,
    nothing loaded), or None: every tensor of a LoRA is named ``...lora...``."""
    import json
    import struct

    try:
        with open(path, "rb") as fh:
            (n,) = struct.unpack("<Q", fh.read(8))
            if n > 100_000_000:
                return "it is not a safetensors file"
            header = json.loads(fh.read(n))
    except (OSError, ValueError, struct.error):
        return "it is not a safetensors file"
    keys = [k for k in header if k != "__metadata__"]
    if not keys:
        return "it holds no tensors"
    if not all("lora" in k for k in keys):
        return "it holds weights that are not a LoRA's (a full checkpoint?)"
    return None


def _load_error(exc: BaseException) -> str:
    """The telling line of a LoRA load error (a size mismatch names the layer)."""
    lines = [ln.strip() for ln in str(exc).splitlines() if ln.strip()]
    for line in lines:
        if "mismatch" in line:
            return line[:200]
    return (lines[0] if lines else type(exc).__name__)[:200]


def _lora_off_fp8(pipe: Any, lora: Path, name: str, dtype: Any) -> None:
    """Under the fp8 speed lever (layerwise casting of the transformer), peft makes a LoRA's
    layers in the float8 storage dtype of the layers they wrap, where nothing computes (and the
    LoRA's values are rounded to float8). Put them in the compute dtype and copy the file's
    values again: the LoRA runs as made, beside the fp8 weights."""
    import torch

    float8 = {getattr(torch, n) for n in ("float8_e4m3fn", "float8_e5m2") if hasattr(torch, n)}
    moved = False
    for module in pipe.transformer.modules():
        for part in ("lora_A", "lora_B"):
            layer = getattr(module, part, None)
            if not isinstance(layer, torch.nn.ModuleDict) or name not in layer:
                continue
            layer = layer[name]
            if layer.weight.dtype in float8:
                layer.to(dtype)
                moved = True
    if not moved:
        return
    params = dict(pipe.transformer.named_parameters())
    with torch.no_grad():
        for key, value in pipe.lora_state_dict(str(lora)).items():
            if key.startswith("transformer."):
                key = key.removeprefix("transformer.")
                key = key.replace(".lora_A.", f".lora_A.{name}.", 1)
                key = key.replace(".lora_B.", f".lora_B.{name}.", 1)
                if key in params:
                    params[key].copy_(value.to(params[key].dtype))


def camera_lora_for(
    prompt: str, folder: Path, configured: Mapping[str, Any] | None
) -> tuple[str | None, Path | None]:
    """(the move the prompt asks for, its installed LoRA file or None)."""
    move = camera_move_of(prompt)
    if move is None:
        return None, None
    return move, installed_camera_loras(folder, configured).get(move)


def fit_audio(samples: np.ndarray, rate: int, start_s: float, frames: int, fps: Any) -> np.ndarray:
    """The stretch of `samples` (channels, n) that plays with the kept frames: from `start_s`
    for ``frames / fps`` seconds, padded with silence where the vocoder stopped short."""
    start = max(0, round(start_s * rate))
    want = round(frames * rate / float(fps))
    out = samples[:, start : start + want]
    if out.shape[1] < want:
        pad = np.zeros((samples.shape[0], want - out.shape[1]), dtype=samples.dtype)
        out = np.concatenate([out, pad], axis=1)
    return np.ascontiguousarray(out)


# --------------------------------------------------------------------------------------------
# The adapter


class LTX2Adapter(LTXVaeFacts, Adapter):
    family = "ltx2"
    default_steps = 40
    default_guidance = 4.0
    cfg_batched = False
    default_scaling = (True, True, True, True)

    # -- facts from the configs ----------------------------------------------------------------

    @property
    def size_multiple(self) -> int:
        patch = int(self._transformer.get("patch_size", 1))
        return math.lcm(32, self.spatial * patch)

    @property
    def latent_channels(self) -> int:
        return int(self._vae.get("latent_channels", 128))

    def operations(self) -> frozenset[str]:
        return frozenset({"text_to_video", "image_to_video", "extend", "bridge"})

    def defaults(self) -> tuple[int, float]:
        if self.distilled and (self.entry is None or self.entry.default_steps is None):
            return 8, 1.0
        return super().defaults()

    def overlap(self, available: int) -> int:
        """The longest ``8k+1`` run of the available head/tail frames (a video condition)."""
        if available < 1:
            return 0
        return (available - 1) // self.temporal * self.temporal + 1

    # -- loading -------------------------------------------------------------------------------
    def load(self, dtype: Any) -> Any:
        from diffusers import LTX2ConditionPipeline

        pipe = LTX2ConditionPipeline.from_pretrained(
            str(self.folder.path), **pretrained_kwargs(dtype)
        )
        pipe.set_progress_bar_config(disable=True)
        return pipe

    def preview(self, loaded: LoadedModel, latents: Any, geometry: Any) -> np.ndarray | None:
        """`latents` are packed video tokens (B, S, C); the middle latent frame."""
        from engine.backends.diffusers.preview import latent_preview

        if geometry is None or latents is None or latents.dim() != 3:
            return None
        lf, lh, lw = geometry
        per_frame = lh * lw
        if latents.shape[1] < lf * per_frame or latents.shape[2] != self.latent_channels:
            return None
        main = latents[0, -lf * per_frame :]
        f = lf // 2
        block = main[f * per_frame : (f + 1) * per_frame]
        chw = block.T.reshape(self.latent_channels, lh, lw)
        return latent_preview(chw, loaded.projection)

    # -- running ---------------------------------------------------------------------------------
    def prompt_for(self, request: GenerationRequest) -> str:
        return dialogue_prompt(request.prompt, getattr(request, "dialogue", ""))

    def run(self, ctx: RunContext) -> dict[str, Any]:
        from diffusers.pipelines.ltx2.pipeline_ltx2_condition import LTX2VideoCondition

        req = ctx.request
        n = req.num_frames
        conditions: list[Any] = []
        described: list[dict[str, Any]] = []
        if isinstance(req, TextToVideo):
            window = Window(n, 0, n)
        elif isinstance(req, ImageToVideo):
            window = Window(n, 0, n)
            for index, path in req.resolved_pins(n):
                image = ctx.pil([ctx.pinned_image(path)])[0]
                conditions.append(LTX2VideoCondition(frames=image, index=index, strength=1.0))
                described.append({"what": f"image {path.name}", "frame_index": index, "frames": 1})
        elif isinstance(req, Extend | Bridge):
            pins, window = self.edge_plan(ctx, req)
            for pin in pins:
                frames = ctx.pil(pin.frames)
                conditions.append(
                    LTX2VideoCondition(
                        frames=frames if len(frames) > 1 else frames[0],
                        index=pin.index,
                        strength=1.0,
                    )
                )
                described.append(
                    {"what": pin.label, "frame_index": pin.index, "frames": len(pin.frames)}
                )
        else:  # pragma: no cover - prepare() refuses other operations
            raise TypeError(type(req).__name__)
        prompt = self.prompt_for(req)
        move, lora = camera_lora_for(
            req.prompt, self.folder.path, req.options.get("camera_loras") or None
        )
        applied = self._apply_lora(ctx, move, lora)
        two_stage = self._two_stage_plan(ctx)
        refine_lora = two_stage.get("lora") if two_stage is not None else None
        if refine_lora is not None:
            why = self._load_lora(ctx.loaded.pipe, refine_lora, REFINE_LORA, ctx.loaded.dtype)
            if why is not None:
                ctx.notes.append(
                    f"{self.name}: made in one stage at full size: its refine LoRA "
                    f"{refine_lora.name} {why.replace('it ', '', 1)} (put Lightricks' "
                    "ltx-2-19b-distilled-lora-384.safetensors in the model folder's loras/)"
                )
                two_stage = refine_lora = None
        try:
            if two_stage is None:
                video_latents, audio_latents = self._denoise(ctx, conditions, window.length, prompt)
            else:
                video_latents, audio_latents, stages = self._two_stage(
                    ctx, conditions, window.length, prompt, two_stage, move if applied else None
                )
        finally:
            if applied or refine_lora is not None:  # the cached pipeline keeps no LoRA
                ctx.loaded.pipe.unload_lora_weights()
        video = self._decode(ctx, video_latents)
        audio, rate = self._decode_audio(ctx, audio_latents)
        ctx.write(video, window)
        kept = window.keep_end - window.keep_start
        clip_audio = fit_audio(audio, rate, window.keep_start / float(req.fps), kept, req.fps)
        made_s = audio.shape[1] / rate
        self._write_audio(ctx, clip_audio, rate)
        extras: dict[str, Any] = {
            "window": window.describe(),
            "conditioning_frames": described,
            "pipeline": PIPELINE,
            "prompt_sent": prompt,
            "audio": {
                "sample_rate": rate,
                "channels": int(clip_audio.shape[0]),
                "samples": int(clip_audio.shape[1]),
                "made_seconds": round(made_s, 4),
            },
        }
        if two_stage is not None:
            extras["two_stage"] = stages
        if move is not None:
            extras["camera_lora"] = {
                "move": move,
                "path": str(lora) if lora is not None else None,
                "applied": applied,
            }
        return extras

    def _apply_lora(self, ctx: RunContext, move: str | None, lora: Path | None) -> bool:
        if move is None:
            return False
        if lora is None:
            ctx.notes.append(
                f"the prompt asks for a {move.replace('_', ' ')} move; no camera-control LoRA "
                "for it is installed (put one in the model folder's loras/), made without it"
            )
            return False
        try:
            import peft  # noqa: F401
        except ImportError:
            ctx.notes.append(
                f"camera-control LoRA {lora.name} is installed but the peft package is not; "
                "made without it (pip install peft)"
            )
            return False
        why = self._load_lora(ctx.loaded.pipe, lora, move, ctx.loaded.dtype)
        if why is not None:
            ctx.notes.append(
                f"camera-control LoRA {lora.name} was not applied: {why}; made without it "
                f"(use a LoRA made for {self.name})"
            )
            return False
        ctx.notes.append(f"camera-control LoRA {lora.name} applied ({move.replace('_', ' ')})")
        return True

    @staticmethod
    def _load_lora(pipe: Any, lora: Path, name: str, dtype: Any = None) -> str | None:
        """Load `lora` into the pipeline as adapter `name`; None, or why it could not (then no
        trace of it is left in the pipeline). `dtype`: the model's compute dtype, which the
        LoRA's layers keep under fp8 layerwise casting (`_lora_off_fp8`)."""
        why = lora_file_problem(lora)
        if why is not None:
            return why
        try:
            pipe.load_lora_weights(str(lora), adapter_name=name)
        except Exception as exc:  # noqa: BLE001 - a LoRA for another model: say so, go on
            log.warning("LoRA %s not loaded: %s", lora, exc)
            try:
                if name in pipe.get_list_adapters().get("transformer", []):
                    pipe.delete_adapters(name)
            except Exception:  # noqa: BLE001 - diffusers already removed what it added
                pass
            return f"it does not fit this model ({_load_error(exc)})"
        if dtype is not None:
            _lora_off_fp8(pipe, lora, name, dtype)
        return None

    def _steps_guidance(self, ctx: RunContext) -> tuple[int, float]:
        req = ctx.request
        steps, default_guidance = self.defaults()
        guidance = float(req.guidance if req.guidance is not None else default_guidance)
        return int(req.steps or steps), guidance

    def _denoise(
        self,
        ctx: RunContext,
        conditions: list[Any],
        length: int,
        prompt: str,
        *,
        size: tuple[int, int] | None = None,
        refine: dict[str, Any] | None = None,
    ) -> tuple[Any, Any]:
        """One `LTX2ConditionPipeline` call to latents at `size` (w, h; the request's if None).
        `refine`: the two-stage path's second pass (``latents``, ``audio_latents``, ``sigmas``):
        no guidance, its own sigmas, from the upsampled latents."""
        req = ctx.request
        pipe = ctx.loaded.pipe
        steps, guidance = self._steps_guidance(ctx)
        if refine is not None:
            steps, guidance = len(refine["sigmas"]), 1.0
        width, height = size or (req.width, req.height)
        t, s = self.temporal, self.spatial
        ctx.preview_geometry = ((length - 1) // t + 1, height // s, width // s)
        cfg = guidance > 1.0
        kwargs: dict[str, Any] = dict(
            conditions=conditions or None,
            prompt=prompt,
            negative_prompt=req.negative_prompt or None,
            height=height,
            width=width,
            num_frames=length,
            frame_rate=float(req.fps),
            num_inference_steps=steps,
            guidance_scale=guidance,
            audio_guidance_scale=guidance if cfg else 1.0,
            generator=ctx.generator(),
            output_type="latent",
            callback_on_step_end=ctx.step_callback(
                steps, "refine" if refine is not None else "denoise"
            ),
            callback_on_step_end_tensor_inputs=["latents"],
            max_sequence_length=int(req.options.get("max_sequence_length") or PROMPT_TOKENS),
        )
        if refine is not None:
            kwargs.update(
                latents=refine["latents"],
                audio_latents=refine["audio_latents"],
                sigmas=list(refine["sigmas"]),
                noise_scale=float(refine["sigmas"][0]),
            )
        elif self.distilled and steps == 8:
            from diffusers.pipelines.ltx2.utils import DISTILLED_SIGMA_VALUES

            kwargs["sigmas"] = list(DISTILLED_SIGMA_VALUES)  # the distilled checkpoint's schedule
        if not cfg:
            # no guidance passes at all: one forward per step (the distilled recipe)
            kwargs.update(
                stg_scale=0.0,
                modality_scale=1.0,
                guidance_rescale=0.0,
                audio_stg_scale=0.0,
                audio_modality_scale=1.0,
                audio_guidance_rescale=0.0,
                spatio_temporal_guidance_blocks=None,
            )
        ctx.stage("encode")
        ctx.cancel.raise_if_cancelled()
        out = pipe(**kwargs)
        return out.frames, out.audio

    # -- the two-stage path ----------------------------------------------------------------------
    def upsampler_folder(self) -> Path | None:
        """The model folder's ``latent_upsampler/`` (config.json + safetensors), or None."""
        c = Path(self.folder.path) / UPSAMPLER_SUBFOLDER
        if (c / "config.json").is_file() and any(c.glob("*.safetensors")):
            return c
        return None

    def two_stage_upsampler(self) -> Path | None:
        """The upsampler when takes are made in two stages here (a distilled checkpoint, or a
        dev one with its refine LoRA installed), else None."""
        folder = self.upsampler_folder()
        if folder is None or not (self.distilled or self.refine_lora() is not None):
            return None
        return folder

    def part_params(self) -> dict[str, int]:
        """The parts, the upsampler of the two stages, and a dev checkpoint's refine LoRA
        (loaded for every take, into the transformer: ``transformer_lora``)."""
        from engine.backends.diffusers.device import stored_params
        from engine.catalog import LORA_SUFFIX

        out = super().part_params()
        if not self.distilled and self.two_stage_upsampler() is not None:
            lora = self.refine_lora()
            if lora is not None:
                out["transformer" + LORA_SUFFIX] = stored_params(lora)
        return out

    def refine_lora(self) -> Path | None:
        """Lightricks' distilled LoRA for a dev checkpoint's refine pass, if installed: a
        ``.safetensors`` with "distilled" in its name in the folder's ``loras/``."""
        for sub in _LORA_DIRS:
            d = Path(self.folder.path) / sub
            if d.is_dir():
                for f in sorted(d.glob("*.safetensors")):
                    if "distill" in f.stem.lower():
                        return f
        return None

    @staticmethod
    def two_stage_sizes(
        width: int, height: int, multiple: int
    ) -> tuple[tuple[int, int], tuple[int, int]]:
        """((first pass w, h), (refine pass w, h)): half the size, down to the pipeline's
        multiple, then doubled by the latent upsampler."""
        dw = max(multiple, width // 2 // multiple * multiple)
        dh = max(multiple, height // 2 // multiple * multiple)
        return (dw, dh), (2 * dw, 2 * dh)

    def _two_stage_plan(self, ctx: RunContext) -> dict[str, Any] | None:
        """What the two-stage path needs here (upsampler, LoRA for a dev checkpoint), or None
        for one stage (with a note saying why, when an upsampler is installed)."""
        folder = self.upsampler_folder()
        if folder is None:
            return None
        if self.distilled:
            return {"upsampler": folder, "lora": None}
        lora = self.refine_lora()
        why = None
        if lora is None:
            why = (
                "no distilled LoRA for its refine pass is installed (put Lightricks' "
                "ltx-2-19b-distilled-lora-384.safetensors in the model folder's loras/)"
            )
        elif importlib.util.find_spec("peft") is None:
            why = f"its refine LoRA {lora.name} needs the peft package (pip install peft)"
        if why is not None:
            ctx.notes.append(f"{self.name}: made in one stage at full size: {why}")
            return None
        return {"upsampler": folder, "lora": lora}

    def _upsample_pipeline(self, loaded: LoadedModel, folder: Path) -> Any:
        """diffusers' LTX2LatentUpsamplePipeline over the loaded VAE and the upsampler."""
        from diffusers import LTX2LatentUpsamplePipeline
        from diffusers.pipelines.ltx2.latent_upsampler import LTX2LatentUpsamplerModel

        return latent_upsample_pipeline(
            loaded, folder, LTX2LatentUpsamplerModel, LTX2LatentUpsamplePipeline
        )

    def _two_stage(
        self,
        ctx: RunContext,
        conditions: list[Any],
        length: int,
        prompt: str,
        plan: dict[str, Any],
        camera_move: str | None,
    ) -> tuple[Any, Any, dict[str, Any]]:
        """First pass at half size, latents x2 through the upsampler, refine pass at full size
        (the audio latents of the first pass refined beside the video's)."""
        import torch
        from diffusers import FlowMatchEulerDiscreteScheduler
        from diffusers.pipelines.ltx2.utils import STAGE_2_DISTILLED_SIGMA_VALUES

        req = ctx.request
        pipe = ctx.loaded.pipe
        first, refine = self.two_stage_sizes(req.width, req.height, self.size_multiple)
        steps, guidance = self._steps_guidance(ctx)
        lora = plan.get("lora")  # a dev checkpoint refines with the distilled LoRA (loaded)
        if lora is not None:  # ... and makes its first pass without it
            if camera_move:
                pipe.set_adapters([camera_move], [1.0])
            else:
                pipe.disable_lora()
        small, audio = self._denoise(ctx, conditions, length, prompt, size=first)
        ctx.cancel.raise_if_cancelled()
        ctx.stage("upsample")
        upsample = self._upsample_pipeline(ctx.loaded, plan["upsampler"])
        with torch.no_grad():
            up = upsample(
                latents=small,
                latents_normalized=False,  # the first pass hands back denormalised latents
                height=first[1],
                width=first[0],
                num_frames=length,
                output_type="latent",
                return_dict=False,
            )[0]
        if lora is not None:
            pipe.enable_lora()
            names = [camera_move, REFINE_LORA] if camera_move else [REFINE_LORA]
            pipe.set_adapters(names, [1.0] * len(names))
        sigmas = list(STAGE_2_DISTILLED_SIGMA_VALUES)
        # the refine pass's sigmas are used as given: a scheduler without dynamic shifting
        saved = pipe.scheduler, getattr(pipe, "audio_scheduler", None)
        plain = dict(use_dynamic_shifting=False, shift_terminal=None)
        pipe.scheduler = FlowMatchEulerDiscreteScheduler.from_config(saved[0].config, **plain)
        if saved[1] is not None:
            pipe.audio_scheduler = FlowMatchEulerDiscreteScheduler.from_config(
                saved[1].config, **plain
            )
        try:
            video, audio = self._denoise(
                ctx,
                conditions,
                length,
                prompt,
                size=refine,
                refine={"latents": up, "audio_latents": audio, "sigmas": sigmas},
            )
        finally:
            pipe.scheduler = saved[0]
            if saved[1] is not None:
                pipe.audio_scheduler = saved[1]
        stages = {
            "stages": ["first pass", "latent upsample x2", "refine pass"],
            "first_pass": f"{first[0]}x{first[1]}",
            "first_pass_steps": steps,
            "first_pass_guidance": guidance,
            "upsampler": str(plan["upsampler"]),
            "refine_pass": f"{refine[0]}x{refine[1]}",
            "refine_sigmas": sigmas,
            "refine_lora": str(lora) if lora is not None else None,
            "output": f"{req.width}x{req.height}"
            + ("" if refine == (req.width, req.height) else " (resized from the refine pass)"),
        }
        return video, audio, stages

    def _decode(self, ctx: RunContext, latents: Any) -> Any:
        """Decode denormalised video latents (timestep-conditioned VAEs get decode noise 0)."""
        import torch

        pipe = ctx.loaded.pipe
        vae = ctx.begin_decode()
        with torch.no_grad():
            lat = latents.to(device=pipe._execution_device, dtype=vae.dtype)
            timestep = None
            if vae.config.timestep_conditioning:
                timestep = torch.zeros(lat.shape[0], device=lat.device, dtype=lat.dtype)
            return vae.decode(lat, timestep, return_dict=False)[0]

    def _decode_audio(self, ctx: RunContext, audio_latents: Any) -> tuple[np.ndarray, int]:
        """Audio latents -> mel spectrogram (audio VAE) -> waveform (vocoder): (channels, n)."""
        import torch

        pipe = ctx.loaded.pipe
        ctx.cancel.raise_if_cancelled()
        ctx.stage("decode audio")
        with torch.no_grad():
            lat = audio_latents.to(device=pipe._execution_device, dtype=pipe.audio_vae.dtype)
            mel = pipe.audio_vae.decode(lat, return_dict=False)[0]
            wave = pipe.vocoder(mel.to(pipe.vocoder.dtype))
        pipe.maybe_free_model_hooks()
        rate = int(
            getattr(pipe.vocoder.config, "output_sampling_rate", 0) or pipe.audio_sampling_rate
        )
        samples = wave[0].float().clamp(-1, 1).cpu().numpy()
        if samples.ndim == 1:
            samples = samples[None]
        return samples, rate

    def _write_audio(self, ctx: RunContext, samples: np.ndarray, rate: int) -> None:
        from engine.media import audio_sink

        target = audio_sink(ctx.sink)
        if target is None:
            ctx.notes.append("the sound was made but this output keeps no audio")
            return
        target.write_audio(samples, rate)
