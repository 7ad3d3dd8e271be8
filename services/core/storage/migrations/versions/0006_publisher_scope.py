"""Publisher keys scoped to a client, optionally to agreements and a connector.

Publisher rows made before this revision keep a NULL client: ingest lets them publish
nothing (services/core/auth/access.py `publish_refusal`), so no key gains a scope it never had.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("api_keys", sa.Column("agreements", postgresql.ARRAY(sa.Text()), nullable=True))
    op.add_column("api_keys", sa.Column("connector", sa.Text(), nullable=True))
    op.drop_constraint(op.f("ck_api_keys_viewer_client"), "api_keys", type_="check")
    op.create_check_constraint(
        op.f("ck_api_keys_client_scope"),
        "api_keys",
        "role = 'publisher' OR (role = 'viewer') = (client IS NOT NULL)",
    )
    op.create_check_constraint(
        op.f("ck_api_keys_publisher_scope"),
        "api_keys",
        "role = 'publisher' OR (agreements IS NULL AND connector IS NULL)",
    )


def downgrade() -> None:
    # The old table has no room for a publisher's client: revoke scoped publisher keys rather
    # than widen them to every client.
    op.execute(
        "UPDATE api_keys SET revoked_at = coalesce(revoked_at, now()), client = NULL"
        " WHERE role = 'publisher' AND client IS NOT NULL"
    )
    op.drop_constraint(op.f("ck_api_keys_publisher_scope"), "api_keys", type_="check")
    op.drop_constraint(op.f("ck_api_keys_client_scope"), "api_keys", type_="check")
    op.create_check_constraint(
        op.f("ck_api_keys_viewer_client"), "api_keys", "(role = 'viewer') = (client IS NOT NULL)"
    )
    op.drop_column("api_keys", "connector")
    op.drop_column("api_keys", "agreements")
