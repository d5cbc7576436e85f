"""A project survives SIGKILL mid-commit, and two processes can edit it at once."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from previz.services.project import ProjectService

REPO = Path(__file__).resolve().parents[2]

WRITER = r"""
import sys
from previz.services.project import ProjectService
svc = ProjectService.open(sys.argv[1])
i = 0
while True:
    i += 1
    s = svc.add_shot(prompt=f"shot {i} " + "x" * 500, duration_frames=24 + i % 50)
    svc.edit_shot(s.id, notes=f"note {i}")
    print(f"{s.id} {i}", flush=True)  # reported only after both commits returned
"""


@pytest.mark.skipif(sys.platform.startswith("win"), reason="SIGKILL is POSIX")
def test_sigkill_while_committing_loses_nothing_reported(tmp_path: Path) -> None:
    folder = tmp_path / "Crash.previz"
    ProjectService.create(folder).close()
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(folder)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    reported: list[tuple[int, int]] = []
    deadline = time.monotonic() + 60
    assert proc.stdout is not None
    while len(reported) < 60 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        sid, i = line.split()
        reported.append((int(sid), int(i)))
    os.kill(proc.pid, signal.SIGKILL)  # mid-loop: likely inside a transaction
    proc.wait(timeout=30)
    assert len(reported) >= 20, "the writer never got going"

    con = sqlite3.connect(folder / "project.db")
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    rows = dict(con.execute("SELECT id, notes FROM shots").fetchall())
    con.close()
    for sid, i in reported:
        assert rows.get(sid) == f"note {i}", f"committed edit {i} is missing"
    with ProjectService.open(folder) as svc:
        shots = svc.shots()
        assert len(shots) >= len(reported)
        assert len({s.code for s in shots}) == len(shots)


ADDER = r"""
import sys
from previz.services.project import ProjectService
svc = ProjectService.open(sys.argv[1])
for i in range(int(sys.argv[2])):
    svc.add_shot(prompt=f"added {i}")
print("ok")
"""

EDITOR = r"""
import sys
from previz.services.project import ProjectService
svc = ProjectService.open(sys.argv[1])
n = int(sys.argv[2])
for i in range(n):
    shots = svc.shots()
    s = shots[i % len(shots)]
    svc.edit_shot(s.id, notes=f"edited {i}")
print("ok")
"""


def test_two_processes_editing_at_once_both_finish_with_every_edit(tmp_path: Path) -> None:
    folder = tmp_path / "Two.previz"
    with ProjectService.create(folder) as svc:
        for i in range(5):
            svc.add_shot(prompt=f"seed {i}")
    n = 80
    a = subprocess.Popen(
        [sys.executable, "-c", ADDER, str(folder), str(n)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    b = subprocess.Popen(
        [sys.executable, "-c", EDITOR, str(folder), str(n)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out_a, err_a = a.communicate(timeout=240)
    out_b, err_b = b.communicate(timeout=240)
    assert a.returncode == 0 and "ok" in out_a, err_a
    assert b.returncode == 0 and "ok" in out_b, err_b
    assert "locked" not in err_a + err_b
    with ProjectService.open(folder) as svc:
        shots = svc.shots()
        assert len(shots) == 5 + n
        assert sorted(s.prompt for s in shots if s.prompt.startswith("added")) == sorted(
            f"added {i}" for i in range(n)
        )
        assert len({s.code for s in shots}) == len(shots)
        notes = {s.notes for s in shots}
        # the editor's last edit to each shot it touched is there
        assert f"edited {n - 1}" in notes
    con = sqlite3.connect(folder / "project.db")
    assert con.execute("SELECT count(*) FROM undo_log").fetchone()[0] == 5 + 2 * n
    con.close()
