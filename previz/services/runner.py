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

A job whose ``runs_on`` names a render farm (`previz.services.farm`) is sent to the cluster
instead and followed by a thread of its own, so many farm jobs run at once: the runner relays
their progress, cancels them there when asked, and when one finishes checks the files that come
back, moves them into the project and records the take, exactly as for a local job. Farm jobs
belong to the cluster: a runner that stops leaves them running, and the next runner that takes
the lock follows them again (`acquire`); one the cluster no longer knows becomes interrupted.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from previz.core.errors import InvalidInput, PrevizError
from previz.core.values import JobInfo, TakeInfo
from previz.services.generation import Generation
from previz.services.project import ProjectService
from previz.services.takes import install_take

log = logging.getLogger(__name__)

PROGRESS_DB_INTERVAL_S = 0.5
CANCEL_POLL_S = 0.25  # how often a running job's row is read for a cancel from elsewhere
LOCK_RETRY_S = 1.0  # how often a runner waiting for the runner lock tries to take it
FARM_POLL_S = 0.25  # how often the farm jobs this runner follows are polled


@dataclass(frozen=True)
class JobProgress:
    job_id: int
    shot_id: int | None
    step: int
    total: int
    elapsed_s: float
    eta_s: float | None
    preview: Any = None  # small RGB numpy array, or None
    stage: str = ""


