"""The `api_keys` table: store, find, list and revoke keys (services/core/auth/access.py).

Rows hold hashes only; `find_key` is the key store the API and ingest authenticate against
(one primary-key lookup per request).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.core.auth.access import ApiKeyRecord, Role
from services.core.auth.authenticator import KeyLookup
from services.core.storage.models import ApiKeyRow


def _record(row: ApiKeyRow) -> ApiKeyRecord:
    return ApiKeyRecord(
        key_id=row.key_id,
        hash=row.hash,
        role=Role(row.role),
        client=row.client,
        name=row.name,
        created_at=row.created_at,
        revoked_at=row.revoked_at,
        agreements=None if row.agreements is None else frozenset(row.agreements),
        connector=row.connector,
        agent_detail=row.agent_detail,
    )


async def insert_key(session: AsyncSession, record: ApiKeyRecord) -> None:
    """Add `record` (the caller commits)."""
    session.add(
        ApiKeyRow(
            key_id=record.key_id,
            hash=record.hash,
            role=record.role.value,
            client=record.client,
            name=record.name,
            created_at=record.created_at,
            revoked_at=record.revoked_at,
            agreements=None if record.agreements is None else sorted(record.agreements),
            connector=record.connector,
            agent_detail=record.agent_detail,
        )
    )
    await session.flush()


async def find_key(session: AsyncSession, key_id: str) -> ApiKeyRecord | None:
    row = await session.get(ApiKeyRow, key_id)
    return None if row is None else _record(row)


async def list_keys(session: AsyncSession) -> list[ApiKeyRecord]:
    """Every key, revoked ones included, oldest first."""
    rows = await session.scalars(select(ApiKeyRow).order_by(ApiKeyRow.created_at))
    return [_record(row) for row in rows]


async def revoke_key(session: AsyncSession, key_id: str, at: datetime) -> bool:
    """Mark a key revoked from `at` (the caller commits); False when no such live key."""
    result = await session.execute(
        update(ApiKeyRow)
        .where(ApiKeyRow.key_id == key_id, ApiKeyRow.revoked_at.is_(None))
        .values(revoked_at=at)
    )
    return bool(getattr(result, "rowcount", 0))


async def grant_agent_detail(session: AsyncSession, key_id: str, granted: bool) -> bool:
    """Grant (or withdraw) per-agent breakdowns to a live key; False when no such key."""
    result = await session.execute(
        update(ApiKeyRow)
        .where(ApiKeyRow.key_id == key_id, ApiKeyRow.revoked_at.is_(None))
        .values(agent_detail=granted)
    )
    return bool(getattr(result, "rowcount", 0))


def key_lookup(sessions: async_sessionmaker[AsyncSession]) -> KeyLookup:
    """`find_key` in a session of its own: the key store of a running service."""

    async def lookup(key_id: str) -> ApiKeyRecord | None:
        async with sessions() as session:
            return await find_key(session, key_id)

    return lookup
