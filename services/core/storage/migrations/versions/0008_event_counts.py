"""Event counts per agreement, hour and outcome, and the per-partition marks of the workers.

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-02 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OUTCOMES = "('accepted', 'duplicate', 'late', 'invalid', 'unknown')"


def upgrade() -> None:
    op.create_table(
        "event_counts",
        sa.Column("agreement_id", sa.Text(), nullable=False),
        sa.Column("hour", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(f"outcome IN {OUTCOMES}", name=op.f("ck_event_counts_outcome")),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.agreement_id"],
            name=op.f("fk_event_counts_agreement_id_agreements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("agreement_id", "hour", "outcome", name=op.f("pk_event_counts")),
    )
    op.create_table(
        "event_count_marks",
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("partition", sa.Integer(), nullable=False),
        sa.Column("counted_to", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("topic", "partition", name=op.f("pk_event_count_marks")),
    )


def downgrade() -> None:
    op.drop_table("event_count_marks")
    op.drop_table("event_counts")
