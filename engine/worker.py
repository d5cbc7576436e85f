"""The warm generation worker: a separate process that runs jobs, and the client the app calls.

The worker process (multiprocessing, "spawn" by default) stays alive between jobs so engines
and models load once. `WorkerClient.run` blocks the calling thread (the app's job-runner
thread), relays `ProgressEvent`s (with small previews) as they arrive and returns a
`JobOutput`, or raises:

- `Cancelled` when the `CancelToken` is cancelled: the worker checks it at every frame/step;
  if it has not stopped `grace_s` seconds after the cancel it is killed (the next job starts a
  fresh one);
- `WorkerCrashed` when the process dies (abort, SIGKILL, out of memory): only this job fails,
  the next `run` starts a fresh worker;
- `RequestError` / `EngineError` with the engine's own message.

On cancel or failure the entries the job created in out_dir are removed.

The worker never handles Ctrl-C (the app or CLI that owns it cancels the job): it starts with
SIGINT blocked and then ignores it, so a Ctrl-C that reaches the whole process group, even
while the worker is still starting, prints nothing. If its parent dies (killed CLI, crashed
app) the worker stops its job at the next frame and exits quietly.

Test hook: ``run(..., debug={...})`` injects faults inside the worker (see `engine.job.FAULTS`:
``abort_at_frame``, ``hang_at_frame``, ``sleep_per_frame``, ``raise_at_frame``; and, here,
``enospc_at_frame``: the disk fills up at that frame). It exists for the test-suite only.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import multiprocessing as mp
import os
import shutil
import signal
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from engine.api import (
    ERROR_TYPES,
    Cancelled,
    CancelToken,
    EngineError,
    GenerationRequest,
    ProgressEvent,
    RequestError,
    WorkerCrashed,
)
from engine.job import JobOutput

__all__ = ["JobOutput", "WorkerClient", "WorkerCrashed"]

log = logging.getLogger(__name__)

_SIGNAL_HINTS = {
    -int(signal.SIGKILL): "killed — often because the machine ran out of memory",
    -int(signal.SIGABRT): "aborted",
    -int(signal.SIGSEGV): "crashed (segmentation fault)",
    -int(signal.SIGTERM): "terminated",
}


def _crash_message(exitcode: int | None) -> str:
    hint = _SIGNAL_HINTS.get(exitcode or 0)
    detail = f"exit code {exitcode}" + (f", {hint}" if hint else "")
    return (
        f"the generation worker stopped unexpectedly ({detail}); the job was not finished — "
        "retry it"
    )


# ---------------------------------------------------------------------------------------------
# Worker process side


class _ParentGone(BaseException):
    """The app or CLI that started the worker is gone (its pipe broke): stop quietly.

    A BaseException, so an engine's own ``except Exception`` cannot swallow it."""


DISK_FULL_ERRNOS = frozenset(
    e for e in (errno.ENOSPC, getattr(errno, "EDQUOT", None)) if e is not None
)


def disk_full_message(exc: OSError, where: str | Path | None = None) -> str:
    """One line for a write that failed because the disk (or the user's quota) is full."""
    if where is None:
        where = Path(str(exc.filename)).parent if exc.filename else "the project's disk"
    return f"disk full: free space on {where} and retry ({exc.strerror or exc})"


def _error_reply(job_id: int, engine_name: str, exc: BaseException) -> tuple[Any, ...]:
    """The message the worker sends back for a job that raised ``exc``."""
    if isinstance(exc, EngineError):
        return ("error", job_id, type(exc).__name__, exc.message, None)
    if isinstance(exc, OSError) and exc.errno in DISK_FULL_ERRNOS:
        return ("error", job_id, "EngineError", disk_full_message(exc), None)
    log.error("job %s failed", job_id, exc_info=exc)
    return (
        "error",
        job_id,
        "EngineError",
        f"the {engine_name} engine failed: {type(exc).__name__}: {exc}",
        "".join(traceback.format_exception(exc)),
    )


def _watch_parent(cancel_event: Any, interval: float = 0.5) -> None:
    """Cancel the running job when the parent process goes away (it can no longer read it)."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        cancel_event.set()

    threading.Thread(target=watch, name="previz-parent-watch", daemon=True).start()


def _worker_main(conn: Any, cancel_event: Any, log_level: int) -> None:
    """Entry point of the worker process: serve jobs until told to stop or the pipe closes."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the app's to handle (it cancels)
    if hasattr(signal, "pthread_sigmask"):  # the client started us with SIGINT blocked
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})
    logging.basicConfig(
        level=log_level,
        format="[engine-worker %(process)d] %(levelname)s %(name)s: %(message)s",
    )
    try:
        _serve(conn, cancel_event)
    except (_ParentGone, BrokenPipeError, EOFError, KeyboardInterrupt):
        pass  # the parent is gone (or the user pressed Ctrl-C at exit): nothing to say


