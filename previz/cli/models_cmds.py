"""``previz models list | add | download``: the models the diffusers engine can use.

- ``list``      the recommended models (and whether they are downloaded), models found in the
                Hugging Face cache and in configured folders; ``*`` marks the default.
- ``add PATH``  check a model folder (safetensors only, no remote code) and remember it;
                ``--default`` makes it the default model (and diffusers the default engine).
- ``download ID``  fetch a model into the Hugging Face cache with a progress bar on stderr;
                Ctrl-C stops cleanly (exit 130) and the next run resumes.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from typing import Any

from previz.cli.output import emit_json, info, table

_GB = 1024**3


def register(add: Any, common: Any) -> None:
    from previz.cli.main import _Parser

    sp = add("models", cmd_models, "list, add or download video models (diffusers engine)")
    ss = sp.add_subparsers(dest="models_cmd", required=True, metavar="ACTION", parser_class=_Parser)
    ss.add_parser(
        "list",
        help="recommended models, models in the Hugging Face cache and in your model folders",
        parents=[common],
    )
    x = ss.add_parser(
        "add", help="check a model folder and add it to your settings", parents=[common]
    )
    x.add_argument(
        "path", help="a diffusers model folder (with model_index.json) or a folder of them"
    )
    x.add_argument("--default", action="store_true", help="make it the default model")
    x = ss.add_parser(
        "download", help="download a model from the Hugging Face Hub (resumable)", parents=[common]
    )
    x.add_argument("id", help="model id, e.g. Lightricks/LTX-Video-0.9.7-distilled")
    x.add_argument("--revision", help="branch, tag or commit (default: main)")
    x.add_argument("--default", action="store_true", help="make it the default model")


def cmd_models(a: argparse.Namespace) -> int:
    if a.models_cmd == "list":
        return _list(a)
    if a.models_cmd == "add":
        return _add(a)
    return _download(a)


def _list(a: argparse.Namespace) -> int:
    from previz.services.models import list_models

    rows = list_models()
    if a.json:
        emit_json(rows)
        return 0
    table(
        [
            (
                ("* " if r.default else "  ") + r.id,
                r.family or "?",
                r.status if not r.problem or r.status == "ready" else f"{r.status}: {r.problem}",
                f"{r.size_gb:.1f} GB" if r.size_gb is not None else "",
                (f"{r.vram_gb:.0f} GB" if r.vram_gb is not None else "")
                + (f" ({r.vram_fp8_gb:.0f} fp8)" if r.vram_fp8_gb is not None else ""),
                r.native_fps or ("any" if r.family == "ltx" else ""),
                r.licence or "",
            )
            for r in rows
        ],
        ["MODEL", "FAMILY", "STATUS", "SIZE", "VRAM", "FPS", "LICENCE"],
    )
    return 0


def _add(a: argparse.Namespace) -> int:
    from previz.services.models import add_model

    result = add_model(a.path, make_default=a.default)
    if a.json:
        emit_json(result)
        return 0
    for row in result.models:
        info(
            f"added {row.id} ({row.family}, {row.size_gb:.1f} GB)"
            + (" as the default" if row.default else "")
        )
    for s in result.skipped:
        info(f"skipped {s}")
    if result.hint:
        info(result.hint)
    return 0


class _ByteBar:
    """Download progress on stderr: one updating line on a terminal, a line every 2 s otherwise."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.tty = sys.stderr.isatty()
        self.t0 = time.monotonic()
        self.last = 0.0

    def __call__(self, p: Any) -> None:
        now = time.monotonic()
        done, total = p.done_bytes, max(1, p.total_bytes)
        if now - self.last < (0.2 if self.tty else 2.0) and done < p.total_bytes:
            return
        self.last = now
        rate = done / max(1e-6, now - self.t0)
        eta = (p.total_bytes - done) / rate if rate > 0 else None
        bar = "#" * int(min(1.0, done / total) * 30)
        eta_s = f" ETA {eta:5.0f}s" if eta is not None and done < p.total_bytes else ""
        line = (
            f"{self.label} [{bar:<30}] {done / _GB:.2f}/{p.total_bytes / _GB:.2f} GB "
            f"{rate / 1024**2:.1f} MB/s{eta_s}"
        )
        if self.tty:
            sys.stderr.write("\r" + line[:100].ljust(100))
        else:
            sys.stderr.write(line + "\n")
        sys.stderr.flush()

    def done(self) -> None:
        if self.tty:
            sys.stderr.write("\n")


def _download(a: argparse.Namespace) -> int:
    from previz.services.models import download_model

    bar = _ByteBar(a.id)
    cancel = threading.Event()
    out: dict[str, Any] = {}

    def work() -> None:
        try:
            out["row"] = download_model(
                a.id, progress=bar, cancel=cancel, make_default=a.default, revision=a.revision
            )
        except BaseException as exc:  # re-raised on the main thread
            out["error"] = exc

    thread = threading.Thread(target=work, name="previz-download", daemon=True)
    try:
        thread.start()
        while thread.is_alive():
            thread.join(0.2)
    except KeyboardInterrupt:
        cancel.set()  # every transfer stops at its next chunk; finished files stay cached
        if thread.ident is not None:
            thread.join(30)
        bar.done()
        sys.stderr.write(
            f"previz: download of {a.id} stopped; run the same command again to resume\n"
        )
        return 130
    bar.done()
    if "error" in out:
        raise out["error"]
    row = out["row"]
    if a.json:
        emit_json(row)
    else:
        info(f"downloaded {row.id} to {row.path}" + (" (now the default)" if row.default else ""))
    return 0
