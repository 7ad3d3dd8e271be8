"""Feeding the worker's Prometheus instruments: distributions, lag and ownership.

Kept out of the agents so the event path stays a straight line; everything here is cheap
(dictionary updates), and the gauges are refreshed by the flush timer, not per event.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from services.core.contract.topics import Family
from services.core.kpi.engine import Engine
from services.core.kpi.entities import EntityEvent
from services.core.kpi.facts import Fact
from services.metrics.instruments import Instruments


def clients_of(agreements_file: Path) -> dict[str, str]:
    """agreement id -> client id, for the `client` label."""
    if not agreements_file.is_file():
        return {}
    raw: Any = yaml.safe_load(agreements_file.read_text()) or {}
    return {a["agreement_id"]: str(a.get("client", "")) for a in raw.get("agreements", [])}


def attach_histograms(
    engines: Mapping[Family, Engine], instruments: Instruments, clients: Mapping[str, str]
) -> None:
    def on_fact(agreement: str, events: Sequence[EntityEvent], fact: Fact) -> None:
        priority = next((e["priority"] for e in events if e["k"] == "ticket.created"), "")
        instruments.observe_fact(agreement, clients.get(agreement, ""), priority, fact)

    for engine in engines.values():
        engine.on_fact = on_fact


def update_gauges(
    instruments: Instruments,
    family: Family,
    topic: str,
    owned: set[int],
    highwater: Mapping[int, int | None],
    processed: Mapping[tuple[str, int], int],
) -> int:
    """Set lag and ownership for one family's topic; forget partitions no longer owned.

    Returns the family's total lag over its owned partitions."""
    instruments.owned.labels(family.value).set(len(owned))
    instruments.forget_partitions(topic, owned)
    total = 0
    for partition in owned:
        end = highwater.get(partition)
        if end is None:  # not fetched yet after a rebalance
            continue
        next_offset = processed.get((topic, partition), -1) + 1
        lag = max(0, end - next_offset)
        instruments.set_lag(topic, partition, lag)
        total += lag
    return total
