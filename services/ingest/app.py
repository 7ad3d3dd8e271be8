"""The ingest service: HTTP in, Kafka out.

`create_app` takes its settings and, optionally, a publisher as arguments, so tests can build
independent apps with a fake publisher; without one, the app makes sure the event topics
exist and owns a Kafka producer for its lifetime.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping
from datetime import datetime, timedelta
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.core.auth.authenticator import Authenticator, KeyLookup
from services.core.auth.key_store import key_lookup
from services.core.connectors.secret_box import SecretBox
from services.core.http.body_deadline import BodyDeadlineMiddleware
from services.core.http.probes import database_probe
from services.core.http.problems import Problem, install_problem_handlers, problem_media_type
from services.core.http.unavailable import install_unavailable_handlers
from services.core.messaging.admin import ensure_topics, event_topics
from services.core.settings import (
    ConnectorsSettings,
    DatabaseSettings,
    IngestSettings,
    KafkaSettings,
    SecuritySettings,
)
from services.core.storage.connectors_repo import add_dead_letter, prune_dead_letters
from services.core.storage.event_counts import CountKey, add_counts
from services.core.storage.session import make_engine, make_sessionmaker
from services.ingest.agreements import AgreementLookup, KnownAgreements, stored_agreements
from services.ingest.connectors.configs import ConnectorConfigs, ConnectorLookup, stored_connectors
from services.ingest.connectors.discovery import register_ingest_connectors
from services.ingest.connectors.instruments import ConnectorInstruments
from services.ingest.connectors.raw import KafkaRawPayloads, RawPayloads
from services.ingest.connectors.webhook import (
    ConnectorRuntime,
    DeadLetterRecorder,
    build_connector_router,
)
from services.ingest.publisher import EventPublisher, KafkaEventPublisher
from services.ingest.routes import CountRecorder, Ledger, build_router, event_components

DESCRIPTION = """Receives customer-service events (contract v1, see `schemas/v1/`) and stores
them on Kafka for the metrics workers. A 202 answer means every event is durably stored."""


def create_app(
    settings: IngestSettings,
    kafka: KafkaSettings,
    publisher: EventPublisher | None = None,
    *,
    security: SecuritySettings | None = None,
    database: DatabaseSettings | None = None,
    lookup_key: KeyLookup | None = None,
    lookup_agreements: AgreementLookup | None = None,
    record_counts: CountRecorder | None = None,
    connectors: ConnectorsSettings | None = None,
    raw_payloads: RawPayloads | None = None,
    lookup_connector: ConnectorLookup | None = None,
    record_dead_letter: DeadLetterRecorder | None = None,
) -> FastAPI:
    """A new ingest app; `publisher` replaces the Kafka producer, `lookup_key` the API keys,
    `lookup_agreements` the agreements and `record_counts` the data-quality counts in PostgreSQL
    (`database`), all for tests; likewise the connectors' raw-payload store, configurations
    and dead letters (docs/connectors.md)."""
    register_ingest_connectors()  # tool packages under services/ingest/connectors/
    owns_kafka = publisher is None
    sink: EventPublisher = publisher or KafkaEventPublisher(
        kafka.bootstrap_servers, kafka.topic_prefix
    )
    connector_settings = connectors or ConnectorsSettings()
    raw: RawPayloads = raw_payloads or (
        KafkaRawPayloads(
            kafka.bootstrap_servers,
            kafka.topic_prefix,
            kafka.partitions,
            connector_settings.raw_retention_days,
            kafka.replication_factor,
        )
        if owns_kafka
        else _DiscardedRawPayloads()
    )
    registry = CollectorRegistry()
    instruments = ConnectorInstruments(registry)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if owns_kafka:
            # Auto-created topics would get the broker's default partition count, which
            # decides how keys spread; create them ourselves first.
            await ensure_topics(
                kafka.bootstrap_servers,
                event_topics(kafka.topic_prefix),
                kafka.partitions,
                kafka.replication_factor,
            )
        # API keys and agreements live in PostgreSQL; the engine connects on first use only.
        engine = None
        if (
            lookup_key is None
            or lookup_agreements is None
            or record_counts is None
            or lookup_connector is None
            or record_dead_letter is None
        ):
            engine = make_engine(database or DatabaseSettings())
        sessions = make_sessionmaker(engine) if engine is not None else None
        lookup = lookup_key or key_lookup(_needed(sessions))
        app.state.authenticator = Authenticator(security or SecuritySettings(), lookup)
        agreements = lookup_agreements or stored_agreements(_needed(sessions))
        app.state.ledger = Ledger(
            KnownAgreements(agreements, settings.agreements_cache_seconds),
            record_counts or _stored_counts(_needed(sessions)),
        )
        app.state.connectors = ConnectorRuntime(
            ConnectorConfigs(
                lookup_connector
                or stored_connectors(
                    _needed(sessions), lambda: SecretBox(connector_settings.secrets_key)
                ),
                connector_settings.config_cache_seconds,
            ),
            raw,
            record_dead_letter
            or _stored_dead_letters(
                _needed(sessions), connector_settings.dead_letter_retention_days
            ),
            instruments,
        )
        # Readiness covers PostgreSQL whenever keys or agreements are read from it.
        uses_database = lookup_key is None or lookup_agreements is None
        app.state.database_probe = database_probe(_needed(sessions)) if uses_database else None
        await sink.start()
        await raw.start()
        try:
            yield
        finally:
            await raw.stop()
            await sink.stop()
            if engine is not None:
                await engine.dispose()

    app = FastAPI(title="slawatch ingest", version="1", description=DESCRIPTION, lifespan=lifespan)
    install_problem_handlers(app)
    install_unavailable_handlers(app)  # a database outage is a 503
    app.add_middleware(BodyDeadlineMiddleware, seconds=settings.body_timeout_seconds)
    app.include_router(build_router(settings, sink))
    app.include_router(build_connector_router(settings, sink))

    @app.get("/metrics", summary="Prometheus metrics of this service (no client figures)")
    async def metrics() -> Response:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    _document_raw_bodies(app)
    return app


def _needed(sessions: async_sessionmaker[AsyncSession] | None) -> async_sessionmaker[AsyncSession]:
    assert sessions is not None  # made whenever a lookup was not given
    return sessions


def _stored_counts(sessions: async_sessionmaker[AsyncSession]) -> CountRecorder:
    async def record(counts: Mapping[CountKey, int]) -> None:
        async with sessions() as session, session.begin():
            await add_counts(session, counts)

    return record


def _stored_dead_letters(
    sessions: async_sessionmaker[AsyncSession], retention_days: float
) -> DeadLetterRecorder:
    async def record(connector_id: str, received_at: datetime, reason: str, body: bytes) -> None:
        async with sessions() as session, session.begin():
            await add_dead_letter(session, connector_id, received_at, reason, body)
            # Dead letters hold raw payloads (personal data in clear): keep them no longer
            # than the raw topic does. Pruned as new ones arrive; the index makes it cheap.
            await prune_dead_letters(session, received_at - timedelta(days=retention_days))

    return record


class _DiscardedRawPayloads:
    """With a publisher given (tests), raw payloads are not kept unless a store is given."""

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def keep(
        self, connector_id: str, agreement_id: str, tool: str, body: bytes, received_at: datetime
    ) -> None:
        return None


def _document_raw_bodies(app: FastAPI) -> None:
    # The routes read raw bodies, so FastAPI does not know the schemas their `openapi_extra`
    # refers to; add them to the components.
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = get_openapi(
                title=app.title,
                version=app.version,
                description=app.description,
                routes=app.routes,
            )
            problem_media_type(schema)  # error answers are problem+json, not the route's JSON
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(event_components())
            # Pydantic's own schema: FastAPI's copy of `Problem` leaves out its null defaults.
            components["Problem"] = Problem.model_json_schema()
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
