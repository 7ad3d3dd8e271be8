"""Row keys of the engine's store. Every key names its partition-local row."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def entity(entity_key: str) -> str:
    return f"e|{entity_key}"


def bucket(
    agreement_id: str, partition: int, granularity: str, start: float, slice_: str = ""
) -> str:
    """A bucket of the totals, or of one breakdown slice `dimension=value` when given."""
    key = f"b|{agreement_id}|{partition}|{granularity}|{int(start)}"
    return f"{key}|{slice_}" if slice_ else key


def position(agreement_id: str, partition: int) -> str:
    return f"s|{agreement_id}|{partition}"


def is_entity(key: str) -> bool:
    return key.startswith("e|")


def is_bucket(key: str) -> bool:
    return key.startswith("b|")


def is_position(key: str) -> bool:
    return key.startswith("s|")


def parse_bucket(key: str) -> tuple[str, int, str, float]:
    """(agreement_id, partition, granularity, start) of a bucket key (totals or slice)."""
    _, agreement_id, partition, granularity, start = key.split("|")[:5]
    return agreement_id, int(partition), granularity, float(start)


def bucket_slice(key: str) -> str:
    """The slice `dimension=value` of a bucket key; "" for the totals."""
    parts = key.split("|")
    return parts[5] if len(parts) > 5 else ""


def parse_position(key: str) -> tuple[str, int]:
    _, agreement_id, partition = key.split("|")
    return agreement_id, int(partition)


def buckets_of(store: Any, partition: int) -> Iterator[tuple[str, dict[str, Any]]]:
    for key, row in list(store.items()):
        if is_bucket(key) and row.get("p") == partition:
            yield key, row
