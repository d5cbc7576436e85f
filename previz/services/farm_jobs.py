"""Farm jobs as the job runner follows them: sent to the cluster, polled, collected.

A job whose ``runs_on`` names a render farm (`previz.services.farm`) is sent to the cluster
instead of the local worker and followed by a thread of its own, so many farm jobs run at once:
the runner relays their progress, cancels them there when asked, and when one finishes checks the
files that come back, moves them into the project and records the take, exactly as for a local
job. Farm jobs belong to the cluster: a runner that stops leaves them running, and the next
runner that takes the lock follows them again (`FarmJobs.reattach`); one the cluster no longer
knows becomes interrupted.

A long shot runs on the farm window by window, each window a farm request of its own sent when
the previous one comes back (`LongChain`, as the local worker chains them); the take is recorded
when the last window is in. The chain lives in the runner that sent it: a runner that stops
mid-shot leaves the shot to nobody, and the next runner makes the job interrupted (retryable).

`FarmJobs` is owned by a `previz.services.runner.JobRunner`, which delegates its farm jobs to it.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

from previz.core.errors import PrevizError
from previz.core.values import JobInfo
from previz.services.job_events import emit_changed, emit_take, first_line, relay_progress
from previz.services.takes import install_take

log = logging.getLogger(__name__)

PROGRESS_DB_INTERVAL_S = 0.5
FARM_POLL_S = 0.25  # how often the farm jobs this runner follows are polled


@dataclass
class _FarmJob:
    job: JobInfo
    key: str  # the farm request followed now (a long shot's: its current window's)
    seen: int = 0  # progress events already relayed
    cancel: bool = False  # cancelled here (runner.cancel)
    cancel_sent: bool = False
    last_db: float = 0.0
    where: str = ""
    base: str = ""  # the job's key on the farm (recorded in the take's recipe)
    chain: Any = None  # a long shot's LongChain
    scratch: Any = None  # a long shot's scratch folder (its windows in wNN)

    def __post_init__(self) -> None:
        self.base = self.base or self.key


class FarmJobs:
    """The farm jobs one runner follows (it holds the project's runner lock)."""

    def __init__(self, runner: Any) -> None:  # a JobRunner
        self.runner = runner
        self.svc = runner.svc
        self.gen = runner.gen
        self.queue = runner.queue
        self._farm: dict[int, _FarmJob] = {}  # job id -> _FarmJob
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    @property
    def _listeners(self) -> list[Any]:
        return list(self.runner._listeners)

    def _emit_changed(self, job: JobInfo) -> None:
        emit_changed(self._listeners, job)

    @property
    def following(self) -> list[int]:
        """Ids of the farm jobs this runner follows."""
        with self._lock:
            return sorted(self._farm)

    def client(self, address: str) -> Any:
        from previz.services.farm import FarmClient

        client = self._clients.get(address)
        if client is None:
            client = self._clients[address] = FarmClient(address)
        return client

    def _project_uid(self) -> str:
        return str(self.svc.store.project_row()["uid"])

    def cancel(self, job_id: int) -> bool:
        """Cancel a farm job this runner follows (on its next poll); False if it follows none."""
        with self._lock:
            fj = self._farm.get(job_id)
            if fj is None:
                return False
            fj.cancel = True
            return True

    # --- sending ------------------------------------------------------------------------------

    def submit(self, job: JobInfo) -> JobInfo:
        """Send a claimed job to its farm; it stays ``running`` and is followed from here."""
        from engine.api import EngineError
        from previz.services.farm import job_key
        from previz.services.generation import LongChain

        self._emit_changed(job)
        p = job.payload
        chain = scratch = None
        try:
            self.gen.verify_sources(p)
            key = base = job_key(self._project_uid(), job.id)
            if p["op"] == "long":  # window by window, each its own farm request
                chain = LongChain(self.gen, dict(p, long_method="chain"))
                scratch = self.queue.scratch_dir(job.id)
                key = _window_key(base, chain.k)
                self._send(job, key, chain.request())
            else:
                self._send(job, key, self.gen.build_request(p))
        except (EngineError, PrevizError, OSError) as exc:
            done = self.queue.finish(job.id, "failed", first_line(exc))
            self._emit_changed(done)
            return done
        except Exception as exc:  # a failure must fail only this job, with a message
            log.exception("job %s could not be sent to the farm", job.id)
            done = self.queue.finish(job.id, "failed", f"render farm: {first_line(exc)}")
            self._emit_changed(done)
            return done
        with self._lock:
            self._farm[job.id] = _FarmJob(job, key, base=base, chain=chain, scratch=scratch)
        self.queue.set_progress(job.id, 0.0, f"sent to the farm {job.runs_on}")
        self.ensure_following()
        return self.queue.get(job.id)

    def _send(self, job: JobInfo, key: str, request: Any) -> None:
        p = job.payload
        self.client(job.runs_on).submit(
            key,
            request,
            p["engine"],
            str(getattr(request, "model", "") or ""),
            priority=int(p.get("priority", 0)),
            debug=self.runner.farm_debug or _farm_debug(),
        )

    # --- following ----------------------------------------------------------------------------

    def reattach(self) -> None:
        """Follow the farm jobs a runner that went away left running (lock holder only)."""
        from previz.services.farm import job_key

        uid = self._project_uid()
        orphans = []
        with self._lock:
            for job in self.queue.farm_running():
                if job.id in self._farm:
                    continue
                if job.payload.get("op") == "long":
                    orphans.append(job)  # its chain of windows went with its runner
                else:
                    self._farm[job.id] = _FarmJob(job, job_key(uid, job.id))
        for job in orphans:
            self._orphaned_long(job, job_key(uid, job.id))

    def _orphaned_long(self, job: JobInfo, base: str) -> None:
        """A long shot whose runner stopped mid-shot: the job becomes interrupted (retryable)
        and the window still on the cluster is dropped."""
        try:
            client = self.client(job.runs_on)
            for key in client.keys(f"{base}/w"):
                client.forget(key)
        except Exception as exc:  # an unreachable farm: its window ends unused
            log.warning("could not drop the windows of farm job %s: %s", base, first_line(exc))
        done = self.queue.finish(
            job.id,
            "interrupted",
            "interrupted: Previz stopped during this long shot on the render farm (its windows "
            "are chained by the process that sent it); retry it",
        )
        self._emit_changed(done)

    def ensure_following(self) -> None:
        with self._lock:
            if not self._farm or (self._thread and self._thread.is_alive()):
                return
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._follow_loop, name="previz-farm-follow", daemon=True
            )
            self._thread.start()

    def _follow_loop(self) -> None:
        while not self._stop.is_set():
            with self._lock:
                if not self._farm:
                    self._thread = None
                    return
            try:
                self.follow_once()
            except Exception:  # a lost connection: the jobs stay running; try again
                log.exception("following farm jobs failed")
            self._stop.wait(FARM_POLL_S)

    def stop_following(self, timeout: float) -> None:
        """Stop following (the jobs go on on the cluster), passing on any cancel asked for."""
        self._stop.set()
        t = self._thread
        if t is not None and t is not threading.current_thread():
            t.join(timeout)
        with self._lock:
            jobs = list(self._farm.values())
        for fj in jobs:
            if fj.cancel or self._cancel_asked(fj.job.id):
                try:
                    self.client(fj.job.runs_on).cancel(fj.key)
                except Exception as exc:
                    log.warning("could not cancel farm job %s: %s", fj.key, exc)

    def _cancel_asked(self, job_id: int) -> bool:
        try:
            return self.queue.cancel_requested(job_id)
        except Exception:
            return False

    def collect(self) -> list[JobInfo]:
        """One pass over the farm jobs left running (``previz jobs list``): record the finished
        ones. Needs the runner lock. Returns the jobs that finished."""
        self.reattach()
        return self.follow_once()

    def follow_once(self) -> list[JobInfo]:
        """Poll every followed farm job once: relay progress, pass on cancels, collect results."""
        with self._lock:
            jobs = list(self._farm.values())
        by_addr: dict[str, list[_FarmJob]] = {}
        for fj in jobs:
            by_addr.setdefault(fj.job.runs_on, []).append(fj)
        finished: list[JobInfo] = []
        for address, group in by_addr.items():
            try:
                client = self.client(address)
                states = client.poll([fj.key for fj in group], {fj.key: fj.seen for fj in group})
            except Exception as exc:  # the next pass connects again (a farm actor that died
                # is started afresh: it knows none of these jobs, which become interrupted)
                log.warning("render farm %s unreachable: %s", address, first_line(exc))
                self._clients.pop(address, None)
                continue
            for fj in group:
                done = self._follow_one(client, fj, states.get(fj.key))
                if done is not None:
                    finished.append(done)
        return finished

    def _follow_one(self, client: Any, fj: _FarmJob, st: dict[str, Any] | None) -> JobInfo | None:
        job = fj.job
        if st is None:
            return self._finished(
                fj,
                "interrupted",
                "interrupted: the render farm no longer knows this job (its node died or the "
                "cluster restarted); retry it",
                forget=False,
            )
        if st["status"] in ("queued", "running") and not fj.cancel_sent:
            if fj.cancel or self._cancel_asked(job.id):
                client.cancel(fj.key)
                fj.cancel_sent = True
        ev = st.get("event")
        fj.seen = int(st.get("events", fj.seen))
        running = st["status"] == "running"
        where = (
            f"farm: on node {st['node'][:8]}"
            + (f" (try {st['attempts']})" if st["attempts"] > 1 else "")
            if running
            else "farm: waiting for a node"
        )
        if ev is not None and fj.chain is not None:  # a window's: the shot's progress
            ev = fj.chain.event(ev)
        if ev is not None:  # the latest progress (also of a job that just finished)
            relay_progress(self._listeners, job, ev, where)
        if st["status"] in ("queued", "running"):
            now = time.monotonic()
            moved = where != fj.where
            if moved or (ev is not None and now - fj.last_db > PROGRESS_DB_INTERVAL_S):
                fj.last_db, fj.where = now, where
                frac = ev.step / max(1, ev.total) if ev is not None else 0.0
                try:
                    self.queue.set_progress(job.id, frac, where)
                    if moved:  # the job panel shows where it runs (waiting, on which node)
                        self._emit_changed(self.queue.get(job.id))
                except Exception as exc:
                    log.warning("could not record progress of job %s: %s", job.id, exc)
            return None
        if st["status"] == "canceled":
            return self._finished(fj, "canceled", "cancelled")
        if st["status"] == "failed":
            return self._finished(fj, "failed", st.get("message") or "failed on the farm")
        if fj.chain is not None:
            return self._window_done(client, fj, st)
        return self._collect(client, fj, st)

    def _window_done(self, client: Any, fj: _FarmJob, st: dict[str, Any]) -> JobInfo | None:
        """A long shot's window came back: keep its files and send the next window, or, after
        the last one, record the take."""
        from engine.api import EngineError
        from engine.farm.pack import unpack_output

        job, chain = fj.job, fj.chain
        try:
            if self._take_of_farm_job(job.shot_id, fj.base) is None:
                wdir = fj.scratch / f"w{chain.k:02d}"
                out = unpack_output(client.result(fj.key), wdir)
                chain.window_done(wdir, out.files, out.result)
                self._forget(client, fj.key)
                if not chain.finished:
                    if fj.cancel or self._cancel_asked(job.id):
                        return self._finished(fj, "canceled", "cancelled", forget=False)
                    fj.key, fj.seen, fj.cancel_sent = _window_key(fj.base, chain.k), 0, False
                    self._send(job, fj.key, chain.request())
                    return None
        except (EngineError, PrevizError) as exc:
            return self._finished(fj, "failed", first_line(exc))
        except OSError as exc:
            return self._finished(fj, "failed", self._os_message(exc))
        except Exception as exc:  # the next window could not be sent: this job fails
            log.exception("farm job %s: the next window could not be sent", fj.base)
            return self._finished(fj, "failed", f"render farm: {first_line(exc)}")
        return self._collect(client, fj, st)

    def _collect(self, client: Any, fj: _FarmJob, st: dict[str, Any]) -> JobInfo:
        """A finished farm job: check its files, move them into the project, record the take
        (once: a take already recorded for this farm job is not made twice)."""
        from engine.api import EngineError
        from engine.farm.pack import unpack_output

        job = fj.job
        try:
            existing = self._take_of_farm_job(job.shot_id, fj.base)
            if existing is not None:
                take = self.svc.take_by_id(existing)
            else:
                if fj.chain is not None:  # a long shot: every window is in its scratch
                    scratch = fj.scratch
                    new = fj.chain.take()
                else:
                    blob = client.result(fj.key)
                    scratch = self.queue.scratch_dir(job.id)
                    out = unpack_output(blob, scratch)
                    new = self.gen.new_take(job.payload, out.files, out.result)
                new = dataclasses.replace(
                    new,
                    recipe={
                        **new.recipe,
                        "farm": {
                            "address": job.runs_on,
                            "job": fj.base,
                            "node": st.get("node"),
                            "attempts": st.get("attempts"),
                            "order": st.get("started"),  # the farm's start order
                        },
                    },
                )
                take = install_take(self.svc, job.shot_id, scratch, new)
            summary = _summary_farm(job.runs_on, st)
            done = self.queue.finish(job.id, "done", summary, take_id=take.id)
        except (EngineError, PrevizError) as exc:
            return self._finished(fj, "failed", first_line(exc))
        except OSError as exc:
            return self._finished(fj, "failed", self._os_message(exc))
        with self._lock:
            self._farm.pop(job.id, None)
        self._forget(client, fj.key)
        self._emit_changed(done)
        emit_take(self._listeners, take)
        return done

    def _take_of_farm_job(self, shot_id: int | None, key: str) -> int | None:
        from sqlalchemy import select

        from previz.store import db, schema

        t = schema.takes
        marker = f'%"job": {json.dumps(key)}%'
        with db.read(self.svc.engine) as conn:
            r = conn.execute(
                select(t.c.id).where(t.c.shot_id == shot_id, t.c.recipe.like(marker))
            ).first()
        return None if r is None else int(r[0])

    def _finished(self, fj: _FarmJob, status: str, message: str, *, forget: bool = True) -> JobInfo:
        with self._lock:
            self._farm.pop(fj.job.id, None)
        done = self.queue.finish(fj.job.id, status, message)
        if forget:
            try:
                client = self.client(fj.job.runs_on)
            except Exception as exc:
                log.warning("could not drop farm job %s: %s", fj.key, exc)
            else:
                self._forget(client, fj.key)
        self._emit_changed(done)
        return done

    def _forget(self, client: Any, key: str) -> None:
        try:
            client.forget(key)
        except Exception as exc:
            log.warning("could not drop farm job %s: %s", key, exc)

    def _os_message(self, exc: OSError) -> str:
        from engine.worker import DISK_FULL_ERRNOS, disk_full_message

        if exc.errno in DISK_FULL_ERRNOS:
            return disk_full_message(exc, self.svc.folder)
        return first_line(exc)


def _window_key(base: str, k: int) -> str:
    """The farm key of window ``k`` of the long shot whose job key is ``base``."""
    return f"{base}/w{k:02d}"


def _farm_debug() -> Any:
    from previz.services.farm import debug_faults

    return debug_faults()


def _summary_farm(address: str, st: dict[str, Any]) -> str:
    tries = int(st.get("attempts") or 1)
    return f"made on the farm {address}" + (f" after {tries} tries" if tries > 1 else "")
