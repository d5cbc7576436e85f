"""The job runner: one thread per project that takes jobs from the queue and runs them.

It holds the project's runner lock (only one runner per project, across processes), recovers
jobs a crashed runner left ``running`` and sweeps unreferenced media when it starts. Each job's
engine work happens in a warm worker process (``engine.worker``); the runner relays progress and
previews to listeners, then checks the files, moves them into the project and records the take.
A worker that dies fails only its job; the next job gets a fresh worker.

Whoever holds the lock runs every pending job, whichever process queued it, so a job queued
by a process that cannot run it (another one holds the lock, or it was killed) is still run.
While a job runs, the runner polls its row: a cancel asked for by another process
(``previz jobs cancel``) stops it like a local cancel.

A job whose ``runs_on`` names a render farm is sent to the cluster instead and followed there by
the runner's `previz.services.farm_jobs.FarmJobs`; the next runner that takes the lock follows
the farm jobs a runner that went away left running (`acquire`).
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from previz.core.errors import InvalidInput, PrevizError
from previz.core.values import JobInfo
from previz.services.farm_jobs import FARM_POLL_S, FarmJobs
from previz.services.generation import Generation, LongChain
from previz.services.job_events import (  # noqa: F401 - JobProgress, RunnerListener: the API
    JobProgress,
    RunnerListener,
    emit_changed,
    emit_take,
    first_line,
    relay_progress,
)
from previz.services.project import ProjectService
from previz.services.takes import install_take

log = logging.getLogger(__name__)

PROGRESS_DB_INTERVAL_S = 0.5
CANCEL_POLL_S = 0.25  # how often a running job's row is read for a cancel from elsewhere
LOCK_RETRY_S = 1.0  # how often a runner waiting for the runner lock tries to take it


class JobRunner:
    def __init__(
        self,
        svc: ProjectService,
        *,
        worker_factory: Callable[[], Any] | None = None,
        grace_s: float = 2.0,
    ) -> None:
        self.svc = svc
        self.gen = Generation(svc)
        self.queue = self.gen.queue
        self._worker_factory = worker_factory or (lambda: _default_worker(grace_s))
        self._worker: Any = None
        self._listeners: list[RunnerListener] = []
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._current: tuple[int, Any] | None = None  # (job id, CancelToken)
        self._handoff: int | None = None  # a job stopped to be put back in the queue
        self._cur_lock = threading.Lock()
        self.recovered: list[int] = []
        self.farm_debug: dict[str, Any] | None = None  # test hook: faults for farm jobs
        self.farm = FarmJobs(self)  # the render-farm jobs this runner follows

    # --- lifecycle ----------------------------------------------------------------------------

    def acquire(self) -> bool:
        """Take the runner lock; on success recover crashed jobs and sweep stray media."""
        if not self.svc.store.lock.acquire():
            return False
        self.recovered = self.queue.recover()
        try:
            self.queue.sweep()
        except OSError as exc:
            log.warning("media sweep failed: %s", exc)
        self.farm.reattach()
        return True

    def start(self, *, wait_for_lock: bool = False) -> bool:
        """Run queued jobs on a thread of their own. Returns whether this runner holds the
        project's runner lock now. With ``wait_for_lock``, a runner that finds the lock held
        (a ``previz generate`` in a shell runs the queue) keeps trying in the background and
        takes the queue over the moment the other process lets it go, so a job queued here
        later never waits for nobody."""
        if self._thread is not None:
            return self.holds_lock
        if not self.acquire():
            if not wait_for_lock:
                return False
            target = self._wait_then_loop
        else:
            target = self._loop
        self._thread = threading.Thread(target=target, name="previz-job-runner", daemon=True)
        self._thread.start()
        return self.holds_lock

    @property
    def holds_lock(self) -> bool:
        return bool(self.svc.store.lock.held)

    def _wait_then_loop(self) -> None:
        while not self._stop.is_set():
            if self.acquire():
                for lst in list(self._listeners):
                    if hasattr(lst, "runner_lock_taken"):
                        lst.runner_lock_taken()
                self._loop()
                return
            self._stop.wait(LOCK_RETRY_S)

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self.cancel_current()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.farm.stop_following(timeout)
        if self._worker is not None:
            try:
                self._worker.close()
            except Exception:
                log.exception("closing the worker failed")
            self._worker = None
        self.svc.store.lock.release()

    def stop_after_current(self) -> None:
        """Let the running job end (or be cancelled) but claim no further job."""
        self._stop.set()
        self._wake.set()

    def release(self) -> None:
        """Free the runner lock between runs (``run_pending`` on the caller's thread), keeping
        the worker warm; ``acquire`` takes it again."""
        self.svc.store.lock.release()

    def add_listener(self, listener: RunnerListener) -> None:
        self._listeners.append(listener)

    def wake(self) -> None:
        """New jobs were queued."""
        self._wake.set()

    # --- control ------------------------------------------------------------------------------

    def cancel(self, job_id: int) -> bool:
        """Cancel a pending job, the running one (cooperatively, then by ending the worker), or
        one another process is running (through its job row, which that runner watches)."""
        with self._cur_lock:
            cur = self._current
        if cur is not None and cur[0] == job_id:
            cur[1].cancel()
            return True
        if self.farm.cancel(job_id):
            return True
        try:
            self.queue.request_cancel(job_id)
        except InvalidInput:  # it finished meanwhile
            return False
        self._emit_changed(self.queue.get(job_id))
        return True

    def cancel_current(self) -> None:
        with self._cur_lock:
            cur = self._current
        if cur is not None:
            cur[1].cancel()

    def release_current(self) -> int | None:
        """Stop the running job and put it back in the queue (not cancelled): this runner is
        going away and another process will run it. Returns its id."""
        with self._cur_lock:
            cur = self._current
            if cur is not None:
                self._handoff = cur[0]
        if cur is None:
            return None
        cur[1].cancel()
        return int(cur[0])

    @property
    def current_job(self) -> int | None:
        with self._cur_lock:
            return self._current[0] if self._current else None

    # --- the loop -----------------------------------------------------------------------------

    def _loop(self) -> None:
        self.farm.ensure_following()
        while not self._stop.is_set():
            job = self.queue.claim_next()
            if job is None:
                self._wake.wait(0.5)
                self._wake.clear()
                continue
            self.run_job(job)

    def run_pending(self, job_ids: set[int] | None = None) -> None:
        """Run queued jobs (only ``job_ids``, if given; else every pending job, whoever queued
        it) on the calling thread until none is left or the runner is stopped. Farm jobs run at
        once on the cluster; this returns when the ones it follows have finished too."""
        self.farm.ensure_following()
        while not self._stop.is_set():
            job = self.queue.claim_next(job_ids)
            if job is None:
                if self.following:
                    self._stop.wait(FARM_POLL_S)
                    continue
                return
            if self._stop.is_set():  # stopped while claiming: leave it for the next runner
                self.queue.requeue(job.id)
                return
            self.run_job(job)

    def run_job(self, job: JobInfo) -> JobInfo:
        from engine.api import Cancelled, CancelToken, EngineError
        from previz.services.farm import is_farm

        if is_farm(job.runs_on):
            return self.farm.submit(job)
        self._emit_changed(job)
        token = CancelToken()
        with self._cur_lock:
            self._current = (job.id, token)
        last_db = 0.0
        p = job.payload

        def on_event(ev: Any) -> None:
            nonlocal last_db
            relay_progress(self._listeners, job, ev)
            now = time.monotonic()
            if now - last_db > PROGRESS_DB_INTERVAL_S:
                last_db = now
                try:
                    self.queue.set_progress(job.id, ev.step / max(1, ev.total))
                except Exception as exc:  # progress is cosmetic: a busy or full disk is not fatal
                    log.warning("could not record progress of job %s: %s", job.id, exc)

        watching = threading.Event()
        watcher = threading.Thread(
            target=self._watch_cancel,
            args=(job.id, token, watching),
            name=f"previz-job-{job.id}-cancel",
            daemon=True,
        )
        watcher.start()
        try:
            token.raise_if_cancelled()
            self.gen.verify_sources(p)  # the parent's media may have gone since it was queued
            scratch = self.queue.scratch_dir(job.id)
            if p["op"] == "long":
                new = self._run_long(p, scratch, on_event, token)
                how = (
                    "one long-video call" if new.recipe["long_method"] == "pipeline" else "chained"
                )
                summary = (
                    f"{new.recipe['windows'][-1]['end']} frames in {len(new.segments)} windows "
                    f"({how})"
                )
            else:
                request = self.gen.build_request(p)
                out = self._run_in_worker(request, scratch, on_event, token, p["engine"])
                new = self.gen.new_take(p, out.files, out.result)
                summary = _summary(out.result)
            token.raise_if_cancelled()
            take = install_take(self.svc, job.shot_id, scratch, new)
            done = self.queue.finish(job.id, "done", summary, take_id=take.id)
            emit_take(self._listeners, take)
        except Cancelled:
            with self._cur_lock:
                handoff, self._handoff = self._handoff == job.id, None
            if handoff:
                self.queue.requeue(job.id)
                done = self.queue.get(job.id)
            else:
                done = self.queue.finish(job.id, "canceled", "cancelled")
        except (EngineError, PrevizError) as exc:  # said plainly, no traceback
            done = self.queue.finish(job.id, "failed", _first_line(exc))
        except OSError as exc:
            from engine.worker import DISK_FULL_ERRNOS, disk_full_message

            if exc.errno in DISK_FULL_ERRNOS:
                done = self.queue.finish(job.id, "failed", disk_full_message(exc, self.svc.folder))
            else:
                log.exception("job %s failed", job.id)
                done = self.queue.finish(job.id, "failed", _first_line(exc))
        except Exception as exc:  # a failure must fail only this job, with a message
            log.exception("job %s failed", job.id)
            done = self.queue.finish(job.id, "failed", _first_line(exc))
        finally:
            watching.set()
            with self._cur_lock:
                self._current = None
        self._emit_changed(done)
        return done

    def _watch_cancel(self, job_id: int, token: Any, finished: threading.Event) -> None:
        """Cancel the job when another process asks for it (its row says so)."""
        while not finished.wait(CANCEL_POLL_S):
            try:
                if self.queue.cancel_requested(job_id):
                    token.cancel()
                    return
            except Exception as exc:  # a busy database: look again next time
                log.debug("cancel poll of job %s failed: %s", job_id, exc)

    def _run_long(self, p: dict[str, Any], scratch: Any, on_event: Any, token: Any) -> Any:
        """Make a long shot window by window (`LongChain`), each window in the worker."""
        reuse = p.get("reuse")
        if p.get("long_method") == "pipeline" and not (reuse and reuse["from"] > 0):
            return self._run_long_call(p, scratch, on_event, token)
        chain = LongChain(self.gen, p)
        while not chain.finished:
            request = chain.request()
            wdir = scratch / f"w{chain.k:02d}"

            def window_event(ev: Any) -> None:
                on_event(chain.event(ev))

            out = self._run_in_worker(request, wdir, window_event, token, p["engine"])
            chain.window_done(wdir, out.files, out.result)
        return chain.take()

    def _run_long_call(self, p: dict[str, Any], scratch: Any, on_event: Any, token: Any) -> Any:
        """Make a long shot in one call of the model's long-video pipeline; the job cuts its
        output into one clip per window (scratch/wNN), as chained windows are stored."""

        request = self.gen.long_request(p)
        out = self._run_in_worker(request, scratch, on_event, token, p["engine"])
        made = [
            (k, files, dataclasses.replace(out.result, recipe=dict(out.window_recipes[k])))
            for k, files in enumerate(out.windows)
        ]
        return self.gen.new_long_take(p, made, call_recipe=dict(out.result.recipe))

    def _run_in_worker(
        self, request: Any, scratch: Any, on_event: Any, token: Any, engine: str
    ) -> Any:
        if self._worker is None:
            self._worker = self._worker_factory()
        return self._worker.run(request, scratch, on_event, token, engine=engine)

    # --- the render farm (previz.services.farm_jobs) ------------------------------------------

    @property
    def following(self) -> list[int]:
        """Ids of the farm jobs this runner follows."""
        return self.farm.following

    def collect_farm(self) -> list[JobInfo]:
        """One pass over the farm jobs left running (``previz jobs list``): record the finished
        ones. Needs the runner lock. Returns the jobs that finished."""
        return self.farm.collect()

    def follow_farm_once(self) -> list[JobInfo]:
        """Poll every followed farm job once: relay progress, pass on cancels, collect results."""
        return self.farm.follow_once()

    def _emit_changed(self, job: JobInfo) -> None:
        emit_changed(self._listeners, job)


def _default_worker(grace_s: float) -> Any:
    from engine.worker import WorkerClient
    from previz.services.generation import apply_engine_environment

    apply_engine_environment()
    return WorkerClient(grace_s=grace_s)


_first_line = first_line


def _summary(result: Any) -> str:
    timings = dict(result.timings or {})
    secs = timings.get("job_s") or timings.get("total_s") or 0.0
    notes = "; ".join(result.notes)
    return f"{result.frames} frames in {secs:.1f}s" + (f" ({notes})" if notes else "")
