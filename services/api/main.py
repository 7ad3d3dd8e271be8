"""The query API: `python -m services.api.main` or `slawatch-api`.

`create_app` takes its settings as arguments so tests can build any number of independent
apps; the lifespan owns the engine, the agreements and the background cache refresh.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable

import uvicorn
from fastapi import FastAPI

from services.api.cache import FiguresCache
from services.api.catalog import AgreementCatalog, AgreementLoader, stored_agreements
from services.api.deps import Runtime
from services.api.instruments import make_registry
from services.api.limits import BodyLimitMiddleware
from services.api.problems import install_problem_handlers
from services.api.quality_instruments import EventCountsCollector
from services.api.routes import agreements as agreement_routes
from services.api.routes import (
    calendars,
    data_quality,
    health,
    history,
    kpis,
    reports,
    status,
    tickets,
)
from services.api.routes import connectors as connectors_routes
from services.api.security import AUTH_RESPONSES, AUTHORIZED, SCRAPER
from services.api.seed import seed_missing
from services.api.status_changes import StatusChangeRecorder
from services.api.status_relay import StatusEventRelay
from services.core.auth.authenticator import Authenticator, KeyLookup
from services.core.auth.key_store import key_lookup
from services.core.http.body_deadline import BodyDeadlineMiddleware
from services.core.messaging.agreement_topic import AgreementPublisher
from services.core.messaging.sla_status import SlaStatusPublisher
from services.core.reports.notify import Notifications
from services.core.reports.schedule import ReportScheduler
from services.core.settings import (
    ApiSettings,
    ConnectorsSettings,
    DatabaseSettings,
    KafkaSettings,
    ReportSettings,
    SecuritySettings,
)
from services.core.storage.kpi_reader import ReaderFactory, sql_readers
from services.core.storage.session import make_engine, make_sessionmaker

log = logging.getLogger(__name__)
# Each shutdown step gets this long: a broker or database that stopped answering must not
# hold the process (an orchestrator would kill it anyway, with nothing closed).
SHUTDOWN_STEP_SECONDS = 10.0


async def _bounded(step: Awaitable[object], what: str) -> None:
    try:
        await asyncio.wait_for(step, SHUTDOWN_STEP_SECONDS)
    except TimeoutError:
        log.warning("shutdown: %s did not finish in %.0f s; going on", what, SHUTDOWN_STEP_SECONDS)


DESCRIPTION = """Live KPI figures of customer-service agreements, computed from the buckets
the metrics workers write. See docs/kpis.md for the definition of every figure."""


def create_app(
    api_settings: ApiSettings | None = None,
    db_settings: DatabaseSettings | None = None,
    kafka_settings: KafkaSettings | None = None,
    *,
    open_reader: ReaderFactory | None = None,
    refresh_interval_seconds: float = 5.0,
    load_agreements: AgreementLoader | None = None,
    agreements_refresh_seconds: float = 5.0,
    security: SecuritySettings | None = None,
    lookup_key: KeyLookup | None = None,
    report_settings: ReportSettings | None = None,
    connectors: ConnectorsSettings | None = None,
) -> FastAPI:
    """A new API app; `open_reader` replaces the database as the source of buckets,
    `load_agreements` as the source of agreements (then nothing is seeded), `lookup_key`
    as the store of API keys."""
    api = api_settings or ApiSettings()
    db = db_settings or DatabaseSettings()
    kafka = kafka_settings or KafkaSettings()
    auth = security or SecuritySettings()
    report = report_settings or ReportSettings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = make_engine(db)
        sessions = make_sessionmaker(engine)
        app.state.authenticator = Authenticator(auth, lookup_key or key_lookup(sessions))
        app.state.metrics_token = api.metrics_token
        app.state.connectors_settings = connectors or ConnectorsSettings()
        # Agreements live in PostgreSQL; the catalog holds them in memory (services/api/catalog.py).
        if load_agreements is None:
            await seed_missing(sessions, api.agreements_file)
        catalog = AgreementCatalog(
            load_agreements or stored_agreements(sessions),
            AgreementPublisher(kafka),
            agreements_refresh_seconds,
        )
        await catalog.refresh()
        agreements = catalog.agreements
        app.state.agreement_catalog = catalog
        readers = open_reader or sql_readers(sessions)
        # One event per status change, any replica: stored with the change, relayed from there.
        status_events = SlaStatusPublisher(kafka, api.status_ack_timeout_seconds)
        relay = StatusEventRelay(
            sessions,
            status_events,
            interval_seconds=api.status_relay_interval_seconds,
            retention_seconds=api.status_outbox_retention_days * 86400,
        )
        app.state.status_relay = relay
        recorder = StatusChangeRecorder(sessions, on_recorded=relay.wake)
        cache = FiguresCache(agreements, readers, refresh_interval_seconds, recorder)
        registry = make_registry(cache)
        event_counts = EventCountsCollector(agreements)
        registry.register(event_counts)
        app.state.runtime = Runtime(agreements, sessions, readers, cache, registry, kafka)
        notifier = Notifications(kafka, report)  # report.issued events and mails
        app.state.report_notifier = notifier
        tasks = [
            asyncio.create_task(cache.run(), name="figures-cache-refresh"),
            asyncio.create_task(catalog.run(), name="agreements-refresh"),
            asyncio.create_task(
                event_counts.run(sessions, refresh_interval_seconds), name="event-counts-refresh"
            ),
        ]
        relaying = asyncio.create_task(relay.run(), name="sla-status-relay")
        if report.schedule_enabled:
            scheduler = ReportScheduler(
                sessions,
                readers,
                lambda: [info.agreement for info in agreements.values()],
                report,
                notifier,
            )
            tasks.append(asyncio.create_task(scheduler.run(), name="report-schedule"))
        try:
            yield
        finally:
            relay.stop()  # let a turn in progress mark what it sent, within the bound
            await _bounded(asyncio.wait({relaying}), "the SLA status relay")
            for task in [*tasks, relaying]:
                task.cancel()
            await _bounded(
                asyncio.gather(*tasks, relaying, return_exceptions=True), "background tasks"
            )
            await _bounded(catalog.close(), "the agreement publisher")
            await _bounded(status_events.close(), "the SLA status publisher")
            await _bounded(notifier.close(), "the report publisher")
            await _bounded(engine.dispose(), "the database pool")

    app = FastAPI(title="slawatch API", version="1", description=DESCRIPTION, lifespan=lifespan)
    install_problem_handlers(app)
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(BodyDeadlineMiddleware)  # a body trickling in is a 408 after 10 s
    app.include_router(health.router)  # the probes: open (docs/security.md)
    # Every client's figures: the scrape token or an admin key.
    app.include_router(health.metrics_router, dependencies=SCRAPER, responses=AUTH_RESPONSES)
    # Everything else needs an API key; tests/component/test_api_security.py checks every route.
    routers = (kpis.router, tickets.router, history.router, agreement_routes.router, reports.router)
    for router in routers:
        app.include_router(router, dependencies=AUTHORIZED, responses=AUTH_RESPONSES)
    app.include_router(data_quality.router, dependencies=AUTHORIZED, responses=AUTH_RESPONSES)
    app.include_router(status.router, dependencies=AUTHORIZED, responses=AUTH_RESPONSES)
    app.include_router(calendars.router, dependencies=AUTHORIZED, responses=AUTH_RESPONSES)
    app.include_router(connectors_routes.router, dependencies=AUTHORIZED, responses=AUTH_RESPONSES)
    return app


def run() -> None:
    """Serve the API with the settings from the environment."""
    settings = ApiSettings()
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port)


if __name__ == "__main__":
    run()
