"""The Ray actors of the render farm: `Farm` (one per cluster) and `EngineActor` (per GPU+model).

See `engine.farm` for the design. The `Farm` actor is threaded: clients poll and cancel while its
driver threads wait on engine actors. Its scheduler hands a free engine actor to the waiting job
of highest priority (then the oldest), starts an engine actor when a node has room for one,
and drops the actors of nodes that died.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import math
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import ray
from ray.util.scheduling_strategies import NodeAffinitySchedulingStrategy

from engine.farm import FARM_ACTOR, MAX_RETRIES, NAMESPACE

log = logging.getLogger(__name__)

PROGRESS_EVERY_S = 0.2  # an engine actor sends progress at most this often (and the last step)
READY_TIMEOUT_S = 600.0  # an engine actor that has not started in this long is given up


def num_gpus_for(engine: str, model: str) -> float:
    """GPUs an engine actor of this model asks Ray for: 0 for a CPU engine (the animatic); else
    the share of a card its memory plan needs (a whole card for a model of unknown size), or
    ``PREVIZ_FARM_GPUS`` when set."""
    if engine == "animatic":
        return 0.0
    forced = os.environ.get("PREVIZ_FARM_GPUS", "").strip()
    if forced:  # "0": a GPU engine on CPU nodes (a CPU-only farm, the tests)
        return max(0.0, float(forced))
    try:
        from engine.catalog import find_entry

        entry = find_entry(model)
    except Exception:  # noqa: BLE001 - an uncatalogued folder
        entry = None
    if entry is None or not entry.vram_gb:
        return 1.0
    card = float(os.environ.get("PREVIZ_FARM_CARD_GB", "80"))
    return min(1.0, math.ceil(entry.vram_gb / card * 4) / 4)  # quarters of a card


def head_node_id() -> str | None:
    for n in ray.nodes():
        if n.get("Alive") and "node:__internal_head__" in n.get("Resources", {}):
            return str(n["NodeID"])
    return None


def on_head(**options: Any) -> dict[str, Any]:
    """Actor options that place it on the head node (it lives as long as the cluster; a
    worker node may die). It asks for no resources, so the head always has room."""
    head = head_node_id()
    if head is not None:
        options["scheduling_strategy"] = NodeAffinitySchedulingStrategy(head, soft=False)
    return options


@ray.remote(max_concurrency=4)
class EngineActor:
    """A warm engine on one node: loads once, runs one job at a time, can be told to cancel."""

    def __init__(self, engine: str, model: str) -> None:
        from engine.registry import get_engine

        self.engine_name, self.model = engine, model
        self.engine = get_engine(engine)
        self.engine.load()
        self.job: str | None = None
        self.token: Any = None
        self.done = 0
        self.node = ray.get_runtime_context().get_node_id()

    def ready(self) -> dict[str, Any]:
        return {"node": self.node, "pid": os.getpid()}

    def info(self) -> dict[str, Any]:
        return {
            "engine": self.engine_name,
            "model": self.model,
            "node": self.node,
            "job": self.job,
            "done": self.done,
        }

    def cancel(self, key: str) -> bool:
        if self.job == key and self.token is not None:
            self.token.cancel()
            return True
        return False

    def run(self, key: str, request: Any, files: dict[str, bytes], debug: Any = None) -> Any:
        from engine.api import Cancelled, CancelToken, EngineError
        from engine.farm.pack import pack_output, unpack_request
        from engine.job import run_job

        farm = ray.get_actor(FARM_ACTOR, namespace=NAMESPACE)
        self.job, self.token = key, CancelToken()
        work = Path(tempfile.mkdtemp(prefix="previz-farm-"))
        last = [0.0]

        def progress(ev: Any) -> None:
            now = time.monotonic()
            if now - last[0] >= PROGRESS_EVERY_S or ev.step >= ev.total:
                last[0] = now
                farm.progress.remote(key, ev)

        try:
            req = unpack_request(request, files, work / "in")
            out = run_job(self.engine, req, work / "out", progress, self.token, debug=debug)
            self.done += 1
            return {"status": "done", **pack_output(work / "out", out)}
        except Cancelled:
            return {"status": "canceled"}
        except EngineError as exc:
            return {"status": "failed", "message": exc.message}
        except Exception as exc:  # noqa: BLE001 - the job fails, the actor lives on
            log.exception("farm job %s failed", key)
            return {
                "status": "failed",
                "message": f"the {self.engine_name} engine failed: {type(exc).__name__}: {exc}",
            }
        finally:
            self.job, self.token = None, None
            shutil.rmtree(work, ignore_errors=True)


class _Job:
    def __init__(self, key: str, spec: dict[str, Any], seq: int) -> None:
        self.key = key
        self.spec = spec
        self.seq = seq
        self.status = "queued"  # queued | running | done | failed | canceled
        self.message = ""
        self.event: Any = None
        self.events = 0
        self.attempts = 0
        self.node = ""
        self.actor: str | None = None
        self.result: Any = None
        self.cancelled = False
        self.started = -1  # the order in which the farm started its jobs (its last try)

    def view(self, since: int) -> dict[str, Any]:
        ev = self.event if self.events > since else None
        return {
            "status": self.status,
            "message": self.message,
            "event": ev,
            "events": self.events,
            "attempts": self.attempts,
            "node": self.node,
            "started": self.started,
        }


@ray.remote(max_concurrency=64)
class Farm:
    """The farm's jobs, queue and engine actors (one per cluster, detached, on the head)."""

    def __init__(self) -> None:
        self.lock = threading.Condition()
        self.jobs: dict[str, _Job] = {}
        self.waiting: list[tuple[int, int, str]] = []  # (-priority, seq, key)
        self.seq = itertools.count()
        self.actors: dict[str, dict[str, Any]] = {}  # name -> {handle, pool, state, node, gpus}
        self.names = itertools.count()
        self.starts = itertools.count()
        threading.Thread(target=self._schedule_loop, name="farm-scheduler", daemon=True).start()

    # --- client calls -------------------------------------------------------------------------

    def ping(self) -> str:
        return "previz-farm"

    def submit(self, key: str, spec: dict[str, Any]) -> str:
        """Queue a job (idempotent: a key already known is left as it is)."""
        with self.lock:
            if key in self.jobs:
                return self.jobs[key].status
            job = _Job(key, spec, next(self.seq))
            self.jobs[key] = job
            heapq.heappush(self.waiting, (-int(spec.get("priority", 0)), job.seq, key))
            self.lock.notify_all()
            return job.status

    def poll(self, keys: list[str], since: dict[str, int] | None = None) -> dict[str, Any]:
        """The state of each job in ``keys`` (None for a job the farm does not know)."""
        since = since or {}
        with self.lock:
            return {
                k: (self.jobs[k].view(since.get(k, 0)) if k in self.jobs else None) for k in keys
            }

    def keys(self, prefix: str) -> list[str]:
        with self.lock:
            return [k for k in self.jobs if k.startswith(prefix)]

    def result(self, key: str) -> Any:
        with self.lock:
            job = self.jobs.get(key)
            return None if job is None else job.result

    def forget(self, key: str) -> None:
        """The client has the result (or gave the job up): drop it."""
        self.cancel(key)
        with self.lock:
            self.jobs.pop(key, None)

    def cancel(self, key: str) -> str | None:
        with self.lock:
            job = self.jobs.get(key)
            if job is None:
                return None
            job.cancelled = True
            if job.status == "queued":
                job.status, job.message = "canceled", "cancelled"
                job.spec = {}
            actor = self.actors.get(job.actor or "")
            self.lock.notify_all()
            status = job.status
        if status == "running" and actor is not None:
            with contextlib.suppress(Exception):
                actor["handle"].cancel.remote(key)
        return status

    def progress(self, key: str, event: Any) -> None:
        with self.lock:
            job = self.jobs.get(key)
            if job is not None and job.status in ("running", "done"):  # the last may come late
                job.event = event
                job.events += 1

    def status(self) -> dict[str, Any]:
        """The cluster as the farm sees it: nodes, GPUs, engine actors and models, queue."""
        nodes = []
        for n in ray.nodes():
            res = n.get("Resources", {})
            nodes.append(
                {
                    "node": n["NodeID"],
                    "address": n.get("NodeManagerAddress", ""),
                    "alive": bool(n.get("Alive")),
                    "cpus": res.get("CPU", 0),
                    "gpus": res.get("GPU", 0),
                    "head": "node:__internal_head__" in res,
                }
            )
        with self.lock:
            actors = [
                {
                    "name": name,
                    "engine": a["pool"][0],
                    "model": a["pool"][1],
                    "node": a["node"],
                    "state": a["state"],
                    "gpus": a["gpus"],
                    "job": a.get("job"),
                }
                for name, a in self.actors.items()
            ]
            counts: dict[str, int] = {}
            for j in self.jobs.values():
                counts[j.status] = counts.get(j.status, 0) + 1
        return {"nodes": nodes, "actors": actors, "jobs": counts}

    # --- scheduling ---------------------------------------------------------------------------

    def _schedule_loop(self) -> None:
        last_health = 0.0
        while True:
            try:
                if time.monotonic() - last_health > 1.0:
                    last_health = time.monotonic()
                    self._drop_dead_actors()
                self._schedule()
            except Exception:  # noqa: BLE001 - keep scheduling
                log.exception("farm scheduler")
            with self.lock:
                self.lock.wait(0.2)

    def _alive_nodes(self) -> dict[str, dict[str, float]]:
        return {n["NodeID"]: n.get("Resources", {}) for n in ray.nodes() if n.get("Alive")}

    def _drop_dead_actors(self) -> None:
        alive = self._alive_nodes()
        with self.lock:
            for name, a in list(self.actors.items()):
                if a["node"] and a["node"] not in alive:
                    self.actors.pop(name)
                elif a["state"] == "starting" and self._slots(a["gpus"], alive) == 0:
                    # started while its node was still listed alive: no live node can hold it
                    # now, so it would wait out READY_TIMEOUT_S and its jobs with it; end it so
                    # the scheduler fails them (no live node) at once
                    self.actors.pop(name)
                    with contextlib.suppress(Exception):
                        ray.kill(a["handle"])

    def _slots(self, gpus: float, alive: dict[str, dict[str, float]]) -> int:
        """How many engine actors needing ``gpus`` the live nodes hold (head included only
        when it is the only node, as on a workstation)."""
        nodes = [r for r in alive.values() if "node:__internal_head__" not in r] or list(
            alive.values()
        )
        if gpus <= 0:
            return sum(int(r.get("CPU", 0)) for r in nodes)
        return sum(int(r.get("GPU", 0) / gpus + 1e-9) for r in nodes)

    def _schedule(self) -> None:
        alive: dict[str, dict[str, float]] | None = None
        while True:
            with self.lock:
                # the first waiting job (highest priority, then oldest) that is still wanted
                while (
                    self.waiting
                    and getattr(self.jobs.get(self.waiting[0][2]), "status", None) != "queued"
                ):
                    heapq.heappop(self.waiting)
                if not self.waiting:
                    return
                order = [w for w in sorted(self.waiting) if self.jobs[w[2]].status == "queued"]
                picked = None
                for _, _, key in order:
                    job = self.jobs[key]
                    pool = (job.spec["engine"], job.spec["model"])
                    free = [
                        n
                        for n, a in self.actors.items()
                        if a["pool"] == pool and a["state"] == "free"
                    ]
                    if free:
                        picked = (job, free[0])
                        break
                if picked is not None:
                    job, name = picked
                    self.waiting.remove((-int(job.spec.get("priority", 0)), job.seq, job.key))
                    heapq.heapify(self.waiting)
                    a = self.actors[name]
                    a["state"], a["job"] = "busy", job.key
                    job.status, job.actor, job.node = "running", name, a["node"]
                    job.attempts += 1
                    job.started = next(self.starts)
                    threading.Thread(
                        target=self._drive, args=(job, name), name=f"farm-{job.key}", daemon=True
                    ).start()
                    continue
            # nobody can start now: start engine actors where there is room
            if alive is None:
                alive = self._alive_nodes()
            self._grow(order, alive)
            return

    def _grow(self, order: list[tuple[int, int, str]], alive: dict[str, dict[str, float]]) -> None:
        with self.lock:
            wanted: dict[tuple[str, str], int] = {}
            for _, _, key in order:
                job = self.jobs.get(key)
                if job is None or job.status != "queued":
                    continue
                pool = (job.spec["engine"], job.spec["model"])
                wanted[pool] = wanted.get(pool, 0) + 1
            for pool, n_wait in wanted.items():
                gpus = self._gpus(pool)
                kind = [a for a in self.actors.values() if (a["gpus"] > 0) == (gpus > 0)]
                mine = [a for a in kind if a["pool"] == pool]
                starting = sum(1 for a in mine if a["state"] == "starting")
                room = self._slots(gpus, alive) - len(kind)
                if room <= 0:
                    # make room: end an idle actor of another model
                    idle = [
                        n
                        for n, a in self.actors.items()
                        if a["pool"] != pool
                        and a["state"] == "free"
                        and (a["gpus"] > 0) == (gpus > 0)
                    ]
                    if idle and not mine:
                        a = self.actors.pop(idle[0])
                        with contextlib.suppress(Exception):
                            ray.kill(a["handle"])
                        room = 1
                if room <= 0 and not mine:
                    self._fail_unplaceable(pool, alive)
                    continue
                for _ in range(max(0, min(room, n_wait - starting))):
                    self._start_actor(pool, gpus)

    def _gpus(self, pool: tuple[str, str]) -> float:
        for job in self.jobs.values():
            if (job.spec.get("engine"), job.spec.get("model")) == pool:
                return float(job.spec.get("num_gpus", 0))
        return 0.0

    def _fail_unplaceable(self, pool: tuple[str, str], alive: dict[str, Any]) -> None:
        """No live node can hold an engine actor of this model: its waiting jobs fail."""
        engine, model = pool
        gpus = self._gpus(pool)
        what = f"{engine}" + (f" ({model})" if model else "")
        need = f"{gpus:g} GPU" if gpus > 0 else "a CPU"
        for _, _, key in list(self.waiting):
            job = self.jobs.get(key)
            if (
                job is not None
                and job.status == "queued"
                and (
                    job.spec["engine"],
                    job.spec["model"],
                )
                == pool
            ):
                job.status = "failed"
                retried = f" after {job.attempts} tries" if job.attempts else ""
                job.message = (
                    f"no live node of the render farm can run {what} (it needs {need} per job)"
                    f"{retried}; add a node or run it locally, then retry"
                )
                job.spec = {}

    def _start_actor(self, pool: tuple[str, str], gpus: float) -> None:
        name = f"previz-engine-{pool[0]}-{next(self.names)}-{os.getpid()}"
        handle = EngineActor.options(
            name=name,
            namespace=NAMESPACE,
            lifetime="detached",
            num_cpus=1 if gpus <= 0 else 0,
            num_gpus=gpus,
            max_restarts=0,
            scheduling_strategy="SPREAD",
        ).remote(*pool)
        self.actors[name] = {
            "handle": handle,
            "pool": pool,
            "state": "starting",
            "node": "",
            "gpus": gpus,
            "job": None,
        }
        threading.Thread(target=self._await_ready, args=(name, handle), daemon=True).start()

    def _await_ready(self, name: str, handle: Any) -> None:
        try:
            info = ray.get(handle.ready.remote(), timeout=READY_TIMEOUT_S)
        except Exception as exc:  # noqa: BLE001 - it could not start: forget it
            log.warning("engine actor %s did not start: %s", name, exc)
            with self.lock:
                self.actors.pop(name, None)
                self.lock.notify_all()
            with contextlib.suppress(Exception):
                ray.kill(handle)
            return
        with self.lock:
            a = self.actors.get(name)
            if a is not None:
                a["state"], a["node"] = "free", info["node"]
            self.lock.notify_all()

    def _drive(self, job: _Job, name: str) -> None:
        """Run ``job`` on engine actor ``name``; on the actor's death, queue it again."""
        with self.lock:
            handle = self.actors[name]["handle"]
            spec = job.spec
            if job.cancelled:
                reply: Any = {"status": "canceled"}
        try:
            if not job.cancelled:
                reply = ray.get(
                    handle.run.remote(job.key, spec["request"], spec["files"], spec.get("debug"))
                )
            dead = False
        except (ray.exceptions.RayActorError, ray.exceptions.ActorDiedError) as exc:
            dead, reply = True, None
            log.warning("engine actor %s died running %s: %s", name, job.key, exc)
        except Exception as exc:  # noqa: BLE001 - the job fails, the farm lives on
            dead, reply = False, {"status": "failed", "message": f"the farm failed: {exc}"}
        with self.lock:
            if dead:
                self.actors.pop(name, None)
                with contextlib.suppress(Exception):
                    ray.kill(handle)
            elif name in self.actors:
                self.actors[name].update(state="free", job=None)
            job.actor = None
            if dead:
                if job.cancelled:
                    job.status, job.message = "canceled", "cancelled"
                elif job.attempts > int(spec.get("max_retries", MAX_RETRIES)):
                    job.status = "failed"
                    job.message = (
                        f"the farm node running this job died {job.attempts} times "
                        "(node lost or out of memory); retry it"
                    )
                else:
                    job.status = "queued"
                    job.event, job.node = None, ""
                    heapq.heappush(self.waiting, (-int(spec.get("priority", 0)), job.seq, job.key))
            else:
                job.status = reply["status"]
                job.message = reply.get("message", "cancelled" if job.status == "canceled" else "")
                if job.status == "done":
                    job.result = {"output": reply["output"], "files": reply["files"]}
            if job.status != "queued":
                job.spec = {}  # the request's bytes are no longer needed
            self.lock.notify_all()


def get_or_create_farm() -> Any:
    """The cluster's farm actor, started (detached, on the head node) if it is not there."""
    try:
        return ray.get_actor(FARM_ACTOR, namespace=NAMESPACE)
    except ValueError:
        pass
    return Farm.options(
        **on_head(
            name=FARM_ACTOR,
            namespace=NAMESPACE,
            lifetime="detached",
            get_if_exists=True,
            num_cpus=0,
        )
    ).remote()
