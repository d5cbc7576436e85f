"""``previz jobs list | cancel``: the project's job queue, from any process.

- ``list DIR``      queued and running jobs (``--all``: the recent finished ones too), with where
                    each runs (``runs_on``: ``local`` or a render farm's address). A job whose
                    process was killed shows as interrupted, not running: listing recovers it when
                    no runner holds the lock, and collects the takes of farm jobs that finished
                    on the cluster after the process that sent them exited.
- ``cancel DIR N``  cancel job N: a queued job at once; a running one by asking the process
                    that runs it (the app or another ``previz`` command), which stops it and
                    marks it cancelled; the command waits a few seconds to report which.
"""

from __future__ import annotations

import argparse
import time
from typing import Any

from previz.cli.output import clip, emit_json, info, table

CANCEL_WAIT_S = 10.0


def register(add: Any, common: Any) -> None:
    from previz.cli.main import _Parser

    sp = add("jobs", cmd_jobs, "list or cancel the project's queued and running jobs")
    ss = sp.add_subparsers(dest="jobs_cmd", required=True, metavar="ACTION", parser_class=_Parser)
    x = ss.add_parser(
        "list", help="queued and running jobs, with where each runs", parents=[common]
    )
    x.add_argument("dir")
    x.add_argument("--all", action="store_true", help="also the recent finished jobs")
    x = ss.add_parser(
        "cancel",
        help="cancel a queued job, or stop a running one (in whichever process runs it)",
        parents=[common],
    )
    x.add_argument("dir")
    x.add_argument("job", type=int, metavar="N", help="the job's id (see `previz jobs list`)")


def cmd_jobs(a: argparse.Namespace) -> int:
    from previz.services.jobs import JobQueue
    from previz.services.project import ProjectService

    with ProjectService.open(a.dir) as svc:
        queue = JobQueue(svc)
        queue.recover_if_free()  # a killed runner's job is interrupted, not running
        _collect_farm(svc, queue)
        if a.jobs_cmd == "list":
            return _list(svc, queue, a)
        return _cancel(svc, queue, a)


def _collect_farm(svc: Any, queue: Any) -> None:
    """Record the farm jobs that finished while no process followed them (needs the lock)."""
    if not queue.farm_running():
        return
    try:
        import ray  # noqa: F401
    except ImportError:
        return
    from previz.services.runner import JobRunner

    runner = JobRunner(svc)
    if not runner.acquire():  # another process follows them
        return
    try:
        runner.collect_farm()
    finally:
        runner.stop()


def _row(svc: Any, job: Any) -> dict[str, Any]:
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "shot": _shot_label(svc, job.shot_id),
        "shot_id": job.shot_id,
        "take_id": job.take_id,
        "progress": round(float(job.progress), 3),
        "message": job.message,
        "runs_on": job.runs_on,
        "runner": job.runner,
    }


def _list(svc: Any, queue: Any, a: argparse.Namespace) -> int:
    statuses = None if a.all else ("pending", "running")
    jobs = queue.list(statuses=statuses)
    rows = [_row(svc, j) for j in jobs]
    if a.json:
        emit_json(rows)
        return 0
    if not rows:
        info("no queued or running jobs" + ("" if a.all else " (--all shows finished ones)"))
        return 0
    table(
        [
            (
                r["id"],
                "queued" if r["status"] == "pending" else r["status"],
                r["kind"],
                r["shot"] or "",
                r["runs_on"],
                f"{r['progress'] * 100:.0f}%" if r["status"] == "running" else "",
                clip(r["message"], 50),
            )
            for r in rows
        ],
        ["ID", "STATUS", "KIND", "SHOT", "RUNS ON", "DONE", "MESSAGE"],
    )
    return 0


def _cancel(svc: Any, queue: Any, a: argparse.Namespace) -> int:
    outcome = queue.request_cancel(a.job)
    job = queue.get(a.job)
    if outcome == "requested":
        queue.recover_if_free()  # no live runner: the request is settled here and now
        deadline = time.monotonic() + CANCEL_WAIT_S
        job = queue.get(a.job)
        while job.status == "running" and time.monotonic() < deadline:
            if job.runs_on != "local":  # no process may follow it: pass the cancel on here
                _collect_farm(svc, queue)
            time.sleep(0.2)
            job = queue.get(a.job)
    if a.json:
        emit_json(_row(svc, job))
    elif job.status == "running":
        info(f"job {job.id}: cancel requested; the process running it will stop it")
    else:
        info(f"job {job.id}: {'cancelled' if job.status == 'canceled' else job.status}")
    return 0


def _shot_label(svc: Any, shot_id: int | None) -> str | None:
    if shot_id is None:
        return None
    try:
        shot = svc.shot(shot_id)
    except Exception:  # noqa: BLE001 - a deleted shot: show its id
        return f"shot {shot_id}"
    return f"{shot.sequence_name}/{shot.code}"
