"""The render farm on a local Ray cluster (head + two worker nodes on 127.0.0.1, see conftest):
the same frames as locally, progress, cancel, a node dying mid-job, every node dying, a CLI
that exits mid-job, two projects on one cluster, priority, and a Ray Client address."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytestmark = pytest.mark.slow

from previz.services.generation import EngineChoice  # noqa: E402
from previz.services.runner import JobRunner, RunnerListener  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


def wait_for(pred: Any, what: str, limit: float = 120.0) -> Any:
    """Poll ``pred`` until it returns something truthy (a bounded wait, not a timing check)."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        v = pred()
        if v:
            return v
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting for {what}")


class Events(RunnerListener):
    def __init__(self) -> None:
        self.progress: list[Any] = []
        self.takes: list[Any] = []
        self.changed: list[Any] = []

    def job_changed(self, job: Any) -> None:
        self.changed.append(job)

    def job_progress(self, p: Any) -> None:
        self.progress.append(p)

    def take_added(self, take: Any) -> None:
        self.takes.append(take)


def queue_jobs(svc: Any, address: str, *, seed: int = 7, priority: int | None = None, shots=None):  # type: ignore[no-untyped-def]
    runner = JobRunner(svc)
    runner.queue.runs_on = address
    runner.queue.priority = priority
    jobs = []
    for shot in shots or [s for q in svc.sequences() for s in svc.shots(q.id)]:
        runner.queue.runs_on = address
        runner.gen.queue.runs_on = address
        runner.gen.queue.priority = priority
        jobs += runner.gen.generate(shot.id, EngineChoice(engine="animatic", seed=seed))
    return runner, jobs


def frames_of(svc: Any, take: Any) -> list[np.ndarray]:
    from engine.api import SegmentRef
    from engine.media import read_frames

    segs = [SegmentRef(svc.folder / s.path, s.start, s.end) for s in take.segments]
    return list(read_frames(segs))


def farm_state(address: str, svc: Any, job_id: int) -> Any:
    from previz.services.farm import FarmClient, job_key

    key = job_key(svc.store.project_row()["uid"], job_id)
    return FarmClient(address).poll([key])[key] or {"events": 0, "node": ""}  # not sent yet


def takes_of(svc: Any, shot_id: int) -> list[Any]:
    return list(svc.takes(shot_id))


# --------------------------------------------------------------------------------------------


def test_a_sequence_on_the_farm_has_the_same_frames_as_locally_and_reports_progress(
    farm: Any, make_project: Any
) -> None:
    local = make_project("Local", shots=2)
    remote = make_project("Remote", shots=2)
    r_local, local_jobs = queue_jobs(local, "local")
    assert r_local.acquire()
    r_local.run_pending()
    r_local.stop()
    r_farm, farm_jobs = queue_jobs(remote, farm.address)
    ev = Events()
    r_farm.add_listener(ev)
    assert r_farm.acquire()
    r_farm.run_pending()
    r_farm.stop()
    for lj, fj in zip(local_jobs, farm_jobs, strict=True):
        lj, fj = r_local.queue.get(lj.id), r_farm.queue.get(fj.id)
        assert (lj.status, fj.status) == ("done", "done"), (lj.message, fj.message)
        assert fj.runs_on == farm.address
        lt, ft = local.take_by_id(lj.take_id), remote.take_by_id(fj.take_id)
        assert ft.recipe["farm"]["address"] == farm.address
        a, b = frames_of(local, lt), frames_of(remote, ft)
        assert len(a) == len(b) == 12
        assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
        # the lossless tail, the next extend's source, is the same too
        assert [(local.folder / p).read_bytes() for p in lt.tail] == [
            (remote.folder / p).read_bytes() for p in ft.tail
        ]
    # progress reached the runner's listeners as for a local job, ending at the last frame
    mine = {j.id for j in farm_jobs}
    steps = [(p.job_id, p.step, p.total) for p in ev.progress if p.job_id in mine]
    assert steps and {t for _, _, t in steps} == {12}
    assert any(s == 12 for _, s, _ in steps)
    assert len(ev.takes) == 2


