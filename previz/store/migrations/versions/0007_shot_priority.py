"""A shot's priority.

``shots.priority``: the priority of the shot's generation jobs, higher first, in the local queue
and on a render farm alike (0, the default, for every shot an older Previz made).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("shots") as batch:
        batch.add_column(sa.Column("priority", sa.Integer, nullable=False, server_default="0"))
