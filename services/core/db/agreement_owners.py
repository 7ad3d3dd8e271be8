"""Which client owns each agreement: what ingest checks a publisher key's scope against.

One indexed read per request that needs it, so a new agreement or a deleted one counts from
the next request; ingest holds no copy of the agreements.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.core.db.models import AgreementRow

# Agreement ids -> the client of each one that exists (missing ids are absent).
OwnerLookup = Callable[[Collection[str]], Awaitable[dict[str, str]]]


async def owners_of(session: AsyncSession, agreement_ids: Collection[str]) -> dict[str, str]:
    """The client of every agreement in `agreement_ids` that exists."""
    if not agreement_ids:
        return {}
    query = select(AgreementRow.agreement_id, AgreementRow.client).where(
        AgreementRow.agreement_id.in_(sorted(agreement_ids))
    )
    return {agreement_id: client for agreement_id, client in await session.execute(query)}


def owner_lookup(sessions: async_sessionmaker[AsyncSession]) -> OwnerLookup:
    """`owners_of` in a session of its own: the owner store of a running ingest."""

    async def lookup(agreement_ids: Collection[str]) -> dict[str, str]:
        async with sessions() as session:
            return await owners_of(session, agreement_ids)

    return lookup
