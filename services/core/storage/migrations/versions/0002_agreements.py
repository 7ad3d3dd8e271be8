"""Agreements: current documents, target versions (history), improvement measures.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _now(name: str) -> sa.Column[datetime]:
    return sa.Column(name, sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False)


def _agreement_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["agreement_id"],
        ["agreements.agreement_id"],
        name=op.f(f"fk_{table}_agreement_id_agreements"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "agreements",
        sa.Column("agreement_id", sa.Text(), nullable=False),
        sa.Column("client", sa.Text(), nullable=False),
        sa.Column("provider", sa.Text(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("document", postgresql.JSONB(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        _now("created_at"),
        _now("updated_at"),
        sa.PrimaryKeyConstraint("agreement_id", name=op.f("pk_agreements")),
    )
    op.create_index(op.f("ix_agreements_client"), "agreements", ["client"])
    op.create_table(
        "agreement_targets",
        sa.Column("agreement_id", sa.Text(), nullable=False),
        sa.Column("target_id", sa.Text(), nullable=False),
        sa.Column("effective_from", sa.DateTime(timezone=True), nullable=False),
        sa.Column("definition", postgresql.JSONB(), nullable=False),
        _now("recorded_at"),
        _agreement_fk("agreement_targets"),
        sa.PrimaryKeyConstraint(
            "agreement_id", "target_id", "effective_from", name=op.f("pk_agreement_targets")
        ),
    )
    op.create_table(
        "improvement_measures",
        sa.Column("agreement_id", sa.Text(), nullable=False),
        sa.Column("measure_id", sa.Text(), nullable=False),
        sa.Column("definition", postgresql.JSONB(), nullable=False),
        _now("updated_at"),
        _agreement_fk("improvement_measures"),
        sa.PrimaryKeyConstraint("agreement_id", "measure_id", name=op.f("pk_improvement_measures")),
    )


def downgrade() -> None:
    op.drop_table("improvement_measures")
    op.drop_table("agreement_targets")
    op.drop_index(op.f("ix_agreements_client"), "agreements")
    op.drop_table("agreements")
