"""Tombstones: what a finished entity keeps so that its later events still count right.

When a finished entity's row expires (services/core/kpi/retention.py), the engine does not
forget it at once: it keeps a tombstone, a few of its events chosen so that, for any events
still to come (all later than every kept one, or they would be late), the facts the
tombstone's events and the new ones give differ from the tombstone's own facts exactly as
the full history's would. The already counted facts stay in the buckets; the tombstone's
row records the facts of its kept events, so the engine's retract-and-add works unchanged.

* A closed ticket keeps its first `ticket.created` (start and priority), its first two agent
  replies (FRT is the first; ticket FCR needs to know 0, 1 or more replies before the first
  resolution) and, if it is resolved and has had an agent reply, only its first
  `ticket.resolved` (the FCR judgement instant; a reopen then starts a new cycle whose
  clock needs no earlier pause, since a reopen ends every pause). Otherwise it keeps every
  status change, so a later first reply or resolution is clocked over the same pauses.
* A survey keeps the submission that counts (the latest), so a resubmission replaces it.
* Calls keep nothing: once the FCR horizon has passed, no later call of the customer can
  change an earlier call's facts (docs/kpis.md, "Calls").

Kept events lose their `event_id`: a copy of one would be late by now, and among kept events
type rank and instant order them as far as any fact can tell.
"""

from __future__ import annotations

from collections.abc import Sequence

from services.core.contract.topics import Family
from services.core.kpi.entities import EntityEvent, event_order

STATE_CHANGES = ("ticket.status_changed", "ticket.resolved", "ticket.reopened")


def tombstone(family: Family, events: Sequence[EntityEvent]) -> list[EntityEvent] | None:
    """The events a finished entity keeps (in event order), or None if it keeps nothing."""
    if not events:
        return None
    kept = None
    if family is Family.SURVEYS:
        kept = [events[-1]]
    elif family is Family.TICKETS:
        kept = _ticket_tombstone(events)
    return None if kept is None else [{**e, "id": ""} for e in kept]


def is_resolved(events: Sequence[EntityEvent]) -> bool:
    """Whether the ticket's last resolution cycle has ended (docs/kpis.md, "Resolution")."""
    resolved = False
    for e in events:
        if e["k"] == "ticket.resolved":
            resolved = True
        elif e["k"] == "ticket.reopened":
            resolved = False
    return resolved


def _ticket_tombstone(events: Sequence[EntityEvent]) -> list[EntityEvent] | None:
    created = next((e for e in events if e["k"] == "ticket.created"), None)
    if created is None:
        return None  # nothing of it was ever counted, and its creation would now be late
    replies = [e for e in events if e["k"] == "ticket.replied" and e["agent"]][:2]
    changes = [e for e in events if e["k"] in STATE_CHANGES]
    if replies and is_resolved(events):
        changes = [next(e for e in changes if e["k"] == "ticket.resolved")]
    return sorted([created, *replies, *changes], key=event_order)
