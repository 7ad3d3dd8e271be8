"""The batch oracle against hand-computed scenarios, one per definition of docs/kpis.md.

Every expected number below was worked out by hand from the doc, not from the code. Instants
are seconds after T0 (Monday 2026-03-02 00:00 UTC) unless a scenario needs a wall-clock date.
"""

from __future__ import annotations

import itertools
import math
import random
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from services.core.contract.events import (
    Author,
    CallAbandoned,
    CallAnswered,
    CallCompleted,
    CallOffered,
    Channel,
    EventBase,
    Priority,
    SurveySubmitted,
    TicketCreated,
    TicketReopened,
    TicketReplied,
    TicketResolved,
    TicketStatus,
    TicketStatusChanged,
)
from services.core.kpi.params import (
    BusinessCalendar,
    MeasurementParams,
    OpeningHours,
    PriorityTargets,
)
from tests.oracle.figures import (
    FIGURE_NAMES,
    Figure,
    batch_figures,
    period_bounds,
    stream_time,
    window_bounds,
)

T0 = datetime(2026, 3, 2, tzinfo=UTC).timestamp()
HOUR, DAY = 3_600.0, 86_400.0
AGREEMENT = "acme"
BERLIN = ZoneInfo("Europe/Berlin")

# ---------------------------------------------------------------- helpers

_ids = itertools.count()
When = float | datetime


def _envelope(at: When, eid: str | None, agreement: str) -> dict[str, object]:
    instant = at if isinstance(at, datetime) else datetime.fromtimestamp(T0 + at, UTC)
    return {
        "event_id": eid or f"e{next(_ids):05d}",
        "occurred_at": instant,
        "agreement_id": agreement,
    }


def created(
    ticket: str,
    at: When,
    priority: str = "normal",
    eid: str | None = None,
    agreement: str = AGREEMENT,
) -> TicketCreated:
    return TicketCreated(
        **_envelope(at, eid, agreement),
        type="ticket.created",
        ticket_id=ticket,
        customer_id="cust",
        channel=Channel.EMAIL,
        priority=Priority(priority),
    )


def reply(ticket: str, at: When, by: str = "agent", eid: str | None = None) -> TicketReplied:
    agent = "ag1" if by == "agent" else None
    return TicketReplied(
        **_envelope(at, eid, AGREEMENT),
        type="ticket.replied",
        ticket_id=ticket,
        author=Author(by),
        agent_id=agent,
    )


def status(ticket: str, at: When, to: str, eid: str | None = None) -> TicketStatusChanged:
    return TicketStatusChanged(
        **_envelope(at, eid, AGREEMENT),
        type="ticket.status_changed",
        ticket_id=ticket,
        status=TicketStatus(to),
    )


def resolved(ticket: str, at: When, eid: str | None = None) -> TicketResolved:
    return TicketResolved(
        **_envelope(at, eid, AGREEMENT), type="ticket.resolved", ticket_id=ticket, agent_id="ag1"
    )


def reopened(ticket: str, at: When, eid: str | None = None) -> TicketReopened:
    return TicketReopened(**_envelope(at, eid, AGREEMENT), type="ticket.reopened", ticket_id=ticket)


def offered(call: str, at: When, customer: str = "c1", eid: str | None = None) -> CallOffered:
    return CallOffered(
        **_envelope(at, eid, AGREEMENT),
        type="call.offered",
        call_id=call,
        customer_id=customer,
        queue="q1",
    )


def answered(call: str, at: When, customer: str = "c1") -> CallAnswered:
    return CallAnswered(
        **_envelope(at, None, AGREEMENT),
        type="call.answered",
        call_id=call,
        customer_id=customer,
        agent_id="ag1",
    )


def abandoned(call: str, at: When, customer: str = "c1") -> CallAbandoned:
    return CallAbandoned(
        **_envelope(at, None, AGREEMENT), type="call.abandoned", call_id=call, customer_id=customer
    )


