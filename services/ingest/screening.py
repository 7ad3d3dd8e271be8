"""After the contract: refuse events the pipeline could not count or the key may not write,
and say what was refused.

Three checks need more than the event itself, made per event in this order: its agreement
must exist (the workers could never count an event of an agreement nobody stored), the key's
scope must cover it (services/core/auth/access.py), and its `occurred_at` must lie in the range
of services/core/contract/event_range.py, which starts from the agreement's term. For a scoped key a
missing agreement is refused in the words of another client's one, so a key cannot learn
which ids exist elsewhere. All are decided here as pure functions of the batch, the key, the
known agreements and the receipt time. `refused_counts` turns refusals into the data-quality
counts of agreements the key may write (docs/metrics.md, "Data quality").
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from services.core.auth.access import Principal, agreement_refusal, publish_refusal
from services.core.contract.event_range import EventTimeRange
from services.core.contract.events import EventBase
from services.core.storage.event_counts import CountKey, hour_of
from services.ingest.agreements import KnownAgreement
from services.ingest.batch import DUPLICATE_IN_BATCH, Rejection


@dataclass(frozen=True, slots=True)
class Screened:
    """The events to publish and every refusal of the batch, in batch order; `out_of_scope`
    holds the batch indices of the refusals the key's scope made."""

    accepted: list[EventBase]
    rejected: list[Rejection]
    out_of_scope: frozenset[int] = frozenset()

    @property
    def all_out_of_scope(self) -> bool:
        """Nothing accepted and every refusal the scope's: the key may write none of it."""
        return (
            not self.accepted
            and bool(self.rejected)
            and self.out_of_scope.issuperset(r.index for r in self.rejected)
        )


def claimed_agreement(item: Any) -> str | None:
    """The agreement id an item of the batch names, valid or not."""
    agreement = item.get("agreement_id") if isinstance(item, dict) else None
    return agreement if isinstance(agreement, str) else None


def screen(
    events: Sequence[tuple[int, EventBase]],
    rejected: Sequence[Rejection],
    principal: Principal,
    known: Mapping[str, KnownAgreement],
    received_at: datetime,
    window: EventTimeRange,
) -> Screened:
    """Refuse, among valid `events` (batch index, event), those of unknown agreements, those
    outside `principal`'s scope and those dated out of range; `rejected` are the earlier
    refusals, merged in order."""
    accepted: list[EventBase] = []
    refusals = list(rejected)
    out_of_scope: set[int] = set()
    for index, event in events:
        agreement = known.get(event.agreement_id)
        owner = agreement.client if agreement is not None else None
        scope = publish_refusal(principal, event.agreement_id, owner, event.source)
        if scope is not None:  # for a scoped key this covers a missing agreement too
            out_of_scope.add(index)
            reason: str | None = scope
        elif agreement is None:
            reason = f"agreement_id: no agreement {event.agreement_id!r}"
        else:
            reason = window.refusal(event.occurred_at, received_at, agreement.term_start)
        if reason is None:
            accepted.append(event)
        else:
            refusals.append(Rejection(index=index, event_id=event.event_id, reason=reason))
    ordered = sorted(refusals, key=lambda r: r.index)
    return Screened(accepted, ordered, frozenset(out_of_scope))


def refused_counts(
    items: Sequence[Any],
    screened: Screened,
    principal: Principal,
    known: Mapping[str, KnownAgreement],
    received_at: datetime,
) -> Counter[CountKey]:
    """Per (claimed agreement, hour of receipt, outcome): the batch's refusals. A repeated
    event_id counts as `duplicate`, every other refusal as `invalid`. Only agreements that
    exist and `principal` may write are counted, and no refusal of the scope: a key must not
    add to another client's figures, nor learn from them which agreements exist."""
    counts: Counter[CountKey] = Counter()
    hour = hour_of(received_at.timestamp())
    for refusal in screened.rejected:
        agreement = claimed_agreement(items[refusal.index])
        if agreement is None or refusal.index in screened.out_of_scope:
            continue
        if agreement not in known or agreement_refusal(
            principal, agreement, known[agreement].client
        ):
            continue
        outcome = "duplicate" if refusal.reason.startswith(DUPLICATE_IN_BATCH) else "invalid"
        counts[(agreement, hour, outcome)] += 1
    return counts
