"""The status event publisher over a broker that acknowledges slowly (a fake producer).

Issue 10: a publish that timed out was rolled back and sent again although the broker had
the message. The publisher now never sends a message again while its delivery is in flight.
"""

from __future__ import annotations

import asyncio

from services.core.messaging.sla_status import EVENT_ID_HEADER, SlaStatusPublisher
from services.core.settings import KafkaSettings
from services.core.storage.outbox_repo import OutboxMessage
from tests.slow_broker import SlowBroker


def message(seq: int) -> OutboxMessage:
    return OutboxMessage(seq, f"event-{seq}", b"agreement-a", b'{"n": %d}' % seq)


def publisher(broker: SlowBroker, ack_timeout_seconds: float) -> SlaStatusPublisher:
    kafka = KafkaSettings(bootstrap_servers="127.0.0.1:1", topic_prefix="t")
    return SlaStatusPublisher(kafka, ack_timeout_seconds, producer=broker)


async def test_an_acknowledgement_slower_than_the_timeout_never_sends_twice() -> None:
    broker = SlowBroker(ack_seconds=0.5)
    events = publisher(broker, ack_timeout_seconds=0.05)
    messages = [message(1), message(2)]
    first = await events.publish(messages)  # the wait times out: both still in flight
    assert (first.acknowledged, first.in_flight) == ([], messages)
    retried = await events.publish(messages)  # as the old code did after a timeout
    assert retried.acknowledged == []
    deadline = asyncio.get_running_loop().time() + 10
    acknowledged: list[OutboxMessage] = []
    while not acknowledged and asyncio.get_running_loop().time() < deadline:
        acknowledged = (await events.publish(messages)).acknowledged
    assert acknowledged == messages
    assert [(key, value) for _, key, value, _ in broker.stored] == [
        (b"agreement-a", m.value) for m in messages
    ]  # once each, although `publish` ran at least three times
    assert [h[EVENT_ID_HEADER] for *_, h in broker.stored] == [b"event-1", b"event-2"]
    assert {topic for topic, *_ in broker.stored} == {"t.sla.status.v1"}


async def test_a_failed_delivery_is_sent_again_with_the_same_event_id() -> None:
    broker = SlowBroker(ack_seconds=0.01, fail_first=1)
    events = publisher(broker, ack_timeout_seconds=5)
    first = await events.publish([message(1)])
    assert (first.acknowledged, first.failed) == ([], [message(1)])
    second = await events.publish([message(1)])
    assert second.acknowledged == [message(1)]
    assert [h[EVENT_ID_HEADER] for *_, h in broker.stored] == [b"event-1"]
