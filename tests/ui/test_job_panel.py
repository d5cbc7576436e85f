"""The job queue panel: live progress and preview of a running job, cancel, retry, reorder,
and a failed job that says why. A slow engine (the worker's sleep_per_frame test hook) keeps a
job running long enough to watch it."""

from __future__ import annotations

import re
import time

import pytest
from PySide6.QtCore import Qt

from tests.ui.uihelpers import JOB_TIMEOUT_MS, DebugWorker

pytestmark = pytest.mark.timeout(180)


def test_running_job_shows_live_preview_and_can_be_cancelled(
    qtbot, new_project, open_window
) -> None:
    path = new_project(
        ["WIDE, dusk, a woman walks right, slow dolly in", "CU, night, a man"], frames=48
    )
    w = open_window(path, worker_factory=lambda: DebugWorker({"sleep_per_frame": 0.12}))
    ids = w.timeline.shot_ids()
    jobs = w.actions.generate(ids)
    assert [j.shot_id for j in jobs] == ids
    first, second = jobs

    row = w.jobs.row(first.id)
    assert row is not None

    def running_with_preview() -> None:
        r = w.jobs.row(first.id)
        assert r.job.status == "running"
        assert r.preview_shown and not r.preview.pixmap().isNull()
        assert re.match(r"Running \d+/48", r.status.text()), r.status.text()
        assert "ETA" in r.status.text()

    qtbot.waitUntil(running_with_preview, timeout=JOB_TIMEOUT_MS)
    # the preview is a real picture (not a blank frame)
    img = w.jobs.row(first.id).preview.pixmap().toImage()
    colours = {
        img.pixelColor(x, y).name()
        for x in range(0, img.width(), 16)
        for y in range(0, img.height(), 16)
    }
    assert len(colours) > 3
    # the card shows the job running, with its progress
    qtbot.waitUntil(lambda: w.timeline.card_text(0).status.startswith("Generating "), timeout=5000)
    # the UI is not blocked: an edit goes through while the job runs
    w.actions.add_shot_action.trigger()
    assert len(w.timeline.shot_ids()) == 3
    assert w.svc.shot(first.shot_id).status == "generating"

    # the queued second job can be moved and cancelled before it runs
    w2 = w.jobs.row(second.id)
    assert w2.btn_up.isVisibleTo(w2) and w2.btn_cancel.isVisibleTo(w2)
    qtbot.mouseClick(w2.btn_cancel, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.jobs.row(second.id).job.status == "canceled", timeout=5000)

    # cancel the running job from its row
    t0 = time.monotonic()
    qtbot.mouseClick(w.jobs.row(first.id).btn_cancel, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: w.jobs.row(first.id).job.status == "canceled", timeout=JOB_TIMEOUT_MS)
    assert time.monotonic() - t0 < 10
    row = w.jobs.row(first.id)
    assert row.status.text().startswith("Cancelled")
    assert row.btn_retry.isVisibleTo(row) and not row.btn_cancel.isVisibleTo(row)
    qtbot.waitUntil(lambda: w.timeline.card_text(0).status == "", timeout=5000)
    assert w.timeline.card_text(0).takes == "no take"
    assert w.svc.takes(first.shot_id) == []
    assert w.jobs.header.text() == "No jobs running"


def test_retry_and_reorder_and_failure_message(qtbot, new_project, open_window) -> None:
    path = new_project(["WIDE, day, a road", "MS, day, a car", "CU, day, a driver"])
    # the engine crashes at frame 2 of every job: the job fails with a message, the app goes on
    w = open_window(path, worker_factory=lambda: DebugWorker({"raise_at_frame": 2}))
    ids = w.timeline.shot_ids()
    [job] = w.actions.generate([ids[0]])
    qtbot.waitUntil(lambda: w.jobs.row(job.id).job.status == "failed", timeout=JOB_TIMEOUT_MS)
    row = w.jobs.row(job.id)
    assert row.status.text().startswith("Failed: ")
    assert len(row.status.text()) > len("Failed: ") + 5
    assert "Traceback" not in row.status.text()
    qtbot.waitUntil(lambda: w.timeline.card_text(0).status == "Failed", timeout=5000)
    # retry queues the same job again
    qtbot.mouseClick(row.btn_retry, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: len(w.jobs.jobs()) == 2, timeout=5000)
    qtbot.waitUntil(
        lambda: all(j.status == "failed" for j in w.jobs.jobs()), timeout=JOB_TIMEOUT_MS
    )


def test_pending_jobs_reorder_with_the_arrows(qtbot, new_project, open_window) -> None:
    path = new_project(["WIDE, day, a road", "MS, day, a car", "CU, day, a driver"])
    w = open_window(path, run_jobs=False)  # nothing runs: the queue stays as arranged
    assert w.runner is None
    jobs = w.actions.generate(w.timeline.shot_ids())
    assert [j.id for j in w.jobs.jobs()] == [j.id for j in jobs]
    last = jobs[-1]
    qtbot.mouseClick(w.jobs.row(last.id).btn_up, Qt.MouseButton.LeftButton)
    assert [j.id for j in w.jobs.jobs()] == [jobs[0].id, last.id, jobs[1].id]
    assert [j.id for j in w.jobs.queue.list(statuses=("pending",))] == [
        jobs[0].id,
        last.id,
        jobs[1].id,
    ]
    qtbot.mouseClick(w.jobs.row(jobs[0].id).btn_down, Qt.MouseButton.LeftButton)
    assert [j.id for j in w.jobs.jobs()] == [last.id, jobs[0].id, jobs[1].id]
    # the cards show them queued
    w.refresh_now()
    assert [w.timeline.card_text(i).status for i in range(3)] == ["Queued"] * 3
