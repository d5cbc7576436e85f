"""A local Ray cluster for the farm tests: a head (no CPUs for engines, a Ray Client server)
and two worker nodes, every node on 127.0.0.1, no dashboard; ended by the tests."""

from __future__ import annotations

import os
import signal
import socket
from pathlib import Path

import pytest

# Nodes bound to 127.0.0.1: Ray would otherwise rewrite a loopback address to this machine's
# outside address, where nothing listens (read when ray is first imported).
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")
os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class LocalFarm:
    def __init__(self) -> None:
        from ray.cluster_utils import Cluster

        os.environ["RAY_USAGE_STATS_ENABLED"] = "0"
        self.client_port = free_port()
        self.cluster = Cluster(
            initialize_head=True,
            head_node_args={
                "num_cpus": 0,
                "include_dashboard": False,
                "node_ip_address": "127.0.0.1",
                "ray_client_server_port": self.client_port,
                "_system_config": {
                    "health_check_initial_delay_ms": 0,
                    "health_check_period_ms": 500,
                    "health_check_failure_threshold": 4,
                },
            },
        )
        self.workers = [self.add_worker(), self.add_worker()]
        self.cluster.wait_for_nodes()

    @property
    def address(self) -> str:
        return str(self.cluster.address)

    @property
    def client_address(self) -> str:
        return f"ray://127.0.0.1:{self.client_port}"

    def add_worker(self):  # type: ignore[no-untyped-def]
        return self.cluster.add_node(num_cpus=1, node_ip_address="127.0.0.1")

    def worker_of(self, node_id: str):  # type: ignore[no-untyped-def]
        for n in self.cluster.worker_nodes:
            if n.node_id == node_id:
                return n
        raise AssertionError(f"node {node_id} is not a worker node of the test cluster")

    def remove(self, node) -> None:  # type: ignore[no-untyped-def]
        self.cluster.remove_node(node, allow_graceful=False)
        if node in self.workers:
            self.workers.remove(node)

    def shutdown(self) -> None:
        from previz.services.farm import disconnect

        disconnect()
        pids = []
        for n in [self.cluster.head_node, *self.cluster.worker_nodes]:
            if n is None:
                continue
            for procs in n.all_processes.values():
                pids += [p.process.pid for p in procs if p.process is not None]
        self.cluster.shutdown()
        for pid in pids:  # anything of ours the shutdown left (never `ray stop`)
            try:
                os.kill(pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass


@pytest.fixture(scope="session")
def farm():
    pytest.importorskip("ray", reason="the farm tests need ray: pip install -e '.[farm]'")
    f = LocalFarm()
    try:
        yield f
    finally:
        f.shutdown()


@pytest.fixture
def make_project(tmp_path: Path):
    from previz.services.project import ProjectService

    made = []

    def make(name: str = "Farm", shots: int = 1, frames: int = 12):  # type: ignore[no-untyped-def]
        svc = ProjectService.create(tmp_path / f"{name}.previz", fps="24", size="160x96")
        for i in range(shots):
            svc.add_shot(
                prompt=f"WIDE, dusk, a man walks right, slow dolly in, shot {i}",
                duration_frames=frames,
            )
        made.append(svc)
        return svc

    yield make
    for svc in made:
        svc.close()
