"""The outbox relay: publishes stored status change events and marks them sent.

Why a relay rather than publishing where the change is stored: a publish inside the
database transaction that timed out rolled the change back although the broker had the
event, and the next refresh published it again (issue 10). Now the change and its event
commit together (services/api/status_changes.py) and this loop, in every API replica,
publishes what is pending:

1. in one transaction, take the relay turn (an advisory lock: one replica at a time, so
   one target's events leave in the order they were stored) and read the oldest pending rows;
2. hand them to the idempotent producer and wait for every acknowledgement, however slow,
   keeping the turn meanwhile (a warning every acknowledgement timeout): a message is never
   sent again while its first delivery may still succeed;
3. mark the acknowledged rows sent and commit. A failed delivery (the broker refused it)
   stays pending and is sent again at the next turn.

Delivery is at least once with a stable `event_id`: a message is sent twice only when the
mark fails after the broker acknowledged (a crash, a lost database connection or a shutdown
cut short between 2 and 3). Consumers deduplicate on `event_id` (docs/sla.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.core.messaging.sla_status import Delivery
from services.core.storage import outbox_repo
from services.core.storage.outbox_repo import OutboxMessage

log = logging.getLogger(__name__)
PRUNE_INTERVAL_SECONDS = 3600.0


class OutboxPublisher(Protocol):
    async def publish(self, messages: Sequence[OutboxMessage]) -> Delivery: ...


class StatusEventRelay:
    """Publishes the outbox every `interval_seconds`, or sooner after `wake()`."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        publisher: OutboxPublisher,
        *,
        interval_seconds: float = 1.0,
        batch_size: int = 100,
        retention_seconds: float = 7 * 86400.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.sessions = sessions
        self.publisher = publisher
        self.interval_seconds = interval_seconds
        self.batch_size = batch_size
        self.retention_seconds = retention_seconds
        self.clock = clock
        self._wake = asyncio.Event()
        self._stopping = False
        self._pruned_at = float("-inf")

    async def relay_once(self) -> int | None:
        """Publish up to `batch_size` pending events; how many were marked sent, or None when
        another replica holds the relay turn."""
        async with self.sessions() as session, session.begin():
            if not await outbox_repo.take_relay_turn(session):
                return None
            messages = await outbox_repo.pending(session, self.batch_size)
            sent = await self._publish(messages)
            now = self.clock()
            await outbox_repo.mark_sent(session, [m.seq for m in sent], now)
            if now - self._pruned_at >= PRUNE_INTERVAL_SECONDS:
                await outbox_repo.prune_sent(session, now - self.retention_seconds)
                self._pruned_at = now
        return len(sent)

    async def _publish(self, messages: list[OutboxMessage]) -> list[OutboxMessage]:
        sent: list[OutboxMessage] = []
        started = self.clock()
        while messages:
            delivery = await self.publisher.publish(messages)
            sent += delivery.acknowledged
            messages = delivery.in_flight
            if messages:
                log.warning(
                    "%d SLA status events wait for the broker's acknowledgement (%.0f s)",
                    len(messages),
                    self.clock() - started,
                )
        return sent

    def wake(self) -> None:
        """Relay now rather than at the next interval (new events were stored)."""
        self._wake.set()

    async def run(self) -> None:
        """Relay until `stop()`, with one last turn after it (what was just stored leaves
        before the process does); a failed turn is logged and retried at the next interval."""
        while True:
            self._wake.clear()
            last = self._stopping
            try:
                sent = await self.relay_once()
            except Exception:
                log.exception("relaying SLA status events failed; retrying")
                sent = None
            if last:
                return
            if sent == self.batch_size:
                continue  # a full batch: more are probably waiting
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval_seconds)

    def stop(self) -> None:
        """End `run()` after one more turn (a turn cut short may publish twice)."""
        self._stopping = True
        self._wake.set()