def completed(
    call: str,
    at: When,
    customer: str = "c1",
    handle: tuple[float, float, float] = (100.0, 0.0, 0.0),
    ok: bool = True,
) -> CallCompleted:
    talk, hold, wrap = handle
    return CallCompleted(
        **_envelope(at, None, AGREEMENT),
        type="call.completed",
        call_id=call,
        customer_id=customer,
        talk_seconds=talk,
        hold_seconds=hold,
        wrap_seconds=wrap,
        resolved=ok,
    )


def survey(sid: str, at: When, score: int, eid: str | None = None) -> SurveySubmitted:
    return SurveySubmitted(
        **_envelope(at, eid, AGREEMENT),
        type="survey.submitted",
        survey_id=sid,
        ticket_id="t1",
        score=score,
    )


def make_params(**overrides: object) -> MeasurementParams:
    fields: dict[str, object] = {
        "agreement_id": AGREEMENT,
        "frt_target_seconds": PriorityTargets(low=8 * HOUR, normal=4 * HOUR, high=HOUR, urgent=900),
        "resolution_target_seconds": PriorityTargets(
            low=3 * DAY, normal=DAY, high=8 * HOUR, urgent=4 * HOUR
        ),
    }
    fields.update(overrides)
    return MeasurementParams.model_validate(fields)


def figures(
    events: Sequence[EventBase],
    params: MeasurementParams | None = None,
    start: float = T0 - 30 * DAY,
    end: float = T0 + 30 * DAY,
    now: float | None = None,
) -> dict[str, Figure]:
    """Figures over a window holding every scenario instant; stream time = last event."""
    p = params or make_params()
    t = now if now is not None else stream_time(events, AGREEMENT)
    return batch_figures(events, {AGREEMENT: p}, AGREEMENT, start, end, t or T0)


def value_n(fig: Figure) -> tuple[float | None, int]:
    return (fig.value, fig.n)


# ---------------------------------------------------------------- tickets

FRT_CASES = {
    "pause removed": (
        [
            created("t1", 0),
            status("t1", 600, "pending"),
            status("t1", 1800, "open"),
            reply("t1", 3600),
        ],
        2400.0,
    ),
    "customer reply does not count": (
        [created("t1", 0), reply("t1", 100, by="customer"), reply("t1", 500), reply("t1", 900)],
        500.0,
    ),
    "reply before created is 0": ([reply("t1", -100), created("t1", 0)], 0.0),
    "pause ended by reopened, replies do not unpause": (
        [
            created("t1", 0),
            status("t1", 100, "on_hold"),
            reply("t1", 150, by="customer"),
            reopened("t1", 400),
            reply("t1", 1000),
        ],
        700.0,
    ),
    "pause still running at the reply": (
        [created("t1", 0), status("t1", 200, "pending"), reply("t1", 1000)],
        200.0,
    ),
}


@pytest.mark.parametrize(("events", "frt"), FRT_CASES.values(), ids=FRT_CASES.keys())
def test_frt(events: list[EventBase], frt: float) -> None:
    got = figures(events)
    assert value_n(got["frt_mean_seconds"]) == (frt, 1)
    assert got["frt_p50_seconds"].value == frt
    assert got["frt_p90_seconds"].value == frt


def _berlin(day: int, hour: int, minute: int = 0) -> datetime:
    """A wall-clock instant in March 2026, Berlin (CET, UTC+1). 6 = Fri, 9 = Mon."""
    return datetime(2026, 3, day, hour, minute, tzinfo=BERLIN)


NINE_TO_FIVE = (OpeningHours(start=time(9), end=time(17)),)
OFFICE = BusinessCalendar(
    weekly_hours={day: NINE_TO_FIVE for day in ("mon", "tue", "wed", "thu", "fri")},
    holidays=frozenset({date(2026, 3, 16)}),  # a Monday
)
CALENDAR_CASES = {
    # Fri 16:00 -> Mon 10:00: 1 h on Friday + 1 h on Monday.
    "over the weekend": ([created("t1", _berlin(6, 16)), reply("t1", _berlin(9, 10))], 7200.0),
    # Fri 13 16:00 -> Tue 17 10:00, Monday 16 is a holiday.
    "over a holiday": ([created("t1", _berlin(13, 16)), reply("t1", _berlin(17, 10))], 7200.0),
    # Paused Fri 16:30 -> Mon 09:30: only 30 + 30 business minutes of it are removed.
    "pause counted in business time": (
        [
            created("t1", _berlin(6, 16)),
            status("t1", _berlin(6, 16, 30), "pending"),
            status("t1", _berlin(9, 9, 30), "open"),
            reply("t1", _berlin(9, 10)),
        ],
        3600.0,
    ),
    "entirely outside opening hours": (
        [created("t1", _berlin(7, 10)), reply("t1", _berlin(8, 18))],
        0.0,
    ),
}