def takes_here_and_on_farm(
    farm: Any, make_project: Any, name: str, queue: Any, shots: int = 1
) -> dict[str, list[Any]]:
    """For "local" and the farm: a fresh project, ``queue(gen, shots, runner)`` queueing jobs
    (it may run earlier ones with ``runner.run_pending()``) and returning the jobs whose takes
    to compare; every job must finish. Returns {where: [(svc, take), ...]}."""
    results: dict[str, list[Any]] = {}
    for where in ("local", farm.address):
        svc = make_project(name + str(len(results)), shots=shots)
        made = [s for q in svc.sequences() for s in svc.shots(q.id)]
        runner = JobRunner(svc)
        runner.gen.queue.runs_on = where
        assert runner.acquire()
        try:
            mine = queue(runner.gen, made, runner)
            runner.run_pending()
        finally:
            runner.stop()
        jobs = [runner.queue.get(j.id) for j in mine]
        assert all(j.status == "done" for j in jobs), [j.message for j in jobs]
        results[where] = [(svc, svc.take_by_id(j.take_id)) for j in jobs]
    return results


def assert_same_frames(results: dict[str, list[Any]], farm: Any, lengths: list[int]) -> None:
    local = [frames_of(svc, t) for svc, t in results["local"]]
    remote = [frames_of(svc, t) for svc, t in results[farm.address]]
    assert [len(f) for f in local] == [len(f) for f in remote] == lengths
    for a, b in zip(local, remote, strict=True):
        assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def test_extend_and_a_pinned_image_send_their_inputs_to_the_farm_and_match_local(
    farm: Any, make_project: Any, tmp_path: Path
) -> None:
    """The parent take's clip and lossless tail, and a pinned still, travel to the node as
    data (the node never reads the project): the takes match the local ones frame for frame."""
    from PIL import Image

    still = tmp_path / "board.png"
    img = np.zeros((96, 160, 3), np.uint8)
    img[:, :80] = (200, 40, 30)
    img[20:70, 90:150] = (20, 180, 220)
    Image.fromarray(img).save(still)

    def queue(gen: Any, shots: list[Any], runner: Any) -> list[Any]:
        gen.generate(shots[0].id, EngineChoice(engine="animatic", seed=5))
        runner.run_pending()
        ext = gen.extend(shots[0].id, "forward", 12, EngineChoice(engine="animatic", seed=6))
        pin = gen.generate(
            shots[1].id, EngineChoice(engine="animatic", seed=7), images=[(still, 0)]
        )[0]
        return [ext, pin]

    results = takes_here_and_on_farm(farm, make_project, "Ext", queue, shots=2)
    assert_same_frames(results, farm, [24, 12])


def test_region_edits_send_their_masks_to_the_farm_and_match_local(
    farm: Any, make_project: Any
) -> None:
    """An inpaint with a moving (keyed) mask and a cinemagraph from a frame of a take run on a
    node that never reads the project: their masks, still and source clip travel as data and
    the takes match the local ones frame for frame."""
    from previz.services.regions import MaskInput

    def queue(gen: Any, shots: list[Any], runner: Any) -> list[Any]:
        shot = shots[0]
        gen.generate(shot.id, EngineChoice(engine="animatic", seed=5))
        runner.run_pending()
        keys = [MaskInput(frame=0, box=(10, 20, 50, 50)), MaskInput(frame=11, box=(90, 20, 50, 50))]
        inp = gen.inpaint(
            shot.id,
            "WIDE, dusk, an empty street",
            keys,
            EngineChoice(engine="animatic", seed=6),
            take=1,
        )
        cin = gen.cinemagraph(
            shot.id,
            "clouds drift",
            MaskInput(box=(0, 0, 160, 40)),
            EngineChoice(engine="animatic", seed=7),
            frame=3,
            take=1,
            duration_frames=12,
            loop=True,
        )
        return [inp, cin]

    results = takes_here_and_on_farm(farm, make_project, "Reg", queue)
    for made in results.values():
        assert [t.operation for _, t in made] == ["inpaint", "cinemagraph"]
    assert_same_frames(results, farm, [12, 12])


