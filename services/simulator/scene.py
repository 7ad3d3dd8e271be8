"""What a simulated lifecycle is made of: steps, spawns and the agreement it plays in.

A lifecycle (one ticket, one call, an arrival stream) is a generator of `(at, item)` steps
with non-decreasing `at`. The item is an event to emit, a `Spawn` of another lifecycle that
starts at `at`, or `None` (a wake-up: the lifecycle resumes at `at` and looks at the world
again). The scheduler in `model.py` runs every lifecycle in one time-ordered queue.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from services.core.kpi.params import MeasurementParams, PriorityTargets
from services.simulator.draws import new_uuid, rfc3339

Event = dict[str, Any]
SOURCE = "simulator"


@dataclass(frozen=True, slots=True)
class Spawn:
    """Start another lifecycle at the step's instant (e.g. a survey after a resolution)."""

    process: Process


Process = Iterator[tuple[float, Event | Spawn | None]]


@dataclass(frozen=True, slots=True)
class Rates:
    """How much traffic each agreement gets and how it behaves."""

    tickets_per_minute: float = 30.0
    calls_per_minute: float = 30.0
    survey_share: float = 0.25
    day_shape: bool = True
    agents_per_agreement: int = 40


@dataclass(slots=True)
class Scene:
    """One agreement's stage: its parameters, agents and live state (busy period or not)."""

    rng: random.Random
    params: MeasurementParams
    rates: Rates
    agents: tuple[str, ...] = ()
    busy: bool = False

    def __post_init__(self) -> None:
        if not self.agents:
            # The agreement's team members work here, and so do agents no team lists (they
            # show as team "unassigned" in breakdowns), up to agents_per_agreement in all.
            members = sorted({a for agents in self.params.teams.values() for a in agents})
            count = max(1, self.rates.agents_per_agreement - len(members))
            self.agents = (
                *members,
                *(f"agent-{i:03d}@{self.params.agreement_id}" for i in range(1, count + 1)),
            )

    @property
    def agreement_id(self) -> str:
        return self.params.agreement_id

    def agent(self) -> str:
        return self.rng.choice(self.agents)

    def event(self, event_type: str, at: float, **fields: Any) -> Event:
        """An event dict of the v1 JSON contract, with a fresh reproducible id."""
        return {
            "event_id": new_uuid(self.rng),
            "type": event_type,
            "occurred_at": rfc3339(at),
            "agreement_id": self.params.agreement_id,
            "source": SOURCE,
            **fields,
        }


# Targets for agreements named only by id (tests, ad-hoc runs): a typical helpdesk.
DEFAULT_FRT = PriorityTargets(low=28_800, normal=14_400, high=3_600, urgent=900)
DEFAULT_RESOLUTION = PriorityTargets(low=432_000, normal=172_800, high=86_400, urgent=14_400)


def default_params(agreement_id: str) -> MeasurementParams:
    """Measurement parameters for an agreement known only by its id (UTC, 24/7)."""
    return MeasurementParams(
        agreement_id=agreement_id,
        frt_target_seconds=DEFAULT_FRT,
        resolution_target_seconds=DEFAULT_RESOLUTION,
    )
