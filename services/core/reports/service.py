"""Issuing a report: build it from the current figures and the draft, store a new version.

Used by the API (an admin issues) and by the scheduled job (month close, finalisation,
late data). A new version is stored only when something a reader sees differs from the
latest one; its `changes` list the figures that differ.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial

from sqlalchemy.ext.asyncio import AsyncSession

from services.core.agreements.model import Agreement
from services.core.reports import lifecycle, store
from services.core.reports.breakdowns import SliceProvider
from services.core.reports.build import build_report
from services.core.reports.fetch import fetch_inputs
from services.core.reports.model import Report, ReportState
from services.core.reports.store import StoredReport
from services.core.storage.connectors_repo import lossy_mappings
from services.core.storage.event_counts import read_counts
from services.core.storage.kpi_reader import KpiReader
from services.core.storage.ticket_breaches import top_breaches


async def preview(
    session: AsyncSession,
    reader: KpiReader,
    agreement: Agreement,
    period: str,
    *,
    now: datetime,
    state: ReportState = "preliminary",
    provider: SliceProvider | None = None,
) -> Report:
    """The report as it would be issued now (version 0: not stored), with the draft text."""
    free_text = await store.draft(session, agreement.agreement_id, period)
    inputs = await fetch_inputs(
        reader,
        agreement,
        period,
        now=now,
        provider=provider,
        free_text=free_text,
        state=state,
        counts=partial(read_counts, session),
        breaches=partial(top_breaches, session),
        lossy=partial(lossy_mappings, session),
    )
    return build_report(inputs)


async def issue(
    session: AsyncSession,
    reader: KpiReader,
    agreement: Agreement,
    period: str,
    *,
    now: datetime,
    state: ReportState,
    issued_by: str,
    provider: SliceProvider | None = None,
) -> tuple[StoredReport, bool]:
    """Store the next version unless it would equal the latest; (version, created).

    Call within a transaction: the report's advisory lock is held until it ends.
    """
    await store.lock_report(session, agreement.agreement_id, period)
    latest = await store.version(session, agreement.agreement_id, period)
    draft = await preview(
        session, reader, agreement, period, now=now, state=state, provider=provider
    )
    document = draft.model_dump(mode="json")
    if latest is not None and lifecycle.same_content(latest.content, document):
        return latest, False
    number = await store.next_version(session, agreement.agreement_id, period)
    header = draft.header.model_copy(update={"version": number})
    report = draft.model_copy(update={"header": header})
    changes = [] if latest is None else lifecycle.changes(latest.content, document)
    stored = StoredReport(
        agreement_id=agreement.agreement_id,
        period=period,
        version=number,
        state=state,
        content=report.model_dump(mode="json"),
        content_hash=lifecycle.content_hash(report),
        changes=[c.as_dict() for c in changes],
        issued_at=now,
        issued_by=issued_by,
    )
    await store.add_version(session, stored)
    return stored, True
