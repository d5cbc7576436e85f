"""No acknowledged edit is lost, or hidden, when the app and CLI processes share a project.

The app keeps one ProjectService open for hours and opens the project a second time in the
same process (File > Export, Save As); CLI commands open and close it from other processes.
A plain ``open()``/``close()`` of project.db in the app process used to drop the app's SQLite
locks, so the next CLI process to close believed it was the last user, checkpointed and
deleted the WAL under the app: from then on the two sides wrote to different files.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from previz.services.project import ProjectService

REPO = Path(__file__).resolve().parents[2]


def previz(*args: object, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "previz", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=timeout,
    )


def cli_prompts(folder: Path) -> list[str]:
    r = previz("shot", "list", folder, "--json")
    assert r.returncode == 0, r.stderr
    return [s["prompt"] for s in json.loads(r.stdout)]


def test_a_second_open_in_the_app_process_loses_no_edit_of_either_side(tmp_path: Path) -> None:
    folder = tmp_path / "Shared.previz"
    ProjectService.create(folder).close()
    wal = Path(f"{folder / 'project.db'}-wal")
    app = ProjectService.open(folder)  # the app: open for the whole session
    try:
        app.add_shot(prompt="app 0")
        acked = ["app 0"]
        ProjectService.open(folder).close()  # e.g. File > Export opens it again and closes
        for i in range(3):
            assert previz("info", folder).returncode == 0
            assert wal.exists(), "a CLI process deleted the WAL the app is still writing to"
            app.add_shot(prompt=f"app {i + 1}")
            acked.append(f"app {i + 1}")
            assert f"app {i + 1}" in cli_prompts(folder), "the CLI does not see the app's edit"
            r = previz("shot", "add", folder, "--prompt", f"cli {i}")
            assert r.returncode == 0, r.stderr
            acked.append(f"cli {i}")
            assert f"cli {i}" in [s.prompt for s in app.shots()], "the app misses a CLI edit"
    finally:
        app.close()
    final = cli_prompts(folder)
    assert [p for p in acked if p not in final] == []
    assert sorted(final) == sorted(acked)


CLI_WORKER = r"""
import sys
from previz.cli.main import run
folder, tag, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
for i in range(n):
    # each run() opens and closes the project, exactly as one `previz shot add` does
    code = run(["shot", "add", folder, "--prompt", f"{tag} {i}"])
    if code != 0:
        sys.exit(code)
    if i % 5 == 0:
        run(["info", folder])
    print(f"ACK {tag} {i}", file=sys.stderr, flush=True)  # only after the command returned
"""


def test_app_and_two_cli_processes_editing_at_once_lose_and_hide_nothing(
    tmp_path: Path,
) -> None:
    n = 25
    folder = tmp_path / "Busy.previz"
    ProjectService.create(folder).close()
    app = ProjectService.open(folder)
    acked: list[str] = []
    try:
        ProjectService.open(folder).close()  # the second open that used to drop the locks
        workers = [
            subprocess.Popen(
                [sys.executable, "-c", CLI_WORKER, str(folder), tag, str(n)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                cwd=REPO,
                env={**os.environ, "PREVIZ_BUSY_TIMEOUT_MS": "60000"},
            )
            for tag in ("cli-a", "cli-b")
        ]
        for i in range(n):
            shot = app.add_shot(prompt=f"app {i}")
            app.edit_shot(shot.id, notes=f"note {i}")
            acked.append(f"app {i}")
            if i % 8 == 0:  # the app exports now and then: another open and close
                ProjectService.open(folder).close()
        for w in workers:
            _out, err = w.communicate(timeout=300)
            assert w.returncode == 0, err
            acked.extend(ln[4:] for ln in err.splitlines() if ln.startswith("ACK "))
        assert len(acked) == 3 * n
        seen_by_app = {s.prompt for s in app.shots()}
        assert [p for p in acked if p not in seen_by_app] == [], "edits the app cannot see"
        seen_by_cli = set(cli_prompts(folder))  # while the app still has it open
        assert [p for p in acked if p not in seen_by_cli] == [], "edits a new CLI cannot see"
    finally:
        app.close()
    final = cli_prompts(folder)
    assert [p for p in acked if p not in final] == [], "acknowledged edits were lost"
    assert len(final) == len(acked)
    with ProjectService.open(folder) as svc:
        notes = {s.prompt: s.notes for s in svc.shots()}
    assert all(notes[f"app {i}"] == f"note {i}" for i in range(n))


DIRECT_ACCESS = re.compile(
    r"(?<![\w.])(?:os\.|io\.)?open\([^)]*(?:db_path|project\.db|DB_NAME)"  # open(db_path)
    r"|(?:db_path|DB_NAME|project\.db)\S*\.(?:open|read_bytes|read_text|write_bytes)\("
    r"|shutil\.copy\w*\([^)]*(?:db_path|project\.db|DB_NAME)"
)


def test_nothing_in_the_product_opens_the_live_database_files_directly() -> None:
    """Only SQLite may open project.db, -wal and -shm (a grep over the product's code)."""
    offenders = []
    for root in (REPO / "previz", REPO / "engine"):
        for path in root.rglob("*.py"):
            for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                code = line.split("#", 1)[0]
                if DIRECT_ACCESS.search(code):
                    offenders.append(f"{path.relative_to(REPO)}:{lineno}: {line.strip()}")
    assert offenders == []


def test_a_priority_set_from_the_cli_reaches_the_open_app_and_survives(tmp_path: Path) -> None:
    """Shot priority (migration 0007) is edited like any field: a CLI process sets it while the
    app holds the project open; the app sees it at once, its own edit after it is kept too."""
    folder = tmp_path / "Prio.previz"
    ProjectService.create(folder).close()
    app = ProjectService.open(folder)
    try:
        shot = app.add_shot(prompt="WIDE, dusk")
        r = previz("shot", "edit", folder, shot.label, "--priority", "5")
        assert r.returncode == 0, r.stderr
        assert app.shot(shot.id).priority == 5, "the app does not see the CLI's priority"
        app.edit_shot(shot.id, prompt="WIDE, night")
    finally:
        app.close()
    r = previz("shot", "list", folder, "--json")
    assert r.returncode == 0, r.stderr
    (row,) = json.loads(r.stdout)
    assert (row["priority"], row["prompt"]) == (5, "WIDE, night")
