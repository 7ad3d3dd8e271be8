"""Random but coherent event histories for comparing the engine with the oracle.

A history is the raw events of tickets, calls and surveys of the demo agreements, with
pauses, reopens, repeat callers, abandons, duplicates, and an arrival order shuffled within
the allowed lateness. Histories may span weeks, with what real traffic brings over weeks:
reopens 10-16 days after a resolution (beyond every FCR horizon, so they reach tombstones),
surveys resubmitted days later or twice at one instant, `ticket.created` re-sent by a
re-sync under a new event_id, and copies of events re-sent days later (late by then: the
engine refuses them, the oracle ignores them as copies). Nothing else is late.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from services.core.contract.events import EventBase, parse_event

AGREEMENTS = ("acme-helpdesk", "globex-hotline", "initech-support")
PRIORITIES = ("low", "normal", "high", "urgent")
START = datetime(2026, 9, 28, 6, 0, tzinfo=UTC).timestamp()
HOUR = 3600.0


@dataclass
class HistorySpec:
    tickets: int = 30
    calls: int = 30
    customers: int = 8
    span_hours: float = 96.0
    duplicate_rate: float = 0.1
    lateness_seconds: float = 3600.0
    late_reopen_rate: float = 0.3  # of resolved tickets: written back to 10-16 days later
    resubmit_rate: float = 0.3  # of surveys: submitted again, hours to days later
    resent_created_rate: float = 0.1  # of tickets: created again under a new event_id
    resent_days_rate: float = 0.03  # of events: a copy re-sent 1-5 days later


class _Builder:
    def __init__(self, rng: random.Random, spec: HistorySpec) -> None:
        self.rng = rng
        self.spec = spec
        self.events: list[dict[str, Any]] = []

    def add(self, type_: str, at: float, agreement: str, **fields: Any) -> dict[str, Any]:
        stamp = datetime.fromtimestamp(round(at, 3), UTC).isoformat().replace("+00:00", "Z")
        event_id = str(uuid.UUID(int=self.rng.getrandbits(128)))
        event = {
            "event_id": event_id,
            "type": type_,
            "occurred_at": stamp,
            "agreement_id": agreement,
            **fields,
        }
        self.events.append(event)
        return event

    def survey(self, at: float, agreement: str, **fields: Any) -> None:
        rng = self.rng
        self.add("survey.submitted", at, agreement, score=rng.randint(1, 5), **fields)
        if rng.random() < self.spec.resubmit_rate:
            # Days later, or (rarely) twice in the same instant: the later one replaces.
            again = at + rng.choice([0.0, rng.uniform(HOUR, 5 * 24 * HOUR)])
            self.add("survey.submitted", again, agreement, score=rng.randint(1, 5), **fields)

    def late_reopen(self, tid: str, at: float, agreement: str) -> float:
        """The customer writes back 10-16 days after the resolution; a new cycle may follow."""
        rng = self.rng
        t = at + rng.uniform(10, 16) * 24 * HOUR
        self.add("ticket.reopened", t, agreement, ticket_id=tid)
        self.add("ticket.replied", t + 60, agreement, ticket_id=tid, author="customer")
        if rng.random() < 0.7:
            t += rng.expovariate(1 / (3 * HOUR))
            self.add("ticket.replied", t, agreement, ticket_id=tid, author="agent", agent_id="A3")
        if rng.random() < 0.7:
            t += rng.expovariate(1 / (5 * HOUR))
            self.add("ticket.resolved", t, agreement, ticket_id=tid, agent_id="A3")
        return t

    def ticket(self, n: int, at: float, agreement: str) -> None:
        rng, tid = self.rng, f"T{n}"
        creation = self.add(
            "ticket.created",
            at,
            agreement,
            ticket_id=tid,
            customer_id=f"C{n % 7}",
            channel=rng.choice(["email", "chat", "web"]),
            priority=rng.choice(PRIORITIES),
        )
        if rng.random() < self.spec.resent_created_rate:  # a re-sync: same ticket, new id
            self.events.append({**creation, "event_id": str(uuid.UUID(int=rng.getrandbits(128)))})
        t, resolved = at, False
        for _ in range(rng.randint(0, 7)):
            t += rng.expovariate(1 / (2 * HOUR))
            step = rng.choice(["agent", "agent", "customer", "pause", "open", "resolve", "reopen"])
            if step == "agent":
                self.add(
                    "ticket.replied",
                    t,
                    agreement,
                    ticket_id=tid,
                    author="agent",
                    agent_id=f"A{rng.randint(1, 4)}",
                )
            elif step == "customer":
                self.add("ticket.replied", t, agreement, ticket_id=tid, author="customer")
            elif step == "pause":
                status = rng.choice(["pending", "on_hold"])
                self.add("ticket.status_changed", t, agreement, ticket_id=tid, status=status)
            elif step == "open":
                self.add("ticket.status_changed", t, agreement, ticket_id=tid, status="open")
            elif step == "resolve":
                self.add("ticket.resolved", t, agreement, ticket_id=tid, agent_id="A1")
                resolved = True
            elif step == "reopen" and resolved:
                self.add("ticket.reopened", t, agreement, ticket_id=tid)
                resolved = False
        if rng.random() < 0.3:
            self.survey(t + 600, agreement, survey_id=f"S{tid}", ticket_id=tid)
        if resolved and rng.random() < self.spec.late_reopen_rate:
            self.late_reopen(tid, t, agreement)

    def call(self, n: int, at: float, agreement: str, customer: str) -> None:
        rng, cid = self.rng, f"K{n}"
        common = {"call_id": cid, "customer_id": customer}
        self.add("call.offered", at, agreement, queue="main", **common)
        wait = rng.choice([rng.uniform(0, 4), rng.uniform(0, 40), rng.uniform(0, 120)])
        if rng.random() < 0.8:
            self.add("call.answered", at + wait, agreement, agent_id="A2", **common)
            end = at + wait + rng.uniform(30, 900)
            self.add(
                "call.completed",
                end,
                agreement,
                talk_seconds=round(rng.uniform(20, 600), 2),
                hold_seconds=round(rng.uniform(0, 60), 2),
                wrap_seconds=round(rng.uniform(0, 120), 2),
                resolved=rng.random() < 0.75,
                **common,
            )
            if rng.random() < 0.2:
                self.survey(end + 60, agreement, survey_id=f"S{cid}", call_id=cid)
        else:
            self.add("call.abandoned", at + wait, agreement, **common)


def generate(seed: int, spec: HistorySpec | None = None) -> list[dict[str, Any]]:
    """Event dicts of one history, in arrival order (shuffled within the lateness)."""
    spec = spec or HistorySpec()
    rng = random.Random(seed)
    builder = _Builder(rng, spec)
    span = spec.span_hours * HOUR
    for n in range(spec.tickets):
        builder.ticket(n, START + rng.uniform(0, span), rng.choice(AGREEMENTS))
    for n in range(spec.calls):
        customer = f"C{rng.randint(1, spec.customers)}"
        builder.call(n, START + rng.uniform(0, span), rng.choice(AGREEMENTS), customer)
    events = builder.events
    events += [dict(e) for e in events if rng.random() < spec.duplicate_rate]
    jitter = {id(e): rng.uniform(0, spec.lateness_seconds / 2) for e in events}
    resent = [dict(e) for e in events if rng.random() < spec.resent_days_rate]
    jitter |= {id(e): rng.uniform(1, 5) * 24 * HOUR for e in resent}
    events += resent
    events.sort(key=lambda e: _epoch(e["occurred_at"]) + jitter[id(e)])
    return events


def _epoch(stamp: str) -> float:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()


def parsed(events: list[dict[str, Any]]) -> list[EventBase]:
    return [parse_event(e) for e in events]
