"""What the job runner tells its listeners (the app's job panel, the CLI's progress bar), and the
one place a job's progress is relayed to them, for a job run here and one followed on a render
farm alike (`previz.services.runner`, `previz.services.farm_jobs`)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from previz.core.values import JobInfo, TakeInfo

log = logging.getLogger(__name__)


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


def relay_progress(
    listeners: Iterable[RunnerListener], job: JobInfo, ev: Any, stage: str = ""
) -> JobProgress:
    """Pass an engine progress event of ``job`` on to every listener (one failing listener does
    not stop the others). ``stage`` is shown when the event names none."""
    prog = JobProgress(
        job.id,
        job.shot_id,
        ev.step,
        ev.total,
        ev.elapsed_s,
        ev.eta_s,
        ev.preview,
        getattr(ev, "stage", "") or stage,
    )
    for lst in list(listeners):
        try:
            lst.job_progress(prog)
        except Exception:
            log.exception("progress listener failed")
    return prog


def emit_changed(listeners: Iterable[RunnerListener], job: JobInfo) -> None:
    for lst in list(listeners):
        try:
            lst.job_changed(job)
        except Exception:
            log.exception("job listener failed")


def emit_take(listeners: Iterable[RunnerListener], take: TakeInfo) -> None:
    for lst in list(listeners):
        try:
            lst.take_added(take)
        except Exception:
            log.exception("take listener failed")


def first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