@pytest.mark.parametrize(("events", "frt"), CALENDAR_CASES.values(), ids=CALENDAR_CASES.keys())
def test_frt_with_business_calendar(events: list[EventBase], frt: float) -> None:
    params = make_params(timezone="Europe/Berlin", calendar=OFFICE)
    got = figures(events, params)
    assert value_n(got["frt_mean_seconds"]) == (frt, 1)


def test_frt_attainment_per_priority_and_quantiles() -> None:
    events = [
        created("u", 0, "urgent"),
        reply("u", 900),  # == 15 min target: met
        created("h", 0, "high"),
        reply("h", 3601),  # 1 h target: missed by 1 s
        created("l", 0, "low"),
        reply("l", 7200),  # 8 h target: met
        created("n", 0, "normal"),
        reply("n", 10800),  # 4 h target: met
    ]
    got = figures(events)
    assert value_n(got["frt_attainment"]) == (0.75, 4)
    assert value_n(got["frt_mean_seconds"]) == ((900 + 3601 + 7200 + 10800) / 4, 4)
    assert got["frt_p50_seconds"].value == 3601  # v[floor(0.5 * 3)] = v[1]
    assert got["frt_p90_seconds"].value == 7200  # v[floor(0.9 * 3)] = v[2]
    assert value_n(got["tickets_created"]) == (4.0, 4)


RESOLUTION_CASES = {
    "reopen starts a second cycle": (
        [
            created("t1", 0),
            resolved("t1", 1000),
            reopened("t1", 2000),
            resolved("t1", 2000 + 2 * DAY),  # 2 days > 1 day normal target
        ],
        [1000.0, 2 * DAY],
    ),
    "resolved twice without reopen": (
        [created("t1", 0), resolved("t1", 1000), resolved("t1", 5000)],
        [1000.0],
    ),
    "reopen without resolution changes nothing": (
        [created("t1", 0), reopened("t1", 500), resolved("t1", 1000)],
        [1000.0],
    ),
    "resolved ends a pause, pause clipped per cycle": (
        [
            created("t1", 0),
            status("t1", 100, "pending"),
            resolved("t1", 400),
            reopened("t1", 1000),
            resolved("t1", 1500),
        ],
        [100.0, 500.0],
    ),
}


@pytest.mark.parametrize(
    ("events", "cycles"), RESOLUTION_CASES.values(), ids=RESOLUTION_CASES.keys()
)
def test_resolution_cycles(events: list[EventBase], cycles: list[float]) -> None:
    got = figures(events)
    n = len(cycles)
    assert value_n(got["resolution_mean_seconds"]) == (sum(cycles) / n, n)
    assert got["resolution_p50_seconds"].value == sorted(cycles)[math.floor(0.5 * (n - 1))]
    met = sum(c <= DAY for c in cycles)
    assert value_n(got["resolution_attainment"]) == (met / n, n)


def test_ticket_without_created_contributes_nothing() -> None:
    got = figures([reply("t1", 100), resolved("t1", 200), survey("s1", 300, 5)])
    for name in ("frt_mean_seconds", "resolution_mean_seconds", "fcr_tickets_rate"):
        assert value_n(got[name]) == (None, 0)
    assert value_n(got["tickets_created"]) == (0.0, 0)


