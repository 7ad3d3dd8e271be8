"""The Faust floor: what Faust alone sustains on the benchmark's topics.

A Faust app that reads the family topics in batches, as the worker does, and parses every
event with the worker's own parser, but keeps no state and writes nothing. The gap between
this and the bare consumer is Faust's per-message cost; the gap between this and the worker
is the KPI engine, its state and its sink.

`python -m bench.faust_floor PREFIX COUNT RESULT_FILE` writes {"seconds": ...} for COUNT
events, timed from the first batch, then stops.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import faust

from services.core.contract.events import InvalidEvent, parse_event_json
from services.core.contract.topics import Family, topic_name
from services.metrics.app import broker_url


def finish(result: Path, seconds: float) -> None:
    result.write_text(json.dumps({"seconds": seconds}))
    os.kill(os.getpid(), signal.SIGTERM)  # the worker then stops as on Ctrl-C


def main() -> None:
    prefix, count, result = sys.argv[1], int(sys.argv[2]), Path(sys.argv[3])
    bootstrap = os.environ.get("KAFKA_BOOTSTRAP_SERVERS", "127.0.0.1:19092")
    app = faust.App(
        f"bench-floor-{prefix}",
        broker=broker_url(bootstrap),
        store="memory://",
        datadir=tempfile.mkdtemp(prefix="slawatch-floor-"),
        web_enabled=False,
        consumer_auto_offset_reset="earliest",
        broker_session_timeout=10,
        key_serializer="raw",
        value_serializer="raw",
    )
    progress: dict[str, float] = {"seen": 0}

    async def process(stream: Any) -> None:
        async for events in stream.take_events(1000, 0.2):
            progress.setdefault("first", time.perf_counter())
            for event in events:
                with contextlib.suppress(InvalidEvent):
                    parse_event_json(event.message.value or b"")
            progress["seen"] += len(events)
            if progress["seen"] >= count and "done" not in progress:
                progress["done"] = time.perf_counter()
                finish(result, progress["done"] - progress["first"])

    for family in Family:
        topic = app.topic(topic_name(prefix, family), key_serializer="raw", value_serializer="raw")
        app.agent(topic, name=f"floor-{family.value}")(process)
    faust.Worker(app, loglevel="WARNING").execute_from_commandline()


if __name__ == "__main__":
    main()
