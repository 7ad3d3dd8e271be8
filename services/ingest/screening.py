"""After the contract: refuse events the pipeline could not count, and say what was refused.

Two checks need more than the event itself: its agreement must exist (the workers could
never count an event of an agreement nobody stored), and its `occurred_at` must lie in the
range of services/core/event_range.py, which starts from the agreement's term. Both are
decided here, per event, as pure functions of the batch, the known agreements and the
receipt time. `refused_counts` turns every refusal into the data-quality count of its
agreement (docs/metrics.md, "Data quality").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.core.db.event_counts import CountKey, hour_of
from services.core.event_range import EventTimeRange
from services.core.events import EventBase
from services.ingest.batch import DUPLICATE_IN_BATCH, Rejection


@dataclass(frozen=True, slots=True)
class Screened:
    """The events to publish and every refusal of the batch, in batch order."""

    accepted: list[EventBase]
    rejected: list[Rejection]


def screen(
    events: Sequence[tuple[int, EventBase]],
    rejected: Sequence[Rejection],
    terms: Mapping[str, datetime],
    received_at: datetime,
    window: EventTimeRange,
) -> Screened:
    """Refuse, among valid `events` (batch index, event), those of unknown agreements and
    those dated out of range; `rejected` are the contract's refusals, merged in order."""
    accepted: list[EventBase] = []
    refusals = list(rejected)
    for index, event in events:
        reason = None
        if event.agreement_id not in terms:
            reason = f"agreement_id: no agreement {event.agreement_id!r}"
        else:
            start = terms[event.agreement_id]
            reason = window.refusal(event.occurred_at, received_at, start)
        if reason is None:
            accepted.append(event)
        else:
            refusals.append(Rejection(index=index, event_id=event.event_id, reason=reason))
    return Screened(accepted, sorted(refusals, key=lambda r: r.index))


def refused_counts(
    items: Sequence[Any], rejected: Sequence[Rejection], received_at: datetime
) -> Counter[CountKey]:
    """Per (claimed agreement, hour of receipt, outcome): the batch's refusals. A repeated
    event_id counts as `duplicate`, every other refusal as `invalid`; an agreement that
    does not exist is dropped when the counts are stored."""
    counts: Counter[CountKey] = Counter()
    hour = hour_of(received_at.timestamp())
    for refusal in rejected:
        item = items[refusal.index]
        agreement = item.get("agreement_id") if isinstance(item, dict) else None
        if not isinstance(agreement, str):
            continue
        outcome = "duplicate" if refusal.reason.startswith(DUPLICATE_IN_BATCH) else "invalid"
        counts[(agreement, hour, outcome)] += 1
    return counts
