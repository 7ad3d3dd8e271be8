"""Dated changes of the per-priority clock targets: an item is judged by the target in effect
at its own event time (docs/kpis.md), in engine and oracle alike, also after a replay."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from services.core.agreements.model import AgreementInput, resolve
from services.core.contract.events import EventBase, parse_event
from services.core.kpi.entities import compact, event_order
from services.core.kpi.open_tickets import open_ticket_view
from services.core.kpi.params import MeasurementParams, load_measurement_params
from services.core.messaging.agreement_topic import decode_params, encode
from tests.engine_harness import Harness
from tests.oracle import figures as oracle
from tests.unit.test_agreement_model import draft

PARAMS = load_measurement_params(Path(__file__).parents[2] / "deploy/agreements/demo.yaml")
A = "globex-hotline"  # 24/7; urgent targets: FRT 600 s, resolution 7200 s
CHANGE = "2026-10-15T00:00:00Z"
_ids = itertools.count()


def with_changes(*changes: dict[str, Any]) -> dict[str, MeasurementParams]:
    document = {**PARAMS[A].model_dump(), "clock_target_changes": list(changes)}
    return {**PARAMS, A: MeasurementParams.model_validate(document)}


def urgent(seconds: float) -> dict[str, float]:
    return {"low": 86_400, "normal": 43_200, "high": 7_200, "urgent": seconds}


# Mid-month: urgent FRT 600 s -> 1800 s, urgent resolution 7200 s -> 3600 s.
CHANGED = with_changes(
    {
        "effective_from": CHANGE,
        "frt_target_seconds": urgent(1800),
        "resolution_target_seconds": urgent(3600),
    }
)


def ev(type_: str, at: str, ticket: str, **fields: Any) -> EventBase:
    return parse_event(
        {
            "event_id": f"c{next(_ids):04d}",
            "type": type_,
            "occurred_at": f"2026-10-{at}Z",
            "agreement_id": A,
            "ticket_id": ticket,
            **fields,
        }
    )


def ticket(name: str, created: str, replied: str, resolved: str | None = None) -> list[EventBase]:
    fields = {"customer_id": "c", "channel": "email", "priority": "urgent"}
    events = [
        ev("ticket.created", created, name, **fields),
        ev("ticket.replied", replied, name, author="agent", agent_id="a1"),
    ]
    if resolved:
        events.append(ev("ticket.resolved", resolved, name, agent_id="a1"))
    return events


EVENTS = [
    *ticket("t5", "05T08:00:00", "05T08:08:20"),  # 500 s: met under both targets
    *ticket("t1", "10T10:00:00", "10T10:20:00", "10T11:40:00"),  # 1200 s > 600; 6000 s <= 7200
    # Created before the change, replied and resolved after it: judged by the new targets.
    *ticket("t2", "14T23:50:00", "15T00:10:00", "15T01:30:00"),  # 1200 <= 1800; 6000 > 3600
    *ticket("t3", "20T10:00:00", "20T10:20:00"),  # 1200 s <= 1800
    *ticket("t4", "20T11:00:00", "20T11:40:00"),  # 2400 s > 1800
]


def figures(
    params: dict[str, MeasurementParams], processed_with: dict[str, MeasurementParams] | None
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(engine, oracle) figures of the month: the engine processes the history with
    `processed_with` first (if given), then replays it from scratch with `params`."""
    if processed_with is not None:
        before = Harness(processed_with)
        before.publish(EVENTS)
        before.consume()
        log = before.log
    replay = Harness(params)
    if processed_with is not None:
        replay.log = log
    else:
        replay.publish(EVENTS)
    replay.consume()
    stream_time = replay.stream_time(A)
    assert stream_time is not None
    assert stream_time == oracle.stream_time(EVENTS, A)
    result = replay.evaluate(A, "2026-10")
    want = oracle.batch_figures(
        EVENTS, params, A, result.start, result.end, stream_time, calendar_period=True
    )
    return dict(result.figures), want


def attainment(got: dict[str, Any], name: str) -> tuple[float | None, int]:
    return got[name].value, got[name].n


def test_replies_before_and_after_a_mid_month_change_meet_their_own_target() -> None:
    engine, want = figures(CHANGED, None)
    assert attainment(engine, "frt_attainment") == (3 / 5, 5)  # t5, t2, t3 met
    assert attainment(engine, "resolution_attainment") == (1 / 2, 2)  # t1 met, t2 missed
    for name in ("frt_attainment", "resolution_attainment", "frt_mean_seconds"):
        assert attainment(want, name) == attainment(engine, name), name


