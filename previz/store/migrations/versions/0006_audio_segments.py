"""A take's sound: audio segments, like its video segments (file + sample range).

``audio_segments``: the ordered pieces of a take's sound (a take made by an audio-video model,
footage imported with sound, or an extension of either). ``start``/``end`` count samples at
``rate`` per second (end exclusive); a row with an empty ``path`` is silence of that length
(the silent part of a sounded take extended by a silent engine, or the reverse). A take with
no rows is silent. Together a take's rows cover exactly its frames.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audio_segments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("take_id", sa.Integer, sa.ForeignKey("takes.id"), nullable=False),
        sa.Column("ordinal", sa.Integer, nullable=False),
        sa.Column("path", sa.String(500), nullable=False),
        sa.Column("start", sa.Integer, nullable=False),
        sa.Column("end", sa.Integer, nullable=False),
        sa.Column("rate", sa.Integer, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False, server_default=""),
        sa.UniqueConstraint("take_id", "ordinal", name="uq_audio_segment_ordinal"),
    )
    op.create_index("ix_audio_segments_take", "audio_segments", ["take_id"])
