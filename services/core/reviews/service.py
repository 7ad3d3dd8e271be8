"""Issuing a review pack: build it from the current figures, store a new version.

A new version is stored only when something a reader sees differs from the latest one;
its `changes` list the target figures that differ, by path (as the monthly report's do).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.core.agreements.model import Agreement
from services.core.reports import lifecycle
from services.core.reports.model import ReportState
from services.core.reviews import store
from services.core.reviews.actions import ActionItemSource
from services.core.reviews.build import build_pack
from services.core.reviews.fetch import fetch_pack_inputs
from services.core.reviews.inputs import EFFECT_DAYS
from services.core.reviews.model import ReviewPack
from services.core.reviews.store import StoredPack
from services.core.storage.kpi_reader import KpiReader

# Header fields that say when and as which version a pack was made, not what it says.
_VOLATILE = ("generated_at", "stream_time", "version")


def content_hash(pack: ReviewPack) -> str:
    """SHA-256 of the pack's canonical JSON (sorted keys, no spaces, UTF-8)."""
    return hashlib.sha256(lifecycle.canonical(pack.model_dump(mode="json"))).hexdigest()


def same_content(before: dict[str, Any], after: dict[str, Any]) -> bool:
    def seen(document: dict[str, Any]) -> dict[str, Any]:
        head = {k: v for k, v in document["header"].items() if k not in _VOLATILE}
        return {**document, "header": head}

    return seen(before) == seen(after)


def changes(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """The target rows and trend points that differ, e.g. `targets[aht].quarter.n`."""
    figures = ("targets", "trends")
    old, new = ({k: d.get(k) for k in figures} for d in (before, after))
    return [c.as_dict() for c in lifecycle.changes(old, new)]


async def preview(
    reader: KpiReader,
    agreement: Agreement,
    quarter: str,
    *,
    now: datetime,
    actions: ActionItemSource | None = None,
    state: ReportState = "preliminary",
    effect_days: int = EFFECT_DAYS,
) -> ReviewPack:
    """The pack as it would be issued now (version 0: not stored)."""
    inputs = await fetch_pack_inputs(
        reader, agreement, quarter, now=now, actions=actions, state=state, effect_days=effect_days
    )
    return build_pack(inputs)


async def issue(
    session: AsyncSession,
    reader: KpiReader,
    agreement: Agreement,
    quarter: str,
    *,
    now: datetime,
    state: ReportState,
    issued_by: str,
    actions: ActionItemSource | None = None,
    effect_days: int = EFFECT_DAYS,
) -> tuple[StoredPack, bool]:
    """Store the next version unless it would equal the latest; (version, created).

    Call within a transaction: the pack's advisory lock is held until it ends."""
    await store.lock_pack(session, agreement.agreement_id, quarter)
    latest = await store.version(session, agreement.agreement_id, quarter)
    draft = await preview(
        reader, agreement, quarter, now=now, actions=actions, state=state, effect_days=effect_days
    )
    document = draft.model_dump(mode="json")
    if latest is not None and same_content(latest.content, document):
        return latest, False
    number = await store.next_version(session, agreement.agreement_id, quarter)
    pack = draft.model_copy(update={"header": draft.header.model_copy(update={"version": number})})
    stored = StoredPack(
        agreement_id=agreement.agreement_id,
        period=quarter,
        version=number,
        state=state,
        content=pack.model_dump(mode="json"),
        content_hash=content_hash(pack),
        changes=[] if latest is None else changes(latest.content, document),
        issued_at=now,
        issued_by=issued_by,
    )
    await store.add_version(session, stored)
    return stored, True
