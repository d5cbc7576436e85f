"""Restore never loses edits, links never lead Previz outside the project, and what goes wrong
with the machine (read-only folder, full disk, a lock held by another process) or with a
crafted file is said in one line, exit 1, with nothing changed.

Commands run as users run them: ``python -m previz …`` in another process.
"""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from previz.core.errors import InvalidInput, ProjectError
from previz.services.project import ProjectService
from previz.store.folder import FIXED_SUBDIRS, RunnerLock, import_file, resolve, safe_subdir

REPO = Path(__file__).resolve().parents[2]
LINUX_ROOT = sys.platform.startswith("linux") and hasattr(os, "geteuid") and os.geteuid() == 0


def previz(*args: object, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "previz", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def one_line_error(r: subprocess.CompletedProcess[str]) -> str:
    """The CLI contract for a user-facing error: exit 1, one plain line, no traceback."""
    assert "Traceback" not in r.stderr, r.stderr
    assert r.returncode == 1, (r.returncode, r.stderr)
    err = r.stderr.strip()
    assert err.startswith("previz: ") and "\n" not in err, r.stderr
    return err


def prompts(folder: Path) -> list[str]:
    r = previz("shot", "list", folder, "--json")
    assert r.returncode == 0, r.stderr
    return [s["prompt"] for s in json.loads(r.stdout)]


@pytest.fixture
def proj(tmp_path: Path) -> Path:
    folder = tmp_path / "P.previz"
    with ProjectService.create(folder) as svc:
        svc.add_shot(prompt="keep me")
    ProjectService.open(folder).close()  # opening takes the first rolling backup
    return folder


HOLDER = r"""
import sys
from previz.services.project import ProjectService
svc = ProjectService.open(sys.argv[1])
for p in sys.argv[2:]:
    svc.add_shot(prompt=p)
print("ready", flush=True)
for line in sys.stdin:  # one edit per line, acknowledged once committed
    svc.add_shot(prompt=line.strip())
    print("ok", flush=True)
svc.close()
"""


def start_holder(folder: Path, *prompts_: str) -> subprocess.Popen[str]:
    """The app: another process that keeps the project open and edits it."""
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(folder), *prompts_],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
    )
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


def holder_edit(proc: subprocess.Popen[str], prompt: str) -> None:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(prompt + "\n")
    proc.stdin.flush()
    assert proc.stdout.readline().strip() == "ok"


def stop_holder(proc: subprocess.Popen[str]) -> None:
    assert proc.stdin is not None
    proc.stdin.close()
    assert proc.wait(timeout=60) == 0


# --- restore -----------------------------------------------------------------------------------


def test_restore_while_the_app_has_the_project_open_loses_no_edit(proj: Path) -> None:
    app = start_holder(proj, "app 1", "app 2")
    try:
        for force in ((), ("--force",)):
            err = one_line_error(previz("restore", proj, *force))
            assert "is open in another" in err and "Nothing was changed" in err
        holder_edit(app, "app 3")  # the app goes on saving into the same file
    finally:
        stop_holder(app)
    assert prompts(proj) == ["keep me", "app 1", "app 2", "app 3"]
    assert not list(proj.glob("project.db.damaged-*"))


def test_restore_refuses_a_healthy_project_unless_forced(proj: Path) -> None:
    assert previz("shot", "add", proj, "--prompt", "newer than the backup").returncode == 0
    err = one_line_error(previz("restore", proj))
    assert "not damaged" in err and "--force" in err
    assert prompts(proj) == ["keep me", "newer than the backup"]
    r = previz("restore", proj, "--force", "--json")
    assert r.returncode == 0, r.stderr
    assert prompts(proj) == ["keep me"]
    kept = list(proj.glob("project.db.damaged-*"))
    assert len(kept) == 1  # the replaced file is kept, and opens with the newer edit
    con = sqlite3.connect(kept[0])
    assert ("newer than the backup",) in con.execute("SELECT prompt FROM shots").fetchall()
    con.close()


