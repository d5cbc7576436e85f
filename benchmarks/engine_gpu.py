"""The GPU check of the diffusers engine in ONE command sized to a budget: seconds per denoising
step, peak VRAM and model FLOP utilisation of LTX-Video 2B, Wan 2.1 1.3B and LTX-2 19B
transformers, and LTX-Video and Wan end to end (the plain diffusers call vs the engine).

    python benchmarks/engine_gpu.py                   # on a CUDA GPU: planned to fit 480 s
    python benchmarks/engine_gpu.py --budget-s 300    # a shorter plan (fewer levers/steps/frames)
    python benchmarks/engine_gpu.py --cpu-smoke       # the same code paths, tiny models, CPU, < 1 min
    python benchmarks/engine_gpu.py --ltx-folder /models/LTX-Video --wan-folder /models/Wan2.1
    bash benchmarks/gpu_session.sh                    # what a lent GPU machine runs (see there)

``--budget-s`` (default 480) plans the run before it starts: it estimates every part from its
FLOPs at an assumed 35 % of the GPU's peak plus fixed costs (building models, writing and loading
random-weight folders, compiling, decoding), takes the richest plan whose estimate fits, and
prints it. While running, a part whose estimate no longer fits the time left is skipped and
said so. The first parts to go are the extra lever rows, then end to end steps, then frames.

The transformers are built from their published configs (written below) with RANDOM weights:
nothing is downloaded, and a random transformer costs exactly what the trained one does per step.
LTX-2's transformer (19B) is built in memory from its config, in bf16 (its random-weight folder
would be ~60 GB, near a lent machine's 64 GiB disk), and one guided step timed: one forward at
batch 2 (the conditional and unconditional passes; LTX-2's pipelines add one forward each for
STG and modality guidance when those are on).
Each "step" is what one guided denoising step costs in the engine: LTX-Video runs the
conditional and unconditional passes as ONE forward at batch 2 (LTXConditionPipeline batches
them); Wan runs TWO forwards at batch 1 (its pipelines do not batch them); ``--no-cfg`` times
one forward at batch 1 for all.

Levers: ``plain`` (diffusers' defaults: native SDPA), ``compile`` (regional torch.compile of the
repeated blocks), ``attn:NAME`` for each attention backend usable here (no Hub kernels), and
``compile+attn:NAME``. These are lossless and share a table. ``fp8`` (layerwise float8 storage)
is lossy and printed apart. Step caches (First Block Cache) are NOT timed: on random weights
their hit rate is meaningless; a cache hit costs roughly one block of ``num_layers`` plus the
embedders, so the saving is (hit rate) x (1 - 1/num_layers) of the transformer's time.

MFU = analytic FLOPs of the step / seconds / the GPU's dense bf16 peak (a small table by GPU
name: H100 SXM and H200 989 TFLOP/s; or ``--peak-tflops``). FLOPs count, per video token and
layer: self-attention Q/K/V/out projections (8 d^2), attention scores and values (4 S d),
cross-attention Q/out (4 d^2) and scores/values (4 L d), the feed-forward (4 d f); per layer,
cross-attention K/V on the text (4 L c d); and the patch in/out projections; for LTX-2 the same
for its audio stream plus the audio-to-video and video-to-audio attention. Norms, modulation and
RoPE are left out (< 1 %). End to end rows give the denoise FLOPs over the whole clip's time
(a lower bound on the transformer's MFU: loading, text encoding and decoding are in the time).

End to end: one 5 s clip (LTX 768x512x121, Wan 832x480x81) through the plain diffusers
pipeline call, then through the engine (`DiffusersEngine.generate`) with its default levers and
with each lossless lever, at equal steps, equal guidance and the SAME VAE dtype on both sides
(the Wan VAE in float32 on both, as diffusers recommends and the engine loads it; LTX's in bf16
on both); each line says the VAE dtype each side decoded in. Without ``--ltx-folder`` /
``--wan-folder`` the models are random-weight folders written at the published shapes (see
`random_folder`), so this runs with no network.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # never download anything
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

# Published configs (diffusers' transformer/config.json of the checkpoints).
LTX_2B = dict(  # Lightricks/LTX-Video 0.9.x 2B
    in_channels=128,
    out_channels=128,
    patch_size=1,
    patch_size_t=1,
    num_attention_heads=32,
    attention_head_dim=64,
    cross_attention_dim=2048,
    num_layers=28,
    activation_fn="gelu-approximate",
    qk_norm="rms_norm_across_heads",
    norm_elementwise_affine=False,
    norm_eps=1e-6,
    caption_channels=4096,
    attention_bias=True,
    attention_out_bias=True,
)
WAN_1_3B = dict(  # Wan-AI/Wan2.1-T2V-1.3B-Diffusers
    patch_size=(1, 2, 2),
    num_attention_heads=12,
    attention_head_dim=128,
    in_channels=16,
    out_channels=16,
    text_dim=4096,
    freq_dim=256,
    ffn_dim=8960,
    num_layers=30,
    cross_attn_norm=True,
    qk_norm="rms_norm_across_heads",
    eps=1e-6,
)
LTX_TINY = {
    **LTX_2B,
    "in_channels": 8,
    "out_channels": 8,
    "num_attention_heads": 4,
    "attention_head_dim": 8,
    "cross_attention_dim": 32,
    "num_layers": 2,
    "caption_channels": 32,
}
WAN_TINY = {
    **WAN_1_3B,
    "num_attention_heads": 2,
    "attention_head_dim": 12,
    "text_dim": 32,
    "ffn_dim": 32,
    "num_layers": 2,
    "rope_max_seq_len": 32,
}

# LTX-2 19B: diffusers' LTX2VideoTransformer3DModel defaults are the published config
# (18,876,174,592 parameters; engine/catalog.py LTX2_TRANSFORMER); the keys the FLOP count reads.
LTX2_19B = dict(
    in_channels=128,
    out_channels=128,
    patch_size=1,
    patch_size_t=1,
    num_attention_heads=32,
    attention_head_dim=128,
    audio_in_channels=128,
    audio_out_channels=128,
    audio_num_attention_heads=32,
    audio_attention_head_dim=64,
    num_layers=48,
    caption_channels=3840,
)


def _ltx2_tiny() -> dict[str, Any]:
    """The test suite's tiny LTX-2 transformer (tests/engine_diffusers/tiny_ltx2.py)."""
    from tests.engine_diffusers.tiny_ltx2 import TRANSFORMER

    return dict(TRANSFORMER)


