"""The first project schema.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "project",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uid", sa.String(36), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("app_version", sa.String(32), nullable=False),
        sa.Column("settings", sa.Text, nullable=False, server_default="{}"),
    )
    op.create_table(
        "sequences",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("scene", sa.String(32), nullable=False, server_default=""),
        sa.Column("fps_num", sa.Integer, nullable=False),
        sa.Column("fps_den", sa.Integer, nullable=False),
        sa.Column("width", sa.Integer, nullable=False),
        sa.Column("height", sa.Integer, nullable=False),
        sa.Column("aspect", sa.String(16), nullable=False, server_default="16:9"),
        sa.Column("drop_frame", sa.Boolean, nullable=False, server_default="0"),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("deleted_at", sa.String(32)),
    )
    op.create_table(
        "shots",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("sequence_id", sa.Integer, sa.ForeignKey("sequences.id"), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("code", sa.String(16), nullable=False),
        sa.Column("scene", sa.String(32), nullable=False, server_default=""),
        sa.Column("prompt", sa.Text, nullable=False, server_default=""),
        sa.Column("negative_prompt", sa.Text, nullable=False, server_default=""),
        sa.Column("duration_frames", sa.Integer, nullable=False),
        sa.Column("camera_notes", sa.Text, nullable=False, server_default=""),
        sa.Column("notes", sa.Text, nullable=False, server_default=""),
        sa.Column("dialogue", sa.Text, nullable=False, server_default=""),
        sa.Column("trim_in", sa.Integer, nullable=False, server_default="0"),
        sa.Column("trim_out", sa.Integer),
        sa.Column("selected_take_id", sa.Integer, sa.ForeignKey("takes.id", use_alter=True)),
        sa.Column("next_take_number", sa.Integer, nullable=False, server_default="1"),
        sa.Column("seed", sa.Integer),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("deleted_at", sa.String(32)),
        sa.UniqueConstraint("sequence_id", "code", name="uq_shot_code"),
    )
    op.create_index("ix_shots_sequence_position", "shots", ["sequence_id", "position"])
    op.create_table(
        "takes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("uid", sa.String(36), nullable=False, unique=True),
        sa.Column("shot_id", sa.Integer, sa.ForeignKey("shots.id"), nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("operation", sa.String(32), nullable=False),
        sa.Column("engine", sa.String(64), nullable=False),
        sa.Column("model", sa.String(300), nullable=False, server_default=""),
        sa.Column("prompt", sa.Text, nullable=False, server_default=""),
        sa.Column("expanded_prompt", sa.Text, nullable=False, server_default=""),
        sa.Column("seed", sa.Integer, nullable=False, server_default="0"),
        sa.Column("width", sa.Integer, nullable=False),
        sa.Column("height", sa.Integer, nullable=False),
        sa.Column("fps_num", sa.Integer, nullable=False),
        sa.Column("fps_den", sa.Integer, nullable=False),
        sa.Column("frame_count", sa.Integer, nullable=False),
        sa.Column("recipe", sa.Text, nullable=False, server_default="{}"),
        sa.Column("status", sa.String(16), nullable=False, server_default="ready"),
        sa.Column("rating", sa.Integer, nullable=False, server_default="0"),
        sa.Column("circled", sa.Boolean, nullable=False, server_default="0"),
        sa.Column("notes", sa.Text, nullable=False, server_default=""),
        sa.Column("thumbnail", sa.String(500)),
        sa.Column("head", sa.Text, nullable=False, server_default="[]"),
        sa.Column("tail", sa.Text, nullable=False, server_default="[]"),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("deleted_at", sa.String(32)),
        sa.UniqueConstraint("shot_id", "number", name="uq_take_number"),
    )
    op.create_index("ix_takes_shot", "takes", ["shot_id"])
    op.create_table(
        "take_parents",
        sa.Column("take_id", sa.Integer, sa.ForeignKey("takes.id"), primary_key=True),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("takes.id"), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
    )
    op.create_table(
        "segments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("take_id", sa.Integer, sa.ForeignKey("takes.id"), nullable=False),
        sa.Column("ordinal", sa.Integer, nullable=False),
        sa.Column("path", sa.String(500), nullable=False),
        sa.Column("start", sa.Integer, nullable=False),
        sa.Column("end", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.UniqueConstraint("take_id", "ordinal", name="uq_segment_ordinal"),
    )
    op.create_index("ix_segments_take", "segments", ["take_id"])
    op.create_table(
        "elements",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("name_key", sa.String(64), nullable=False, unique=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("description", sa.Text, nullable=False, server_default=""),
        sa.Column("image", sa.String(500)),
        sa.Column("created_at", sa.String(32), nullable=False),
    )
    op.create_table(
        "jobs",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("shot_id", sa.Integer, sa.ForeignKey("shots.id")),
        sa.Column("take_id", sa.Integer, sa.ForeignKey("takes.id")),
        sa.Column("payload", sa.Text, nullable=False, server_default="{}"),
        sa.Column("progress", sa.Float, nullable=False, server_default="0"),
        sa.Column("message", sa.Text, nullable=False, server_default=""),
        sa.Column("runner", sa.String(64), nullable=False, server_default=""),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("started_at", sa.String(32)),
        sa.Column("finished_at", sa.String(32)),
    )
    op.create_index("ix_jobs_status", "jobs", ["status"])
    op.create_table(
        "undo_log",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("label", sa.String(200), nullable=False),
        sa.Column("changes", sa.Text, nullable=False),
        sa.Column("undone", sa.Boolean, nullable=False, server_default="0"),
        sa.Column("created_at", sa.String(32), nullable=False),
    )
