"""The job panel says where a render-farm job runs: its farm's address while it is queued, and
while it runs what the farm says (waiting for a node, or the node it runs on), next to its
progress; a local job says nothing of a farm."""

from __future__ import annotations

import pytest

from previz.core.values import JobInfo
from previz.services.runner import JobProgress
from previz.ui.job_row_widget import JobRowWidget

pytestmark = pytest.mark.timeout(60)

FARM = "10.0.0.5:6379"


def job(status: str, message: str = "", runs_on: str = FARM) -> JobInfo:
    return JobInfo(
        id=7,
        kind="generate",
        status=status,
        shot_id=1,
        take_id=None,
        progress=0.0,
        message=message,
        payload={"prompt": "WIDE, the pier", "op": "generate"},
        runs_on=runs_on,
        runner="",
    )


def test_a_farm_jobs_row_shows_its_farm_and_where_it_runs(qtbot) -> None:
    row = JobRowWidget(job("pending"), "0010")
    qtbot.addWidget(row)
    assert row.status.text() == f"Queued · farm {FARM}"
    row.update_job(job("running", "farm: waiting for a node"), "0010")
    assert row.status.text() == f"Running · farm {FARM}: waiting for a node"
    # progress from the node: the node, not the raw "farm: …" note, beside the frame count
    row.set_progress(JobProgress(7, 1, 3, 12, 1.0, 4.0, None, "farm: on node 1a2b3c4d"))
    assert row.status.text() == f"Running 3/12 · ETA 0:04 · farm {FARM}: on node 1a2b3c4d"
    # a long shot's window on a node: the window in the progress, the node from the job
    row.update_job(job("running", "farm: on node 9f8e7d6c (try 2)"), "0010")
    row.set_progress(JobProgress(7, 1, 20, 36, 1.0, None, None, "window 2/3"))
    assert row.status.text() == f"Running window 2/3 20/36 · farm {FARM}: on node 9f8e7d6c (try 2)"
    row.update_job(job("done", "made on the farm " + FARM), "0010")
    assert row.status.text() == f"Done · made on the farm {FARM}"


def test_a_local_jobs_row_says_nothing_of_a_farm(qtbot) -> None:
    row = JobRowWidget(job("running", runs_on="local"), "0010")
    qtbot.addWidget(row)
    row.set_progress(JobProgress(7, 1, 3, 12, 1.0, None, None, ""))
    assert row.status.text() == "Running 3/12"
