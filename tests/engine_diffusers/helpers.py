"""Helpers for the diffusers engine tests (no torch needed to import this module)."""

from __future__ import annotations

import json
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np

from engine.api import ClipSource, SegmentRef
from engine.media import ClipWriter, load_png_frames, read_frames


def take_frames(n: int, width: int, height: int, seed: int) -> np.ndarray:
    """`n` distinct RGB frames (a moving gradient with a seeded tint)."""
    rng = np.random.default_rng(seed)
    tint = rng.integers(0, 255, size=3)
    y, x = np.mgrid[0:height, 0:width]
    out = np.empty((n, height, width, 3), np.uint8)
    for i in range(n):
        out[i, ..., 0] = (x * 255 // max(1, width - 1) + 9 * i + tint[0]) % 256
        out[i, ..., 1] = (y * 255 // max(1, height - 1) + 5 * i + tint[1]) % 256
        out[i, ..., 2] = (tint[2] + 13 * i) % 256
    return out


def write_take(
    out: Path, n: int, width: int, height: int, fps: Fraction, k: int, seed: int
) -> ClipSource:
    """Write a take (MP4 + head/tail PNGs through ClipWriter) and describe it as a ClipSource."""
    writer = ClipWriter(out, width, height, fps, k)
    for frame in take_frames(n, width, height, seed):
        writer.write(frame)
    files = writer.close()
    return ClipSource(
        segments=(SegmentRef(out / files.video, 0, n),),
        head=tuple(out / p for p in files.head),
        tail=tuple(out / p for p in files.tail),
        width=width,
        height=height,
        fps=fps,
        num_frames=n,
    )


def pngs(paths: Any) -> list[np.ndarray]:
    return load_png_frames(list(paths))


def mp4_frames(source: ClipSource) -> list[np.ndarray]:
    return list(read_frames(source.segments))


def as_array(image: Any) -> np.ndarray:
    """A PIL image (what the pipelines receive) as an RGB uint8 array."""
    return np.asarray(image.convert("RGB"), dtype=np.uint8)


def write_folder(root: Path, index: dict[str, Any], files: dict[str, bytes | str]) -> Path:
    """A fake model folder: model_index.json plus the given files (no real weights)."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "model_index.json").write_text(json.dumps(index))
    for rel, data in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(data, str):
            p.write_text(data)
        else:
            p.write_bytes(data)
    return root


LTX_INDEX = {
    "_class_name": "LTXConditionPipeline",
    "_diffusers_version": "0.42.1",
    "scheduler": ["diffusers", "FlowMatchEulerDiscreteScheduler"],
    "text_encoder": ["transformers", "T5EncoderModel"],
    "tokenizer": ["transformers", "T5Tokenizer"],
    "transformer": ["diffusers", "LTXVideoTransformer3DModel"],
    "vae": ["diffusers", "AutoencoderKLLTXVideo"],
}


def fake_ltx_files(weights: str = "safetensors") -> dict[str, bytes | str]:
    """Configs and placeholder weight files for a fake LTX folder."""
    files: dict[str, bytes | str] = {
        "scheduler/scheduler_config.json": "{}",
        "tokenizer/tokenizer_config.json": "{}",
        "text_encoder/config.json": "{}",
        "transformer/config.json": "{}",
        "vae/config.json": "{}",
    }
    for comp, name in (
        ("text_encoder", "model"),
        ("transformer", "diffusion_pytorch_model"),
        ("vae", "diffusion_pytorch_model"),
    ):
        ext = {"safetensors": "safetensors", "bin": "bin", "ckpt": "ckpt"}[weights]
        files[f"{comp}/{name}.{ext}"] = b"\0" * 16
    return files


def cli(capsys: Any, *argv: Any) -> Any:
    """Run `previz` in this process; assert it succeeded; its JSON output (with --json)."""
    import json

    from previz.cli.main import run

    code = run([str(a) for a in argv])
    out, err = capsys.readouterr()
    assert code == 0, err
    return json.loads(out) if "--json" in argv else out
