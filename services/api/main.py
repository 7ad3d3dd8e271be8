"""The query API: `python -m services.api.main` or `slawatch-api`.

`create_app` takes its settings as arguments so tests can build any number of independent
apps; the lifespan owns the engine, the agreements and the background cache refresh.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import uvicorn
from fastapi import FastAPI

from services.api.cache import FiguresCache
from services.api.catalog import load_agreements
from services.api.deps import Runtime
from services.api.instruments import make_registry
from services.api.problems import install_problem_handlers
from services.api.queries import ReaderFactory, sql_readers
from services.api.routes import health, kpis
from services.core.db.session import make_engine, make_sessionmaker
from services.core.settings import ApiSettings, DatabaseSettings, KafkaSettings

DESCRIPTION = """Live KPI figures of customer-service agreements, computed from the buckets
the metrics workers write. See docs/kpis.md for the definition of every figure."""


def create_app(
    api_settings: ApiSettings | None = None,
    db_settings: DatabaseSettings | None = None,
    kafka_settings: KafkaSettings | None = None,
    *,
    open_reader: ReaderFactory | None = None,
    refresh_interval_seconds: float = 5.0,
) -> FastAPI:
    """A new API app; `open_reader` replaces the database as the source of buckets."""
    api = api_settings or ApiSettings()
    db = db_settings or DatabaseSettings()
    kafka = kafka_settings or KafkaSettings()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        agreements = load_agreements(api.agreements_file)
        engine = make_engine(db)
        sessions = make_sessionmaker(engine)
        readers = open_reader or sql_readers(sessions)
        cache = FiguresCache(agreements, readers, refresh_interval_seconds)
        app.state.runtime = Runtime(
            agreements, sessions, readers, cache, make_registry(cache), kafka
        )
        refresher = asyncio.create_task(cache.run(), name="figures-cache-refresh")
        try:
            yield
        finally:
            refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await refresher
            await engine.dispose()

    app = FastAPI(title="slawatch API", version="1", description=DESCRIPTION, lifespan=lifespan)
    install_problem_handlers(app)
    app.include_router(kpis.router)
    app.include_router(health.router)
    return app


def run() -> None:
    """Serve the API with the settings from the environment."""
    settings = ApiSettings()
    uvicorn.run(create_app(settings), host=settings.host, port=settings.port)


if __name__ == "__main__":
    run()
