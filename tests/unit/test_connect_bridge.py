"""The Connect bridge's per-message mapping and its publish-then-commit order, no broker."""

from __future__ import annotations

import json
import socket
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import pytest
from aiokafka import AIOKafkaConsumer
from prometheus_client import CollectorRegistry

from services.core.connectors.base import ConnectorSettings
from services.core.contract.events import EventBase
from services.ingest.connect_bridge.bridge import ContactRecordBridge
from services.ingest.connect_bridge.instruments import BridgeInstruments, serve_metrics
from services.ingest.connect_bridge.mapping import map_message
from services.ingest.connectors.stored import Refused
from services.ingest.publisher import PublishError
from tests.connect_records import abandoned, answered

T0 = datetime(2026, 10, 5, 9, 0, tzinfo=UTC)
SETTINGS = ConnectorSettings(
    agreement_id="acme-cn", tool="connect", namespace="connect:acme", pseudonym_key=b"k" * 32
)


def _bytes(value: Any) -> bytes:
    return json.dumps(value).encode()


def test_one_record_per_message_becomes_its_events() -> None:
    mapped = map_message(_bytes(answered("c-1", "+8613800138000", T0)), SETTINGS)
    assert [e.type for e in mapped.events] == ["call.offered", "call.answered", "call.completed"]
    assert {e.source for e in mapped.events} == {"connect-bridge"}
    assert mapped.refused == []


def test_a_bad_record_in_an_array_is_dead_lettered_alone_with_its_raw_json() -> None:
    good, bad = abandoned("c-2", "+8613800138000", T0), {"Channel": "VOICE", "Agent": None}
    mapped = map_message(_bytes([good, bad]), SETTINGS)
    assert [e.type for e in mapped.events] == ["call.offered", "call.abandoned"]
    assert len(mapped.refused) == 1
    assert json.loads(mapped.refused[0].raw) == bad
    assert "ContactId" in mapped.refused[0].reason


@pytest.mark.parametrize(
    ("value", "reason"),
    [(b"{not json", "not valid JSON"), (None, "not valid JSON"), (b"[]", "empty")],
)
def test_an_undecodable_message_is_dead_lettered_as_received(
    value: bytes | None, reason: str
) -> None:
    mapped = map_message(value, SETTINGS)
    assert mapped.events == []
    assert mapped.refused == [Refused(value or b"", mapped.refused[0].reason)]
    assert reason in mapped.refused[0].reason


def test_mapped_events_that_break_the_contract_are_dead_lettered() -> None:
    record = answered("c-3", "+8613800138000", T0, wait=10**7)  # a wait beyond any target
    record["Agent"]["AgentInteractionDuration"] = 10**7  # over the contract's 7-day bound
    mapped = map_message(_bytes(record), SETTINGS)
    assert mapped.events == []
    assert "contract" in mapped.refused[0].reason


@dataclass
class _Message:
    value: bytes


class _Consumer:
    """One partition `tp-0` holding `values`; its high watermark is their number."""

    def __init__(self, values: list[bytes], log: list[str]) -> None:
        self._values, self._log = values, log
        self._end, self._position = len(values), 0

    async def getmany(self, timeout_ms: int, max_records: int) -> dict[str, list[_Message]]:
        values, self._values = self._values[:max_records], self._values[max_records:]
        self._position += len(values)
        return {"tp-0": [_Message(v) for v in values]} if values else {}

    def assignment(self) -> set[str]:
        return {"tp-0"}

    def highwater(self, tp: str) -> int:
        return self._end

    async def position(self, tp: str) -> int:
        return self._position

    async def commit(self) -> None:
        self._log.append("commit")


class _Publisher:
    def __init__(self, log: list[str], fail: bool = False) -> None:
        self._log, self._fail = log, fail

    async def publish(self, events: Sequence[EventBase]) -> None:
        if self._fail:
            raise PublishError("broker down")
        self._log.append(f"publish {len(events)}")


class _DeadLetters:
    def __init__(self, log: list[str]) -> None:
        self._log = log

    async def put(self, refused: list[Refused]) -> None:
        self._log.append(f"dead {len(refused)}")


