"""Initial schema: KPI buckets, stream positions, KPI snapshots.

Revision ID: 0001
Revises:
Create Date: 2026-10-01 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FAMILY_CHECK = "family IN ('tickets', 'calls', 'surveys')"
GRANULARITY_CHECK = "granularity IN ('minute', 'hour', 'month', 'quarter')"


def _timestamp(name: str, *, primary_key: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=False, primary_key=primary_key)


def _updated_at() -> sa.Column[datetime]:
    return sa.Column(
        "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "kpi_buckets",
        sa.Column("agreement_id", sa.Text(), primary_key=True),
        sa.Column("family", sa.Text(), primary_key=True),
        sa.Column("partition", sa.Integer(), primary_key=True),
        sa.Column("granularity", sa.Text(), primary_key=True),
        _timestamp("bucket_start", primary_key=True),
        sa.Column("data", postgresql.JSONB(), nullable=False),
        _updated_at(),
        sa.CheckConstraint(FAMILY_CHECK, name=op.f("ck_kpi_buckets_family")),
        sa.CheckConstraint(GRANULARITY_CHECK, name=op.f("ck_kpi_buckets_granularity")),
        sa.PrimaryKeyConstraint(
            "agreement_id",
            "family",
            "partition",
            "granularity",
            "bucket_start",
            name=op.f("pk_kpi_buckets"),
        ),
    )
    op.create_index(
        op.f("ix_kpi_buckets_agreement_id_granularity_bucket_start"),
        "kpi_buckets",
        ["agreement_id", "granularity", "bucket_start"],
    )
    op.create_table(
        "stream_positions",
        sa.Column("agreement_id", sa.Text(), primary_key=True),
        sa.Column("family", sa.Text(), primary_key=True),
        sa.Column("partition", sa.Integer(), primary_key=True),
        _timestamp("latest_event_at"),
        _updated_at(),
        sa.CheckConstraint(FAMILY_CHECK, name=op.f("ck_stream_positions_family")),
        sa.PrimaryKeyConstraint(
            "agreement_id", "family", "partition", name=op.f("pk_stream_positions")
        ),
    )
    op.create_table(
        "kpi_snapshots",
        sa.Column("agreement_id", sa.Text(), primary_key=True),
        sa.Column("window", sa.Text(), primary_key=True),
        sa.Column("kpi", sa.Text(), primary_key=True),
        _timestamp("taken_at", primary_key=True),
        sa.Column("value", sa.Double(), nullable=True),
        sa.Column("n", sa.BigInteger(), nullable=False),
        _timestamp("window_start"),
        _timestamp("window_end"),
        sa.PrimaryKeyConstraint(
            "agreement_id", "window", "kpi", "taken_at", name=op.f("pk_kpi_snapshots")
        ),
    )


def downgrade() -> None:
    op.drop_table("kpi_snapshots")
    op.drop_table("stream_positions")
    op.drop_index(op.f("ix_kpi_buckets_agreement_id_granularity_bucket_start"), "kpi_buckets")
    op.drop_table("kpi_buckets")
