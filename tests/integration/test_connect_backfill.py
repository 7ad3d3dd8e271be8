"""`slawatch-backfill connect` against the real broker and worker: interrupted, resumed, run
again and restarted, the KPI API keeps giving the hand-computed figures.

The export holds the scenario's records as Connect delivered them (twice, out of order, one
changed): tests/integration/connect_scenario.py works the figures out.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient

from services.core.contract.topics import Family, topic_name
from services.core.settings import KafkaSettings
from services.ingest.backfill.checkpoint import load
from services.ingest.backfill.formats import export_format
from services.ingest.backfill.main import parse_args, run_backfill
from services.ingest.backfill.rejects import FileDeadLetters
from services.ingest.backfill.runner import backfill
from services.ingest.backfill.settings_file import PSEUDONYM_KEY_VARIABLE, read_settings
from services.ingest.publisher import KafkaEventPublisher
from tests.integration.connect_scenario import delivery_order
from tests.integration.stack import WorkerProcess
from tests.integration.test_connect_bridge import (
    assert_hand_computed,
    eventually,
    hotline,  # noqa: F401 - the fixture
    kpis_match,
)

pytest_plugins = ["tests.integration.db_fixtures"]


class Interrupted(Exception):
    """What Ctrl-C is to the command: the run stops between two units."""


async def worker_caught_up(bootstrap: str, prefix: str) -> bool:
    """The worker committed every message of the calls topic (so it has processed them)."""
    topic = topic_name(prefix, Family.CALLS)
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None)
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await consumer.start()
    await admin.start()
    try:
        ends = await consumer.end_offsets(list(consumer.assignment()))
        committed = await admin.list_consumer_group_offsets(f"slawatch-{prefix}")
    finally:
        await admin.close()
        await consumer.stop()
    done = {tp: meta.offset for tp, meta in committed.items() if tp.topic == topic}
    return all(done.get(tp, 0) >= end for tp, end in ends.items())


async def counted(api: httpx.AsyncClient, agreement: str, **expected: int) -> bool:
    """The data-quality counts of October 2026 are `expected` (outcome -> count)."""
    got = (await api.get(f"/v1/agreements/{agreement}/data-quality?period=2026-10")).json()
    return all(got.get("counts", {}).get(k) == v for k, v in expected.items())


async def test_backfill_resumes_after_an_interrupt_and_publishes_once(
    hotline: tuple[httpx.AsyncClient, WorkerProcess, str],  # noqa: F811 - the fixture
    kafka_bootstrap: str,
    topic_prefix: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    api, worker, agreement = hotline
    monkeypatch.setenv(PSEUDONYM_KEY_VARIABLE, "globex-pseudonym-key-for-tests-0001")
    export = tmp_path / "ctr-2026-10-14.jsonl"
    export.write_text("".join(json.dumps(r) + "\n" for r in delivery_order()))
    settings_file = tmp_path / "connect.json"
    settings_file.write_text(json.dumps({"namespace": "connect:globex"}))
    checkpoint = tmp_path / "backfill.json"
    argv = [
        "connect", str(export), "--agreement", agreement, "--settings-file", str(settings_file),
        "--checkpoint", str(checkpoint), "--batch-events", "3",
    ]  # fmt: skip
    kafka = KafkaSettings(bootstrap_servers=kafka_bootstrap, topic_prefix=topic_prefix)

    # 1. Interrupted after its third line was acknowledged.
    units = 0

    def progress(path: Path, position: int, total: int) -> None:
        nonlocal units
        units += 1
        if units == 3:
            raise Interrupted

    fmt = export_format("connect", None)
    publisher = KafkaEventPublisher(kafka_bootstrap, topic_prefix)
    await publisher.start()
    try:
        with pytest.raises(Interrupted):
            await backfill(
                [export],
                fmt,
                read_settings(settings_file, agreement, "connect"),
                publisher,
                FileDeadLetters(tmp_path / "dead.jsonl"),
                load(checkpoint, agreement, "connect", fmt.name),
                checkpoint,
                progress,
                batch_events=3,
            )
    finally:
        await publisher.stop()
    assert load(checkpoint, agreement, "connect", fmt.name).start_of(export) > 0

    # 2. The same command resumes with the fourth line.
    resumed = await run_backfill(parse_args(argv), kafka)
    assert resumed.records == 4
    assert_hand_computed(await eventually(lambda: kpis_match(api, agreement), worker))
    # 13 distinct events; c-2's second copy and its changed copy are duplicates (3 + 3).
    await eventually(lambda: counted(api, agreement, accepted=13, duplicate=6), worker)

    # 3. Run again: nothing to publish.
    again = await run_backfill(parse_args(argv), kafka)
    assert (again.events, again.files_skipped) == (0, [str(export)])

    # 4. From the start again: everything is published again, and nothing counts twice.
    restarted = await run_backfill(parse_args([*argv, "--restart"]), kafka)
    assert restarted.events == 19
    assert await eventually(lambda: worker_caught_up(kafka_bootstrap, topic_prefix), worker)
    await eventually(lambda: counted(api, agreement, accepted=13, duplicate=6 + 19), worker)
    assert_hand_computed(await eventually(lambda: kpis_match(api, agreement), worker))
