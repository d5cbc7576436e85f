"""Provenance: container metadata and the ``<out>.previz.json`` sidecar.

Every exported file says it is AI-generated previz, which tool made it and with which models,
and the sidecar lists each shot's take and full recipe so any shot can be regenerated, and each
shot's sound (its take, the take frames it covers, the samples of each sound file it uses) so the
reel's sound can be traced and rebuilt like its picture.

A take made by a region edit (inpaint, cinemagraph) also gets a ``region`` record: the operation,
each mask file (project-relative path, its keyframe, its SHA-256), the feather, and for a
cinemagraph its still (path, SHA-256) and whether it loops. It is read from the take's
``recipe["region"]`` only; the files are hashed in the project folder the plan names.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
from fractions import Fraction
from pathlib import Path
from typing import Any

from .plan import AudioSegment, ReelOptions, ReelPlan, ReelResult, ShotItem
from .timing import Schedule


def previz_version() -> str:
    try:
        from previz import __version__

        return str(__version__)
    except Exception:  # pragma: no cover - package metadata broken
        return "unknown"


def fps_string(fps: Fraction) -> str:
    fps = Fraction(fps)
    return str(fps.numerator) if fps.denominator == 1 else f"{fps.numerator}/{fps.denominator}"


def models_used(items: list[ShotItem]) -> list[str]:
    seen: list[str] = []
    for item in items:
        if not item.has_take:
            continue
        r = item.recipe or {}
        name = r.get("model") or r.get("model_id") or r.get("engine")
        if name and str(name) not in seen:
            seen.append(str(name))
    return seen


def provenance_comment(plan: ReelPlan) -> str:
    models = models_used(plan.items()) or ["none recorded"]
    return f"AI-generated previz made with Previz {previz_version()}; models: {', '.join(models)}"


def container_metadata(plan: ReelPlan) -> dict[str, str]:
    return {
        "title": f"{plan.project_name} {plan.version} previz",
        "comment": provenance_comment(plan),
        "encoder": f"Previz {previz_version()}",
    }


def shot_record(item: ShotItem, sequence: str) -> dict[str, Any]:
    t_in, t_out = item.trim_range if item.has_take else (0, 0)
    return {
        "sequence": sequence,
        "label": item.label,
        "scene": item.scene,
        "code": item.code,
        "take": item.take_number,
        "source_fps": fps_string(Fraction(item.source_fps)),
        "trim_in": t_in,
        "trim_out": t_out,
        "planned_frames": item.planned_frames,
        "prompt": item.prompt,
        "dialogue": item.dialogue,
        "camera": item.camera,
        "notes": item.notes,
        "recipe": item.recipe,
        "segments": [{"path": str(s.path), "start": s.start, "end": s.end} for s in item.segments],
    }


REGION_OPERATIONS = ("inpaint", "cinemagraph")


def _sha256(folder: Path | None, stored: str) -> str | None:
    """SHA-256 of the project file ``stored`` (relative, inside ``folder``); None when the
    folder is not known, the path leaves it, or the file is gone."""
    if folder is None or not stored:
        return None
    try:
        root = Path(folder).resolve()
        path = (root / stored).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            return None
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                h.update(block)
        return h.hexdigest()
    except OSError:
        return None


def region_record(recipe: dict[str, Any] | None, folder: Path | None) -> dict[str, Any] | None:
    """What a region edit did, from its take's ``recipe["region"]``: the operation, the mask
    files with their keyframes and SHA-256, the feather and (cinemagraph) the still and loop.
    None for a take that is not a region edit."""
    r = recipe or {}
    region = r.get("region")
    if not isinstance(region, dict):
        return None
    op = r.get("operation")
    if op not in REGION_OPERATIONS:
        op = "cinemagraph" if region.get("image") else "inpaint"
    masks = []
    for m in region.get("masks") or ():
        if isinstance(m, dict) and isinstance(m.get("path"), str):
            path = m["path"]
            masks.append(
                {
                    "path": path,
                    "frame_index": m.get("frame_index"),
                    "sha256": _sha256(folder, path),
                }
            )
    out: dict[str, Any] = {"operation": op, "masks": masks, "feather": region.get("feather")}
    if region.get("boxes"):
        out["boxes"] = region["boxes"]
    if op == "cinemagraph":
        image = region.get("image")
        out["image"] = (
            {"path": image, "sha256": _sha256(folder, image)} if isinstance(image, str) else None
        )
        out["loop"] = bool(region.get("loop", False))
        out["from_take"] = region.get("from_take")
        out["from_frame"] = region.get("from_frame")
    return out


def region_summary(region: dict[str, Any]) -> str:
    """One line a person reads in a C2PA viewer: what was edited, with which mask files."""
    masks = region.get("masks") or []

    def name(m: dict[str, Any]) -> str:
        at = f" at frame {m['frame_index']}" if m.get("frame_index") is not None else ""
        sha = f" (sha256 {m['sha256'][:12]}…)" if m.get("sha256") else ""
        return f"{m['path']}{at}{sha}"

    files = "; ".join(name(m) for m in masks) or "no mask file"
    feather = region.get("feather")
    if region.get("operation") == "cinemagraph":
        image = region.get("image") or {}
        loop = ", looping" if region.get("loop") else ""
        return (
            f"cinemagraph: only the masked region of the still {image.get('path', '?')} moves "
            f"(mask {files}; feather {feather} px{loop})"
        )
    keyed = "keyframed masks" if len(masks) > 1 else "mask"
    return (
        f"inpaint: regenerated inside the {keyed} {files} (feather {feather} px); "
        "the rest is the source take's frames"
    )


def _ceil(x: Fraction) -> int:
    return -((-x.numerator) // x.denominator)


def _samples_under(
    audio: tuple[AudioSegment, ...], fps: Fraction, t_in: int, t_out: int
) -> list[dict[str, Any]]:
    """The part of each sound segment under take frames ``[t_in, t_out)`` (``path`` None is
    silence), in order: the samples the reel plays for a shot."""
    out: list[dict[str, Any]] = []
    lo, hi = Fraction(t_in) / fps, Fraction(t_out) / fps
    at = Fraction(0)  # seconds from the take's start to this segment
    half = Fraction(1, 2)
    for seg in audio:
        end = at + Fraction(seg.end - seg.start, seg.rate)
        s0, s1 = max(lo, at), min(hi, end)
        if s0 < s1:
            i0 = seg.start + int((s0 - at) * seg.rate + half)
            i1 = min(seg.end, seg.start + int((s1 - at) * seg.rate + half))
            if i1 > i0:
                path = str(seg.path) if seg.path is not None else None
                out.append({"path": path, "rate": seg.rate, "start": i0, "end": i1})
        at = end
        if at >= hi:
            break
    return out


def sound_record(item: ShotItem, record_frames: int, reel_fps: Fraction) -> dict[str, Any]:
    """What the reel plays of a shot's sound: its take, the take frames (a shot keeps real time
    on the reel, so they run ``record_frames`` reel frames from the trim in-point, as
    ``audio.TakeBed`` plays them) and the samples of each file under them."""
    has = item.has_take and any(seg.path is not None for seg in item.audio)
    if not has:
        return {"has_sound": False, "take": item.take_number, "segments": []}
    src_fps = Fraction(item.source_fps)
    t_in, _ = item.trim_range
    t_out = _ceil(Fraction(t_in) + Fraction(record_frames) * src_fps / Fraction(reel_fps))
    return {
        "has_sound": True,
        "take": item.take_number,
        "take_uid": (item.recipe or {}).get("take_uid"),
        "source_in": t_in,
        "source_out": t_out,
        "segments": _samples_under(item.audio, src_fps, t_in, t_out),
    }


def write_json(path: Path, data: dict[str, Any]) -> None:
    with open(path, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2, ensure_ascii=False, default=str)
        f.write("\n")
        f.flush()


def write_sidecar(
    path: Path,
    plan: ReelPlan,
    options: ReelOptions,
    schedule: Schedule,
    result: ReelResult,
) -> None:
    shots = []
    for ev in schedule.shots():
        assert ev.item is not None and ev.sequence is not None
        rec = shot_record(ev.item, ev.sequence.name)
        rec["record_in"] = ev.start
        rec["record_frames"] = ev.length
        rec["audio"] = sound_record(ev.item, ev.length, schedule.fps)
        rec["region"] = region_record(ev.item.recipe, plan.folder)
        shots.append(rec)
    data = {
        "kind": "previz-reel",
        "ai_generated": True,
        "generator": f"Previz {previz_version()}",
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "project": plan.project_name,
        "version": plan.version,
        "file": result.path.name,
        "fps": fps_string(plan.fps),
        "width": plan.width,
        "height": plan.height,
        "frames": result.frames,
        "codec": result.codec,
        "render_path": result.render_path,
        "models": models_used(plan.items()),
        "options": {
            "head_slate": options.head_slate,
            "scene_cards": options.scene_cards,
            "burnins": options.burnins is not None and options.burnins.any,
            "fit": options.fit,
            "matte": options.matte,
            "retime": options.retime,
            "quality": options.quality,
            "audio": str(options.audio) if options.audio else None,
        },
        "take_sound": any(s["audio"]["has_sound"] for s in shots),
        "warnings": list(result.warnings),
        "shots": shots,
    }
    write_json(path, data)
