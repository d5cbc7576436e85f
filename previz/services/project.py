"""The project service: every read the UI and CLI need, and every edit as an undoable command.

Each edit runs in one write transaction and records its row changes in the undo log (see
:mod:`previz.store.journal`), so the CLI, the GUI and the tests drive exactly the same code.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, and_, func, select

from previz.core.codes import code_between, next_code
from previz.core.colors import normalize_color
from previz.core.elements import (
    MAX_DESCRIPTION,
    ElementSpec,
    check_element_kind,
    check_element_name,
    expand_prompt,
)
from previz.core.errors import Ambiguous, InvalidInput, NotFound, ProjectError
from previz.core.time import check_duration, describe_rate, is_drop_rate, parse_rate
from previz.core.values import (
    MAX_NAME_CHARS,
    MAX_PROMPT_CHARS,
    MAX_SIZE,
    MAX_TEXT_CHARS,
    MIN_SIZE,
    AudioSegmentInfo,
    ElementInfo,
    SegmentInfo,
    SequenceInfo,
    ShotInfo,
    TakeInfo,
)
from previz.store import db, journal, schema
from previz.store.folder import disk_usage, import_file, is_database_file, resolve
from previz.store.journal import Recorder
from previz.store.project_store import ProjectStore, _aspect

log = logging.getLogger(__name__)

S, Q, T, E, G = schema.shots, schema.sequences, schema.takes, schema.elements, schema.segments
A = schema.audio_segments  # a take's sound (path "" = silence, no file)

# Region edits name their mask files (and a cinemagraph its still) in ``recipe["region"]`` and,
# while queued, in their job's ``payload["region"]``: the sweep and purge keep those files.
REGION_OPERATIONS = ("inpaint", "cinemagraph")
# A job whose payload may still run: active, or retryable (JobQueue.retry takes these).
JOBS_THAT_MAY_RUN = ("pending", "running", "failed", "interrupted", "canceled")

SHOT_TEXT_FIELDS = ("prompt", "negative_prompt", "camera_notes", "notes", "dialogue", "scene")
TRANSITIONS = ("cut", "dissolve", "fade_black", "dip_color")
PRIORITY_LIMIT = 1000  # a shot's priority is -1000..1000 (higher first; 0 the default)


@dataclass(frozen=True)
class Change:
    """What a command did, for listeners (the GUI refreshes the parts that changed)."""

    label: str
    kind: str  # "edit" | "undo" | "redo" | "takes" | "jobs"


def _check_text(field: str, value: str, limit: int) -> str:
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be text")
    if len(value) > limit:
        raise InvalidInput(
            f"{field.replace('_', ' ')} is {len(value):,} characters, over the limit of "
            f"{limit:,}; shorten it (long notes belong in the notes field or a document)"
        )
    if "\x00" in value:
        raise InvalidInput(f"{field.replace('_', ' ')} contains a NUL character; remove it")
    return value


def _check_engine(value: Any) -> str:
    """ "" (the app's default) or the name of a registered engine."""
    from engine.registry import known_engines

    names = [e.name for e in known_engines()]
    name = str(value or "").strip().lower()
    if name and name not in names:
        raise InvalidInput(
            f"engine {value!r} is not one of: {', '.join(names)} (or empty for the default in "
            "Settings)"
        )
    return name


def _check_name(what: str, name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput(f"{what} name cannot be empty")
    return _check_text(f"{what} name", name, MAX_NAME_CHARS)


def check_size(width: int, height: int) -> tuple[int, int]:
    for v, label in ((width, "width"), (height, "height")):
        if not MIN_SIZE <= v <= MAX_SIZE:
            raise InvalidInput(f"{label} {v} is out of range ({MIN_SIZE}..{MAX_SIZE} pixels)")
    if width % 2 or height % 2:
        raise InvalidInput(f"size {width}x{height} must be even in both directions for video")
    return width, height


def parse_size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().replace("×", "x").split("x"))
    except ValueError:
        raise InvalidInput(f"size {text!r} is not WIDTHxHEIGHT, e.g. 1280x720") from None
    return check_size(w, h)


class ProjectService:
    """A project opened for reading and editing. Use :meth:`open` / :meth:`create`."""

    def __init__(self, store: ProjectStore) -> None:
        self.store = store
        self.folder = store.folder
        self._listeners: list[Callable[[Change], None]] = []
        self._lock = threading.RLock()

    # --- lifecycle ----------------------------------------------------------------------------

    @classmethod
    def open(cls, path: str | Path) -> ProjectService:
        return cls(ProjectStore.open(path))

    @classmethod
    def create(
        cls,
        path: str | Path,
        *,
        name: str | None = None,
        fps: str | Fraction = "24",
        size: str | tuple[int, int] = (1280, 720),
    ) -> ProjectService:
        rate = parse_rate(fps)
        w, h = parse_size(size) if isinstance(size, str) else check_size(*size)
        if name is not None:
            name = _check_name("project", name)
        return cls(ProjectStore.create(path, name=name, fps=rate, width=w, height=h))

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> ProjectService:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def engine(self):  # type: ignore[no-untyped-def]
        return self.store.engine

    def subscribe(self, fn: Callable[[Change], None]) -> None:
        self._listeners.append(fn)

    def _notify(self, change: Change) -> None:
        for fn in list(self._listeners):
            try:
                fn(change)
            except Exception:  # a listener must never break an edit
                log.exception("change listener failed")

    # --- the command mechanism ----------------------------------------------------------------

    @contextmanager
    def command(self, label: str) -> Iterator[Recorder]:
        """Run an undoable edit: one transaction, recorded in the undo log."""
        with self._lock, db.write(self.engine) as conn:
            rec = Recorder(conn, label)
            yield rec
            journal.record(conn, rec.label, rec.changes)
        self._notify(Change(rec.label, "edit"))

    def undo(self) -> str | None:
        with self._lock, db.write(self.engine) as conn:
            label = journal.undo(conn)
        if label:
            self._notify(Change(label, "undo"))
        return label

    def redo(self) -> str | None:
        with self._lock, db.write(self.engine) as conn:
            label = journal.redo(conn)
        if label:
            self._notify(Change(label, "redo"))
        return label

    def undo_labels(self) -> tuple[str | None, str | None]:
        with db.read(self.engine) as conn:
            return journal.peek(conn)

    # --- project ------------------------------------------------------------------------------

    def name(self) -> str:
        return str(self.store.project_row()["name"])

    def settings(self) -> dict[str, Any]:
        return self.store.settings()

    def info(self) -> dict[str, Any]:
        row = self.store.project_row()
        with db.read(self.engine) as conn:
            n_seq = conn.execute(
                select(func.count()).select_from(Q).where(Q.c.deleted_at.is_(None))
            ).scalar()
            n_shots = conn.execute(
                select(func.count())
                .select_from(S.join(Q, S.c.sequence_id == Q.c.id))
                .where(S.c.deleted_at.is_(None), Q.c.deleted_at.is_(None))
            ).scalar()
            n_takes = conn.execute(
                select(func.count()).select_from(T).where(T.c.deleted_at.is_(None))
            ).scalar()
            n_deleted = conn.execute(
                select(func.count())
                .select_from(T)
                .where(T.c.deleted_at.is_not(None), T.c.status != "purged")
            ).scalar()
            rev = db.current_revision(conn)
        return {
            "name": row["name"],
            "path": str(self.folder),
            "uid": row["uid"],
            "created_at": row["created_at"],
            "schema": rev,
            "sequences": n_seq,
            "shots": n_shots,
            "takes": n_takes,
            "deleted_takes": n_deleted,
            "disk": disk_usage(self.folder),
            "missing_media": self.missing_media(),
        }

    # --- sequences ----------------------------------------------------------------------------

    def sequences(self) -> list[SequenceInfo]:
        with db.read(self.engine) as conn:
            return self._sequences(conn)

    def _sequences(self, conn: Connection) -> list[SequenceInfo]:
        stats = (
            select(
                S.c.sequence_id,
                func.count().label("n"),
                func.coalesce(func.sum(S.c.duration_frames), 0).label("d"),
            )
            .where(S.c.deleted_at.is_(None))
            .group_by(S.c.sequence_id)
            .subquery()
        )
        rows = conn.execute(
            select(Q, stats.c.n, stats.c.d)
            .outerjoin(stats, stats.c.sequence_id == Q.c.id)
            .where(Q.c.deleted_at.is_(None))
            .order_by(Q.c.position, Q.c.id)
        ).mappings()
        return [
            SequenceInfo(
                id=r["id"],
                name=r["name"],
                position=i,
                scene=r["scene"],
                fps=Fraction(r["fps_num"], r["fps_den"]),
                width=r["width"],
                height=r["height"],
                aspect=r["aspect"],
                drop_frame=bool(r["drop_frame"]),
                shot_count=r["n"] or 0,
                duration_frames=r["d"] or 0,
                script_status=r["script_status"],
            )
            for i, r in enumerate(rows)
        ]

    def sequence(self, ref: str | int | None = None) -> SequenceInfo:
        """A sequence by id, name or scene; the first one when ``ref`` is None."""
        seqs = self.sequences()
        if not seqs:
            raise NotFound("the project has no sequences; add one with `previz seq add`")
        if ref is None or ref == "":
            return seqs[0]
        if isinstance(ref, int):
            for s in seqs:
                if s.id == ref:
                    return s
            raise NotFound(f"sequence id {ref} does not exist")
        key = str(ref).strip().lower()
        exact = [s for s in seqs if s.name.lower() == key]
        if len(exact) == 1:
            return exact[0]
        scene = [s for s in seqs if s.scene and s.scene.lower() == key]
        if len(scene) == 1:
            return scene[0]
        matches = exact or scene
        if len(matches) > 1:
            raise Ambiguous(
                f"sequence {ref!r} matches several: " + ", ".join(s.name for s in matches)
            )
        if key.isdigit() and 1 <= int(key) <= len(seqs) and not any(s.scene for s in seqs):
            return seqs[int(key) - 1]
        names = ", ".join(s.name for s in seqs[:10])
        raise NotFound(f"no sequence named {ref!r}; the project has: {names}")

    def add_sequence(
        self,
        name: str,
        *,
        fps: str | Fraction | None = None,
        size: str | tuple[int, int] | None = None,
        scene: str = "",
        index: int | None = None,
        source_key: str = "",
        source_heading: str = "",
        drop_frame: bool | None = None,
    ) -> SequenceInfo:
        name = _check_name("sequence", name)
        scene = _check_text("scene", scene.strip(), 32)
        existing = self.sequences()
        template = existing[0] if existing else None
        rate = parse_rate(fps) if fps is not None else (template.fps if template else Fraction(24))
        if drop_frame is None:  # follow the template when it has the same rate
            drop_frame = bool(template and template.drop_frame and template.fps == rate)
        _check_drop_frame(drop_frame, rate)
        if size is None:
            w, h = (template.width, template.height) if template else (1280, 720)
        else:
            w, h = parse_size(size) if isinstance(size, str) else check_size(*size)
        if any(s.name.lower() == name.lower() for s in existing):
            raise InvalidInput(f"a sequence named {name!r} already exists; choose another name")
        with self.command(f"Add sequence {name}") as rec:
            new_id = insert_sequence_row(
                rec,
                name=name,
                index=index,
                scene=scene,
                fps=rate,
                size=(w, h),
                source_key=source_key,
                source_heading=source_heading,
                drop_frame=drop_frame,
            )
        return self.sequence(new_id)

    def rename_sequence(self, ref: str | int, name: str) -> SequenceInfo:
        seq = self.sequence(ref)
        name = _check_name("sequence", name)
        if any(s.name.lower() == name.lower() and s.id != seq.id for s in self.sequences()):
            raise InvalidInput(f"a sequence named {name!r} already exists; choose another name")
        with self.command(f"Rename sequence {seq.name} to {name}") as rec:
            rec.update(Q, seq.id, name=name)
        return self.sequence(seq.id)

    def edit_sequence(
        self,
        ref: str | int,
        *,
        fps: str | None = None,
        size: str | None = None,
        scene: str | None = None,
        drop_frame: bool | None = None,
    ) -> SequenceInfo:
        """Change a sequence's settings (undoable). ``drop_frame`` is refused at rates other
        than 29.97/59.94; a new rate where drop-frame does not exist turns it off."""
        seq = self.sequence(ref)
        values: dict[str, Any] = {}
        rate = seq.fps
        if fps is not None:
            rate = parse_rate(fps)
            values.update(fps_num=rate.numerator, fps_den=rate.denominator)
        if drop_frame is not None:
            _check_drop_frame(drop_frame, rate)
            values["drop_frame"] = bool(drop_frame)
        elif seq.drop_frame and not is_drop_rate(rate):
            values["drop_frame"] = False
        if size is not None:
            w, h = parse_size(size)
            values.update(width=w, height=h, aspect=_aspect(w, h))
        if scene is not None:
            values["scene"] = _check_text("scene", scene.strip(), 32)
        if not values:
            return seq
        with self.command(f"Edit sequence {seq.name}") as rec:
            rec.update(Q, seq.id, **values)
        return self.sequence(seq.id)

    def remove_sequence(self, ref: str | int) -> SequenceInfo:
        seq = self.sequence(ref)
        if len(self.sequences()) == 1:
            raise InvalidInput(
                "a project needs at least one sequence; add another before removing this"
            )
        with self.command(f"Remove sequence {seq.name}") as rec:
            rec.update(Q, seq.id, deleted_at=db.utcnow())
        return seq

    # --- shots: reads -------------------------------------------------------------------------

    def shots(self, seq: str | int | None = None) -> list[ShotInfo]:
        """Everything the timeline shows for a sequence's live shots, in order (one query)."""
        s = self.sequence(seq)
        with db.read(self.engine) as conn:
            return self._shot_infos(conn, S.c.sequence_id == s.id, {s.id: s.name})

    def _shot_infos(self, conn: Connection, where, seq_names: dict[int, str]) -> list[ShotInfo]:  # type: ignore[no-untyped-def]
        counts = (
            select(T.c.shot_id, func.count().label("n"))
            .where(T.c.deleted_at.is_(None))
            .group_by(T.c.shot_id)
            .subquery()
        )
        sel = T.alias("sel")
        J = schema.jobs
        active = (
            select(J.c.shot_id, func.max(J.c.status).label("st"))
            .where(J.c.status.in_(("pending", "running")))
            .group_by(J.c.shot_id)
            .subquery()
        )
        rows = conn.execute(
            select(
                S,
                counts.c.n,
                sel.c.number.label("sel_number"),
                sel.c.thumbnail.label("sel_thumb"),
                active.c.st,
            )
            .outerjoin(counts, counts.c.shot_id == S.c.id)
            .outerjoin(sel, sel.c.id == S.c.selected_take_id)
            .outerjoin(active, active.c.shot_id == S.c.id)
            .where(where, S.c.deleted_at.is_(None))
            .order_by(S.c.sequence_id, S.c.position, S.c.id)
        ).mappings()
        out: list[ShotInfo] = []
        index: dict[int, int] = {}
        failed = self._failed_shots(conn)
        removed = set(conn.execute(select(Q.c.id).where(Q.c.script_status == "removed")).scalars())
        for r in rows:
            i = index.get(r["sequence_id"], 0)
            index[r["sequence_id"]] = i + 1
            if r["st"] == "running":
                status = "generating"
            elif r["st"] == "pending":
                status = "queued"
            elif r["id"] in failed:
                status = "failed"
            elif r["selected_take_id"] is not None:
                status = "done"
            else:
                status = "empty"
            out.append(
                ShotInfo(
                    id=r["id"],
                    sequence_id=r["sequence_id"],
                    sequence_name=seq_names.get(r["sequence_id"], ""),
                    index=i,
                    code=r["code"],
                    scene=r["scene"],
                    prompt=r["prompt"],
                    negative_prompt=r["negative_prompt"],
                    duration_frames=r["duration_frames"],
                    camera_notes=r["camera_notes"],
                    notes=r["notes"],
                    dialogue=r["dialogue"],
                    trim_in=r["trim_in"],
                    trim_out=r["trim_out"],
                    selected_take_id=r["selected_take_id"],
                    selected_take_number=r["sel_number"],
                    take_count=r["n"] or 0,
                    thumbnail=r["sel_thumb"],
                    status=status,
                    seed=r["seed"],
                    transition_kind=r["transition_kind"],
                    transition_frames=r["transition_frames"],
                    transition_color=r["transition_color"],
                    engine=r["engine"],
                    model=r["model"],
                    script_status="removed" if r["sequence_id"] in removed else r["script_status"],
                    priority=r["priority"],
                )
            )
        return out

    def _failed_shots(self, conn: Connection) -> set[int]:
        """Shots whose newest finished job failed (the badge shows it until a take lands)."""
        J = schema.jobs
        newest = (
            select(J.c.shot_id, func.max(J.c.id).label("jid"))
            .where(J.c.status.in_(("done", "failed", "interrupted")), J.c.shot_id.is_not(None))
            .group_by(J.c.shot_id)
            .subquery()
        )
        rows = conn.execute(
            select(J.c.shot_id)
            .join(newest, newest.c.jid == J.c.id)
            .where(J.c.status.in_(("failed", "interrupted")))
        )
        return {r[0] for r in rows}

    def shot(self, shot_id: int) -> ShotInfo:
        with db.read(self.engine) as conn:
            names = {s.id: s.name for s in self._sequences(conn)}
            found = self._shot_infos(conn, S.c.id == shot_id, names)
            if not found:
                raise NotFound(f"shot id {shot_id} does not exist (it may have been deleted)")
            info = found[0]
            # its place among the sequence's live shots, in the order shots() lists them
            pos = conn.execute(select(S.c.position).where(S.c.id == shot_id)).scalar_one()
            index = conn.execute(
                select(func.count())
                .select_from(S)
                .where(
                    S.c.sequence_id == info.sequence_id,
                    S.c.deleted_at.is_(None),
                    (S.c.position < pos) | ((S.c.position == pos) & (S.c.id < shot_id)),
                )
            ).scalar_one()
        return replace(info, index=int(index))

    def resolve_shot(self, ref: str | int) -> ShotInfo:
        """``SEQ/CODE`` or a bare ``CODE`` unique in the project (else a usage error listing all)."""
        if isinstance(ref, int):
            return self.shot(ref)
        text_ref = str(ref).strip()
        with db.read(self.engine) as conn:
            seqs = self._sequences(conn)
            names = {s.id: s.name for s in seqs}
            if "/" in text_ref:
                seq_part, code = text_ref.rsplit("/", 1)
                seq = self.sequence(seq_part)
                found = self._shot_infos(
                    conn, and_(S.c.sequence_id == seq.id, S.c.code == code.upper()), names
                )
                if not found:
                    raise NotFound(
                        f"no shot {code.upper()} in sequence {seq.name!r}; "
                        f"list them with `previz shot list DIR --seq {seq.name!r}`"
                    )
                return self.shot(found[0].id)
            live = [s.id for s in seqs]
            found = self._shot_infos(
                conn, and_(S.c.code == text_ref.upper(), S.c.sequence_id.in_(live)), names
            )
        if not found:
            raise NotFound(f"no shot with code {text_ref!r}; list them with `previz shot list DIR`")
        if len(found) > 1:
            opts = ", ".join(f"{s.sequence_name}/{s.code}" for s in found)
            raise Ambiguous(f"shot code {text_ref!r} is in several sequences; use one of: {opts}")
        return self.shot(found[0].id)

    # --- shots: edits -------------------------------------------------------------------------

    def _live_positions(self, conn: Connection, seq_id: int) -> list[tuple[int, int, str]]:
        return [
            (r[0], r[1], r[2])
            for r in conn.execute(
                select(S.c.id, S.c.position, S.c.code)
                .where(S.c.sequence_id == seq_id, S.c.deleted_at.is_(None))
                .order_by(S.c.position, S.c.id)
            )
        ]

    def _all_codes(self, conn: Connection, seq_id: int) -> list[str]:
        return [r[0] for r in conn.execute(select(S.c.code).where(S.c.sequence_id == seq_id))]

    def _validate_shot_fields(self, fields: dict[str, Any], fps: Fraction) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, value in fields.items():
            if value is None:
                continue
            if key == "prompt" or key == "negative_prompt":
                out[key] = _check_text(key, value, MAX_PROMPT_CHARS)
            elif key in ("camera_notes", "notes", "dialogue"):
                out[key] = _check_text(key, value, MAX_TEXT_CHARS)
            elif key == "scene":
                out[key] = _check_text("scene", str(value).strip(), 32)
            elif key == "duration_frames":
                if not isinstance(value, int):
                    raise InvalidInput("duration must be a whole number of frames")
                check_duration(value, fps)
                out[key] = value
            elif key == "seed":
                if not isinstance(value, int) or not 0 <= value < 2**63:
                    raise InvalidInput(f"seed {value!r} must be a whole number from 0 to 2^63-1")
                out[key] = value
            elif key == "transition_kind":
                if value not in TRANSITIONS:
                    raise InvalidInput(
                        f"transition {value!r} is not one of: {', '.join(TRANSITIONS)}"
                    )
                out[key] = value
            elif key == "transition_color":
                out[key] = normalize_color(value) if value else ""
            elif key == "transition_frames":
                if not isinstance(value, int) or value < 0 or value > 10 * fps:
                    raise InvalidInput("transition length must be 0 to 10 seconds of frames")
                out[key] = value
            elif key == "priority":
                if isinstance(value, bool) or not isinstance(value, int):
                    raise InvalidInput(f"priority {value!r} must be a whole number (higher first)")
                if not -PRIORITY_LIMIT <= value <= PRIORITY_LIMIT:
                    raise InvalidInput(
                        f"priority {value} is out of range: give -{PRIORITY_LIMIT} to "
                        f"{PRIORITY_LIMIT} (higher runs first, 0 is the default)"
                    )
                out[key] = value
            elif key == "engine":
                out[key] = _check_engine(value)
            elif key == "model":
                out[key] = _check_text("model", str(value).strip(), 512)
            elif key in ("source_key", "source_prompt"):
                out[key] = str(value)
            else:
                raise InvalidInput(f"a shot has no field {key!r}")
        return out

    def add_shot(
        self,
        seq: str | int | None = None,
        *,
        index: int | None = None,
        prompt: str = "",
        duration_frames: int | None = None,
        **fields: Any,
    ) -> ShotInfo:
        """Add a shot at ``index`` (default: the end). Its code follows the neighbours'."""
        s = self.sequence(seq)
        if duration_frames is None:
            duration_frames = int(round(s.fps * 4))
        values = self._validate_shot_fields(
            {"prompt": prompt, "duration_frames": duration_frames, **fields}, s.fps
        )
        values.setdefault("scene", s.scene)
        with self.command("Add shot") as rec:
            new_id, code = self._insert_shot(rec, s, index, values)
            rec.label = f"Add shot {code}"
        return self.shot(new_id)

    def _insert_shot(
        self, rec: Recorder, s: SequenceInfo, index: int | None, values: dict[str, Any]
    ) -> tuple[int, str]:
        """Insert a shot row at live ``index`` (None: the end) inside a command; (id, code)."""
        live = self._live_positions(rec.conn, s.id)
        codes = self._all_codes(rec.conn, s.id)
        if index is None or index >= len(live):
            code = next_code(codes) if not live else code_between(live[-1][2], None, codes)
            pos = (live[-1][1] + 1) if live else 0
        else:
            if index < 0:
                raise InvalidInput(f"shot index {index} is out of range")
            before = live[index - 1][2] if index > 0 else None
            code = code_between(before, live[index][2], codes)
            pos = live[index][1]
            # make room: every shot (live or deleted) at or after pos moves up one
            rows = rec.conn.execute(
                select(S.c.id, S.c.position)
                .where(S.c.sequence_id == s.id, S.c.position >= pos)
                .order_by(S.c.position)
            ).all()
            before_pos = {r[0]: {"position": r[1]} for r in rows}
            rec.update_many(S, {r[0]: {"position": r[1] + 1} for r in rows}, before_pos)
        new_id = rec.insert(
            S,
            dict(
                sequence_id=s.id,
                position=pos,
                code=code,
                created_at=db.utcnow(),
                next_take_number=1,
                **values,
            ),
        )
        return new_id, code

    def edit_shot(self, shot: int | str, **fields: Any) -> ShotInfo:
        info = self.resolve_shot(shot)
        seq = self.sequence(info.sequence_id)
        values = self._validate_shot_fields(fields, seq.fps)
        if not values:
            return info
        with self.command(f"Edit shot {info.label}") as rec:
            rec.update(S, info.id, **values)
        return self.shot(info.id)

    def trim_shot(self, shot: int | str, trim_in: int | None, trim_out: int | None) -> ShotInfo:
        """Set the in/out trim (frames of the selected take; out is exclusive, None = to the end)."""
        info = self.resolve_shot(shot)
        length = info.duration_frames
        if info.selected_take_id is not None:
            length = self.take_by_id(info.selected_take_id).frame_count
        tin = info.trim_in if trim_in is None else trim_in
        tout = trim_out
        if tin < 0 or tin >= length:
            raise InvalidInput(f"trim in {tin} is outside the take (0..{length - 1})")
        if tout is not None and not tin < tout <= length:
            raise InvalidInput(f"trim out {tout} must be after trim in {tin} and at most {length}")
        with self.command(f"Trim shot {info.label}") as rec:
            rec.update(S, info.id, trim_in=tin, trim_out=tout)
        return self.shot(info.id)

    def move_shot(self, shot: int | str, index: int) -> ShotInfo:
        """Move a shot to ``index`` among its sequence's live shots (its code does not change)."""
        info = self.resolve_shot(shot)
        with self.command(f"Move shot {info.label}") as rec:
            live = self._live_positions(rec.conn, info.sequence_id)
            if not 0 <= index < len(live):
                raise InvalidInput(f"position {index + 1} is out of range (1..{len(live)})")
            all_rows = rec.conn.execute(
                select(S.c.id, S.c.position)
                .where(S.c.sequence_id == info.sequence_id)
                .order_by(S.c.position, S.c.id)
            ).all()
            order = [r[0] for r in all_rows]
            live_ids = [r[0] for r in live]
            order.remove(info.id)
            others = [i for i in live_ids if i != info.id]
            if index < len(others):
                order.insert(order.index(others[index]), info.id)
            else:
                order.insert(order.index(others[-1]) + 1 if others else 0, info.id)
            before = {r[0]: {"position": r[1]} for r in all_rows}
            changed = {
                sid: {"position": p} for p, sid in enumerate(order) if before[sid]["position"] != p
            }
            rec.update_many(S, changed, before)
        return self.shot(info.id)

    def move_shots(self, shot_ids: list[int], index: int) -> list[ShotInfo]:
        """Move several shots of one sequence together (one undo step). ``index`` counts the
        shots that are not moving; the moved ones keep their relative order."""
        if not shot_ids:
            return []
        infos = [self.resolve_shot(i) for i in shot_ids]
        seq_ids = {s.sequence_id for s in infos}
        if len(seq_ids) != 1:
            raise InvalidInput("shots from different sequences cannot be moved together")
        seq_id = seq_ids.pop()
        moving = {s.id for s in infos}
        with self.command(f"Move {len(moving)} shots") as rec:
            all_rows = rec.conn.execute(
                select(S.c.id, S.c.position)
                .where(S.c.sequence_id == seq_id)
                .order_by(S.c.position, S.c.id)
            ).all()
            live = [r[0] for r in self._live_positions(rec.conn, seq_id)]
            moved = [i for i in live if i in moving]
            rest = [i for i in live if i not in moving]
            if not 0 <= index <= len(rest):
                raise InvalidInput(f"position {index + 1} is out of range (1..{len(rest) + 1})")
            target_live = rest[:index] + moved + rest[index:]
            # deleted shots keep their place relative to the live shot after them
            order = [r[0] for r in all_rows if r[0] not in set(live)]
            result: list[int] = []
            deleted_before: dict[int, list[int]] = {}
            pending: list[int] = []
            for r in all_rows:
                if r[0] in set(live):
                    deleted_before[r[0]] = pending
                    pending = []
                else:
                    pending.append(r[0])
            for sid in target_live:
                result += deleted_before.get(sid, []) + [sid]
            result += pending
            assert sorted(result) == sorted(order + live)
            before = {r[0]: {"position": r[1]} for r in all_rows}
            changed = {
                sid: {"position": p} for p, sid in enumerate(result) if before[sid]["position"] != p
            }
            rec.update_many(S, changed, before)
        return [self.shot(i) for i in shot_ids]

    def unlock_seed(self, shot: int | str) -> ShotInfo:
        """New takes of this shot get a new seed again (one undo step)."""
        info = self.resolve_shot(shot)
        with self.command(f"Unlock seed of {info.label}") as rec:
            rec.update(S, info.id, seed=None)
        return self.shot(info.id)

    def duplicate_shot(self, shot: int | str) -> ShotInfo:
        return self.duplicate_shots([shot])[0]

    def duplicate_shots(self, shots: list[int | str]) -> list[ShotInfo]:
        """Copy each shot (prompt, notes, timing, seed, transition; no takes) right after it,
        all in one undo step. Returns the copies in the order of ``shots``."""
        infos = [self.resolve_shot(x) for x in shots]
        if not infos:
            return []
        with db.read(self.engine) as conn:
            rows = {
                r["id"]: dict(r)
                for r in conn.execute(select(S).where(S.c.id.in_([i.id for i in infos])))
                .mappings()
                .all()
            }
        seqs = {i.sequence_id: self.sequence(i.sequence_id) for i in infos}
        copies: dict[int, int] = {}
        label = (
            f"Duplicate shot {infos[0].label}"
            if len(infos) == 1
            else (f"Duplicate {len(infos)} shots")
        )
        with self.command(label) as rec:
            for info in infos:
                if info.id in copies:
                    continue
                seq = seqs[info.sequence_id]
                row = rows[info.id]
                copy = {
                    k: row[k]
                    for k in (
                        *SHOT_TEXT_FIELDS,
                        "seed",
                        "transition_kind",
                        "transition_frames",
                        "transition_color",
                        "engine",
                        "model",
                        "priority",
                    )
                }
                values = self._validate_shot_fields(
                    {**copy, "duration_frames": row["duration_frames"]}, seq.fps
                )
                live = [r[0] for r in self._live_positions(rec.conn, seq.id)]
                new_id, _ = self._insert_shot(rec, seq, live.index(info.id) + 1, values)
                copies[info.id] = new_id
        return [self.shot(copies[i.id]) for i in infos]

    def remove_shot(self, shot: int | str) -> ShotInfo:
        return self.remove_shots([shot])[0]

    def remove_shots(self, shots: list[int | str]) -> list[ShotInfo]:
        """Delete shots (their takes stay on disk until a purge), in one undo step."""
        infos = [self.resolve_shot(x) for x in shots]
        if not infos:
            return []
        label = (
            f"Delete shot {infos[0].label}" if len(infos) == 1 else (f"Delete {len(infos)} shots")
        )
        with self.command(label) as rec:
            for info in {i.id: i for i in infos}.values():
                rec.update(S, info.id, deleted_at=db.utcnow())
        return infos

    # --- takes --------------------------------------------------------------------------------

    def _take_infos(self, conn: Connection, where) -> list[TakeInfo]:  # type: ignore[no-untyped-def]
        rows = (
            conn.execute(
                select(T, S.c.selected_take_id)
                .join(S, S.c.id == T.c.shot_id)
                .where(where)
                .order_by(T.c.shot_id, T.c.number)
            )
            .mappings()
            .all()
        )
        ids = [r["id"] for r in rows]
        parents: dict[int, list[int]] = {}
        segs: dict[int, list[SegmentInfo]] = {}
        sounds: dict[int, list[AudioSegmentInfo]] = {}
        if ids:
            P = schema.take_parents
            for r in conn.execute(select(P.c.take_id, P.c.parent_id).where(P.c.take_id.in_(ids))):
                parents.setdefault(r[0], []).append(r[1])
            for r in conn.execute(
                select(G.c.take_id, G.c.path, G.c.start, G.c.end, G.c.sha256)
                .where(G.c.take_id.in_(ids))
                .order_by(G.c.take_id, G.c.ordinal)
            ):
                segs.setdefault(r[0], []).append(SegmentInfo(r[1], r[2], r[3], r[4]))
            for r in conn.execute(
                select(A.c.take_id, A.c.path, A.c.start, A.c.end, A.c.rate, A.c.sha256)
                .where(A.c.take_id.in_(ids))
                .order_by(A.c.take_id, A.c.ordinal)
            ):
                sounds.setdefault(r[0], []).append(AudioSegmentInfo(*r[1:]))
        return [
            TakeInfo(
                id=r["id"],
                uid=r["uid"],
                shot_id=r["shot_id"],
                number=r["number"],
                operation=r["operation"],
                engine=r["engine"],
                model=r["model"],
                prompt=r["prompt"],
                expanded_prompt=r["expanded_prompt"],
                seed=r["seed"],
                width=r["width"],
                height=r["height"],
                fps=Fraction(r["fps_num"], r["fps_den"]),
                frame_count=r["frame_count"],
                status=r["status"],
                rating=r["rating"],
                circled=bool(r["circled"]),
                notes=r["notes"],
                deleted=r["deleted_at"] is not None,
                selected=r["selected_take_id"] == r["id"],
                created_at=r["created_at"],
                recipe=json.loads(r["recipe"] or "{}"),
                parents=tuple(parents.get(r["id"], ())),
                segments=tuple(segs.get(r["id"], ())),
                thumbnail=r["thumbnail"],
                head=tuple(json.loads(r["head"] or "[]")),
                tail=tuple(json.loads(r["tail"] or "[]")),
                audio=tuple(sounds.get(r["id"], ())),
            )
            for r in rows
        ]

    def takes(self, shot: int | str, *, include_deleted: bool = False) -> list[TakeInfo]:
        info = self.resolve_shot(shot)
        with db.read(self.engine) as conn:
            where = T.c.shot_id == info.id
            if not include_deleted:
                where = and_(where, T.c.deleted_at.is_(None))
            return self._take_infos(conn, where)

    def take_by_id(self, take_id: int) -> TakeInfo:
        with db.read(self.engine) as conn:
            found = self._take_infos(conn, T.c.id == take_id)
        if not found:
            raise NotFound(f"take id {take_id} does not exist")
        return found[0]

    def take(self, shot: int | str, number: int | None = None) -> TakeInfo:
        """Take ``number`` of a shot, or its selected take when ``number`` is None."""
        info = self.resolve_shot(shot)
        if number is None:
            if info.selected_take_id is None:
                raise NotFound(f"shot {info.label} has no take yet; generate one first")
            return self.take_by_id(info.selected_take_id)
        with db.read(self.engine) as conn:
            found = self._take_infos(conn, and_(T.c.shot_id == info.id, T.c.number == number))
        if not found or found[0].deleted:
            numbers = [t.number for t in self.takes(info.id)]
            have = ", ".join(map(str, numbers)) or "none"
            raise NotFound(f"shot {info.label} has no take {number} (takes: {have})")
        return found[0]

    def select_take(self, shot: int | str, number: int) -> TakeInfo:
        info = self.resolve_shot(shot)
        t = self.take(info.id, number)
        with self.command(f"Select take {number} of {info.label}") as rec:
            rec.update(S, info.id, selected_take_id=t.id, trim_in=0, trim_out=None)
        return self.take_by_id(t.id)

    def rate_take(
        self,
        shot: int | str,
        number: int,
        *,
        rating: int | None = None,
        circled: bool | None = None,
        notes: str | None = None,
    ) -> TakeInfo:
        info = self.resolve_shot(shot)
        t = self.take(info.id, number)
        values: dict[str, Any] = {}
        if rating is not None:
            if not 0 <= rating <= 5:
                raise InvalidInput(f"rating {rating} must be 0 to 5 stars")
            values["rating"] = rating
        if circled is not None:
            values["circled"] = bool(circled)
        if notes is not None:
            values["notes"] = _check_text("notes", notes, MAX_TEXT_CHARS)
        with self.command(f"Rate take {number} of {info.label}") as rec:
            rec.update(T, t.id, **values)
        return self.take_by_id(t.id)

    def remove_take(self, shot: int | str, number: int) -> TakeInfo:
        """Soft-delete a take (undoable; `purge` frees its disk later)."""
        info = self.resolve_shot(shot)
        t = self.take(info.id, number)
        with self.command(f"Delete take {number} of {info.label}") as rec:
            rec.update(T, t.id, deleted_at=db.utcnow())
            if info.selected_take_id == t.id:
                nxt = rec.conn.execute(
                    select(T.c.id)
                    .where(T.c.shot_id == info.id, T.c.deleted_at.is_(None))
                    .order_by(T.c.number.desc())
                    .limit(1)
                ).scalar()
                rec.update(S, info.id, selected_take_id=nxt, trim_in=0, trim_out=None)
        return t

    # --- elements -----------------------------------------------------------------------------

    def elements(self) -> list[ElementInfo]:
        with db.read(self.engine) as conn:
            rows = conn.execute(select(E).order_by(E.c.kind, E.c.name_key)).mappings()
            return [
                ElementInfo(r["id"], r["name"], r["kind"], r["description"], r["image"])
                for r in rows
            ]

    def element(self, name: str) -> ElementInfo:
        key = check_element_name(name).lower()
        for el in self.elements():
            if el.name.lower() == key:
                return el
        raise NotFound(
            f"no element named @{name.lstrip('@')}; list them with `previz element list`"
        )

    def add_element(
        self,
        name: str,
        kind: str = "character",
        description: str = "",
        image: str | Path | None = None,
    ) -> ElementInfo:
        name = check_element_name(name)
        kind = check_element_kind(kind)
        description = _check_text("description", description.strip(), MAX_DESCRIPTION)
        if any(e.name.lower() == name.lower() for e in self.elements()):
            raise InvalidInput(
                f"an element named @{name} already exists; edit it or pick another name"
            )
        stored = None
        if image is not None:
            _check_image(Path(image))
            stored = import_file(self.folder, Path(image), "media/elements")
        with self.command(f"Add element @{name}") as rec:
            rec.insert(
                E,
                dict(
                    name=name,
                    name_key=name.lower(),
                    kind=kind,
                    description=description,
                    image=stored,
                    created_at=db.utcnow(),
                ),
            )
        return self.element(name)

    def edit_element(
        self,
        name: str,
        *,
        description: str | None = None,
        kind: str | None = None,
        image: str | Path | None = None,
    ) -> ElementInfo:
        el = self.element(name)
        values: dict[str, Any] = {}
        if description is not None:
            values["description"] = _check_text("description", description.strip(), MAX_DESCRIPTION)
        if kind is not None:
            values["kind"] = check_element_kind(kind)
        if image is not None:
            _check_image(Path(image))
            values["image"] = import_file(self.folder, Path(image), "media/elements")
        with self.command(f"Edit element @{el.name}") as rec:
            rec.update(E, el.id, **values)
        return self.element(el.name)

    def remove_element(self, name: str) -> ElementInfo:
        el = self.element(name)
        with self.command(f"Remove element @{el.name}") as rec:
            rec.delete(E, el.id)
        return el

    def expand(self, prompt: str):  # type: ignore[no-untyped-def]
        specs = {
            e.name.lower(): ElementSpec(e.name, e.kind, e.description) for e in self.elements()
        }
        return expand_prompt(prompt, specs)

    # --- media housekeeping -------------------------------------------------------------------

    def missing_media(self) -> list[str]:
        """Stored paths of live takes whose file is gone (reported, never deleted)."""
        missing: list[str] = []
        with db.read(self.engine) as conn:
            rows = conn.execute(
                select(G.c.path)
                .join(T, T.c.id == G.c.take_id)
                .where(T.c.deleted_at.is_(None))
                .union(
                    select(A.c.path)
                    .join(T, T.c.id == A.c.take_id)
                    .where(T.c.deleted_at.is_(None), A.c.path != "")
                )
            )
            for (path,) in rows:
                try:
                    ok = resolve(self.folder, path).is_file()
                except ProjectError:
                    ok = False
                if not ok:
                    missing.append(path)
        return missing

    def referenced_paths(self, conn: Connection, *, live_only: bool) -> set[str]:
        where = T.c.deleted_at.is_(None) if live_only else T.c.status != "purged"
        refs: set[str] = set()
        for (path,) in conn.execute(select(G.c.path).join(T, T.c.id == G.c.take_id).where(where)):
            refs.add(path)
        for (path,) in conn.execute(select(A.c.path).join(T, T.c.id == A.c.take_id).where(where)):
            if path:
                refs.add(path)
        for thumb, head, tail in conn.execute(
            select(T.c.thumbnail, T.c.head, T.c.tail).where(where)
        ):
            if thumb:
                refs.add(thumb)
            refs.update(json.loads(head or "[]"))
            refs.update(json.loads(tail or "[]"))
        for (img,) in conn.execute(select(E.c.image).where(E.c.image.is_not(None))):
            refs.add(img)
        for (recipe,) in conn.execute(
            select(T.c.recipe).where(where, T.c.operation.in_(REGION_OPERATIONS))
        ):
            refs.update(region_files(_json_object(recipe)))
        J = schema.jobs
        for (payload,) in conn.execute(
            select(J.c.payload).where(
                J.c.status.in_(JOBS_THAT_MAY_RUN), J.c.payload.contains('"region"')
            )
        ):
            refs.update(region_files(_json_object(payload)))
        return refs

    def purge(self) -> dict[str, int]:
        """Delete the media of soft-deleted takes that no live take shares; cannot be undone."""
        freed = 0
        files = 0
        with self._lock, db.write(self.engine) as conn:
            keep = self.referenced_paths(conn, live_only=True)
            dead = (
                conn.execute(
                    select(T.c.id).where(T.c.deleted_at.is_not(None), T.c.status != "purged")
                )
                .scalars()
                .all()
            )
            dead_paths: set[str] = set()
            for tid in dead:
                for (path,) in conn.execute(select(G.c.path).where(G.c.take_id == tid)):
                    dead_paths.add(path)
                for (path,) in conn.execute(select(A.c.path).where(A.c.take_id == tid)):
                    if path:
                        dead_paths.add(path)
                row = conn.execute(
                    select(T.c.thumbnail, T.c.head, T.c.tail, T.c.operation, T.c.recipe).where(
                        T.c.id == tid
                    )
                ).one()
                if row[0]:
                    dead_paths.add(row[0])
                dead_paths.update(json.loads(row[1] or "[]"))
                dead_paths.update(json.loads(row[2] or "[]"))
                if row[3] in REGION_OPERATIONS:
                    dead_paths.update(region_files(_json_object(row[4])))
            to_delete = sorted(dead_paths - keep)
            if dead:
                conn.execute(schema.takes.update().where(T.c.id.in_(dead)).values(status="purged"))
                # a purged take cannot come back, so the history that could restore it goes
                conn.execute(schema.undo_log.delete())
        for path in to_delete:
            try:
                p = resolve(self.folder, path)
                size = p.stat().st_size
                p.unlink()
                freed += size
                files += 1
            except (OSError, ProjectError):
                continue
        _remove_empty_dirs(self.folder / "media" / "takes")
        self._notify(Change("Purge", "takes"))
        return {"takes": len(dead), "files": files, "bytes": freed}


def _json_object(text: str | None) -> dict[str, Any]:
    try:
        data = json.loads(text or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def region_files(doc: dict[str, Any]) -> set[str]:
    """The project files a region edit names: its masks and a cinemagraph's still, from a
    take's recipe or a job's payload (both hold them in ``region``, project-relative)."""
    region = doc.get("region")
    if not isinstance(region, dict):
        return set()
    out: set[str] = set()
    for m in region.get("masks") or ():
        path = m.get("path") if isinstance(m, dict) else None
        if isinstance(path, str) and path:
            out.add(path)
    image = region.get("image")
    if isinstance(image, str) and image:
        out.add(image)
    return out


def insert_sequence_row(
    rec: Recorder,
    *,
    name: str,
    index: int | None,
    scene: str,
    fps: Fraction,
    size: tuple[int, int],
    **extra: Any,
) -> int:
    """Insert a sequence at ``index`` among the live ones (None: at the end), moving the ones
    after it down, as part of the recorder's command. Returns its id."""
    rows = rec.conn.execute(
        select(Q.c.id, Q.c.position).where(Q.c.deleted_at.is_(None)).order_by(Q.c.position)
    ).all()
    pos = len(rows) if index is None else max(0, min(index, len(rows)))
    before = {r[0]: {"position": r[1]} for r in rows[pos:]}
    moved = {
        r[0]: {"position": pos + 1 + i} for i, r in enumerate(rows[pos:]) if r[1] != pos + 1 + i
    }
    rec.update_many(Q, moved, before)
    w, h = size
    return rec.insert(
        Q,
        dict(
            name=name,
            position=pos,
            scene=scene,
            fps_num=fps.numerator,
            fps_den=fps.denominator,
            width=w,
            height=h,
            aspect=_aspect(w, h),
            drop_frame=bool(extra.pop("drop_frame", False)),
            created_at=db.utcnow(),
            **extra,
        ),
    )


def _check_drop_frame(drop_frame: bool, rate: Fraction) -> None:
    if drop_frame and not is_drop_rate(rate):
        raise InvalidInput(
            f"drop-frame timecode exists only at 29.97 and 59.94 fps, not {describe_rate(rate)}; "
            "use --no-drop-frame or change the rate"
        )


def _remove_empty_dirs(root: Path) -> None:
    if root.is_symlink() or not root.is_dir():  # never tidy up through a link
        return
    for d in sorted((p for p in root.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
        try:
            d.rmdir()
        except OSError:
            pass


def _check_image(path: Path) -> None:
    if not path.is_file():
        raise InvalidInput(f"image {path} does not exist")
    if is_database_file(path.resolve()):  # only SQLite may open it (see previz.store.db)
        raise InvalidInput(f"{path} is a project database, not an image; choose an image")
    with open(path, "rb") as fh:
        head = fh.read(12)
    if not (
        head.startswith(b"\x89PNG")
        or head.startswith(b"\xff\xd8")
        or head[:4] == b"RIFF"
        and head[8:12] == b"WEBP"
        or head.startswith((b"GIF8", b"BM", b"II*\x00", b"MM\x00*"))
    ):
        raise InvalidInput(f"{path} is not an image (PNG, JPEG, WebP, GIF, BMP or TIFF)")
    from previz.services.media_import import check_still  # a pixel cap, then a full decode

    check_still(path)
