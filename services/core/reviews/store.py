"""Review packs in PostgreSQL: issued versions, immutable (a trigger refuses updates).

Versions of one pack are numbered under a transaction-scoped advisory lock on (agreement,
quarter), as the monthly report's are (services/core/reports/store.py); the primary key
would refuse a duplicate anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.core.reviews.model import ReviewPack
from services.core.storage.models import ReviewVersionRow


@dataclass(frozen=True, slots=True)
class StoredPack:
    agreement_id: str
    quarter: str
    version: int
    state: str
    content: dict[str, Any]
    content_hash: str
    changes: list[dict[str, Any]]
    issued_at: datetime
    issued_by: str

    def pack(self) -> ReviewPack:
        return ReviewPack.model_validate(self.content)


def _stored(row: ReviewVersionRow) -> StoredPack:
    return StoredPack(
        row.agreement_id,
        row.quarter,
        row.version,
        row.state,
        row.content,
        row.content_hash,
        row.changes,
        row.issued_at,
        row.issued_by,
    )


async def lock_pack(session: AsyncSession, agreement_id: str, quarter: str) -> None:
    """Serialise writers of one pack until the transaction ends."""
    await session.execute(
        text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
        {"key": f"review:{agreement_id}:{quarter}"},
    )


async def versions(session: AsyncSession, agreement_id: str) -> list[StoredPack]:
    """Every version of every pack of an agreement, newest quarter and version first."""
    rows = await session.scalars(
        select(ReviewVersionRow)
        .where(ReviewVersionRow.agreement_id == agreement_id)
        .order_by(ReviewVersionRow.quarter.desc(), ReviewVersionRow.version.desc())
    )
    return [_stored(r) for r in rows]


async def version(
    session: AsyncSession, agreement_id: str, quarter: str, number: int | None = None
) -> StoredPack | None:
    """Version `number` of a pack, or its latest (None when there is none)."""
    query = select(ReviewVersionRow).where(
        ReviewVersionRow.agreement_id == agreement_id, ReviewVersionRow.quarter == quarter
    )
    if number is not None:
        query = query.where(ReviewVersionRow.version == number)
    row = await session.scalar(query.order_by(ReviewVersionRow.version.desc()).limit(1))
    return None if row is None else _stored(row)


async def next_version(session: AsyncSession, agreement_id: str, quarter: str) -> int:
    latest = await session.scalar(
        select(func.max(ReviewVersionRow.version)).where(
            ReviewVersionRow.agreement_id == agreement_id, ReviewVersionRow.quarter == quarter
        )
    )
    return (latest or 0) + 1


async def add_version(session: AsyncSession, stored: StoredPack) -> None:
    session.add(
        ReviewVersionRow(
            agreement_id=stored.agreement_id,
            quarter=stored.quarter,
            version=stored.version,
            state=stored.state,
            content=stored.content,
            content_hash=stored.content_hash,
            changes=stored.changes,
            issued_at=stored.issued_at,
            issued_by=stored.issued_by,
        )
    )
    await session.flush()