def test_a_tiny_diffusers_model_on_the_farm_makes_the_take_it_makes_locally(
    farm: Any, make_project: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("torch")
    pytest.importorskip("diffusers")
    from tests.engine_diffusers.tiny_models import build_ltx

    model = tmp_path / "tiny-ltx"
    build_ltx(model)
    monkeypatch.setenv("PREVIZ_FARM_GPUS", "0")  # the test cluster's nodes have no GPU
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    choice = EngineChoice(engine="diffusers", model=str(model), seed=3, steps=2)
    takes = {}
    for where in ("local", farm.address):
        svc = make_project("Diff" + str(len(takes)), shots=1, frames=16)
        runner = JobRunner(svc)
        runner.gen.queue.runs_on = where
        shot = svc.shots(svc.sequences()[0].id)[0]
        job = runner.gen.generate(shot.id, choice)[0]
        assert runner.acquire()
        try:
            runner.run_pending()
        finally:
            runner.stop()
        done = runner.queue.get(job.id)
        assert done.status == "done", done.message
        takes[where] = frames_of(svc, svc.take_by_id(done.take_id))
    local, remote = takes["local"], takes[farm.address]
    assert len(local) == len(remote) == 17  # LTX's 8k+1 rule, on the node as here
    diff = max(
        float(np.abs(a.astype(int) - b.astype(int)).mean())
        for a, b in zip(local, remote, strict=True)
    )
    assert diff < 2.0  # the same model, seed and steps (float threads may differ by a bit)


def test_cancel_stops_the_job_on_its_node_and_frees_the_engine_for_the_next(
    farm: Any, make_project: Any
) -> None:
    svc = make_project("Cancel", shots=2, frames=48)
    shots = [s for q in svc.sequences() for s in svc.shots(q.id)]
    runner, jobs = queue_jobs(svc, farm.address, shots=shots[:1])
    runner.farm_debug = {"sleep_per_frame": 0.25}
    assert runner.start()
    try:
        wait_for(lambda: farm_state(farm.address, svc, jobs[0].id)["events"] > 0, "progress")
        assert runner.cancel(jobs[0].id)
        done = wait_for(
            lambda: (j := runner.queue.get(jobs[0].id)).status != "running" and j, "cancel"
        )
        assert done.status == "canceled" and takes_of(svc, shots[0].id) == []
        # the engine actor is free: the next job runs to the end
        runner.farm_debug = None
        runner.gen.queue.runs_on = farm.address
        nxt = runner.gen.generate(shots[1].id, EngineChoice(engine="animatic", seed=1))[0]
        runner.wake()
        got = wait_for(
            lambda: (j := runner.queue.get(nxt.id)).status not in ("pending", "running") and j,
            "the next job",
        )
        assert got.status == "done", got.message
    finally:
        runner.stop()
    from previz.services.farm import FarmClient

    actors = FarmClient(farm.address).status()["actors"]
    assert actors and all(a["state"] == "free" for a in actors)


def test_jobs_cancel_stops_a_farm_job_whose_sender_has_exited(
    farm: Any, make_project: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from previz.cli.main import run

    svc = make_project("CancelLater", shots=1, frames=48)
    runner, jobs = queue_jobs(svc, farm.address)
    runner.farm_debug = {"sleep_per_frame": 0.25}
    assert runner.acquire()
    runner.run_job(runner.queue.claim_next())  # sent to the farm
    wait_for(lambda: farm_state(farm.address, svc, jobs[0].id)["events"] > 0, "the job to run")
    runner.stop()  # the sender exits; the job goes on on the cluster
    assert runner.queue.get(jobs[0].id).status == "running"
    assert run(["jobs", "cancel", str(svc.folder), str(jobs[0].id), "--json"]) == 0
    row = json.loads(capsys.readouterr().out)
    assert row["status"] == "canceled" and takes_of(svc, jobs[0].shot_id) == []
    assert farm_state(farm.address, svc, jobs[0].id)["events"] == 0  # dropped by the farm


def test_two_projects_on_one_cluster_get_only_their_own_results(
    farm: Any, make_project: Any
) -> None:
    a = make_project("A", shots=1)
    b = make_project("B", shots=1)
    b_shot = b.shots(b.sequences()[0].id)[0]
    b.edit_shot(b_shot.id, prompt="CLOSE, night, a woman turns left")
    ra, ja = queue_jobs(a, farm.address, seed=3)
    rb, jb = queue_jobs(b, farm.address, seed=3)
    assert ja[0].id == jb[0].id  # the same job id in both projects
    threads = []
    for r in (ra, rb):
        assert r.acquire()
        threads.append(threading.Thread(target=r.run_pending))
        threads[-1].start()
    for t in threads:
        t.join(120)
    for svc, r, j in ((a, ra, ja[0]), (b, rb, jb[0])):
        r.stop()
        job = r.queue.get(j.id)
        assert job.status == "done", job.message
        take = svc.take_by_id(job.take_id)
        uid = svc.store.project_row()["uid"]
        assert take.recipe["farm"]["job"] == f"{uid}/{j.id}"
        assert take.prompt == svc.shot(j.shot_id).prompt
        assert len(takes_of(svc, j.shot_id)) == 1


def test_the_farm_starts_higher_priority_jobs_first(farm: Any, make_project: Any) -> None:
    svc = make_project("Prio", shots=5, frames=24)
    shots = [s for q in svc.sequences() for s in svc.shots(q.id)]
    runner, low = queue_jobs(svc, farm.address, shots=shots[:4])
    runner.gen.queue.priority = 9
    high = runner.gen.generate(shots[4].id, EngineChoice(engine="animatic", seed=2))
    runner.farm_debug = {"sleep_per_frame": 0.1}
    assert runner.acquire()
    runner.run_pending()
    runner.stop()

    def started(job: Any) -> int:
        done = runner.queue.get(job.id)
        assert done.status == "done", done.message
        return int(svc.take_by_id(done.take_id).recipe["farm"]["order"])

    # two engine actors: at most the first two jobs start at once; of those that waited, the
    # priority-9 job (queued last) starts before the priority-0 jobs queued before it
    assert started(high[0]) < started(low[2]) and started(high[0]) < started(low[3])


def test_the_farm_starts_the_jobs_of_higher_priority_shots_first(
    farm: Any, make_project: Any
) -> None:
    svc = make_project("ShotPrio", shots=5, frames=8)
    shots = [s for q in svc.sequences() for s in svc.shots(q.id)]
    for shot, prio in zip(shots, (0, 0, 1, 3, 2), strict=True):
        svc.edit_shot(shot.id, priority=prio)
    # two long jobs keep the engine actors busy while the three others are sent
    blockers = [svc.edit_shot(s.id, duration_frames=48) for s in shots[:2]]
    runner, jobs = queue_jobs(svc, farm.address)
    runner.farm_debug = {"sleep_per_frame": 0.1}
    assert [j.payload.get("priority", 0) for j in jobs] == [0, 0, 1, 3, 2]  # the shots'
    assert runner.acquire()
    for j in jobs[:2]:
        runner.run_job(runner.queue.claim_next({j.id}))
    for j in jobs[:2]:
        wait_for(
            lambda j=j: farm_state(farm.address, svc, j.id).get("status") == "running",
            "the long jobs to hold the engine actors",
        )
    for j in jobs[2:]:  # sent in shot order: priorities 1, 3, 2
        runner.run_job(runner.queue.claim_next({j.id}))
    runner.run_pending()
    runner.stop()

    def started(job: Any) -> int:
        done = runner.queue.get(job.id)
        assert done.status == "done", done.message
        return int(svc.take_by_id(done.take_id).recipe["farm"]["order"])

    assert len(blockers) == 2
    # the farm started the waiting jobs by their shots' priority: 3, then 2, then 1
    assert started(jobs[3]) < started(jobs[4]) < started(jobs[2])


def test_farm_status_shows_nodes_gpus_and_the_engines_loaded(
    farm: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    from previz.cli.main import run

    assert run(["farm", "status", farm.address, "--json"]) == 0
    st = json.loads(capsys.readouterr().out)
    alive = [n for n in st["nodes"] if n["alive"]]
    assert len(alive) == 3 and sum(1 for n in alive if n["head"]) == 1
    assert all("gpus" in n for n in alive)
    # the earlier tests' jobs left warm animatic engines, one per worker node
    engines = [a for a in st["actors"] if a["engine"] == "animatic"]
    assert engines and len({a["node"] for a in engines}) == len(engines)
    assert run(["farm", "status", farm.address]) == 0
    out = capsys.readouterr()
    assert "3 node(s) alive" in out.err + out.out and "animatic" in out.err + out.out


def test_a_farm_job_the_cluster_does_not_know_becomes_interrupted(
    farm: Any, make_project: Any
) -> None:
    svc = make_project("Unknown", shots=1)
    sender, jobs = queue_jobs(svc, farm.address)
    assert sender.queue.claim_next() is not None  # a process sent it, then the cluster restarted
    runner = JobRunner(svc)
    assert runner.acquire()  # a later process follows the farm jobs left running
    try:
        assert runner.following == [jobs[0].id]
        runner.follow_farm_once()
    finally:
        runner.stop()
    job = runner.queue.get(jobs[0].id)
    assert job.status == "interrupted" and "no longer knows" in job.message
    assert runner.queue.retry(job.id).runs_on == farm.address  # retried on the same farm


def test_a_cli_that_exits_mid_job_leaves_the_job_to_a_later_jobs_list(
    farm: Any, make_project: Any
) -> None:
    svc = make_project("Exit", shots=1, frames=24)
    folder = svc.folder
    svc.close()
    env = dict(
        os.environ,
        PREVIZ_FARM_DEBUG=json.dumps({"sleep_per_frame": 0.25}),
        RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER="0",
    )
    cli = subprocess.Popen(
        [sys.executable, "-m", "previz", "generate", str(folder), "0010", "--engine", "animatic"]
        + ["--seed", "4", "--farm", farm.address],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )

    def listing() -> list[dict[str, Any]]:
        out = subprocess.run(
            [sys.executable, "-m", "previz", "jobs", "list", str(folder), "--all", "--json"],
            cwd=REPO,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert out.returncode == 0, out.stderr
        return list(json.loads(out.stdout))

    from previz.services.project import ProjectService

    def on_node() -> bool:
        with ProjectService.open(folder) as s:
            from previz.services.jobs import JobQueue

            jobs = JobQueue(s).list()
        return bool(jobs) and jobs[0].message.startswith("farm: on node")

    try:
        wait_for(on_node, "the job to run on a farm node")
    finally:
        cli.send_signal(signal.SIGKILL)
        cli.wait(30)
    rows = listing()
    assert rows[0]["status"] == "running" and rows[0]["runs_on"] == farm.address
    rows = wait_for(lambda: (r := listing()) and r[0]["status"] == "done" and r, "collection")
    with ProjectService.open(folder) as s:
        shot = s.resolve_shot("0010")
        assert len(list(s.takes(shot.id))) == 1
        assert rows[0]["take_id"] == list(s.takes(shot.id))[0].id


def test_a_ray_client_address_runs_jobs_with_progress(farm: Any, make_project: Any) -> None:
    svc = make_project("Client", shots=1)
    runner, jobs = queue_jobs(svc, farm.client_address)
    ev = Events()
    runner.add_listener(ev)
    assert runner.acquire()
    try:
        runner.run_pending()
    finally:
        runner.stop()
        from previz.services.farm import disconnect

        disconnect()
    job = runner.queue.get(jobs[0].id)
    assert job.status == "done", job.message
    assert job.runs_on.startswith("ray://")
    assert [p.step for p in ev.progress if p.job_id == job.id][-1] == 12
    assert len(frames_of(svc, svc.take_by_id(job.take_id))) == 12


def long_job(svc: Any, address: str, *, seed: int = 5) -> tuple[JobRunner, Any]:
    runner = JobRunner(svc)
    runner.gen.queue.runs_on = address
    shot = svc.shots()[0]
    job = runner.gen.generate(shot.id, EngineChoice(engine="animatic", seed=seed), window_frames=12)
    assert job[0].payload["op"] == "long" and len(job[0].payload["windows"]) == 3
    return runner, job[0]


def test_a_long_shot_runs_on_the_farm_window_by_window_with_the_frames_it_has_locally(
    farm: Any, make_project: Any
) -> None:
    from previz.services.farm import FarmClient

    made = []
    for name, address in (("LongLocal", "local"), ("LongFarm", farm.address)):
        svc = make_project(name, shots=1, frames=36)
        runner, job = long_job(svc, address)
        ev = Events()
        runner.add_listener(ev)
        assert runner.acquire()
        runner.run_pending()
        runner.stop()
        done = runner.queue.get(job.id)
        assert done.status == "done", done.message
        made.append((svc, svc.take_by_id(done.take_id), ev))
    (ls, lt, _), (rs, rt, rev) = made
    assert rt.recipe["farm"]["address"] == farm.address
    assert len(lt.segments) == len(rt.segments) == 3  # one clip per window, as locally
    a, b = frames_of(ls, lt), frames_of(rs, rt)
    assert len(a) == len(b) == 36
    assert all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))
    # the shot's progress, window by window, up to its last frame
    assert {"window 1/3", "window 2/3", "window 3/3"} <= {p.stage for p in rev.progress}
    assert {p.total for p in rev.progress} == {36} and max(p.step for p in rev.progress) == 36
    # the job panel is told where the shot runs (it reloads the job on job_changed)
    assert any(j.message.startswith("farm: on node") for j in rev.changed)
    # every window's request was dropped from the cluster once its files were in
    assert FarmClient(farm.address).keys(str(rs.store.project_row()["uid"])) == []


def test_cancel_stops_a_long_shot_on_the_farm_at_its_current_window(
    farm: Any, make_project: Any
) -> None:
    from previz.services.farm import FarmClient

    svc = make_project("LongCancel", shots=1, frames=36)
    runner, job = long_job(svc, farm.address)
    runner.farm_debug = {"sleep_per_frame": 0.3}
    ev = Events()
    runner.add_listener(ev)
    assert runner.acquire()
    runner.run_job(runner.queue.claim_next())
    wait_for(lambda: any(p.stage == "window 2/3" for p in ev.progress), "the second window")
    assert runner.cancel(job.id)
    runner.run_pending()
    runner.stop()
    done = runner.queue.get(job.id)
    assert (done.status, done.take_id) == ("canceled", None)
    assert list(svc.takes(job.shot_id)) == []
    assert not any(p.stage == "window 3/3" for p in ev.progress)  # never sent
    assert FarmClient(farm.address).keys(str(svc.store.project_row()["uid"])) == []


def test_a_long_shot_whose_sender_exits_mid_shot_becomes_interrupted_and_retryable(
    farm: Any, make_project: Any
) -> None:
    from previz.services.farm import FarmClient

    svc = make_project("LongExit", shots=1, frames=36)
    runner, job = long_job(svc, farm.address)
    runner.farm_debug = {"sleep_per_frame": 0.3}
    assert runner.acquire()
    runner.run_job(runner.queue.claim_next())
    uid = str(svc.store.project_row()["uid"])
    wait_for(lambda: FarmClient(farm.address).keys(uid), "the first window on the farm")
    runner.stop()  # the sender exits mid-shot
    later = JobRunner(svc)
    assert later.acquire()
    done = later.queue.get(job.id)
    assert done.status == "interrupted" and "retry" in done.message
    assert FarmClient(farm.address).keys(uid) == []  # its window was dropped
    again = later.queue.retry(job.id)
    assert (again.status, again.runs_on) == ("pending", farm.address)
    later.stop()


def test_a_worker_node_dying_mid_job_gives_one_take_after_a_retry(
    farm: Any, make_project: Any
) -> None:
    svc = make_project("Kill", shots=1, frames=48)
    runner, jobs = queue_jobs(svc, farm.address)
    runner.farm_debug = {"sleep_per_frame": 0.2}
    assert runner.start()
    try:
        st = wait_for(
            lambda: (s := farm_state(farm.address, svc, jobs[0].id))["events"] > 0 and s,
            "the job to run",
        )
        farm.remove(farm.worker_of(st["node"]))
        done = wait_for(
            lambda: (j := runner.queue.get(jobs[0].id)).status != "running" and j,
            "the retried job",
            limit=180,
        )
    finally:
        runner.stop()
        farm.workers.append(farm.add_worker())
    assert done.status == "done", done.message
    assert "after 2 tries" in done.message
    assert len(takes_of(svc, jobs[0].shot_id)) == 1


def test_every_worker_node_dying_fails_the_job_with_a_message(farm: Any, make_project: Any) -> None:
    svc = make_project("Dead", shots=1, frames=48)
    runner, jobs = queue_jobs(svc, farm.address)
    runner.farm_debug = {"sleep_per_frame": 0.2}
    assert runner.start()
    try:
        wait_for(lambda: farm_state(farm.address, svc, jobs[0].id)["events"] > 0, "the job")
        for node in list(farm.cluster.worker_nodes):
            farm.remove(node)
        done = wait_for(
            lambda: (j := runner.queue.get(jobs[0].id)).status != "running" and j,
            "the job to fail",
            limit=180,
        )
    finally:
        runner.stop()
    assert done.status == "failed"
    assert "no live node of the render farm" in done.message
    assert takes_of(svc, jobs[0].shot_id) == []
