"""The app and a shell share one project's queue: while a `previz` process in a shell holds the
runner lock the app's jobs wait for it, and the app takes the queue over the moment that
process ends, so a job queued in the app never waits for nobody."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from tests.ui.uihelpers import JOB_TIMEOUT_MS

pytestmark = pytest.mark.timeout(180)

HOLDER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from previz.store.folder import RunnerLock
    lock = RunnerLock(Path(sys.argv[1]))
    assert lock.acquire()
    print("held", flush=True)
    sys.stdin.readline()  # hold the lock until told to go
    lock.release()
    """
)


def test_app_takes_the_queue_over_when_the_shell_process_ends(
    qtbot, new_project, open_window
) -> None:
    path = new_project(["WIDE, dusk, a pier"], frames=12)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(path.resolve())],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        w = open_window(path)
        assert w.runner is not None and not w.runner.holds_lock
        assert "another Previz process" in w.status_label.text()
        (job,) = w.actions.generate(w.timeline.shot_ids())
        assert w.runner.queue.get(job.id).status == "pending"  # the holder runs nothing here
        holder.stdin.write("go\n")
        holder.stdin.flush()
        assert holder.wait(30) == 0
        qtbot.waitUntil(lambda: w.runner.holds_lock, timeout=JOB_TIMEOUT_MS)
        qtbot.waitUntil(lambda: "jobs run here" in w.status_label.text(), timeout=10_000)
        qtbot.waitUntil(lambda: w.runner.queue.get(job.id).status == "done", timeout=JOB_TIMEOUT_MS)
        assert w.svc.shots()[0].take_count == 1
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(10)
