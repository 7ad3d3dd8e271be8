"""Ticket breaches: first responses and resolutions over target, for the monthly report.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 01:20:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ticket_breaches",
        sa.Column("agreement_id", sa.Text(), nullable=False),
        sa.Column("ticket_id", sa.Text(), nullable=False),
        sa.Column("kpi", sa.Text(), nullable=False),
        sa.Column("attributed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("measured_seconds", sa.Double(), nullable=False),
        sa.Column("target_seconds", sa.Double(), nullable=False),
        sa.Column("overrun_seconds", sa.Double(), nullable=False),
        sa.Column("priority", sa.Text(), nullable=False),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.CheckConstraint("kpi IN ('frt', 'resolution')", name=op.f("ck_ticket_breaches_kpi")),
        sa.PrimaryKeyConstraint(
            "agreement_id", "ticket_id", "kpi", "attributed_at", name=op.f("pk_ticket_breaches")
        ),
    )
    op.create_index(
        op.f("ix_ticket_breaches_agreement_id_attributed_at"),
        "ticket_breaches",
        ["agreement_id", "attributed_at"],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_ticket_breaches_agreement_id_attributed_at"), "ticket_breaches")
    op.drop_table("ticket_breaches")