async def _settings() -> ConnectorSettings:
    return SETTINGS


def _bridge(
    values: list[bytes],
    log: list[str],
    fail: bool = False,
    instruments: BridgeInstruments | None = None,
    batch: int = 500,
) -> ContactRecordBridge:
    return ContactRecordBridge(
        cast(AIOKafkaConsumer, _Consumer(values, log)),
        cast(Any, _Publisher(log, fail)),
        _DeadLetters(log),
        _settings,
        batch,
        instruments=instruments,
    )


async def test_offsets_are_committed_after_events_and_dead_letters_are_stored() -> None:
    log: list[str] = []
    bridge = _bridge([_bytes(abandoned("c-4", "+8613800138000", T0)), b"junk"], log)
    assert await bridge.run_once(timeout_ms=10) == (2, 1)
    assert log == ["publish 2", "dead 1", "commit"]
    assert await bridge.run_once(timeout_ms=10) == (0, 0)


async def test_a_failed_publish_commits_nothing() -> None:
    log: list[str] = []
    bridge = _bridge([_bytes(abandoned("c-5", "+8613800138000", T0))], log, fail=True)
    with pytest.raises(PublishError):
        await bridge.run_once(timeout_ms=10)
    assert "commit" not in log


def _value(registry: CollectorRegistry, name: str, **labels: str) -> float | None:
    return registry.get_sample_value(name, labels)


async def test_records_are_counted_by_outcome_once_committed_with_lag_and_commit_time() -> None:
    registry = CollectorRegistry()
    log: list[str] = []
    values = [
        _bytes([abandoned("c-6", "+8613800138000", T0), {"Channel": "VOICE"}]),
        b"junk",
        _bytes(answered("c-7", "+8613800138000", T0)),
    ]
    bridge = _bridge(values, log, instruments=BridgeInstruments(registry), batch=2)
    payloads = "slawatch_connector_payloads_total"
    assert _value(registry, "slawatch_connect_bridge_last_commit_timestamp_seconds") == 0
    await bridge.run_once(timeout_ms=10)
    # Two messages, three records: one published, two dead letters; one message not read yet.
    assert _value(registry, payloads, connector_tool="connect", outcome="published") == 1
    assert _value(registry, payloads, connector_tool="connect", outcome="dead_letter") == 2
    assert _value(registry, "slawatch_connect_bridge_lag_records") == 1
    committed = _value(registry, "slawatch_connect_bridge_last_commit_timestamp_seconds")
    assert committed is not None
    assert committed > 0
    await bridge.run_once(timeout_ms=10)
    assert _value(registry, payloads, connector_tool="connect", outcome="published") == 2
    assert _value(registry, "slawatch_connect_bridge_lag_records") == 0


async def test_a_failed_publish_counts_nothing() -> None:
    registry = CollectorRegistry()
    values = [_bytes(abandoned("c-8", "+8613800138000", T0))]
    bridge = _bridge(values, [], fail=True, instruments=BridgeInstruments(registry))
    with pytest.raises(PublishError):
        await bridge.run_once(timeout_ms=10)
    payloads = "slawatch_connector_payloads_total"
    assert _value(registry, payloads, connector_tool="connect", outcome="published") is None
    assert _value(registry, "slawatch_connect_bridge_last_commit_timestamp_seconds") == 0


def test_the_metrics_endpoint_serves_the_bridge_s_own_registry() -> None:
    registry = CollectorRegistry()
    BridgeInstruments(registry).committed([], at=1_790_000_000.0)
    assert serve_metrics(0, registry) is None  # port 0: no server
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = serve_metrics(port, registry)
    assert server is not None
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=10) as response:
            text = response.read().decode()
    finally:
        server.shutdown()
        server.server_close()
    assert "slawatch_connect_bridge_last_commit_timestamp_seconds 1.79e+09" in text
    assert "slawatch_connect_bridge_lag_records" in text
    assert "slawatch_worker" not in text  # its own registry, not the process-wide default
