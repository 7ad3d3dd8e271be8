"""Meeting records in the real PostgreSQL: the previous quarter's action items for the pack,
and the trigger that keeps closed versions as they were."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from services.core.agreements.model import AgreementInput
from services.core.meetings import service
from services.core.meetings.model import ActionItem, Attendee, MeetingRecord
from services.core.meetings.rules import MeasureOptions
from services.core.storage import agreement_changes as changes
from tests.integration.agreements_support import demo_body

NOW = datetime(2026, 10, 2, 9, tzinfo=UTC)


def q3_record(*items: ActionItem) -> MeetingRecord:
    return MeetingRecord(
        meeting_date=date(2026, 10, 1),
        attendees=(
            Attendee(name="Li Wei", party="client", role="Service owner"),
            Attendee(name="Dana Okafor", party="provider", role="Account manager"),
        ),
        decisions=("Focus on the AHT target.",),
        action_items=items,
    )


def item(item_id: str, status: str = "open", targets: tuple[str, ...] = ("aht",)) -> ActionItem:
    return ActionItem.model_validate(
        {
            "item_id": item_id,
            "title": f"Do {item_id}",
            "owner": "SupportCo",
            "due_date": "2026-11-30",
            "targets": targets,
            "status": status,
        }
    )


async def test_previous_quarter_action_items_with_their_measures(
    db_session: AsyncSession, agreement_id: str
) -> None:
    body = AgreementInput.model_validate(demo_body(agreement_id))
    async with db_session.begin():
        stored, _ = await changes.put_agreement(db_session, body, NOW)
        agreement = stored.agreement
        record = q3_record(item("scripts"), item("kb-faq", "done"), item("old-idea", "dropped"))
        await service.put_record(db_session, agreement, "2026-Q3", record, NOW, "sw_admin")
    # a draft never closed is not part of the pack
    assert await service.previous_action_items(db_session, agreement_id, "2026-Q4") == []
    await db_session.rollback()  # end the read's transaction

    async with db_session.begin():
        await service.close(db_session, agreement_id, "2026-Q3", NOW, "sw_admin")
        _, measure, meeting = await service.make_measure(
            db_session, agreement_id, "2026-Q3", "scripts", MeasureOptions(), NOW, "sw_admin"
        )
    assert (meeting.version, meeting.state) == (2, "closed")
    assert measure.kpis == ("aht_mean_seconds",)
    async with db_session.begin():
        started = measure.model_copy(update={"status": "in_progress"})
        await changes.put_measure(db_session, agreement_id, started)

    states = await service.previous_action_items(db_session, agreement_id, "2026-Q4")
    got = [(s.item_id, s.status, s.measure_id, s.measure_status) for s in states]
    assert got == [
        ("scripts", "open", "scripts", "in_progress"),
        ("kb-faq", "done", None, None),
        ("old-idea", "dropped", None, None),
    ]
    assert {(s.quarter, s.meeting_version) for s in states} == {("2026-Q3", 2)}
    assert await service.previous_action_items(db_session, agreement_id, "2027-Q1") == []

    with pytest.raises(DBAPIError, match="closed and cannot change"):
        await db_session.execute(
            text("UPDATE review_meetings SET saved_by = 'x' WHERE agreement_id = :a"),
            {"a": agreement_id},
        )
    await db_session.rollback()
