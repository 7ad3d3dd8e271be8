"""Getting a batch's state rows to the producer, and keeping an unfinished batch unacknowledged.

Why: Faust's `take_events` acknowledges a batch in a `finally` when the agent asks for the
next one *and* when the agent raises and the abandoned generator is closed. An agent that
raised because the producer refused its rows therefore had the batch committed without its
changelog rows: a crash then lost that state. So the agent never lets a failed publish leave
the batch: it retries with bounded exponential backoff (`publish_until_sent`), and says so in
`slawatch_worker_publish_failures_total` and on /readyz, until the rows are handed over. Only
when something does escape a batch (the worker stops mid-retry, or a bug) is the batch held:
each message gets one more reference (`hold_unacknowledged`), so the acknowledgement Faust
still makes is never the final one, the offsets stay uncommitted, and the batch is read again
when its partitions are next assigned.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from services.metrics.instruments import Instruments
from services.metrics.table_store import TableStore

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Backoff:
    """Waits between attempts: `first_seconds`, doubling, never more than `most_seconds`."""

    first_seconds: float = 0.1
    most_seconds: float = 5.0
    factor: float = 2.0

    def delays(self) -> Iterator[float]:
        """The wait before each retry, without end (pure: no clock)."""
        delay = self.first_seconds
        while True:
            yield delay
            delay = min(delay * self.factor, self.most_seconds)


# 0.1 s doubling to 5 s: a broker blip costs a fraction of a second, a long outage one
# attempt (and one log line) per family every 5 s.
BACKOFF = Backoff()


async def publish_once(store: TableStore, family: str, inst: Instruments) -> int | None:
    """One `store.publish()`: the rows it sent, or None when it failed (counted, logged,
    and the worker unready until an attempt succeeds; the rows stay in the outbox)."""
    try:
        sent = await store.publish()
    except Exception as exc:
        inst.child(inst.publish_failures, family).inc()
        inst.progress.publish_done(family, False, time.time())
        log.warning("%s: state rows not sent to the producer: %r", family, exc)
        return None
    inst.progress.publish_done(family, True, time.time())
    return sent


async def publish_until_sent(
    store: TableStore,
    family: str,
    inst: Instruments,
    backoff: Backoff,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
) -> int:
    """`publish_once` until it succeeds; returns the rows the last attempt sent.

    Retries forever: only cancellation (the worker stopping) ends it without success."""
    for attempt, delay in enumerate(backoff.delays(), start=1):
        sent = await publish_once(store, family, inst)
        if sent is not None:
            if attempt > 1:
                log.info("%s: state rows sent after %d failed attempts", family, attempt - 1)
            return sent
        log.warning("%s: retrying in %.3g s (attempt %d failed)", family, delay, attempt)
        await sleep(delay)
    raise AssertionError("unreachable: the backoff never ends")  # pragma: no cover


def hold_unacknowledged(events: Iterable[Any]) -> None:
    """Keep a batch's offsets from being committed, although `take_events` acks it.

    Faust commits a message once every stream holding it acknowledged it (its reference
    count reaches zero); one extra reference makes the stream's ack not the final one."""
    for event in events:
        event.message.incref()
