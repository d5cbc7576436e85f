"""The warm worker process: jobs run and return files, the process is reused, cancel is
honoured (killing a stuck engine after the grace period), a crash fails only its job."""

from __future__ import annotations

import threading
import time
from fractions import Fraction
from pathlib import Path

import pytest

from engine.api import (
    Cancelled,
    CancelToken,
    EngineError,
    ProgressEvent,
    RequestError,
    TextToVideo,
    UnknownEngine,
)
from engine.job import run_job
from engine.media import probe
from engine.worker import JobOutput, WorkerClient, WorkerCrashed
from tests.engine.engine_testutil import ENGINE

pytestmark = pytest.mark.timeout(120)

REQ = TextToVideo(
    prompt="wide shot, a man walks left, pan right", width=256, height=144, num_frames=12
)
LONG = TextToVideo(prompt="wide shot, a man walks left", width=256, height=144, num_frames=400)


@pytest.fixture(scope="module")
def client():
    c = WorkerClient(grace_s=1.0)
    yield c
    c.close()


def cancel_after_first_event(token: CancelToken, events: list[ProgressEvent]):
    def on_event(e: ProgressEvent) -> None:
        events.append(e)
        if len(events) == 2:
            threading.Timer(0.1, token.cancel).start()

    return on_event


def assert_ok(out: JobOutput, out_dir: Path, frames: int = 12) -> None:
    assert isinstance(out, JobOutput)
    assert probe(out_dir / out.files.video) == (frames, Fraction(24), 256, 144)
    for p in out.files.all_paths():
        assert (out_dir / p).is_file(), p
    assert out.result.frames == frames and out.result.recipe["engine"] == "animatic"


def test_job_runs_and_the_worker_stays_warm(client: WorkerClient, tmp_path: Path) -> None:
    events: list[ProgressEvent] = []
    out = client.run(REQ, tmp_path / "one", events.append, CancelToken())
    assert_ok(out, tmp_path / "one")
    assert [e.step for e in events] == list(range(1, 13))
    assert any(e.preview is not None for e in events)
    pid = client.pid
    assert pid is not None
    out2 = client.run(REQ, tmp_path / "two", None, CancelToken())
    assert_ok(out2, tmp_path / "two")
    assert client.pid == pid  # same warm process


def test_request_errors_come_back_with_the_engine_message(
    client: WorkerClient, tmp_path: Path
) -> None:
    client.start()
    pid = client.pid
    bad = TextToVideo(prompt="a man", width=256, height=144, num_frames=0)
    with pytest.raises(RequestError, match="at least 1 frame"):
        client.run(bad, tmp_path / "bad", None, CancelToken())
    with pytest.raises(UnknownEngine, match="no engine called 'nope'"):
        client.run(REQ, tmp_path / "bad2", None, CancelToken(), engine="nope")
    with pytest.raises(EngineError, match="the animatic engine failed: RuntimeError: debug"):
        client.run(REQ, tmp_path / "bad3", None, CancelToken(), debug={"raise_at_frame": 2})
    assert list((tmp_path / "bad3").iterdir()) == []
    assert client.pid == pid  # errors do not cost the warm worker


def test_cancel_stops_a_long_render_and_cleans_up(client: WorkerClient, tmp_path: Path) -> None:
    client.run(REQ, tmp_path / "warm", None, CancelToken())  # make sure it is warm
    pid = client.pid
    token, events = CancelToken(), []
    out_dir = tmp_path / "cancelled"
    out_dir.mkdir()
    (out_dir / "theirs.txt").write_text("not the job's")
    start = time.monotonic()
    with pytest.raises(Cancelled):
        client.run(
            LONG,
            out_dir,
            cancel_after_first_event(token, events),
            token,
            debug={"sleep_per_frame": 0.05},
        )
    assert time.monotonic() - start < 10
    assert len(events) < 100  # it did not just run to the end
    assert sorted(p.name for p in out_dir.iterdir()) == ["theirs.txt"]
    assert client.pid == pid  # cooperative cancel keeps the worker
    assert_ok(client.run(REQ, tmp_path / "after", None, CancelToken()), tmp_path / "after")


def test_cancel_before_start(client: WorkerClient, tmp_path: Path) -> None:
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        client.run(REQ, tmp_path / "never", None, token)
    assert not (tmp_path / "never").exists()


