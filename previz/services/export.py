"""Export: turn sequences of the project into a reel, editor timelines and boards.

The export layer (``previz.export``) never reads the database; this service builds its plain
plan from the project (selected takes, trims, transitions, dialogue, recipes) and runs the
exporters with progress and cancel. Missing media is a clear error naming the shot and take.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import previz
from previz.core.colors import WHITE, parse_color, split_transition
from previz.core.errors import InvalidInput, PrevizError
from previz.core.time import is_drop_rate, parse_rate
from previz.core.values import SequenceInfo
from previz.services.project import ProjectService, parse_size
from previz.store.folder import resolve, safe_subdir

EXPORTS = "exports"  # the project's own folder for what it exports


class ExportFailed(PrevizError):
    """An export could not be written (the message says why and what to do)."""


def default_export_folder(svc: ProjectService) -> Path:
    """Where the export dialog suggests writing: the project's own ``exports/`` folder, next to
    its ``media/``, so a reel is found with its project (not under the app's data folder)."""
    return Path(svc.folder) / EXPORTS


def prepare_export_folder(svc: ProjectService, folder: Path) -> Path:
    """Create ``folder`` if needed (the project's ``exports/`` never through a link)."""
    folder = Path(folder).expanduser()
    if folder.exists() and not folder.is_dir():
        raise InvalidInput(f"{folder} is a file, not a folder; choose a folder to export to")
    try:
        if folder.resolve() == default_export_folder(svc).resolve():
            return safe_subdir(Path(svc.folder), EXPORTS)
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InvalidInput(
            f"cannot create the export folder {folder}: {exc.strerror or exc}; choose another"
        ) from None
    return folder


@dataclass
class ExportRequest:
    sequences: list[str] = field(default_factory=list)  # names/scenes; empty = the first
    all_sequences: bool = False
    reel: Path | None = None
    otio: Path | None = None
    edl: Path | None = None
    fcpxml: Path | None = None
    pdf: Path | None = None
    contact_sheet: Path | None = None
    fps: str | None = None
    size: str | None = None
    burnins: bool = False
    watermark: str = "AI-GENERATED PREVIZ"
    head_slate: bool = False
    scene_cards: bool = False
    audio: Path | None = None
    codec: str = "h264"
    quality: str = "standard"
    fit: str = "fit"
    matte: float | None = None
    retime: str = "frame"
    transition: str | None = None  # e.g. "dissolve:12" or "dip_color:12:#FF8000" (frames)
    panels_per_page: int = 6
    version: str = "v001"


def _selected(svc: ProjectService, req: ExportRequest) -> list[SequenceInfo]:
    if req.all_sequences:
        return svc.sequences()
    if not req.sequences:
        return [svc.sequence()]
    return [svc.sequence(s) for s in req.sequences]


def _take_sound(svc: ProjectService, take: Any, label: str) -> tuple[Any, ...]:
    """The take's sound for the exporters (silence as a segment with no file)."""
    from previz.export import AudioSegment

    out = []
    for a in take.audio:
        path = resolve(svc.folder, a.path) if a.path else None
        if path is not None and not path.is_file():
            raise ExportFailed(
                f"take {take.number} of {label} is missing its sound file {a.path}; "
                "regenerate it or select another take"
            )
        out.append(AudioSegment(path, a.start, a.end, a.rate))
    return tuple(out)


def build_plan(svc: ProjectService, req: ExportRequest):  # type: ignore[no-untyped-def]
    from previz.export import ReelPlan, Segment, SequencePlan, ShotItem, Transition

    seqs = _selected(svc, req)
    first = seqs[0]
    fps = parse_rate(req.fps) if req.fps else first.fps
    w, h = parse_size(req.size) if req.size else (first.width, first.height)
    plans = []
    for seq in seqs:
        items = []
        for shot in svc.shots(seq.id):
            take = svc.take_by_id(shot.selected_take_id) if shot.selected_take_id else None
            segments: tuple[Any, ...] = ()
            sound: tuple[Any, ...] = ()
            if take is not None:
                segs = []
                for s in take.segments:
                    path = resolve(svc.folder, s.path)
                    if not path.is_file():
                        raise ExportFailed(
                            f"take {take.number} of {shot.label} is missing its media file "
                            f"{s.path}; regenerate it or select another take"
                        )
                    segs.append(Segment(path, s.start, s.end))
                segments = tuple(segs)
                sound = _take_sound(svc, take, shot.label)
            kind, frames = shot.transition_kind, shot.transition_frames
            color = (
                (parse_color(shot.transition_color) if shot.transition_color else DIP_COLOR)
                if kind == "dip_color"
                else (0, 0, 0)
            )
            items.append(
                ShotItem(
                    label=shot.label,
                    scene=seq.scene,
                    code=shot.code,
                    take_number=take.number if take else None,
                    segments=segments,
                    audio=sound,
                    source_fps=take.fps if take else seq.fps,
                    source_size=(take.width, take.height) if take else (seq.width, seq.height),
                    trim_in=shot.trim_in if take else 0,
                    trim_out=shot.trim_out if take else None,
                    planned_frames=_at_rate(shot.duration_frames, seq.fps, fps),
                    prompt=shot.prompt,
                    dialogue=shot.dialogue,
                    camera=shot.camera_notes,
                    notes=shot.notes,
                    recipe=dict(take.recipe, take_uid=take.uid) if take else {},
                    thumbnail=resolve(svc.folder, take.thumbnail)
                    if take and take.thumbnail
                    else None,
                    transition_in=Transition(kind, frames, color)
                    if kind != "cut"
                    else Transition(),
                )
            )
        plans.append(SequencePlan(name=seq.name, scene=seq.scene, items=tuple(items)))
    return ReelPlan(
        project_name=svc.name(),
        fps=fps,
        width=w,
        height=h,
        sequences=tuple(plans),
        version=req.version,
        # the first sequence's timecode setting; drop-frame only where the reel rate has it
        drop_frame=bool(first.drop_frame) and is_drop_rate(fps),
        folder=svc.folder,
    )


# A shot's dip_color goes through its own colour (``shot edit --transition dip_color:12f:#FF8000``)
# or, with none set, white (a dip to black is fade_black). The export's --transition
# dip_color:N:#RRGGBB overrides every cut.
DIP_COLOR = WHITE


def _at_rate(frames: int, src: Fraction, dst: Fraction) -> int:
    return max(1, int(Fraction(frames) * dst / src + Fraction(1, 2)))


def reel_options(req: ExportRequest):  # type: ignore[no-untyped-def]
    from previz.export import BurnIns, ReelOptions, Transition

    override = None
    if req.transition:
        kind, n, col = split_transition(req.transition)
        if kind not in ("cut", "dissolve", "fade_black", "dip_color"):
            raise InvalidInput(f"transition {kind!r} is not cut, dissolve, fade_black or dip_color")
        if col and kind != "dip_color":
            raise InvalidInput(
                f"only dip_color takes a colour, not {kind}; e.g. dip_color:12:#FFFFFF"
            )
        if n and not n.isdigit():
            raise InvalidInput(f"transition length {n!r} is not a number of frames; e.g. {kind}:12")
        color = parse_color(col) if col else (DIP_COLOR if kind == "dip_color" else (0, 0, 0))
        override = Transition(kind, int(n or 12), color)  # type: ignore[arg-type]
    if req.codec not in ("h264", "prores"):
        raise InvalidInput(f"codec {req.codec!r} is not h264 or prores")
    if req.quality not in ("draft", "standard", "high"):
        raise InvalidInput(f"quality {req.quality!r} is not draft, standard or high")
    if req.fit not in ("fit", "fill", "stretch"):
        raise InvalidInput(f"fit {req.fit!r} is not fit, fill or stretch")
    if req.audio is not None and not Path(req.audio).is_file():
        raise InvalidInput(f"audio file {req.audio} does not exist")
    return ReelOptions(
        head_slate=req.head_slate,
        scene_cards=req.scene_cards,
        burnins=BurnIns(watermark_text=req.watermark) if req.burnins else None,
        fit=req.fit,  # type: ignore[arg-type]
        matte=req.matte,
        retime=req.retime,  # type: ignore[arg-type]
        transition=override,
        audio=Path(req.audio) if req.audio else None,
        codec=req.codec,  # type: ignore[arg-type]
        quality=req.quality,  # type: ignore[arg-type]
    )


def export(
    svc: ProjectService,
    req: ExportRequest,
    *,
    progress: Callable[[str, int, int], None] | None = None,
    cancel: threading.Event | None = None,
) -> dict[str, Any]:
    """Run every export ``req`` asks for; returns what was written."""
    from previz import export as ex

    outputs = [req.reel, req.otio, req.edl, req.fcpxml, req.pdf, req.contact_sheet]
    if not any(outputs):
        raise InvalidInput("nothing to export; give --out, --otio, --edl, --fcpxml or --pdf")
    plan = build_plan(svc, req)
    options = reel_options(req)
    # Content credentials: a broken certificate is said now, not after a long render.
    from previz.export.credentials import preflight, sign_outputs
    from previz.services.settings import signing_config

    signing = signing_config()
    identity = preflight(signing) if req.reel or req.otio or req.edl or req.fcpxml else None
    done: dict[str, Any] = {"sequences": [s.name for s in plan.sequences]}
    try:
        from previz.export.editorial import build_layout

        layout = build_layout(plan, options)
    except ex.ExportError as exc:
        raise ExportFailed(str(exc).splitlines()[0]) from None
    done["timecode"] = {
        "first_shot": layout.start_tc,
        "reel_start": layout.reel_start_tc,
        "drop_frame": layout.drop_frame,
    }

    def step(label: str) -> Callable[[int, int], None] | None:
        if progress is None:
            return None
        return lambda i, n: progress(label, i, n)

    try:
        if req.reel:
            res = ex.export_reel(
                plan, options, Path(req.reel), progress=step("reel"), cancel=cancel
            )
            done["reel"] = {
                "path": str(res.path),
                "frames": res.frames,
                "fps": str(res.fps),
                "width": res.width,
                "height": res.height,
                "codec": res.codec,
                "render_path": res.render_path,
                "sidecar": str(res.sidecar),
                "warnings": list(res.warnings),
            }
        for fmt, target in (("otio", req.otio), ("edl", req.edl), ("fcpxml", req.fcpxml)):
            if target:
                tl = ex.export_timeline(
                    plan, Path(target), fmt, options=options, progress=step(fmt), cancel=cancel
                )
                done[fmt] = {"path": str(tl.path), "media": [str(m) for m in tl.media]}
        if req.pdf:
            b = ex.export_boards_pdf(
                plan, Path(req.pdf), ex.BoardOptions(panels_per_page=req.panels_per_page)
            )
            done["pdf"] = {"path": str(b.path), "pages": b.pages, "panels": b.panels}
        if req.contact_sheet:
            w, h = ex.export_contact_sheet(plan, Path(req.contact_sheet))
            done["contact_sheet"] = {"path": str(req.contact_sheet), "width": w, "height": h}
    except ex.ExportCancelled:
        raise
    except ex.ExportError as exc:
        raise ExportFailed(str(exc).splitlines()[0]) from None
    # Content credentials (C2PA) on the reel and each take media file (previz.export.credentials)
    clips = [m for f in ("otio", "edl", "fcpxml") if f in done for m in done[f]["media"]]
    reel = done["reel"]["path"] if "reel" in done else None
    report = sign_outputs(plan, signing, reel, clips, identity=identity)
    done["credentials"] = report.as_dict()
    done["tool"] = f"Previz {previz.__version__}"
    return done


def credentials_line(done: dict[str, Any]) -> str | None:
    """One line for people on what the export's content credentials are: who signed how many
    files, or why none is signed."""
    c = done.get("credentials") or {}
    if c.get("warning"):
        return str(c["warning"])
    n = len(c.get("signed") or ())
    if not n:
        return None
    who = c.get("signer") or "unknown"
    where = " (this install's local certificate)" if c.get("local_chain") else ""
    return (
        f"content credentials: {n} file{'s' if n > 1 else ''} signed by {who}{where}; "
        "check one with `previz verify FILE`"
    )