def _serve(conn: Any, cancel_event: Any) -> None:
    from engine.job import run_job
    from engine.registry import get_engine

    parent = os.getppid()
    if os.name == "posix":
        _watch_parent(cancel_event)
    engines: dict[str, Any] = {}
    token = CancelToken(cancel_event)
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            break
        if msg[0] == "stop":
            break
        if msg[0] == "ping":
            conn.send(("pong", msg[1], os.getpid()))
            continue
        _, job_id, engine_name, request, out_dir, debug = msg
        debug = dict(debug) if debug else None
        enospc_at = debug.pop("enospc_at_frame", None) if debug else None

        def progress(
            event: ProgressEvent,
            job_id: int = job_id,
            enospc_at: Any = enospc_at,
            clip: str = str(Path(out_dir) / "clip.mp4"),
        ) -> None:
            if enospc_at is not None and event.step >= enospc_at:
                # test hook: the disk fills up while this frame is written
                raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), clip)
            try:
                conn.send(("progress", job_id, event))
            except (BrokenPipeError, EOFError, OSError):
                raise _ParentGone() from None

        try:
            engine = engines.get(engine_name)
            if engine is None:
                engine = get_engine(engine_name)
                engine.load()
                engines[engine_name] = engine
            output = run_job(engine, request, Path(out_dir), progress, token, debug=debug or None)
            reply: tuple[Any, ...] = ("done", job_id, output)
        except Cancelled:
            reply = ("cancelled", job_id)
        except Exception as exc:  # noqa: BLE001 - reported to the client, worker lives on
            reply = _error_reply(job_id, engine_name, exc)
        if os.getppid() != parent:
            raise _ParentGone()
        try:
            conn.send(reply)
        except (BrokenPipeError, EOFError, OSError):
            raise _ParentGone() from None


class _SharedFlag:
    """A cancel flag shared with the worker: one byte of shared memory.

    Unlike a ``multiprocessing.Event`` it holds no named semaphore, so a parent that is killed
    leaves nothing for multiprocessing's resource tracker to warn about."""

    def __init__(self, ctx: Any) -> None:
        self._value = ctx.RawValue("b", 0)

    def set(self) -> None:
        self._value.value = 1

    def clear(self) -> None:
        self._value.value = 0

    def is_set(self) -> bool:
        return bool(self._value.value)


# ---------------------------------------------------------------------------------------------
# Client side


