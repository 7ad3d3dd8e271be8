"""Which partitions the worker's consumer rewinds after "seek to committed" (issue 3's
takeover stall: records dropped in a rebalance were never read again)."""

from __future__ import annotations

from faust.types import TP

from services.metrics.app import partitions_to_rewind


def test_only_source_partitions_without_a_committed_offset_are_rewound() -> None:
    committed: dict[TP, int | None] = {
        TP("calls", 1): None,  # never committed: its owner died before the first commit
        TP("calls", 0): 0,
        TP("tickets", 2): 57,  # committed: "seek to committed" already put it right
        TP("tickets", 0): -1,
        TP("app-state-calls-changelog", 0): None,  # tables recover on their own
    }
    rewind = partitions_to_rewind(committed, lambda topic: not topic.endswith("-changelog"))
    assert rewind == [TP("calls", 0), TP("calls", 1), TP("tickets", 0)]


def test_nothing_to_rewind_when_every_partition_has_an_offset() -> None:
    committed: dict[TP, int | None] = {TP("calls", 0): 3, TP("calls", 1): 9}
    assert partitions_to_rewind(committed, lambda topic: True) == []
