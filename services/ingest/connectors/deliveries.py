"""Replay keys: a tool's delivery id seen twice is acknowledged and not published again.

Some tools name each delivery (Chatwoot's `X-Chatwoot-Delivery`); a connector exposing
`delivery_id(headers)` lets the webhook path answer a repeated delivery at once, without
keeping or publishing it a second time. Only an optimisation over event ids, which are
deterministic and collapse duplicates downstream anyway; so the memory is per process and
bounded (the oldest keys are forgotten first), not shared between ingest replicas.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping
from typing import Any


def delivery_key(connector: Any, headers: Mapping[str, str]) -> str | None:
    """The connector's replay key for this request, if its tool names deliveries."""
    find = getattr(connector, "delivery_id", None)
    found = find(headers) if callable(find) else None
    return found if isinstance(found, str) and found else None


class SeenDeliveries:
    """The last `capacity` (connector id, delivery id) pairs that were published."""

    def __init__(self, capacity: int = 100_000) -> None:
        self._capacity = capacity
        self._seen: OrderedDict[tuple[str, str], None] = OrderedDict()

    def seen(self, connector_id: str, delivery: str) -> bool:
        return (connector_id, delivery) in self._seen

    def remember(self, connector_id: str, delivery: str) -> None:
        self._seen[(connector_id, delivery)] = None
        self._seen.move_to_end((connector_id, delivery))
        while len(self._seen) > self._capacity:
            self._seen.popitem(last=False)
