"""What content credentials (C2PA) cost an export, measured side by side in one run.

A reel of ``--seconds`` (default 30) at 1280x720, 24 fps, H.264 (a moving picture with detail,
so its size is a real reel's), then on copies of the same file:

- baseline: copying the file with fsync (signing must read and rewrite the whole file);
- signing it with this install's local certificate chain (``sign_export``);
- verifying the signed file (``verify``).

Printed: each time (min / median of ``--runs``) and the ratios signing / copy and
signing / encoding the reel.

    .venv/bin/python benchmarks/content_credentials.py [--seconds 30] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import av
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from previz.export.credentials import (  # noqa: E402
    CredentialInfo,
    local_identity,
    sign_export,
    verify,
)


def make_reel(path: Path, seconds: int, width: int = 1280, height: int = 720) -> float:
    t0 = time.perf_counter()
    rng = np.random.default_rng(7)
    texture = rng.integers(0, 255, (height, width * 2, 3), dtype=np.uint8)
    with av.open(str(path), "w") as out:
        s = out.add_stream("libx264", rate=24)
        s.width, s.height, s.pix_fmt = width, height, "yuv420p"
        s.options = {"crf": "20", "preset": "fast"}
        for i in range(seconds * 24):
            x = (i * 8) % width
            img = np.ascontiguousarray(texture[:, x : x + width])
            img[:, :, 0] = img[:, :, 0] // 2 + np.uint8(i % 128)  # changes every frame
            for p in s.encode(av.VideoFrame.from_ndarray(img, format="rgb24")):
                out.mux(p)
        for p in s.encode():
            out.mux(p)
    return time.perf_counter() - t0


def copy_synced(src: Path, dst: Path) -> None:
    shutil.copyfile(src, dst)
    fd = os.open(dst, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=30)
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        reel = d / "reel.mp4"
        encode = make_reel(reel, a.seconds)
        identity = local_identity(d / "chain")
        info = CredentialInfo("reel.mp4", "reel", "Bench", "1", ("animatic",))
        copies, signs, verifies = [], [], []
        for k in range(a.runs):
            t0 = time.perf_counter()
            copy_synced(reel, d / f"copy{k}.mp4")
            copies.append(time.perf_counter() - t0)
            target = d / f"signed{k}.mp4"
            shutil.copyfile(reel, target)
            t0 = time.perf_counter()
            sign_export(target, info, identity)
            signs.append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            v = verify(target)
            verifies.append(time.perf_counter() - t0)
            assert v.status == "intact", v.status
        size = reel.stat().st_size / 1e6

    def fmt(xs: list[float]) -> str:
        return f"{min(xs) * 1000:.0f} / {statistics.median(xs) * 1000:.0f} ms"

    print(f"reel: {a.seconds} s 1280x720 H.264, {size:.1f} MB, encoded in {encode:.1f} s")
    print(f"copy + fsync (baseline)  {fmt(copies)}")
    print(f"sign                     {fmt(signs)}")
    print(f"verify                   {fmt(verifies)}")
    med = statistics.median(signs)
    print(f"sign / copy: {med / statistics.median(copies):.1f}x")
    print(f"sign / encode: {100 * med / encode:.2f} % of the reel's encode time")


if __name__ == "__main__":
    main()
