"""Reel export speed, measured side by side in one run.

1. Burn-in reel: N clips (default 24 x 5 s, 1280x720, 24 fps) stitched with burn-ins (shot code,
   take, timecode, dialogue caption, watermark), H.264 CRF 20 preset "fast" yuv420p +faststart -
   by Previz (``export_reel``) and by the ffmpeg CLI doing the equivalent work on the same clips:
   scale to 1280x720, overlay a per-shot RGBA PNG (labels, caption, watermark), concat, drawtext
   timecode, same libx264 settings. Target: Previz <= 1.3x ffmpeg's time.
2. Smart render vs re-encode: the same clips without dressing, copied (packet remux) vs
   re-encoded. Target: >= 10x.

Needs the ffmpeg binary for part 1 only (``apt-get install -y ffmpeg``); the product does not.

    .venv/bin/python benchmarks/export_reel.py [--clips 24] [--seconds 5] [--unique 4]
"""

from __future__ import annotations

import argparse
import logging
import shutil
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from previz.export import frames as fr  # noqa: E402
from previz.export import text as textmod  # noqa: E402
from previz.export.plan import (  # noqa: E402
    BurnIns,
    ReelOptions,
    ReelPlan,
    Segment,
    SequencePlan,
    ShotItem,
)
from previz.export.reel import export_reel  # noqa: E402

FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"