def test_without_the_change_the_old_targets_judge_every_item() -> None:
    engine, want = figures(PARAMS, None)
    assert attainment(engine, "frt_attainment") == attainment(want, "frt_attainment") == (0.2, 5)
    assert attainment(engine, "resolution_attainment") == (1.0, 2)
    assert attainment(want, "resolution_attainment") == (1.0, 2)


def test_a_change_written_after_processing_applies_by_event_time_on_replay() -> None:
    engine, want = figures(CHANGED, processed_with=PARAMS)
    assert attainment(engine, "frt_attainment") == attainment(want, "frt_attainment") == (0.6, 5)
    assert attainment(engine, "resolution_attainment") == (0.5, 2)
    assert attainment(want, "resolution_attainment") == (0.5, 2)


def test_a_change_naming_one_target_keeps_the_other_and_later_changes_win() -> None:
    params = with_changes(
        {"effective_from": "2026-10-12T00:00:00Z", "frt_target_seconds": urgent(1800)},
        {"effective_from": "2026-10-20T10:10:00Z", "frt_target_seconds": urgent(3000)},
    )
    engine, want = figures(params, None)
    # t1 (10th) 600 s: miss; t2 1800: met; t3, t4 replied after the second change: met.
    assert attainment(engine, "frt_attainment") == attainment(want, "frt_attainment") == (0.8, 5)
    assert attainment(engine, "resolution_attainment") == (1.0, 2)  # 7200 s throughout
    assert attainment(want, "resolution_attainment") == (1.0, 2)


def test_an_open_tickets_deadlines_use_the_target_in_effect_when_their_clock_starts() -> None:
    params = CHANGED[A]

    def view(events: list[EventBase]) -> Any:
        found = open_ticket_view(sorted(map(compact, events), key=event_order), params)
        assert found is not None
        return found

    before, after = (
        ticket("t1", "14T23:50:00", "15T00:00:00"),
        ticket("t3", "20T10:00:00", "21T00:00:00"),
    )
    before, after = before[:1], after[:1]  # not replied yet
    assert view(before).first_response_due_at == view(before).created_at + 600
    assert view(before).resolution_due_at == view(before).created_at + 7200
    assert view(after).first_response_due_at == view(after).created_at + 1800
    assert view(after).resolution_due_at == view(after).created_at + 3600
    # A cycle reopened after the change runs against the new resolution target.
    reopened = ev("ticket.reopened", "16T00:00:00", "t2")
    cycle = view([*ticket("t2", "14T23:50:00", "15T00:10:00", "15T01:30:00"), reopened])
    assert cycle.first_response_due_at is None
    assert cycle.resolution_due_at == reopened.occurred_at_epoch + 3600


def test_clock_target_changes_are_validated_with_clear_messages() -> None:
    base = PARAMS[A].model_dump()
    later = {"effective_from": "2026-11-01T00:00:00Z", "frt_target_seconds": urgent(900)}
    earlier = {"effective_from": "2026-10-01T00:00:00+02:00", "frt_target_seconds": urgent(900)}
    cases = {
        "must be sorted by effective_from, oldest first": [later, earlier],
        "two clock target changes are effective 2026-11-01T00:00:00+00:00": [later, later],
        "gives neither frt_target_seconds nor resolution_target_seconds": [
            {"effective_from": "2026-11-01T00:00:00Z"}
        ],
        "timezone": [{**later, "effective_from": "2026-11-01T00:00:00"}],
    }
    for message, changes in cases.items():
        with pytest.raises(ValidationError, match=re.escape(message)):
            MeasurementParams.model_validate({**base, "clock_target_changes": changes})
    valid = MeasurementParams.model_validate({**base, "clock_target_changes": [earlier, later]})
    assert valid.clock_target_changes[0].effective_from == datetime(2026, 9, 30, 22, tzinfo=UTC)
    assert PARAMS[A].clock_target_changes == ()  # today's format: the targets of all time


def test_an_agreement_carries_its_changes_to_the_workers() -> None:
    change = {"effective_from": CHANGE, "resolution_target_seconds": urgent(3600)}
    agreement = resolve(
        AgreementInput.model_validate(draft(clock_target_changes=[change])),
        (),
        datetime(2026, 11, 1, tzinfo=UTC),
    )
    params, _ = decode_params(encode(agreement))
    assert params == agreement.measurement_params()
    at = datetime(2026, 10, 15, tzinfo=UTC).timestamp()
    assert params.clock_target("resolution_target_seconds", "urgent", at - 1) == 900
    assert params.clock_target("resolution_target_seconds", "urgent", at) == 3600
    assert params.clock_target("frt_target_seconds", "urgent", at) == 900