# Dense bf16 tensor-core peaks (FLOP/s), by a substring of the CUDA device name.
PEAKS = (
    ("H200", 989e12),
    ("H100 PCIe", 756e12),
    ("H100", 989e12),  # SXM
    ("GH200", 989e12),
    ("B200", 2250e12),
    ("A100", 312e12),
    ("L40S", 362e12),
    ("L40", 181e12),
    ("L4", 121e12),
    ("A10G", 70e12),
    ("A10", 125e12),
    ("RTX 4090", 165e12),
    ("RTX 3090", 71e12),
)


@dataclass(frozen=True)
class Shape:
    """A model's step: latent geometry (after patching) and text length."""

    name: str
    config: dict[str, Any]
    channels: int
    frames: int  # latent frames
    height: int  # latent pixels
    width: int
    text_tokens: int
    cfg_batched: bool  # one forward at batch 2 (LTX) vs two at batch 1 (Wan)
    audio_tokens: int = 0  # LTX-2's audio stream
    family: str = ""  # "ltx", "wan", "ltx2"

    @property
    def tokens(self) -> int:
        p = self.config["patch_size"]
        if isinstance(p, tuple | list):
            pt, ph, pw = p
        else:
            pt, ph, pw = self.config.get("patch_size_t", 1), p, p
        return (self.frames // pt) * (self.height // ph) * (self.width // pw)


def shapes(tiny: bool) -> dict[str, Shape]:
    if tiny:
        return {
            "ltx": Shape("LTX-Video (tiny)", LTX_TINY, 8, 3, 4, 6, 16, True, family="ltx"),
            "wan": Shape("Wan 2.1 (tiny)", WAN_TINY, 16, 3, 8, 12, 16, False, family="wan"),
            "ltx2": Shape("LTX-2 (tiny)", _ltx2_tiny(), 4, 3, 4, 6, 16, True, 10, "ltx2"),
        }
    return {
        # 5 s at 24 fps = 121 frames, 768x512: latent (121-1)/8+1 = 16 frames, 16x24 (32x VAE)
        "ltx": Shape("LTX-Video 2B", LTX_2B, 128, 16, 16, 24, 128, True, family="ltx"),
        # 5 s at 16 fps = 81 frames, 832x480: latent (81-1)/4+1 = 21 frames, 60x104 (8x VAE)
        "wan": Shape("Wan 2.1 1.3B", WAN_1_3B, 16, 21, 60, 104, 512, False, family="wan"),
        # LTX-2 at 768x512x121, 24 fps: video as LTX-Video (32x VAE, 8x time); audio 25 latents
        # a second (16 kHz, hop 160, 4x) -> 126; the prompt padded to 1024 tokens
        "ltx2": Shape("LTX-2 19B", LTX2_19B, 128, 16, 16, 24, 1024, True, 126, "ltx2"),
    }


def clip_step_shape(family: str, tiny: bool, width: int, height: int, frames: int) -> Shape:
    """The transformer step of an end to end clip (its latent geometry at that size)."""
    base = shapes(tiny)[family]
    if tiny:
        return base
    if family == "ltx":
        return Shape(
            base.name,
            base.config,
            128,
            (frames - 1) // 8 + 1,
            height // 32,
            width // 32,
            base.text_tokens,
            True,
            family="ltx",
        )
    return Shape(
        base.name,
        base.config,
        16,
        (frames - 1) // 4 + 1,
        height // 8,
        width // 8,
        base.text_tokens,
        False,
        family="wan",
    )


def _ltx2_forward_flops(s: Shape, batch: int) -> float:
    """LTX-2: a video and an audio stream, each as `forward_flops` counts one, plus the
    audio-to-video (video queries, audio keys, at the audio width) and video-to-audio
    attention of every layer."""
    c = s.config
    d = c["num_attention_heads"] * c["attention_head_dim"]
    da = c["audio_num_attention_heads"] * c["audio_attention_head_dim"]
    S, A, L = s.tokens, s.audio_tokens, s.text_tokens  # noqa: N806

    def stream(n: int, w: int) -> float:
        per_token = 8 * w * w + 4 * n * w + 4 * w * w + 4 * L * w + 16 * w * w
        return n * per_token + 4 * L * w * w

    a2v = 2 * S * d * da + 2 * S * da * d + 4 * A * da * da + 4 * S * A * da
    v2a = 2 * A * da * da * 2 + 4 * S * d * da + 4 * A * S * da
    layers = c["num_layers"]
    embed = 2 * S * (c["in_channels"] + c["out_channels"]) * d
    embed += 2 * A * (c["audio_in_channels"] + c["audio_out_channels"]) * da
    embed += 2 * L * c["caption_channels"] * (d + da)
    return float(batch * (layers * (stream(S, d) + stream(A, da) + a2v + v2a) + embed))


def forward_flops(s: Shape, batch: int = 1) -> float:
    """Analytic FLOPs of one transformer forward (multiply-add = 2 FLOPs)."""
    if s.family == "ltx2":
        return _ltx2_forward_flops(s, batch)
    c = s.config
    d = c["num_attention_heads"] * c["attention_head_dim"]
    if "ffn_dim" in c:  # Wan: text projected to d; FFN d -> ffn_dim -> d
        ffn, ctx, text_in, patch = c["ffn_dim"], d, c["text_dim"], c["patch_size"]
        p_in = c["in_channels"] * patch[0] * patch[1] * patch[2]
        p_out = c["out_channels"] * patch[0] * patch[1] * patch[2]
    else:  # LTX: caption projection to d; GELU FFN with 4x expansion
        ffn, ctx, text_in = 4 * d, c["cross_attention_dim"], c["caption_channels"]
        p_in, p_out = c["in_channels"], c["out_channels"]
    S, L = s.tokens, s.text_tokens  # noqa: N806
    per_token_layer = (
        8 * d * d  # self-attention Q, K, V, out
        + 4 * S * d  # QK^T and AV
        + 4 * d * d  # cross-attention Q, out
        + 4 * L * d  # cross-attention scores and values
        + 4 * d * ffn  # feed-forward up and down
    )
    per_layer_text = 4 * L * ctx * d  # cross-attention K, V on the text tokens
    layers = c["num_layers"]
    embed = 2 * S * (p_in + p_out) * d + 2 * L * text_in * d * 2  # patch in/out, text MLP
    return float(batch * (layers * (S * per_token_layer + per_layer_text) + embed))


def step_flops(s: Shape, cfg: bool) -> float:
    return forward_flops(s, 2) if cfg else forward_flops(s, 1)


# --------------------------------------------------------------------------------------------


@dataclass
class Row:
    model: str
    lever: str
    s_per_step: float | None
    peak_gib: float | None
    mfu: float | None
    note: str = ""


def _sync(device: Any) -> None:
    import torch

    if device.type == "cuda":
        torch.cuda.synchronize()


def build(s: Shape, device: Any, dtype: Any) -> Any:
    """The transformer at its config with random weights, made on `device` in `dtype` (never
    a float32 copy first: LTX-2's 19B would need 75 GB for it)."""
    import torch
    from diffusers import (
        LTX2VideoTransformer3DModel,
        LTXVideoTransformer3DModel,
        WanTransformer3DModel,
    )

    cls = {"ltx2": LTX2VideoTransformer3DModel, "wan": WanTransformer3DModel}.get(
        s.family, LTXVideoTransformer3DModel
    )
    torch.manual_seed(0)
    default = torch.get_default_dtype()
    torch.set_default_dtype(dtype)
    try:
        with torch.device(device):
            model = cls(**s.config)
    finally:
        torch.set_default_dtype(default)
    model = model.to(device=device, dtype=dtype).eval()
    # as from_pretrained(torch_dtype=...) does: some small modules stay in float32
    keep = getattr(model, "_keep_in_fp32_modules", None) or []
    for name, module in model.named_modules():
        if any(k in name.split(".") for k in keep):
            module.to(torch.float32)
    return model


def inputs(s: Shape, device: Any, dtype: Any, batch: int) -> dict[str, Any]:
    import torch

    g = torch.Generator(device="cpu").manual_seed(0)

    def rnd(*shape: int) -> Any:
        return torch.randn(*shape, generator=g).to(device=device, dtype=dtype)

    c = s.config
    t = torch.full((batch,), 500.0, device=device)
    if s.family == "ltx2":
        text = c["caption_channels"]
        mask = torch.ones(batch, s.text_tokens, device=device, dtype=torch.long)
        return dict(
            hidden_states=rnd(batch, s.frames * s.height * s.width, s.channels),
            audio_hidden_states=rnd(batch, s.audio_tokens, c["audio_in_channels"]),
            encoder_hidden_states=rnd(batch, s.text_tokens, text),
            audio_encoder_hidden_states=rnd(batch, s.text_tokens, text),
            timestep=t,
            encoder_attention_mask=mask,
            audio_encoder_attention_mask=mask,
            num_frames=s.frames,
            height=s.height,
            width=s.width,
            fps=24.0,
            audio_num_frames=s.audio_tokens,
            return_dict=False,
        )
    if "ffn_dim" in c:
        return dict(
            hidden_states=rnd(batch, s.channels, s.frames, s.height, s.width),
            timestep=t,
            encoder_hidden_states=rnd(batch, s.text_tokens, c["text_dim"]),
            return_dict=False,
        )
    return dict(
        hidden_states=rnd(batch, s.frames * s.height * s.width, s.channels),
        encoder_hidden_states=rnd(batch, s.text_tokens, c["caption_channels"]),
        timestep=t,
        encoder_attention_mask=torch.ones(batch, s.text_tokens, device=device, dtype=torch.long),
        num_frames=s.frames,
        height=s.height,
        width=s.width,
        rope_interpolation_scale=(8 / 24, 32, 32),
        return_dict=False,
    )


ATTENTION_CANDIDATES = ["_native_cudnn", "_native_flash", "flash", "_flash_3", "sage"]


def attention_backends(device: Any) -> list[str]:
    """Backends to try here: none that downloads a kernel (``--attn`` narrows the list)."""
    from engine.backends.diffusers.speed import attention_backend_problem

    kind = device.type
    return [n for n in ATTENTION_CANDIDATES if attention_backend_problem(n, kind) is None]


def time_variant(
    s: Shape,
    lever: str,
    device: Any,
    dtype: Any,
    steps: int,
    warmup: int,
    cfg: bool,
    peak: float | None,
    prepare: Callable[[Any], None],
) -> Row:
    import torch

    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    model = build(s, device, dtype)
    prepare(model)
    batch = 2 if (cfg and s.cfg_batched) else 1
    calls = 2 if (cfg and not s.cfg_batched) else 1
    kw = inputs(s, device, dtype, batch)

    with torch.inference_mode():
        for _ in range(warmup):
            for _ in range(calls):
                model(**kw)
        _sync(device)
        t0 = time.perf_counter()
        for _ in range(steps):
            for _ in range(calls):
                model(**kw)
        _sync(device)
    sec = (time.perf_counter() - t0) / steps
    peak_gib = torch.cuda.max_memory_allocated() / 1024**3 if device.type == "cuda" else None
    flops = step_flops(s, cfg)
    mfu = flops / sec / peak if peak else None
    del model, kw
    return Row(s.name, lever, sec, peak_gib, mfu)


def levers(device: Any, fp8: bool) -> list[tuple[str, Callable[[Any], None], bool]]:
    """(name, how to prepare the model, lossy)."""
    import torch

    out: list[tuple[str, Callable[[Any], None], bool]] = [("plain", lambda m: None, False)]
    cuda = device.type == "cuda"
    if cuda:
        out.append(("compile", lambda m: m.compile_repeated_blocks(fullgraph=True), False))
    for name in attention_backends(device):

        def attn(m: Any, name: str = name) -> None:
            m.set_attention_backend(name)

        out.append((f"attn:{name}", attn, False))
        if cuda:

            def both(m: Any, name: str = name) -> None:
                m.set_attention_backend(name)
                m.compile_repeated_blocks(fullgraph=True)

            out.append((f"compile+attn:{name}", both, False))
    if not attention_backends(device):
        out.append(("attn:native", lambda m: m.set_attention_backend("native"), False))
    if fp8:

        def cast(m: Any) -> None:
            m.enable_layerwise_casting(
                storage_dtype=torch.float8_e4m3fn, compute_dtype=next(m.parameters()).dtype
            )

        out.append(("fp8 (lossy)", cast, True))
    return out


def gpu_peak(device: Any, override: float | None) -> tuple[float | None, str]:
    import torch

    if override:
        return override * 1e12, f"{override:g} TFLOP/s (given)"
    if device.type != "cuda":
        return None, "no peak for a CPU: MFU not computed"
    name = torch.cuda.get_device_name(device)
    for key, peak in PEAKS:
        if key.lower() in name.lower():
            return peak, f"{name}: {peak / 1e12:g} TFLOP/s dense bf16 (table)"
    return None, f"{name}: unknown peak; pass --peak-tflops for MFU"


def fmt(v: float | None, spec: str) -> str:
    return "-" if v is None else format(v, spec)


def print_table(title: str, rows: list[Row]) -> None:
    print(f"\n{title}")
    print(f"{'model':<20} {'lever':<26} {'s/step':>9} {'vs plain':>9} {'peak GiB':>9} {'MFU':>7}")
    base: dict[str, float] = {}
    for r in rows:
        if r.lever == "plain" and r.s_per_step:
            base[r.model] = r.s_per_step
    for r in rows:
        b = base.get(r.model)
        ratio = f"{b / r.s_per_step:.2f}x" if (b and r.s_per_step) else "-"
        mfu = fmt(r.mfu * 100 if r.mfu is not None else None, ".1f") + ("%" if r.mfu else "")
        line = (
            f"{r.model:<20} {r.lever:<26} {fmt(r.s_per_step, '.4f'):>9} {ratio:>9} "
            f"{fmt(r.peak_gib, '.2f'):>9} {mfu:>7}"
        )
        print(line + (f"  {r.note}" if r.note else ""))


def random_folder(family: str, root: Path, device: Any, dtype: Any, tiny: bool) -> Path:
    """A diffusers model folder with RANDOM weights at the published shapes, for end to end runs.

    Transformer: the config above. VAE: diffusers' defaults (the LTX-Video 0.9 and Wan 2.1 VAEs).
    Text encoder: ONE layer of T5-XXL's width (4096; a 24-layer random T5 would only add load
    time: text is encoded once per clip) with a word-level tokenizer built in code. Written with
    safetensors so the engine loads it as it loads a user's folder. ``tiny``: the test suite's
    tiny models.
    """
    import torch

    from tests.engine_diffusers.tiny_models import build_ltx, build_wan, make_tokenizer

    path = root / f"random-{family}{'-tiny' if tiny else ''}"
    if (path / "model_index.json").exists():
        return path
    if tiny:
        return build_ltx(path) if family == "ltx" else build_wan(path, "t2v")
    from diffusers import (
        AutoencoderKLLTXVideo,
        AutoencoderKLWan,
        FlowMatchEulerDiscreteScheduler,
        LTXConditionPipeline,
        LTXVideoTransformer3DModel,
        UniPCMultistepScheduler,
        WanPipeline,
        WanTransformer3DModel,
    )
    from transformers import T5Config, T5EncoderModel

    torch.manual_seed(0)
    with torch.device(device):
        text = T5EncoderModel(
            T5Config(
                vocab_size=32128,
                d_model=4096,
                d_kv=64,
                d_ff=10240,
                num_layers=1,
                num_heads=64,
                feed_forward_proj="gated-gelu",
            )
        )
        if family == "ltx":
            pipe = LTXConditionPipeline(
                transformer=LTXVideoTransformer3DModel(**LTX_2B),
                vae=AutoencoderKLLTXVideo(),
                scheduler=FlowMatchEulerDiscreteScheduler(),
                text_encoder=text,
                tokenizer=make_tokenizer(128),
            )
        else:
            pipe = WanPipeline(
                transformer=WanTransformer3DModel(**WAN_1_3B),
                vae=AutoencoderKLWan(),
                scheduler=UniPCMultistepScheduler(
                    prediction_type="flow_prediction", use_flow_sigmas=True, flow_shift=3.0
                ),
                text_encoder=text,
                tokenizer=make_tokenizer(512),
            )
    pipe.to(dtype=dtype)
    pipe.save_pretrained(str(path), safe_serialization=True)
    del pipe, text
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()
    return path


# Guidance both sides use end to end (the engine's defaults for these families).
E2E_GUIDANCE = {"ltx": 3.0, "wan": 5.0}


def clip_shape(family: str, tiny: bool, steps: int, frames_scale: float = 1.0) -> dict[str, Any]:
    """The 5 s clip of the issue: LTX 768x512, 121 frames at 24 fps; Wan 832x480, 81 at 16
    (``frames_scale`` < 1: fewer frames, still 8k+1 / 4k+1)."""
    if tiny:
        return dict(width=64, height=64, num_frames=9, fps=24, steps=steps)
    if family == "ltx":
        n = max(1, round(120 * frames_scale / 8)) * 8 + 1
        return dict(width=768, height=512, num_frames=n, fps=24, steps=steps)
    n = max(1, round(80 * frames_scale / 4)) * 4 + 1
    return dict(width=832, height=480, num_frames=n, fps=16, steps=steps)


class _NullSink:
    def write(self, frame: Any) -> None:
        pass


def load_plain(family: str, folder: Path, dtype: Any) -> Any:
    """The plain diffusers pipeline, with the VAE in the dtype the engine decodes in: Wan's in
    float32 (diffusers' recommendation, and `load_with_wan_vae`), LTX's in the model dtype."""
    import torch
    from diffusers import AutoencoderKLWan, DiffusionPipeline

    kw: dict[str, Any] = dict(torch_dtype=dtype, local_files_only=True, use_safetensors=True)
    if family == "wan":
        kw["vae"] = AutoencoderKLWan.from_pretrained(
            str(folder),
            subfolder="vae",
            torch_dtype=torch.float32,
            local_files_only=True,
            use_safetensors=True,
        )
    pipe = DiffusionPipeline.from_pretrained(str(folder), **kw)
    pipe.set_progress_bar_config(disable=True)
    return pipe


def end_to_end(
    family: str,
    folder: Path | None,
    device: Any,
    dtype: Any,
    tiny: bool,
    steps: int,
    work: Path,
    variants: list[tuple[str, dict[str, Any]]],
    frames_scale: float = 1.0,
    peak: float | None = None,
    guard: Budget | None = None,
) -> list[str]:
    """One clip, plain diffusers pipeline call vs the engine with each lossless lever.

    Plain: `load_plain`, ``.to(device)``, a call at the steps, guidance, size and frames below
    (``output_type="np"``: decoded uint8-ready frames). Ours: `DiffusersEngine.generate` of the
    same request into a null sink (load, text encoding, denoise, decode, uint8 frames; the H.264
    encode is left out of both), previews on (every 0.25 s, as in the app). Each variant runs
    once untimed (load, compile) and once timed.
    """
    import torch

    from engine.api import TextToVideo
    from engine.backends.diffusers import DiffusersEngine

    folder = folder or random_folder(family, work, device, dtype, tiny)
    shape = clip_shape(family, tiny, steps, frames_scale)
    guidance = E2E_GUIDANCE[family]
    step = clip_step_shape(family, tiny, shape["width"], shape["height"], shape["num_frames"])
    denoise_flops = steps * step_flops(step, guidance > 1)
    prompt = "a ferry crosses the harbour at dusk, slow dolly in"
    lines = [
        f"{family}: {shape['num_frames']} frames at {shape['width']}x{shape['height']}, "
        f"{steps} steps, guidance {guidance:g} ({folder.name})"
    ]

    def timed(fn: Callable[[], Any]) -> float:
        fn()  # warm-up: load, compile, autotune
        _sync(device)
        if device.type == "cuda":
            torch.cuda.reset_peak_memory_stats()
        t0 = time.perf_counter()
        fn()
        _sync(device)
        return time.perf_counter() - t0

    pipe = load_plain(family, folder, dtype)
    pipe.to(device)
    if family == "wan":
        pipe.vae.to(torch.float32)  # .to(device) keeps it; said again for clarity
    plain_vae = str(pipe.vae.dtype).removeprefix("torch.")
    kw: dict[str, Any] = dict(
        prompt=prompt,
        width=shape["width"],
        height=shape["height"],
        num_frames=shape["num_frames"],
        num_inference_steps=steps,
        guidance_scale=guidance,
        output_type="np",
    )
    if family == "ltx":
        kw["frame_rate"] = shape["fps"]
    with torch.inference_mode():
        plain = timed(lambda: pipe(**kw))
    peak_gib = torch.cuda.max_memory_allocated() / 1024**3 if device.type == "cuda" else None
    pipe = None  # free it before the engine loads its own copy
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()
    rows = [("plain pipeline call", plain, peak_gib, plain_vae)]

    for label, levers in variants:
        if guard is not None and not guard.fits(guard.estimate_variant(family, label)):
            lines.append(f"  {label}: skipped ({guard.left():.0f} s left of the budget)")
            continue
        engine = DiffusersEngine(device=device.type, preview_interval_s=0.25)
        request = TextToVideo(
            prompt=prompt,
            width=shape["width"],
            height=shape["height"],
            num_frames=shape["num_frames"],
            fps=shape["fps"],
            steps=steps,
            guidance=guidance,
            seed=1,
            model=str(folder),
            options={"speed": {"cfg_batch": True, **levers}},
        )
        try:
            sec = timed(
                lambda engine=engine, request=request: engine.generate(request, _NullSink())
            )
            peak_gib = (
                torch.cuda.max_memory_allocated() / 1024**3 if device.type == "cuda" else None
            )
            vae = str(engine._loaded.pipe.vae.dtype).removeprefix("torch.")
            rows.append((label, sec, peak_gib, vae))
        except Exception as exc:  # noqa: BLE001 - one lever failing must not end the run
            lines.append(f"  {label}: failed: {type(exc).__name__}: {exc}")
        engine.unload()
        del engine
        gc.collect()
    for label, sec, pk, vae in rows:
        mfu = denoise_flops / sec / peak if peak else None
        lines.append(
            f"  {label:<34} {sec:8.2f} s  {plain / sec:5.2f}x plain  "
            f"{sec / steps:7.3f} s/step  peak {fmt(pk, '.1f')} GiB  VAE {vae}  "
            f"clip MFU {'-' if mfu is None else format(mfu * 100, '.1f') + '%'}"
        )
    if len({r[3] for r in rows}) > 1:
        lines.append("  WARNING: the VAE dtypes differ between the rows; the ratio is not fair")
    return lines


# --------------------------------------------------------------------------------------------
# The plan: what fits the budget


ASSUMED_MFU = 0.35  # what the estimates assume the transformer reaches (H100-class, bf16)
UNKNOWN_PEAK = 400e12
COMPILE_S = 60.0  # regional compile of the repeated blocks, first call
BUILD_S = {"ltx": 4.0, "wan": 4.0, "ltx2": 25.0}  # a transformer at its config, in memory
FOLDER_S = {"ltx": 45.0, "wan": 35.0}  # writing the random-weight folder
LOAD_S = 12.0  # loading that folder (plain pipeline or engine)
DECODE_S = {"ltx": 6.0, "wan": 20.0}  # VAE decode of the full 5 s clip (Wan's in float32)
OVERHEAD_S = 15.0  # imports, CUDA context, printing


@dataclass
class Plan:
    """What one run does; `Budget.plan` picks the richest that fits."""

    rung: int
    table_models: list[str]
    table_levers: str  # "all", "core" (plain, compile, one attention, both), "attn", "plain"
    fp8_row: bool
    ltx2_step: bool
    e2e_models: list[str]
    # "all" (default, compile, attention, both), "best" (default; compile + attention), "default"
    e2e_variants: str
    e2e_steps: int
    frames_scale: float

    def describe(self) -> str:
        table = (
            f"table {','.join(self.table_models) or 'none'} ({self.table_levers} levers"
            + (", fp8 row" if self.fp8_row else "")
            + ")"
        )
        e2e = (
            f"end to end {','.join(self.e2e_models) or 'none'} ({self.e2e_variants} variants, "
            f"{self.e2e_steps} steps, {self.frames_scale:g} of the 5 s clip's frames)"
        )
        return f"plan {self.rung}: {table}; LTX-2 step {'on' if self.ltx2_step else 'off'}; {e2e}"


class Budget:
    """Estimates (seconds) from FLOPs at `ASSUMED_MFU` of the peak plus fixed costs; the
    deadline while running."""

    def __init__(
        self, seconds: float, peak: float | None, tiny: bool, cfg: bool, steps: int, warmup: int
    ) -> None:
        self.seconds = seconds
        self.peak = peak or UNKNOWN_PEAK
        self.tiny = tiny
        self.cfg = cfg
        self.steps = steps
        self.warmup = warmup
        self.start = time.perf_counter()
        self.plan_: Plan | None = None

    # -- while running
    def left(self) -> float:
        return self.seconds - (time.perf_counter() - self.start)

    def fits(self, estimate: float) -> bool:
        return self.tiny or estimate <= self.left()

    # -- estimates
    def step_s(self, s: Shape) -> float:
        if self.tiny:
            return 0.05
        return step_flops(s, self.cfg) / (self.peak * ASSUMED_MFU)

    def lever_s(self, family: str, lever: str) -> float:
        s = shapes(self.tiny)[family]
        t = BUILD_S[family] + (self.warmup + self.steps) * self.step_s(s)
        return t + (COMPILE_S if "compile" in lever else 0.0)

    def estimate_variant(self, family: str, label: str) -> float:
        plan = self.plan_
        steps = plan.e2e_steps if plan else 10
        scale = plan.frames_scale if plan else 1.0
        shape = clip_shape(family, self.tiny, steps, scale)
        step = clip_step_shape(
            family, self.tiny, shape["width"], shape["height"], shape["num_frames"]
        )
        run = steps * self.step_s(step) + DECODE_S[family] * scale + 2.0
        return LOAD_S + 2 * run + (COMPILE_S if "compile" in label else 0.0)

    def table_levers(self, plan: Plan, family: str, all_levers: list[str]) -> list[str]:
        if plan.table_levers == "all":
            chosen = list(all_levers)
        elif plan.table_levers == "core":
            attn = [n for n in all_levers if n.startswith("attn:")][:1]
            both = [n for n in all_levers if n.startswith("compile+attn:")][:1]
            chosen = [n for n in all_levers if n in ("plain", "compile")] + attn + both
        elif plan.table_levers == "attn":
            chosen = ["plain"] + [n for n in all_levers if n.startswith("attn:")][:1]
        else:
            chosen = ["plain"]
        if plan.fp8_row and "fp8 (lossy)" in all_levers:
            chosen.append("fp8 (lossy)")
        return [n for n in chosen if n in all_levers]

    def e2e_variants(self, plan: Plan, attention: list[str], cuda: bool) -> list[tuple[str, dict]]:
        out: list[tuple[str, dict[str, Any]]] = [("ours, default levers", {})]
        if plan.e2e_variants == "best" and cuda:  # the fastest lossless combination
            name = attention[0]
            out.append((f"ours + compile + attn:{name}", {"compile": True, "attention": name}))
        if plan.e2e_variants == "all":
            if cuda:
                out.append(("ours + compile", {"compile": True}))
            for name in attention:
                out.append((f"ours + attn:{name}", {"attention": name}))
                if cuda:
                    out.append(
                        (f"ours + compile + attn:{name}", {"compile": True, "attention": name})
                    )
        return out

    def estimate(
        self, plan: Plan, all_levers: dict[str, list[str]], attention: list[str], cuda: bool
    ) -> dict[str, float]:
        parts: dict[str, float] = {"overhead": OVERHEAD_S}
        for fam in plan.table_models:
            parts[f"table {fam}"] = sum(
                self.lever_s(fam, n) for n in self.table_levers(plan, fam, all_levers[fam])
            )
        if plan.ltx2_step:
            parts["LTX-2 step"] = self.lever_s("ltx2", "plain")
        saved, self.plan_ = self.plan_, plan
        for fam in plan.e2e_models:
            variants = self.e2e_variants(plan, attention, cuda)
            parts[f"end to end {fam}"] = (
                FOLDER_S[fam]
                + self.estimate_variant(fam, "plain")
                + sum(self.estimate_variant(fam, label) for label, _ in variants)
            )
        self.plan_ = saved
        return parts

    def ladder(self, models: list[str], e2e_steps: int | None) -> list[Plan]:
        fam = [m for m in models if m in ("ltx", "wan")]
        two = "ltx2" in models
        st = e2e_steps or 10
        rungs = [
            (fam, "all", True, two, "all", st, 1.0),
            (fam, "core", True, two, "all", st, 1.0),
            (fam, "core", False, two, "best", st, 1.0),
            (fam, "attn", True, two, "best", st, 1.0),
            (fam, "plain", False, two, "best", e2e_steps or 8, 1.0),
            (fam, "plain", False, two, "best", e2e_steps or 5, 0.5),
            (fam, "plain", False, two, "default", e2e_steps or 8, 1.0),
            (fam, "plain", False, two, "default", e2e_steps or 5, 1.0),
            ([], "plain", False, two, "default", e2e_steps or 5, 0.5),
            ([], "plain", False, False, "default", e2e_steps or 3, 0.5),
        ]
        return [
            Plan(i, list(t), lv, fp8, l2, list(fam), var, n, sc)
            for i, (t, lv, fp8, l2, var, n, sc) in enumerate(rungs)
        ]

    def plan(
        self,
        models: list[str],
        e2e_steps: int | None,
        all_levers: dict[str, list[str]],
        attention: list[str],
        cuda: bool,
    ) -> tuple[Plan, dict[str, float]]:
        ladder = self.ladder(models, e2e_steps)
        for p in ladder:
            parts = self.estimate(p, all_levers, attention, cuda)
            if self.tiny or sum(parts.values()) <= self.seconds:
                self.plan_ = p
                return p, parts
        p = ladder[-1]
        self.plan_ = p
        return p, self.estimate(p, all_levers, attention, cuda)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--budget-s", type=float, default=480.0, help="plan the run to fit (s)")
    ap.add_argument(
        "--cpu-smoke",
        action="store_true",
        help="the same code paths on tiny random models on the CPU (< 1 min)",
    )
    ap.add_argument("--tiny", action="store_true", help="tiny configs on any device")
    ap.add_argument("--models", default="ltx,wan,ltx2", help="comma list: ltx, wan, ltx2")
    ap.add_argument("--steps", type=int, default=None, help="timed steps (default 5; tiny 2)")
    ap.add_argument("--warmup", type=int, default=None, help="untimed steps (default 3; tiny 1)")
    ap.add_argument("--no-cfg", action="store_true", help="one forward at batch 1 per step")
    ap.add_argument("--no-fp8", action="store_true", help="skip the fp8 (lossy) row")
    ap.add_argument("--peak-tflops", type=float, default=None, help="dense bf16 peak, TFLOP/s")
    ap.add_argument("--device", default=None, help="cuda or cpu (default: cuda if available)")
    ap.add_argument("--ltx-folder", type=Path, default=None, help="local LTX diffusers folder")
    ap.add_argument("--wan-folder", type=Path, default=None, help="local Wan diffusers folder")
    ap.add_argument("--e2e-steps", type=int, default=None, help="end to end steps (planned)")
    ap.add_argument("--e2e-attn", type=int, default=1, help="attention backends end to end")
    ap.add_argument(
        "--attn",
        default=None,
        help="comma list of attention backends to try (default: "
        + ",".join(ATTENTION_CANDIDATES)
        + ", those usable here)",
    )
    ap.add_argument("--no-table", action="store_true", help="skip the per-step lever table")
    ap.add_argument("--no-e2e", action="store_true", help="skip the end to end runs")
    ap.add_argument("--work", default=None, help="folder for the random model folders (tmp)")
    args = ap.parse_args(argv)
    if args.cpu_smoke:
        args.tiny, args.device = True, "cpu"

    import diffusers
    import torch

    if args.attn is not None:
        ATTENTION_CANDIDATES[:] = [a.strip() for a in args.attn.split(",") if a.strip()]
    diffusers.utils.logging.set_verbosity_error()  # "experimental" and dtype chatter
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if device.type != "cuda" and not args.tiny:
        print("no CUDA device: the full-size benchmark needs one; use --cpu-smoke on the CPU")
        return 2
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    steps = args.steps or (2 if args.tiny else 5)
    warmup = args.warmup if args.warmup is not None else (1 if args.tiny else 3)
    cfg = not args.no_cfg
    cuda = device.type == "cuda"
    peak, peak_text = gpu_peak(device, args.peak_tflops)
    have = {p: find_spec(p) is not None for p in ("flash_attn", "sageattention")}
    print(
        f"torch {torch.__version__}, diffusers {diffusers.__version__}, python "
        f"{platform.python_version()}, device {device} "
        f"({torch.cuda.get_device_name(device) if cuda else platform.processor()})"
    )
    print(f"peak: {peak_text}; dtype {str(dtype).removeprefix('torch.')}; packages {have}")
    print(
        f"steps timed {steps} after {warmup} warm-up; a step = "
        + (
            "guided (LTX and LTX-2: 1 forward at batch 2; Wan: 2 forwards at batch 1)"
            if cfg
            else "1 fwd"
        )
    )
    if args.tiny:
        print("TINY configs: timings and MFU mean nothing; this only checks the code paths run")

    models = [m.strip() for m in args.models.split(",") if m.strip()]
    unknown = sorted(set(models) - {"ltx", "wan", "ltx2"})
    if unknown:
        print(f"unknown model(s) {', '.join(unknown)}: use ltx, wan, ltx2")
        return 2
    budget = Budget(args.budget_s, peak, args.tiny, cfg, steps, warmup)
    all_levers = {m: [n for n, _, _ in levers(device, not args.no_fp8)] for m in ("ltx", "wan")}
    attention = attention_backends(device)[: args.e2e_attn] or ["native"]
    plan, parts = budget.plan(models, args.e2e_steps, all_levers, attention, cuda)
    if args.no_table:
        plan.table_models = []
    if args.no_e2e:
        plan.e2e_models = []
    plan.table_models = [m for m in plan.table_models if m in models]
    plan.e2e_models = [m for m in plan.e2e_models if m in models]
    print(f"\nbudget {args.budget_s:g} s -> {plan.describe()}")
    for name, sec in parts.items():
        print(f"  ~{sec:6.0f} s  {name}")
    print(f"  ~{sum(parts.values()):6.0f} s  in all (estimates at {ASSUMED_MFU:.0%} MFU)")

    table = shapes(args.tiny)
    lossless: list[Row] = []
    lossy: list[Row] = []
    timed_models = list(plan.table_models) + (["ltx2"] if plan.ltx2_step else [])
    for key in timed_models:
        s = table[key]
        print(
            f"\n{s.name}: {s.tokens} video tokens"
            + (f", {s.audio_tokens} audio tokens" if s.audio_tokens else "")
            + f", {s.text_tokens} text tokens, {step_flops(s, cfg) / 1e12:.2f} TFLOP per step"
        )
        if key == "ltx2":
            chosen = [("plain", lambda m: None, False)]
        else:
            names = budget.table_levers(plan, key, all_levers[key])
            chosen = [lv for lv in levers(device, not args.no_fp8) if lv[0] in names]
        for name, prepare, is_lossy in chosen:
            if not budget.fits(budget.lever_s(key, name)):
                print(f"  {name}: skipped ({budget.left():.0f} s left of the budget)")
                continue
            try:
                row = time_variant(s, name, device, dtype, steps, warmup, cfg, peak, prepare)
            except Exception as exc:  # noqa: BLE001 - one lever failing must not end the run
                row = Row(s.name, name, None, None, None, f"failed: {type(exc).__name__}: {exc}")
            (lossy if is_lossy else lossless).append(row)
            print(f"  {name}: {fmt(row.s_per_step, '.4f')} s/step {row.note}".rstrip())
            gc.collect()
            if cuda:
                torch.cuda.empty_cache()
        if not cuda and key != "ltx2":
            print("  skipped: compile (CUDA only)")

    if lossless:
        print_table("Lossless levers (same outputs up to kernel rounding)", lossless)
    if lossy:
        print_table("Lossy: fp8 layerwise casting (float8 weights, lower quality)", lossy)
    if timed_models:
        print(
            "\nStep cache (First Block Cache): not timed; hit rates on random weights mean "
            "nothing. A hit costs about 1 block of num_layers plus the embedders."
        )
    if plan.e2e_models:
        print(
            "\nEnd to end (a 5 s clip; plain diffusers call vs the engine; equal steps, "
            "guidance and VAE dtype):"
        )
        variants = budget.e2e_variants(plan, attention, cuda)
        with tempfile.TemporaryDirectory(dir=args.work) as work:
            for key in plan.e2e_models:
                folder = args.ltx_folder if key == "ltx" else args.wan_folder
                need = FOLDER_S[key] + budget.estimate_variant(key, "plain") * 2
                if not budget.fits(need):
                    print(f"  {key}: skipped ({budget.left():.0f} s left of the budget)")
                    continue
                try:
                    for line in end_to_end(
                        key,
                        folder,
                        device,
                        dtype,
                        args.tiny,
                        plan.e2e_steps if not args.tiny else 2,
                        Path(work),
                        variants,
                        plan.frames_scale,
                        peak,
                        budget,
                    ):
                        print("  " + line)
                except Exception as exc:  # noqa: BLE001
                    print(f"  {key}: end to end failed: {type(exc).__name__}: {exc}")
    spent = budget.seconds - budget.left()
    print(f"\ndone in {spent:.0f} s of a {args.budget_s:g} s budget")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
