"""The render-farm client: Previz jobs on a studio's Ray cluster (``pip install
'previz-studio[farm]'``).

A job whose ``runs_on`` names a farm address (``host:port``, ``auto`` or a Ray Client address
``ray://host:10001``) is sent there by the runner that holds the project's runner lock; that
runner alone follows it and writes the project (see `previz.services.runner`). The cluster side
lives in `engine.farm`. Jobs are keyed ``<project uid>/<job id>`` so several projects share a
cluster and each collects only its own results.

Where a job runs: ``--farm ADDRESS`` on the command, else the project's ``farm`` setting
(`set_project_farm`), else the app's default farm (Settings > Render farm), else locally;
``--farm local`` runs it here whatever the settings say.
"""

from __future__ import annotations

import json
import logging
import os
import re
import threading
import time
from typing import Any

from previz.core.errors import InvalidInput, UsageError

log = logging.getLogger(__name__)

LOCAL = "local"
CONNECT_TRIES = 3  # connection attempts to a Ray Client address
INSTALL_HINT = "the render farm needs Ray: pip install 'previz-studio[farm]'"
_HOST_PORT = re.compile(r"^(ray://)?(\[[0-9a-fA-F:]+\]|[A-Za-z0-9_.-]+):(\d{1,5})$")


def parse_address(text: str | None) -> str:
    """A farm address as stored on a job: ``local``, ``auto``, ``host:port`` or
    ``ray://host:port``; anything else is refused with one line saying what to give."""
    t = (text or "").strip()
    if t in ("", LOCAL):
        return LOCAL
    if t == "auto":
        return t
    m = _HOST_PORT.match(t)
    if m is None or not 0 < int(m.group(3)) < 65536:
        raise InvalidInput(
            f"farm address {t!r}: give host:port (the cluster's head, e.g. 10.0.0.5:6379), "
            "ray://host:10001 (a Ray Client server), auto, or local"
        )
    return t


def is_farm(runs_on: str | None) -> bool:
    return bool(runs_on) and runs_on != LOCAL


def require_ray() -> Any:
    """Import ray, or say in one line how to install it."""
    try:
        import ray
    except ImportError:
        raise UsageError(INSTALL_HINT) from None
    return ray


def project_farm(svc: Any) -> str:
    """The project's default farm (``local`` when none)."""
    try:
        return parse_address(str(svc.settings().get("farm") or ""))
    except InvalidInput:
        return LOCAL


def set_project_farm(svc: Any, address: str) -> str:
    """Set (``local``: clear) the project's default farm; returns it as stored."""
    from sqlalchemy import update

    from previz.store import db, schema

    addr = parse_address(address)
    settings = dict(svc.settings())
    if addr == LOCAL:
        settings.pop("farm", None)
    else:
        settings["farm"] = addr
    with db.write(svc.engine) as conn:
        conn.execute(update(schema.project).values(settings=json.dumps(settings)))
    return addr


def default_farm(svc: Any) -> str:
    """Where a job runs when its command names no farm: the project's farm, else the app's."""
    addr = project_farm(svc)
    if addr == LOCAL:
        from previz.services.settings import AppSettings

        try:
            addr = parse_address(AppSettings.load().farm_address)
        except InvalidInput:
            addr = LOCAL
    return addr


def resolve_farm(svc: Any, given: str | None) -> str:
    """Where new jobs run: ``given`` (``--farm``), else the project's, else the app's setting.
    Says how to install Ray when the answer is a farm and Ray is missing."""
    addr = parse_address(given) if given else default_farm(svc)
    if is_farm(addr):
        require_ray()
    return addr


def job_key(project_uid: str, job_id: int) -> str:
    return f"{project_uid}/{job_id}"


# --- the connection (one cluster per process, as Ray allows) ---------------------------------

_conn_lock = threading.Lock()
_connected: str | None = None


def connect(address: str) -> Any:
    """Connect this process to the cluster at ``address`` (once); returns the farm actor."""
    global _connected
    ray = require_ray()
    with _conn_lock:
        if _connected != address or not ray.is_initialized():
            if ray.is_initialized():
                ray.shutdown()
            os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
            tries = CONNECT_TRIES if address.startswith("ray://") else 1
            for attempt in range(1, tries + 1):
                try:
                    ray.init(
                        address=address,
                        namespace="previz",
                        logging_level=logging.WARNING,
                        log_to_driver=False,
                        configure_logging=False,
                    )
                    break
                except Exception as exc:  # noqa: BLE001 - said in one line
                    # a Ray Client server sometimes fails to start the session of a client
                    # on a busy head ("Initialization failure from server"): try again
                    if attempt == tries:
                        raise FarmUnreachable(
                            f"cannot reach the render farm at {address}: {_first_line(exc)}"
                        ) from exc
                    log.warning("render farm %s: %s; trying again", address, _first_line(exc))
                    time.sleep(1.0)
            _connected = address
        from engine.farm.cluster import get_or_create_farm

        return get_or_create_farm()


def disconnect() -> None:
    global _connected
    with _conn_lock:
        if _connected is not None:
            import ray

            ray.shutdown()
            _connected = None


class FarmUnreachable(InvalidInput):
    """The cluster cannot be reached (its jobs stay as they are; the runner tries again)."""


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


class FarmClient:
    """The calls the runner makes to one cluster's farm actor."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.farm = connect(address)

    def _get(self, ref: Any, timeout: float = 60.0) -> Any:
        import ray

        return ray.get(ref, timeout=timeout)

    def submit(self, key: str, request: Any, engine: str, model: str, **extra: Any) -> str:
        from engine.farm.cluster import num_gpus_for
        from engine.farm.pack import pack_request

        packed, files = pack_request(request)
        spec = {
            "engine": engine,
            "model": model or "",
            "num_gpus": num_gpus_for(engine, model or ""),
            "request": packed,
            "files": files,
            **extra,
        }
        return str(self._get(self.farm.submit.remote(key, spec)))

    def poll(self, keys: list[str], since: dict[str, int] | None = None) -> dict[str, Any]:
        return dict(self._get(self.farm.poll.remote(keys, since or {})))

    def cancel(self, key: str) -> str | None:
        return self._get(self.farm.cancel.remote(key))  # type: ignore[no-any-return]

    def result(self, key: str) -> Any:
        return self._get(self.farm.result.remote(key), timeout=600.0)

    def forget(self, key: str) -> None:
        self._get(self.farm.forget.remote(key))

    def keys(self, prefix: str) -> list[str]:
        """The keys of the farm's jobs that start with ``prefix``."""
        return list(self._get(self.farm.keys.remote(prefix)))

    def status(self) -> dict[str, Any]:
        return dict(self._get(self.farm.status.remote()))


def farm_status(address: str) -> dict[str, Any]:
    """``previz farm status``: the cluster's nodes, GPUs, engine actors (models loaded), jobs."""
    client = FarmClient(parse_address(address) if address != "auto" else address)
    out = client.status()
    out["address"] = address
    return out


def debug_faults() -> dict[str, Any] | None:
    """Test hook: faults for farm jobs (``PREVIZ_FARM_DEBUG``, JSON; see engine.job.FAULTS)."""
    raw = os.environ.get("PREVIZ_FARM_DEBUG")
    return json.loads(raw) if raw else None
