"""One ticket's life, from creation to resolution (and sometimes back).

Most tickets are answered once and solved (~70 %); the others go back and forth with the
customer, pausing while the ticket waits on them (`pending`) or on a third party
(`on_hold`). About 8 % are reopened within days and solved again; a few are withdrawn by
the customer before any agent answered.
"""

from __future__ import annotations

from services.core.contract.events import Priority
from services.simulator.draws import (
    CHANNEL_MIX,
    PRIORITY_MIX,
    first_response_seconds,
    lognormal,
    pick,
    short_id,
)
from services.simulator.scene import Event, Process, Scene, Spawn
from services.simulator.surveys import survey

SINGLE_REPLY_SHARE = 0.72  # of tickets an agent answers: solved with that one reply
REOPEN_SHARE = 0.08
SELF_SOLVED_SHARE = 0.03  # the customer withdraws it before anyone answered
EARLY_CUSTOMER_NOTE_SHARE = 0.10  # the customer adds details before the first response
ON_HOLD_SHARE = 0.25  # of the back-and-forth rounds: waiting on a third party


def ticket_lifecycle(scene: Scene, at: float, customer_id: str | None = None) -> Process:
    """The events of one new ticket created at `at`, in time order."""
    rng = scene.rng
    ticket_id = short_id(rng, "T")
    priority = pick(rng, PRIORITY_MIX)
    frt_target = scene.params.frt_target_seconds.for_priority(priority)

    def ticket(event_type: str, t: float, **fields: str) -> tuple[float, Event]:
        return t, scene.event(event_type, t, ticket_id=ticket_id, **fields)

    yield ticket(
        "ticket.created",
        at,
        customer_id=customer_id or short_id(rng, "C"),
        channel=pick(rng, CHANNEL_MIX).value,
        priority=priority.value,
    )
    agent = scene.agent()
    frt = first_response_seconds(rng, frt_target)
    if rng.random() < EARLY_CUSTOMER_NOTE_SHARE:
        yield ticket("ticket.replied", at + frt * rng.uniform(0.1, 0.9), author="customer")
    if rng.random() < SELF_SOLVED_SHARE:
        t = at + frt + 1.0
        yield ticket("ticket.replied", t, author="customer")
        yield ticket("ticket.resolved", t + lognormal(rng, 600, 0.8, cap=86_400), agent_id=agent)
        return
    t = at + frt
    yield ticket("ticket.replied", t, author="agent", agent_id=agent)
    rounds = 0 if rng.random() < SINGLE_REPLY_SHARE else min(1 + int(rng.expovariate(0.8)), 5)
    for _ in range(rounds):
        t += rng.uniform(1, 60)
        if rng.random() < ON_HOLD_SHARE:
            yield ticket("ticket.status_changed", t, status="on_hold")
            t += lognormal(rng, 3 * 3600, 1.0)
        else:
            yield ticket("ticket.status_changed", t, status="pending")
            t += lognormal(rng, 2 * 3600, 1.2)
            yield ticket("ticket.replied", t, author="customer")
            t += rng.uniform(1, 30)
        yield ticket("ticket.status_changed", t, status="open")
        if rng.random() < 0.2:
            agent = scene.agent()
        t += lognormal(rng, frt_target * 0.2, 1.0, cap=frt_target * 20)
        yield ticket("ticket.replied", t, author="agent", agent_id=agent)
    t += lognormal(rng, 300, 1.0, cap=frt_target)
    yield ticket("ticket.resolved", t, agent_id=agent)
    if rng.random() < scene.rates.survey_share:
        yield t, Spawn(survey(scene, t, ticket_id=ticket_id))
    if rng.random() < REOPEN_SHARE:
        yield from _reopened(scene, ticket_id, priority, t, agent)


def _reopened(scene: Scene, ticket_id: str, priority: Priority, t: float, agent: str) -> Process:
    """The customer comes back within days; an agent answers and solves it again."""
    rng = scene.rng
    frt_target = scene.params.frt_target_seconds.for_priority(priority)
    t += lognormal(rng, 20 * 3600, 0.9, cap=6 * 86_400)
    yield t, scene.event("ticket.reopened", t, ticket_id=ticket_id)
    t += rng.uniform(1, 30)
    yield t, scene.event("ticket.replied", t, ticket_id=ticket_id, author="customer")
    t += first_response_seconds(rng, frt_target)
    yield t, scene.event("ticket.replied", t, ticket_id=ticket_id, author="agent", agent_id=agent)
    t += lognormal(rng, 600, 1.0, cap=frt_target)
    yield t, scene.event("ticket.resolved", t, ticket_id=ticket_id, agent_id=agent)
