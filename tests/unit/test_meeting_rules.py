"""Pure rules of the review meeting record: quarters, links, completeness, item -> measure."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from services.core.agreements.model import Agreement, load_agreement_inputs, resolve
from services.core.meetings.model import (
    ActionItem,
    Attendee,
    MeetingRecord,
    parse_quarter,
    previous_quarter,
)
from services.core.meetings.rules import (
    InvalidMeeting,
    MeasureOptions,
    carry_links,
    check_complete,
    check_targets,
    measure_of,
    with_organisations,
)

DEMO = Path(__file__).resolve().parents[2] / "deploy/agreements/demo.yaml"


def agreement() -> Agreement:
    draft = load_agreement_inputs(DEMO)[0]
    return resolve(draft, [], datetime(2026, 10, 1, tzinfo=UTC))


def item(item_id: str = "scripts", **changes: Any) -> ActionItem:
    body = {"item_id": item_id, "title": "Scripts", "owner": "Dana", "due_date": "2026-11-30"}
    return ActionItem.model_validate({**body, **changes})


def record(*items: ActionItem, parties: tuple[str, ...] = ("client", "provider")) -> MeetingRecord:
    attendees = tuple(
        Attendee.model_validate({"name": p, "party": p, "role": "r"}) for p in parties
    )
    return MeetingRecord(meeting_date=date(2026, 10, 8), attendees=attendees, action_items=items)


@pytest.mark.parametrize(
    ("quarter", "before"),
    [("2026-Q4", "2026-Q3"), ("2027-Q1", "2026-Q4"), ("2026-Q2", "2026-Q1")],
)
def test_previous_quarter(quarter: str, before: str) -> None:
    assert previous_quarter(quarter) == before


@pytest.mark.parametrize("bad", ["2026-Q5", "2026-Q0", "2026-4", "26-Q1", "2026-q1"])
def test_bad_quarters_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="YYYY-Q1"):
        parse_quarter(bad)


def test_item_ids_are_unique_and_statuses_known() -> None:
    with pytest.raises(ValidationError, match="unique"):
        record(item(), item())
    with pytest.raises(ValidationError):
        item(status="maybe")


def test_targets_must_be_the_agreements() -> None:
    check_targets(record(item(targets=["aht", "csat"])), agreement())
    with pytest.raises(InvalidMeeting, match="nps") as refused:
        check_targets(record(item(targets=["aht", "nps"])), agreement())
    assert refused.value.kind == "unknown-target"


def test_closing_needs_both_parties() -> None:
    check_complete(record())
    with pytest.raises(InvalidMeeting, match="provider") as refused:
        check_complete(record(parties=("client",)))
    assert refused.value.kind == "meeting-incomplete"


def test_organisations_default_to_the_party_names() -> None:
    filled = with_organisations(record(), agreement())
    names = agreement().parties
    assert [a.organisation for a in filled.attendees] == [names.client.name, names.provider.name]


def test_links_are_kept_never_changed_or_dropped() -> None:
    stored = record(item(measure_id="m1"), item("other"))
    kept = carry_links(record(item(), item("other")), stored)
    assert [i.measure_id for i in kept.action_items] == ["m1", None]
    assert carry_links(record(item(measure_id="m1")), stored).action_items[0].measure_id == "m1"
    with pytest.raises(InvalidMeeting) as changed:
        carry_links(record(item(measure_id="m2")), stored)
    assert changed.value.kind == "invalid-meeting"
    with pytest.raises(InvalidMeeting) as dropped:
        carry_links(record(item("other")), stored)
    assert dropped.value.kind == "linked-item"
    with pytest.raises(InvalidMeeting):  # a link a client invents
        carry_links(record(item(measure_id="m1")), None)


def test_an_item_becomes_a_measure_with_its_targets_kpis_and_a_link_back() -> None:
    measure = measure_of(
        item(targets=["aht", "csat"], note="n"), "2026-Q4", agreement(), MeasureOptions()
    )
    assert (measure.measure_id, measure.kind, measure.title, measure.owner) == (
        "scripts",
        "other",
        "Scripts",
        "Dana",
    )
    assert (measure.planned_end, measure.notes, measure.status) == (
        date(2026, 11, 30),
        "n",
        "planned",
    )
    assert measure.kpis == ("aht_mean_seconds", "csat")
    assert measure.action_item is not None
    assert (measure.action_item.quarter, measure.action_item.item_id) == ("2026-Q4", "scripts")
    late_start = MeasureOptions(planned_start=date(2027, 1, 1))
    with pytest.raises(InvalidMeeting) as refused:
        measure_of(item(), "2026-Q4", agreement(), late_start)
    assert refused.value.kind == "invalid-measure"
