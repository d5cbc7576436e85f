"""Recording a finished take: move its files into the project, then commit its row.

The worker wrote the clip (and its sound, for an audio-video model or imported footage) into a
scratch folder; here the folder is checked, renamed into ``media/takes/<uid>/`` and only then is
the take row (recipe, parents, segments, audio segments) committed.
A crash in between leaves an unreferenced folder for the sweep, never a row without its file.
Generation never changes or deletes an existing take; it is not part of the undo history.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from sqlalchemy import and_, insert, select, update

from previz.core.errors import InvalidInput
from previz.core.values import AudioSegmentInfo, SegmentInfo, TakeInfo
from previz.store import db, schema
from previz.store.folder import TAKES, install_dir, new_uid, sha256_file

NEW = "@new/"  # prefix for paths inside the new take's own folder


@dataclass(frozen=True)
class NewTake:
    operation: str
    engine: str
    prompt: str
    expanded_prompt: str
    seed: int
    width: int
    height: int
    fps: Fraction
    recipe: dict[str, Any]
    # The take's frames in order: reused segments of a parent (stored paths) and/or the new
    # clip (a path starting with NEW, relative to the scratch folder).
    segments: tuple[SegmentInfo, ...]
    head: tuple[str, ...] = ()
    tail: tuple[str, ...] = ()
    thumbnail: str | None = None
    model: str = ""
    parents: tuple[tuple[int, str], ...] = ()  # (take id, role: source | a | b)
    notes: str = ""
    extra: dict[str, Any] = field(default_factory=dict)
    # The take's sound in order (reused audio segments of a parent, the new clip's audio file
    # as a NEW path, silence as path ""), covering exactly its frames; () = a silent take.
    audio: tuple[AudioSegmentInfo, ...] = ()


def install_take(
    svc: Any, shot_id: int, scratch: Path | None, new: NewTake, *, select_it: bool = True
) -> TakeInfo:
    """Move ``scratch`` into the project and record the take; returns it."""
    uid = new_uid()
    dest_rel = f"{TAKES}/{uid}"

    def stored(path: str) -> str:
        return f"{dest_rel}/{path[len(NEW) :]}" if path.startswith(NEW) else path

    if any(s.path.startswith(NEW) for s in new.segments) and scratch is None:
        raise InvalidInput("a new clip needs its scratch folder")
    for seg in new.segments:
        if seg.end <= seg.start:
            raise InvalidInput(f"segment {seg.path} has no frames")
    if any(a.path.startswith(NEW) for a in new.audio) and scratch is None:
        raise InvalidInput("a new clip's sound needs its scratch folder")
    frame_count = sum(s.end - s.start for s in new.segments)
    _check_audio_covers(new.audio, frame_count, new.fps)
    hashes: dict[str, str] = {}
    if scratch is not None:
        for seg in (*new.segments, *new.audio):
            if seg.path.startswith(NEW):
                f = scratch / seg.path[len(NEW) :]
                if not f.is_file() or f.stat().st_size == 0:
                    raise InvalidInput(f"the generated clip {f.name} is missing or empty")
                hashes[seg.path] = sha256_file(f)
        install_dir(svc.folder, scratch, dest_rel)
    with svc._lock, db.write(svc.engine) as conn:
        shot = conn.execute(
            select(schema.shots.c.next_take_number).where(schema.shots.c.id == shot_id)
        ).first()
        if shot is None:
            raise InvalidInput(f"shot {shot_id} no longer exists")
        number = int(shot[0])
        take_id = conn.execute(
            insert(schema.takes).values(
                uid=uid,
                shot_id=shot_id,
                number=number,
                operation=new.operation,
                engine=new.engine,
                model=new.model,
                prompt=new.prompt,
                expanded_prompt=new.expanded_prompt,
                seed=new.seed,
                width=new.width,
                height=new.height,
                fps_num=new.fps.numerator,
                fps_den=new.fps.denominator,
                frame_count=frame_count,
                recipe=json.dumps(new.recipe, default=str),
                status="ready",
                notes=new.notes,
                thumbnail=stored(new.thumbnail) if new.thumbnail else None,
                head=json.dumps([stored(p) for p in new.head]),
                tail=json.dumps([stored(p) for p in new.tail]),
                created_at=db.utcnow(),
            )
        ).inserted_primary_key[0]
        for i, seg in enumerate(new.segments):
            conn.execute(
                insert(schema.segments).values(
                    take_id=take_id,
                    ordinal=i,
                    path=stored(seg.path),
                    start=seg.start,
                    end=seg.end,
                    sha256=hashes.get(seg.path, seg.sha256),
                )
            )
        for i, snd in enumerate(new.audio):
            conn.execute(
                insert(schema.audio_segments).values(
                    take_id=take_id,
                    ordinal=i,
                    path=stored(snd.path) if snd.path else "",
                    start=snd.start,
                    end=snd.end,
                    rate=snd.rate,
                    sha256=hashes.get(snd.path, snd.sha256),
                )
            )
        for parent_id, role in new.parents:
            conn.execute(
                insert(schema.take_parents).values(take_id=take_id, parent_id=parent_id, role=role)
            )
        values: dict[str, Any] = {"next_take_number": number + 1}
        if select_it:
            values.update(selected_take_id=take_id, trim_in=0, trim_out=None)
        conn.execute(update(schema.shots).where(schema.shots.c.id == shot_id).values(**values))
    from previz.services.project import Change

    svc._notify(Change(f"New take {number}", "takes"))
    return svc.take_by_id(int(take_id))


def _check_audio_covers(audio: tuple[AudioSegmentInfo, ...], frames: int, fps: Fraction) -> None:
    """A take's sound must last as long as its frames (within one frame), else it drifts."""
    if not audio:
        return
    for snd in audio:
        if snd.rate <= 0 or snd.end <= snd.start or snd.start < 0:
            raise InvalidInput(f"the sound {snd.path or '(silence)'} has no samples")
    seconds = sum(Fraction(a.samples, a.rate) for a in audio)
    if abs(seconds - Fraction(frames) / Fraction(fps)) > 1 / Fraction(fps):
        raise InvalidInput(
            f"the take's sound lasts {float(seconds):.3f} s but its {frames} frames last "
            f"{float(frames / Fraction(fps)):.3f} s; the clip and its sound do not match"
        )


def draft_sources(svc: Any, shot_id: int) -> dict[int, int]:
    """The full-quality takes of ``shot_id`` rendered from a draft: take id to its draft's id,
    oldest take first; deleted takes are left out.

    A re-render records its draft as its parent with the role ``draft`` (see
    ``Generation.rerender``), so the link is read from the lineage; nothing else stores it.
    Invert it (``{d: f for f, d in ...items()}``) for each draft's newest full-quality take.
    """
    tp, t = schema.take_parents, schema.takes
    query = (
        select(tp.c.take_id, tp.c.parent_id)
        .select_from(tp.join(t, t.c.id == tp.c.take_id))
        .where(and_(tp.c.role == "draft", t.c.shot_id == shot_id, t.c.deleted_at.is_(None)))
        .order_by(t.c.number)
    )
    with db.read(svc.engine) as conn:
        return {int(full): int(draft) for full, draft in conn.execute(query)}
