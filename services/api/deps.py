"""Request dependencies: the app's runtime objects, a database session, a KPI reader.

The lifespan in `main.py` builds one `Runtime` per app; dependencies read it from the app
state, so tests swap a piece by passing it to `create_app` or via `dependency_overrides`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated, cast

from fastapi import Depends, Request
from prometheus_client import CollectorRegistry
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.api.cache import FiguresCache
from services.api.catalog import AgreementCatalog, AgreementInfo
from services.core.settings import KafkaSettings
from services.core.storage.kpi_reader import KpiReader, ReaderFactory


@dataclass(frozen=True, slots=True)
class Runtime:
    """Everything the lifespan creates and the routes use."""

    agreements: dict[str, AgreementInfo]
    sessions: async_sessionmaker[AsyncSession]
    open_reader: ReaderFactory
    cache: FiguresCache
    registry: CollectorRegistry
    kafka: KafkaSettings


def get_runtime(request: Request) -> Runtime:
    return cast(Runtime, request.app.state.runtime)


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def get_session(runtime: RuntimeDep) -> AsyncIterator[AsyncSession]:
    async with runtime.sessions() as session:
        yield session


async def get_reader(runtime: RuntimeDep) -> AsyncIterator[KpiReader]:
    async with runtime.open_reader() as reader:
        yield reader


def get_agreements(runtime: RuntimeDep) -> dict[str, AgreementInfo]:
    return runtime.agreements


SessionDep = Annotated[AsyncSession, Depends(get_session)]
ReaderDep = Annotated[KpiReader, Depends(get_reader)]
AgreementsDep = Annotated[dict[str, AgreementInfo], Depends(get_agreements)]


def get_catalog(request: Request) -> AgreementCatalog:
    """The agreements catalog the lifespan keeps in `app.state.agreement_catalog`."""
    return cast(AgreementCatalog, request.app.state.agreement_catalog)


CatalogDep = Annotated[AgreementCatalog, Depends(get_catalog)]
