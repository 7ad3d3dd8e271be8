"""How long the engine keeps state, so memory stays bounded while figures stay exact.

Watermarks are per agreement and partition (docs/kpis.md, "Late ... events"). An entity's
full row expires once none of its events can be replaced (all older than the watermark
minus the allowed lateness, so any copy would be late) and no later event can change its
counted facts (the FCR horizon has passed). A finished ticket or a survey then becomes a
tombstone (services/core/kpi/tombstones.py) that later events, such as a reopen weeks later
or a resubmitted survey, still find; the tombstone goes `tombstone_seconds` after the
entity's last event. A bucket is dropped, and no longer updated, once it can no longer fall
into a window evaluated at the watermark.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from services.core.contract.topics import Family
from services.core.kpi import keys
from services.core.kpi.entities import EntityEvent
from services.core.kpi.facts import Fact
from services.core.kpi.params import MeasurementParams

DAY = 86_400.0
_STATE_CHANGES = ("ticket.status_changed", "ticket.resolved", "ticket.reopened")
_CLOSED = ("solved", "closed")


@dataclass
class Retention:
    lateness_seconds: float = 3600.0
    open_ticket_seconds: float = 90 * DAY
    minute_bucket_seconds: float = 2 * 3600.0
    hour_bucket_seconds: float = 31 * DAY
    period_bucket_seconds: float = 100 * DAY
    # Covers reopens weeks after a resolution (helpdesks commonly close a solved ticket for
    # good after 28 days; a reply then opens a new ticket) and surveys resubmitted days later.
    tombstone_seconds: float = 35 * DAY
    # Events dated more than this after the worker's clock are refused (services/core/kpi/
    # limits.py); only used when the engine is given a clock.
    max_ahead_seconds: float = 3600.0
    _last_scan: dict[tuple[str, int], int] = field(default_factory=dict, repr=False)

    def entity_expiry(
        self,
        family: Family,
        events: Sequence[EntityEvent],
        facts: Sequence[Fact],
        params: MeasurementParams,
    ) -> float:
        """Event-time instant after which the entity's row can go."""
        last = float(max(e["t"] for e in events))
        quiet = last + self.lateness_seconds + 1.0
        if family is Family.SURVEYS:
            return quiet
        if family is Family.CALLS:
            return quiet + float(params.fcr_horizon_seconds)
        if not _closed(events):
            return last + self.open_ticket_seconds
        return quiet + float(params.fcr_horizon_seconds)

    def keeps_tombstone(self, family: Family, events: Sequence[EntityEvent]) -> bool:
        """Whether an expiring entity leaves a tombstone (closed tickets, surveys)."""
        if family is Family.SURVEYS:
            return True
        return family is Family.TICKETS and _closed(events)

    def tombstone_expiry(self, events: Sequence[EntityEvent]) -> float:
        return float(max(e["t"] for e in events)) + self.tombstone_seconds

    def _keep_seconds(self, granularity: str) -> float:
        if granularity == "minute":
            return self.minute_bucket_seconds + self.lateness_seconds
        if granularity == "hour":
            return self.hour_bucket_seconds + self.lateness_seconds
        return self.period_bucket_seconds + self.lateness_seconds

    def bucket_writable(self, granularity: str, start: float, watermark: float | None) -> bool:
        return watermark is None or start >= watermark - self._keep_seconds(granularity)

    def expired_buckets(
        self, bucket_keys: Iterable[str], agreement_id: str, partition: int, now: float
    ) -> Iterator[str]:
        """Among one agreement's bucket keys on `partition`, those no window at `now` needs."""
        # Scanning is linear in the agreement's buckets; it runs when its watermark crosses
        # an hour.
        hour = int(now // 3600)
        if self._last_scan.get((agreement_id, partition)) == hour:
            return iter(())
        self._last_scan[(agreement_id, partition)] = hour
        expired = []
        for key in bucket_keys:
            _, _, granularity, start = keys.parse_bucket(key)
            if not self.bucket_writable(granularity, start, now):
                expired.append(key)
        return iter(expired)


def _closed(events: Sequence[EntityEvent]) -> bool:
    changes = [e for e in events if e["k"] in _STATE_CHANGES]
    last_change = changes[-1] if changes else None
    return last_change is not None and (
        last_change["k"] == "ticket.resolved" or last_change.get("status") in _CLOSED
    )
