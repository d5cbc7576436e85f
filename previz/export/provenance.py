"""Provenance: container metadata and the ``<out>.previz.json`` sidecar.

Every exported file says it is AI-generated previz, which tool made it and with which models,
and the sidecar lists each shot's take and full recipe so any shot can be regenerated.
"""

from __future__ import annotations

import datetime as _dt
import json
from fractions import Fraction
from pathlib import Path
from typing import Any

from .plan import ReelOptions, ReelPlan, ReelResult, ShotItem
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
        "warnings": list(result.warnings),
        "shots": shots,
    }
    write_json(path, data)
