"""Where a job runs, and the colour of a shot's dip.

``jobs.runs_on``: "local" for the project's own worker process; a render farm later records
its address here, so `previz jobs list` can say where each queued or running job is.

``shots.transition_color``: the colour a ``dip_color`` transition into the shot goes through,
``#RRGGBB`` ("" = white, the usual dip; a dip to black is ``fade_black``).

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
    with op.batch_alter_table("shots") as batch:
        batch.add_column(
            sa.Column("transition_color", sa.String(7), nullable=False, server_default="")
        )
