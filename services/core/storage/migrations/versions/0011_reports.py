"""Monthly reports: issued versions (immutable, with content hash) and free-text drafts.

Revision ID: 0011
Revises: 0005
Create Date: 2026-12-02 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0011"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# An issued version never changes: late data makes a new version (docs/reports.md).
IMMUTABLE = (
    """
CREATE FUNCTION report_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'report % % version % is issued and cannot change',
        OLD.agreement_id, OLD.period, OLD.version;
END $$
""",
    """
CREATE TRIGGER report_versions_immutable BEFORE UPDATE ON report_versions
    FOR EACH ROW EXECUTE FUNCTION report_versions_immutable()
""",
)


def _agreement_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["agreement_id"],
        ["agreements.agreement_id"],
        name=op.f(f"fk_{table}_agreement_id_agreements"),
        ondelete="CASCADE",
    )


def upgrade() -> None:
    op.create_table(
        "report_versions",
        sa.Column("agreement_id", sa.Text(), nullable=False),
        sa.Column("period", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("content", JSONB(), nullable=False),
        sa.Column("content_hash", sa.Text(), nullable=False),
        sa.Column("changes", JSONB(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("issued_by", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "state IN ('preliminary', 'final')", name=op.f("ck_report_versions_state")
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_report_versions_version")),
        _agreement_fk("report_versions"),
        sa.PrimaryKeyConstraint(
            "agreement_id", "period", "version", name=op.f("pk_report_versions")
        ),
    )
    op.create_table(
        "report_drafts",
        sa.Column("agreement_id", sa.Text(), nullable=False),
        sa.Column("period", sa.Text(), nullable=False),
        sa.Column("free_text", JSONB(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.Text(), nullable=False),
        _agreement_fk("report_drafts"),
        sa.PrimaryKeyConstraint("agreement_id", "period", name=op.f("pk_report_drafts")),
    )
    for statement in IMMUTABLE:  # asyncpg runs one statement per call
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TRIGGER report_versions_immutable ON report_versions")
    op.execute("DROP FUNCTION report_versions_immutable()")
    op.drop_table("report_drafts")
    op.drop_table("report_versions")
