"""Jobs never wait forever, Ctrl-C is clean, and `previz jobs` sees and cancels any job.

Each test drives real `previz` processes on one project, the way users cause these races:
two commands at once, Ctrl-C early in a job, a CLI killed while its worker runs, a job
cancelled from another terminal.
"""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.timeout(180)


def previz(*argv: object, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "previz", *map(str, argv)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def spawn(*argv: object) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "previz", *map(str, argv)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def pj(*argv: object):
    r = previz(*argv, "--json")
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def rows(d: Path, sql: str) -> list[tuple]:
    """Read the project's database from this process (a connection of its own)."""
    con = sqlite3.connect(f"file:{d / 'project.db'}?mode=ro", uri=True, timeout=30)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def wait_for(cond, timeout: float = 60, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.01)


def scratch_dirs(d: Path) -> list[str]:
    jobs = d / "media" / ".jobs"
    return sorted(p.name for p in jobs.iterdir()) if jobs.is_dir() else []


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    d = tmp_path / "Jobs.previz"
    pj("new", d, "--size", "320x176")
    pj("shot", "add", d, "--prompt", "WIDE, day, a crowd walks left", "--duration", "12f")
    pj("shot", "add", d, "--prompt", "CU, night, a woman, static", "--duration", "12f")
    return d


def test_two_concurrent_generates_both_finish_with_their_takes(proj: Path) -> None:
    from previz.store.folder import RunnerLock

    # another process (the app, or a third command) runs the queue while both are queued
    held = RunnerLock(proj)
    assert held.acquire()
    procs = [
        spawn("generate", proj, code, "--engine", "animatic", "--json") for code in ("0010", "0020")
    ]
    try:
        wait_for(
            lambda: rows(proj, "select count(*) from jobs where status='pending'")[0][0] == 2,
            what="both jobs to be queued",
        )
    finally:
        held.release()  # ... and goes away: one of them must take the queue over
    results = []
    for p in procs:
        try:
            out, err = p.communicate(timeout=90)  # the old code waited here forever
        except subprocess.TimeoutExpired:
            for q in procs:
                q.kill()
            raise AssertionError("a concurrent `previz generate` never finished") from None
        assert p.returncode == 0, err
        assert "Traceback" not in err
        results.append(json.loads(out))
    assert [t["number"] for t in results] == [1, 1]
    assert len(pj("takes", proj, "0010")) == 1
    assert len(pj("takes", proj, "0020")) == 1
    assert pj("jobs", "list", proj) == []


def test_a_second_generate_while_the_first_runs_finishes_too(proj: Path) -> None:
    pj("shot", "edit", proj, "0010", "--duration", "3s")
    first = spawn("generate", proj, "0010", "--engine", "animatic")
    wait_for(
        lambda: rows(proj, "select count(*) from jobs where status='running'")[0][0] == 1,
        what="the first job to run",
    )
    second = spawn("generate", proj, "0020", "--engine", "animatic")
    for p in (first, second):
        try:
            _out, err = p.communicate(timeout=90)
        except subprocess.TimeoutExpired:
            first.kill()
            second.kill()
            raise AssertionError("a concurrent `previz generate` never finished") from None
        assert p.returncode == 0, err
    assert len(pj("takes", proj, "0010")) == 1
    assert len(pj("takes", proj, "0020")) == 1


def test_an_orphaned_pending_job_is_listed_then_run_by_the_next_generate(proj: Path) -> None:
    from previz.services.generation import EngineChoice, Generation
    from previz.services.project import ProjectService

    # what a CLI killed after queueing leaves behind: a pending row nobody runs
    with ProjectService.open(proj) as svc:
        orphan = Generation(svc).generate("0010", EngineChoice(engine="animatic"))[0]
    listed = pj("jobs", "list", proj)
    assert [(j["id"], j["status"], j["shot"], j["runs_on"]) for j in listed] == [
        (orphan.id, "pending", "Sequence 1/0010", "local")
    ]
    table = previz("jobs", "list", proj)
    assert table.returncode == 0 and "RUNS ON" in table.stdout and "local" in table.stdout

    r = previz("generate", proj, "0020", "--engine", "animatic")
    assert r.returncode == 0, r.stderr
    assert len(pj("takes", proj, "0010")) == 1  # the orphan was run too
    assert pj("jobs", "list", proj) == []
    done = {j["id"]: j["status"] for j in pj("jobs", "list", proj, "--all")}
    assert done[orphan.id] == "done"


def test_jobs_cancel_of_a_queued_job_and_of_a_finished_one(proj: Path) -> None:
    from previz.services.generation import EngineChoice, Generation
    from previz.services.project import ProjectService

    with ProjectService.open(proj) as svc:
        orphan = Generation(svc).generate("0010", EngineChoice(engine="animatic"))[0]
    assert pj("jobs", "cancel", proj, orphan.id)["status"] == "canceled"
    assert pj("jobs", "list", proj) == []
    again = previz("jobs", "cancel", proj, orphan.id)
    assert again.returncode == 1 and "already canceled" in again.stderr
    assert again.stderr.count("\n") == 1 and "Traceback" not in again.stderr
    missing = previz("jobs", "cancel", proj, 999)
    assert missing.returncode == 1 and "does not exist" in missing.stderr
    # nothing ran it: the next generate leaves the cancelled job alone
    assert previz("generate", proj, "0020", "--engine", "animatic").returncode == 0
    assert pj("takes", proj, "0010") == []


def test_jobs_cancel_stops_a_job_another_process_is_running(proj: Path) -> None:
    pj("shot", "edit", proj, "0010", "--duration", "20s")
    gen = spawn("generate", proj, "0010", "--engine", "animatic")
    try:
        wait_for(
            lambda: (
                rows(proj, "select count(*) from jobs where status='running'")[0][0] == 1
                and any(scratch_dirs(proj))
            ),
            what="the job to run",
        )
        jid = rows(proj, "select id from jobs")[0][0]
        r = previz("jobs", "cancel", proj, jid, "--json")
        assert r.returncode == 0, r.stderr
        assert json.loads(r.stdout)["status"] == "canceled"
        _out, err = gen.communicate(timeout=60)
    finally:
        gen.kill()
    assert gen.returncode == 1 and "canceled" in err and "Traceback" not in err
    assert rows(proj, f"select status from jobs where id={jid}") == [("canceled",)]
    assert scratch_dirs(proj) == []
    assert pj("takes", proj, "0010") == []


@pytest.mark.parametrize("delays", [(0.0, 0.05, 0.15, 0.3, 0.5)])
def test_ctrl_c_early_in_a_job_cancels_it_cleanly_every_time(
    proj: Path, delays: tuple[float, ...]
) -> None:
    pj("shot", "edit", proj, "0010", "--duration", "5s")
    for delay in delays:
        before = rows(proj, "select coalesce(max(id), 0) from jobs")[0][0]
        p = spawn("generate", proj, "0010", "--engine", "animatic")
        wait_for(
            lambda b=before, p=p: (
                rows(proj, "select coalesce(max(id), 0) from jobs")[0][0] > b
                or p.poll() is not None
            ),
            what="the job to be queued",
        )
        time.sleep(delay)
        p.send_signal(signal.SIGINT)
        try:
            _out, err = p.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            p.kill()
            raise
        job = rows(proj, "select id, status from jobs order by id desc limit 1")[0]
        assert p.returncode == 130, (delay, err)
        assert "Traceback" not in err and "KeyboardInterrupt" not in err, (delay, err)
        assert job[1] == "canceled", (delay, job)
        assert scratch_dirs(proj) == [], delay
    assert pj("takes", proj, "0010") == []


def _children(pid: int) -> list[int]:
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(d.name))
    return out


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_a_killed_cli_leaves_a_quiet_worker_and_no_running_job(proj: Path) -> None:
    pj("shot", "edit", proj, "0010", "--duration", "20s")
    p = spawn("generate", proj, "0010", "--engine", "animatic")
    try:
        wait_for(
            lambda: (
                rows(proj, "select progress from jobs where status='running'") != []
                and rows(proj, "select progress from jobs")[0][0] > 0
            ),
            what="the worker to render",
        )
        workers = _children(p.pid)
        p.kill()
        # stderr closes once the worker (which shares it) has gone too
        _out, err = p.communicate(timeout=60)
    finally:
        p.kill()
    assert "Traceback" not in err and "BrokenPipeError" not in err, err
    assert "leaked" not in err  # no semaphore left for the resource tracker to warn about
    for w in workers:
        wait_for(
            lambda w=w: (
                not Path(f"/proc/{w}").exists()
                or "State:\tZ" in Path(f"/proc/{w}/status").read_text()
            ),
            timeout=30,
            what=f"worker {w} to exit",
        )
    listed = pj("jobs", "list", proj, "--all")
    assert [j["status"] for j in listed] == ["interrupted"]
    assert scratch_dirs(proj) == []


def test_jobs_help_and_usage(proj: Path) -> None:
    assert "list" in previz("jobs", "--help").stdout
    r = previz("jobs", "cancel", proj)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    r = previz("jobs", "list", proj / "nope")
    assert r.returncode == 1 and r.stderr.count("\n") == 1
