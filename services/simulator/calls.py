"""One phone call: offered to a queue, answered or abandoned, talked through, wrapped up.

Waits are short (mostly under 20 s) except in busy periods, when more calls arrive and
waits grow fivefold; callers give up when their patience runs out, a few almost at once
(short abandons). Three calls in four are resolved; unresolved and abandoned callers often
call again within hours or days, which is what call FCR looks for.
"""

from __future__ import annotations

from services.simulator.draws import QUEUES, lognormal, short_id
from services.simulator.scene import Process, Scene, Spawn
from services.simulator.surveys import survey

WAIT_MEDIAN_SECONDS = 6.0
BUSY_WAIT_FACTOR = 5.0
QUICK_HANG_UP_SHARE = 0.04  # callers who hang up within seconds whatever the wait
RESOLVED_SHARE = 0.75
CALLBACK_SHARE = {"abandoned": 0.5, "unresolved": 0.45, "resolved": 0.04}


def call_lifecycle(scene: Scene, at: float, customer_id: str | None = None) -> Process:
    """The events of one call offered at `at`; `customer_id` names a repeat caller."""
    rng = scene.rng
    ids = {"call_id": short_id(rng, "K"), "customer_id": customer_id or short_id(rng, "C")}
    yield at, scene.event("call.offered", at, queue=rng.choice(QUEUES), **ids)
    busy = BUSY_WAIT_FACTOR if scene.busy else 1.0
    wait = max(0.5, lognormal(rng, WAIT_MEDIAN_SECONDS * busy, 0.9, cap=1800))
    if rng.random() < QUICK_HANG_UP_SHARE:
        patience = rng.uniform(0.5, 4.9)
    else:
        patience = lognormal(rng, 120, 0.8)
    if patience < wait:
        t = at + patience
        yield t, scene.event("call.abandoned", t, **ids)
        yield from _maybe_call_again(scene, t, ids["customer_id"], "abandoned", 600)
        return
    t = at + wait
    yield t, scene.event("call.answered", t, agent_id=scene.agent(), **ids)
    talk = lognormal(rng, 240, 0.6, cap=3 * 3600)
    hold = 0.0 if rng.random() < 0.65 else lognormal(rng, 40, 0.8, cap=1800)
    wrap = lognormal(rng, 30, 0.6, cap=1800)
    resolved = rng.random() < RESOLVED_SHARE
    t += talk + hold + wrap
    yield (
        t,
        scene.event(
            "call.completed",
            t,
            talk_seconds=round(talk, 1),
            hold_seconds=round(hold, 1),
            wrap_seconds=round(wrap, 1),
            resolved=resolved,
            **ids,
        ),
    )
    if rng.random() < scene.rates.survey_share:
        yield t, Spawn(survey(scene, t, call_id=ids["call_id"]))
    outcome = "resolved" if resolved else "unresolved"
    yield from _maybe_call_again(scene, t, ids["customer_id"], outcome, 4 * 3600)


def _maybe_call_again(
    scene: Scene, t: float, customer_id: str, outcome: str, median_delay: float
) -> Process:
    if scene.rng.random() < CALLBACK_SHARE[outcome]:
        again = t + lognormal(scene.rng, median_delay, 1.0, cap=5 * 86_400)
        yield t, Spawn(call_lifecycle(scene, again, customer_id))
