"""Seconds per denoising step, peak VRAM and model FLOP utilisation of the diffusers engine's
transformers (LTX-Video 2B, Wan 2.1 1.3B), plain and with each speed lever, side by side.

    python benchmarks/engine_gpu.py                 # on a CUDA GPU: both models, every lever
    python benchmarks/engine_gpu.py --tiny          # tiny configs, 2 steps: a smoke test (CPU ok)
    python benchmarks/engine_gpu.py --models wan --steps 5 --peak-tflops 989
    python benchmarks/engine_gpu.py --ltx-folder /models/LTX-Video --wan-folder /models/Wan2.1

The transformers are built from their published configs (written below) with RANDOM weights:
nothing is downloaded, and a random transformer costs exactly what the trained one does per step.
Each "step" is what one guided denoising step costs in the engine: LTX-Video runs the
conditional and unconditional passes as ONE forward at batch 2 (LTXConditionPipeline batches
them); Wan runs TWO forwards at batch 1 (its pipelines do not batch them); ``--no-cfg`` times
one forward at batch 1 for both.

Levers: ``plain`` (diffusers' defaults: native SDPA), ``compile`` (regional torch.compile of the
repeated blocks), ``attn:NAME`` for each attention backend usable here (no Hub kernels), and
``compile+attn:NAME``. These are lossless and share a table. ``fp8`` (layerwise float8 storage)
is lossy and printed apart. Step caches (First Block Cache) are NOT timed: on random weights
their hit rate is meaningless; a cache hit costs roughly one block of ``num_layers`` plus the
embedders, so the saving is (hit rate) x (1 - 1/num_layers) of the transformer's time.

MFU = analytic FLOPs of the step / seconds / the GPU's dense bf16 peak (a small table by GPU
name, or ``--peak-tflops``). FLOPs count, per video token and layer: self-attention Q/K/V/out
projections (8 d^2), attention scores and values (4 S d), cross-attention Q/out (4 d^2) and
scores/values (4 L d), the feed-forward (4 d f); per layer, cross-attention K/V on the text
(4 L c d); and the patch in/out projections. Norms, modulation and RoPE are left out (< 1 %).

End to end: one 5 s clip (LTX 768x512x121, Wan 832x480x81) through the plain diffusers
pipeline call with default settings, then through the engine (`DiffusersEngine.generate`) with
its default levers and with each lossless lever, at equal steps (``--e2e-steps``, default 10 so
a lent GPU's short session covers both models; the ratio is what the goal is about). Without
``--ltx-folder``/``--wan-folder`` the models are random-weight folders written at the published
shapes (see `random_folder`), so this runs with no network.
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
            "ltx": Shape("LTX-Video (tiny)", LTX_TINY, 8, 3, 4, 6, 16, True),
            "wan": Shape("Wan 2.1 (tiny)", WAN_TINY, 16, 3, 8, 12, 16, False),
        }
    return {
        # 5 s at 24 fps = 121 frames, 768x512: latent (121-1)/8+1 = 16 frames, 16x24 (32x VAE)
        "ltx": Shape("LTX-Video 2B", LTX_2B, 128, 16, 16, 24, 128, True),
        # 5 s at 16 fps = 81 frames, 832x480: latent (81-1)/4+1 = 21 frames, 60x104 (8x VAE)
        "wan": Shape("Wan 2.1 1.3B", WAN_1_3B, 16, 21, 60, 104, 512, False),
    }


def forward_flops(s: Shape, batch: int = 1) -> float:
    """Analytic FLOPs of one transformer forward (multiply-add = 2 FLOPs)."""
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
    import torch
    from diffusers import LTXVideoTransformer3DModel, WanTransformer3DModel

    cls = WanTransformer3DModel if "ffn_dim" in s.config else LTXVideoTransformer3DModel
    torch.manual_seed(0)
    with torch.device(device):
        model = cls(**s.config)
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


def clip_shape(family: str, tiny: bool, steps: int) -> dict[str, Any]:
    """The 5 s clip of the issue: LTX 768x512, 121 frames at 24 fps; Wan 832x480, 81 at 16."""
    if tiny:
        return dict(width=64, height=64, num_frames=9, fps=24, steps=steps)
    if family == "ltx":
        return dict(width=768, height=512, num_frames=121, fps=24, steps=steps)
    return dict(width=832, height=480, num_frames=81, fps=16, steps=steps)


class _NullSink:
    def write(self, frame: Any) -> None:
        pass


def end_to_end(
    family: str,
    folder: Path | None,
    device: Any,
    dtype: Any,
    tiny: bool,
    steps: int,
    work: Path,
    attention: list[str],
) -> list[str]:
    """One clip, plain diffusers pipeline call vs the engine with each lossless lever.

    Plain: ``from_pretrained(torch_dtype=...)``, ``.to(device)``, a call with default settings
    but the steps, size and frames below (``output_type="np"``: decoded uint8-ready frames).
    Ours: `DiffusersEngine.generate` of the same request into a null sink (load, text encoding,
    denoise, decode, uint8 frames; the H.264 encode is left out of both), previews on (every
    0.25 s, as in the app). Each variant runs once untimed (load, compile) and once timed.
    """
    import torch
    from diffusers import DiffusionPipeline

    from engine.api import TextToVideo
    from engine.backends.diffusers import DiffusersEngine

    folder = folder or random_folder(family, work, device, dtype, tiny)
    shape = clip_shape(family, tiny, steps)
    prompt = "a ferry crosses the harbour at dusk, slow dolly in"
    lines = [
        f"{family}: {shape['num_frames']} frames at {shape['width']}x{shape['height']}, "
        f"{steps} steps ({folder.name})"
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

    pipe = DiffusionPipeline.from_pretrained(
        str(folder), torch_dtype=dtype, local_files_only=True, use_safetensors=True
    )
    pipe.to(device)
    pipe.set_progress_bar_config(disable=True)
    kw: dict[str, Any] = dict(
        prompt=prompt,
        width=shape["width"],
        height=shape["height"],
        num_frames=shape["num_frames"],
        num_inference_steps=steps,
        output_type="np",
    )
    if family == "ltx":
        kw["frame_rate"] = shape["fps"]
    with torch.inference_mode():
        plain = timed(lambda: pipe(**kw))
    peak = torch.cuda.max_memory_allocated() / 1024**3 if device.type == "cuda" else None
    pipe = None  # free it before the engine loads its own copy
    gc.collect()
    if device.type == "cuda":
        torch.cuda.empty_cache()
    rows = [("plain pipeline call", plain, peak)]

    variants: list[tuple[str, dict[str, Any]]] = [("ours, default levers", {})]
    if device.type == "cuda":
        variants.append(("ours + compile", {"compile": True}))
    for name in attention:
        variants.append((f"ours + attn:{name}", {"attention": name}))
        if device.type == "cuda":
            variants.append((f"ours + compile + attn:{name}", {"compile": True, "attention": name}))
    for label, levers in variants:
        engine = DiffusersEngine(device=device.type, preview_interval_s=0.25)
        request = TextToVideo(
            prompt=prompt,
            width=shape["width"],
            height=shape["height"],
            num_frames=shape["num_frames"],
            fps=shape["fps"],
            steps=steps,
            seed=1,
            model=str(folder),
            options={"speed": {"cfg_batch": True, **levers}},
        )
        try:
            sec = timed(
                lambda engine=engine, request=request: engine.generate(request, _NullSink())
            )
            peak = torch.cuda.max_memory_allocated() / 1024**3 if device.type == "cuda" else None
            rows.append((label, sec, peak))
        except Exception as exc:  # noqa: BLE001 - one lever failing must not end the run
            lines.append(f"  {label}: failed: {type(exc).__name__}: {exc}")
        engine.unload()
        del engine
        gc.collect()
    for label, sec, peak in rows:
        lines.append(
            f"  {label:<34} {sec:8.2f} s  {plain / sec:5.2f}x plain  "
            f"{sec / steps:7.3f} s/step  peak {fmt(peak, '.1f')} GiB"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tiny", action="store_true", help="tiny configs, a couple of steps (CPU ok)")
    ap.add_argument("--models", default="ltx,wan", help="comma list: ltx, wan")
    ap.add_argument("--steps", type=int, default=None, help="timed steps (default 5; tiny 2)")
    ap.add_argument("--warmup", type=int, default=None, help="untimed steps (default 3; tiny 2)")
    ap.add_argument("--no-cfg", action="store_true", help="one forward at batch 1 per step")
    ap.add_argument("--no-fp8", action="store_true", help="skip the fp8 (lossy) row")
    ap.add_argument("--peak-tflops", type=float, default=None, help="dense bf16 peak, TFLOP/s")
    ap.add_argument("--device", default=None, help="cuda or cpu (default: cuda if available)")
    ap.add_argument("--ltx-folder", type=Path, default=None, help="local LTX diffusers folder")
    ap.add_argument("--wan-folder", type=Path, default=None, help="local Wan diffusers folder")
    ap.add_argument("--e2e-steps", type=int, default=None, help="end to end steps (default 10)")
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

    import diffusers
    import torch

    if args.attn is not None:
        ATTENTION_CANDIDATES[:] = [a.strip() for a in args.attn.split(",") if a.strip()]
    diffusers.utils.logging.set_verbosity_error()  # "experimental" and dtype chatter
    device = torch.device(args.device or ("cuda" if torch.cuda.is_available() else "cpu"))
    if device.type != "cuda" and not args.tiny:
        print("no CUDA device: the full-size benchmark needs one; use --tiny on the CPU")
        return 2
    dtype = torch.bfloat16 if device.type == "cuda" else torch.float32
    steps = args.steps or (2 if args.tiny else 5)
    warmup = args.warmup if args.warmup is not None else (2 if args.tiny else 3)
    cfg = not args.no_cfg
    peak, peak_text = gpu_peak(device, args.peak_tflops)
    have = {p: find_spec(p) is not None for p in ("flash_attn", "sageattention")}
    print(
        f"torch {torch.__version__}, diffusers {diffusers.__version__}, python "
        f"{platform.python_version()}, device {device} "
        f"({torch.cuda.get_device_name(device) if device.type == 'cuda' else platform.processor()})"
    )
    print(f"peak: {peak_text}; dtype {str(dtype).removeprefix('torch.')}; packages {have}")
    print(
        f"steps timed {steps} after {warmup} warm-up; a step = "
        + ("guided (LTX: 1 forward at batch 2; Wan: 2 forwards at batch 1)" if cfg else "1 fwd")
    )
    if args.tiny:
        print("TINY configs: timings and MFU mean nothing; this only checks the script runs")

    table = shapes(args.tiny)
    lossless: list[Row] = []
    lossy: list[Row] = []
    for key in [] if args.no_table else [k.strip() for k in args.models.split(",") if k.strip()]:
        s = table[key]
        print(
            f"\n{s.name}: {s.tokens} video tokens, {s.text_tokens} text tokens, "
            f"{step_flops(s, cfg) / 1e12:.2f} TFLOP per step"
        )
        skipped = []
        if device.type != "cuda":
            skipped.append("compile (CUDA only)")
        for name, prepare, is_lossy in levers(device, not args.no_fp8):
            try:
                row = time_variant(s, name, device, dtype, steps, warmup, cfg, peak, prepare)
            except Exception as exc:  # noqa: BLE001 - one lever failing must not end the run
                row = Row(s.name, name, None, None, None, f"failed: {type(exc).__name__}: {exc}")
            (lossy if is_lossy else lossless).append(row)
            print(f"  {name}: {fmt(row.s_per_step, '.4f')} s/step {row.note}".rstrip())
        if skipped:
            print(f"  skipped: {', '.join(skipped)}")

    if lossless:
        print_table("Lossless levers (same outputs up to kernel rounding)", lossless)
    if lossy:
        print_table("Lossy: fp8 layerwise casting (float8 weights, lower quality)", lossy)
    print(
        "\nStep cache (First Block Cache): not timed; hit rates on random weights mean nothing. "
        "A hit costs about 1 block of num_layers plus the embedders."
    )
    if args.no_e2e:
        return 0
    print("\nEnd to end (a 5 s clip; plain diffusers call vs the engine with each lever):")
    e2e_steps = args.e2e_steps or (2 if args.tiny else 10)
    attn = attention_backends(device)[: args.e2e_attn] or ["native"]
    with tempfile.TemporaryDirectory(dir=args.work) as work:
        for key, folder in (("ltx", args.ltx_folder), ("wan", args.wan_folder)):
            if key in args.models:
                try:
                    for line in end_to_end(
                        key, folder, device, dtype, args.tiny, e2e_steps, Path(work), attn
                    ):
                        print("  " + line)
                except Exception as exc:  # noqa: BLE001
                    print(f"  {key}: end to end failed: {type(exc).__name__}: {exc}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
