"""Bad inputs are refused before work starts, and jobs fail plainly rather than with tracebacks.

Images: a small file whose header claims a huge picture, a file with valid magic and garbage
content, an image pinned beyond the shot: refused in one line, nothing copied or queued.
Parents: extend/loop from a take whose clip is missing or damaged is refused, naming the take.
Disk full, cancel from another process, Ctrl-C reaching the worker while it starts.
"""

from __future__ import annotations

import logging
import os
import signal
import struct
import threading
import time
import zlib
from pathlib import Path

import numpy as np
import pytest

from previz.core.errors import PrevizError
from previz.services.generation import EngineChoice, Generation
from previz.services.jobs import JobQueue
from previz.services.project import ProjectService
from previz.services.runner import JobRunner
from previz.store.folder import resolve

pytestmark = pytest.mark.timeout(120)

ANIMATIC = EngineChoice(engine="animatic")


def png_claiming(path: Path, width: int, height: int) -> Path:
    """A valid PNG header claiming width x height, with one row of (tiny) pixel data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    idat = zlib.compress(b"\0" * (width + 1), 9)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )
    return path


def good_png(path: Path, w: int = 320, h: int = 176) -> Path:
    import cv2

    img = np.full((h, w, 3), 40, np.uint8)
    img[20:80, 30:120] = (0, 200, 255)
    cv2.imwrite(str(path), img)
    return path


def garbage_png(path: Path) -> Path:
    data = bytearray(good_png(path).read_bytes())
    data[40:] = os.urandom(len(data) - 40)  # magic and IHDR intact, the rest noise
    path.write_bytes(bytes(data))
    return path


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


@pytest.fixture
def proj(tmp_path: Path):
    svc = ProjectService.create(tmp_path / "Rel.previz", fps="24", size="320x176")
    svc.add_shot(prompt="WIDE, dusk, a man walks right, slow dolly in", duration_frames=12)
    yield svc
    svc.close()


@pytest.fixture
def runner(proj: ProjectService):
    r = JobRunner(proj)
    assert r.acquire()
    yield r
    r.stop()


# --- images ---------------------------------------------------------------------------------


def test_an_image_claiming_30000x30000_is_refused_from_its_header(
    proj: ProjectService, tmp_path: Path
) -> None:
    huge = png_claiming(tmp_path / "huge.png", 30000, 30000)
    assert huge.stat().st_size < 100_000
    gen = Generation(proj)
    with pytest.raises(PrevizError, match="larger than|more than") as err:
        gen.generate("0010", ANIMATIC, images=[(huge, 0)])
    assert "scale it down" in str(err.value) and "\n" not in str(err.value)
    # just over the cap, below Pillow's own bomb limit: the header's size is named
    big = png_claiming(tmp_path / "big.png", 9000, 9000)
    with pytest.raises(PrevizError, match="9000x9000"):
        gen.generate("0010", ANIMATIC, images=[(big, 0)])
    assert gen.queue.list() == []
    assert files_under(proj.folder / "media") == []


def test_the_engine_refuses_a_huge_image_before_decoding_it(tmp_path: Path) -> None:
    from engine.api import RequestError
    from engine.media import load_png_frames

    huge = png_claiming(tmp_path / "huge.png", 30000, 30000)
    with pytest.raises(RequestError, match="scale it down"):
        load_png_frames([huge])


def test_an_image_with_valid_magic_and_garbage_content_is_refused_at_import(
    proj: ProjectService, tmp_path: Path
) -> None:
    bad = garbage_png(tmp_path / "bad.png")
    with pytest.raises(PrevizError, match="damaged"):
        Generation(proj).generate("0010", ANIMATIC, images=[(bad, 0)])
    with pytest.raises(PrevizError, match="damaged"):
        proj.add_element("Boat", "prop", "a ferry", image=bad)
    huge = png_claiming(tmp_path / "huge.png", 30000, 30000)
    with pytest.raises(PrevizError, match="scale it down"):
        proj.add_element("Boat", "prop", "a ferry", image=huge)
    from previz.services.media_import import import_take

    with pytest.raises(PrevizError, match="damaged"):
        import_take(proj, "0010", bad)
    assert Generation(proj).queue.list() == []
    assert proj.elements() == []
    assert files_under(proj.folder / "media") == []


def test_an_image_pinned_beyond_the_shot_leaves_no_copy(
    proj: ProjectService, tmp_path: Path
) -> None:
    good = good_png(tmp_path / "good.png")
    with pytest.raises(PrevizError, match="outside the shot"):
        Generation(proj).generate("0010", ANIMATIC, images=[(good, 99999)])
    assert files_under(proj.folder / "media") == []
    assert Generation(proj).queue.list() == []
    # the same image at a frame inside the shot is copied and queued
    job = Generation(proj).generate("0010", ANIMATIC, images=[(good, 0)])[0]
    assert resolve(proj.folder, job.payload["images"][0][0]).is_file()


# --- a parent take whose media is missing or damaged ---------------------------------------------


def _take(runner: JobRunner, proj: ProjectService):
    Generation(proj).generate("0010", ANIMATIC)
    done = runner.run_job(runner.queue.claim_next())
    assert done.status == "done", done.message
    return proj.take_by_id(done.take_id)


@pytest.mark.parametrize("damage", ["missing", "garbage", "truncated"])
@pytest.mark.parametrize("op", ["extend", "loop"])
def test_extend_or_loop_from_a_take_with_a_bad_clip_is_refused(
    proj: ProjectService, runner: JobRunner, op: str, damage: str
) -> None:
    take = _take(runner, proj)
    clip = resolve(proj.folder, take.segments[0].path)
    if damage == "missing":
        clip.unlink()
    elif damage == "garbage":
        clip.write_bytes(os.urandom(clip.stat().st_size))  # same size, other bytes
    else:
        clip.write_bytes(clip.read_bytes()[:100])
    gen = Generation(proj)
    with pytest.raises(PrevizError) as err:
        if op == "extend":
            gen.extend("0010", "forward", 6, ANIMATIC, take=take.number)
        else:
            gen.loop("0010", ANIMATIC, take=take.number)
    msg = str(err.value)
    assert f"take {take.number} of shot" in msg and take.segments[0].path in msg
    assert ("missing" if damage == "missing" else "damaged") in msg
    assert "re-generate" in msg and "\n" not in msg
    assert gen.queue.list(statuses=("pending",)) == []
    assert [t.number for t in proj.takes(take.shot_id)] == [take.number]


def test_a_parent_clip_damaged_after_queueing_fails_the_job_plainly(
    proj: ProjectService, runner: JobRunner, caplog: pytest.LogCaptureFixture
) -> None:
    take = _take(runner, proj)
    job = Generation(proj).extend("0010", "forward", 6, ANIMATIC, take=take.number)
    resolve(proj.folder, take.segments[0].path).unlink()
    with caplog.at_level(logging.ERROR):
        done = runner.run_job(runner.queue.claim_next())
    assert done.id == job.id and done.status == "failed"
    assert "missing its clip" in done.message
    assert not [r for r in caplog.records if r.exc_info]  # no traceback logged
    assert len(proj.takes(take.shot_id)) == 1


# --- disk full -----------------------------------------------------------------------------------


class DebugWorker:
    def __init__(self, debug: dict) -> None:
        from engine.worker import WorkerClient

        self.client = WorkerClient(grace_s=1.0)
        self.debug = debug

    def run(self, *args, **kwargs):
        return self.client.run(*args, debug=self.debug, **kwargs)

    def close(self) -> None:
        self.client.close()


def test_disk_full_in_the_worker_fails_the_job_without_a_traceback(
    proj: ProjectService, capfd: pytest.CaptureFixture[str]
) -> None:
    r = JobRunner(proj, worker_factory=lambda: DebugWorker({"enospc_at_frame": 3}))
    assert r.acquire()
    try:
        Generation(proj).generate("0010", ANIMATIC)
        done = r.run_job(r.queue.claim_next())
    finally:
        r.stop()
    assert done.status == "failed"
    assert done.message.startswith("disk full: free space on ")
    assert "Traceback" not in capfd.readouterr().err
    assert not (proj.folder / "media" / ".jobs" / f"job-{done.id}").exists()


def test_disk_full_while_installing_the_take_fails_the_job_plainly(
    proj: ProjectService,
    runner: JobRunner,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    import errno

    import previz.services.takes as takes

    def full(*_a, **_k):
        raise OSError(errno.ENOSPC, "No space left on device", str(proj.folder / "media"))

    monkeypatch.setattr(takes, "install_dir", full)
    Generation(proj).generate("0010", ANIMATIC)
    with caplog.at_level(logging.ERROR):
        done = runner.run_job(runner.queue.claim_next())
    assert done.status == "failed"
    assert done.message.startswith(f"disk full: free space on {proj.folder}")
    assert not [r for r in caplog.records if r.exc_info]
    assert proj.takes(proj.resolve_shot("0010").id) == []


# --- cancel from another process, Ctrl-C reaching the worker ---------------------------------


def test_a_cancel_from_another_connection_stops_the_running_job(proj: ProjectService) -> None:
    r = JobRunner(proj, worker_factory=lambda: DebugWorker({"sleep_per_frame": 0.3}))
    assert r.acquire()
    job = Generation(proj).generate("0010", ANIMATIC)[0]
    result: list = []
    t = threading.Thread(target=lambda: result.append(r.run_job(r.queue.claim_next())))
    t.start()
    try:
        other = ProjectService.open(proj.folder)  # what `previz jobs cancel` opens
        try:
            q = JobQueue(other)
            deadline = time.monotonic() + 60
            while q.get(job.id).progress == 0 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert q.request_cancel(job.id) == "requested"
            assert q.get(job.id).status == "running"
        finally:
            other.close()
        t.join(60)
    finally:
        r.stop()
    assert not t.is_alive()
    assert result[0].status == "canceled"
    assert proj.takes(proj.resolve_shot("0010").id) == []
    assert not (proj.folder / "media" / ".jobs" / f"job-{job.id}").exists()


def test_a_cancel_request_survives_progress_updates_and_recovery(proj: ProjectService) -> None:
    q = JobQueue(proj)
    job = Generation(proj).generate("0010", ANIMATIC)[0]
    q.claim_next()
    q.request_cancel(job.id)
    q.set_progress(job.id, 0.5)  # the runner's progress write must not erase the request
    assert q.cancel_requested(job.id)
    assert q.recover_if_free() == [job.id]  # its runner died: the request is honoured
    assert q.get(job.id).status == "canceled"


def test_ctrl_c_reaching_the_worker_while_it_starts_prints_nothing(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    from engine.api import TextToVideo
    from engine.worker import WorkerClient

    with WorkerClient(grace_s=5.0) as client:
        client.start()
        pid = client.pid
        assert pid is not None
        stop = threading.Event()

        def pester() -> None:  # a terminal's Ctrl-C reaches the whole process group
            while not stop.is_set():
                try:
                    os.kill(pid, signal.SIGINT)
                except ProcessLookupError:
                    return
                time.sleep(0.005)

        t = threading.Thread(target=pester, daemon=True)
        t.start()
        try:
            out = client.run(
                TextToVideo(prompt="WIDE, a road", width=160, height=96, num_frames=6),
                tmp_path / "out",
            )
        finally:
            stop.set()
            t.join(5)
    assert out.files.num_frames == 6
    err = capfd.readouterr().err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err