def test_restore_does_not_follow_a_linked_backups_folder(proj: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    (proj / "backups").rename(outside)
    (proj / "backups").symlink_to(outside, target_is_directory=True)
    (proj / "project.db").write_bytes(b"damaged" * 1000)
    before = sorted(p.name for p in outside.iterdir())
    err = one_line_error(previz("restore", proj))
    assert "backups is a link" in err
    assert (proj / "project.db").read_bytes() == b"damaged" * 1000
    assert sorted(p.name for p in outside.iterdir()) == before


# --- links inside the project ------------------------------------------------------------------


@pytest.mark.parametrize("sub", FIXED_SUBDIRS[1:])  # media itself: see the nested cases
def test_a_linked_fixed_subfolder_is_refused_and_nothing_outside_changes(
    proj: Path, tmp_path: Path, sub: str
) -> None:
    outside = tmp_path / "victim"
    outside.mkdir()
    old = time.time() - 3600
    for i in range(8):  # would be pruned as old backups, or swept as stray scratch files
        f = outside / f"project-2000010{i}-000000-000000.db"
        f.write_bytes(b"precious")
        os.utime(f, (old, old))
    target = proj / sub
    if target.is_dir():
        target.rename(tmp_path / "moved-away")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.symlink_to(outside, target_is_directory=True)
    for cmd in (("info", proj), ("shot", "add", proj, "--prompt", "x"), ("purge", proj)):
        err = one_line_error(previz(*cmd))
        assert f"{sub} is a link" in err and "replace the link with a real folder" in err
    assert len(list(outside.iterdir())) == 8
    assert (proj / sub).is_symlink()


def test_safe_subdir_refuses_links_at_any_depth_and_makes_missing_folders(tmp_path: Path) -> None:
    folder = tmp_path / "F"
    folder.mkdir()
    made = safe_subdir(folder, "media/imports")
    assert made == folder / "media" / "imports" and made.is_dir()
    (tmp_path / "out").mkdir()
    (folder / "backups").symlink_to(tmp_path / "out")
    with pytest.raises(ProjectError, match="backups is a link"):
        safe_subdir(folder, "backups")
    (folder / "media" / "takes").write_text("not a folder")
    with pytest.raises(ProjectError, match="a file where Previz keeps a folder"):
        safe_subdir(folder, "media/takes/abc")
    os.replace(folder / "media", tmp_path / "m")
    (folder / "media").symlink_to(tmp_path / "m")
    with pytest.raises(ProjectError, match="media is a link"):
        safe_subdir(folder, "media/.jobs", create=False)


def test_the_runner_lock_is_never_taken_through_a_link(proj: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim.txt"
    victim.write_text("keep")
    (proj / ".runner.lock").unlink(missing_ok=True)
    (proj / ".runner.lock").symlink_to(victim)
    with pytest.raises(ProjectError, match="is a link"):
        RunnerLock(proj).acquire()
    assert victim.read_text() == "keep"


def test_the_live_database_files_are_never_media(proj: Path) -> None:
    with pytest.raises(ProjectError, match="database"):
        resolve(proj, "project.db-wal")
    with pytest.raises(InvalidInput, match="project database"):
        import_file(proj, proj / "project.db")


# --- the machine: read-only, disk full, a lock held by someone else -------------------------


@pytest.fixture
def mount_tmpfs(tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    """A small file system of our own (root on Linux only); skipped where it cannot be had."""
    mounted: list[Path] = []

    def mount(size: str) -> Path:
        if not LINUX_ROOT:
            pytest.skip("needs root on Linux to mount a tmpfs")
        mnt = tmp_path / f"mnt{len(mounted)}"
        mnt.mkdir()
        r = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(mnt)],
            capture_output=True,
        )
        if r.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here: {r.stderr.decode().strip()}")
        mounted.append(mnt)
        return mnt

    yield mount
    for mnt in mounted:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def remount(mnt: Path, mode: str) -> None:
    r = subprocess.run(["mount", "-o", f"remount,{mode}", str(mnt)], capture_output=True)
    if r.returncode != 0:
        pytest.skip(f"cannot remount {mode}: {r.stderr.decode().strip()}")


CRASH = r"""
import os, sys
from previz.services.project import ProjectService
svc = ProjectService.open(sys.argv[1])
svc.add_shot(prompt="unsaved by a clean close")
os._exit(0)  # like an app that died: project.db-wal and -shm stay
"""


def test_a_read_only_project_says_so_and_still_shows_its_contents(mount_tmpfs) -> None:  # type: ignore[no-untyped-def]
    mnt = mount_tmpfs("8m")
    open_one, closed_one = mnt / "Open.previz", mnt / "Closed.previz"
    for folder in (open_one, closed_one):
        with ProjectService.create(folder) as svc:
            svc.add_shot(prompt="keep me")
    subprocess.run([sys.executable, "-c", CRASH, str(open_one)], cwd=REPO, check=True)
    assert Path(f"{open_one / 'project.db'}-shm").exists()
    old = time.time() - 3600
    for b in (open_one / "backups").glob("*.db"):
        os.utime(b, (old, old))  # a rolling backup is due at the next open
    remount(mnt, "ro")
    # with -wal/-shm present SQLite can read: info works even though the backup is due
    r = previz("info", open_one)
    assert r.returncode == 0 and "Traceback" not in r.stderr, r.stderr
    assert prompts(open_one) == ["keep me", "unsaved by a clean close"]
    for cmd in (("shot", "add", open_one, "--prompt", "x"), ("undo", open_one)):
        assert "is read-only" in one_line_error(previz(*cmd))
    # closed cleanly, SQLite cannot open it read-only at all: say so, not "damaged"
    for cmd in (("info", closed_one), ("shot", "add", closed_one, "--prompt", "x")):
        err = one_line_error(previz(*cmd))
        assert "is read-only" in err and "restore" not in err
    remount(mnt, "rw")
    assert prompts(open_one) == ["keep me", "unsaved by a clean close"]
    assert prompts(closed_one) == ["keep me"]


def fill(mnt: Path) -> None:
    chunk = b"\0" * 65536
    with open(mnt / "filler", "wb") as fh:
        try:
            while True:
                fh.write(chunk)
                fh.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC


def test_a_full_disk_says_so_and_loses_nothing(mount_tmpfs, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    mnt = mount_tmpfs("4m")
    folder = mnt / "Full.previz"
    with ProjectService.create(folder) as svc:
        svc.add_shot(prompt="keep me")
    script = tmp_path / "scene.fountain"
    script.write_text("INT. HOUSE - DAY\n\n" + "She waits by the window. " * 200 + "\n")
    big = "x" * 9000
    app = start_holder(folder)  # the app has it open: -wal and -shm exist
    try:
        fill(mnt)
        for cmd in (
            ("shot", "add", folder, "--prompt", big),
            ("shot", "edit", folder, "0010", "--notes", big),
            ("element", "add", folder, "Alice", "--description", big[:2000]),
            ("import-script", folder, script),
        ):
            err = one_line_error(previz(*cmd))
            assert "is full" in err and "restore" not in err
        (mnt / "filler").unlink()
        holder_edit(app, "after freeing space")
    finally:
        stop_holder(app)
    fill(mnt)  # and when nothing holds it open, opening needs the disk too
    assert "is full" in one_line_error(previz("shot", "add", folder, "--prompt", "y"))
    (mnt / "filler").unlink()
    assert prompts(folder) == ["keep me", "after freeing space"]
    con = sqlite3.connect(folder / "project.db")
    assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    con.close()


def test_a_full_database_is_a_project_error_with_nothing_changed(proj: Path) -> None:
    """The same translation without root: SQLite's max_page_count forces SQLITE_FULL."""
    from sqlalchemy import event

    with ProjectService.open(proj) as svc:
        pages = svc.engine.raw_connection()
        try:
            count = pages.driver_connection.execute("PRAGMA page_count").fetchone()[0]
        finally:
            pages.close()
        svc.engine.dispose()

        @event.listens_for(svc.engine, "connect")
        def _cap(dbapi_conn, _rec) -> None:  # type: ignore[no-untyped-def]
            dbapi_conn.execute(f"PRAGMA max_page_count={count}")

        with pytest.raises(ProjectError, match="is full"):
            svc.add_shot(prompt="x" * 9000)
        assert [s.prompt for s in svc.shots()] == ["keep me"]


LOCKER = r"""
import sqlite3, sys
con = sqlite3.connect(sys.argv[1], isolation_level=None)
con.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.read()  # until the test closes our stdin
con.execute("ROLLBACK")
"""


def test_a_write_lock_held_by_another_process_is_named_not_a_traceback(proj: Path) -> None:
    locker = subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(proj / "project.db")],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert locker.stdout is not None and locker.stdout.readline().strip() == "locked"
        r = previz("shot", "add", proj, "--prompt", "waits", env={"PREVIZ_BUSY_TIMEOUT_MS": "300"})
        err = one_line_error(r)
        assert "has held a write lock" in err and "0.3 s" in err and "retry" in err
        if sys.platform.startswith("linux"):
            assert f"pid {locker.pid}" in err
    finally:
        assert locker.stdin is not None
        locker.stdin.close()
        locker.wait(timeout=30)
    assert previz("shot", "add", proj, "--prompt", "now it goes").returncode == 0
    assert prompts(proj) == ["keep me", "now it goes"]


# --- crafted or damaged files --------------------------------------------------------------------


def _sql(folder: Path, *statements: str) -> None:
    con = sqlite3.connect(folder / "project.db")
    for s in statements:
        con.execute(s)
    con.commit()
    con.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    con.close()


def _snapshot(folder: Path) -> bytes:
    return (folder / "project.db").read_bytes()  # only ever with no connection open


def test_a_missing_schema_version_is_refused_before_any_migration(proj: Path) -> None:
    _sql(proj, "DELETE FROM alembic_version")
    before = _snapshot(proj)
    err = one_line_error(previz("info", proj))
    assert "schema version record is missing" in err and "previz restore" in err
    assert _snapshot(proj) == before


def test_an_empty_project_db_is_refused_before_anything_is_written(proj: Path) -> None:
    for side in ("project.db-wal", "project.db-shm"):
        (proj / side).unlink(missing_ok=True)
    (proj / "project.db").write_bytes(b"")
    err = one_line_error(previz("info", proj))
    assert "the file is empty" in err and "previz restore" in err
    assert (proj / "project.db").stat().st_size == 0
    assert previz("restore", proj).returncode == 0  # what the message says to do works
    assert prompts(proj) == ["keep me"]


def test_a_zero_frame_rate_is_refused_in_one_line(proj: Path) -> None:
    _sql(proj, "UPDATE sequences SET fps_num = 0")
    err = one_line_error(previz("info", proj))
    assert "frame rate 0/1" in err


@pytest.mark.parametrize(
    "changes",
    [
        "not json {",
        '[["no_such_table", 1, null, {"id": 1}]]',
        '[["shots", 1, null, {"no_such_column": 1}]]',
    ],
)
def test_a_damaged_undo_entry_is_refused_and_nothing_changes(proj: Path, changes: str) -> None:
    assert previz("shot", "add", proj, "--prompt", "second").returncode == 0
    _sql(
        proj, f"UPDATE undo_log SET changes = '{changes}' WHERE id = (SELECT max(id) FROM undo_log)"
    )
    err = one_line_error(previz("undo", proj))
    assert "undo history entry" in err and "damaged" in err and "cannot be undone" in err
    _sql(proj, "UPDATE undo_log SET undone = 1 WHERE id = (SELECT max(id) FROM undo_log)")
    err = one_line_error(previz("redo", proj))
    assert "damaged" in err and "cannot be redone" in err
    assert prompts(proj) == ["keep me", "second"]
