"""The persisted job queue: pending → running → done | failed | canceled | interrupted.

The queue is a table so it survives a restart. Only the process holding the project's runner
lock runs jobs; when it takes the lock it turns every ``running`` row left by a dead runner into
``interrupted`` (retryable) and sweeps media files that no row references.

Any process may cancel a job: a pending one at once, a running one by asking its runner
(the row's message becomes ``cancel requested``; the runner polls its row and stops the job).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from pathlib import Path
from typing import Any

from sqlalchemy import case, func, insert, select, update

from previz.core.errors import InvalidInput, NotFound, PrevizError
from previz.core.values import JobInfo
from previz.store import db, schema
from previz.store.folder import JOBS_TMP, rel, safe_subdir

log = logging.getLogger(__name__)

J = schema.jobs
ACTIVE = ("pending", "running")
FINISHED = ("done", "failed", "canceled", "interrupted")
CANCEL_REQUESTED = "cancel requested"  # the message of a running job another process cancelled


SWEEP_MIN_AGE_S = 120  # a file this new may belong to a row another process is committing


def _recent(path: Path) -> bool:
    import time

    try:
        return time.time() - path.stat().st_mtime < SWEEP_MIN_AGE_S
    except OSError:
        return True


def _info(r: Any) -> JobInfo:
    return JobInfo(
        id=r["id"],
        kind=r["kind"],
        status=r["status"],
        shot_id=r["shot_id"],
        take_id=r["take_id"],
        progress=r["progress"],
        message=r["message"],
        payload=json.loads(r["payload"] or "{}"),
        runs_on=r.get("runs_on") or "local",
        runner=r.get("runner") or "",
    )


class JobQueue:
    def __init__(self, svc: Any) -> None:  # a ProjectService
        self.svc = svc
        self.engine = svc.engine
        self.folder: Path = svc.folder
        self.runner_id = f"{os.getpid()}"
        # where new jobs run (``local`` or a farm address) and their priority (higher first,
        # here and on the farm); the CLI sets these from --farm / --priority before queueing
        self.runs_on: str | None = None  # None: the project's default farm, else the app's
        self.priority: int | None = None  # None: the shot's priority (in the payload)

    # --- queue --------------------------------------------------------------------------------

    def enqueue(self, kind: str, payload: dict[str, Any], shot_id: int | None = None) -> JobInfo:
        if self.priority is not None:
            payload = dict(payload, priority=int(self.priority))
        with db.write(self.engine) as conn:
            pos = conn.execute(select(func.coalesce(func.max(J.c.position), 0))).scalar() + 1
            jid = conn.execute(
                insert(J).values(
                    kind=kind,
                    status="pending",
                    position=pos,
                    shot_id=shot_id,
                    payload=json.dumps(payload),
                    created_at=db.utcnow(),
                    runs_on=self.runs_on or self._default_runs_on(),
                )
            ).inserted_primary_key[0]
        return self.get(int(jid))

    def _default_runs_on(self) -> str:
        from previz.services.farm import default_farm

        return default_farm(self.svc)

    def get(self, job_id: int) -> JobInfo:
        with db.read(self.engine) as conn:
            r = conn.execute(select(J).where(J.c.id == job_id)).mappings().first()
        if r is None:
            raise NotFound(f"job {job_id} does not exist")
        return _info(r)

    def list(self, *, statuses: tuple[str, ...] | None = None, limit: int = 200) -> list[JobInfo]:
        q = select(J).order_by(J.c.status.notin_(ACTIVE), J.c.position, J.c.id.desc()).limit(limit)
        if statuses:
            q = q.where(J.c.status.in_(statuses))
        with db.read(self.engine) as conn:
            return [_info(r) for r in conn.execute(q).mappings()]

    def claim_next(self, only: set[int] | None = None) -> JobInfo | None:
        """Take the first pending job (of ``only``, if given) and mark it running, atomically:
        the highest priority first (a render farm orders its queue the same way), then the
        first in the queue."""
        q = select(J).where(J.c.status == "pending")
        if only is not None:
            q = q.where(J.c.id.in_(only))
        priority = func.coalesce(func.json_extract(J.c.payload, "$.priority"), 0)
        with db.write(self.engine) as conn:
            r = (
                conn.execute(q.order_by(priority.desc(), J.c.position, J.c.id).limit(1))
                .mappings()
                .first()
            )
            if r is None:
                return None
            conn.execute(
                update(J)
                .where(J.c.id == r["id"])
                .values(status="running", started_at=db.utcnow(), runner=self.runner_id, progress=0)
            )
        return self.get(r["id"])

    def set_progress(self, job_id: int, progress: float, message: str = "") -> None:
        with db.write(self.engine) as conn:
            conn.execute(
                update(J)
                .where(J.c.id == job_id, J.c.status == "running")
                .values(
                    progress=progress,
                    # a cancel request from another process stays until the runner acts on it
                    message=case((J.c.message == CANCEL_REQUESTED, J.c.message), else_=message),
                )
            )

    def finish(
        self, job_id: int, status: str, message: str = "", take_id: int | None = None
    ) -> JobInfo:
        if status not in FINISHED:
            raise ValueError(status)
        with db.write(self.engine) as conn:
            conn.execute(
                update(J)
                .where(J.c.id == job_id)
                .values(
                    status=status,
                    message=message,
                    take_id=take_id,
                    finished_at=db.utcnow(),
                    progress=1.0 if status == "done" else J.c.progress,
                )
            )
        self.remove_scratch(job_id)
        return self.get(job_id)

    def cancel_pending(self, job_id: int) -> bool:
        """Cancel a job that has not started; a running one is cancelled by its runner."""
        with db.write(self.engine) as conn:
            n = conn.execute(
                update(J)
                .where(J.c.id == job_id, J.c.status == "pending")
                .values(status="canceled", finished_at=db.utcnow(), message="cancelled")
            ).rowcount
        return bool(n)

    def request_cancel(self, job_id: int) -> str:
        """Cancel a job from any process: "canceled" for a pending job (at once), "requested"
        for a running one (its runner sees the request within a second and stops it)."""
        with db.write(self.engine) as conn:
            r = conn.execute(select(J.c.status).where(J.c.id == job_id)).first()
            if r is None:
                raise NotFound(f"job {job_id} does not exist; `previz jobs list` shows the jobs")
            if r[0] == "pending":
                conn.execute(
                    update(J)
                    .where(J.c.id == job_id)
                    .values(status="canceled", finished_at=db.utcnow(), message="cancelled")
                )
                return "canceled"
            if r[0] == "running":
                conn.execute(update(J).where(J.c.id == job_id).values(message=CANCEL_REQUESTED))
                return "requested"
        raise InvalidInput(
            f"job {job_id} is already {r[0]}; only a queued or running job can be cancelled"
        )

    def cancel_requested(self, job_id: int) -> bool:
        """Whether another process asked to cancel this running job."""
        with db.read(self.engine) as conn:
            r = conn.execute(select(J.c.status, J.c.message).where(J.c.id == job_id)).first()
        return r is None or r[0] != "running" or r[1] == CANCEL_REQUESTED

    def requeue(self, job_id: int) -> None:
        """Put a running job back in the queue (its runner stopped it to hand over the queue)."""
        with db.write(self.engine) as conn:
            conn.execute(
                update(J)
                .where(J.c.id == job_id, J.c.status == "running")
                .values(
                    # a cancel asked for meanwhile wins: the job is not run again
                    status=case((J.c.message == CANCEL_REQUESTED, "canceled"), else_="pending"),
                    finished_at=case((J.c.message == CANCEL_REQUESTED, db.utcnow()), else_=None),
                    message=case((J.c.message == CANCEL_REQUESTED, "cancelled"), else_=""),
                    started_at=None,
                    runner="",
                    progress=0,
                )
            )
        self.remove_scratch(job_id)

    def retry(self, job_id: int) -> JobInfo:
        job = self.get(job_id)
        if job.status not in ("failed", "canceled", "interrupted"):
            raise InvalidInput(
                f"job {job_id} is {job.status}; only a failed, cancelled or "
                "interrupted job can be retried"
            )
        # a retry is the same job again: same place, same payload (no priority added to one
        # that had none)
        prio = job.payload.get("priority")
        with self._placed(job.runs_on, None if prio is None else int(prio)):
            return self.enqueue(job.kind, job.payload, job.shot_id)

    def _placed(self, runs_on: str, priority: int | None) -> Any:
        import contextlib

        @contextlib.contextmanager
        def placed() -> Any:
            old = self.runs_on, self.priority
            self.runs_on, self.priority = runs_on, priority
            try:
                yield
            finally:
                self.runs_on, self.priority = old

        return placed()

    def farm_running(self) -> list[JobInfo]:
        """Running jobs that run on a render farm (they outlive the process that sent them)."""
        with db.read(self.engine) as conn:
            rows = conn.execute(
                select(J)
                .where(J.c.status == "running", J.c.runs_on.is_not(None), J.c.runs_on != "local")
                .order_by(J.c.id)
            ).mappings()
            return [_info(r) for r in rows]

    def move(self, job_id: int, new_index: int) -> None:
        """Reorder the pending queue."""
        with db.write(self.engine) as conn:
            ids = [
                r[0]
                for r in conn.execute(
                    select(J.c.id).where(J.c.status == "pending").order_by(J.c.position, J.c.id)
                )
            ]
            if job_id not in ids:
                raise InvalidInput(f"job {job_id} is not waiting in the queue")
            ids.remove(job_id)
            ids.insert(max(0, min(new_index, len(ids))), job_id)
            for pos, jid in enumerate(ids, start=1):
                conn.execute(update(J).where(J.c.id == jid).values(position=pos))

    # --- scratch folders and recovery (runner-lock holder only) --------------------------------

    def scratch_dir(self, job_id: int) -> Path:
        d = safe_subdir(self.folder, JOBS_TMP) / f"job-{job_id}"
        if d.is_symlink():
            d.unlink()
        elif d.exists():
            shutil.rmtree(d)
        d.mkdir()
        return d

    def remove_scratch(self, job_id: int) -> None:
        try:
            jobs_dir = safe_subdir(self.folder, JOBS_TMP, create=False)
        except PrevizError as exc:  # a linked folder: never delete through it
            log.warning("scratch of job %s left alone: %s", job_id, exc)
            return
        d = jobs_dir / f"job-{job_id}"
        if d.is_symlink():
            d.unlink()
        elif jobs_dir.is_dir():
            shutil.rmtree(d, ignore_errors=True)

    def recover(self) -> list[int]:
        """Mark ``running`` jobs of dead runners ``interrupted`` (``canceled`` when a cancel
        was asked for). Needs the runner lock. A job running on a render farm belongs to the
        cluster, not to the process that sent it: it stays ``running`` for the next runner to
        follow (and to cancel there, if a cancel was asked for)."""
        if not self.svc.store.lock.held:
            raise RuntimeError("only the runner-lock holder may recover jobs")
        with db.write(self.engine) as conn:
            rows = conn.execute(
                select(J.c.id, J.c.message, J.c.runs_on).where(J.c.status == "running")
            ).all()
            rows = [r for r in rows if (r[2] or "local") == "local"]
            ids = [r[0] for r in rows]
            asked = [r[0] for r in rows if r[1] == CANCEL_REQUESTED]
            if ids:
                conn.execute(
                    update(J)
                    .where(J.c.id.in_(ids))
                    .values(
                        status=case((J.c.id.in_(asked), "canceled"), else_="interrupted"),
                        finished_at=db.utcnow(),
                        message=case(
                            (J.c.id.in_(asked), "cancelled"),
                            else_="interrupted: Previz stopped while this job ran; retry it",
                        ),
                    )
                )
        for jid in ids:
            self.remove_scratch(jid)
        return ids

    def recover_if_free(self) -> list[int]:
        """Recover dead runners' jobs now if no runner holds the lock (for listings, so a job
        whose process was killed shows as interrupted, not running). Returns their ids."""
        lock = self.svc.store.lock
        if lock.held:
            return self.recover()
        if not lock.acquire():
            return []
        try:
            return self.recover()
        finally:
            lock.release()

    def sweep(self) -> list[str]:
        """Delete media files no row references. Needs the runner lock; never touches the
        scratch folder of a pending or running job, nor anything outside ``media/``."""
        if not self.svc.store.lock.held:
            raise RuntimeError("only the runner-lock holder may sweep media")
        with db.read(self.engine) as conn:
            refs = self.svc.referenced_paths(conn, live_only=False)
            live_jobs = {r[0] for r in conn.execute(select(J.c.id).where(J.c.status.in_(ACTIVE)))}
        removed: list[str] = []
        try:  # a linked media folder would make the sweep delete outside the project
            media = safe_subdir(self.folder, "media", create=False)
            jobs_dir = safe_subdir(self.folder, JOBS_TMP, create=False)
        except PrevizError as exc:
            log.warning("media sweep skipped: %s", exc)
            return removed
        for root, dirs, files in os.walk(media):
            rootp = Path(root)
            if rootp == jobs_dir:
                for d in list(dirs):
                    jid = d.removeprefix("job-")
                    if not (jid.isdigit() and int(jid) in live_jobs) and not _recent(rootp / d):
                        shutil.rmtree(rootp / d, ignore_errors=True)
                        removed.append(rel(self.folder, rootp / d))
                dirs.clear()
                continue
            for name in files:
                p = rootp / name
                r = rel(self.folder, p)
                if r not in refs and not _recent(p):
                    p.unlink(missing_ok=True)
                    removed.append(r)
        from previz.services.project import _remove_empty_dirs

        _remove_empty_dirs(media / "takes")
        return removed