def test_a_ticket_created_again_under_another_event_id_is_one_ticket() -> None:
    # A helpdesk re-sync sends ticket.created again; the first in event order is the ticket's.
    events = [created("t1", 0, "urgent"), reply("t1", 1200), created("t1", 300, "low")]
    got = figures(events)
    assert value_n(got["tickets_created"]) == (1.0, 1)
    assert value_n(got["frt_attainment"]) == (0.0, 1)  # urgent's target, not low's


def test_events_outside_the_processable_range_are_not_counted() -> None:
    far = [
        created("t1", datetime(1, 1, 1, tzinfo=UTC)),
        created("t2", datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC)),
        created("t3", datetime(2200, 1, 1, tzinfo=UTC)),
        created("t4", datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)),
    ]
    got = batch_figures(
        [*far, created("t5", 0)], {AGREEMENT: make_params()}, AGREEMENT, -1e13, 1e13, T0
    )
    assert value_n(got["tickets_created"]) == (1.0, 1)
    assert stream_time(far, AGREEMENT) is None


H7 = 7 * DAY
TICKET_FCR_CASES = {
    "credited": ([reply("t1", 100), resolved("t1", 200)], 1.0),
    "reply at the same instant as the resolution counts": (
        [reply("t1", 200), resolved("t1", 200)],
        1.0,
    ),
    "withdrawn by reopen at r + horizon": (
        [reply("t1", 100), resolved("t1", 200), reopened("t1", 200 + H7)],
        0.0,
    ),
    "kept when reopen after horizon": (
        [reply("t1", 100), resolved("t1", 200), reopened("t1", 201 + H7), resolved("t1", 9e6)],
        1.0,
    ),
    "not credited with two agent replies": (
        [reply("t1", 100), reply("t1", 150), resolved("t1", 200)],
        0.0,
    ),
    "not credited without agent reply": (
        [reply("t1", 100, by="customer"), resolved("t1", 200)],
        0.0,
    ),
    "replies after the first resolution do not matter": (
        [reply("t1", 100), resolved("t1", 200), reply("t1", 300), resolved("t1", 400)],
        1.0,
    ),
}


@pytest.mark.parametrize(("events", "rate"), TICKET_FCR_CASES.values(), ids=TICKET_FCR_CASES.keys())
def test_ticket_fcr(events: list[EventBase], rate: float) -> None:
    got = figures([created("t1", 0), *events])
    assert value_n(got["fcr_tickets_rate"]) == (rate, 1)
    assert value_n(got["fcr_rate"]) == (rate, 1)
    assert value_n(got["fcr_calls_rate"]) == (None, 0)


# ---------------------------------------------------------------- calls

# events after offered("k", 0) -> (asa (value, n), service_level, abandonment_rate, short)
OUTCOME_CASES = {
    "answered": ([answered("k", 12)], (12.0, 1), (1.0, 1), (0.0, 1), 0),
    "answered at the threshold is within": ([answered("k", 20)], (20.0, 1), (1.0, 1), (0.0, 1), 0),
    "answered past the threshold": ([answered("k", 20.5)], (20.5, 1), (0.0, 1), (0.0, 1), 0),
    "abandoned": ([abandoned("k", 30)], (None, 0), (0.0, 1), (1.0, 1), 0),
    "short abandon": ([abandoned("k", 4.9)], (None, 0), (None, 0), (None, 0), 1),
    "abandon at the short threshold is not short": (
        [abandoned("k", 5)],
        (None, 0),
        (0.0, 1),
        (1.0, 1),
        0,
    ),
    "answered then abandoned is answered": (
        [answered("k", 8), abandoned("k", 60)],
        (8.0, 1),
        (1.0, 1),
        (0.0, 1),
        0,
    ),
    "abandoned then answered is abandoned": (
        [abandoned("k", 8), answered("k", 60)],
        (None, 0),
        (0.0, 1),
        (1.0, 1),
        0,
    ),
    "no outcome yet": ([], (None, 0), (None, 0), (None, 0), 0),
}


