"""The project folder: WAL, foreign keys, relative paths, backups, bad files, locks."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from previz.core.errors import InvalidInput, ProjectError
from previz.services.jobs import JobQueue
from previz.services.project import ProjectService
from previz.store import db
from previz.store.folder import RunnerLock, rel, resolve
from tests.helpers import fake_take


def test_database_is_wal_with_foreign_keys(project: ProjectService) -> None:
    with project.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1


def test_paths_outside_the_project_are_refused(project: ProjectService, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere.png"
    with pytest.raises(InvalidInput, match="outside the project folder"):
        rel(project.folder, outside)
    with pytest.raises(ProjectError, match="outside the project folder"):
        resolve(project.folder, "../../etc/passwd")
    with pytest.raises(ProjectError):
        resolve(project.folder, "/etc/passwd")
    assert rel(project.folder, project.folder / "media" / "a.png") == "media/a.png"


def test_a_file_that_is_not_sqlite_gives_a_clear_error_naming_the_backup(tmp_path: Path) -> None:
    folder = tmp_path / "P.previz"
    svc = ProjectService.create(folder)
    svc.add_shot(prompt="keep me")
    db.backup(svc.engine, folder)
    svc.close()
    (folder / "project.db").write_bytes(b"this is not a database at all" * 100)
    for side in ("-wal", "-shm"):
        Path(str(folder / "project.db") + side).unlink(missing_ok=True)
    with pytest.raises(ProjectError) as err:
        ProjectService.open(folder)
    msg = str(err.value)
    assert "not a valid Previz project" in msg and "backups/project-" in msg
    assert "previz restore" in msg and "\n" not in msg
    used = db.restore(folder)
    assert used.parent.name == "backups"
    with ProjectService.open(folder) as svc:
        assert [s.prompt for s in svc.shots()] == ["keep me"]
    assert list(folder.glob("project.db.damaged-*"))


def test_open_explains_a_missing_project(tmp_path: Path) -> None:
    with pytest.raises(ProjectError, match="previz new"):
        ProjectService.open(tmp_path / "Nope.previz")
    (tmp_path / "Empty").mkdir()
    with pytest.raises(ProjectError, match="not a Previz project"):
        ProjectService.open(tmp_path / "Empty")


def test_runner_lock_is_exclusive_and_freed_when_released(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    a, b = RunnerLock(tmp_path / "x"), RunnerLock(tmp_path / "x")
    assert a.acquire()
    assert not b.acquire()
    a.release()
    assert b.acquire()
    b.release()


def test_running_job_of_a_dead_runner_becomes_interrupted(project: ProjectService) -> None:
    q = JobQueue(project)
    job = q.enqueue("generate", {"prompt": "x"})
    assert q.claim_next().id == job.id  # "running", then the runner dies (lock never taken)
    with pytest.raises(RuntimeError):
        q.recover()  # only the lock holder may recover
    assert project.store.lock.acquire()
    assert q.recover() == [job.id]
    assert q.get(job.id).status == "interrupted"
    retried = q.retry(job.id)
    assert retried.status == "pending" and retried.payload == {"prompt": "x"}


def test_sweep_removes_only_unreferenced_files_and_spares_live_jobs(
    project: ProjectService, monkeypatch: pytest.MonkeyPatch
) -> None:
    import previz.services.jobs as jobs_mod

    monkeypatch.setattr(jobs_mod, "SWEEP_MIN_AGE_S", 0)
    shot = project.add_shot(prompt="x")
    take = fake_take(project, shot.id)
    q = JobQueue(project)
    live = q.enqueue("generate", {})
    live_dir = q.scratch_dir(live.id)
    (live_dir / "partial.mp4").write_bytes(b"123")
    dead_dir = project.folder / "media" / ".jobs" / "job-999"
    dead_dir.mkdir(parents=True)
    stray = project.folder / "media" / "takes" / "deadbeef" / "clip.mp4"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"orphan")
    with pytest.raises(RuntimeError):
        q.sweep()
    project.store.lock.acquire()
    removed = q.sweep()
    assert "media/takes/deadbeef/clip.mp4" in removed
    assert not stray.exists() and not dead_dir.exists()
    assert (live_dir / "partial.mp4").exists()
    assert resolve(project.folder, take.segments[0].path).exists()
    assert resolve(project.folder, take.thumbnail).exists()


def test_rows_whose_file_is_missing_are_reported_not_deleted(project: ProjectService) -> None:
    shot = project.add_shot(prompt="x")
    take = fake_take(project, shot.id)
    resolve(project.folder, take.segments[0].path).unlink()
    assert project.missing_media() == [take.segments[0].path]
    assert project.info()["missing_media"] == [take.segments[0].path]
    assert len(project.takes(shot.id)) == 1


def test_rolling_backup_and_integrity(project: ProjectService) -> None:
    project.add_shot(prompt="a")
    path = db.backup(project.engine, project.folder)
    assert db.integrity_ok(path)
    con = sqlite3.connect(path)
    assert con.execute("SELECT prompt FROM shots").fetchall() == [("a",)]
    con.close()
    for _ in range(db.BACKUPS_KEPT + 2):
        db.backup(project.engine, project.folder)
    assert len(db.backups(project.folder)) == db.BACKUPS_KEPT


def test_sweep_spares_a_scratch_folder_another_process_just_started(
    project: ProjectService,
) -> None:
    import os
    import time

    fresh = project.folder / "media" / ".jobs" / "import-abc"
    fresh.mkdir(parents=True)
    (fresh / "clip.mp4").write_bytes(b"being written")
    stale = project.folder / "media" / "takes" / "old" / "clip.mp4"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"orphan")
    an_hour_ago = time.time() - 3600
    os.utime(stale, (an_hour_ago, an_hour_ago))
    project.store.lock.acquire()
    removed = JobQueue(project).sweep()
    assert "media/takes/old/clip.mp4" in removed and not stale.exists()
    assert (fresh / "clip.mp4").exists()
