"""Contract v1: the range of `occurred_at` that ingest accepts (docs/kpis.md, "Event time").

The models and `schemas/v1/` accept any RFC 3339 instant from year 1 to 9999: that is the
shape of the field. What may enter the pipeline is narrower, because a single event dated a
year ahead or in year 1 moves watermarks, overflows date arithmetic and empties windows
(issue 9, item 3). Ingest refuses, per event, an `occurred_at`

* before `OCCURRED_AT_FLOOR` (2000-01-01T00:00:00Z), whatever the agreement;
* more than `max_days_before_term` days before the first day of the agreement's term
  (local midnight in the agreement's zone), default 366 days: history of the year before a
  contract may be loaded as a baseline, older data is a mistake;
* more than `max_future_seconds` after the moment ingest receives it, default 300 s: clocks
  of senders drift a little, events do not happen in the future.

The checks are a pure function of the instant, the receipt time and the term start, so
the same rule can be applied by anything that sees events (tests, tools, workers).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

OCCURRED_AT_FLOOR = datetime(2000, 1, 1, tzinfo=UTC)
DEFAULT_MAX_FUTURE_SECONDS = 300.0
DEFAULT_MAX_DAYS_BEFORE_TERM = 366.0


@dataclass(frozen=True, slots=True)
class EventTimeRange:
    """The accepted range of `occurred_at`; `refusal` says why an instant is outside it."""

    max_future_seconds: float = DEFAULT_MAX_FUTURE_SECONDS
    max_days_before_term: float = DEFAULT_MAX_DAYS_BEFORE_TERM

    def earliest(self, term_start: datetime | None) -> datetime:
        """The earliest accepted instant for an agreement whose term starts at `term_start`."""
        if term_start is None:
            return OCCURRED_AT_FLOOR
        return max(OCCURRED_AT_FLOOR, term_start - timedelta(days=self.max_days_before_term))

    def latest(self, received_at: datetime) -> datetime:
        """The latest accepted instant for an event received at `received_at`."""
        return received_at + timedelta(seconds=self.max_future_seconds)

    def refusal(
        self, occurred_at: datetime, received_at: datetime, term_start: datetime | None
    ) -> str | None:
        """None when `occurred_at` is in range, else the reason shown to the sender."""
        earliest = self.earliest(term_start)
        if occurred_at < earliest:
            why = "the floor" if earliest == OCCURRED_AT_FLOOR else "the agreement's term allows"
            return (
                f"occurred_at: {_iso(occurred_at)} is before {_iso(earliest)}, the earliest "
                f"{why} (see docs/kpis.md, Event time)"
            )
        latest = self.latest(received_at)
        if occurred_at > latest:
            return (
                f"occurred_at: {_iso(occurred_at)} is more than {self.max_future_seconds:g} s "
                f"after receipt ({_iso(received_at)}); fix the sender's clock"
            )
        return None


def _iso(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")
