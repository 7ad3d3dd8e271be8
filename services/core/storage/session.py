"""Engine and session factory for the async PostgreSQL driver (asyncpg).

One engine per process; sessions are short-lived units of work. Sessions do not expire
objects on commit because callers often read attributes after committing, and lazy refreshes
are not possible under asyncio.
"""

from __future__ import annotations

import orjson
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from services.core.settings import DatabaseSettings

CONNECT_TIMEOUT_SECONDS = 10.0


def make_engine(settings: DatabaseSettings) -> AsyncEngine:
    """An engine for `settings.database_url`; connections are checked before reuse."""
    return create_async_engine(
        settings.database_url.get_secret_value(),
        pool_size=settings.database_pool_size,
        # A restarted PostgreSQL leaves dead connections in the pool; test them on checkout.
        pool_pre_ping=True,
        # A server that stops answering (not refusing) would hold a request for asyncpg's
        # 60 s connect timeout; fail sooner so callers answer 503 within seconds.
        connect_args={"timeout": CONNECT_TIMEOUT_SECONDS},
        # Bucket aggregates are JSONB: the worker saves thousands a second, the API reads
        # them back for every figure, so encode and decode them with orjson.
        json_serializer=_json_dumps,
        json_deserializer=orjson.loads,
    )


def _json_dumps(value: object) -> str:
    return orjson.dumps(value).decode()


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions bound to `engine` that keep loaded attributes readable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False)
