"""The engine and model a shot generates with.

``shots.engine`` and ``shots.model``: "" means the app's default (Settings); otherwise every new
take of the shot uses them unless a command names others. A previz is often mixed: grey-box
animatic for most shots, a real model for the hero shots.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("shots") as batch:
        batch.add_column(sa.Column("engine", sa.String(32), nullable=False, server_default=""))
        batch.add_column(sa.Column("model", sa.String(512), nullable=False, server_default=""))
