"""A worker that dies mid-stream and restarts from its changelog neither loses nor
double-counts: the recovery argument of services/core/kpi/engine.py, checked exhaustively
on random crash points.

The model of a crash, at a random point of a run that processes the log in batches and
flushes to the database now and then, as the worker does:
* the database holds what the last flush before the crash saved;
* for every source partition, a committed offset `c` at most the next unprocessed offset
  (all writes made before `c`'s event was acknowledged are durable: Faust flushes the
  producer before it commits) and a cut in the changelog partition's write sequence at
  or after that point (a suffix of the writes is lost).
The restarted engine restores the durable prefix and consumes again from `c` to the end of
the log. A write is tagged with the offset whose acknowledgement makes it durable: the
first event of its batch in that partition, or for deletions made between batches the
next event to come.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from services.core.contract.topics import Family
from services.core.kpi.engine import Outcome
from services.core.kpi.params import load_measurement_params
from services.core.kpi.windows import ROLLING_WINDOWS
from tests.engine_harness import Harness
from tests.histories import AGREEMENTS, HistorySpec, generate, parsed

PARAMS = load_measurement_params(Path(__file__).parents[2] / "deploy/agreements/demo.yaml")


class RecordingStore(dict[str, Any]):
    """A dict that logs every write per changelog partition, as Faust's changelog does."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: dict[int, list[tuple[int, str, Any]]] = {}
        self.batch_first: dict[int, int] = {}
        self.next_offset: dict[int, int] = {}

    def _log(self, partition: int, key: str, value: Any) -> None:
        tag = self.batch_first.get(partition, self.next_offset.get(partition, 0))
        self.writes.setdefault(partition, []).append((tag, key, value))

    def __setitem__(self, key: str, value: Any) -> None:
        super().__setitem__(key, value)
        self._log(value["p"], key, value)

    def __delitem__(self, key: str) -> None:
        partition = self[key]["p"]
        super().__delitem__(key)
        self._log(partition, key, None)


def run_until_crash(
    events: list[Any], rng: random.Random
) -> tuple[Harness, dict[Family, RecordingStore]]:
    """Process the log in batches of random size, as the worker's agent does, and stop at a
    random batch; the harness's saved rows are then what the database holds."""
    stores = {family: RecordingStore() for family in Family}
    harness = Harness(PARAMS, stores=dict(stores))
    harness.publish(events)
    log = harness.log
    crash_at = rng.randint(1, len(log))
    first = 0
    batches = 0
    while first < crash_at:
        batch = log[first : min(crash_at, first + rng.choice([1, 1, 2, 5, 20]))]
        first += len(batch)
        for family, partition, offset, event in batch:
            stores[family].batch_first.setdefault(partition, offset)
            stores[family].next_offset[partition] = offset + 1
            harness.engines[family].stage(event, partition, offset)
        for family, engine in harness.engines.items():
            engine.write()
            stores[family].batch_first.clear()
        batches += 1
        if batches % 3 == 0:
            harness.flush()
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


# Seed 191 crashes between the durable deletion of an expired bucket and the flush that
# would have saved its last value: the case `Engine.release` exists for.
@pytest.mark.parametrize("seed", [*range(40), 191])
def test_crash_and_restore_gives_the_undisturbed_figures(seed: int) -> None:
    rng = random.Random(seed)
    # Every third history spans weeks: crashes then also cut through tombstones.
    span = (96.0, 21 * 24.0, 35 * 24.0)[seed % 3]
    spec = HistorySpec(tickets=25, calls=25, duplicate_rate=0.15, span_hours=span)
    events = parsed(generate(seed, spec))
    undisturbed = Harness(PARAMS)
    undisturbed.publish(events)
    undisturbed.consume()
    expected = figures(undisturbed)

    crashed, stores = run_until_crash(events, rng)
    restored = {family: {} for family in Family}  # type: dict[Family, dict[str, Any]]
    committed: dict[tuple[Family, int], int] = {}
    for family, store in stores.items():
        for partition, writes in store.writes.items():
            offsets = {o for o, _, _ in writes} | {store.next_offset.get(partition, 0)}
            commit = rng.choice(sorted(offsets))
            durable_min = sum(1 for o, _, _ in writes if o < commit)
            cut = rng.randint(durable_min, len(writes))
            for _, key, value in writes[:cut]:
                if value is None:
                    restored[family].pop(key, None)
                else:
                    restored[family][key] = value
            committed[(family, partition)] = commit
    restarted = Harness(PARAMS, stores=restored)
    restarted.saved = dict(crashed.saved)
    for engine in restarted.engines.values():
        engine.rebuild_index({0, 1, 2})
    restarted.flush()
    replay = [
        (family, partition, offset, event)
        for family, partition, offset, event in crashed.log
        if offset >= committed.get((family, partition), 0)
    ]
    outcomes = restarted.consume(replay, batch=rng.choice([1, 3, 50]))
    assert Outcome.UNKNOWN_AGREEMENT not in outcomes
    assert figures(restarted) == expected
