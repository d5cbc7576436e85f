"""The render farm against the local worker, in one run: throughput, per-job overhead, cancel.

The same 24-shot animatic sequence (``--shots``, ``--frames`` each, at ``--size``) is made:

- locally: one warm worker process (``previz generate`` without ``--farm``);
- on a local Ray cluster started here: a head with no CPUs for engines plus ``--nodes`` worker
  nodes of one CPU each (every node on 127.0.0.1), so one animatic engine actor per node.

Printed: wall time and jobs per minute for each (the farm after one warm-up job, so its engine
actors are loaded as they are on a farm in use); the per-job overhead of the farm against the
local worker (one job at a time, median of ``--runs``, each a warm actor or worker); and the
cancel latency (cancel asked -> the job's row says cancelled, while the job runs on a node).

    .venv/bin/python benchmarks/farm.py [--shots 24] [--frames 24] [--nodes 2] [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")  # nodes on 127.0.0.1
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
os.environ.setdefault("PREVIZ_CONFIG_DIR", tempfile.mkdtemp(prefix="previz-bench-config-"))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from previz.services.generation import EngineChoice  # noqa: E402
from previz.services.project import ProjectService  # noqa: E402
from previz.services.runner import JobRunner  # noqa: E402


def project(root: Path, name: str, shots: int, frames: int, size: str) -> ProjectService:
    svc = ProjectService.create(root / f"{name}.previz", fps="24", size=size)
    for i in range(shots):
        svc.add_shot(
            prompt=f"WIDE, dusk, a man walks right, slow dolly in (shot {i + 1})",
            duration_frames=frames,
        )
    return svc


def queue(runner: JobRunner, svc: ProjectService, where: str, shots=None, seed: int = 11):  # type: ignore[no-untyped-def]
    runner.gen.queue.runs_on = where
    jobs = []
    for s in shots or [s for q in svc.sequences() for s in svc.shots(q.id)]:
        jobs += runner.gen.generate(s.id, EngineChoice(engine="animatic", seed=seed))
    return jobs


def run_all(runner: JobRunner, svc: ProjectService, where: str, shots=None) -> float:  # type: ignore[no-untyped-def]
    jobs = queue(runner, svc, where, shots)
    t0 = time.perf_counter()
    runner.run_pending({j.id for j in jobs})
    dt = time.perf_counter() - t0
    bad = [j for j in jobs if runner.queue.get(j.id).status != "done"]
    if bad:
        raise SystemExit(f"{len(bad)} job(s) did not finish: {runner.queue.get(bad[0].id).message}")
    return dt


def single(runner: JobRunner, svc: ProjectService, where: str, runs: int) -> float:
    shot = [s for q in svc.sequences() for s in svc.shots(q.id)][0]
    times = [run_all(runner, svc, where, [shot]) for _ in range(runs)]
    return statistics.median(times)


def cancel_latency(runner: JobRunner, svc: ProjectService, where: str, frames: int) -> float:
    shot = [s for q in svc.sequences() for s in svc.shots(q.id)][0]
    runner.farm_debug = {"sleep_per_frame": 0.2}
    job = queue(runner, svc, where, [shot])[0]
    runner._stop.clear()
    import threading

    t = threading.Thread(target=runner.run_pending, args=({job.id},))
    t.start()
    while not runner.queue.get(job.id).message.startswith("farm: on node"):
        time.sleep(0.02)
    time.sleep(0.5)  # mid-job
    t0 = time.perf_counter()
    runner.cancel(job.id)
    while runner.queue.get(job.id).status == "running":
        time.sleep(0.01)
    dt = time.perf_counter() - t0
    t.join()
    runner.farm_debug = None
    assert runner.queue.get(job.id).status == "canceled"
    return dt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shots", type=int, default=24)
    ap.add_argument("--frames", type=int, default=24)
    ap.add_argument("--size", default="320x176")
    ap.add_argument("--nodes", type=int, default=2)
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    from ray.cluster_utils import Cluster

    root = Path(tempfile.mkdtemp(prefix="previz-bench-farm-"))
    local_svc = project(root, "Local", a.shots, a.frames, a.size)
    farm_svc = project(root, "Farm", a.shots, a.frames, a.size)

    local = JobRunner(local_svc)
    assert local.acquire()
    run_all(local, local_svc, "local", [local_svc.shots(local_svc.sequences()[0].id)[0]])  # warm
    t_local = run_all(local, local_svc, "local")
    one_local = single(local, local_svc, "local", a.runs)
    local.stop()

    t0 = time.perf_counter()
    cluster = Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": 0, "include_dashboard": False, "node_ip_address": "127.0.0.1"},
    )
    for _ in range(a.nodes):
        cluster.add_node(num_cpus=1, node_ip_address="127.0.0.1")
    cluster.wait_for_nodes()
    t_cluster = time.perf_counter() - t0
    try:
        remote = JobRunner(farm_svc)
        assert remote.acquire()
        shots = [s for q in farm_svc.sequences() for s in farm_svc.shots(q.id)]
        t_warm = run_all(remote, farm_svc, cluster.address, shots[: a.nodes])  # actors start
        t_farm = run_all(remote, farm_svc, cluster.address)
        one_farm = single(remote, farm_svc, cluster.address, a.runs)
        t_cancel = cancel_latency(remote, farm_svc, cluster.address, a.frames)
        remote.stop()
    finally:
        from previz.services.farm import disconnect

        disconnect()
        cluster.shutdown()

    n = a.shots
    print(f"{n} shots x {a.frames} frames at {a.size}, animatic; {os.cpu_count()} CPU cores")
    print(f"local cluster start ({a.nodes} worker nodes + head): {t_cluster:.1f} s")
    print(f"first farm jobs (engine actors start, {a.nodes} jobs): {t_warm:.2f} s")
    print(f"{'':24}{'wall s':>8}{'jobs/min':>10}")
    print(f"{'local worker':24}{t_local:8.2f}{n / t_local * 60:10.1f}")
    print(f"{f'farm, {a.nodes} nodes':24}{t_farm:8.2f}{n / t_farm * 60:10.1f}")
    print(
        f"one job at a time (median of {a.runs}): local {one_local:.2f} s, farm {one_farm:.2f} s"
        f" -> farm overhead {one_farm - one_local:+.2f} s per job"
    )
    print(f"cancel latency (asked -> row cancelled, job mid-run on a node): {t_cancel:.2f} s")


if __name__ == "__main__":
    main()
