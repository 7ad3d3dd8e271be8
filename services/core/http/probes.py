"""Readiness checks of ingest's dependencies, bounded so a hung one cannot hang the probe."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.core.storage.repository import ping

PROBE_TIMEOUT_SECONDS = 2.0
Probe = Callable[[], Awaitable[None]]


def database_probe(sessions: async_sessionmaker[AsyncSession]) -> Probe:
    """A check that raises unless PostgreSQL answers `SELECT 1`."""

    async def probe() -> None:
        async with sessions() as session:
            await ping(session)

    return probe


async def outcome(check: Awaitable[object], timeout_seconds: float = PROBE_TIMEOUT_SECONDS) -> str:
    """`ok`, or why `check` failed or did not finish within the timeout."""
    try:
        async with asyncio.timeout(timeout_seconds):
            await check
    except TimeoutError:
        return f"timed out after {timeout_seconds:g} s"
    except Exception as exc:  # any failure means "not ready"; say which one
        return f"{type(exc).__name__}: {exc}".rstrip(": ")
    return "ok"
