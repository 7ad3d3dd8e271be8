"""Breakdowns: a slice column in the key of kpi_buckets, and the agent_detail grant of API keys.

Existing bucket rows are the totals: their slice is "" (the column's default).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 00:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEY = ["agreement_id", "family", "partition", "granularity", "bucket_start"]


def upgrade() -> None:
    op.add_column("kpi_buckets", sa.Column("slice", sa.Text(), server_default="", nullable=False))
    op.drop_constraint(op.f("pk_kpi_buckets"), "kpi_buckets", type_="primary")
    op.create_primary_key(op.f("pk_kpi_buckets"), "kpi_buckets", [*KEY, "slice"])
    op.add_column(
        "api_keys",
        sa.Column("agent_detail", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("api_keys", "agent_detail")
    op.execute("DELETE FROM kpi_buckets WHERE slice <> ''")
    op.drop_constraint(op.f("pk_kpi_buckets"), "kpi_buckets", type_="primary")
    op.create_primary_key(op.f("pk_kpi_buckets"), "kpi_buckets", KEY)
    op.drop_column("kpi_buckets", "slice")
