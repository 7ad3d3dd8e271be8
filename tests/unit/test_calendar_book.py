"""A worker's feed puts shared calendars into the agreements that name them, and a calendar
change reaches the clock and the open-ticket deadlines (the at-risk view) without a restart.
No broker: messages are applied as the feed's consumer would hand them over."""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from aiokafka import ConsumerRecord

from services.admin.load_holidays import with_year
from services.core.agreements.calendars import Calendar, to_document
from services.core.agreements.holidays import parse_hours
from services.core.kpi.entities import TYPE_RANK, EntityEvent
from services.core.kpi.open_tickets import open_ticket_view
from services.core.kpi.params import DAY_NAMES, BusinessCalendar, MeasurementParams
from services.core.settings import KafkaSettings
from services.metrics.agreements_feed import AgreementsFeed

DESK = parse_hours("09:00-12:00,13:00-18:00")
PLAIN = Calendar(
    calendar_id="cn-default",
    name="CN desk",
    years={2026: BusinessCalendar(weekly_hours={d: DESK for d in DAY_NAMES[:5]})},
)
CN = with_year(PLAIN, "cn-default", "CN desk", "CN", 2026, DESK)
TARGETS = {"low": 3600, "normal": 4 * 3600, "high": 3600, "urgent": 900}
AGREEMENT = {
    "agreement_id": "cn-support",
    "timezone": "Asia/Shanghai",
    "calendar_id": "cn-default",
    "frt_target_seconds": TARGETS,
    "resolution_target_seconds": TARGETS,
    "client": "acme",
}
_offsets = iter(range(1_000))


def record(key: str, value: dict[str, Any] | None, version: int) -> ConsumerRecord[bytes, bytes]:
    return ConsumerRecord(
        topic="t",
        partition=0,
        offset=next(_offsets),
        timestamp=0,
        timestamp_type=0,
        key=key.encode(),
        value=None if value is None else json.dumps(value).encode(),
        checksum=None,
        serialized_key_size=len(key),
        serialized_value_size=0,
        headers=[("version", str(version).encode())],
    )


def calendar(document: Calendar, version: int) -> ConsumerRecord[bytes, bytes]:
    return record("calendar:cn-default", to_document(document), version)


def first_response_due(params: MeasurementParams) -> float | None:
    # Created Fri 13 Feb 2026 16:00 Shanghai; FRT target (normal) 4 business hours.
    created = datetime.fromisoformat("2026-02-13T16:00+08:00").timestamp()
    event: EntityEvent = {
        "t": created,
        "r": TYPE_RANK["ticket.created"],
        "id": "c",
        "k": "ticket.created",
        "priority": "normal",
    }
    view = open_ticket_view([event], params)
    assert view is not None
    return view.first_response_due_at


def test_a_calendar_change_reaches_the_agreements_that_name_it() -> None:
    feed = AgreementsFeed(KafkaSettings(), {})
    feed.apply(record("cn-support", AGREEMENT, 1))
    assert "cn-support" not in feed.agreements  # waits for its calendar, never 24/7

    feed.apply(calendar(PLAIN, 1))
    # Weekly hours only: Fri 16-18 (2 h), then Mon 16 Feb 09:00-11:00.
    due = first_response_due(feed.agreements["cn-support"])
    assert due == datetime.fromisoformat("2026-02-16T11:00+08:00").timestamp()

    feed.apply(calendar(CN, 2))
    # With the make-up Saturday 14 Feb: Fri 2 h, then Sat 09:00-11:00.
    due = first_response_due(feed.agreements["cn-support"])
    assert due == datetime.fromisoformat("2026-02-14T11:00+08:00").timestamp()

    feed.apply(calendar(PLAIN, 1))  # a slow replica republishing an older version
    assert feed.agreements["cn-support"].calendar == CN

    feed.apply(record("calendar:cn-default", None, 0))  # removed: the agreement waits again
    assert "cn-support" not in feed.agreements


def test_an_agreement_with_an_inline_calendar_is_taken_as_it_is() -> None:
    inline = {**AGREEMENT, "calendar_id": None, "calendar": {"weekly_hours": {}}}
    feed = AgreementsFeed(KafkaSettings(), {})
    feed.apply(record("cn-support", inline, 1))
    assert feed.agreements["cn-support"].calendar == BusinessCalendar(weekly_hours={})


def test_a_reload_keeps_weekly_and_special_hours_edited_by_hand() -> None:
    eve = date(2026, 9, 30)
    half_day = parse_hours("09:00-12:00,13:00-15:00")
    weekly = {**PLAIN.years[2026].weekly_hours, "sat": parse_hours("10:00-14:00")}
    edited = Calendar(
        calendar_id="cn-default",
        name="CN desk",
        years={2026: BusinessCalendar(weekly_hours=weekly, special_hours={eve: half_day})},
    )
    reloaded = with_year(edited, "cn-default", "ignored", "CN", 2026, DESK).years[2026]
    assert reloaded.special_hours[eve] == half_day
    assert reloaded.weekly_hours["sat"] == parse_hours("10:00-14:00")
    # Make-up Saturdays now fall on an open weekday: a full day as special hours.
    assert reloaded.special_hours[date(2026, 2, 14)] == DESK
    assert date(2026, 9, 20) in reloaded.extra_working_days  # a Sunday
