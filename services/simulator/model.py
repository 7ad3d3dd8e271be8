"""Contact-center traffic as a discrete-event simulation: pure, seeded, resumable.

Every lifecycle (arrival streams, tickets, calls, surveys, busy periods) is a generator of
time-stamped steps; one heap runs them all in time order. `events_between` advances the
clock to `end` and returns what happened, keeping the in-flight tickets and calls for the
next call, so a live simulator can ask every second while a backfill asks for hours at once.
The outcome depends only on the seed and the agreements, never on how the time is sliced.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Callable, Iterable

from services.core.kpi.params import MeasurementParams
from services.simulator.calls import call_lifecycle
from services.simulator.draws import PEAK_LOAD, load_at
from services.simulator.faults import bad_copy
from services.simulator.scene import Event, Process, Rates, Scene, Spawn, default_params
from services.simulator.tickets import ticket_lifecycle

__all__ = ["Event", "Rates", "TrafficModel"]

BUSY_CALL_BOOST = 1.5  # busy periods: half as many calls again as usual
CALM_MINUTES = 50.0  # mean time between busy periods at an average load
BUSY_MINUTES = 6.0  # mean length of a busy period

Lifecycle = Callable[[Scene, float], Process]


def _arrivals(scene: Scene, t: float, per_minute: float, boost: float, start: Lifecycle) -> Process:
    """New tickets or calls: a Poisson stream shaped by the local time of day (thinning)."""
    rng = scene.rng
    peak = per_minute / 60 * (PEAK_LOAD if scene.rates.day_shape else 1.0) * boost
    if peak <= 0:
        return
    while True:
        t += rng.expovariate(peak)
        yield t, None
        load = load_at(t, scene.params.zone) if scene.rates.day_shape else 1.0
        rate = per_minute / 60 * load * (boost if scene.busy else 1.0)
        if rng.random() * peak < rate:
            yield t, Spawn(start(scene, t))


def _busy_periods(scene: Scene, t: float) -> Process:
    """Alternating calm and busy spells; busy ones come more often when the load is high."""
    rng = scene.rng
    while True:
        load = load_at(t, scene.params.zone) if scene.rates.day_shape else 1.0
        t += rng.expovariate(max(load, 0.1) / (CALM_MINUTES * 60))
        yield t, None
        scene.busy = True
        t += rng.expovariate(1 / (BUSY_MINUTES * 60))
        yield t, None
        scene.busy = False


class TrafficModel:
    """Tickets, calls and surveys for some agreements, from `start` on.

    `agreements` are measurement parameters (their targets and time zones shape the
    traffic) or bare ids (typical helpdesk targets, UTC). `bad_event_share` adds that share
    of broken or misaddressed copies of events (default none).
    """

    def __init__(
        self,
        agreements: Iterable[MeasurementParams | str],
        rng: random.Random,
        start: float,
        rates: Rates | None = None,
        bad_event_share: float = 0.0,
    ) -> None:
        self._rng = rng
        self._rates = rates or Rates()
        self._bad_share = bad_event_share
        self._heap: list[tuple[float, int, Process, Event | Spawn | None]] = []
        self._seq = itertools.count()
        self.start = self.until = start
        for item in agreements:
            params = default_params(item) if isinstance(item, str) else item
            scene = Scene(rng, params, self._rates)
            tickets, calls = self._rates.tickets_per_minute, self._rates.calls_per_minute
            self._run(_arrivals(scene, start, tickets, 1.0, ticket_lifecycle))
            self._run(_arrivals(scene, start, calls, BUSY_CALL_BOOST, call_lifecycle))
            self._run(_busy_periods(scene, start))

    def events_between(self, start: float, end: float) -> list[Event]:
        """Events with `occurred_at` before `end` not returned yet, in `occurred_at` order.

        `start` must not precede the previous call's `end`. Should it lie after it (a
        stalled caller), the gap's events are returned too: dropping them would leave
        tickets and calls without their beginnings.
        """
        if start < self.until:
            raise ValueError(f"start {start} precedes the end of the previous slice {self.until}")
        out: list[Event] = []
        heap = self._heap
        while heap and heap[0][0] < end:
            _, _, process, item = heapq.heappop(heap)
            if isinstance(item, Spawn):
                self._run(item.process)
            elif item is not None:
                out.append(item)
                if self._bad_share and self._rng.random() < self._bad_share:
                    out.append(bad_copy(self._rng, item))
            self._run(process)
        self.until = max(self.until, end)
        return out

    def _run(self, process: Process) -> None:
        """Schedule the next step of `process`, if it has one."""
        step = next(process, None)
        if step is not None:
            heapq.heappush(self._heap, (step[0], next(self._seq), process, step[1]))

    @property
    def in_flight(self) -> int:
        """Lifecycles waiting for their next step (arrival streams included)."""
        return len(self._heap)
