"""Screenplays and shot lists into a project, each as ONE undoable command.

:func:`import_script` reads a Fountain screenplay (:mod:`previz.screenplay`) and

- on a first import makes one sequence per scene, in script order (named like
  ``4A I/E. TEO'S TRUCK - NIGHT``), one shot per beat (codes 0010, 0020... restarting in each
  scene), and an element for every speaking character and every location;
- on a re-import (the project has live sequences made by an import) plans the changes with
  :func:`~previz.screenplay.plan_reimport` and applies them: unchanged shots are not touched,
  changed beats get the new prompt (their takes stay, as earlier versions), a prompt the user
  edited by hand is never overwritten (a *conflict* in the report, once: the script's new
  text becomes the shot's source, so the same draft does not report it again), new beats and
  scenes are inserted where the script has them, and shots or scenes that left the script are
  flagged (``script_status = "removed"``), never deleted. Rows the user deleted in the project
  stay deleted. A planned duration is only replaced by a new estimate while it is still the
  old estimate (``duration_frames == source_frames``).

The CSV shot list (export and import) lives in :mod:`previz.services.shotlist`, which shares
this module's row readers and writer.

Every failure is a :class:`~previz.core.errors.PrevizError` with a one-line message, raised
before anything is committed: the whole import is one transaction, so either all of it lands
(and ``previz undo`` takes all of it back) or none of it does. A dry run does the same work
and rolls it back.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any, NamedTuple

from sqlalchemy import select

from previz.core.codes import code_between, next_code, parse_code
from previz.core.elements import MAX_DESCRIPTION, NAME_RE
from previz.core.errors import InvalidInput
from previz.core.time import MAX_DURATION_SECONDS
from previz.core.values import MAX_NAME_CHARS
from previz.screenplay import (
    Beat,
    Breakdown,
    ElementSpec,
    ExistingScene,
    ExistingShot,
    ReimportPlan,
    SceneBreakdown,
    ScreenplayError,
    Script,
    breakdown,
    parse_file,
    plan_reimport,
    source_key,
)
from previz.services.project import ProjectService, insert_sequence_row
from previz.store import db, schema
from previz.store.journal import Recorder

log = logging.getLogger(__name__)

__all__ = [
    "REMOVED",
    "ImportReport",
    "ScriptImportError",
    "ScriptShotState",
    "ScriptStates",
    "import_script",
    "script_states",
]

S, Q, E = schema.shots, schema.sequences, schema.elements

REMOVED = "removed"  # script_status of a shot or sequence that left the screenplay
_MAX_PROBLEMS_SHOWN = 12


class ScriptImportError(InvalidInput):
    """A screenplay or shot list that cannot be imported as it is; nothing was changed."""


class _Rollback(Exception):
    """Raised inside the command to roll a dry run back, carrying its result."""

    def __init__(self, result: Any) -> None:
        super().__init__("dry run")
        self.result = result


# --------------------------------------------------------------------------------------------
# Results


@dataclass(frozen=True)
class ImportReport:
    """What :func:`import_script` did (or, with ``dry_run``, would do).

    ``lines`` is the report for people: a summary line, then one line per change, scene by
    scene; ``warnings`` are things in the script that were not imported as written. Every
    count here is one the report states, and each matches the rows changed in the project.
    """

    script: str
    title: str
    reimport: bool
    dry_run: bool
    scenes_in_script: int
    sequences_added: int = 0
    sequences_retitled: int = 0
    sequences_flagged: int = 0
    sequences_restored: int = 0
    shots_added: int = 0
    shots_changed: int = 0
    shots_unchanged: int = 0
    shots_flagged: int = 0
    shots_restored: int = 0
    conflicts: int = 0
    shots_left_deleted: int = 0  # in the script, but deleted in the project: left deleted
    sequences_left_deleted: int = 0
    elements_added: tuple[str, ...] = ()
    lines: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def has_changes(self) -> bool:
        return bool(
            self.sequences_added
            or self.sequences_retitled
            or self.sequences_flagged
            or self.sequences_restored
            or self.shots_added
            or self.shots_changed
            or self.shots_flagged
            or self.shots_restored
            or self.conflicts  # the script's new text is recorded as the shot's source
            or self.elements_added
        )


@dataclass(frozen=True)
class ScriptShotState:
    """A shot's relation to the screenplay, for the UI: ``from_script`` (made by an import),
    ``in_script`` (False once a re-import no longer found its beat), ``prompt_edited`` (the
    prompt differs from what the import wrote), ``duration_estimated`` (the planned duration
    is still the import's estimate)."""

    shot_id: int
    from_script: bool
    in_script: bool
    prompt_edited: bool
    duration_estimated: bool


class ScriptStates(NamedTuple):
    shots: dict[int, ScriptShotState]  # every live shot, by id
    removed_sequences: frozenset[int]  # live sequences whose scene left the script


def script_states(svc: ProjectService) -> ScriptStates:
    """The screenplay state of every live shot and the live sequences whose scene left the
    script (what the UI shows as badges)."""
    with db.read(svc.engine) as conn:
        rows = conn.execute(
            select(
                S.c.id,
                S.c.prompt,
                S.c.duration_frames,
                S.c.source_key,
                S.c.source_prompt,
                S.c.source_frames,
                S.c.script_status,
            ).where(S.c.deleted_at.is_(None))
        ).all()
        removed = conn.execute(
            select(Q.c.id).where(Q.c.deleted_at.is_(None), Q.c.script_status == REMOVED)
        ).all()
    shots = {
        r.id: ScriptShotState(
            shot_id=r.id,
            from_script=bool(r.source_key),
            in_script=r.script_status != REMOVED,
            prompt_edited=bool(r.source_key) and r.prompt != r.source_prompt,
            duration_estimated=r.source_frames is not None and r.duration_frames == r.source_frames,
        )
        for r in rows
    }
    return ScriptStates(shots, frozenset(r.id for r in removed))


# --------------------------------------------------------------------------------------------
# Rows as the import sees them


@dataclass
class _Seq:
    id: int
    name: str
    position: int
    scene: str
    fps: Fraction
    width: int
    height: int
    source_key: str
    source_heading: str
    script_status: str
    deleted: bool


@dataclass
class _Shot:
    id: int
    sequence_id: int
    position: int
    code: str
    scene: str
    prompt: str
    duration_frames: int
    camera_notes: str
    notes: str
    source_key: str
    source_prompt: str
    source_frames: int | None
    script_status: str
    deleted: bool
    dialogue: str = ""
    transition_kind: str = "cut"
    transition_frames: int = 0
    transition_color: str = ""


def _read_sequences(rec: Recorder) -> list[_Seq]:
    rows = rec.conn.execute(select(Q).order_by(Q.c.position, Q.c.id)).mappings()
    return [
        _Seq(
            id=r["id"],
            name=r["name"],
            position=r["position"],
            scene=r["scene"],
            fps=Fraction(r["fps_num"], r["fps_den"]),
            width=r["width"],
            height=r["height"],
            source_key=r["source_key"],
            source_heading=r["source_heading"],
            script_status=r["script_status"],
            deleted=r["deleted_at"] is not None,
        )
        for r in rows
    ]


def _read_shots(rec: Recorder) -> list[_Shot]:
    rows = rec.conn.execute(select(S).order_by(S.c.sequence_id, S.c.position, S.c.id)).mappings()
    return [
        _Shot(
            id=r["id"],
            sequence_id=r["sequence_id"],
            position=r["position"],
            code=r["code"],
            scene=r["scene"],
            prompt=r["prompt"],
            duration_frames=r["duration_frames"],
            camera_notes=r["camera_notes"],
            notes=r["notes"],
            source_key=r["source_key"],
            source_prompt=r["source_prompt"],
            source_frames=r["source_frames"],
            script_status=r["script_status"],
            deleted=r["deleted_at"] is not None,
            dialogue=r["dialogue"],
            transition_kind=r["transition_kind"],
            transition_frames=r["transition_frames"],
            transition_color=r["transition_color"],
        )
        for r in rows
    ]


# --------------------------------------------------------------------------------------------
# Writing rows inside one command


class _Writer:
    """Inserts sequences, shots and elements through one :class:`Recorder`, keeping positions,
    codes and names consistent the way :class:`ProjectService` does for single edits."""

    def __init__(self, svc: ProjectService, rec: Recorder) -> None:
        self.svc = svc
        self.rec = rec
        self.conn = rec.conn

    def live_sequences(self) -> list[tuple[int, int]]:
        return [
            (r[0], r[1])
            for r in self.conn.execute(
                select(Q.c.id, Q.c.position)
                .where(Q.c.deleted_at.is_(None))
                .order_by(Q.c.position, Q.c.id)
            )
        ]

    def unique_name(self, name: str, *, ignore_id: int | None = None) -> str:
        name = " ".join(name.split())[:MAX_NAME_CHARS] or "Scene"
        taken = {
            r[0].lower()
            for r in self.conn.execute(
                select(Q.c.name).where(Q.c.deleted_at.is_(None), Q.c.id != (ignore_id or -1))
            )
        }
        candidate, n = name, 2
        while candidate.lower() in taken:
            suffix = f" ({n})"
            candidate = name[: MAX_NAME_CHARS - len(suffix)] + suffix
            n += 1
        return candidate

    def insert_sequence(
        self,
        index: int | None,
        *,
        name: str,
        scene: str,
        fps: Fraction,
        size: tuple[int, int],
        source_key: str = "",
        source_heading: str = "",
    ) -> int:
        """A new sequence at ``index`` among the live ones (None: at the end)."""
        return insert_sequence_row(
            self.rec,
            name=self.unique_name(name),
            index=index,
            scene=scene,
            fps=fps,
            size=size,
            source_key=source_key,
            source_heading=source_heading,
            script_status="",
        )

    def sequence_index(self, seq_id: int) -> int:
        return [r[0] for r in self.live_sequences()].index(seq_id)

    def shot_rows(self, seq_id: int) -> list[tuple[int, int, str, bool]]:
        return [
            (r[0], r[1], r[2], r[3] is not None)
            for r in self.conn.execute(
                select(S.c.id, S.c.position, S.c.code, S.c.deleted_at)
                .where(S.c.sequence_id == seq_id)
                .order_by(S.c.position, S.c.id)
            )
        ]

    def insert_shot(
        self,
        seq_id: int,
        values: dict[str, Any],
        *,
        after: int | None = None,
        at_start: bool = False,
        code: str | None = None,
    ) -> tuple[int, str]:
        """Insert a shot right after shot ``after`` (live or deleted), at the start of the
        sequence (``at_start``), in code order (``code`` given), or at the end. Returns its id
        and code; codes follow :mod:`previz.core.codes` like :meth:`ProjectService.add_shot`."""
        rows = self.shot_rows(seq_id)
        live = [r for r in rows if not r[3]]
        codes = [r[2] for r in rows]
        if code is not None:
            key = parse_code(code)
            index = sum(1 for r in live if parse_code(r[2]) < key)
        elif at_start:
            index = 0
        elif after is not None:
            anchor = next(r for r in rows if r[0] == after)
            index = sum(1 for r in live if (r[1], r[0]) <= (anchor[1], anchor[0]))
        else:
            index = len(live)
        if index >= len(live):
            if code is None:
                code = next_code(codes) if not live else code_between(live[-1][2], None, codes)
            pos = max((r[1] for r in rows), default=-1) + 1
        else:
            if code is None:
                previous = live[index - 1][2] if index > 0 else None
                code = code_between(previous, live[index][2], codes)
            pos = live[index][1]
            shifted = [r for r in rows if r[1] >= pos]
            self.rec.update_many(
                S,
                {r[0]: {"position": r[1] + 1} for r in shifted},
                {r[0]: {"position": r[1]} for r in shifted},
            )
        new_id = self.rec.insert(
            S,
            dict(
                sequence_id=seq_id,
                position=pos,
                code=code,
                created_at=db.utcnow(),
                next_take_number=1,
                **values,
            ),
        )
        return new_id, code

    def add_elements(self, specs: Iterable[ElementSpec]) -> tuple[list[str], list[str]]:
        """Add the elements the project does not have yet (names compared case-insensitively).
        Returns the names added and warnings for names that cannot be elements."""
        have = {r[0] for r in self.conn.execute(select(E.c.name_key))}
        added: list[str] = []
        warnings: list[str] = []
        for spec in specs:
            if spec.name.lower() in have:
                continue
            if not NAME_RE.match(spec.name):
                warnings.append(
                    f"{spec.kind} {spec.display_name!r} was not made an element: its name "
                    f"{spec.name!r} is not letters, digits and underscore (at most 64)"
                )
                continue
            self.rec.insert(
                E,
                dict(
                    name=spec.name,
                    name_key=spec.name.lower(),
                    kind=spec.kind,
                    description=spec.description.strip()[:MAX_DESCRIPTION],
                    image=None,
                    created_at=db.utcnow(),
                ),
            )
            have.add(spec.name.lower())
            added.append(spec.name)
        return added, warnings


# --------------------------------------------------------------------------------------------
# import-script


def _problem_line(path: Path, problems: Sequence[str]) -> str:
    shown = [" ".join(p.split()) for p in problems[:_MAX_PROBLEMS_SHOWN]]
    more = len(problems) - len(shown)
    tail = f"; and {more} more" if more > 0 else ""
    return f"{path.name}: {'; '.join(shown)}{tail}; nothing was changed"


def _read_script(path: Path) -> Script:
    if not path.exists():
        raise ScriptImportError(f"{path} does not exist; give the path of a .fountain screenplay")
    if path.is_dir():
        raise ScriptImportError(f"{path} is a folder; give the path of a .fountain screenplay")
    try:
        return parse_file(path)
    except ScreenplayError as exc:
        raise ScriptImportError(" ".join(str(exc).split())) from None


def _scene_key(scene: SceneBreakdown) -> str:
    return source_key(scene.heading)


def _count(n: int, what: str) -> str:
    return f"{n} {what}" if n == 1 else f"{n} {what}s"


class _ScriptImport:
    def __init__(
        self, svc: ProjectService, rec: Recorder, path: Path, result: Breakdown, dry_run: bool
    ) -> None:
        self.svc = svc
        self.rec = rec
        self.path = path
        self.bd = result
        self.dry_run = dry_run
        self.writer = _Writer(svc, rec)
        self.warnings: list[str] = list(result.warnings)
        self.template: _Seq | None = None

    # -- values ---------------------------------------------------------------------------

    def frames(self, estimate: int, fps: Fraction, where: str) -> int:
        """The estimate (made at the breakdown's rate) at ``fps``, within one shot's limit."""
        frames = estimate
        if fps != self.bd.fps:
            frames = max(1, round(Fraction(estimate) * fps / self.bd.fps))
        limit = int(MAX_DURATION_SECONDS * fps)
        if frames > limit:
            self.warnings.append(
                f"{where}: the estimated {frames} frames are over the "
                f"{MAX_DURATION_SECONDS // 60}-minute limit of one shot; planned at the limit"
            )
            frames = limit
        return frames

    def shot_values(self, scene_number: str, beat: Beat, fps: Fraction) -> dict[str, Any]:
        where = f"scene {scene_number}, line {beat.line}"
        frames = self.frames(beat.estimated_frames, fps, where)
        try:
            values = self.svc._validate_shot_fields(
                {
                    "prompt": beat.prompt,
                    "dialogue": beat.caption,
                    "duration_frames": frames,
                    "scene": scene_number,
                },
                fps,
            )
        except InvalidInput as exc:
            raise ScriptImportError(
                f"{self.path.name}, {where}: {exc}; nothing was changed"
            ) from None
        values.update(
            source_key=beat.source_key,
            source_prompt=beat.prompt,
            source_frames=frames,
            script_status="",
        )
        return values

    # -- the two kinds of import ----------------------------------------------------------

    def run(self) -> ImportReport:
        seqs = _read_sequences(self.rec)
        shots = _read_shots(self.rec)
        live = [s for s in seqs if not s.deleted]
        self.template = live[0] if live else None
        if any(s.source_key for s in live):
            return self.reimport(seqs, shots)
        return self.first_import(seqs, shots)

    def first_import(self, seqs: list[_Seq], shots: list[_Shot]) -> ImportReport:
        # Sequences an earlier import made and the user deleted since are no longer tracked:
        # this import starts afresh and a later re-import must not match them.
        for s in seqs:
            if s.deleted and s.source_key:
                self.rec.update(Q, s.id, source_key="")
        live = [s for s in seqs if not s.deleted]
        reuse: _Seq | None = None
        if len(live) == 1 and not any(sh.sequence_id == live[0].id for sh in shots):
            reuse = live[0]  # the new project's empty "Sequence 1": it becomes scene 1
        previous: int | None = None
        total_shots = 0
        lines: list[str] = []
        for scene in self.bd.scenes:
            if reuse is not None:
                seq_id = reuse.id
                self.rec.update(
                    Q,
                    seq_id,
                    name=self.writer.unique_name(scene.name, ignore_id=seq_id),
                    scene=scene.number,
                    source_key=_scene_key(scene),
                    source_heading=scene.heading,
                    script_status="",
                )
                fps = reuse.fps
                reuse = None
            else:
                index = None if previous is None else self.writer.sequence_index(previous) + 1
                seq_id, fps = self.new_sequence(scene, index)
            previous = seq_id
            for beat in scene.beats:
                self.writer.insert_shot(seq_id, self.shot_values(scene.number, beat, fps))
            total_shots += len(scene.beats)
            lines.append(
                f'Scene {scene.number}: "{scene.heading}" ({_count(len(scene.beats), "shot")})'
            )
        elements, element_lines = self.elements()
        title = f' "{self.bd.title}"' if self.bd.title else ""
        summary = (
            f"Imported{title}: {_count(len(self.bd.scenes), 'scene')}, "
            f"{_count(total_shots, 'shot')}, {_count(len(elements), 'new element')}."
        )
        return ImportReport(
            script=str(self.path),
            title=self.bd.title,
            reimport=False,
            dry_run=self.dry_run,
            scenes_in_script=len(self.bd.scenes),
            sequences_added=len(self.bd.scenes),
            shots_added=total_shots,
            elements_added=tuple(elements),
            lines=tuple([summary, *lines, *element_lines]),
            warnings=tuple(self.warnings),
        )

    def new_sequence(self, scene: SceneBreakdown, index: int | None) -> tuple[int, Fraction]:
        t = self.template
        fps = t.fps if t else self.bd.fps
        size = (t.width, t.height) if t else (1280, 720)
        seq_id = self.writer.insert_sequence(
            index,
            name=scene.name,
            scene=scene.number,
            fps=fps,
            size=size,
            source_key=_scene_key(scene),
            source_heading=scene.heading,
        )
        return seq_id, fps

    def elements(self) -> tuple[list[str], list[str]]:
        added, warnings = self.writer.add_elements((*self.bd.characters, *self.bd.locations))
        self.warnings += warnings
        kinds = {e.name: e.kind for e in (*self.bd.characters, *self.bd.locations)}
        return added, [f"New element @{name} ({kinds[name]})" for name in added]

    def reimport(self, seqs: list[_Seq], shots: list[_Shot]) -> ImportReport:
        tracked: list[_Seq] = []
        by_number: dict[str, _Seq] = {}
        for s in seqs:  # in project order; a live sequence wins a number over a deleted one
            if not s.source_key:
                continue
            key = s.scene.upper()
            other = by_number.get(key)
            if other is not None and not other.deleted and not s.deleted:
                raise ScriptImportError(
                    f"sequences {other.name!r} and {s.name!r} both have scene number "
                    f"{s.scene!r}; give one of them another scene number, then import again "
                    "(nothing was changed)"
                )
            if other is not None and not s.deleted:
                tracked.remove(other)
            elif other is not None:
                continue
            by_number[key] = s
            tracked.append(s)
        shots_of: dict[int, list[_Shot]] = {}
        for sh in shots:
            shots_of.setdefault(sh.sequence_id, []).append(sh)
        existing = [
            ExistingScene(
                number=s.scene,
                heading=s.source_heading,
                shots=tuple(
                    ExistingShot(
                        shot_id=sh.id,
                        source_key=sh.source_key,
                        source_prompt=sh.source_prompt,
                        prompt=sh.prompt,
                        order=sh.position,
                        code=sh.code,
                    )
                    for sh in shots_of.get(s.id, [])
                ),
            )
            for s in tracked
        ]
        plan = plan_reimport(existing, self.bd)
        return _Reimport(self, plan, by_number, {sh.id: sh for sh in shots}).apply()


class _Reimport:
    """Applies a :class:`ReimportPlan` to the project, leaving alone what the user deleted."""

    def __init__(
        self,
        job: _ScriptImport,
        plan: ReimportPlan,
        by_number: dict[str, _Seq],
        shots: dict[int, _Shot],
    ) -> None:
        self.job = job
        self.rec = job.rec
        self.writer = job.writer
        self.by_number = by_number
        self.shots = shots
        self.seq_by_id = {s.id: s for s in by_number.values()}
        # new scene number -> the project's sequence it matched
        self.matched: dict[int, _Seq] = {}
        self.seq_for: dict[str, _Seq] = {}
        for m in plan.scene_matches:
            seq = by_number[m.existing_number.upper()]
            self.matched[m.scene_index] = seq
            self.seq_for[m.number.upper()] = seq
        self.plan = self.filtered(plan)

    def gone(self, shot_id: int) -> bool:
        """Deleted in the project (itself or its sequence): a re-import never brings it back."""
        shot = self.shots[shot_id]
        return shot.deleted or self.seq_by_id[shot.sequence_id].deleted

    def filtered(self, plan: ReimportPlan) -> ReimportPlan:
        # shots deleted one by one (those of a deleted sequence are reported with the scene)
        self.left_deleted_shots = sum(
            1
            for c in (*plan.unchanged, *plan.changed, *plan.conflicts)
            if self.shots[c.shot_id].deleted
            and not self.seq_by_id[self.shots[c.shot_id].sequence_id].deleted
        )
        self.left_deleted_scenes = [
            (plan.scenes[i], seq) for i, seq in self.matched.items() if seq.deleted
        ]

        def live_scene(number: str) -> bool:
            seq = self.seq_for.get(number.upper())
            return seq is not None and not seq.deleted

        return replace(
            plan,
            unchanged=tuple(u for u in plan.unchanged if not self.gone(u.shot_id)),
            changed=tuple(c for c in plan.changed if not self.gone(c.shot_id)),
            conflicts=tuple(k for k in plan.conflicts if not self.gone(k.shot_id)),
            added=tuple(a for a in plan.added if live_scene(a.scene_number)),
            removed=tuple(
                r
                for r in plan.removed
                if not self.gone(r.shot_id) and self.shots[r.shot_id].script_status != REMOVED
            ),
            removed_scenes=tuple(
                # the report counts the scene's shots: only those the project still holds
                replace(g, shot_ids=tuple(i for i in g.shot_ids if not self.shots[i].deleted))
                for g in plan.removed_scenes
                if not self.by_number[g.number.upper()].deleted
                and self.by_number[g.number.upper()].script_status != REMOVED
            ),
            retitled_scenes=tuple(r for r in plan.retitled_scenes if live_scene(r.number)),
        )

    def apply(self) -> ImportReport:
        plan, job = self.plan, self.job
        extra: list[str] = []
        restored_scenes = restored_shots = 0

        for r in plan.retitled_scenes:
            seq = self.seq_for[r.number.upper()]
            values: dict[str, Any] = {"source_heading": r.new_heading, "scene": r.number}
            if seq.name == f"{r.old_number} {r.old_heading}":  # still the name the import gave
                values["name"] = self.writer.unique_name(
                    f"{r.number} {r.new_heading}", ignore_id=seq.id
                )
            self.rec.update(Q, seq.id, **values)
            if r.old_number != r.number:
                for sh in self.shots.values():
                    if sh.sequence_id == seq.id and sh.scene == r.old_number:
                        self.rec.update(S, sh.id, scene=r.number)

        for i, seq in self.matched.items():
            if not seq.deleted and seq.script_status == REMOVED:
                self.rec.update(Q, seq.id, script_status="")
                restored_scenes += 1
                scene = plan.scenes[i]
                extra.append(
                    f'Scene {scene.number}: "{scene.heading}" is back in the script (flag cleared)'
                )

        for c in plan.changed:
            shot = self.shots[c.shot_id]
            fps = self.seq_by_id[shot.sequence_id].fps
            new = job.shot_values(c.scene_number, c.beat, fps)
            values = {
                "source_key": new["source_key"],
                "source_prompt": new["source_prompt"],
                "source_frames": new["source_frames"],
                "dialogue": new["dialogue"],
            }
            if c.prompt_changed:  # the plan made sure the prompt was not edited by hand
                values["prompt"] = new["prompt"]
            if shot.source_frames is not None and shot.duration_frames == shot.source_frames:
                values["duration_frames"] = new["duration_frames"]
            self.rec.update(S, shot.id, **values)

        # A conflict keeps the user's prompt, but the script's new text becomes the shot's
        # source (dialogue and an untouched estimate follow it too): the conflict is reported
        # once, and the next re-import of the same draft finds nothing to say about it.
        for k in plan.conflicts:
            shot = self.shots[k.shot_id]
            fps = self.seq_by_id[shot.sequence_id].fps
            new = job.shot_values(k.scene_number, k.beat, fps)
            values = {
                "source_key": new["source_key"],
                "source_prompt": new["source_prompt"],
                "source_frames": new["source_frames"],
                "dialogue": new["dialogue"],
            }
            if shot.source_frames is not None and shot.duration_frames == shot.source_frames:
                values["duration_frames"] = new["duration_frames"]
            self.rec.update(S, shot.id, **values)

        for item in (*plan.unchanged, *plan.changed, *plan.conflicts):
            shot = self.shots[item.shot_id]
            if shot.script_status == REMOVED:
                self.rec.update(S, shot.id, script_status="")
                restored_shots += 1
                extra.append(
                    f"Scene {item.scene_number}: shot {item.scene_number}/{shot.code} is back "
                    "in the script (flag cleared)"
                )

        last: dict[tuple[str, int | None], int] = {}
        for a in plan.added:
            seq = self.seq_for[a.scene_number.upper()]
            anchor_key = (a.scene_number.upper(), a.after_shot_id)
            after = last.get(anchor_key, a.after_shot_id)
            new_id, _code = self.writer.insert_shot(
                seq.id,
                job.shot_values(a.scene_number, a.beat, seq.fps),
                after=after,
                at_start=after is None,
            )
            last[anchor_key] = new_id

        for r in plan.removed:
            self.rec.update(S, r.shot_id, script_status=REMOVED)
        for g in plan.removed_scenes:
            self.rec.update(Q, self.by_number[g.number.upper()].id, script_status=REMOVED)

        # New scenes, in script order, each after the scene before it in the script (the
        # first one before the project's first imported sequence).
        live_tracked = [s.id for s in self.by_number.values() if not s.deleted]
        anchor: int | None = None
        new_shots = 0
        for i, scene in enumerate(plan.scenes):
            if i in self.matched:
                if not self.matched[i].deleted:
                    anchor = self.matched[i].id
                continue
            if anchor is not None:
                index: int | None = self.writer.sequence_index(anchor) + 1
            elif live_tracked:
                index = min(self.writer.sequence_index(s) for s in live_tracked)
            else:  # pragma: no cover - a re-import always has a live imported sequence
                index = None
            seq_id, fps = job.new_sequence(scene, index)
            for beat in scene.beats:
                self.writer.insert_shot(seq_id, job.shot_values(scene.number, beat, fps))
            new_shots += len(scene.beats)
            anchor = seq_id

        elements, element_lines = job.elements()
        shots_added = len(plan.added) + new_shots
        counts = [
            _count(len(plan.changed), "changed shot"),
            _count(len(plan.conflicts), "conflict"),
            _count(shots_added, "new shot"),
            _count(len(plan.removed), "removed shot"),
            _count(len(plan.new_scenes), "new scene"),
            _count(len(plan.removed_scenes), "removed scene"),
            _count(len(plan.retitled_scenes), "changed heading"),
            _count(restored_shots, "shot") + " back in the script",
            _count(restored_scenes, "scene") + " back in the script",
            _count(len(elements), "new element"),
        ]
        unchanged = _count(len(plan.unchanged), "shot") + " unchanged"
        listed = [c for c in counts if not c.startswith("0 ")]
        if listed:
            summary = f"Re-import: {', '.join(listed)}; {unchanged}."
        else:
            summary = f"Re-import: no changes ({unchanged})."
        # the plan's own lines after its summary: one per change, scene by scene
        lines = [summary, *plan.report_lines()[1:], *extra, *element_lines]
        for scene, seq in self.left_deleted_scenes:
            lines.append(
                f'Scene {scene.number}: "{scene.heading}" is in the script, but its sequence '
                f"{seq.name!r} was deleted in the project; left deleted"
            )
        if self.left_deleted_shots:
            lines.append(
                f"{_count(self.left_deleted_shots, 'shot')} deleted in the project "
                f"{'was' if self.left_deleted_shots == 1 else 'were'} left deleted"
            )
        return ImportReport(
            script=str(job.path),
            title=job.bd.title,
            reimport=True,
            dry_run=job.dry_run,
            scenes_in_script=len(plan.scenes),
            sequences_added=len(plan.new_scenes),
            sequences_retitled=len(plan.retitled_scenes),
            sequences_flagged=len(plan.removed_scenes),
            sequences_restored=restored_scenes,
            shots_added=shots_added,
            shots_changed=len(plan.changed),
            shots_unchanged=len(plan.unchanged),
            shots_flagged=len(plan.removed),
            shots_restored=restored_shots,
            conflicts=len(plan.conflicts),
            shots_left_deleted=self.left_deleted_shots,
            sequences_left_deleted=len(self.left_deleted_scenes),
            elements_added=tuple(elements),
            lines=tuple(lines),
            warnings=tuple(job.warnings),
        )


def import_script(svc: ProjectService, path: str | Path, *, dry_run: bool = False) -> ImportReport:
    """Import (or re-import) a Fountain screenplay into the project as one undoable command.

    Raises :class:`ScriptImportError` (nothing changed) for a missing file, a file that is not
    UTF-8, a script with no scene headings, or a beat the project cannot hold.
    """
    path = Path(path)
    script = _read_script(path)
    seqs = svc.sequences()
    fps = seqs[0].fps if seqs else Fraction(24)
    try:
        result = breakdown(script, fps=fps)
    except ScreenplayError as exc:
        raise ScriptImportError(f"{path.name}: {' '.join(str(exc).split())}") from None
    if not result.scenes:
        raise ScriptImportError(
            f"{path} has no scene headings (lines like 'INT. KITCHEN - DAY', or a line starting "
            "with a period such as '.FLASHBACK'); nothing was imported"
        )
    try:
        with svc.command(f"Import script {path.name}") as rec:
            report = _ScriptImport(svc, rec, path, result, dry_run).run()
            if report.reimport:
                rec.label = f"Re-import script {path.name}"
            if dry_run:
                raise _Rollback(report)
    except _Rollback as stop:
        return stop.result  # type: ignore[no-any-return]
    for line in report.warnings:
        log.warning("%s: %s", path.name, line)
    return report
