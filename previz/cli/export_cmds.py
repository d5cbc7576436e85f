"""``previz export``: reels, editor timelines and boards from the CLI."""

from __future__ import annotations

import argparse
import sys
import threading
from pathlib import Path
from typing import Any

from previz.cli.output import emit_json, info


def cmd_export(a: argparse.Namespace) -> int:
    from previz.services.export import ExportRequest, credentials_line, export
    from previz.services.project import ProjectService

    req = ExportRequest(
        sequences=a.seq or [],
        all_sequences=a.all,
        reel=Path(a.out) if a.out else None,
        otio=Path(a.otio) if a.otio else None,
        edl=Path(a.edl) if a.edl else None,
        fcpxml=Path(a.fcpxml) if a.fcpxml else None,
        pdf=Path(a.pdf) if a.pdf else None,
        contact_sheet=Path(a.contact_sheet) if a.contact_sheet else None,
        fps=a.fps,
        size=a.size,
        burnins=a.burnins,
        watermark=a.watermark,
        head_slate=a.slate,
        scene_cards=a.scene_cards,
        audio=Path(a.audio) if a.audio else None,
        codec=a.codec,
        quality=a.quality,
        fit=a.fit,
        matte=a.matte,
        retime=a.retime,
        transition=a.transition,
        panels_per_page=a.panels,
        version=a.version,
    )
    cancel = threading.Event()
    last: dict[str, int] = {}

    def progress(label: str, i: int, n: int) -> None:
        pct = int(100 * i / max(1, n))
        if last.get(label) != pct // 5:
            last[label] = pct // 5
            sys.stderr.write(f"\rexport {label}: {pct:3d}%")
            sys.stderr.flush()

    with ProjectService.open(a.dir) as svc:
        # scenes a screenplay re-import flagged as gone from the script, still in the project
        removed = [q.name for q in svc.sequences() if q.script_status == "removed" and a.all]
        try:
            done = export(svc, req, progress=progress, cancel=cancel)
        except KeyboardInterrupt:
            cancel.set()
            raise
        finally:
            if last:
                sys.stderr.write("\n")
    if removed:
        n = len(removed)
        info(
            f"warning: {n} scene{'s' if n > 1 else ''} removed from the script "
            f"{'are' if n > 1 else 'is'} included: {', '.join(repr(n) for n in removed)}"
        )
    if a.json:
        emit_json(done)
    else:
        for key in ("reel", "otio", "edl", "fcpxml", "pdf", "contact_sheet"):
            if key in done:
                d: dict[str, Any] = done[key]
                extra = f" ({d['frames']} frames, {d['render_path']})" if key == "reel" else ""
                info(f"wrote {d['path']}{extra}")
        if line := credentials_line(done):
            info(line)
    return 0


def register(add: Any) -> None:
    sp = add("export", cmd_export, "export sequences as a reel, editor timelines and boards")
    sp.add_argument("dir")
    which = sp.add_mutually_exclusive_group()
    which.add_argument(
        "--seq",
        action="append",
        metavar="NAME",
        help="a sequence to include (repeat, in order; default: the first)",
    )
    which.add_argument("--all", action="store_true", help="every sequence, in order")
    out = sp.add_argument_group("outputs (any combination)")
    out.add_argument(
        "--out", metavar="REEL", help="the reel: .mp4 (H.264) or .mov (with --codec prores)"
    )
    out.add_argument(
        "--otio", metavar="FILE", help="OpenTimelineIO timeline (media copied beside it)"
    )
    out.add_argument("--edl", metavar="FILE", help="CMX 3600 EDL")
    out.add_argument("--fcpxml", metavar="FILE", help="FCP 7 XML (Premiere, Resolve)")
    out.add_argument("--pdf", metavar="FILE", help="PDF storyboards")
    out.add_argument("--contact-sheet", dest="contact_sheet", metavar="PNG")
    r = sp.add_argument_group("reel options")
    r.add_argument(
        "--burnins", action="store_true", help="shot code, take, timecode, dialogue, watermark"
    )
    r.add_argument("--watermark", default="AI-GENERATED PREVIZ")
    r.add_argument(
        "--slate", action="store_true", help="a head slate (project, sequence, version, date)"
    )
    r.add_argument(
        "--scene-cards", dest="scene_cards", action="store_true", help="a title card per sequence"
    )
    r.add_argument(
        "--audio", metavar="FILE", help="temp music or voice-over laid under the reel (AAC)"
    )
    r.add_argument("--codec", default="h264", choices=("h264", "prores"))
    r.add_argument("--quality", default="standard", choices=("draft", "standard", "high"))
    r.add_argument(
        "--fit",
        default="fit",
        choices=("fit", "fill", "stretch"),
        help="other sizes: letter/pillarbox, crop, or stretch",
    )
    r.add_argument("--matte", type=float, choices=(2.39, 1.85), help="delivery matte")
    r.add_argument(
        "--retime",
        default="frame",
        choices=("frame", "flow"),
        help="other frame rates: exact frame mapping, or optical-flow interpolation",
    )
    r.add_argument(
        "--transition",
        help="override every cut: dissolve:12, fade_black:24, dip_color:12:#FFFFFF … (frames)",
    )
    r.add_argument("--fps", help="reel rate (default: the first sequence's)")
    r.add_argument("--size", help="reel size WxH (default: the first sequence's)")
    r.add_argument("--version", default="v001", help="version shown on the slate")
    sp.add_argument("--panels", type=int, default=6, help="PDF panels per page (2, 4, 6, 9 …)")
