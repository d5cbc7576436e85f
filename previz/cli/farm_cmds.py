"""``previz farm status | use``: the studio's render farm (a Ray cluster).

- ``status [ADDRESS]``   the cluster: its nodes (CPUs, GPUs, alive), the warm engine actors and
                         the models they have loaded, and the farm's jobs by state. ADDRESS is
                         ``host:port``, ``auto`` or ``ray://host:10001`` (default: the project's
                         farm with --project, else Settings > Render farm).
- ``use ADDRESS``        make ADDRESS the default farm of new jobs: of the app (Settings > Render
                         farm), or of one project with ``--project DIR``; ``local`` clears it.

The jobs themselves are listed and cancelled with ``previz jobs list|cancel``.
"""

from __future__ import annotations

import argparse
from typing import Any

from previz.cli.output import emit_json, info, table


def register(add: Any, common: Any) -> None:
    from previz.cli.main import _Parser

    sp = add("farm", cmd_farm, "the render farm (a Ray cluster): status, default address")
    ss = sp.add_subparsers(dest="farm_cmd", required=True, metavar="ACTION", parser_class=_Parser)
    x = ss.add_parser(
        "status",
        help="the cluster's nodes, GPUs, engine actors and models loaded",
        parents=[common],
    )
    x.add_argument("address", nargs="?", help="host:port, auto or ray://host:10001")
    x.add_argument("--project", metavar="DIR", help="use this project's farm address")
    x = ss.add_parser("use", help="the default farm of new jobs (local: none)", parents=[common])
    x.add_argument("address", help="host:port, auto, ray://host:10001, or local")
    x.add_argument("--project", metavar="DIR", help="set it for this project only")


def cmd_farm(a: argparse.Namespace) -> int:
    if a.farm_cmd == "use":
        return _use(a)
    return _status(a)


def _use(a: argparse.Namespace) -> int:
    from previz.services.farm import LOCAL, parse_address, require_ray, set_project_farm

    addr = parse_address(a.address)
    if addr != LOCAL:
        require_ray()
    if a.project:
        from previz.services.project import ProjectService

        with ProjectService.open(a.project) as svc:
            set_project_farm(svc, addr)
        where = "this project's"
    else:
        from previz.services.settings import AppSettings

        s = AppSettings.load()
        s.farm_address = "" if addr == LOCAL else addr
        s.save()
        where = "the app's"
    if a.json:
        emit_json({"farm": addr, "scope": "project" if a.project else "app"})
    else:
        info(f"{where} new jobs run " + ("here" if addr == LOCAL else f"on the render farm {addr}"))
    return 0


def _status(a: argparse.Namespace) -> int:
    from previz.core.errors import UsageError
    from previz.services.farm import LOCAL, default_farm, farm_status, parse_address, require_ray

    require_ray()
    addr = parse_address(a.address) if a.address else LOCAL
    if addr == LOCAL and a.project:
        from previz.services.project import ProjectService

        with ProjectService.open(a.project) as svc:
            addr = default_farm(svc)
    if addr == LOCAL:
        from previz.services.settings import AppSettings

        addr = parse_address(AppSettings.load().farm_address)
    if addr == LOCAL:
        raise UsageError(
            "no render farm named: give its address (host:port or ray://host:10001), "
            "or set one with `previz farm use ADDRESS`"
        )
    st = farm_status(addr)
    if a.json:
        emit_json(st)
        return 0
    nodes = st["nodes"]
    alive = [n for n in nodes if n["alive"]]
    info(
        f"render farm {addr}: {len(alive)} node(s) alive, "
        f"{sum(n['gpus'] for n in alive):g} GPU(s), {sum(n['cpus'] for n in alive):g} CPU(s)"
    )
    table(
        [
            (
                n["node"][:12],
                n["address"],
                "head" if n["head"] else "worker",
                "alive" if n["alive"] else "dead",
                f"{n['cpus']:g}",
                f"{n['gpus']:g}",
            )
            for n in nodes
        ],
        ["NODE", "ADDRESS", "ROLE", "STATE", "CPUS", "GPUS"],
    )
    if st["actors"]:
        table(
            [
                (
                    x["engine"],
                    x["model"] or "-",
                    x["node"][:12] or "-",
                    f"{x['gpus']:g}",
                    x["state"],
                    x["job"] or "",
                )
                for x in st["actors"]
            ],
            ["ENGINE", "MODEL LOADED", "NODE", "GPUS", "STATE", "JOB"],
        )
    else:
        info("no engine loaded yet (engines start with the first job of their model)")
    jobs = st["jobs"]
    info("farm jobs: " + (", ".join(f"{v} {k}" for k, v in sorted(jobs.items())) or "none"))
    return 0
