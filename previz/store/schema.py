"""The project database schema at the newest revision (SQLAlchemy Core tables).

The tables are created and changed only by the Alembic migrations in ``migrations/``; this
module describes the head revision for queries, and a test checks the two agree.

Conventions: times are ISO-8601 UTC text; frame rates are two integers (num, den); paths are
relative to the project folder; rows a user deletes are soft-deleted (``deleted_at``) so undo
restores them with their takes intact.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

SCHEMA_HEAD = "0007"

metadata = MetaData()

project = Table(
    "project",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("uid", String(36), nullable=False),
    Column("name", String(200), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("app_version", String(32), nullable=False),
    Column("settings", Text, nullable=False, server_default="{}"),  # JSON
)

sequences = Table(
    "sequences",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("position", Integer, nullable=False),
    Column("scene", String(32), nullable=False, server_default=""),
    Column("fps_num", Integer, nullable=False),
    Column("fps_den", Integer, nullable=False),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("aspect", String(16), nullable=False, server_default="16:9"),
    Column("drop_frame", Boolean, nullable=False, server_default="0"),
    Column("created_at", String(32), nullable=False),
    Column("deleted_at", String(32)),
    # 0002: screenplay source (heading text the import last wrote) for re-import matching.
    Column("source_key", String(64), nullable=False, server_default=""),
    Column("source_heading", Text, nullable=False, server_default=""),
    # 0003: "" while the scene is in the screenplay, "removed" once a re-import lost it.
    Column("script_status", String(16), nullable=False, server_default=""),
)

shots = Table(
    "shots",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("sequence_id", Integer, ForeignKey("sequences.id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("code", String(16), nullable=False),
    Column("scene", String(32), nullable=False, server_default=""),
    Column("prompt", Text, nullable=False, server_default=""),
    Column("negative_prompt", Text, nullable=False, server_default=""),
    Column("duration_frames", Integer, nullable=False),
    Column("camera_notes", Text, nullable=False, server_default=""),
    Column("notes", Text, nullable=False, server_default=""),
    Column("dialogue", Text, nullable=False, server_default=""),
    Column("trim_in", Integer, nullable=False, server_default="0"),
    Column("trim_out", Integer),
    Column("selected_take_id", Integer, ForeignKey("takes.id", use_alter=True)),
    Column("next_take_number", Integer, nullable=False, server_default="1"),
    Column("seed", Integer),  # locked seed, or NULL for a new one each take
    Column("created_at", String(32), nullable=False),
    Column("deleted_at", String(32)),
    # 0002: the cut into this shot from the previous one, and screenplay provenance.
    Column("transition_kind", String(16), nullable=False, server_default="cut"),
    Column("transition_frames", Integer, nullable=False, server_default="0"),
    Column("source_key", String(64), nullable=False, server_default=""),
    Column("source_prompt", Text, nullable=False, server_default=""),
    # 0003: "" while the beat is in the screenplay, "removed" once a re-import lost it; the
    # duration the import estimated (NULL for a shot made by hand).
    Column("script_status", String(16), nullable=False, server_default=""),
    Column("source_frames", Integer),
    # 0004: the engine and model new takes of the shot use ("" = the app's default).
    Column("engine", String(32), nullable=False, server_default=""),
    Column("model", String(512), nullable=False, server_default=""),
    # 0005: the colour a dip_color transition into the shot goes through ("" = white).
    Column("transition_color", String(7), nullable=False, server_default=""),
    # 0007: the priority of the shot's jobs, higher first (the local queue and the farm).
    Column("priority", Integer, nullable=False, server_default="0"),
    UniqueConstraint("sequence_id", "code", name="uq_shot_code"),
)
Index("ix_shots_sequence_position", shots.c.sequence_id, shots.c.position)

takes = Table(
    "takes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("uid", String(36), nullable=False, unique=True),
    Column("shot_id", Integer, ForeignKey("shots.id"), nullable=False),
    Column("number", Integer, nullable=False),
    Column("operation", String(32), nullable=False),
    Column("engine", String(64), nullable=False),
    Column("model", String(300), nullable=False, server_default=""),
    Column("prompt", Text, nullable=False, server_default=""),
    Column("expanded_prompt", Text, nullable=False, server_default=""),
    Column("seed", Integer, nullable=False, server_default="0"),
    Column("width", Integer, nullable=False),
    Column("height", Integer, nullable=False),
    Column("fps_num", Integer, nullable=False),
    Column("fps_den", Integer, nullable=False),
    Column("frame_count", Integer, nullable=False),
    Column("recipe", Text, nullable=False, server_default="{}"),  # JSON, never changed
    Column("status", String(16), nullable=False, server_default="ready"),
    Column("rating", Integer, nullable=False, server_default="0"),
    Column("circled", Boolean, nullable=False, server_default="0"),
    Column("notes", Text, nullable=False, server_default=""),
    Column("thumbnail", String(500)),
    Column("head", Text, nullable=False, server_default="[]"),  # JSON list of PNG paths
    Column("tail", Text, nullable=False, server_default="[]"),
    Column("created_at", String(32), nullable=False),
    Column("deleted_at", String(32)),
    UniqueConstraint("shot_id", "number", name="uq_take_number"),
)
Index("ix_takes_shot", takes.c.shot_id)

take_parents = Table(
    "take_parents",
    metadata,
    Column("take_id", Integer, ForeignKey("takes.id"), primary_key=True),
    Column("parent_id", Integer, ForeignKey("takes.id"), primary_key=True),
    Column("role", String(16), nullable=False),  # source | a | b
)

segments = Table(
    "segments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("take_id", Integer, ForeignKey("takes.id"), nullable=False),
    Column("ordinal", Integer, nullable=False),
    Column("path", String(500), nullable=False),
    Column("start", Integer, nullable=False),
    Column("end", Integer, nullable=False),
    Column("sha256", String(64), nullable=False),
    UniqueConstraint("take_id", "ordinal", name="uq_segment_ordinal"),
)
Index("ix_segments_take", segments.c.take_id)

# 0006: a take's sound, the same idea as its segments: samples [start, end) at ``rate`` of
# ``path`` ("" = silence of that length); a take with no rows is silent.
audio_segments = Table(
    "audio_segments",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("take_id", Integer, ForeignKey("takes.id"), nullable=False),
    Column("ordinal", Integer, nullable=False),
    Column("path", String(500), nullable=False),
    Column("start", Integer, nullable=False),
    Column("end", Integer, nullable=False),
    Column("rate", Integer, nullable=False),
    Column("sha256", String(64), nullable=False, server_default=""),
    UniqueConstraint("take_id", "ordinal", name="uq_audio_segment_ordinal"),
)
Index("ix_audio_segments_take", audio_segments.c.take_id)

elements = Table(
    "elements",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), nullable=False),
    Column("name_key", String(64), nullable=False, unique=True),
    Column("kind", String(16), nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("image", String(500)),
    Column("created_at", String(32), nullable=False),
)

jobs = Table(
    "jobs",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("status", String(16), nullable=False),
    Column("position", Integer, nullable=False),
    Column("shot_id", Integer, ForeignKey("shots.id")),
    Column("take_id", Integer, ForeignKey("takes.id")),
    Column("payload", Text, nullable=False, server_default="{}"),
    Column("progress", Float, nullable=False, server_default="0"),
    Column("message", Text, nullable=False, server_default=""),
    Column("runner", String(64), nullable=False, server_default=""),
    Column("created_at", String(32), nullable=False),
    Column("started_at", String(32)),
    Column("finished_at", String(32)),
    # 0005: where the job runs: "local" (this machine's worker) or, later, a farm's address.
    Column("runs_on", String(200), nullable=False, server_default="local"),
)
Index("ix_jobs_status", jobs.c.status)

undo_log = Table(
    "undo_log",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("label", String(200), nullable=False),
    Column("changes", Text, nullable=False),  # JSON list of row changes
    Column("undone", Boolean, nullable=False, server_default="0"),
    Column("created_at", String(32), nullable=False),
)

JOB_STATES = ("pending", "running", "done", "failed", "canceled", "interrupted")
