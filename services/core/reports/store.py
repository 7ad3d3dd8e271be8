"""Reports in PostgreSQL: issued versions (immutable; services/core/storage/document_versions.py)
and the free-text drafts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.core.reports.model import FreeText, Report
from services.core.storage.document_versions import StoredVersion, VersionTable
from services.core.storage.models import ReportDraftRow, ReportVersionRow


@dataclass(frozen=True, slots=True)
class StoredReport(StoredVersion):
    def report(self) -> Report:
        return Report.model_validate(self.content)


_TABLE = VersionTable(ReportVersionRow, "period", "report", StoredReport)
lock_report = _TABLE.lock
versions = _TABLE.versions
version = _TABLE.version
next_version = _TABLE.next_version
add_version = _TABLE.add_version


async def draft(session: AsyncSession, agreement_id: str, period: str) -> FreeText:
    row = await session.get(ReportDraftRow, (agreement_id, period))
    return FreeText() if row is None else FreeText.model_validate(row.free_text)


async def save_draft(
    session: AsyncSession,
    agreement_id: str,
    period: str,
    free_text: FreeText,
    at: datetime,
    by: str,
) -> None:
    values = {
        "agreement_id": agreement_id,
        "period": period,
        "free_text": free_text.model_dump(mode="json"),
        "updated_at": at,
        "updated_by": by,
    }
    statement = insert(ReportDraftRow).values(**values)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=["agreement_id", "period"],
            set_={k: statement.excluded[k] for k in ("free_text", "updated_at", "updated_by")},
        )
    )
