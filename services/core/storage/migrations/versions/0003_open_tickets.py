"""Open tickets: the live view of unresolved tickets and their due instants.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _instant(name: str, *, nullable: bool = False) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "open_tickets",
        sa.Column("agreement_id", sa.Text(), nullable=False),
        sa.Column("ticket_id", sa.Text(), nullable=False),
        sa.Column("priority", sa.Text(), nullable=False),
        _instant("created_at"),
        _instant("first_response_due_at", nullable=True),
        _instant("resolution_due_at", nullable=True),
        sa.Column("paused", sa.Boolean(), nullable=False),
        sa.Column("first_responded", sa.Boolean(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("agreement_id", "ticket_id", name=op.f("pk_open_tickets")),
    )
    for column in ("first_response_due_at", "resolution_due_at"):
        op.create_index(
            op.f(f"ix_open_tickets_agreement_id_{column}"),
            "open_tickets",
            ["agreement_id", column],
        )


def downgrade() -> None:
    for column in ("first_response_due_at", "resolution_due_at"):
        op.drop_index(op.f(f"ix_open_tickets_agreement_id_{column}"), "open_tickets")
    op.drop_table("open_tickets")
