"""Screenplay status flags and the import's duration estimate.

``shots.script_status`` and ``sequences.script_status``: "" while the shot's beat (the
sequence's scene) is in the screenplay, "removed" once a re-import no longer finds it (the row
and its takes stay; the flag tells the user). ``shots.source_frames``: the planned duration the
last import estimated (NULL for a shot made by hand); the planned duration is still the
estimate while ``duration_frames == source_frames``, so a duration the user typed is never
mistaken for one and a re-import only updates durations that are still estimates.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("shots") as batch:
        batch.add_column(
            sa.Column("script_status", sa.String(16), nullable=False, server_default="")
        )
        batch.add_column(sa.Column("source_frames", sa.Integer, nullable=True))
    with op.batch_alter_table("sequences") as batch:
        batch.add_column(
            sa.Column("script_status", sa.String(16), nullable=False, server_default="")
        )
