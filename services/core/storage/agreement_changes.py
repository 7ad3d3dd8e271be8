"""Changes to stored agreements: lock, read, merge, write, in the caller's transaction.

The API and the sync command both change agreements through these functions, so both follow
one set of rules (docs/agreements.md): targets are merged into their history, stored versions
are never rewritten, and concurrent writers of one agreement wait for each other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.core.agreements.model import Agreement, AgreementInput, ImprovementMeasure, resolve
from services.core.agreements.targets import TargetVersion, combine
from services.core.storage.agreements_repo import (
    StoredAgreement,
    get_agreement,
    lock_agreement,
    save_agreement,
    target_history,
)
from services.core.storage.calendars_repo import get_calendar


class AgreementNotFound(LookupError):
    """No stored agreement has this id."""


class TargetNotFound(LookupError):
    """The agreement has no target with this id."""


class CalendarNotFound(LookupError):
    """The agreement names a shared calendar that is not stored."""


async def put_agreement(
    session: AsyncSession, draft: AgreementInput, now: datetime
) -> tuple[StoredAgreement, bool]:
    """Create or replace an agreement as `draft` states it at `now`; (stored, created)."""
    if draft.calendar_id is not None and await get_calendar(session, draft.calendar_id) is None:
        raise CalendarNotFound(draft.calendar_id)  # else workers would wait for it for ever
    await lock_agreement(session, draft.agreement_id)
    existing = await get_agreement(session, draft.agreement_id)
    history = await target_history(session, draft.agreement_id)
    stored = await save_agreement(session, resolve(draft, history, now))
    return stored, existing is None


async def _current(session: AsyncSession, agreement_id: str) -> Agreement:
    await lock_agreement(session, agreement_id)
    stored = await get_agreement(session, agreement_id)
    if stored is None:
        raise AgreementNotFound(agreement_id)
    return stored.agreement


async def add_target_version(
    session: AsyncSession,
    agreement_id: str,
    target_id: str,
    effective_from: datetime,
    changes: Mapping[str, Any],
) -> StoredAgreement:
    """A new version of a target from `effective_from`: the version in effect then (or the
    first one, for an earlier instant) with `changes` applied. Restating an identical version
    changes nothing; a different one at a stored instant raises `TargetVersionConflict`.
    """
    agreement = await _current(session, agreement_id)
    versions = [t for t in agreement.targets if t.target_id == target_id]
    if not versions:
        raise TargetNotFound(target_id)
    earlier = [v for v in versions if v.effective_from <= effective_from]
    base = earlier[-1] if earlier else versions[0]
    version = TargetVersion(**{**base.model_dump(), **changes, "effective_from": effective_from})
    targets = combine(agreement.targets, [version])
    return await save_agreement(session, Agreement(**{**dict(agreement), "targets": targets}))


async def put_measure(
    session: AsyncSession, agreement_id: str, measure: ImprovementMeasure
) -> tuple[StoredAgreement, bool]:
    """Create or replace one improvement measure of an agreement; (stored, created)."""
    agreement = await _current(session, agreement_id)
    measures = {m.measure_id: m for m in agreement.measures}
    created = measure.measure_id not in measures
    measures[measure.measure_id] = measure
    update = {"measures": tuple(measures.values())}
    return await save_agreement(session, Agreement(**{**dict(agreement), **update})), created


async def create_missing(
    session: AsyncSession, drafts: Sequence[AgreementInput], now: datetime
) -> list[StoredAgreement]:
    """Create the agreements of `drafts` that are not stored; stored ones stay untouched."""
    created = []
    for draft in drafts:
        await lock_agreement(session, draft.agreement_id)
        if await get_agreement(session, draft.agreement_id) is None:
            history = await target_history(session, draft.agreement_id)
            created.append(await save_agreement(session, resolve(draft, history, now)))
    return created