@pytest.mark.parametrize(
    ("events", "asa", "sl", "abandon", "short"), OUTCOME_CASES.values(), ids=OUTCOME_CASES.keys()
)
def test_call_outcome(
    events: list[EventBase],
    asa: tuple[float | None, int],
    sl: tuple[float | None, int],
    abandon: tuple[float | None, int],
    short: int,
) -> None:
    got = figures([offered("k", 0), *events])
    assert value_n(got["asa_seconds"]) == asa
    assert value_n(got["service_level"]) == sl
    assert value_n(got["abandonment_rate"]) == abandon
    assert value_n(got["calls_short_abandoned"]) == (float(short), short)


def test_call_outcome_attributed_to_the_offer() -> None:
    events = [offered("k", -10), answered("k", 15), offered("j", 5), abandoned("j", 45)]
    got = figures(events, start=T0, end=T0 + HOUR)  # k's offer is before the window
    assert value_n(got["abandonment_rate"]) == (1.0, 1)
    assert value_n(got["asa_seconds"]) == (None, 0)


def test_aht_and_call_without_offer() -> None:
    events = [
        completed("k1", 100, handle=(100, 10, 20)),  # no call.offered: still handled
        offered("k2", 0),
        answered("k2", 10),
        completed("k2", 400, handle=(200, 0, 40)),
    ]
    got = figures(events)
    assert value_n(got["aht_mean_seconds"]) == (185.0, 2)
    assert got["aht_p50_seconds"].value == 130.0
    assert got["aht_p90_seconds"].value == 130.0  # v[floor(0.9)] = v[0]
    assert value_n(got["fcr_calls_rate"]) == (1.0, 2)
    assert value_n(got["asa_seconds"]) == (10.0, 1)


CALL_FCR_CASES = {
    "credited": ([], 1.0),
    "not resolved": (None, 0.0),
    "withdrawn by same customer's other call inside horizon": ([offered("k2", 1000 + HOUR)], 0.0),
    "withdrawn at exactly c + horizon": ([offered("k2", 1000 + H7)], 0.0),
    "kept after horizon": ([offered("k2", 1001 + H7)], 1.0),
    "kept when another customer calls": ([offered("k2", 1000 + HOUR, customer="c2")], 1.0),
    "an offer at the completion instant is not a repeat": ([offered("k2", 1000)], 1.0),
}


CALL_FCR_CASES |= {
    "a short abandon is no repeat contact": (
        [offered("k2", 1000 + HOUR), abandoned("k2", 1004 + HOUR)],
        1.0,
    ),
    "a long abandon is a repeat contact": (
        [offered("k2", 1000 + HOUR), abandoned("k2", 1060 + HOUR)],
        0.0,
    ),
    "an offer without outcome yet is a repeat contact": ([offered("k2", 1000 + HOUR)], 0.0),
}


@pytest.mark.parametrize(("extra", "rate"), CALL_FCR_CASES.values(), ids=CALL_FCR_CASES.keys())
def test_call_fcr(extra: list[EventBase] | None, rate: float) -> None:
    first = [offered("k1", 0), answered("k1", 10), completed("k1", 1000, ok=extra is not None)]
    got = figures([*first, *(extra or [])])
    assert value_n(got["fcr_calls_rate"]) == (rate, 1)
    assert value_n(got["fcr_rate"]) == (rate, 1)


def test_combined_fcr_rate() -> None:
    events = [
        created("t1", 0),
        reply("t1", 10),
        resolved("t1", 20),  # credited
        created("t2", 0),
        resolved("t2", 20),  # not credited: no agent reply
        completed("k1", 30),  # credited
    ]
    got = figures(events)
    assert value_n(got["fcr_tickets_rate"]) == (0.5, 2)
    assert value_n(got["fcr_calls_rate"]) == (1.0, 1)
    assert got["fcr_rate"] == Figure(2 / 3, 3)


