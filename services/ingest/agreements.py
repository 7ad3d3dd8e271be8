"""What ingest knows about agreements: which exist, whose they are, and where their term starts.

One query per request answers every per-event check that needs PostgreSQL: an agreement
nobody stored is refused (the workers could never count it), a publisher key may only write
agreements of its own client (services/core/auth/access.py), and `occurred_at` must lie in the
range of services/core/contract/event_range.py, which starts from the agreement's term.

Known agreements are remembered for `ttl_seconds` (a client or a term rarely changes); an id
that is not known is looked up again on every request, so an agreement created a moment ago
is accepted at once. An agreement deleted meanwhile may still be accepted for up to
`ttl_seconds`; the workers then hold and dead-letter its events (docs/architecture.md).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.core.agreements.model import Agreement
from services.core.storage.models import AgreementRow


@dataclass(frozen=True, slots=True)
class KnownAgreement:
    """What ingest checks an event against: the agreement's client and its term's start."""

    client: str
    term_start: datetime


# ids -> {id: what is known of it} for the ids that exist
AgreementLookup = Callable[[Collection[str]], Awaitable[dict[str, KnownAgreement]]]


def term_start(agreement: Agreement) -> datetime:
    """Local midnight of the term's first day, in the agreement's zone."""
    first = agreement.term.effective_from
    return datetime(first.year, first.month, first.day, tzinfo=agreement.zone)


def stored_agreements(sessions: async_sessionmaker[AsyncSession]) -> AgreementLookup:
    """The client and term start of the stored agreements among `ids`, in one query."""

    async def lookup(ids: Collection[str]) -> dict[str, KnownAgreement]:
        if not ids:
            return {}
        query = select(AgreementRow.client, AgreementRow.document).where(
            AgreementRow.agreement_id.in_(sorted(ids))
        )
        async with sessions() as session:
            rows = list(await session.execute(query))
        found: dict[str, KnownAgreement] = {}
        for client, document in rows:
            agreement = Agreement.model_validate(document)
            found[agreement.agreement_id] = KnownAgreement(client, term_start(agreement))
        return found

    return lookup


class KnownAgreements:
    """A cache in front of an `AgreementLookup`: hits for `ttl_seconds`, misses never cached."""

    def __init__(
        self,
        lookup: AgreementLookup,
        ttl_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._lookup = lookup
        self._ttl = ttl_seconds
        self._clock = clock
        self._known: dict[str, tuple[float, KnownAgreement]] = {}

    async def find(self, ids: Collection[str]) -> dict[str, KnownAgreement]:
        """What is known of every id of `ids` that exists; unknown ids are left out."""
        now = self._clock()
        found = {a: self._known[a][1] for a in ids if a in self._known and self._known[a][0] > now}
        missing = set(ids) - found.keys()
        if missing:
            fresh = await self._lookup(missing)
            for agreement_id, known in fresh.items():
                self._known[agreement_id] = (now + self._ttl, known)
            found.update(fresh)
        return found
