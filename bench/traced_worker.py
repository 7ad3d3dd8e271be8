"""The metrics worker under tracemalloc, for `make soak SOAK_TRACE=1`: what is growing.

A thread writes, every SOAK_TRACE_INTERVAL_SECONDS, the allocation sites that grew most
since the first report and the most numerous object types, as JSON lines to
SOAK_TRACE_FILE. tracemalloc roughly halves the worker's speed: use it to find a growth,
not to measure throughput.
"""

from __future__ import annotations

import collections
import ctypes
import gc
import json
import os
import threading
import time
import tracemalloc
from pathlib import Path

from services.metrics import worker

TOP = 25


def report(baseline: tracemalloc.Snapshot | None) -> tuple[tracemalloc.Snapshot, dict[str, object]]:
    snapshot = tracemalloc.take_snapshot().filter_traces(
        [tracemalloc.Filter(False, tracemalloc.__file__)]
    )
    stats = (
        snapshot.compare_to(baseline, "lineno")
        if baseline is not None
        else [*snapshot.statistics("lineno")]
    )
    types = collections.Counter(type(o).__name__ for o in gc.get_objects())
    current, peak = tracemalloc.get_traced_memory()
    return snapshot, {
        "at": time.time(),
        "traced_bytes": current,
        "traced_peak_bytes": peak,
        "sites": [
            {
                "where": str(s.traceback[0]),
                "size_bytes": s.size,
                "size_diff_bytes": getattr(s, "size_diff", s.size),
                "count": s.count,
            }
            for s in stats[:TOP]
        ],
        "types": types.most_common(TOP),
    }


def rss_bytes() -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return 0


def trim_probe() -> dict[str, int]:
    """RSS before and after glibc's malloc_trim: how much is freed heap kept by malloc."""
    before = rss_bytes()
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    return {"rss_before_trim_bytes": before, "rss_after_trim_bytes": rss_bytes()}


def reporter(path: str, interval_seconds: float) -> None:
    baseline = None
    with open(path, "a") as out:
        while True:
            time.sleep(interval_seconds)
            line: dict[str, object] = {"at": time.time()}
            if tracemalloc.is_tracing():
                snapshot, line = report(baseline)
                baseline = baseline or snapshot
                line["tracemalloc_overhead_bytes"] = tracemalloc.get_tracemalloc_memory()
            if os.environ.get("SOAK_TRIM_PROBE") == "1":
                line |= trim_probe()
            out.write(json.dumps(line) + "\n")
            out.flush()


def main() -> None:
    if os.environ.get("SOAK_TRACE") == "1":
        tracemalloc.start(int(os.environ.get("SOAK_TRACE_FRAMES", "1")))
    path = os.environ["SOAK_TRACE_FILE"]
    interval = float(os.environ.get("SOAK_TRACE_INTERVAL_SECONDS", "30"))
    threading.Thread(target=reporter, args=(path, interval), daemon=True).start()
    worker.main()


if __name__ == "__main__":
    main()
