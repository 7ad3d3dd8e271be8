"""The Connect bridge's per-message mapping and its publish-then-commit order, no broker."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import pytest
from aiokafka import AIOKafkaConsumer

from services.core.connectors.base import ConnectorSettings
from services.core.contract.events import EventBase
from services.ingest.connect_bridge.bridge import ContactRecordBridge
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
    def __init__(self, values: list[bytes], log: list[str]) -> None:
        self._values, self._log = values, log

    async def getmany(self, timeout_ms: int, max_records: int) -> dict[str, list[_Message]]:
        values, self._values = self._values[:max_records], self._values[max_records:]
        return {"tp-0": [_Message(v) for v in values]} if values else {}

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


def _bridge(values: list[bytes], log: list[str], fail: bool = False) -> ContactRecordBridge:
    return ContactRecordBridge(
        cast(AIOKafkaConsumer, _Consumer(values, log)),
        cast(Any, _Publisher(log, fail)),
        _DeadLetters(log),
        _settings,
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
