"""Reading what a test's topics hold, exactly: from the start up to their end offsets.

A test that counts messages (exactly one, no duplicate) reads up to the end offsets the
broker reports when the read starts, instead of reading until nothing arrives for a while:
the count is then exact without any quiet period, however slow the machine. Call it once
what is to be counted has been acknowledged by the broker.
"""

from __future__ import annotations

from collections.abc import Sequence

from aiokafka import AIOKafkaConsumer, ConsumerRecord

from tests.polling import eventually

READ_SECONDS = 60.0


async def read_to_end(bootstrap: str, topics: Sequence[str]) -> list[ConsumerRecord]:
    """Every record of `topics` (all partitions) up to their end offsets at the call."""
    consumer = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    records: list[ConsumerRecord] = []
    try:
        partitions = list(consumer.assignment())
        ends = await consumer.end_offsets(partitions)

        async def at_the_end() -> bool:
            batch = await consumer.getmany(timeout_ms=500)
            for got in batch.values():
                records.extend(got)
            return all([await consumer.position(tp) >= ends[tp] for tp in partitions])

        await eventually(
            at_the_end,
            timeout=READ_SECONDS,
            interval=0,  # `getmany` itself waits up to half a second
            message=lambda: f"{topics} not read to their end offsets {ends}",
        )
    finally:
        await consumer.stop()
    return records