def test_fcr_provisional() -> None:
    params = make_params(fcr_horizon_seconds=DAY)
    now = 10 * DAY + 1800  # bucket end 10 d + 1 h -> cut-off 9 d + 1 h
    cutoff = 9 * DAY + HOUR
    events = [
        created("t1", 0),
        reply("t1", 10),
        resolved("t1", cutoff - 1),  # credited, settled
        completed("k1", cutoff, customer="c1"),  # credited, provisional
        completed("k2", cutoff + 10, customer="c2", ok=False),  # not credited
        completed("k3", cutoff + 20, customer="c3"),  # credited, provisional
    ]
    got = figures(events, params, now=T0 + now)
    assert value_n(got["fcr_provisional"]) == (2.0, 2)
    assert value_n(got["fcr_rate"]) == (0.75, 4)
    # Only items inside the window count.
    got = figures(events, params, start=T0 + cutoff + 15, now=T0 + now)
    assert value_n(got["fcr_provisional"]) == (1.0, 1)


# ---------------------------------------------------------------- surveys


def test_csat_top_two_box_and_latest_submission_replaces() -> None:
    events = [
        survey("s1", 10, 5),
        survey("s2", 20, 4),
        survey("s3", 30, 2),
        survey("s1", 3 * DAY, 1),  # resubmitted days later: replaces the 5
        survey("s4", 100, 4),  # arrives first and is later in event order...
        survey("s4", 50, 1),  # ...than this one, which it replaces
    ]
    got = figures(events)
    assert value_n(got["csat"]) == (0.5, 4)
    assert value_n(got["csat_mean_score"]) == (2.75, 4)  # (1 + 4 + 2 + 4) / 4


def test_two_submissions_of_a_survey_at_one_instant_the_greater_event_id_counts() -> None:
    for order in ((0, 1), (1, 0)):
        pair = [survey("s1", 10, 5, eid="e-a"), survey("s1", 10, 2, eid="e-b")]
        got = figures([pair[i] for i in order])
        assert value_n(got["csat_mean_score"]) == (2.0, 1)


# ---------------------------------------------------------------- identity, order, scope


def _mixed_scenario() -> list[EventBase]:
    return [
        created("t1", 0, "high"),
        status("t1", 60, "pending"),
        reply("t1", 90, by="customer"),
        status("t1", 300, "open"),
        reply("t1", 400),
        resolved("t1", 900),
        reopened("t1", 1200),
        resolved("t1", 2000),
        created("t2", 100, "urgent"),
        reply("t2", 200),
        resolved("t2", 200),
        offered("k1", 0),
        answered("k1", 25),
        completed("k1", 600, handle=(500, 30, 45)),
        offered("k2", 700, customer="c2"),
        abandoned("k2", 702, customer="c2"),
        offered("k3", 800, customer="c1"),
        abandoned("k3", 840, customer="c1"),
        survey("s1", 700, 4),
        survey("s2", 800, 3),
        survey("s1", 900, 1),
    ]


def test_duplicates_are_ignored() -> None:
    events = _mixed_scenario()
    tampered = reply("t2", 10, eid=events[9].event_id)  # same id, other content, later copy
    doubled = [*events, *events, tampered]
    assert figures(doubled) == figures(events)


def test_duplicate_keeps_the_first_arrived_copy() -> None:
    first, second = survey("s1", 10, 5, eid="dup"), survey("s2", 20, 1, eid="dup")
    got = figures([first, second])
    assert value_n(got["csat_mean_score"]) == (5.0, 1)
    assert stream_time([first, second], AGREEMENT) == T0 + 10


@pytest.mark.parametrize("seed", range(5))
def test_arrival_order_does_not_matter(seed: int) -> None:
    events = _mixed_scenario()
    shuffled = list(events)
    random.Random(seed).shuffle(shuffled)
    assert figures(shuffled) == figures(events)
    assert figures(list(reversed(events))) == figures(events)


def test_mixed_scenario_values() -> None:
    got = figures(_mixed_scenario())
    # t1 (high): FRT 400 - 240 paused = 160; t2 (urgent): 100.
    assert value_n(got["frt_mean_seconds"]) == (130.0, 2)
    assert value_n(got["frt_attainment"]) == (1.0, 2)
    # cycles: t1 900 - 240 = 660, t1 2000 - 1200 = 800, t2 100.
    assert got["resolution_mean_seconds"] == Figure(1560 / 3, 3)
    # t1 credited at first resolution (reopen within horizon withdraws it): 0; t2 credited;
    # k1 withdrawn by k3 (same customer c1, 200 s later).
    assert value_n(got["fcr_tickets_rate"]) == (0.5, 2)
    assert value_n(got["fcr_calls_rate"]) == (0.0, 1)
    assert value_n(got["calls_short_abandoned"]) == (1.0, 1)
    assert value_n(got["service_level"]) == (0.0, 2)  # k1 answered after 25 s > 20 s
    assert value_n(got["abandonment_rate"]) == (0.5, 2)
    assert value_n(got["csat"]) == (0.0, 2)  # s1 resubmitted with 1 replaces its 4


