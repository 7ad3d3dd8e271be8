"""SLA status: the last published status per target, and every change (history).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 12:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATUSES = "('met', 'at_risk', 'breached', 'no_data')"


def _instant(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _agreement_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["agreement_id"],
        ["agreements.agreement_id"],
        name=op.f(f"fk_{table}_agreement_id_agreements"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "sla_status_state",
        sa.Column("agreement_id", sa.Text(), nullable=False),
        sa.Column("target_id", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("previous_status", sa.Text(), nullable=True),
        _instant("stream_time", nullable=True),
        _instant("changed_at"),
        sa.CheckConstraint(f"status IN {STATUSES}", name=op.f("ck_sla_status_state_status")),
        sa.CheckConstraint(
            f"previous_status IN {STATUSES}", name=op.f("ck_sla_status_state_previous_status")
        ),
        _agreement_fk("sla_status_state"),
        sa.PrimaryKeyConstraint("agreement_id", "target_id", name=op.f("pk_sla_status_state")),
    )
    op.create_table(
        "sla_status_changes",
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("agreement_id", sa.Text(), nullable=False),
        sa.Column("target_id", sa.Text(), nullable=False),
        sa.Column("kpi", sa.Text(), nullable=False),
        sa.Column("window", sa.Text(), nullable=False),
        sa.Column("previous_status", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("value", sa.Double(), nullable=True),
        sa.Column("target", sa.Double(), nullable=False),
        _instant("stream_time", nullable=True),
        _instant("occurred_at"),
        _agreement_fk("sla_status_changes"),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_sla_status_changes")),
    )
    op.create_index(
        op.f("ix_sla_status_changes_agreement_id_occurred_at"),
        "sla_status_changes",
        ["agreement_id", "occurred_at"],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_sla_status_changes_agreement_id_occurred_at"), "sla_status_changes")
    op.drop_table("sla_status_changes")
    op.drop_table("sla_status_state")
