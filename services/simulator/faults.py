"""Bad events on purpose: what a careless producer sends, to exercise the rejection paths.

Each fault is a copy of a good event with a fresh id, so the good traffic stays whole and
its figures are unaffected. Off by default; tests and chaos runs turn it on.
"""

from __future__ import annotations

import random

from services.simulator.draws import new_uuid
from services.simulator.scene import Event

UNKNOWN_AGREEMENT_ID = "unknown-agreement"


def _unknown_agreement(event: Event) -> None:
    event["agreement_id"] = UNKNOWN_AGREEMENT_ID  # valid JSON contract, unknown to the worker


def _naive_timestamp(event: Event) -> None:
    event["occurred_at"] = str(event["occurred_at"]).removesuffix("Z")


def _unknown_type(event: Event) -> None:
    event["type"] = "ticket.exploded"


def _missing_field(event: Event) -> None:
    del event["agreement_id"]


def _extra_field(event: Event) -> None:
    event["unexpected"] = True


FAULTS = (_unknown_agreement, _naive_timestamp, _unknown_type, _missing_field, _extra_field)


def bad_copy(rng: random.Random, event: Event) -> Event:
    """A broken (or misaddressed) copy of `event` with its own event id."""
    copy = dict(event, event_id=new_uuid(rng))
    rng.choice(FAULTS)(copy)
    return copy
