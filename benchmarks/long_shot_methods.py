"""Long shots on LTX-Video: chained windows vs one call of the long-video pipeline, side by side.

The same long shot (``--windows`` planned windows of ``--window`` frames) is made both ways by
the diffusers engine in this process, interleaved over ``--rounds`` rounds, at equal steps:

- chain: what the app does for every engine: window 1 is text to video, each later window an
  `Extend` conditioned on the previous window's lossless tail (LTXConditionPipeline, one pinned
  frame), decoded window by window, colour-matched to the first window's tail;
- pipeline: one `LongShot` through diffusers' LTXI2VLongMultiPromptPipeline (sliding windows in
  latent space with a 3-latent-frame overlap, decoded once), cut into the same windows.

The model: LTX-Video's VAE at its published shape (diffusers' AutoencoderKLLTXVideo defaults:
32x spatial, 8x temporal compression) and a transformer of the 2B's width (2048, 32 heads of 64)
with ``--layers`` of its 28 blocks, random weights, a tiny text encoder. Reported per method:
wall seconds (median), transformer forward calls and tokens (the transformer's compute grows
with tokens; on a GPU, where the transformer dominates, the token ratio is the cost ratio), and
VAE encode/decode calls. Random weights make the frames meaningless: this measures cost, not
look. Nothing is downloaded.

    .venv/bin/python benchmarks/long_shot_methods.py [--rounds 3] [--windows 4] [--window 48]
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tiny text encoder is in tests/

import torch  # noqa: E402

from engine.api import Extend, LongShot, ShotWindow, TextToVideo  # noqa: E402
from engine.backends.diffusers import DiffusersEngine  # noqa: E402
from engine.job import run_job  # noqa: E402


def build_model(path: Path, layers: int) -> Path:
    from diffusers import (
        AutoencoderKLLTXVideo,
        FlowMatchEulerDiscreteScheduler,
        LTXConditionPipeline,
        LTXVideoTransformer3DModel,
    )

    from benchmarks.engine_gpu import LTX_2B
    from tests.engine_diffusers.tiny_models import _text_encoder, make_tokenizer

    torch.manual_seed(0)
    # the 2B's width with fewer blocks; caption width of the tiny text encoder
    transformer = LTXVideoTransformer3DModel(
        **{**LTX_2B, "num_layers": layers, "caption_channels": 32}
    )
    vae = AutoencoderKLLTXVideo()  # LTX-Video 0.9's VAE shape
    pipe = LTXConditionPipeline(
        transformer=transformer,
        vae=vae,
        scheduler=FlowMatchEulerDiscreteScheduler(),
        text_encoder=_text_encoder(),
        tokenizer=make_tokenizer(),
    )
    pipe.save_pretrained(str(path), safe_serialization=True)
    return path


class Counter:
    """Transformer calls and tokens, VAE encodes and decodes (forward hooks)."""

    def __init__(self) -> None:
        self.calls = self.tokens = self.encodes = self.decodes = 0

    def hook(self, pipe: Any) -> list[Any]:
        def on_transformer(_m: Any, args: Any, kwargs: Any) -> None:
            x = kwargs.get("hidden_states", args[0] if args else None)
            self.calls += 1
            self.tokens += int(x.shape[0] * x.shape[1])

        def on_encode(*_a: Any) -> None:
            self.encodes += 1

        def on_decode(*_a: Any) -> None:
            self.decodes += 1

        return [
            pipe.transformer.register_forward_pre_hook(on_transformer, with_kwargs=True),
            pipe.vae.encoder.register_forward_pre_hook(on_encode),
            pipe.vae.decoder.register_forward_pre_hook(on_decode),
        ]


def chain(engine: DiffusersEngine, base: dict[str, Any], windows: list[ShotWindow], root: Path):
    prev = None
    ref: tuple[Path, ...] = ()
    for k, w in enumerate(windows):
        n = w.end - w.start
        if prev is None:
            req: Any = TextToVideo(**dict(base, prompt=w.prompt, num_frames=n))
        else:
            req = Extend(
                **dict(base, prompt=w.prompt, num_frames=n),
                source=prev,
                direction="forward",
                color_reference=ref,
            )
        d = root / f"w{k:02d}"
        out = run_job(engine, req, d)
        prev = out.files.source(d)
        if k == 0:
            ref = prev.tail
    return prev


def one_call(engine: DiffusersEngine, base: dict[str, Any], windows: list[ShotWindow], root: Path):
    req = LongShot(
        **dict(base, num_frames=windows[-1].end, prompt=windows[0].prompt), windows=tuple(windows)
    )
    return run_job(engine, req, root)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--windows", type=int, default=4)
    ap.add_argument("--window", type=int, default=48, help="frames per planned window")
    ap.add_argument("--layers", type=int, default=2, help="transformer blocks (the 2B has 28)")
    ap.add_argument("--steps", type=int, default=8)
    ap.add_argument("--size", default="256x160")
    a = ap.parse_args()
    w, h = (int(x) for x in a.size.split("x"))
    torch.set_num_threads(max(1, torch.get_num_threads()))
    with tempfile.TemporaryDirectory() as tmp:
        model = build_model(Path(tmp) / "ltx-bench", a.layers)
        engine = DiffusersEngine(preview_interval_s=1e9)
        windows = [
            ShotWindow(i * a.window, (i + 1) * a.window, f"a ferry, part {i + 1}")
            for i in range(a.windows)
        ]
        base = dict(
            width=w,
            height=h,
            fps=Fraction(24),
            steps=a.steps,
            guidance=1.0,
            seed=1,
            model=str(model),
        )
        times: dict[str, list[float]] = {"chain": [], "pipeline": []}
        counts: dict[str, Counter] = {}
        # warm up: load the model once (both methods share it)
        run_job(
            engine,
            TextToVideo(**dict(base, prompt="warm up", num_frames=9, steps=1)),
            Path(tmp) / "warm",
        )
        pipe = engine._loaded.pipe
        for r in range(a.rounds):
            for name, fn in (("chain", chain), ("pipeline", one_call))[:: 1 if r % 2 == 0 else -1]:
                c = Counter()
                hooks = c.hook(pipe)
                t0 = time.perf_counter()
                fn(engine, base, windows, Path(tmp) / f"{name}{r}")
                times[name].append(time.perf_counter() - t0)
                for hk in hooks:
                    hk.remove()
                counts[name] = c
    frames = a.windows * a.window
    print(
        f"# long_shot_methods: {frames} frames = {a.windows} windows of {a.window} at {w}x{h}, "
        f"{a.steps} steps, LTX VAE + {a.layers}-block 2B-width transformer, CPU "
        f"({platform.machine()}, {torch.get_num_threads()} threads), {a.rounds} rounds"
    )
    print("| method | wall s (median) | transformer calls | tokens | VAE encodes | VAE decodes |")
    print("|---|---|---|---|---|---|")
    for name in ("chain", "pipeline"):
        c = counts[name]
        print(
            f"| {name} | {statistics.median(times[name]):.2f} | {c.calls} | {c.tokens} | "
            f"{c.encodes} | {c.decodes} |"
        )
    t = statistics.median(times["pipeline"]) / statistics.median(times["chain"])
    k = counts["pipeline"].tokens / counts["chain"].tokens
    print(f"pipeline / chain: wall {t:.2f}x, transformer tokens {k:.2f}x")


if __name__ == "__main__":
    main()
