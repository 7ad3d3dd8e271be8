"""A worker that dies mid-stream and restarts from its changelog neither loses nor
double-counts: the recovery argument of services/core/kpi/engine.py, checked exhaustively
on random crash points.

The model of a crash: for every source partition, the committed offset `c` (all writes of
events before `c` are durable, Faust flushes before it commits) and a cut in the changelog
partition's write sequence at or after that point (a suffix of writes is lost). The
restarted engine restores the durable prefix and consumes again from `c`.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from services.core.agreements import load_measurement_params
from services.core.kpi.engine import Outcome
from services.core.kpi.windows import ROLLING_WINDOWS
from services.core.topics import Family
from tests.engine_harness import Harness
from tests.histories import AGREEMENTS, HistorySpec, generate, parsed

PARAMS = load_measurement_params(Path(__file__).parents[2] / "deploy/agreements/demo.yaml")


class RecordingStore(dict[str, Any]):
    """A dict that logs every write per changelog partition, as Faust's changelog does."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: dict[int, list[tuple[int, str, Any]]] = {}
        self.current_offset = -1

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        self.writes.setdefault(value["p"], []).append((self.current_offset, key, value))

    def __delitem__(self, key: str) -> None:
        partition = self[key]["p"]
        super().__delitem__(key)
        self.writes.setdefault(partition, []).append((self.current_offset, key, None))


def run_recording(events: list[Any]) -> tuple[Harness, dict[Family, RecordingStore]]:
    stores = {family: RecordingStore() for family in Family}
    harness = Harness(PARAMS, stores=dict(stores))
    harness.publish(events)
    for family, partition, offset, event in harness.log:
        stores[family].current_offset = offset
        harness.engines[family].process(event, partition, offset)
    return harness, stores


def figures(harness: Harness) -> dict[tuple[str, str], dict[str, Any]]:
    harness.flush()
    out = {}
    for agreement_id in AGREEMENTS:
        if harness.stream_time(agreement_id) is None:
            continue
        for window in ROLLING_WINDOWS:
            result = harness.evaluate(agreement_id, window)
            out[(agreement_id, window)] = {
                k: (round(v.value, 6) if v.value is not None else None, v.n)
                for k, v in result.figures.items()
            }
    return out


@pytest.mark.parametrize("seed", range(12))
def test_crash_and_restore_gives_the_undisturbed_figures(seed: int) -> None:
    rng = random.Random(seed)
    events = parsed(generate(seed, HistorySpec(tickets=25, calls=25, duplicate_rate=0.15)))
    undisturbed = Harness(PARAMS)
    undisturbed.publish(events)
    undisturbed.consume()
    expected = figures(undisturbed)

    crashed, stores = run_recording(events)
    restored = {family: {} for family in Family}  # type: dict[Family, dict[str, Any]]
    committed: dict[tuple[Family, int], int] = {}
    for family, store in stores.items():
        for partition, writes in store.writes.items():
            offsets = sorted({o for o, _, _ in writes})
            commit = rng.choice([*offsets, offsets[-1] + 1])
            durable_min = sum(1 for o, _, _ in writes if o < commit)
            cut = rng.randint(durable_min, len(writes))
            for _, key, value in writes[:cut]:
                if value is None:
                    restored[family].pop(key, None)
                else:
                    restored[family][key] = value
            committed[(family, partition)] = commit
    restarted = Harness(PARAMS, stores=restored)
    for engine in restarted.engines.values():
        engine.rebuild_index({0, 1, 2})
    restarted.flush()
    replay = [
        (family, partition, offset, event)
        for family, partition, offset, event in crashed.log
        if offset >= committed.get((family, partition), 0)
    ]
    outcomes = restarted.consume(replay)
    assert Outcome.UNKNOWN_AGREEMENT not in outcomes
    assert figures(restarted) == expected
