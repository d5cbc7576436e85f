"""Schema changes are Alembic migrations; a project made by an older Previz opens in a newer one."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from previz.core.errors import ProjectError
from previz.services.project import ProjectService
from previz.store import db
from previz.store.schema import SCHEMA_HEAD, metadata


def test_code_head_matches_the_migration_scripts() -> None:
    assert db.script_head() == SCHEMA_HEAD == db.KNOWN_REVISIONS[-1]


def test_migrated_schema_matches_the_tables_the_code_uses(tmp_path: Path) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    svc = ProjectService.create(tmp_path / "P.previz")
    with svc.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    svc.close()
    assert diff == []


def _old_project(folder: Path, revision: str, rows_sql: str) -> None:
    """A project as schema ``revision`` wrote it, with the rows ``rows_sql`` inserts."""
    folder.mkdir()
    (folder / "media").mkdir()
    engine = db.make_engine(folder / "project.db")
    db.upgrade(engine, revision)
    con = sqlite3.connect(folder / "project.db")
    con.executescript(rows_sql)
    con.commit()
    con.close()
    engine.dispose()


def _make_first_schema_project(folder: Path) -> None:
    """A project exactly as the first schema (revision 0001) wrote it."""
    _old_project(
        folder,
        "0001",
        """
        INSERT INTO project (id, uid, name, created_at, app_version, settings)
            VALUES (1, 'u1', 'Old Film', '2026-01-01T00:00:00Z', '0.0.1', '{}');
        INSERT INTO sequences (id, name, position, scene, fps_num, fps_den, width, height,
            aspect, drop_frame, created_at) VALUES
            (1, 'Scene 1', 0, '1', 24000, 1001, 1280, 720, '16:9', 0, '2026-01-01T00:00:00Z');
        INSERT INTO shots (id, sequence_id, position, code, scene, prompt, duration_frames,
            created_at) VALUES
            (1, 1, 0, '0010', '1', 'WIDE, dusk, the pier', 120, '2026-01-01T00:00:00Z'),
            (2, 1, 1, '0020', '1', 'CU, the captain', 48, '2026-01-01T00:00:00Z');
        INSERT INTO takes (id, uid, shot_id, number, operation, engine, width, height, fps_num,
            fps_den, frame_count, created_at) VALUES
            (1, 't1', 1, 1, 'generate', 'animatic', 1280, 720, 24000, 1001, 120,
             '2026-01-01T00:00:00Z');
        INSERT INTO segments (take_id, ordinal, path, start, "end", sha256)
            VALUES (1, 0, 'media/takes/t1/clip.mp4', 0, 120, 'x');
        UPDATE shots SET selected_take_id = 1, next_take_number = 2 WHERE id = 1;
        """,
    )


def test_a_first_schema_project_upgrades_and_keeps_everything(tmp_path: Path) -> None:
    folder = tmp_path / "Old.previz"
    _make_first_schema_project(folder)
    with ProjectService.open(folder) as svc:
        info = svc.info()
        assert info["schema"] == SCHEMA_HEAD
        assert info["name"] == "Old Film"
        shots = svc.shots()
        assert [s.code for s in shots] == ["0010", "0020"]
        assert shots[0].prompt == "WIDE, dusk, the pier"
        assert shots[0].selected_take_number == 1
        assert str(svc.sequence().fps) == "24000/1001"
        # the new columns exist with their defaults, and the new features work on old shots
        svc.edit_shot(shots[0].id, transition_kind="dissolve", transition_frames=12)
        assert svc.takes("0010")[0].frame_count == 120
    # the upgrade kept a backup of the old database
    assert any("before-upgrade-0001" in p.name for p in db.backups(folder))


def test_a_project_from_a_newer_previz_is_refused_untouched(tmp_path: Path) -> None:
    svc = ProjectService.create(tmp_path / "New.previz")
    svc.close()
    dbf = tmp_path / "New.previz" / "project.db"
    con = sqlite3.connect(dbf)
    con.execute("UPDATE alembic_version SET version_num = '0999'")
    con.commit()
    con.close()
    before = dbf.read_bytes()
    with pytest.raises(ProjectError, match="newer version of Previz") as err:
        ProjectService.open(tmp_path / "New.previz")
    assert "\n" not in str(err.value)
    assert dbf.read_bytes() == before


def test_a_0002_project_upgrades_to_0003_with_script_flags_and_estimates(tmp_path: Path) -> None:
    """0003 adds shots.script_status / source_frames and sequences.script_status."""
    folder = tmp_path / "Imported.previz"
    _old_project(
        folder,
        "0002",
        """
        INSERT INTO project (id, uid, name, created_at, app_version, settings)
            VALUES (1, 'u2', 'Draft Film', '2026-02-01T00:00:00Z', '0.0.2', '{}');
        INSERT INTO sequences (id, name, position, scene, fps_num, fps_den, width, height,
            aspect, drop_frame, created_at, source_key, source_heading) VALUES
            (1, '1 EXT. PIER - NIGHT', 0, '1', 24, 1, 1280, 720, '16:9', 0,
             '2026-02-01T00:00:00Z', 'k1', 'EXT. PIER - NIGHT');
        INSERT INTO shots (id, sequence_id, position, code, scene, prompt, duration_frames,
            created_at, transition_kind, source_key, source_prompt) VALUES
            (1, 1, 0, '0010', '1', 'EXT. pier, night. Waves.', 60, '2026-02-01T00:00:00Z',
             'dissolve', 'b1', 'EXT. pier, night. Waves.');
        """,
    )
    with ProjectService.open(folder) as svc:
        assert svc.info()["schema"] == SCHEMA_HEAD
        shot = svc.shots()[0]
        assert (shot.prompt, shot.duration_frames) == ("EXT. pier, night. Waves.", 60)
        with db.read(svc.engine) as conn:
            row = conn.exec_driver_sql(
                "SELECT script_status, source_frames, source_key, transition_kind FROM shots"
            ).one()
            seq_status = conn.exec_driver_sql("SELECT script_status FROM sequences").scalar()
        # an old shot is in the script and its duration is not known to be an estimate
        assert tuple(row) == ("", None, "b1", "dissolve")
        assert seq_status == ""
    assert any("before-upgrade-0002" in p.name for p in db.backups(folder))


def test_a_0003_project_upgrades_to_0004_and_its_shots_use_the_default_engine(
    tmp_path: Path,
) -> None:
    """0004 adds shots.engine / shots.model ("" = the app's default)."""
    folder = tmp_path / "Mixed.previz"
    _old_project(
        folder,
        "0003",
        """
        INSERT INTO project (id, uid, name, created_at, app_version, settings)
            VALUES (1, 'u3', 'Mixed Film', '2026-03-01T00:00:00Z', '0.0.3', '{}');
        INSERT INTO sequences (id, name, position, scene, fps_num, fps_den, width, height,
            aspect, drop_frame, created_at) VALUES
            (1, 'Main', 0, '', 24, 1, 1280, 720, '16:9', 0, '2026-03-01T00:00:00Z');
        INSERT INTO shots (id, sequence_id, position, code, prompt, duration_frames, created_at)
            VALUES (1, 1, 0, '0010', 'WIDE, the pier', 96, '2026-03-01T00:00:00Z');
        """,
    )
    with ProjectService.open(folder) as svc:
        assert svc.info()["schema"] == SCHEMA_HEAD
        shot = svc.shots()[0]
        assert (shot.prompt, shot.engine, shot.model) == ("WIDE, the pier", "", "")
        # the new fields work on the old shot, and are one undoable edit
        hero = svc.edit_shot(shot.id, engine="diffusers", model="Lightricks/LTX-Video")
        assert (hero.engine, hero.model) == ("diffusers", "Lightricks/LTX-Video")
        svc.undo()
        assert svc.shots()[0].engine == ""
    assert any("before-upgrade-0003" in p.name for p in db.backups(folder))


def test_a_0004_project_upgrades_to_0005_its_jobs_ran_locally_and_dips_are_white(
    tmp_path: Path,
) -> None:
    """0005 adds jobs.runs_on (every job a project already had ran on the local worker) and
    shots.transition_color."""
    folder = tmp_path / "Queued.previz"
    _old_project(
        folder,
        "0004",
        """
        INSERT INTO project (id, uid, name, created_at, app_version, settings)
            VALUES (1, 'u4', 'Queued Film', '2026-04-01T00:00:00Z', '0.0.4', '{}');
        INSERT INTO sequences (id, name, position, scene, fps_num, fps_den, width, height,
            aspect, drop_frame, created_at) VALUES
            (1, 'Main', 0, '', 24, 1, 1280, 720, '16:9', 0, '2026-04-01T00:00:00Z');
        INSERT INTO shots (id, sequence_id, position, code, prompt, duration_frames, created_at)
            VALUES (1, 1, 0, '0010', 'WIDE, the pier', 96, '2026-04-01T00:00:00Z');
        INSERT INTO jobs (id, kind, status, position, shot_id, payload, created_at)
            VALUES (1, 'generate', 'done', 1, 1, '{}', '2026-04-01T00:00:00Z');
        """,
    )
    with ProjectService.open(folder) as svc:
        assert svc.info()["schema"] == SCHEMA_HEAD
        with svc.engine.connect() as conn:
            row = conn.exec_driver_sql("SELECT status, runs_on FROM jobs").one()
        assert tuple(row) == ("done", "local")
        # an old shot's dip has no colour of its own (white); a new one can be given
        shot = svc.shots()[0]
        assert shot.transition_color == ""
        svc.edit_shot(shot.id, transition_kind="dip_color", transition_color="ff8000")
        assert svc.shots()[0].transition_color == "#FF8000"
    assert any("before-upgrade-0004" in p.name for p in db.backups(folder))


def test_a_0005_project_upgrades_to_0006_keeps_everything_and_its_takes_are_silent(
    tmp_path: Path,
) -> None:
    """0006 adds audio_segments (a take's sound); every take an older Previz made is silent."""
    folder = tmp_path / "Silent.previz"
    _old_project(
        folder,
        "0005",
        """
        INSERT INTO project (id, uid, name, created_at, app_version, settings)
            VALUES (1, 'u5', 'Silent Film', '2026-05-01T00:00:00Z', '0.0.5', '{}');
        INSERT INTO sequences (id, name, position, scene, fps_num, fps_den, width, height,
            aspect, drop_frame, created_at) VALUES
            (1, 'Main', 0, '', 24, 1, 1280, 720, '16:9', 0, '2026-05-01T00:00:00Z');
        INSERT INTO shots (id, sequence_id, position, code, prompt, duration_frames, created_at,
            transition_kind, transition_frames, transition_color) VALUES
            (1, 1, 0, '0010', 'WIDE, the pier', 96, '2026-05-01T00:00:00Z',
             'dip_color', 12, '#FF8000');
        INSERT INTO takes (id, uid, shot_id, number, operation, engine, width, height, fps_num,
            fps_den, frame_count, created_at) VALUES
            (1, 't5', 1, 1, 'generate', 'animatic', 1280, 720, 24, 1, 96,
             '2026-05-01T00:00:00Z');
        INSERT INTO segments (take_id, ordinal, path, start, "end", sha256)
            VALUES (1, 0, 'media/takes/t5/clip.mp4', 0, 96, 'x');
        INSERT INTO jobs (id, kind, status, position, shot_id, payload, created_at, runs_on)
            VALUES (1, 'generate', 'done', 1, 1, '{}', '2026-05-01T00:00:00Z', 'local');
        UPDATE shots SET selected_take_id = 1, next_take_number = 2 WHERE id = 1;
        """,
    )
    with ProjectService.open(folder) as svc:
        assert svc.info()["schema"] == SCHEMA_HEAD
        shot = svc.shots()[0]
        assert (shot.prompt, shot.transition_kind, shot.transition_color) == (
            "WIDE, the pier",
            "dip_color",
            "#FF8000",
        )
        take = svc.takes("0010")[0]
        assert take.frame_count == 96
        assert [(s.path, s.start, s.end) for s in take.segments] == [
            ("media/takes/t5/clip.mp4", 0, 96)
        ]
        assert take.audio == ()  # an old take has no sound
        with svc.engine.connect() as conn:
            assert conn.exec_driver_sql("SELECT runs_on FROM jobs").scalar() == "local"
            assert conn.exec_driver_sql("SELECT count(*) FROM audio_segments").scalar() == 0
    assert any("before-upgrade-0005" in p.name for p in db.backups(folder))


def test_a_0006_project_upgrades_to_0007_and_its_shots_have_the_default_priority(
    tmp_path: Path,
) -> None:
    """0007 adds shots.priority: every shot an older Previz made has priority 0; a new one can
    be given, and the edit is undone like any other."""
    folder = tmp_path / "Ranked.previz"
    _old_project(
        folder,
        "0006",
        """
        INSERT INTO project (id, uid, name, created_at, app_version, settings)
            VALUES (1, 'u6', 'Ranked Film', '2026-06-01T00:00:00Z', '0.0.6', '{}');
        INSERT INTO sequences (id, name, position, scene, fps_num, fps_den, width, height,
            aspect, drop_frame, created_at) VALUES
            (1, 'Main', 0, '', 24, 1, 1280, 720, '16:9', 0, '2026-06-01T00:00:00Z');
        INSERT INTO shots (id, sequence_id, position, code, prompt, duration_frames, created_at)
            VALUES (1, 1, 0, '0010', 'WIDE, the pier', 96, '2026-06-01T00:00:00Z');
        """,
    )
    with ProjectService.open(folder) as svc:
        assert svc.info()["schema"] == SCHEMA_HEAD == "0007"
        shot = svc.shots()[0]
        assert (shot.prompt, shot.priority) == ("WIDE, the pier", 0)
        assert svc.edit_shot(shot.id, priority=7).priority == 7
        svc.undo()
        assert svc.shots()[0].priority == 0
    assert any("before-upgrade-0006" in p.name for p in db.backups(folder))
