"""Recommended video models for the diffusers engine: what they are, what they need, what they make.

Pure data (no torch, no network): the model manager lists these next to the models found on
disk, and the diffusers engine takes a catalogued model's defaults (steps, guidance, native
frame rate, distilled schedule) from here. A model that is not catalogued (a folder of your own)
still runs: its family and limits are read from its ``model_index.json`` and configs.

Sizes and memory figures are approximate (the diffusers-format folders in safetensors, rounded
up); ``previz models download`` asks the Hub for the exact size before it starts. ``vram_gb`` is
what the model needs at its native size with model CPU offload; ``vram_full_gb`` with every part
on the GPU at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Any

__all__ = ["CATALOG", "CatalogEntry", "catalog", "find_entry", "is_distilled_name"]


@dataclass(frozen=True)
class CatalogEntry:
    """One recommended model (a Hugging Face repository in diffusers format)."""

    id: str
    family: str  # "ltx", "ltx2", "wan" or "skyreels"
    title: str
    operations: tuple[str, ...]
    size_gb: float
    vram_gb: float
    vram_full_gb: float
    native_fps: Fraction | None  # None: the model takes any frame rate (LTX conditions on it)
    sizes: tuple[tuple[int, int], ...]  # native (width, height); the first is the default
    max_frames: int
    licence: str
    distilled: bool = False
    default_steps: int | None = None
    default_guidance: float | None = None
    notes: str = ""

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


_ALL = ("text_to_video", "image_to_video", "extend", "bridge", "remix", "loop")
_LTX_LICENCE = "LTX-Video Open Weights License (see the model card)"
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
    "Gemma 3 12B text encoder; camera-control LoRAs apply from the model folder's loras/"
)
_WAN22_NOTES = (
    "a high-noise and a low-noise expert (one on the GPU at a time with model offload; "
    "boundary {boundary}); fp8 casting fits the experts in 24 GB"
)

CATALOG: tuple[CatalogEntry, ...] = (
    CatalogEntry(
        id="Lightricks/LTX-Video-0.9.7-distilled",
        family="ltx",
        title="LTX-Video 0.9.7 13B distilled (8 steps, no CFG)",
        operations=_ALL,
        size_gb=38.0,
        vram_gb=24.0,
        vram_full_gb=40.0,
        native_fps=None,
        sizes=((1216, 704), (768, 512), (704, 480)),
        max_frames=257,
        licence=_LTX_LICENCE,
        distilled=True,
        default_steps=8,
        default_guidance=1.0,
        notes="fastest good-quality choice; keyframes at any frame, extend both ways, bridge",
    ),
    CatalogEntry(
        id="Lightricks/LTX-Video-0.9.7-dev",
        family="ltx",
        title="LTX-Video 0.9.7 13B dev",
        operations=_ALL,
        size_gb=38.0,
        vram_gb=24.0,
        vram_full_gb=40.0,
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
        vram_gb=12.0,
        vram_full_gb=24.0,
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
        vram_gb=8.5,
        vram_full_gb=16.0,
        native_fps=Fraction(16),
        sizes=((832, 480),),
        max_frames=129,
        licence="Apache-2.0",
        default_steps=50,
        default_guidance=5.0,
        notes="runs on 8 GB cards; text to video and remix only",
    ),
    CatalogEntry(
        id="Wan-AI/Wan2.1-VACE-1.3B-diffusers",
        family="wan",
        title="Wan 2.1 VACE 1.3B (extend, bridge, keyframes, reference images)",
        operations=("text_to_video", "image_to_video", "extend", "bridge", "loop"),
        size_gb=19.0,
        vram_gb=9.0,
        vram_full_gb=17.0,
        native_fps=Fraction(16),
        sizes=((832, 480),),
        max_frames=129,
        licence="Apache-2.0",
        default_steps=30,
        default_guidance=5.0,
        notes="Wan's editing model: video + mask for extension, element reference images",
    ),
    CatalogEntry(
        id="Wan-AI/Wan2.1-I2V-14B-480P-Diffusers",
        family="wan",
        title="Wan 2.1 image-to-video 14B 480p",
        operations=("image_to_video", "extend"),
        size_gb=78.0,
        vram_gb=24.0,
        vram_full_gb=60.0,
        native_fps=Fraction(16),
        sizes=((832, 480),),
        max_frames=129,
        licence="Apache-2.0",
        default_steps=40,
        default_guidance=5.0,
        notes="animates a first frame (and extends forward); needs a large GPU or group offload",
    ),
    CatalogEntry(
        id="Wan-AI/Wan2.1-FLF2V-14B-720P-diffusers",
        family="wan",
        title="Wan 2.1 first-last-frame 14B 720p",
        operations=("image_to_video", "bridge", "loop"),
        size_gb=78.0,
        vram_gb=26.0,
        vram_full_gb=64.0,
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
        vram_gb=16.0,
        vram_full_gb=32.0,
        native_fps=Fraction(24),
        sizes=((1280, 704),),
        max_frames=161,
        licence="Apache-2.0",
        default_steps=50,
        default_guidance=5.0,
        notes="720p at 24 fps on a 24 GB card",
    ),
    CatalogEntry(
        id="Skywork/SkyReels-V2-DF-1.3B-540P-Diffusers",
        family="skyreels",
        title="SkyReels-V2 diffusion forcing 1.3B 540p (long shots)",
        operations=_SKYREELS_DF,
        size_gb=17.0,
        vram_gb=8.5,
        vram_full_gb=16.0,
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
        vram_gb=24.0,
        vram_full_gb=60.0,
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
        vram_gb=26.0,
        vram_full_gb=64.0,
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
        vram_gb=42.0,
        vram_full_gb=68.0,
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
        vram_gb=42.0,
        vram_full_gb=68.0,
        native_fps=None,
        sizes=((1280, 704), (768, 512)),
        max_frames=257,
        licence=_LTX2_LICENCE,
        distilled=True,
        default_steps=8,
        default_guidance=1.0,
        notes=_LTX2_NOTES + "; the distilled checkpoint as a diffusers folder (check the id)",
    ),
    CatalogEntry(
        id="Wan-AI/Wan2.2-T2V-A14B-Diffusers",
        family="wan",
        title="Wan 2.2 T2V A14B (two 14B experts)",
        operations=("text_to_video",),
        size_gb=70.0,
        vram_gb=34.0,
        vram_full_gb=74.0,
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
        vram_gb=34.0,
        vram_full_gb=74.0,
        native_fps=Fraction(16),
        sizes=((1280, 720), (832, 480)),
        max_frames=81,
        licence="Apache-2.0",
        default_steps=40,
        default_guidance=3.5,
        notes=_WAN22_NOTES.format(boundary=0.9),
    ),
    CatalogEntry(
        id="Lightricks/LTX-Video-0.9.8-13B-distilled",
        family="ltx",
        title="LTX-Video 0.9.8 13B distilled (8 steps, no CFG)",
        operations=_ALL,
        size_gb=38.0,
        vram_gb=24.0,
        vram_full_gb=40.0,
        native_fps=None,
        sizes=((1216, 704), (768, 512), (704, 480)),
        max_frames=257,
        licence=_LTX_LICENCE,
        distilled=True,
        default_steps=8,
        default_guidance=1.0,
        notes="0.9.8: longer shots than 0.9.7; keyframes at any frame, extend both ways, bridge",
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
