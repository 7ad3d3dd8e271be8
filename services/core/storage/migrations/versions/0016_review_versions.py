"""Quarterly review packs: issued versions (immutable, with content hash).

Revision ID: 0016
Revises: 0014
Create Date: 2026-12-02 03:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# An issued version never changes: new figures make a new version (docs/reviews.md).
IMMUTABLE = (
    """
CREATE FUNCTION review_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'review pack % % version % is issued and cannot change',
        OLD.agreement_id, OLD.quarter, OLD.version;
END $$
""",
    """
CREATE TRIGGER review_versions_immutable BEFORE UPDATE ON review_versions
    FOR EACH ROW EXECUTE FUNCTION review_versions_immutable()
""",
)


def upgrade() -> None:
    op.create_table(
        "review_versions",
        sa.Column("agreement_id", sa.Text(), nullable=False),
        sa.Column("quarter", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("content", JSONB(), nullable=False),
        sa.Column("content_hash", sa.Text(), nullable=False),
        sa.Column("changes", JSONB(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_by", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "state IN ('preliminary', 'final')", name=op.f("ck_review_versions_state")
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_review_versions_version")),
        sa.ForeignKeyConstraint(
            ["agreement_id"],
            ["agreements.agreement_id"],
            name=op.f("fk_review_versions_agreement_id_agreements"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "agreement_id", "quarter", "version", name=op.f("pk_review_versions")
        ),
    )
    for statement in IMMUTABLE:  # asyncpg runs one statement per call
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TRIGGER review_versions_immutable ON review_versions")
    op.execute("DROP FUNCTION review_versions_immutable()")
    op.drop_table("review_versions")
