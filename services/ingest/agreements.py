"""What ingest knows about agreements: which exist, and where their term starts.

Ingest refuses events of agreements nobody stored (the workers could never count them) and
events dated outside the range of services/core/event_range.py, which starts from the
agreement's term. Known agreements are remembered for `ttl_seconds` (a term rarely changes);
an id that is not known is looked up again on every request, so an agreement created a
moment ago is accepted at once. An agreement deleted meanwhile may still be accepted for up
to `ttl_seconds`; the workers then hold and dead-letter its events (docs/architecture.md).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.core.agreement_model import Agreement
from services.core.db.models import AgreementRow

# ids -> {id: first instant of its term} for the ids that exist
TermLookup = Callable[[Collection[str]], Awaitable[dict[str, datetime]]]


def term_start(agreement: Agreement) -> datetime:
    """Local midnight of the term's first day, in the agreement's zone."""
    first = agreement.term.effective_from
    return datetime(first.year, first.month, first.day, tzinfo=agreement.zone)


def stored_terms(sessions: async_sessionmaker[AsyncSession]) -> TermLookup:
    """The term starts of the stored agreements among `ids`, in one query."""

    async def lookup(ids: Collection[str]) -> dict[str, datetime]:
        query = select(AgreementRow.document).where(AgreementRow.agreement_id.in_(sorted(ids)))
        async with sessions() as session:
            documents = list(await session.scalars(query))
        agreements = [Agreement.model_validate(d) for d in documents]
        return {a.agreement_id: term_start(a) for a in agreements}

    return lookup


class KnownAgreements:
    """A cache in front of a `TermLookup`: hits for `ttl_seconds`, misses never cached."""

    def __init__(
        self,
        lookup: TermLookup,
        ttl_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lookup = lookup
        self._ttl = ttl_seconds
        self._clock = clock
        self._known: dict[str, tuple[float, datetime]] = {}

    async def terms(self, ids: Collection[str]) -> dict[str, datetime]:
        """The term start of every id of `ids` that exists; unknown ids are left out."""
        now = self._clock()
        found = {a: self._known[a][1] for a in ids if a in self._known and self._known[a][0] > now}
        missing = set(ids) - found.keys()
        if missing:
            fresh = await self._lookup(missing)
            for agreement_id, start in fresh.items():
                self._known[agreement_id] = (now + self._ttl, start)
            found.update(fresh)
        return found