def test_a_hung_engine_is_killed_after_the_grace_period(tmp_path: Path) -> None:
    with WorkerClient(grace_s=0.5) as c:
        c.run(REQ, tmp_path / "warm", None, CancelToken())
        pid = c.pid
        token, events = CancelToken(), []
        start = time.monotonic()
        with pytest.raises(Cancelled, match="did not stop"):
            c.run(
                LONG,
                tmp_path / "hung",
                cancel_after_first_event(token, events),
                token,
                debug={"hang_at_frame": 3},
            )
        assert time.monotonic() - start < 10
        assert list((tmp_path / "hung").iterdir()) == []
        out = c.run(REQ, tmp_path / "fresh", None, CancelToken())
        assert_ok(out, tmp_path / "fresh")
        assert c.pid != pid  # a fresh worker


def test_a_crash_fails_only_its_job(tmp_path: Path) -> None:
    with WorkerClient() as c:
        c.run(REQ, tmp_path / "warm", None, CancelToken())
        pid = c.pid
        with pytest.raises(WorkerCrashed) as info:
            c.run(REQ, tmp_path / "crash", None, CancelToken(), debug={"abort_at_frame": 3})
        msg = str(info.value)
        assert "stopped unexpectedly" in msg and "exit code -6" in msg and "retry" in msg
        assert list((tmp_path / "crash").iterdir()) == []
        out = c.run(REQ, tmp_path / "next", None, CancelToken())
        assert_ok(out, tmp_path / "next")
        assert c.pid != pid


def test_a_killed_worker_is_reported(tmp_path: Path) -> None:
    import os
    import signal

    with WorkerClient() as c:
        c.start()
        token = CancelToken()

        def kill_on_first(e: ProgressEvent) -> None:
            if e.step == 2:
                os.kill(c.pid, signal.SIGKILL)

        with pytest.raises(WorkerCrashed, match="exit code -9, killed — often .*out of memory"):
            c.run(LONG, tmp_path / "oom", kill_on_first, token, debug={"sleep_per_frame": 0.02})
        assert list((tmp_path / "oom").iterdir()) == []
        assert_ok(c.run(REQ, tmp_path / "next", None, CancelToken()), tmp_path / "next")


def test_closing_during_a_job_stops_it(tmp_path: Path) -> None:
    c = WorkerClient(grace_s=5.0)
    c.start()
    pid = c.pid
    result: dict[str, BaseException] = {}

    def job() -> None:
        try:
            c.run(LONG, tmp_path / "job", None, CancelToken(), debug={"hang_at_frame": 2})
        except BaseException as exc:  # noqa: BLE001 - inspected below
            result["exc"] = exc

    t = threading.Thread(target=job)
    t.start()
    time.sleep(1.0)
    start = time.monotonic()
    c.close()  # e.g. the app quitting
    t.join(timeout=20)
    assert not t.is_alive()
    assert time.monotonic() - start < 10
    assert isinstance(result.get("exc"), Cancelled)
    assert c.pid is None and pid is not None
    assert list((tmp_path / "job").iterdir()) == []


def test_closed_client_refuses_jobs(tmp_path: Path) -> None:
    c = WorkerClient()
    c.start()
    pid = c.pid
    c.close()
    c.close()  # idempotent
    assert c.pid is None
    with pytest.raises(EngineError, match="closed"):
        c.run(REQ, tmp_path, None, CancelToken())
    import os

    with pytest.raises(ProcessLookupError):
        for _ in range(50):
            os.kill(pid, 0)  # the process is gone (reaped)
            time.sleep(0.1)


def test_run_job_in_process_cleans_up_on_failure(tmp_path: Path) -> None:
    out = run_job(ENGINE, REQ, tmp_path / "ok")
    assert_ok(out, tmp_path / "ok")
    token = CancelToken()

    def stop(e: ProgressEvent) -> None:
        if e.step == 4:
            token.cancel()

    with pytest.raises(Cancelled):
        run_job(ENGINE, REQ, tmp_path / "stopped", stop, token)
    assert list((tmp_path / "stopped").iterdir()) == []
    with pytest.raises(RequestError):
        run_job(ENGINE, TextToVideo(prompt="", width=256, height=144), tmp_path / "bad")
    assert not (tmp_path / "bad").exists()  # refused before anything was written
