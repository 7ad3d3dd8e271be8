"""Quarterly review meeting records: a draft edited in place, closed versions immutable.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-02 02:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A closed version never changes: an edit after closing is a new version (docs/reports.md).
# The draft (state 'draft') may be updated, closing included.
IMMUTABLE = (
    """
CREATE FUNCTION review_meetings_closed_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.state = 'closed' THEN
        RAISE EXCEPTION 'review meeting % % version % is closed and cannot change',
            OLD.agreement_id, OLD.quarter, OLD.version;
    END IF;
    RETURN NEW;
END $$
""",
    """
CREATE TRIGGER review_meetings_closed_immutable BEFORE UPDATE ON review_meetings
    FOR EACH ROW EXECUTE FUNCTION review_meetings_closed_immutable()
""",
)


def upgrade() -> None:
    op.create_table(
        "review_meetings",
        sa.Column("agreement_id", sa.Text(), nullable=False),
        sa.Column("quarter", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("content", JSONB(), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("saved_by", sa.Text(), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_by", sa.Text(), nullable=True),
        sa.CheckConstraint("state IN ('draft', 'closed')", name=op.f("ck_review_meetings_state")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_review_meetings_version")),
        sa.CheckConstraint(
            "(state = 'closed') = (closed_at IS NOT NULL)", name=op.f("ck_review_meetings_closed")
        ),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.agreement_id"],
            name=op.f("fk_review_meetings_agreement_id_agreements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "agreement_id", "quarter", "version", name=op.f("pk_review_meetings")
        ),
    )
    op.create_index(
        "ix_review_meetings_one_draft",
        "review_meetings",
        ["agreement_id", "quarter"],
        unique=True,
        postgresql_where=sa.text("state = 'draft'"),
    )
    for statement in IMMUTABLE:  # asyncpg runs one statement per call
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TRIGGER review_meetings_closed_immutable ON review_meetings")
    op.execute("DROP FUNCTION review_meetings_closed_immutable()")
    op.drop_index("ix_review_meetings_one_draft", "review_meetings")
    op.drop_table("review_meetings")
