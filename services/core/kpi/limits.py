"""Which event instants the engine processes at all (docs/kpis.md, "Late, duplicate, unknown
and out-of-range events").

The contract accepts any RFC 3339 instant from year 1 to 9999, but the engine's calendar
math cannot: a quarter that ends in year 10000 overflows, a local date in year 0 does not
exist, and a ticket clock from 2026 to year 3000 walks a million days. An event outside
[`EARLIEST_SECONDS`, `LATEST_SECONDS`) is refused as `out_of_range` by the engine and the
oracle alike. The worker also refuses events dated more than `max_ahead_seconds` after its
own clock, so one event from the future can neither move stream time nor make every later
event of its agreement late (a rule the oracle, which has no clock, cannot model).
"""

from __future__ import annotations

from datetime import UTC, datetime

from services.core.contract.event_range import OCCURRED_AT_FLOOR

# The same floor as ingest's, so an event ingest accepts is never refused here for its age.
EARLIEST_SECONDS = OCCURRED_AT_FLOOR.timestamp()
LATEST_SECONDS = datetime(2200, 1, 1, tzinfo=UTC).timestamp()


def in_range(at: float, latest: float | None = None) -> bool:
    """Whether an event at `at` (epoch seconds) is processed; `latest` is the clock's bound."""
    if not EARLIEST_SECONDS <= at < LATEST_SECONDS:
        return False
    return latest is None or at <= latest