def make_source(path: Path, frames: int, fps: int, w: int, h: int, seed: int) -> None:
    """A moving gradient with drifting shapes and grain: realistic work for x264."""
    rng = np.random.default_rng(seed)
    grain = rng.integers(0, 24, (h, w + 64), dtype=np.uint8)
    yy, xx = np.mgrid[0:h, 0:w]
    base = np.stack(
        [(xx * 255 // w), (yy * 255 // h), np.full_like(xx, 90 + 40 * seed % 160)], -1
    ).astype(np.uint8)
    with av.open(str(path), "w") as c:
        s = c.add_stream(
            "libx264", rate=fps, options={"preset": "veryfast", "crf": "20", "g": "24"}
        )
        s.width, s.height, s.pix_fmt = w, h, "yuv420p"
        s.thread_type = "AUTO"
        for i in range(frames):
            img = base.copy()
            img[..., 2] = (img[..., 2].astype(np.int32) + i * 3).astype(np.uint8)
            x = (i * 9 + seed * 100) % (w - 200)
            img[h // 3 : h // 3 + 160, x : x + 200] = (240, 200, 40)
            img[..., 1] += grain[:, i % 64 : i % 64 + w]
            vf = av.VideoFrame.from_ndarray(img, format="rgb24")
            vf.pts = i
            for p in s.encode(vf):
                c.mux(p)
        for p in s.encode(None):
            c.mux(p)


def shot_overlay_png(path: Path, item: ShotItem, w: int, h: int, burn: BurnIns) -> None:
    """The per-shot burn-ins Previz draws (minus the timecode) as one RGBA PNG for ffmpeg."""
    from PIL import Image

    canvas = np.zeros((h, w, 4), np.uint8)
    size = max(10, round(h / 24))
    margin = max(2, round(h / 36)) & ~1

    def put(rgba: np.ndarray, x: int, y: int) -> None:
        ph, pw = rgba.shape[:2]
        canvas[y : y + ph, x : x + pw] = rgba

    wm = fr.text_rgba(burn.watermark_text, int(size * 0.8), box_alpha=0.35, opacity=0.75)
    wm_y = h - margin - wm.shape[0]
    put(wm, (w - wm.shape[1]) // 2, wm_y)
    put(fr.text_rgba(f"{item.label}  {item.take_label}", size, bold=True), margin, margin)
    lines = textmod.wrap(item.dialogue, size, int(w * 0.8), max_lines=2)
    cap = fr.text_rgba(lines, size, color=(255, 240, 160), align="center")
    put(cap, (w - cap.shape[1]) // 2, wm_y - cap.shape[0] - margin // 2)
    Image.fromarray(canvas, "RGBA").save(path)


def ffmpeg_reel(clips: list[Path], pngs: list[Path], out: Path, fps: int, w: int, h: int) -> None:
    args = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-y"]
    for c in clips:
        args += ["-i", str(c)]
    for p in pngs:
        args += ["-i", str(p)]
    n = len(clips)
    parts = []
    for k in range(n):
        parts.append(f"[{k}:v]scale={w}:{h},setsar=1[s{k}]")
        parts.append(f"[s{k}][{n + k}:v]overlay=0:0:eof_action=repeat:format=auto[o{k}]")
    parts.append("".join(f"[o{k}]" for k in range(n)) + f"concat=n={n}:v=1:a=0[cat]")
    font = f"fontfile={FONT}:" if Path(FONT).is_file() else ""
    tc = (
        f"[cat]drawtext={font}timecode='01\\:00\\:00\\:00':rate={fps}:fontsize={max(10, round(h / 24))}"
        f":fontcolor=white:box=1:boxcolor=black@0.55:x=w-tw-20:y=20[out]"
    )
    parts.append(tc)
    args += [
        "-filter_complex",
        ";".join(parts),
        "-map",
        "[out]",
        "-c:v",
        "libx264",
        "-crf",
        "20",
        "-preset",
        "fast",
        "-pix_fmt",
        "yuv420p",
        "-movflags",
        "+faststart",
        str(out),
    ]
    subprocess.run(args, check=True)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--clips", type=int, default=24)
    ap.add_argument("--seconds", type=int, default=5)
    ap.add_argument("--unique", type=int, default=4, help="distinct source files (reused)")
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--fps", type=int, default=24)
    ap.add_argument("--workdir", type=Path, default=None)
    ap.add_argument("--skip-ffmpeg", action="store_true")
    args = ap.parse_args()
    logging.basicConfig(level=logging.WARNING)
    w, h = (int(v) for v in args.size.split("x"))
    fps = args.fps
    frames = args.seconds * fps
    work = args.workdir or Path(tempfile.mkdtemp(prefix="previz-bench-"))
    work.mkdir(parents=True, exist_ok=True)

    t0 = time.perf_counter()
    sources = []
    for k in range(args.unique):
        p = work / f"src_{k}_{w}x{h}_{frames}.mp4"
        if not p.exists():
            make_source(p, frames, fps, w, h, k)
        sources.append(p)
    print(f"sources ready ({args.unique} distinct, {time.perf_counter() - t0:.1f} s)")
    clips = [sources[k % len(sources)] for k in range(args.clips)]
    items = tuple(
        ShotItem(
            label=f"1/{(k + 1) * 10:04d}",
            scene="1",
            code=f"{(k + 1) * 10:04d}",
            take_number=1,
            segments=(Segment(c, 0, frames),),
            source_fps=Fraction(fps),
            source_size=(w, h),
            dialogue=f"Line {k + 1}: we leave at dawn.",
            prompt="bench",
        )
        for k, c in enumerate(clips)
    )
    plan = ReelPlan("Bench", Fraction(fps), w, h, (SequencePlan("Scene 1", "1", items),))
    burn = BurnIns()
    total = args.clips * frames
    print(f"reel: {args.clips} clips x {args.seconds} s = {total} frames at {w}x{h} {fps} fps")

    opts = ReelOptions(head_slate=False, scene_cards=False, burnins=burn, quality="standard")
    t = time.perf_counter()
    res = export_reel(plan, opts, work / "previz_burnins.mp4")
    t_previz = time.perf_counter() - t
    assert res.frames == total and res.render_path == "encode"
    print(f"previz burn-in reel : {t_previz:7.2f} s  ({total / t_previz:6.1f} fps)")

    if not args.skip_ffmpeg:
        if shutil.which("ffmpeg") is None:
            print("ffmpeg not found: apt-get install -y ffmpeg (or use --skip-ffmpeg)")
            return 1
        pngs = []
        for k, item in enumerate(items):
            p = work / f"overlay_{k}.png"
            shot_overlay_png(p, item, w, h, burn)
            pngs.append(p)
        t = time.perf_counter()
        ffmpeg_reel(clips, pngs, work / "ffmpeg_burnins.mp4", fps, w, h)
        t_ff = time.perf_counter() - t
        print(f"ffmpeg burn-in reel : {t_ff:7.2f} s  ({total / t_ff:6.1f} fps)")
        print(f"RATIO previz / ffmpeg = {t_previz / t_ff:.2f}x   (target <= 1.30x)")

    bare = ReelOptions(head_slate=False, scene_cards=False, burnins=None, quality="standard")
    t = time.perf_counter()
    smart = export_reel(plan, bare, work / "previz_smart.mp4")
    t_smart = time.perf_counter() - t
    assert smart.render_path == "smart", smart.smart_reason
    t = time.perf_counter()
    enc = export_reel(
        plan, ReelOptions(**{**bare.__dict__, "smart_render": False}), work / "previz_reencode.mp4"
    )
    t_enc = time.perf_counter() - t
    assert enc.frames == smart.frames == total
    print(f"previz smart render : {t_smart:7.2f} s")
    print(f"previz re-encode    : {t_enc:7.2f} s")
    print(f"RATIO re-encode / smart = {t_enc / t_smart:.1f}x   (target >= 10x)")
    print(f"files in {work}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
