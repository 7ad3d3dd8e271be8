"""Issued documents in PostgreSQL: numbered, immutable versions per agreement and period.

Monthly reports (`report_versions`, by `period`) and quarterly review packs
(`review_versions`, by `quarter`) are kept alike: a trigger refuses updates, and versions of
one document are numbered under a transaction-scoped advisory lock on (agreement, period), so
two writers never race for a number (the primary key would refuse a duplicate anyway). One
table class serves both so the two cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True, slots=True)
class StoredVersion:
    """One issued version; `period` is `2026-10` for a report, `2026-Q4` for a pack."""

    agreement_id: str
    period: str
    version: int
    state: str
    content: dict[str, Any]
    content_hash: str
    changes: list[dict[str, Any]]
    issued_at: datetime
    issued_by: str


S = TypeVar("S", bound=StoredVersion)
_COLUMNS = ("version", "state", "content", "content_hash", "changes", "issued_at", "issued_by")


class VersionTable(Generic[S]):
    """The versions of one kind of document: `row` is its table model, `key` the name of its
    period column, `kind` names its advisory locks, `stored` the class read rows become."""

    def __init__(self, row: type[Any], key: str, kind: str, stored: type[S]) -> None:
        self.row, self.key, self.kind, self.stored = row, key, kind, stored

    def _stored(self, row: Any) -> S:
        values = {name: getattr(row, name) for name in _COLUMNS}
        return self.stored(agreement_id=row.agreement_id, period=getattr(row, self.key), **values)

    def _of(self, agreement_id: str, period: str) -> tuple[Any, Any]:
        return self.row.agreement_id == agreement_id, getattr(self.row, self.key) == period

    async def lock(self, session: AsyncSession, agreement_id: str, period: str) -> None:
        """Serialise writers of one document until the transaction ends."""
        await session.execute(
            text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
            {"key": f"{self.kind}:{agreement_id}:{period}"},
        )

    async def versions(self, session: AsyncSession, agreement_id: str) -> list[S]:
        """Every version of every document of an agreement, newest period and version first."""
        rows = await session.scalars(
            select(self.row)
            .where(self.row.agreement_id == agreement_id)
            .order_by(getattr(self.row, self.key).desc(), self.row.version.desc())
        )
        return [self._stored(r) for r in rows]

    async def version(
        self, session: AsyncSession, agreement_id: str, period: str, number: int | None = None
    ) -> S | None:
        """Version `number` of a document, or its latest (None when there is none)."""
        query = select(self.row).where(*self._of(agreement_id, period))
        if number is not None:
            query = query.where(self.row.version == number)
        row = await session.scalar(query.order_by(self.row.version.desc()).limit(1))
        return None if row is None else self._stored(row)

    async def next_version(self, session: AsyncSession, agreement_id: str, period: str) -> int:
        latest = await session.scalar(
            select(func.max(self.row.version)).where(*self._of(agreement_id, period))
        )
        return int(latest or 0) + 1

    async def add_version(self, session: AsyncSession, stored: StoredVersion) -> None:
        values = {name: getattr(stored, name) for name in _COLUMNS}
        session.add(
            self.row(agreement_id=stored.agreement_id, **{self.key: stored.period}, **values)
        )
        await session.flush()
