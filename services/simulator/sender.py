"""Posting simulated events to the ingest service: batches, patient retries, counts.

The simulator usually starts next to the ingest service, so "connection refused" at first
is normal: a batch is retried with backoff until the service answers (up to a minute), and
so is a 503 (ingest up but its broker is not). A 422 is an answer, not a failure: the
rejected events are counted and the first reasons logged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from services.simulator.scene import Event

log = logging.getLogger(__name__)

MAX_BATCH_EVENTS = 500
RETRY_STATUSES = frozenset({502, 503, 504})
LOGGED_REASONS = 10  # rejection reasons logged per run; later ones are only counted


class IngestUnavailable(RuntimeError):
    """The ingest service did not take a batch within the retry budget."""


class IngestRefused(IngestUnavailable):
    """The ingest service refused the API key (401) or its role (403): retrying cannot help."""


@dataclass(slots=True)
class Totals:
    """Events the ingest service accepted, rejected, or that could not be delivered."""

    accepted: int = 0
    rejected: int = 0
    failed: int = 0


class IngestSender:
    """Posts events in batches of at most 500 to `POST {ingest_url}/v1/events`."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        ingest_url: str,
        stop: asyncio.Event,
        retry_seconds: float = 60.0,
        batch_size: int = MAX_BATCH_EVENTS,
    ) -> None:
        self._client = client
        self._url = ingest_url.rstrip("/") + "/v1/events"
        self._stop = stop
        self._retry_seconds = retry_seconds
        self._batch_size = max(1, min(batch_size, MAX_BATCH_EVENTS))
        self.totals = Totals()
        self._reasons_logged = 0

    async def send(self, events: Sequence[Event]) -> None:
        """Deliver `events` in order; raise `IngestUnavailable` if the service stays away."""
        for i in range(0, len(events), self._batch_size):
            if self._stop.is_set():
                return
            batch = events[i : i + self._batch_size]
            remainder = await self._post(batch)
            if remainder:  # a 422 refused the whole batch for a few bad events: resend the rest
                await self._post(remainder)

    async def _post(self, batch: Sequence[Event]) -> list[Event]:
        """Post one batch (retrying while the service is away); return events to resend."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._retry_seconds
        delay = 0.25
        while True:
            try:
                response = await self._client.post(self._url, json=list(batch))
            except httpx.TransportError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code in (401, 403):
                    self.totals.failed += len(batch)
                    problem = response.text[:300]
                    raise IngestRefused(f"{self._url} answered {response.status_code}: {problem}")
                if response.status_code not in RETRY_STATUSES:
                    return self._count(response, batch)
                problem = f"HTTP {response.status_code}"
            if loop.time() + delay > deadline:
                self.totals.failed += len(batch)
                raise IngestUnavailable(f"{self._url} unavailable for {self._retry_seconds:.0f}s")
            log.warning("ingest not ready (%s); retrying in %.2fs", problem, delay)
            try:
                await asyncio.wait_for(self._stop.wait(), delay)
                return []  # stopping: the batch is abandoned
            except TimeoutError:
                delay = min(delay * 2, 5.0)

    def _count(self, response: httpx.Response, batch: Sequence[Event]) -> list[Event]:
        try:
            body: Any = response.json()
        except ValueError:
            body = None
        if response.status_code not in (200, 202, 422) or not isinstance(body, dict):
            self.totals.failed += len(batch)
            log.error("ingest answered HTTP %s: %s", response.status_code, response.text[:300])
            return []
        accepted = body.get("accepted") or []
        rejected = [r for r in body.get("rejected") or [] if isinstance(r, dict)]
        self.totals.accepted += accepted if isinstance(accepted, int) else len(accepted)
        self.totals.rejected += len(rejected)
        for item in rejected[: max(0, LOGGED_REASONS - self._reasons_logged)]:
            self._reasons_logged += 1
            log.warning("ingest rejected an event: %s", item)
        if response.status_code != 422 or accepted or not rejected:
            return []
        # Nothing accepted: the valid events were refused with the bad ones. Duplicates are
        # harmless (the same event_id counts once), so resending them is safe.
        refused = {r.get("index") for r in rejected}
        return [e for i, e in enumerate(batch) if i not in refused]