class WorkerClient:
    """A thread-safe handle on one warm worker process; `run` runs one job at a time."""

    def __init__(self, *, grace_s: float = 2.0, start_method: str = "spawn") -> None:
        self.grace_s = float(grace_s)
        self._ctx = mp.get_context(start_method)
        self._job_lock = threading.Lock()
        self._state_lock = threading.Lock()
        self._proc: Any = None
        self._conn: Any = None
        self._cancel_event: Any = None
        self._closed = False
        self._job_id = 0

    # -- lifecycle ------------------------------------------------------------------------------
    @property
    def pid(self) -> int | None:
        """The worker process id, or None when no worker is running."""
        with self._state_lock:
            proc = self._proc
            return proc.pid if proc is not None and proc.is_alive() else None

    def start(self) -> None:
        """Start the worker now (otherwise the first `run` starts it)."""
        with self._state_lock:
            self._ensure_started()

    def _ensure_started(self) -> None:
        if self._closed:
            raise EngineError("the generation worker has been closed")
        if self._proc is not None and self._proc.is_alive():
            return
        self._discard()
        parent, child = self._ctx.Pipe(duplex=True)
        event = _SharedFlag(self._ctx)
        level = logging.getLogger().getEffectiveLevel()
        proc = self._ctx.Process(
            target=_worker_main,
            args=(child, event, level),
            name="previz-engine-worker",
            daemon=True,
        )
        # The worker starts with SIGINT blocked (the mask is inherited), so a Ctrl-C sent to
        # the whole process group while Python starts up in it cannot print a traceback there.
        blocked = hasattr(signal, "pthread_sigmask")
        old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT}) if blocked else None
        try:
            proc.start()
        finally:
            if blocked:
                signal.pthread_sigmask(signal.SIG_SETMASK, old)
        child.close()
        self._proc, self._conn, self._cancel_event = proc, parent, event
        log.info("started generation worker pid %s", proc.pid)

    def _discard(self) -> None:
        """Forget a dead (or killed) worker."""
        if self._conn is not None:
            with contextlib.suppress(OSError):
                self._conn.close()
        if self._proc is not None:
            self._proc.join(timeout=5)
        self._proc = self._conn = self._cancel_event = None

    def _kill(self) -> None:
        proc = self._proc
        if proc is not None and proc.is_alive():
            log.warning("killing generation worker pid %s", proc.pid)
            proc.kill()
            proc.join(timeout=5)
        self._discard()

    def close(self) -> None:
        """Stop the worker (killing it if a job is still running). Idempotent."""
        self._closed = True
        got = self._job_lock.acquire(timeout=self.grace_s + 5.0)
        try:
            with self._state_lock:
                proc, conn = self._proc, self._conn
                if proc is not None and proc.is_alive() and got:
                    with contextlib.suppress(OSError):
                        conn.send(("stop",))
                    proc.join(timeout=self.grace_s)
                self._kill()
        finally:
            if got:
                self._job_lock.release()

    def __enter__(self) -> WorkerClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- jobs -----------------------------------------------------------------------------------
    def run(
        self,
        request: GenerationRequest,
        out_dir: Path,
        on_event: Callable[[ProgressEvent], None] | None = None,
        cancel: CancelToken | None = None,
        engine: str = "animatic",
        *,
        debug: Mapping[str, Any] | None = None,
    ) -> JobOutput:
        """Run one job in the worker; blocks until it is done, failed or cancelled."""
        cancel = cancel if cancel is not None else CancelToken()
        with self._job_lock:
            if self._closed:
                raise EngineError("the generation worker has been closed")
            cancel.raise_if_cancelled()
            if not isinstance(request, GenerationRequest):
                raise RequestError(f"not a generation request: {type(request).__name__}")
            out_dir = Path(out_dir)
            out_dir.mkdir(parents=True, exist_ok=True)
            before = set(os.listdir(out_dir))
            with self._state_lock:
                self._ensure_started()
                proc, conn, event = self._proc, self._conn, self._cancel_event
            event.clear()
            self._job_id += 1
            job_id = self._job_id
            try:
                try:
                    conn.send(
                        (
                            "job",
                            job_id,
                            engine,
                            request,
                            str(out_dir),
                            dict(debug) if debug else None,
                        )
                    )
                except (BrokenPipeError, OSError) as exc:
                    with self._state_lock:
                        code = proc.exitcode
                        self._kill()
                    raise WorkerCrashed(_crash_message(code)) from exc
                return self._wait(job_id, proc, conn, event, on_event, cancel)
            except BaseException:
                _remove_new_entries(out_dir, before)
                raise

    def _wait(
        self,
        job_id: int,
        proc: Any,
        conn: Any,
        event: Any,
        on_event: Callable[[ProgressEvent], None] | None,
        cancel: CancelToken,
    ) -> JobOutput:
        cancel_sent: float | None = None
        eof = False
        while True:
            # 1. read what has arrived (bounded, so cancel is noticed even under a flood)
            for _ in range(64):
                try:
                    if not conn.poll(0.02):
                        break
                    msg = conn.recv()
                except (EOFError, OSError):
                    eof = True  # the worker is gone; handled below
                    break
                if msg[1] != job_id:
                    continue
                kind = msg[0]
                if kind == "progress":
                    if on_event is not None:
                        try:
                            on_event(msg[2])
                        except Exception:  # noqa: BLE001 - a UI callback must not kill a job
                            log.exception("progress callback failed")
                elif kind == "done":
                    return msg[2]
                elif kind == "cancelled":
                    raise Cancelled()
                elif kind == "error":
                    _, _, name, message, tb = msg
                    if tb:
                        log.error("engine traceback from the worker:\n%s", tb)
                    cls = ERROR_TYPES.get(name, EngineError)
                    raise cls(message)
            # 2. cancel: cooperative first, then kill after the grace period
            now = time.monotonic()
            if cancel.cancelled or self._closed:
                if cancel_sent is None:
                    event.set()
                    cancel_sent = now
                elif now - cancel_sent > self.grace_s or self._closed:
                    with self._state_lock:
                        self._kill()
                    raise Cancelled(
                        "the job was cancelled (the engine did not stop within "
                        f"{self.grace_s:g} s, so its worker was restarted)"
                    )
            # 3. liveness
            if eof or not proc.is_alive():
                if not eof:
                    try:
                        if conn.poll(0):
                            continue  # read what it said before it went
                    except (EOFError, OSError):
                        pass
                proc.join(timeout=2)
                code = proc.exitcode
                with self._state_lock:
                    self._kill()
                if cancel_sent is not None:
                    raise Cancelled()
                raise WorkerCrashed(_crash_message(code))


def _remove_new_entries(out_dir: Path, before: set[str]) -> None:
    """Remove what a failed job created in out_dir (leaving what was there before)."""
    try:
        entries = set(os.listdir(out_dir))
    except OSError:
        return
    for name in entries - before:
        path = out_dir / name
        try:
            if path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)
        except OSError:
            log.warning("could not remove %s after a failed job", path, exc_info=True)
