"""CSV shot lists in and out of a project, each import as ONE undoable command.

:func:`export_shotlist` and :func:`import_shotlist` write and read the CSV shot list of
:mod:`previz.screenplay.shotlist_csv`: the import updates shots matched by scene and shot code,
adds rows whose shot code is new, and never deletes.

Every failure is a :class:`~previz.core.errors.PrevizError` with a one-line message, raised
before anything is committed: the whole import is one transaction, so either all of it lands
(and ``previz undo`` takes all of it back) or none of it does. A dry run does the same work
and rolls it back. The rows and writer are shared with the screenplay import
(:mod:`previz.services.screenplay_import`).
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal, TextIO

from sqlalchemy import select

from previz.core.elements import mentions
from previz.core.errors import InvalidInput
from previz.screenplay import (
    ShotlistError,
    ShotlistRow,
    element_name,
    read_shotlist,
    scene_number_sort_key,
    write_shotlist,
)
from previz.screenplay.fountain import parse_heading
from previz.screenplay.shotlist_csv import reads_as
from previz.services.project import ProjectService
from previz.services.screenplay_import import (
    ScriptImportError,
    _count,
    _problem_line,
    _read_sequences,
    _read_shots,
    _Rollback,
    _Seq,
    _Shot,
    _Writer,
)
from previz.store import db, schema
from previz.store.journal import Recorder

log = logging.getLogger(__name__)

__all__ = ["ShotlistExport", "ShotlistImport", "export_shotlist", "import_shotlist"]

S, Q = schema.shots, schema.sequences


@dataclass(frozen=True)
class ShotlistExport:
    path: str
    rows: int
    sequences: tuple[str, ...]
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class ShotlistImport:
    """What :func:`import_shotlist` did: shots updated (``"12/0010: prompt, duration"``), shots
    added (``"12/0035"``), sequences made for scenes the project did not have."""

    path: str
    dry_run: bool
    rows: int
    updated: tuple[str, ...] = ()
    added: tuple[str, ...] = ()
    unchanged: int = 0
    sequences_added: tuple[str, ...] = ()
    lines: tuple[str, ...] = ()


# --------------------------------------------------------------------------------------------
# Export


def _write_atomically(path: Path, write: Callable[[TextIO], None]) -> None:
    """Write a UTF-8 (with byte order mark) text file to a temporary name beside ``path``,
    flush it to disk, then rename it over ``path``: a crash leaves the old file or the new."""
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise InvalidInput(f"cannot write {path}: the folder {folder} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise InvalidInput(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8-sig", newline="") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise InvalidInput(f"cannot write {path}: {exc.strerror or exc}") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


_SPEAKER_RE = re.compile(r"^([^:\n]{1,80}):", re.M)


def export_shotlist(
    svc: ProjectService,
    path: str | Path,
    seqs: Sequence[str | int] | None = None,
    *,
    duration_format: Literal["seconds", "timecode"] = "seconds",
) -> ShotlistExport:
    """Write the shot list of ``seqs`` (names, scene numbers or ids; default: every sequence)
    as CSV. Scene is the shot's scene number (else its sequence's); INT/EXT, Day/Night and
    Location come from the scene heading of an imported sequence; Cast lists the character
    elements the prompt mentions or that speak in the dialogue; Description is the prompt;
    Dialogue, Transition, Camera and Notes are the shot's own; Duration is for people
    (seconds, or timecode), Frames the exact planned duration at FPS, the shot's sequence's
    rate; Sequence is the sequence's name. Importing the file into a fresh project rebuilds
    the same sequences and shots (see :mod:`previz.screenplay.shotlist_csv`)."""
    path = Path(path)
    targets = [svc.sequence(r) for r in seqs] if seqs else svc.sequences()
    targets = list({s.id: s for s in targets}.values())
    if not targets:
        raise InvalidInput("the project has no sequences to export")
    fps = targets[0].fps
    characters = {e.name.lower(): e.name for e in svc.elements() if e.kind == "character"}
    with db.read(svc.engine) as conn:
        headings = dict(conn.execute(select(Q.c.id, Q.c.source_heading)).all())
    rows: list[ShotlistRow] = []
    warnings: list[str] = []
    for seq in targets:
        int_ext, location, time_of_day = parse_heading(headings.get(seq.id) or "")
        unnumbered = 0
        for shot in svc.shots(seq.id):
            cast: list[str] = []
            speakers = [element_name(w) for w in _SPEAKER_RE.findall(shot.dialogue)]
            for name in (*mentions(shot.prompt), *speakers):
                found = characters.get(name.lower())
                if found and found not in cast:
                    cast.append(found)
            scene = shot.scene or seq.scene
            unnumbered += not scene
            rows.append(
                ShotlistRow(
                    scene=scene,
                    shot=shot.code,
                    int_ext=int_ext,
                    day_night=time_of_day,
                    location=location,
                    cast=tuple(cast),
                    description=shot.prompt,
                    duration_frames=shot.duration_frames,
                    camera=shot.camera_notes,
                    notes=shot.notes,
                    dialogue=shot.dialogue,
                    transition=(
                        shot.transition_kind,
                        shot.transition_frames,
                        shot.transition_color,
                    ),
                    sequence=seq.name,
                    fps=seq.fps,
                )
            )
        if unnumbered:
            warnings.append(
                f"{_count(unnumbered, 'shot')} in {seq.name!r} {'has' if unnumbered == 1 else 'have'}"
                " no scene number: the Scene cell is empty and importing the file back will "
                "ask for one (set it with `previz shot edit DIR SHOT --scene N`)"
            )
    _write_atomically(
        path, lambda fh: write_shotlist(fh, rows, fps=fps, duration_format=duration_format)
    )
    for line in warnings:
        log.warning("%s", line)
    return ShotlistExport(
        path=str(path),
        rows=len(rows),
        sequences=tuple(s.name for s in targets),
        warnings=tuple(warnings),
    )


def _same_duration(frames: int, fps: Fraction) -> set[int]:
    """Durations a shot list cell means as "unchanged": the shot's own, and what the seconds
    column (one decimal) written for it reads back as (``169`` frames is ``7.0`` s at 24 fps,
    which reads back as ``168``)."""
    return reads_as(frames, fps)


def _read_rows(path: Path, rates: Sequence[Fraction]) -> dict[Fraction, list[ShotlistRow]]:
    """The file read once per frame rate in the project and per rate in its FPS column
    (durations are frames at a rate; a new sequence takes its rows' rate)."""
    if not path.is_file():
        what = "is a folder" if path.is_dir() else "does not exist"
        raise ScriptImportError(f"{path} {what}; give the path of a shot list .csv file")
    out: dict[Fraction, list[ShotlistRow]] = {}
    pending = list(rates)
    while pending:
        rate = pending.pop(0)
        try:
            out[rate] = read_shotlist(path, fps=rate)
        except ShotlistError as exc:
            raise ScriptImportError(_problem_line(path, exc.problems)) from None
        for row in out[rate]:
            if row.fps is not None and row.fps not in out and row.fps not in pending:
                pending.append(row.fps)
    return out


class _ShotlistImport:
    def __init__(
        self,
        svc: ProjectService,
        rec: Recorder,
        path: Path,
        rows_at: dict[Fraction, list[ShotlistRow]],
        first_rate: Fraction,
    ) -> None:
        self.svc = svc
        self.rec = rec
        self.path = path
        self.rows_at = rows_at
        self.rows = rows_at[first_rate]
        self.writer = _Writer(svc, rec)
        self.problems: list[str] = []
        # a new project's empty "Sequence 1": the first scene the file adds goes there instead
        # of leaving it empty beside the imported scenes
        self.spare: _Seq | None = None
        self.spare_name = ""

    def run(self, dry_run: bool) -> ShotlistImport:
        seqs = [s for s in _read_sequences(self.rec) if not s.deleted]
        seq_by_id = {s.id: s for s in seqs}
        shots = [sh for sh in _read_shots(self.rec) if sh.sequence_id in seq_by_id]
        if len(seqs) == 1 and not seqs[0].scene and not shots:
            self.spare, self.spare_name = seqs[0], seqs[0].name

        def scene_of(sh: _Shot) -> str:
            return (sh.scene or seq_by_id[sh.sequence_id].scene).upper()

        by_key: dict[tuple[str, str], list[_Shot]] = {}
        for sh in shots:
            by_key.setdefault((scene_of(sh), sh.code.upper()), []).append(sh)
        # scene number -> the sequences a new shot of that scene could go in: those with the
        # scene number, else those holding shots numbered with it
        scene_seqs: dict[str, list[_Seq]] = {}
        for s in seqs:
            if s.scene:
                scene_seqs.setdefault(s.scene.upper(), []).append(s)
        by_shots: dict[str, list[_Seq]] = {}
        for sh in shots:
            scene, seq = scene_of(sh), seq_by_id[sh.sequence_id]
            if sh.deleted or not scene or scene in scene_seqs:
                continue
            if seq not in by_shots.setdefault(scene, []):
                by_shots[scene].append(seq)
        scene_seqs.update(by_shots)

        seen: set[tuple[str, str]] = set()
        twice: set[tuple[str, str]] = set()
        for row in self.rows:
            key = (row.scene.upper(), row.shot.upper())
            if key in seen and key not in twice:
                twice.add(key)
                self.problems.append(
                    f"shot {row.scene}/{row.shot} is listed more than once; keep one row for it"
                )
            seen.add(key)

        updated: list[str] = []
        added: list[str] = []
        new_seqs: list[str] = []
        unchanged = 0
        for i, row in enumerate(self.rows):
            label = f"{row.scene}/{row.shot}"
            if (row.scene.upper(), row.shot.upper()) in twice:
                continue
            found = by_key.get((row.scene.upper(), row.shot.upper()), [])
            live = [sh for sh in found if not sh.deleted]
            if len(live) > 1 and row.sequence:  # the Sequence column tells them apart
                named = [sh for sh in live if _same_name(seq_by_id[sh.sequence_id], row)]
                live = named if len(named) == 1 else live
            if len(live) > 1:
                names = ", ".join(seq_by_id[sh.sequence_id].name for sh in live)
                self.problems.append(f"shot {label} is in several sequences ({names})")
                continue
            if live:
                shot = live[0]
                seq = seq_by_id[shot.sequence_id]
                changed = self.update(shot, seq, self.rows_at[seq.fps][i], label)
                if changed:
                    updated.append(f"{label}: {', '.join(changed)}")
                else:
                    unchanged += 1
                continue
            if found:
                self.problems.append(
                    f"shot {label} was deleted in the project; undo the deletion or give the "
                    "row another shot code"
                )
                continue
            candidates = scene_seqs.get(row.scene.upper(), [])
            if len(candidates) > 1 and row.sequence:
                named = [s for s in candidates if _same_name(s, row)]
                candidates = named if len(named) == 1 else candidates
            if len(candidates) > 1:
                names = ", ".join(s.name for s in candidates)
                self.problems.append(
                    f"shot {label} is new, but scene {row.scene} is in several sequences "
                    f"({names}); add it in the app instead"
                )
                continue
            if candidates:
                seq = candidates[0]
            else:
                seq = self.scene_sequence(row, seqs)
                seq_by_id[seq.id] = seq
                scene_seqs[row.scene.upper()] = [seq]
                new_seqs.append(seq.name)
            if self.add(seq, self.rows_at[seq.fps][i], label):
                added.append(label)
        if self.problems:
            raise ScriptImportError(_problem_line(self.path, self.problems))
        lines = [
            f"Shot list: {_count(len(updated), 'shot')} updated, {len(added)} added, "
            f"{unchanged} unchanged"
            + (f", {_count(len(new_seqs), 'new sequence')}" if new_seqs else "")
            + "."
        ]
        lines += [f"Updated {u}" for u in updated]
        lines += [f"Added shot {a}" for a in added]
        lines += [
            f"Added sequence {n!r}"
            + (f" (the empty {self.spare_name!r}, renamed)" if k == 0 and self.spare_used else "")
            for k, n in enumerate(new_seqs)
        ]
        return ShotlistImport(
            path=str(self.path),
            dry_run=dry_run,
            rows=len(self.rows),
            updated=tuple(updated),
            added=tuple(added),
            unchanged=unchanged,
            sequences_added=tuple(new_seqs),
            lines=tuple(lines),
        )

    def validated(self, fields: dict[str, Any], fps: Fraction, label: str) -> dict[str, Any]:
        try:
            return self.svc._validate_shot_fields(fields, fps)
        except InvalidInput as exc:
            self.problems.append(f"shot {label}: {exc}")
            return {}

    def duration(self, shot: _Shot, seq: _Seq, row: ShotlistRow, label: str) -> int | None:
        """The row's planned duration for an existing shot, or None to leave it: the Frames
        column is exact; the seconds column only counts when it no longer reads as the shot's
        own duration (seconds are rounded to 0.1); when the two columns disagree, the one that
        was edited (no longer the shot's) wins."""
        current = shot.duration_frames
        if row.frames_disagree is not None:
            frames_edited = row.frames_disagree != current
            seconds_edited = row.duration_frames not in _same_duration(current, seq.fps)
            if frames_edited and seconds_edited:
                self.problems.append(
                    f"shot {label}: Duration and Frames were both changed and disagree; "
                    "change one of them and empty the other"
                )
                return None
            return (
                row.frames_disagree
                if frames_edited
                else (row.duration_frames if seconds_edited else None)
            )
        if row.duration_frames is None:
            return None
        if row.duration_exact:
            return row.duration_frames if row.duration_frames != current else None
        return (
            None if row.duration_frames in _same_duration(current, seq.fps) else row.duration_frames
        )

    def update(self, shot: _Shot, seq: _Seq, row: ShotlistRow, label: str) -> list[str]:
        current: dict[str, Any] = {
            "prompt": shot.prompt,
            "duration_frames": shot.duration_frames,
            "dialogue": shot.dialogue,
            "camera_notes": shot.camera_notes,
            "notes": shot.notes,
            "transition_kind": shot.transition_kind,
            "transition_frames": shot.transition_frames,
            "transition_color": shot.transition_color,
        }
        fields: dict[str, Any] = {}
        for key, column in _TEXT_COLUMNS:
            value = getattr(row, column)
            if column in row.cleared:
                fields[key] = ""
            elif value and value != current[key].strip():  # spreadsheets trim cells
                fields[key] = value
        frames = self.duration(shot, seq, row, label)
        if frames is not None:
            fields["duration_frames"] = frames
        fields.update(_transition_fields(row))
        values = self.validated(fields, seq.fps, label)
        changed = {k: v for k, v in values.items() if current[k] != v}
        if not changed:
            return []
        self.rec.update(S, shot.id, **changed)
        return list(dict.fromkeys(name for key, name in _CHANGE_NAMES if key in changed))

    def add(self, seq: _Seq, row: ShotlistRow, label: str) -> bool:
        if row.frames_disagree is not None:
            self.problems.append(
                f"shot {label} is new, but its Duration and Frames disagree; change one of "
                "them and empty the other"
            )
            return False
        duration = row.duration_frames
        if duration is None:
            duration = int(round(seq.fps * 4))
        fields: dict[str, Any] = {
            "prompt": row.description,
            "duration_frames": duration,
            "dialogue": row.dialogue,
            "camera_notes": row.camera,
            "notes": row.notes,
            "scene": row.scene,
        }
        fields.update(_transition_fields(row))
        values = self.validated(fields, seq.fps, label)
        if not values:
            return False
        code = row.shot.upper()
        if any(r[2].upper() == code for r in self.writer.shot_rows(seq.id)):
            self.problems.append(
                f"shot {label} is new, but sequence {seq.name!r} already uses code {code}; "
                "give the row another shot code"
            )
            return False
        self.writer.insert_shot(seq.id, values, code=code)
        return True

    @property
    def spare_used(self) -> bool:
        return self.spare_name != "" and self.spare is None

    def scene_sequence(self, row: ShotlistRow, seqs: list[_Seq]) -> _Seq:
        """A sequence for a scene the project does not have, named by the Sequence column
        (else by the scene and its heading), at the row's FPS (else the project's first
        sequence's), placed by scene number. The empty "Sequence 1" of a new project is used
        for the first one."""
        template = seqs[0]
        heading = ""
        if row.int_ext and row.location:
            heading = f"{row.int_ext}. {row.location}"
            if row.day_night:
                heading += f" - {row.day_night}"
        name = row.sequence or (f"{row.scene} {heading}" if heading else f"Scene {row.scene}")
        fps = row.fps or template.fps
        if self.spare is not None:
            spare, self.spare = self.spare, None
            values: dict[str, Any] = {
                "name": self.writer.unique_name(name, ignore_id=spare.id),
                "scene": row.scene,
                "source_heading": heading,
            }
            if fps != spare.fps:
                values.update(fps_num=fps.numerator, fps_den=fps.denominator, drop_frame=False)
            self.rec.update(Q, spare.id, **values)
            spare.name, spare.scene, spare.fps = values["name"], row.scene, fps
            spare.source_heading = heading
            return spare
        key = scene_number_sort_key(row.scene)
        live_ids = [r[0] for r in self.writer.live_sequences()]
        index: int | None = None
        for s in seqs:
            if s.scene and scene_number_sort_key(s.scene) > key and s.id in live_ids:
                index = live_ids.index(s.id)
                break
        seq_id = self.writer.insert_sequence(
            index,
            name=name,
            scene=row.scene,
            fps=fps,
            size=(template.width, template.height),
            source_heading=heading,
        )
        created = _Seq(
            id=seq_id,
            name=self.writer.conn.execute(select(Q.c.name).where(Q.c.id == seq_id)).scalar_one(),
            position=-1,
            scene=row.scene,
            fps=fps,
            width=template.width,
            height=template.height,
            source_key="",
            source_heading=heading,
            script_status="",
            deleted=False,
        )
        seqs.append(created)
        return created


_TEXT_COLUMNS = (
    ("prompt", "description"),
    ("dialogue", "dialogue"),
    ("camera_notes", "camera"),
    ("notes", "notes"),
)
_CHANGE_NAMES = (
    ("prompt", "prompt"),
    ("duration_frames", "duration"),
    ("dialogue", "dialogue"),
    ("camera_notes", "camera"),
    ("notes", "notes"),
    ("transition_kind", "transition"),
    ("transition_frames", "transition"),
    ("transition_color", "transition"),
)


def _transition_fields(row: ShotlistRow) -> dict[str, Any]:
    """The shot fields a row's Transition cell sets (none when the cell is empty)."""
    if row.transition is None:
        return {}
    kind, frames, color = row.transition
    return {"transition_kind": kind, "transition_frames": frames, "transition_color": color}


def _same_name(seq: _Seq, row: ShotlistRow) -> bool:
    return seq.name.casefold() == row.sequence.casefold()


def import_shotlist(
    svc: ProjectService, path: str | Path, *, dry_run: bool = False
) -> ShotlistImport:
    """Update the project from a shot list CSV as one undoable command.

    A row whose Scene and Shot match a shot updates its prompt (Description), dialogue,
    planned duration (Frames, exact, or Duration), transition, camera notes and notes; an
    empty cell leaves the field as it is and a cell holding exactly ``[clear]`` empties it. A
    row whose shot code is new adds a shot to its scene's sequence, in code order (a scene the
    project does not have gets a new sequence, named by the Sequence column, at the row's
    FPS; a new project's empty "Sequence 1" is used for the first). Nothing is ever deleted.
    Any bad value raises :class:`ScriptImportError` listing the problems, and nothing is
    changed.
    """
    path = Path(path)
    seqs = svc.sequences()
    if not seqs:
        raise ScriptImportError("the project has no sequences; add one with `previz seq add`")
    rates = list(dict.fromkeys(s.fps for s in seqs))
    rows_at = _read_rows(path, rates)
    try:
        with svc.command(f"Import shot list {path.name}") as rec:
            result = _ShotlistImport(svc, rec, path, rows_at, rates[0]).run(dry_run)
            if dry_run:
                raise _Rollback(result)
    except _Rollback as stop:
        return stop.result  # type: ignore[no-any-return]
    return result
