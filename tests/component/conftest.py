"""Fixtures shared by the component tests (no servers: fakes in memory)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from services.core.settings import IngestSettings, KafkaSettings
from services.ingest.app import create_app
from tests.auth import ADMIN, ADMIN_HEADERS, MemoryKeys
from tests.component.ingest_fakes import (
    MAX_BYTES,
    MAX_EVENTS,
    FakeAgreements,
    FakePublisher,
    Harness,
)


@pytest.fixture
async def harness() -> AsyncIterator[Harness]:
    """The ingest app over a fake publisher and in-memory keys and agreements, its lifespan
    running, with an admin client."""
    publisher = FakePublisher()
    settings = IngestSettings(
        max_batch_events=MAX_EVENTS, max_body_bytes=MAX_BYTES, publish_timeout_seconds=0.2
    )
    kafka = KafkaSettings(bootstrap_servers="127.0.0.1:1")
    # Keys and agreements in memory: no database, so readiness is about the broker only.
    agreements = FakeAgreements()
    app = create_app(
        settings,
        kafka,
        publisher,
        security=ADMIN,
        lookup_key=MemoryKeys().lookup,
        lookup_agreements=agreements.lookup,
        record_counts=agreements.record,
    )
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://ingest", headers=ADMIN_HEADERS
        ) as client:
            yield Harness(client, publisher, agreements)
    assert publisher.stopped
