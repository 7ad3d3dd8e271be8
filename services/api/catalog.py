"""The agreements the API knows: every stored agreement, kept in memory and kept fresh.

PostgreSQL is the source of truth. Every KPI request and every scrape needs the measurement
parameters, so the API holds a copy: loaded at start-up, reloaded every few seconds (so
writes through other replicas or the sync command show up) and updated at once after its own
writes. The `agreements` dict is updated in place: the figures cache and the routes hold it.

The catalog also publishes to the agreements topic every agreement whose stored version it
has not published yet. A write publishes right away; when that fails (broker down), the next
refresh tries again, so the topic always ends up matching the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.core.agreements.model import Agreement
from services.core.kpi.params import MeasurementParams
from services.core.messaging.agreement_topic import AgreementPublisher
from services.core.storage.agreements_repo import StoredAgreement, list_agreements

log = logging.getLogger(__name__)
AgreementLoader = Callable[[], Awaitable[list[StoredAgreement]]]


@dataclass(frozen=True, slots=True)
class AgreementInfo:
    """One agreement as the API presents it; `params` is the engine's part, computed once."""

    agreement: Agreement
    params: MeasurementParams
    version: int = 1

    @classmethod
    def of(cls, agreement: Agreement, version: int = 1) -> AgreementInfo:
        return cls(agreement, agreement.measurement_params(), version)

    @property
    def agreement_id(self) -> str:
        return self.agreement.agreement_id

    @property
    def name(self) -> str:
        return self.agreement.name

    @property
    def client(self) -> str:
        return self.agreement.client

    @property
    def provider(self) -> str:
        return self.agreement.provider


def stored_agreements(sessions: async_sessionmaker[AsyncSession]) -> AgreementLoader:
    """A loader of every agreement in PostgreSQL."""

    async def load() -> list[StoredAgreement]:
        async with sessions() as session:
            return await list_agreements(session)

    return load


class AgreementCatalog:
    """`agreements` by id, refreshed from `load`; changes are published via `publisher`."""

    def __init__(
        self,
        load: AgreementLoader,
        publisher: AgreementPublisher | None = None,
        interval_seconds: float = 5.0,
    ) -> None:
        self.load = load
        self.publisher = publisher
        self.interval_seconds = interval_seconds
        self.agreements: dict[str, AgreementInfo] = {}
        self._published: dict[str, int] = {}  # agreement id -> version this replica published
        self._publishing = asyncio.Lock()  # one publisher at a time keeps versions in order

    async def refresh(self) -> bool:
        """Reload every agreement; on failure keep the previous set and return False."""
        try:
            stored = await self.load()
        except Exception:
            log.exception("loading the agreements failed; keeping the previous set")
            return False
        fresh = {s.agreement.agreement_id: AgreementInfo.of(s.agreement, s.version) for s in stored}
        for gone in set(self.agreements) - set(fresh):
            del self.agreements[gone]
        self.agreements.update(fresh)
        return True

    def remember(self, stored: StoredAgreement) -> None:
        """Take a just-written agreement without waiting for the next refresh."""
        self.agreements[stored.agreement.agreement_id] = AgreementInfo.of(
            stored.agreement, stored.version
        )

    def forget(self, agreement_id: str) -> None:
        self.agreements.pop(agreement_id, None)

    async def publish_pending(self) -> bool:
        """Publish changed agreements and tombstones of removed ones; False if any failed."""
        if self.publisher is None:
            return True
        async with self._publishing:
            return await self._publish(self.publisher)

    async def _publish(self, publisher: AgreementPublisher) -> bool:
        pending: list[tuple[str, AgreementInfo | None]] = [
            (agreement_id, info)
            for agreement_id, info in list(self.agreements.items())
            if self._published.get(agreement_id) != info.version
        ]
        pending += [(gone, None) for gone in set(self._published) - set(self.agreements)]
        for agreement_id, info in pending:
            version = self._published[agreement_id] if info is None else info.version
            document = None if info is None else info.agreement
            try:
                await publisher.publish(agreement_id, document, version)
            except Exception:
                log.exception("publishing agreement %s failed; retrying later", agreement_id)
                return False
            if info is None:
                self._published.pop(agreement_id, None)
            else:
                self._published[agreement_id] = version
        return True

    async def run(self) -> None:
        """Publish what is pending, then refresh every `interval_seconds`, until cancelled."""
        while True:
            await self.publish_pending()
            await asyncio.sleep(self.interval_seconds)
            await self.refresh()

    async def close(self) -> None:
        if self.publisher is not None:
            with contextlib.suppress(Exception):
                await self.publisher.close()
