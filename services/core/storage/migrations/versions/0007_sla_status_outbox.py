"""SLA status outbox: status change events stored with the change, published by a relay.

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-01 23:55:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sla_status_outbox",
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("message_key", sa.Text(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_sla_status_outbox")),
        sa.UniqueConstraint("event_id", name=op.f("uq_sla_status_outbox_event_id")),
    )
    op.create_index(
        "ix_sla_status_outbox_pending",
        "sla_status_outbox",
        ["seq"],
        postgresql_where=sa.text("sent_at IS NULL"),
    )
    op.create_index(op.f("ix_sla_status_outbox_sent_at"), "sla_status_outbox", ["sent_at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_sla_status_outbox_sent_at"), "sla_status_outbox")
    op.drop_index("ix_sla_status_outbox_pending", "sla_status_outbox")
    op.drop_table("sla_status_outbox")
