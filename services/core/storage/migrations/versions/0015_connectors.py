"""Connectors: per-agreement tool configuration and dead letters of unmappable payloads.

Identifiers got longer (up to 256 characters, any printable Unicode): every id column is
`text` already, so no column needs widening.

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-02 02:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0015"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "connector_configs",
        sa.Column("connector_id", sa.Text(), nullable=False),
        sa.Column("agreement_id", sa.Text(), nullable=False),
        sa.Column("tool", sa.Text(), nullable=False),
        sa.Column("document", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("secret_sealed", sa.Text(), nullable=False),
        sa.Column("pseudonym_key_sealed", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.agreement_id"],
            name=op.f("fk_connector_configs_agreement_id_agreements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("connector_id", name=op.f("pk_connector_configs")),
    )
    op.create_index(
        op.f("ix_connector_configs_agreement_id"), "connector_configs", ["agreement_id"]
    )
    op.create_table(
        "connector_dead_letters",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("connector_id", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("payload", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["connector_id"],
            ["connector_configs.connector_id"],
            name=op.f("fk_connector_dead_letters_connector_id_connector_configs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_connector_dead_letters")),
    )
    op.create_index(
        op.f("ix_connector_dead_letters_connector_id_received_at"),
        "connector_dead_letters",
        ["connector_id", "received_at"],
    )
    op.create_index(
        op.f("ix_connector_dead_letters_received_at"), "connector_dead_letters", ["received_at"]
    )


def downgrade() -> None:
    op.drop_table("connector_dead_letters")
    op.drop_table("connector_configs")
