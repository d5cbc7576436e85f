"""Where a job runs.

``jobs.runs_on``: "local" for the project's own worker process; a render farm later records
its address here, so `previz jobs list` can say where each queued or running job is.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(
            sa.Column("runs_on", sa.String(200), nullable=False, server_default="local")
        )
