"""Agreements in PostgreSQL: current documents, target versions and improvement measures.

Reads come from `agreements.document` (one row per agreement). `agreement_targets` is the
append-only record of target versions: `save_agreement` adds the versions it has not seen and
puts every stored version back into the document, so no write can drop history.
`improvement_measures` mirrors the document's measures for queries. Callers own the
transaction; `lock_agreement` serialises read-merge-write cycles on one agreement.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.core.agreements.model import Agreement, to_document
from services.core.agreements.targets import TargetVersion, combine
from services.core.storage.models import AgreementRow, AgreementTargetRow, ImprovementMeasureRow

log = logging.getLogger(__name__)
# First key of the two-key advisory locks on agreements (a key space of its own, so it can
# never meet the single-key migration lock).
LOCK_NAMESPACE = 0x5A6
_COLUMNS = (
    AgreementRow.document,
    AgreementRow.version,
    AgreementRow.created_at,
    AgreementRow.updated_at,
)


@dataclass(frozen=True, slots=True)
class StoredAgreement:
    """An agreement as stored, with its change counter and timestamps."""

    agreement: Agreement
    version: int
    created_at: datetime
    updated_at: datetime


async def lock_agreement(session: AsyncSession, agreement_id: str) -> None:
    """Hold a lock on `agreement_id` until the transaction ends."""
    await session.execute(
        select(func.pg_advisory_xact_lock(LOCK_NAMESPACE, func.hashtext(agreement_id)))
    )


async def get_agreement(session: AsyncSession, agreement_id: str) -> StoredAgreement | None:
    query = select(*_COLUMNS).where(AgreementRow.agreement_id == agreement_id)
    row = (await session.execute(query)).one_or_none()
    return None if row is None else _stored(*row)


def _stored(
    document: dict[str, Any], version: int, created_at: datetime, updated_at: datetime
) -> StoredAgreement:
    return StoredAgreement(Agreement.model_validate(document), version, created_at, updated_at)


async def list_agreements(
    session: AsyncSession, client: str | None = None
) -> list[StoredAgreement]:
    """Every agreement (of `client`), by id; a document that no longer validates is skipped."""
    query = select(*_COLUMNS).order_by(AgreementRow.agreement_id)
    if client is not None:
        query = query.where(AgreementRow.client == client)
    stored = []
    for row in await session.execute(query):
        try:
            stored.append(_stored(*row))
        except ValidationError:
            log.exception("stored agreement %s is invalid; skipped", row[0].get("agreement_id"))
    return stored


async def target_history(session: AsyncSession, agreement_id: str) -> list[TargetVersion]:
    """Every stored version of every target of the agreement."""
    rows = await session.scalars(
        select(AgreementTargetRow.definition).where(AgreementTargetRow.agreement_id == agreement_id)
    )
    return [TargetVersion.model_validate(definition) for definition in rows]


async def save_agreement(session: AsyncSession, agreement: Agreement) -> StoredAgreement:
    """Store `agreement` plus its stored target history; the version counts real changes.

    Raises `TargetVersionConflict` when a target version would differ from the stored one.
    """
    agreement_id = agreement.agreement_id
    history = await target_history(session, agreement_id)
    targets = combine(history, agreement.targets)
    full = Agreement(**{**dict(agreement), "targets": tuple(targets)})
    document = to_document(full)
    stmt = insert(AgreementRow).values(
        agreement_id=agreement_id,
        client=full.client,
        provider=full.provider,
        name=full.name,
        document=document,
        version=1,
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[AgreementRow.agreement_id],
        set_={
            **{c: stmt.excluded[c] for c in ("client", "provider", "name", "document")},
            "version": AgreementRow.version + 1,
            "updated_at": func.now(),
        },
        # Writing the same document again (a repeated sync) is not a change.
        where=AgreementRow.document.is_distinct_from(stmt.excluded.document),
    )
    await session.execute(stmt)
    known = {(v.target_id, v.effective_from) for v in history}
    rows = [
        {
            "agreement_id": agreement_id,
            "target_id": t.target_id,
            "effective_from": t.effective_from,
            "definition": t.model_dump(mode="json"),
        }
        for t in targets
        if (t.target_id, t.effective_from) not in known
    ]
    if rows:
        await session.execute(insert(AgreementTargetRow).on_conflict_do_nothing(), rows)
    await _save_measures(session, agreement_id, document["measures"])
    stored = await get_agreement(session, agreement_id)
    assert stored is not None  # written above, in this transaction
    return stored


async def _save_measures(
    session: AsyncSession, agreement_id: str, measures: list[dict[str, Any]]
) -> None:
    await session.execute(
        delete(ImprovementMeasureRow).where(
            ImprovementMeasureRow.agreement_id == agreement_id,
            ImprovementMeasureRow.measure_id.not_in([m["measure_id"] for m in measures]),
        )
    )
    if not measures:
        return
    stmt = insert(ImprovementMeasureRow)
    stmt = stmt.on_conflict_do_update(
        index_elements=[ImprovementMeasureRow.agreement_id, ImprovementMeasureRow.measure_id],
        set_={"definition": stmt.excluded.definition, "updated_at": func.now()},
        where=ImprovementMeasureRow.definition.is_distinct_from(stmt.excluded.definition),
    )
    rows = [
        {"agreement_id": agreement_id, "measure_id": m["measure_id"], "definition": m}
        for m in measures
    ]
    await session.execute(stmt, rows)


async def delete_agreement(session: AsyncSession, agreement_id: str) -> bool:
    """Remove an agreement with its history and measures (KPI buckets stay); False if absent."""
    result = await session.execute(
        delete(AgreementRow)
        .where(AgreementRow.agreement_id == agreement_id)
        .returning(AgreementRow.agreement_id)
    )
    return result.first() is not None
