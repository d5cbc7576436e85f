"""Scale: a project with 2,000 shots and 20,000 takes.

Measures (median of several runs, in this one process, side by side with a baseline):
  * open the project and load everything the timeline needs (sequences + every shot's row with
    take count, selected take, thumbnail and status) — target < 0.5 s on a 2-core machine;
  * the CLI `previz shot list DIR --json` as a fresh process — target < 1 s;
  * baseline: the raw sqlite3 module reading the same shot rows (the floor for any ORM layer),
    and `python -c pass` for the process start-up floor.

Run: .venv/bin/python benchmarks/store_scale.py
"""

from __future__ import annotations

import json
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import insert

from previz.services.project import ProjectService
from previz.store import db, schema

N_SHOTS = 2000
TAKES_PER_SHOT = 10


def build(folder: Path) -> None:
    svc = ProjectService.create(folder, fps="24", size="1280x720")
    rng = random.Random(7)
    now = db.utcnow()
    with db.write(svc.engine) as conn:
        shots = [
            dict(
                id=i + 1,
                sequence_id=1,
                position=i,
                code=f"{(i + 1) * 10:04d}",
                scene="1",
                prompt=f"WIDE, dusk, a woman in a red coat walks along the pier {i} " * 2,
                duration_frames=rng.randint(24, 240),
                created_at=now,
                next_take_number=TAKES_PER_SHOT + 1,
            )
            for i in range(N_SHOTS)
        ]
        conn.execute(insert(schema.shots), shots)
        takes, segs = [], []
        tid = 0
        for s in range(1, N_SHOTS + 1):
            for n in range(1, TAKES_PER_SHOT + 1):
                tid += 1
                takes.append(
                    dict(
                        id=tid,
                        uid=f"{tid:032x}",
                        shot_id=s,
                        number=n,
                        operation="generate",
                        engine="animatic",
                        prompt="p",
                        expanded_prompt="p",
                        seed=n,
                        width=1280,
                        height=720,
                        fps_num=24,
                        fps_den=1,
                        frame_count=120,
                        recipe=json.dumps({"engine": "animatic", "seed": n, "steps": 1}),
                        thumbnail=f"media/takes/{tid:032x}/thumb.jpg",
                        created_at=now,
                    )
                )
                segs.append(
                    dict(
                        take_id=tid,
                        ordinal=0,
                        path=f"media/takes/{tid:032x}/clip.mp4",
                        start=0,
                        end=120,
                        sha256="0" * 64,
                    )
                )
        conn.execute(insert(schema.takes), takes)
        conn.execute(insert(schema.segments), segs)
        conn.execute(
            schema.shots.update().values(selected_take_id=schema.shots.c.id * TAKES_PER_SHOT)
        )
    svc.close()


def timed(fn, repeat: int = 7) -> float:
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return statistics.median(samples)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "Scale.previz"
        t = time.perf_counter()
        build(folder)
        print(
            f"built {N_SHOTS} shots / {N_SHOTS * TAKES_PER_SHOT} takes in "
            f"{time.perf_counter() - t:.1f}s"
        )

        def open_and_load() -> None:
            with ProjectService.open(folder) as svc:
                svc.sequences()
                shots = svc.shots()
                assert len(shots) == N_SHOTS and shots[0].take_count == TAKES_PER_SHOT

        def raw_rows() -> None:
            con = sqlite3.connect(folder / "project.db")
            rows = con.execute("SELECT * FROM shots WHERE deleted_at IS NULL ORDER BY position")
            assert len(rows.fetchall()) == N_SHOTS
            con.close()

        ours = timed(open_and_load)
        base = timed(raw_rows)
        print(
            f"open + timeline load: {ours * 1000:.0f} ms  (target < 500 ms); "
            f"raw sqlite3 read of the shot rows: {base * 1000:.1f} ms; ratio {ours / base:.1f}x"
        )

        with ProjectService.open(folder) as svc:
            last = svc.shots()[-1].id
            one = timed(lambda: svc.shot(last), 21)
            whole = timed(svc.shots, 7)
        print(f"one shot with its index (what the app reads after each edit): {one * 1000:.1f} ms; "
              f"the whole timeline: {whole * 1000:.1f} ms; ratio {whole / one:.0f}x")

        def cli() -> None:
            out = subprocess.run(
                [sys.executable, "-m", "previz", "shot", "list", str(folder), "--json"],
                capture_output=True,
                check=True,
            ).stdout
            assert len(json.loads(out)) == N_SHOTS

        def py_start() -> None:
            subprocess.run([sys.executable, "-c", "pass"], check=True)

        c = timed(cli, 5)
        p = timed(py_start, 5)
        print(
            f"`previz shot list --json`: {c * 1000:.0f} ms  (target < 1000 ms); "
            f"bare `python -c pass`: {p * 1000:.0f} ms; ratio {c / p:.1f}x"
        )


if __name__ == "__main__":
    main()
