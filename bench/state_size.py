"""`python -m bench.state_size`: what the engine's state holds as event time passes.

The soak (bench/soak.py) shows the worker's RSS; this runs the same simulated traffic
through the pure engines in this process (no Kafka, no Faust) and counts the rows by kind
(entities, buckets by granularity, the expiry index) with the bytes tracemalloc sees, every
simulated day, then the bytes of one row of each kind, so a growth in RSS can be put down
to a kind of row. Prints JSON lines.
"""

from __future__ import annotations

import gc
import json
import os
import random
import time
import tracemalloc
from collections import Counter
from typing import Any

from services.core.contract.events import parse_event
from services.core.contract.topics import Family, event_key, family_of
from services.core.kpi import keys
from services.core.kpi.engine import Engine
from services.core.kpi.retention import Retention
from services.simulator.model import TrafficModel
from services.simulator.scene import Rates, default_params

DAYS = int(os.environ.get("STATE_DAYS", "45"))
AGREEMENTS = int(os.environ.get("STATE_AGREEMENTS", "2"))
PER_MINUTE = float(os.environ.get("STATE_PER_MINUTE", "0.2"))
PARTITIONS = 6


def kind_of(key: str) -> str:
    if keys.is_bucket(key):
        return "bucket_" + keys.parse_bucket(key)[2]
    return {"e": "entity", "w": "watermark", "s": "position"}.get(key[0], "other")


def census(engines: dict[Family, Engine]) -> dict[str, Any]:
    rows: Counter[str] = Counter()
    for engine in engines.values():
        rows.update(kind_of(k) for k in engine.store)
    index = sum(len(h) for e in engines.values() for h in e._expiry.values())
    return {**rows, "expiry_index_entries": index}


def bytes_per_row(engines: dict[Family, Engine]) -> dict[str, int]:
    """Bytes one row of each kind holds: the traced memory freed by dropping them all.

    Destructive (the engines are empty afterwards). The expiry index goes first, so that
    the keys it shares with the rows are counted with the rows.
    """
    gc.collect()
    sizes = {}
    before = tracemalloc.get_traced_memory()[0]
    entries = sum(len(h) for e in engines.values() for h in e._expiry.values())
    for engine in engines.values():
        engine._expiry.clear()
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    sizes["expiry_index_entries"] = round((before - after) / max(entries, 1))
    for kind in ("entity", "bucket_minute", "bucket_hour", "bucket_month", "bucket_quarter"):
        before, count = tracemalloc.get_traced_memory()[0], 0
        for engine in engines.values():
            for key in [k for k in engine.store if kind_of(k) == kind]:
                del engine.store[key]
                count += 1
        gc.collect()
        sizes[kind] = round((before - tracemalloc.get_traced_memory()[0]) / max(count, 1))
    return sizes


def main() -> None:
    ids = [f"a{i}" for i in range(AGREEMENTS)]
    params = {a: default_params(a) for a in ids}
    engines = {f: Engine(f, {}, params, Retention()) for f in Family}
    start = time.time() - DAYS * 86_400
    model = TrafficModel(ids, random.Random(3), start, Rates(PER_MINUTE, PER_MINUTE))
    offsets: Counter[tuple[Family, int]] = Counter()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    events = 0
    for day in range(DAYS):
        for hour in range(24):
            t = start + (day * 24 + hour) * 3600
            for raw in model.events_between(t, t + 3600):
                event = parse_event(raw)
                family = family_of(event.type)
                partition = hash(event_key(event)) % PARTITIONS
                engines[family].process(event, partition, offsets[(family, partition)])
                offsets[(family, partition)] += 1
                events += 1
            for engine in engines.values():  # the sink's flush: saved rows may leave memory
                engine.dirty.clear()
                engine.release(set(engine.expired))
        traced = tracemalloc.get_traced_memory()[0] - base
        line = {"day": day + 1, "events": events, "state_mb": round(traced / 2**20, 2)}
        print(json.dumps(line | census(engines)), flush=True)
    print(json.dumps({"bytes_per_row": bytes_per_row(engines)}), flush=True)


if __name__ == "__main__":
    main()
