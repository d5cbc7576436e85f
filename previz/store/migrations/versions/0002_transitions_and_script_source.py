"""Per-cut transitions on shots, and screenplay provenance for re-import.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("shots") as batch:
        batch.add_column(
            sa.Column("transition_kind", sa.String(16), nullable=False, server_default="cut")
        )
        batch.add_column(
            sa.Column("transition_frames", sa.Integer, nullable=False, server_default="0")
        )
        batch.add_column(sa.Column("source_key", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("source_prompt", sa.Text, nullable=False, server_default=""))
    with op.batch_alter_table("sequences") as batch:
        batch.add_column(sa.Column("source_key", sa.String(64), nullable=False, server_default=""))
        batch.add_column(sa.Column("source_heading", sa.Text, nullable=False, server_default=""))
