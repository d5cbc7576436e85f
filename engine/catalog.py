"""Recommended video models for the diffusers engine: what they are, what they need, what they make.

Pure data (no torch, no network): the model manager lists these next to the models found on
disk, and the diffusers engine takes a catalogued model's defaults (steps, guidance, native
frame rate, distilled schedule) from here. A model that is not catalogued (a folder of your own)
still runs: its family and limits are read from its ``model_index.json`` and configs.

Download sizes are approximate (the diffusers-format folders in safetensors, rounded up);
``previz models download`` asks the Hub for the exact size before it starts.

Memory figures are computed, never written by hand: each entry carries its parts' parameter
counts (`ModelParams`, constants below with their source), and `memory_needs` turns them into
what each memory plan needs, with the rule the engine plans with (`plan_bytes`): weights at two
bytes a parameter (bf16), the transformer (both experts of Wan 2.2 A14B) at one with fp8, plus
activations, over the engine's headroom. ``vram_gb`` is the free GPU memory (GB as cards are
sold, i.e. GiB) a model needs at its native size with model CPU offload, ``vram_full_gb`` with
every part on the GPU at once;
``describe()["memory"]`` has every plan with and without fp8 and the RAM offloading takes, and
``memory_note`` says in words when fp8 or group offload is needed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

__all__ = [
    "CATALOG",
    "CatalogEntry",
    "MemoryNeeds",
    "ModelParams",
    "catalog",
    "find_entry",
    "gb",
    "is_distilled_name",
    "memory_figures",
    "memory_needs",
    "memory_note",
    "part_bytes",
    "plan_bytes",
]


@dataclass(frozen=True)
class CatalogEntry:
    """One recommended model (a Hugging Face repository in diffusers format)."""

    id: str
    family: str  # "ltx", "ltx2", "wan" or "skyreels"
    title: str
    operations: tuple[str, ...]
    size_gb: float
    native_fps: Fraction | None  # None: the model takes any frame rate (LTX conditions on it)
    sizes: tuple[tuple[int, int], ...]  # native (width, height); the first is the default
    max_frames: int
    licence: str
    # the parts' parameter counts: every memory figure below is computed from them
    params: ModelParams | None = None
    vram_gb: float = 0.0  # free GPU memory with model CPU offload (bf16), from params
    vram_full_gb: float = 0.0  # free GPU memory with every part on the GPU (bf16), from params
    distilled: bool = False
    default_steps: int | None = None
    default_guidance: float | None = None
    notes: str = ""
    memory_note: str = field(default="", init=False)  # when fp8 or group offload is needed

    def __post_init__(self) -> None:
        if self.params is None:  # an entry without counts keeps what it says (the tests refuse it)
            return
        offload = memory_needs(self.params, "model_offload").free_gpu_bytes
        full = memory_needs(self.params, "full").free_gpu_bytes
        object.__setattr__(self, "vram_gb", gb(offload))
        object.__setattr__(self, "vram_full_gb", gb(full))
        object.__setattr__(self, "memory_note", memory_note(self.params))

    def describe(self) -> dict[str, Any]:
        """JSON-friendly description (fps as a string, sizes as ``WxH``)."""
        fps = self.native_fps
        return {
            "id": self.id,
            "family": self.family,
            "title": self.title,
            "operations": list(self.operations),
            "size_gb": self.size_gb,
            "vram_gb": self.vram_gb,
            "vram_full_gb": self.vram_full_gb,
            "memory": memory_figures(self.params) if self.params is not None else None,
            "memory_note": self.memory_note,
            "native_fps": None
            if fps is None
            else (
                str(fps.numerator) if fps.denominator == 1 else f"{fps.numerator}/{fps.denominator}"
            ),
            "sizes": [f"{w}x{h}" for w, h in self.sizes],
            "max_frames": self.max_frames,
            "licence": self.licence,
            "distilled": self.distilled,
            "default_steps": self.default_steps,
            "default_guidance": self.default_guidance,
            "notes": self.notes,
        }


# --------------------------------------------------------------------------------------------
# Memory: every figure comes from parameter counts, through one rule (`plan_bytes`) that the
# diffusers engine also plans with (from the sizes of the files on disk).

GIB = 1024**3
WORK_BYTES = 2 * GIB  # activations at the native size besides the weights, roughly
GROUP_BYTES = 1 * GIB  # group offload: the layers in flight on the GPU (a block or two)
HEADROOM = 0.9  # the engine plans with at most this share of free GPU memory
RAM_SPARE_BYTES = 2 * GIB  # RAM left to the app and the system beside offloaded weights
# Group offload with CUDA streams copies every weight into pinned (page-locked) RAM before the
# first step. diffusers PR #11106 measured 35 GB of RAM for Flux's 24 GB transformer (streams,
# weights pinned up front) and 23 GB with low_cpu_mem_usage (each layer pinned as it streams).
PINNED_RAM_FACTOR = 1.5
# The parts the fp8 speed lever stores as float8 (speed.py: layerwise casting of
# ``pipe.transformer`` and, on Wan 2.2 A14B, of the low-noise expert ``pipe.transformer_2``):
# one byte a parameter; every other part stays at the model's dtype.
FP8_PARTS = frozenset({"transformer", "transformer_2"})
# A latent upsampler (LTX-Video's multi-scale recipe, LTX-2's two stages) is loaded at the first
# upsample and kept on the device beside the pipeline (ltx.py, ltx2.py `_upsample_pipeline`):
# it counts in the weights, and with model offload it sits on the GPU next to the part there.
UPSAMPLER_PART = "latent_upsampler"
RESIDENT_PARTS = frozenset({UPSAMPLER_PART})
# A LoRA loaded for every take (LTX-2 dev's distilled refine LoRA) is part ``<part>_lora``: its
# layers live in that part, at the model's dtype (fp8 casts the part's own weights only), and
# move with it under model offload.
LORA_SUFFIX = "_lora"
MEMORY_PLANS = ("full", "model_offload", "group_offload")


@dataclass(frozen=True)
class ModelParams:
    """Parameter counts of the parts a pipeline loads (transformer, text encoder, VAE, ...)."""

    parts: tuple[tuple[str, int], ...]
    source: str = ""  # where the counts come from

    @classmethod
    def of(cls, *, source: str = "", **parts: int) -> ModelParams:
        return cls(tuple(parts.items()), source)

    def as_dict(self) -> dict[str, int]:
        return dict(self.parts)

    @property
    def transformer(self) -> int:
        return self.as_dict().get("transformer", 0)


@dataclass(frozen=True)
class MemoryNeeds:
    """What one memory plan needs for one model (bytes)."""

    plan: str
    fp8: bool
    weights_bytes: int  # every part once loaded
    largest_bytes: int  # the largest part
    gpu_bytes: int  # on the GPU: the weights the plan keeps there, plus activations
    ram_bytes: int  # in RAM: the weights the plan keeps there (0 with everything on the GPU)
    pinned: bool  # ram_bytes holds pinned copies (group offload with CUDA streams)

    @property
    def free_gpu_bytes(self) -> int:
        """Free GPU memory the engine wants before it picks this plan (with its headroom)."""
        return math.ceil(self.gpu_bytes / HEADROOM)


def part_bytes(
    parts: Mapping[str, int], *, dtype_bytes: int = 2, fp8: bool = False
) -> dict[str, int]:
    """Bytes of each part once loaded: `dtype_bytes` a parameter, one for `FP8_PARTS` with fp8."""
    return {
        name: n * (1 if fp8 and name in FP8_PARTS else dtype_bytes) for name, n in parts.items()
    }


def weights_and_largest(sizes: Mapping[str, int]) -> tuple[int, int]:
    """(every part's bytes, the most model offload holds on the GPU at once): the largest part
    (with its LoRA's layers, ``<part>_lora``) plus the `RESIDENT_PARTS`, which stay there
    whichever part is loaded."""
    resident = sum(n for name, n in sizes.items() if name in RESIDENT_PARTS)
    moving: dict[str, int] = {}
    for name, n in sizes.items():
        if name not in RESIDENT_PARTS:
            base = name.removesuffix(LORA_SUFFIX)
            moving[base] = moving.get(base, 0) + n
    return sum(sizes.values()), max(moving.values(), default=0) + resident


def plan_bytes(plan: str, weights: int, largest: int, *, pinned: bool = False) -> tuple[int, int]:
    """(GPU bytes, RAM bytes) that `plan` needs for `weights` whose largest part is `largest`.

    - ``full``: every part on the GPU, plus activations; nothing kept in RAM;
    - ``model_offload``: the largest part on the GPU at a time, plus activations; every weight
      in RAM;
    - ``group_offload``: a few layers on the GPU, plus activations; every weight in RAM, pinned
      (x `PINNED_RAM_FACTOR`) when the layers stream with CUDA streams.
    """
    if plan == "full":
        return weights + WORK_BYTES, 0
    if plan == "model_offload":
        return largest + WORK_BYTES, weights
    if plan == "group_offload":
        ram = math.ceil(weights * PINNED_RAM_FACTOR) if pinned else weights
        return GROUP_BYTES + WORK_BYTES, ram
    raise ValueError(f"unknown memory plan {plan!r}")


def memory_needs(
    params: ModelParams | Mapping[str, int],
    plan: str = "model_offload",
    *,
    fp8: bool = False,
    dtype_bytes: int = 2,
    pinned: bool | None = None,
) -> MemoryNeeds:
    """What `plan` needs for a model of these parameter counts (bf16 unless `dtype_bytes`; the
    transformer(s) at one byte a parameter with `fp8`; group offload pinned unless `pinned` is
    False).
    """
    parts = params.as_dict() if isinstance(params, ModelParams) else dict(params)
    sizes = part_bytes(parts, dtype_bytes=dtype_bytes, fp8=fp8)
    weights, largest = weights_and_largest(sizes)
    pinned = plan == "group_offload" if pinned is None else (pinned and plan == "group_offload")
    gpu, ram = plan_bytes(plan, weights, largest, pinned=pinned)
    return MemoryNeeds(plan, fp8, weights, largest, gpu, ram, pinned)


def gb(n: int) -> float:
    """Bytes as the GB a card is sold with (GiB), rounded up to a whole GB (never shown less)."""
    return float(math.ceil(n / GIB))


def memory_figures(params: ModelParams) -> dict[str, Any]:
    """Every plan's free GPU memory (GB, bf16 and fp8) and RAM, from `memory_needs`."""
    out: dict[str, Any] = {
        plan: {
            precision: gb(memory_needs(params, plan, fp8=precision == "fp8").free_gpu_bytes)
            for precision in ("bf16", "fp8")
        }
        for plan in MEMORY_PLANS
    }
    out["ram_gb"] = {
        "model_offload": gb(memory_needs(params, "model_offload").ram_bytes),
        "group_offload": gb(memory_needs(params, "group_offload", pinned=False).ram_bytes),
        "group_offload_pinned": gb(memory_needs(params, "group_offload").ram_bytes),
    }
    return out


def memory_note(params: ModelParams) -> str:
    """One sentence: the GPU memory each plan wants, and when fp8 or group offload is needed."""
    f = memory_figures(params)
    full, offload = f["full"], f["model_offload"]
    text = (
        f"{full['bf16']:g} GB of free GPU memory with everything on the GPU, "
        f"{offload['bf16']:g} GB with model offload"
    )
    if offload["fp8"] < offload["bf16"]:
        text += f"; with less, fp8 ({offload['fp8']:g} GB with model offload)"
        text += f" or group offload ({f['group_offload']['bf16']:g} GB)"
    else:
        sizes = part_bytes(params.as_dict(), fp8=True)
        largest = max(sizes, key=sizes.__getitem__)
        text += (
            f"; fp8 does not lower that (its largest part with fp8 is {largest}); with less, "
            f"group offload ({f['group_offload']['bf16']:g} GB)"
        )
    ram = f["ram_gb"]
    return (
        text + f", which keeps the weights in RAM ({ram['group_offload']:g} GB; "
        f"{ram['group_offload_pinned']:g} GB to pin them for streaming)"
    )


# Parameter counts (each model card's figure, exactly: the published diffusers config built on
# PyTorch's meta device and its parameters counted; tests/engine_diffusers/test_catalog.py
# recounts the large ones). Sources: diffusers scripts/convert_ltx_to_diffusers.py,
# convert_wan_to_diffusers.py, convert_skyreelsv2_to_diffusers.py, convert_ltx2_to_diffusers.py;
# the text encoders' transformers configs (google/t5-v1_1-xxl, google/umt5-xxl,
# laion/CLIP-ViT-H-14-laion2B-s32B-b79K, google/gemma-3-12b-it).
T5_XXL_ENCODER = 4_762_310_656  # LTX-Video's text encoder ("T5-XXL", 4.8B; 9.5 GB in bf16)
UMT5_XXL_ENCODER = 5_680_910_336  # Wan's and SkyReels' text encoder (5.7B; 11.4 GB in bf16)
CLIP_VIT_H_IMAGE = 632_076_800  # Wan 2.1 I2V / FLF2V image encoder (CLIP ViT-H/14 vision)
GEMMA3_12B = 12_187_325_040  # LTX-2's text encoder (Gemma 3 12B, with its vision tower)
LTX_13B_TRANSFORMER = 13_042_569_344  # LTX-Video 0.9.7 / 0.9.8 13B (48 layers, 4096 wide)
LTX_2B_TRANSFORMER = 1_923_385_472  # LTX-Video 2B (28 layers, 2048 wide)
LTX_095_VAE = 1_246_913_522  # LTX-Video 0.9.5+ VAE (timestep-aware decoder)
LTX2_TRANSFORMER = 18_876_174_592  # LTX-2 19B (video and audio streams, 48 layers)
LTX2_CONNECTORS = 1_431_475_200  # LTX-2 text connectors (Gemma features to both streams)
LTX2_VAE = 1_222_479_601
LTX2_AUDIO_VAE = 53_248_146
LTX2_VOCODER = 55_592_802
# The latent upsamplers (spatial x2), diffusers' defaults = the published configs: LTX-2's
# (Lightricks/LTX-2 latent_upsampler/, 1024 wide, 4 blocks a stage) and LTX-Video's
# (Lightricks/ltxv-spatial-upscaler-0.9.7 and -0.9.8, 512 wide).
LTX2_LATENT_UPSAMPLER = 497_867_904
LTX_LATENT_UPSAMPLER = 126_250_624
WAN_1_3B_TRANSFORMER = 1_418_996_800  # Wan 2.1 1.3B (30 layers, 1536 wide)
WAN_VACE_1_3B_TRANSFORMER = 2_153_972_032  # Wan 2.1 VACE 1.3B (15 VACE blocks beside it)
WAN_14B_TRANSFORMER = 14_288_491_584  # Wan 2.1 T2V 14B, each Wan 2.2 T2V A14B expert
WAN22_I2V_14B_TRANSFORMER = 14_288_901_184  # each Wan 2.2 I2V A14B expert (36 input channels)
WAN_I2V_14B_TRANSFORMER = 16_394_878_784  # Wan 2.1 I2V 14B (image cross-attention added)
WAN_FLF2V_14B_TRANSFORMER = 16_395_536_704  # Wan 2.1 FLF2V 14B (two-image position embedding)
WAN22_5B_TRANSFORMER = 4_999_787_712  # Wan 2.2 TI2V 5B (30 layers, 3072 wide)
WAN_VAE = 126_892_531  # Wan 2.1 VAE (also Wan 2.2 A14B's)
WAN22_VAE = 704_688_668  # Wan 2.2 TI2V 5B's VAE (16x16 spatial compression)
SKYREELS_1_3B_TRANSFORMER = 1_435_525_696  # SkyReels-V2 DF 1.3B (Wan 1.3B + fps embedding)
SKYREELS_14B_TRANSFORMER = 14_288_491_584  # SkyReels-V2 DF 14B (Wan 14B)

LTX_13B = ModelParams.of(
    transformer=LTX_13B_TRANSFORMER,
    text_encoder=T5_XXL_ENCODER,
    vae=LTX_095_VAE,
    source="LTX-Video 0.9.7 13B config",
)
# the distilled 13B checkpoints run Lightricks' multi-scale recipe with the spatial upsampler
LTX_13B_MULTISCALE = ModelParams.of(
    **LTX_13B.as_dict(),
    latent_upsampler=LTX_LATENT_UPSAMPLER,
    source="LTX-Video 0.9.7 13B config, spatial upscaler 0.9.7",
)
LTX_2B = ModelParams.of(
    transformer=LTX_2B_TRANSFORMER,
    text_encoder=T5_XXL_ENCODER,
    vae=LTX_095_VAE,
    source="LTX-Video 2B config, 0.9.5 VAE",
)
LTX2_19B = ModelParams.of(
    transformer=LTX2_TRANSFORMER,
    text_encoder=GEMMA3_12B,
    connectors=LTX2_CONNECTORS,
    vae=LTX2_VAE,
    audio_vae=LTX2_AUDIO_VAE,
    vocoder=LTX2_VOCODER,
    latent_upsampler=LTX2_LATENT_UPSAMPLER,
    source="LTX-2 2.0 config, its latent upsampler",
)
WAN_1_3B = ModelParams.of(
    transformer=WAN_1_3B_TRANSFORMER,
    text_encoder=UMT5_XXL_ENCODER,
    vae=WAN_VAE,
    source="Wan-T2V-1.3B config",
)
WAN_VACE_1_3B = ModelParams.of(
    transformer=WAN_VACE_1_3B_TRANSFORMER,
    text_encoder=UMT5_XXL_ENCODER,
    vae=WAN_VAE,
    source="Wan-VACE-1.3B config",
)
WAN_I2V_14B = ModelParams.of(
    transformer=WAN_I2V_14B_TRANSFORMER,
    text_encoder=UMT5_XXL_ENCODER,
    image_encoder=CLIP_VIT_H_IMAGE,
    vae=WAN_VAE,
    source="Wan-I2V-14B config",
)
WAN_FLF2V_14B = ModelParams.of(
    transformer=WAN_FLF2V_14B_TRANSFORMER,
    text_encoder=UMT5_XXL_ENCODER,
    image_encoder=CLIP_VIT_H_IMAGE,
    vae=WAN_VAE,
    source="Wan-FLF2V-14B-720P config",
)
WAN22_5B = ModelParams.of(
    transformer=WAN22_5B_TRANSFORMER,
    text_encoder=UMT5_XXL_ENCODER,
    vae=WAN22_VAE,
    source="Wan2.2-TI2V-5B config",
)
WAN22_T2V_A14B = ModelParams.of(
    transformer=WAN_14B_TRANSFORMER,
    transformer_2=WAN_14B_TRANSFORMER,
    text_encoder=UMT5_XXL_ENCODER,
    vae=WAN_VAE,
    source="Wan2.2-T2V-A14B config (two experts)",
)
WAN22_I2V_A14B = ModelParams.of(
    transformer=WAN22_I2V_14B_TRANSFORMER,
    transformer_2=WAN22_I2V_14B_TRANSFORMER,
    text_encoder=UMT5_XXL_ENCODER,
    vae=WAN_VAE,
    source="Wan2.2-I2V-A14B config (two experts)",
)
SKYREELS_DF_1_3B = ModelParams.of(
    transformer=SKYREELS_1_3B_TRANSFORMER,
    text_encoder=UMT5_XXL_ENCODER,
    vae=WAN_VAE,
    source="SkyReels-V2-DF-1.3B-540P config",
)
SKYREELS_DF_14B = ModelParams.of(
    transformer=SKYREELS_14B_TRANSFORMER,
    text_encoder=UMT5_XXL_ENCODER,
    vae=WAN_VAE,
    source="SkyReels-V2-DF-14B config",
)


_ALL = ("text_to_video", "image_to_video", "extend", "bridge", "remix", "loop")
# Wan VACE: the only family here whose pipeline takes a per-pixel mask, so the only one with
# the region edits (inpaint, cinemagraph); keep them out of _ALL (the LTX entries use it)
_VACE_OPS = (
    "text_to_video",
    "image_to_video",
    "extend",
    "bridge",
    "loop",
    "inpaint",
    "cinemagraph",
)
_LTX_LICENCE = "LTX-Video Open Weights License (see the model card)"
_MULTISCALE_NOTE = (
    "; multi-scale with Lightricks' spatial upscaler (`previz models download` it): the memory "
    "figures count it, kept on the GPU beside the transformer"
)
# SkyReels-V2 diffusion forcing: also long shots in one call ("long", not an OPERATIONS entry)
_SKYREELS_DF = ("text_to_video", "image_to_video", "extend")
_SKYREELS_LICENCE = "SkyReels-V2 licence (Skywork; see the model card)"
_SKYREELS_NOTES = (
    "diffusion forcing: a long shot in one call (one prompt, windows of {n} frames sharing 17), "
    "extend forward from a take's tail; flow shift 8 comes with its scheduler config"
)

_LTX2_OPS = ("text_to_video", "image_to_video", "extend", "bridge")
_LTX2_LICENCE = "LTX-2 Community License (see the model card)"
_LTX2_NOTES = (
    "picture and sound in one call (the take gets a WAV); dialogue is voiced from the prompt; "
    "Gemma 3 12B text encoder; camera-control LoRAs apply from the model folder's loras/; "
    "with its latent_upsampler/ a take is made in two stages (half size, x2, a 3-step refine); "
    "the memory figures count the 0.5B upsampler, kept on the GPU beside the transformer"
)
# Honest extend for the Wan checkpoints that animate from one image (I2V, TI2V): they continue
# from the take's last frame alone, where Wan VACE conditions on the take's whole lossless tail.
_ONE_FRAME_EXTEND = (
    "; extend pins one frame (the take's last), so motion may not carry across the join "
    "(a Wan VACE model conditions on the take's whole lossless tail)"
)
_WAN22_NOTES = (
    "a high-noise and a low-noise expert (one on the GPU at a time with model offload; "
    "boundary {boundary})"
)

CATALOG: tuple[CatalogEntry, ...] = (
    CatalogEntry(
        id="Lightricks/LTX-Video-0.9.7-distilled",
        family="ltx",
        title="LTX-Video 0.9.7 13B distilled (8 steps, no CFG)",
        operations=_ALL,
        size_gb=38.0,
        params=LTX_13B_MULTISCALE,
        native_fps=None,
        sizes=((1216, 704), (768, 512), (704, 480)),
        max_frames=257,
        licence=_LTX_LICENCE,
        distilled=True,
        default_steps=8,
        default_guidance=1.0,
        notes="fastest good-quality choice; keyframes at any frame, extend both ways, bridge"
        + _MULTISCALE_NOTE,
    ),
    CatalogEntry(
        id="Lightricks/LTX-Video-0.9.7-dev",
        family="ltx",
        title="LTX-Video 0.9.7 13B dev",
        operations=_ALL,
        size_gb=38.0,
        params=LTX_13B,
        native_fps=None,
        sizes=((1216, 704), (768, 512), (704, 480)),
        max_frames=257,
        licence=_LTX_LICENCE,
        default_steps=30,
        default_guidance=5.0,
    ),
    CatalogEntry(
        # 0.9.5, not the repository's 0.9.0 root: 0.9.0 lacks multi-condition keyframes, end
        # pins and the timestep-aware VAE that the operations below rely on
        id="Lightricks/LTX-Video-0.9.5",
        family="ltx",
        title="LTX-Video 0.9.5 2B",
        operations=_ALL,
        size_gb=28.0,
        params=LTX_2B,
        native_fps=None,
        sizes=((704, 480), (768, 512)),
        max_frames=257,
        licence=_LTX_LICENCE,
        default_steps=50,
        default_guidance=3.0,
        notes="smallest LTX; keyframes at any frame, extend both ways, bridge",
    ),
    CatalogEntry(
        id="Wan-AI/Wan2.1-T2V-1.3B-Diffusers",
        family="wan",
        title="Wan 2.1 text-to-video 1.3B",
        operations=("text_to_video", "remix"),
        size_gb=17.0,
        params=WAN_1_3B,
        native_fps=Fraction(16),
        sizes=((832, 480),),
        max_frames=129,
        licence="Apache-2.0",
        default_steps=50,
        default_guidance=5.0,
        notes="text to video and remix only",
    ),
    CatalogEntry(
        id="Wan-AI/Wan2.1-VACE-1.3B-diffusers",
        family="wan",
        title="Wan 2.1 VACE 1.3B (extend, bridge, keyframes, reference images, region edits)",
        operations=_VACE_OPS,
        size_gb=19.0,
        params=WAN_VACE_1_3B,
        native_fps=Fraction(16),
        sizes=((832, 480),),
        max_frames=129,
        licence="Apache-2.0",
        default_steps=30,
        default_guidance=5.0,
        notes="Wan's editing model: video + mask; extend conditions on the take's whole lossless "
        "tail (9 frames), so motion carries across the join; element reference images; "
        "inpaint a region of a take and cinemagraphs (the only family with a mask input)",
    ),
    CatalogEntry(
        id="Wan-AI/Wan2.1-I2V-14B-480P-Diffusers",
        family="wan",
        title="Wan 2.1 image-to-video 14B 480p",
        operations=("image_to_video", "extend"),
        size_gb=78.0,
        params=WAN_I2V_14B,
        native_fps=Fraction(16),
        sizes=((832, 480),),
        max_frames=129,
        licence="Apache-2.0",
        default_steps=40,
        default_guidance=5.0,
        notes="animates a first frame (and extends forward); needs a large GPU or group offload"
        + _ONE_FRAME_EXTEND,
    ),
    CatalogEntry(
        id="Wan-AI/Wan2.1-FLF2V-14B-720P-diffusers",
        family="wan",
        title="Wan 2.1 first-last-frame 14B 720p",
        operations=("image_to_video", "bridge", "loop"),
        size_gb=78.0,
        params=WAN_FLF2V_14B,
        native_fps=Fraction(16),
        sizes=((1280, 720),),
        max_frames=129,
        licence="Apache-2.0",
        default_steps=40,
        default_guidance=5.0,
        notes="bridges two shots from A's last frame to B's first frame",
    ),
    CatalogEntry(
        id="Wan-AI/Wan2.2-TI2V-5B-Diffusers",
        family="wan",
        title="Wan 2.2 text/image-to-video 5B 720p",
        operations=("text_to_video", "image_to_video", "extend"),
        size_gb=34.0,
        params=WAN22_5B,
        native_fps=Fraction(24),
        sizes=((1280, 704),),
        max_frames=161,
        licence="Apache-2.0",
        default_steps=50,
        default_guidance=5.0,
        notes="720p at 24 fps on a 24 GB card" + _ONE_FRAME_EXTEND,
    ),
    CatalogEntry(
        id="Skywork/SkyReels-V2-DF-1.3B-540P-Diffusers",
        family="skyreels",
        title="SkyReels-V2 diffusion forcing 1.3B 540p (long shots)",
        operations=_SKYREELS_DF,
        size_gb=17.0,
        params=SKYREELS_DF_1_3B,
        native_fps=Fraction(24),
        sizes=((960, 544),),
        max_frames=97,
        licence=_SKYREELS_LICENCE,
        default_steps=30,
        default_guidance=6.0,
        notes=_SKYREELS_NOTES.format(n=97),
    ),
    CatalogEntry(
        id="Skywork/SkyReels-V2-DF-14B-540P-Diffusers",
        family="skyreels",
        title="SkyReels-V2 diffusion forcing 14B 540p (long shots)",
        operations=_SKYREELS_DF,
        size_gb=75.0,
        params=SKYREELS_DF_14B,
        native_fps=Fraction(24),
        sizes=((960, 544),),
        max_frames=97,
        licence=_SKYREELS_LICENCE,
        default_steps=30,
        default_guidance=6.0,
        notes=_SKYREELS_NOTES.format(n=97),
    ),
    CatalogEntry(
        id="Skywork/SkyReels-V2-DF-14B-720P-Diffusers",
        family="skyreels",
        title="SkyReels-V2 diffusion forcing 14B 720p (long shots)",
        operations=_SKYREELS_DF,
        size_gb=75.0,
        params=SKYREELS_DF_14B,
        native_fps=Fraction(24),
        sizes=((1280, 720),),
        max_frames=121,
        licence=_SKYREELS_LICENCE,
        default_steps=30,
        default_guidance=6.0,
        notes=_SKYREELS_NOTES.format(n=121),
    ),
    # -- LTX-2 (picture and sound), Wan 2.2 A14B (two experts), LTX-Video 0.9.8 ---------------
    CatalogEntry(
        id="Lightricks/LTX-2",
        family="ltx2",
        title="LTX-2 19B dev (video with sound)",
        operations=_LTX2_OPS,
        size_gb=72.0,
        params=LTX2_19B,
        native_fps=None,
        sizes=((1280, 704), (768, 512)),
        max_frames=257,
        licence=_LTX2_LICENCE,
        default_steps=40,
        default_guidance=4.0,
        notes=_LTX2_NOTES + "; fp8 casting halves the 19B transformer (about 20 GB)",
    ),
    CatalogEntry(
        id="Lightricks/LTX-2-19b-distilled",
        family="ltx2",
        title="LTX-2 19B distilled (video with sound, 8 steps, no CFG)",
        operations=_LTX2_OPS,
        size_gb=72.0,
        params=LTX2_19B,
        native_fps=None,
        sizes=((1280, 704), (768, 512)),
        max_frames=257,
        licence=_LTX2_LICENCE,
        distilled=True,
        default_steps=8,
        default_guidance=1.0,
        # Lightricks publish the distilled LTX-2 as one file (ltx-2-19b-distilled.safetensors in
        # Lightricks/LTX-2), not as a diffusers folder; no official diffusers repo of it was
        # found to verify this id against (2026-12-07)
        notes=_LTX2_NOTES
        + "; Lightricks publish this checkpoint as a single file, not a diffusers folder: add "
        "your diffusers conversion with `previz models add FOLDER`, or use the dev entry with "
        "the distilled LoRA (Lightricks/LTX-2-19b-distilled-LoRA-384) in its loras/ folder",
    ),
    CatalogEntry(
        id="Wan-AI/Wan2.2-T2V-A14B-Diffusers",
        family="wan",
        title="Wan 2.2 T2V A14B (two 14B experts)",
        operations=("text_to_video",),
        size_gb=70.0,
        params=WAN22_T2V_A14B,
        native_fps=Fraction(16),
        sizes=((1280, 720), (832, 480)),
        max_frames=81,
        licence="Apache-2.0",
        default_steps=40,
        default_guidance=4.0,
        notes=_WAN22_NOTES.format(boundary=0.875),
    ),
    CatalogEntry(
        id="Wan-AI/Wan2.2-I2V-A14B-Diffusers",
        family="wan",
        title="Wan 2.2 I2V A14B (two 14B experts)",
        operations=("image_to_video", "extend", "bridge", "loop"),
        size_gb=70.0,
        params=WAN22_I2V_A14B,
        native_fps=Fraction(16),
        sizes=((1280, 720), (832, 480)),
        max_frames=81,
        licence="Apache-2.0",
        default_steps=40,
        default_guidance=3.5,
        notes=_WAN22_NOTES.format(boundary=0.9) + _ONE_FRAME_EXTEND,
    ),
    CatalogEntry(
        id="Lightricks/LTX-Video-0.9.8-13B-distilled",
        family="ltx",
        title="LTX-Video 0.9.8 13B distilled (8 steps, no CFG)",
        operations=_ALL,
        size_gb=38.0,
        params=LTX_13B_MULTISCALE,
        native_fps=None,
        sizes=((1216, 704), (768, 512), (704, 480)),
        max_frames=257,
        licence=_LTX_LICENCE,
        distilled=True,
        default_steps=8,
        default_guidance=1.0,
        notes="0.9.8: longer shots than 0.9.7; keyframes at any frame, extend both ways, bridge"
        + _MULTISCALE_NOTE,
    ),
)


def catalog() -> tuple[CatalogEntry, ...]:
    return CATALOG


def find_entry(model_id: str | None) -> CatalogEntry | None:
    """The catalogued model called `model_id` (case-insensitive), or None."""
    if not model_id:
        return None
    key = model_id.strip().lower()
    for entry in CATALOG:
        if entry.id.lower() == key:
            return entry
    return None


def is_distilled_name(name: str) -> bool:
    """Whether a model id or folder name says it is a distilled (few-step, no-CFG) checkpoint."""
    return "distill" in name.lower()