class RunnerListener:
    """Callbacks from the runner thread (the GUI bridges them onto its own thread)."""

    def job_changed(self, job: JobInfo) -> None: ...
    def job_progress(self, progress: JobProgress) -> None: ...
    def take_added(self, take: TakeInfo) -> None: ...
    def runner_lock_taken(self) -> None:
        """This runner took the queue over from another process."""


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
        # render-farm jobs this runner follows: job id -> _FarmJob
        self._farm: dict[int, _FarmJob] = {}
        self._farm_clients: dict[str, Any] = {}
        self._farm_lock = threading.Lock()
        self._farm_thread: threading.Thread | None = None
        self._farm_stop = threading.Event()
        self.farm_debug: dict[str, Any] | None = None  # test hook: faults for farm jobs

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
        self._reattach_farm()
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
        self._stop_following(timeout)
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
        with self._farm_lock:
            fj = self._farm.get(job_id)
            if fj is not None:
                fj.cancel = True
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
        self._ensure_following()
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
        self._ensure_following()
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
            return self._submit_farm(job)
        self._emit_changed(job)
        token = CancelToken()
        with self._cur_lock:
            self._current = (job.id, token)
        last_db = 0.0
        p = job.payload

        def on_event(ev: Any) -> None:
            nonlocal last_db
            prog = JobProgress(
                job.id,
                job.shot_id,
                ev.step,
                ev.total,
                ev.elapsed_s,
                ev.eta_s,
                ev.preview,
                getattr(ev, "stage", ""),
            )
            for lst in list(self._listeners):
                try:
                    lst.job_progress(prog)
                except Exception:
                    log.exception("progress listener failed")
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
            for lst in list(self._listeners):
                try:
                    lst.take_added(take)
                except Exception:
                    log.exception("take listener failed")
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
        """Make a long shot window by window; each window continues the previous one's lossless
        tail and is colour-matched to the first window's tail."""
        from engine import api

        windows = p["windows"]
        reuse = p.get("reuse")
        start = reuse["from"] if reuse else 0
        if p.get("long_method") == "pipeline" and start == 0:
            return self._run_long_call(p, scratch, on_event, token)
        prev = None
        ref: tuple[Any, ...] = ()
        if reuse and start > 0:
            prev = self.gen.window_source(reuse["take_id"], start - 1)
            if p.get("color_match", True):
                ref = self.gen.window_source(reuse["take_id"], 0).tail
        total = sum(w["end"] - w["start"] for w in windows[start:])
        done_frames = 0
        # where the next window starts in the shot: an engine may make a window a few frames
        # longer than planned (a first window snapped to the model's frame rule); the window
        # after it then makes that many fewer, so the take keeps the shot's length
        at = windows[start]["start"]
        if reuse and start > 0:
            parent = self.svc.take_by_id(reuse["take_id"])
            at = sum(s.end - s.start for s in parent.segments[:start])
        made = []
        for k in range(start, len(windows)):
            w = windows[k]
            n = max(1, w["end"] - at)
            common = dict(
                p, op="generate", num_frames=n, expanded_prompt=w["expanded"], seed=p["seed"] + k
            )
            base = self.gen.build_request(common)
            if prev is None:
                request = base
            else:
                request = api.Extend(
                    source=prev,
                    direction="forward",
                    prompt=base.prompt,
                    negative_prompt=base.negative_prompt,
                    width=prev.width,
                    height=prev.height,
                    num_frames=n,
                    fps=prev.fps,
                    seed=base.seed,
                    steps=base.steps,
                    guidance=base.guidance,
                    model=base.model,
                    labels=base.labels,
                    options=base.options,
                    reference_images=base.reference_images,
                    color_reference=ref,
                )
            stage = f"window {k + 1}/{len(windows)}"

            def window_event(
                ev: Any, offset: int = done_frames, n: int = n, stage: str = stage
            ) -> None:
                frac = ev.step / max(1, ev.total)
                on_event(
                    _Event(offset + int(frac * n), total, ev.elapsed_s, None, ev.preview, stage)
                )

            wdir = scratch / f"w{k:02d}"
            out = self._run_in_worker(request, wdir, window_event, token, p["engine"])
            made.append((k, out.files, out.result))
            # the next window continues this one: its frames, and its recipe (the animatic
            # re-renders the same scene beyond its end rather than holding its last frame)
            prev = dataclasses.replace(out.files.source(wdir), recipe=dict(out.result.recipe))
            if not ref and p.get("color_match", True):
                ref = prev.tail
            done_frames += n
            at += int(out.files.num_frames)
        return self.gen.new_long_take(p, made)

    def _run_long_call(self, p: dict[str, Any], scratch: Any, on_event: Any, token: Any) -> Any:
        """Make a long shot in one call of the model's long-video pipeline; the job cuts its
        output into one clip per window (scratch/wNN), as chained windows are stored."""
        import dataclasses

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

    # --- the render farm ----------------------------------------------------------------------

    @property
    def following(self) -> list[int]:
        """Ids of the farm jobs this runner follows."""
        with self._farm_lock:
            return sorted(self._farm)

    def _farm_client(self, address: str) -> Any:
        from previz.services.farm import FarmClient

        client = self._farm_clients.get(address)
        if client is None:
            client = self._farm_clients[address] = FarmClient(address)
        return client

    def _project_uid(self) -> str:
        return str(self.svc.store.project_row()["uid"])

    def _submit_farm(self, job: JobInfo) -> JobInfo:
        """Send a claimed job to its farm; it stays ``running`` and is followed from here."""
        from engine.api import EngineError
        from previz.services.farm import job_key

        self._emit_changed(job)
        p = job.payload
        try:
            if p["op"] == "long":
                raise InvalidInput(
                    "a long shot (made window by window) does not run on the render farm yet; "
                    "generate it with --farm local"
                )
            self.gen.verify_sources(p)
            request = self.gen.build_request(p)
            key = job_key(self._project_uid(), job.id)
            client = self._farm_client(job.runs_on)
            client.submit(
                key,
                request,
                p["engine"],
                str(getattr(request, "model", "") or ""),
                priority=int(p.get("priority", 0)),
                debug=self.farm_debug or _farm_debug(),
            )
        except (EngineError, PrevizError, OSError) as exc:
            done = self.queue.finish(job.id, "failed", _first_line(exc))
            self._emit_changed(done)
            return done
        except Exception as exc:  # a failure must fail only this job, with a message
            log.exception("job %s could not be sent to the farm", job.id)
            done = self.queue.finish(job.id, "failed", f"render farm: {_first_line(exc)}")
            self._emit_changed(done)
            return done
        with self._farm_lock:
            self._farm[job.id] = _FarmJob(job, key)
        self.queue.set_progress(job.id, 0.0, f"sent to the farm {job.runs_on}")
        self._ensure_following()
        return self.queue.get(job.id)

    def _reattach_farm(self) -> None:
        """Follow the farm jobs a runner that went away left running (lock holder only)."""
        from previz.services.farm import job_key

        uid = self._project_uid()
        with self._farm_lock:
            for job in self.queue.farm_running():
                self._farm.setdefault(job.id, _FarmJob(job, job_key(uid, job.id)))

    def _ensure_following(self) -> None:
        with self._farm_lock:
            if not self._farm or (self._farm_thread and self._farm_thread.is_alive()):
                return
            self._farm_stop.clear()
            self._farm_thread = threading.Thread(
                target=self._follow_loop, name="previz-farm-follow", daemon=True
            )
            self._farm_thread.start()

    def _follow_loop(self) -> None:
        while not self._farm_stop.is_set():
            with self._farm_lock:
                if not self._farm:
                    self._farm_thread = None
                    return
            try:
                self.follow_farm_once()
            except Exception:  # a lost connection: the jobs stay running; try again
                log.exception("following farm jobs failed")
            self._farm_stop.wait(FARM_POLL_S)

    def _stop_following(self, timeout: float) -> None:
        """Stop following (the jobs go on on the cluster), passing on any cancel asked for."""
        self._farm_stop.set()
        t = self._farm_thread
        if t is not None and t is not threading.current_thread():
            t.join(timeout)
        with self._farm_lock:
            jobs = list(self._farm.values())
        for fj in jobs:
            if fj.cancel or self._cancel_asked(fj.job.id):
                try:
                    self._farm_client(fj.job.runs_on).cancel(fj.key)
                except Exception as exc:
                    log.warning("could not cancel farm job %s: %s", fj.key, exc)

    def _cancel_asked(self, job_id: int) -> bool:
        try:
            return self.queue.cancel_requested(job_id)
        except Exception:
            return False

    def collect_farm(self) -> list[JobInfo]:
        """One pass over the farm jobs left running (``previz jobs list``): record the finished
        ones. Needs the runner lock. Returns the jobs that finished."""
        self._reattach_farm()
        return self.follow_farm_once()

    def follow_farm_once(self) -> list[JobInfo]:
        """Poll every followed farm job once: relay progress, pass on cancels, collect results."""
        with self._farm_lock:
            jobs = list(self._farm.values())
        by_addr: dict[str, list[_FarmJob]] = {}
        for fj in jobs:
            by_addr.setdefault(fj.job.runs_on, []).append(fj)
        finished: list[JobInfo] = []
        for address, group in by_addr.items():
            try:
                client = self._farm_client(address)
                states = client.poll([fj.key for fj in group], {fj.key: fj.seen for fj in group})
            except Exception as exc:  # the next pass connects again (a farm actor that died
                # is started afresh: it knows none of these jobs, which become interrupted)
                log.warning("render farm %s unreachable: %s", address, _first_line(exc))
                self._farm_clients.pop(address, None)
                continue
            for fj in group:
                done = self._follow_one(client, fj, states.get(fj.key))
                if done is not None:
                    finished.append(done)
        return finished

    def _follow_one(self, client: Any, fj: _FarmJob, st: dict[str, Any] | None) -> JobInfo | None:
        job = fj.job
        if st is None:
            return self._farm_finished(
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
        if ev is not None:  # the latest progress (also of a job that just finished)
            prog = JobProgress(
                job.id,
                job.shot_id,
                ev.step,
                ev.total,
                ev.elapsed_s,
                ev.eta_s,
                ev.preview,
                getattr(ev, "stage", "") or where,
            )
            for lst in list(self._listeners):
                try:
                    lst.job_progress(prog)
                except Exception:
                    log.exception("progress listener failed")
        if st["status"] in ("queued", "running"):
            now = time.monotonic()
            if where != fj.where or (ev is not None and now - fj.last_db > PROGRESS_DB_INTERVAL_S):
                fj.last_db, fj.where = now, where
                frac = ev.step / max(1, ev.total) if ev is not None else 0.0
                try:
                    self.queue.set_progress(job.id, frac, where)
                except Exception as exc:
                    log.warning("could not record progress of job %s: %s", job.id, exc)
            return None
        if st["status"] == "canceled":
            return self._farm_finished(fj, "canceled", "cancelled")
        if st["status"] == "failed":
            return self._farm_finished(fj, "failed", st.get("message") or "failed on the farm")
        return self._farm_collect(client, fj, st)

    def _farm_collect(self, client: Any, fj: _FarmJob, st: dict[str, Any]) -> JobInfo:
        """A finished farm job: check its files, move them into the project, record the take
        (once: a take already recorded for this farm job is not made twice)."""
        from engine.api import EngineError
        from engine.farm.pack import unpack_output

        job = fj.job
        try:
            existing = self._take_of_farm_job(job.shot_id, fj.key)
            if existing is not None:
                take = self.svc.take_by_id(existing)
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
                            "job": fj.key,
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
            return self._farm_finished(fj, "failed", _first_line(exc))
        except OSError as exc:
            from engine.worker import DISK_FULL_ERRNOS, disk_full_message

            msg = (
                disk_full_message(exc, self.svc.folder)
                if exc.errno in DISK_FULL_ERRNOS
                else _first_line(exc)
            )
            return self._farm_finished(fj, "failed", msg)
        with self._farm_lock:
            self._farm.pop(job.id, None)
        try:
            client.forget(fj.key)
        except Exception as exc:
            log.warning("could not drop farm job %s: %s", fj.key, exc)
        self._emit_changed(done)
        for lst in list(self._listeners):
            try:
                lst.take_added(take)
            except Exception:
                log.exception("take listener failed")
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

    def _farm_finished(
        self, fj: _FarmJob, status: str, message: str, *, forget: bool = True
    ) -> JobInfo:
        with self._farm_lock:
            self._farm.pop(fj.job.id, None)
        done = self.queue.finish(fj.job.id, status, message)
        if forget:
            try:
                self._farm_client(fj.job.runs_on).forget(fj.key)
            except Exception as exc:
                log.warning("could not drop farm job %s: %s", fj.key, exc)
        self._emit_changed(done)
        return done

    def _emit_changed(self, job: JobInfo) -> None:
        for lst in list(self._listeners):
            try:
                lst.job_changed(job)
            except Exception:
                log.exception("job listener failed")


@dataclass(frozen=True)
class _Event:
    step: int
    total: int
    elapsed_s: float
    eta_s: float | None
    preview: Any
    stage: str


@dataclass
class _FarmJob:
    job: JobInfo
    key: str
    seen: int = 0  # progress events already relayed
    cancel: bool = False  # cancelled here (runner.cancel)
    cancel_sent: bool = False
    last_db: float = 0.0
    where: str = ""


def _farm_debug() -> Any:
    from previz.services.farm import debug_faults

    return debug_faults()


def _summary_farm(address: str, st: dict[str, Any]) -> str:
    tries = int(st.get("attempts") or 1)
    return f"made on the farm {address}" + (f" after {tries} tries" if tries > 1 else "")


def _default_worker(grace_s: float) -> Any:
    from engine.worker import WorkerClient
    from previz.services.generation import apply_engine_environment

    apply_engine_environment()
    return WorkerClient(grace_s=grace_s)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def _summary(result: Any) -> str:
    timings = dict(result.timings or {})
    secs = timings.get("job_s") or timings.get("total_s") or 0.0
    notes = "; ".join(result.notes)
    return f"{result.frames} frames in {secs:.1f}s" + (f" ({notes})" if notes else "")
