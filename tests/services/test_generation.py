"""Generation through the job queue and the warm worker: every operation makes a new take."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from engine.media import HEAD_TAIL_FRAMES
from previz.core.errors import PrevizError
from previz.services.generation import EngineChoice, Generation
from previz.services.jobs import JobQueue
from previz.services.project import ProjectService
from previz.services.runner import JobRunner
from previz.store.folder import resolve

pytestmark = pytest.mark.timeout(240)


class DebugWorker:
    """The real WorkerClient with a fault injected into its jobs (test hook of engine.worker)."""

    def __init__(self, debug: dict | None = None, grace_s: float = 1.0) -> None:
        from engine.worker import WorkerClient

        self.client = WorkerClient(grace_s=grace_s)
        self.debug = debug

        self.calls = 0

    def run(self, *args, **kwargs):
        debug = self.debug(self.calls) if callable(self.debug) else self.debug
        self.calls += 1
        return self.client.run(*args, debug=debug, **kwargs)

    def close(self) -> None:
        self.client.close()


@pytest.fixture
def proj(tmp_path: Path):
    svc = ProjectService.create(tmp_path / "Gen.previz", fps="24", size="320x176")
    svc.add_element("Captain", "character", "a grizzled captain")
    svc.add_shot(prompt="WIDE, dusk, @Captain walks right, slow dolly in", duration_frames=12)
    svc.add_shot(prompt="CU, night, a woman, static", duration_frames=12)
    yield svc
    svc.close()


@pytest.fixture
def runner(proj: ProjectService):
    r = JobRunner(proj)
    assert r.acquire()
    yield r
    r.stop()


def rows(svc: ProjectService, table: str) -> list[tuple]:
    con = sqlite3.connect(svc.folder / "project.db")
    try:
        return con.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()
    finally:
        con.close()


def decode(svc: ProjectService, take) -> np.ndarray:
    from engine.api import SegmentRef
    from engine.media import read_frames

    segs = [SegmentRef(resolve(svc.folder, s.path), s.start, s.end) for s in take.segments]
    return np.stack(list(read_frames(segs)))


def test_generate_records_a_take_with_its_recipe_and_files(proj, runner) -> None:
    gen = Generation(proj)
    [job] = gen.generate("0010", EngineChoice(engine="animatic", seed=7))
    runner.run_pending({job.id})
    assert runner.queue.get(job.id).status == "done"
    [take] = proj.takes("0010")
    assert take.number == 1 and take.selected and take.seed == 7
    assert take.frame_count == 12 and (take.width, take.height) == (320, 176)
    assert take.prompt.startswith("WIDE, dusk, @Captain")
    assert "Captain (a grizzled captain)" in take.expanded_prompt
    assert take.recipe["engine"] == "animatic" and take.recipe["raw_prompt"] == take.prompt
    assert len(take.head) == len(take.tail) == HEAD_TAIL_FRAMES
    for p in (*take.head, *take.tail, take.thumbnail, take.segments[0].path):
        assert resolve(proj.folder, p).is_file()
    assert decode(proj, take).shape == (12, 176, 320, 3)
    assert proj.shot(take.shot_id).status == "done"
    # no scratch left behind
    assert not any((proj.folder / "media" / ".jobs").iterdir())


def test_variations_reprompt_and_every_operation_keep_existing_takes(proj, runner) -> None:
    gen = Generation(proj)
    jobs = gen.generate("0010", EngineChoice(engine="animatic", seed=3), count=2)
    runner.run_pending({j.id for j in jobs})
    t1, t2 = proj.takes("0010")
    assert (t1.seed, t2.seed) == (3, 4) and t2.selected
    frozen = rows(proj, "takes"), rows(proj, "segments")

    # re-prompt: a third take with the new prompt, the others unchanged
    [job] = gen.generate("0010", EngineChoice(engine="animatic", seed=3), prompt="low angle CU")
    runner.run_pending({job.id})
    t3 = proj.takes("0010")[-1]
    assert t3.number == 3 and t3.prompt == "low angle CU"

    # extend forward 2 s... of 12 frames: the parent's frames, then the new ones
    job = gen.extend("0010", "forward", 10, EngineChoice(engine="animatic"), take=2)
    runner.run_pending({job.id})
    ext = proj.takes("0010")[-1]
    assert ext.operation == "extend" and ext.parents == (t2.id,)
    assert ext.frame_count == 22
    assert ext.segments[0] == t2.segments[0]  # the parent's clip reused, not re-encoded
    assert ext.head == t2.head and ext.tail != t2.tail
    frames = decode(proj, ext)
    parent = decode(proj, t2)
    assert np.array_equal(frames[:12], parent)

    # extend backward: the new frames first
    job = gen.extend("0010", "backward", 10, EngineChoice(engine="animatic"), take=2)
    runner.run_pending({job.id})
    back = proj.takes("0010")[-1]
    assert back.frame_count == 22 and back.segments[-1] == t2.segments[0]
    assert back.tail == t2.tail and back.head != t2.head

    # remix and loop: new takes of the same shot with the source as parent
    job = gen.remix("0010", "noir", EngineChoice(engine="animatic"), strength=0.8, take=1)
    runner.run_pending({job.id})
    remix = proj.takes("0010")[-1]
    assert remix.operation == "remix" and remix.parents == (t1.id,)
    assert remix.frame_count == t1.frame_count
    job = gen.loop("0010", EngineChoice(engine="animatic", seed=5))
    runner.run_pending({job.id})
    assert proj.takes("0010")[-1].operation == "loop"

    # nothing that existed before changed
    takes_now, segs_now = rows(proj, "takes"), rows(proj, "segments")
    assert takes_now[: len(frozen[0])] == frozen[0]
    assert segs_now[: len(frozen[1])] == frozen[1]
    assert [t.number for t in proj.takes("0010")] == [1, 2, 3, 4, 5, 6, 7]


def test_bridge_inserts_a_shot_between_adjacent_shots(proj, runner) -> None:
    gen = Generation(proj)
    jobs = gen.generate("0010", EngineChoice(engine="animatic", seed=1))
    jobs += gen.generate("0020", EngineChoice(engine="animatic", seed=2))
    runner.run_pending({j.id for j in jobs})
    ta, tb = proj.take("0010"), proj.take("0020")
    shot, job = gen.bridge("0010", "0020", EngineChoice(engine="animatic"), duration_frames=10)
    assert [s.code for s in proj.shots()] == ["0010", "0015", "0020"]
    assert proj.shot(shot.id).status == "queued"
    runner.run_pending({job.id})
    take = proj.take(shot.id)
    assert take.operation == "bridge" and set(take.parents) == {ta.id, tb.id}
    assert take.frame_count == 10
    # not adjacent any more: 0010 and 0020 have 0015 between them
    with pytest.raises(PrevizError, match="not adjacent"):
        gen.bridge("0010", "0020", EngineChoice(engine="animatic"))


def test_bad_requests_fail_before_anything_is_queued(proj: ProjectService, tmp_path: Path) -> None:
    gen = Generation(proj)
    not_image = tmp_path / "board.png"
    not_image.write_text("this is not a png")
    cases = [
        (lambda: gen.generate("0010", EngineChoice(engine="nope")), "no engine called"),
        (lambda: gen.generate("0010", images=[(not_image, 0)]), "not an image"),
        (lambda: gen.generate("0010", images=[(tmp_path / "gone.png", 0)]), "does not exist"),
        (lambda: gen.extend("0010", "forward", 24), "has no take yet"),
        (lambda: gen.bridge("0010", "0020"), "has no take yet"),
        (lambda: gen.generate("0010", count=0), "out of range"),
    ]
    for action, expect in cases:
        with pytest.raises(PrevizError) as exc:
            action()
        assert expect in str(exc.value) and "\n" not in str(exc.value)
    assert rows(proj, "jobs") == []
    proj.edit_shot("0010", prompt="")
    with pytest.raises(PrevizError, match="no prompt"):
        gen.generate("0010")


def test_engine_limits_are_checked_before_queueing(tmp_path: Path) -> None:
    big = ProjectService.create(tmp_path / "Big.previz", size="8192x8192")
    big.add_shot(prompt="WIDE", duration_frames=24)
    with pytest.raises(PrevizError, match="between 64 and 4096"):
        Generation(big).generate("0010", EngineChoice(engine="animatic"))
    assert rows(big, "jobs") == []
    big.close()


def test_image_to_video_pins_a_still(proj, runner, tmp_path: Path) -> None:
    import cv2

    img = np.zeros((176, 320, 3), np.uint8)
    img[:, :160] = (200, 40, 40)
    path = tmp_path / "painting.png"
    cv2.imwrite(str(path), img)
    [job] = Generation(proj).generate("0020", EngineChoice(engine="animatic"), images=[(path, 0)])
    runner.run_pending({job.id})
    take = proj.take("0020")
    assert take.operation == "image_to_video"
    first = decode(proj, take)[0].astype(int)
    assert abs(first[:, :100, 2].mean() - 200) < 40  # the red half shows (RGB order)


def test_cancel_stops_the_job_and_leaves_no_take_or_file(proj: ProjectService) -> None:
    runner = JobRunner(proj, worker_factory=lambda: DebugWorker({"sleep_per_frame": 0.5}))
    assert runner.acquire()
    try:
        [job] = Generation(proj).generate("0010", EngineChoice(engine="animatic"))
        t = threading.Thread(target=runner.run_pending, args=({job.id},))
        t.start()
        deadline = time.monotonic() + 60
        while runner.current_job != job.id and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.0)
        runner.cancel(job.id)
        t.join(60)
        assert not t.is_alive()
        assert runner.queue.get(job.id).status == "canceled"
        assert proj.takes("0010") == []
        assert not any((proj.folder / "media" / ".jobs").iterdir())
        assert not any((proj.folder / "media" / "takes").iterdir())
    finally:
        runner.stop()


def test_a_killed_worker_fails_one_job_and_the_next_succeeds(proj: ProjectService) -> None:
    worker = DebugWorker({"abort_at_frame": 3})
    runner = JobRunner(proj, worker_factory=lambda: worker)
    assert runner.acquire()
    try:
        gen = Generation(proj)
        [bad] = gen.generate("0010", EngineChoice(engine="animatic"))
        runner.run_pending({bad.id})
        failed = runner.queue.get(bad.id)
        assert failed.status == "failed" and "worker" in failed.message
        assert proj.shot(failed.shot_id).status == "failed"
        worker.debug = None
        [good] = gen.generate("0010", EngineChoice(engine="animatic"))
        runner.run_pending({good.id})
        assert runner.queue.get(good.id).status == "done"
        assert len(proj.takes("0010")) == 1
    finally:
        runner.stop()


def test_a_job_left_running_by_a_crashed_app_is_interrupted_and_retryable(tmp_path: Path) -> None:
    folder = tmp_path / "Crash.previz"
    with ProjectService.create(folder, size="320x176") as svc:
        svc.add_shot(prompt="WIDE, day", duration_frames=12)
        [job] = Generation(svc).generate("0010", EngineChoice(engine="animatic"))
        JobQueue(svc).claim_next()  # "running" — and then the app dies without finishing it
    with ProjectService.open(folder) as svc:
        runner = JobRunner(svc)
        assert runner.acquire()
        try:
            assert runner.recovered == [job.id]
            assert runner.queue.get(job.id).status == "interrupted"
            again = runner.queue.retry(job.id)
            runner.run_pending({again.id})
            assert runner.queue.get(again.id).status == "done"
            assert len(svc.takes("0010")) == 1
        finally:
            runner.stop()