def test_every_figure_present_and_other_agreements_ignored() -> None:
    foreign = [created("x", 0, agreement="other"), survey("s9", 0, 5)]
    got = batch_figures(foreign, {AGREEMENT: make_params()}, "other", T0 - DAY, T0 + DAY, T0)
    assert tuple(got) == FIGURE_NAMES
    assert all(f.n == 0 for f in got.values())
    assert got["tickets_created"] == Figure(0.0, 0)
    assert got["csat"] == Figure(None, 0)
    mine = figures(foreign)
    assert value_n(mine["tickets_created"]) == (0.0, 0)
    assert value_n(mine["csat"]) == (1.0, 1)
    assert stream_time(foreign, "nobody") is None


def test_window_is_half_open() -> None:
    events = [created("a", 0), created("b", HOUR)]
    got = figures(events, start=T0, end=T0 + HOUR)
    assert value_n(got["tickets_created"]) == (1.0, 1)


# ---------------------------------------------------------------- windows and periods

WINDOW_CASES = [
    ("1h", 36_059.9, (32_460.0, 36_060.0)),
    ("1h", 36_060.0, (32_520.0, 36_120.0)),  # T on a bucket edge opens a new bucket
    ("24h", 2 * DAY, (DAY + HOUR, 2 * DAY + HOUR)),
    ("24h", 2 * DAY - 0.001, (DAY, 2 * DAY)),
    ("7d", 10 * DAY + 1800, (3 * DAY + HOUR, 10 * DAY + HOUR)),
    ("30d", 40 * DAY + 3599, (10 * DAY + HOUR, 40 * DAY + HOUR)),
]


@pytest.mark.parametrize(("window", "now", "bounds"), WINDOW_CASES)
def test_window_bounds(window: str, now: float, bounds: tuple[float, float]) -> None:
    assert window_bounds(window, now) == bounds


def _utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> float:
    return datetime(year, month, day, hour, minute, tzinfo=UTC).timestamp()


PERIOD_CASES = [
    # October in Berlin: CEST (UTC+2) at the start, CET (UTC+1) at the end: 31 d + 1 h.
    ("2026-10", "Europe/Berlin", (_utc(2026, 9, 30, 22), _utc(2026, 10, 31, 23))),
    ("2026-03", "Europe/Berlin", (_utc(2026, 2, 28, 23), _utc(2026, 3, 31, 22))),
    ("2026-Q4", "Asia/Kolkata", (_utc(2026, 9, 30, 18, 30), _utc(2026, 12, 31, 18, 30))),
    ("2027-Q1", "Asia/Kolkata", (_utc(2026, 12, 31, 18, 30), _utc(2027, 3, 31, 18, 30))),
    ("2026-12", "UTC", (_utc(2026, 12, 1), _utc(2027, 1, 1))),
]


@pytest.mark.parametrize(("period", "zone", "bounds"), PERIOD_CASES)
def test_period_bounds(period: str, zone: str, bounds: tuple[float, float]) -> None:
    assert period_bounds(period, ZoneInfo(zone)) == bounds


def test_berlin_october_is_an_hour_longer() -> None:
    start, end = period_bounds("2026-10", BERLIN)
    assert end - start == 31 * DAY + HOUR


@pytest.mark.parametrize("bad", ["2026-13", "2026-Q5", "2026-00"])
def test_period_bounds_rejects_bad_periods(bad: str) -> None:
    with pytest.raises(ValueError, match="bad"):
        period_bounds(bad, BERLIN)
