"""Connector configurations and their dead letters in PostgreSQL (docs/connectors.md).

The API writes configurations; ingest reads them (with a short cache) and adds dead letters.
Sealed secrets are stored and read as given: sealing and opening is the caller's, with the
key from the environment, so this module never sees a secret in clear.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.core.storage.models import ConnectorConfigRow, ConnectorDeadLetterRow


@dataclass(frozen=True, slots=True)
class StoredConnector:
    """One row of `connector_configs`, secrets still sealed."""

    connector_id: str
    agreement_id: str
    tool: str
    document: dict[str, Any]
    secret_sealed: str
    pseudonym_key_sealed: str
    version: int
    updated_at: datetime


def _stored(row: ConnectorConfigRow) -> StoredConnector:
    return StoredConnector(
        row.connector_id,
        row.agreement_id,
        row.tool,
        dict(row.document),
        row.secret_sealed,
        row.pseudonym_key_sealed,
        row.version,
        row.updated_at,
    )


async def get_connector(session: AsyncSession, connector_id: str) -> StoredConnector | None:
    row = await session.get(ConnectorConfigRow, connector_id, populate_existing=True)
    return _stored(row) if row is not None else None


async def connectors_of(session: AsyncSession, agreement_id: str) -> list[StoredConnector]:
    query = (
        select(ConnectorConfigRow)
        .where(ConnectorConfigRow.agreement_id == agreement_id)
        .order_by(ConnectorConfigRow.connector_id)
    )
    return [_stored(row) for row in (await session.scalars(query)).all()]


async def put_connector(
    session: AsyncSession,
    *,
    connector_id: str,
    agreement_id: str,
    tool: str,
    document: dict[str, Any],
    secret_sealed: str | None,
    pseudonym_key_sealed: str,
    now: datetime,
) -> tuple[StoredConnector, bool]:
    """Create or replace; (stored, created). `secret_sealed` None keeps the stored secret;
    the pseudonym key is kept once made (changing it would split every person's ids)."""
    row = await session.get(ConnectorConfigRow, connector_id, with_for_update=True)
    created = row is None
    if row is None:
        if secret_sealed is None:
            raise ValueError("a new connector needs a secret")
        row = ConnectorConfigRow(
            connector_id=connector_id,
            agreement_id=agreement_id,
            pseudonym_key_sealed=pseudonym_key_sealed,
            version=0,
            created_at=now,
        )
        session.add(row)
    elif row.agreement_id != agreement_id:
        raise ValueError(f"connector {connector_id!r} belongs to another agreement")
    row.tool = tool
    row.document = document
    if secret_sealed is not None:
        row.secret_sealed = secret_sealed
    row.version += 1
    row.updated_at = now
    await session.flush()
    return _stored(row), created


async def delete_connector(session: AsyncSession, agreement_id: str, connector_id: str) -> bool:
    result = await session.execute(
        delete(ConnectorConfigRow).where(
            ConnectorConfigRow.connector_id == connector_id,
            ConnectorConfigRow.agreement_id == agreement_id,
        )
    )
    return bool(getattr(result, "rowcount", 0))


async def add_dead_letter(
    session: AsyncSession, connector_id: str, received_at: datetime, reason: str, payload: bytes
) -> None:
    session.add(
        ConnectorDeadLetterRow(
            connector_id=connector_id, received_at=received_at, reason=reason, payload=payload
        )
    )


@dataclass(frozen=True, slots=True)
class DeadLetter:
    id: int
    received_at: datetime
    reason: str
    payload: bytes


async def dead_letters(
    session: AsyncSession, connector_id: str, limit: int
) -> tuple[int, list[DeadLetter]]:
    """How many dead letters the connector has, and the newest `limit` of them."""
    where = ConnectorDeadLetterRow.connector_id == connector_id
    total = await session.scalar(
        select(func.count()).select_from(ConnectorDeadLetterRow).where(where)
    )
    query = (
        select(ConnectorDeadLetterRow)
        .where(where)
        .order_by(ConnectorDeadLetterRow.received_at.desc(), ConnectorDeadLetterRow.id.desc())
        .limit(limit)
    )
    rows = (await session.scalars(query)).all()
    letters = [DeadLetter(r.id, r.received_at, r.reason, r.payload) for r in rows]
    return int(total or 0), letters


async def prune_dead_letters(session: AsyncSession, before: datetime) -> int:
    result = await session.execute(
        delete(ConnectorDeadLetterRow).where(ConnectorDeadLetterRow.received_at < before)
    )
    return int(getattr(result, "rowcount", 0))


async def lossy_mappings(session: AsyncSession, agreement_id: str) -> list[tuple[str, str, str]]:
    """(connector id, tool, lossy flag) of every connector of the agreement, for the report."""
    return [
        (stored.connector_id, stored.tool, str(flag))
        for stored in await connectors_of(session, agreement_id)
        for flag in sorted(stored.document.get("lossy") or [])
    ]
