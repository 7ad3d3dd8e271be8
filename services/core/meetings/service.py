"""Use cases of the meeting record, each in the caller's transaction.

Versions (docs/reports.md, "Quarterly review meeting record"): the first write makes
version 1, a draft, which later writes replace in place until it is closed; drafts are not
versioned. From then on every change (an edit, an action item turned into a measure) is a
new closed version; closed versions never change.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from services.core.agreements.model import Agreement, ImprovementMeasure
from services.core.meetings import store
from services.core.meetings.model import ActionItemState, MeetingRecord, previous_quarter
from services.core.meetings.rules import (
    MeasureOptions,
    MeetingConflict,
    MeetingNotFound,
    carry_links,
    check_complete,
    check_targets,
    measure_of,
    with_measure,
)
from services.core.meetings.store import StoredMeeting
from services.core.storage import agreement_changes as changes
from services.core.storage.agreements_repo import StoredAgreement, get_agreement, lock_agreement

Outcome = Literal["created", "updated", "new-version", "unchanged"]


async def _current(session: AsyncSession, agreement_id: str, quarter: str) -> StoredMeeting:
    await store.lock_meeting(session, agreement_id, quarter)
    current = await store.version(session, agreement_id, quarter)
    if current is None:
        detail = f"agreement {agreement_id!r} has no meeting record for {quarter}"
        raise MeetingNotFound("unknown-meeting", detail)
    return current


async def _write(
    session: AsyncSession, current: StoredMeeting, record: MeetingRecord, at: datetime, by: str
) -> tuple[StoredMeeting, Outcome]:
    if current.state == "draft":
        written = replace(current, record=record, saved_at=at, saved_by=by)
        await store.update_draft(session, written)
        return written, "updated"
    if record == current.record:
        return current, "unchanged"
    written = replace(
        current,
        version=current.version + 1,
        record=record,
        saved_at=at,
        saved_by=by,
        closed_at=at,
        closed_by=by,
    )
    await store.add(session, written)
    return written, "new-version"


async def put_record(
    session: AsyncSession,
    agreement: Agreement,
    quarter: str,
    record: MeetingRecord,
    at: datetime,
    by: str,
) -> tuple[StoredMeeting, Outcome]:
    """Write the record of `quarter`: the draft, or a new version once closed."""
    check_targets(record, agreement)
    agreement_id = agreement.agreement_id
    await store.lock_meeting(session, agreement_id, quarter)
    current = await store.version(session, agreement_id, quarter)
    record = carry_links(record, None if current is None else current.record)
    if current is None:
        created = StoredMeeting(agreement_id, quarter, 1, "draft", record, at, by, None, None)
        await store.add(session, created)
        return created, "created"
    return await _write(session, current, record, at, by)


async def close(
    session: AsyncSession, agreement_id: str, quarter: str, at: datetime, by: str
) -> tuple[StoredMeeting, bool]:
    """Close the draft (attendees of both parties needed); (stored, whether it changed)."""
    current = await _current(session, agreement_id, quarter)
    if current.state == "closed":
        return current, False
    check_complete(current.record)
    closed = replace(current, state="closed", closed_at=at, closed_by=by)
    await store.update_draft(session, closed)
    return closed, True


async def make_measure(
    session: AsyncSession,
    agreement_id: str,
    quarter: str,
    item_id: str,
    options: MeasureOptions,
    at: datetime,
    by: str,
) -> tuple[StoredAgreement, ImprovementMeasure, StoredMeeting]:
    """Turn an action item into a new measure of the agreement; the item records its id."""
    current = await _current(session, agreement_id, quarter)
    item = current.record.item(item_id)
    if item is None:
        detail = f"the {quarter} meeting record has no action item {item_id!r}"
        raise MeetingNotFound("unknown-action-item", detail)
    if item.measure_id is not None:
        detail = f"action item {item_id!r} already became measure {item.measure_id!r}"
        raise MeetingConflict("item-has-measure", detail)
    await lock_agreement(session, agreement_id)
    stored = await get_agreement(session, agreement_id)
    if stored is None:
        raise changes.AgreementNotFound(agreement_id)
    measure = measure_of(item, quarter, stored.agreement, options)
    if any(m.measure_id == measure.measure_id for m in stored.agreement.measures):
        detail = f"agreement {agreement_id!r} already has a measure {measure.measure_id!r}"
        raise MeetingConflict("measure-exists", detail)
    saved, _ = await changes.put_measure(session, agreement_id, measure)
    record = with_measure(current.record, item_id, measure.measure_id)
    meeting, _ = await _write(session, current, record, at, by)
    return saved, measure, meeting


async def previous_action_items(
    session: AsyncSession, agreement_id: str, quarter: str
) -> list[ActionItemState]:
    """The action items of the latest closed record of the quarter before `quarter`, with
    their status and their measure's status now; [] when that quarter has no closed record.
    A draft never closed is not part of the pack: both parties have not agreed it yet."""
    earlier = previous_quarter(quarter)
    meeting = await store.version(session, agreement_id, earlier, closed_only=True)
    if meeting is None:
        return []
    stored = await get_agreement(session, agreement_id)
    measures = {} if stored is None else {m.measure_id: m for m in stored.agreement.measures}
    states = []
    for item in meeting.record.action_items:
        measure = measures.get(item.measure_id) if item.measure_id else None
        states.append(
            ActionItemState(
                quarter=earlier,
                meeting_version=meeting.version,
                **item.model_dump(exclude={"measure_id"}),
                measure_id=item.measure_id,
                measure_status=None if measure is None else measure.status,
            )
        )
    return states
