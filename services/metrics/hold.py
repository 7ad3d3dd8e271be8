"""Hold a batch while it has events of an agreement the worker has not heard of yet.

Ingest only accepts events of stored agreements, but the workers learn agreements through
the agreements topic (services/metrics/agreements_feed.py), which may arrive a moment after
the first events of a new agreement. Dead-lettering those events would lose them, so before
a batch is staged its agent waits, up to `METRICS_AGREEMENT_WAIT_SECONDS`, until every
agreement the batch names is known. The batch is neither staged nor acknowledged while it
waits, so Kafka's committed offset cannot pass a held event and the engine sees the events
in their original order: recovery and lateness work exactly as without the wait
(docs/architecture.md, "Agreements not known yet").

An agreement still unknown after the wait is given up: its events are dead-lettered as
`unknown_agreement` (recover them with `slawatch-replay-dead-letters`), and later batches do
not wait for it again for `GIVE_UP_SECONDS`, so events of an id nobody will ever create
(published straight to Kafka) cannot slow the worker down to one batch per wait.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Container, Iterable, Mapping
from typing import Any

log = logging.getLogger(__name__)
POLL_SECONDS = 0.1
GIVE_UP_SECONDS = 600.0


def claimed_agreement(key: bytes | None, value: bytes | None, known: Container[str]) -> str | None:
    """The agreement a message names: the key's prefix when that is a known agreement (the
    cheap, usual case), else the `agreement_id` of the JSON value; None if it names none."""
    if key:
        head = key.split(b"/", 1)[0].decode(errors="replace")
        if head in known:
            return head
    try:
        data = json.loads(value or b"")
    except ValueError:
        return None
    agreement = data.get("agreement_id") if isinstance(data, dict) else None
    return agreement if isinstance(agreement, str) else None


def unknown_agreements(messages: Iterable[Any], known: Container[str]) -> set[str]:
    """The agreements named by `messages` (with `key` and `value`) that are not in `known`."""
    named = (claimed_agreement(m.key, m.value, known) for m in messages)
    return {a for a in named if a is not None and a not in known}


class AgreementWait:
    """Waits for the agreements of a batch to appear in `agreements` (kept by the feed)."""

    def __init__(
        self,
        agreements: Mapping[str, Any],
        wait_seconds: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.agreements = agreements
        self.wait_seconds = wait_seconds
        self.clock = clock
        self.given_up: dict[str, float] = {}  # agreement id -> when we stopped waiting for it

    def _worth_waiting(self, agreement_id: str, now: float) -> bool:
        since = self.given_up.get(agreement_id)
        return since is None or now - since >= GIVE_UP_SECONDS

    async def until_known(self, messages: Iterable[Any]) -> set[str]:
        """Return once every agreement of `messages` is known or the wait is over; returns
        the agreements given up on (their events will be refused as unknown)."""
        now = self.clock()
        self.given_up = {a: t for a, t in self.given_up.items() if now - t < GIVE_UP_SECONDS}
        missing = unknown_agreements(messages, self.agreements)
        waiting = {a for a in missing if self._worth_waiting(a, now)}
        if waiting:
            log.info("holding a batch for agreements not known yet: %s", ", ".join(sorted(waiting)))
        deadline = now + self.wait_seconds
        while waiting and self.clock() < deadline:
            await asyncio.sleep(POLL_SECONDS)
            waiting = {a for a in waiting if a not in self.agreements}
        if waiting:
            log.warning(
                "agreements still unknown after %.0f s, their events are dead-lettered: %s",
                self.wait_seconds,
                ", ".join(sorted(waiting)),
            )
            self.given_up.update(dict.fromkeys(waiting, self.clock()))
        return {a for a in missing if a not in self.agreements}
