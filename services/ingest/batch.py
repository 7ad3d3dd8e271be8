"""Turn a request body into validated events and per-item rejections.

The route reads the raw body itself rather than letting FastAPI parse it: the size limit must
hold before anything is buffered whole, and one bad event must not sink the rest of the
batch, which a request-body model would do.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterable
from http import HTTPStatus
from typing import Any

from pydantic import BaseModel

from services.core.contract.events import EventBase, InvalidEvent, parse_event
from services.core.http.problems import ProblemError


class Rejection(BaseModel):
    """Why the event at `index` of the batch was not accepted."""

    index: int
    event_id: str | None
    reason: str


class IngestResult(BaseModel):
    """The answer to a batch: ids stored, in order, and the rejected items."""

    accepted: list[str]
    rejected: list[Rejection]


async def read_limited(
    chunks: AsyncIterable[bytes], declared_length: str | None, limit: int
) -> bytes:
    """The whole body, or a 413 problem as soon as it is known to exceed `limit` bytes."""
    if declared_length is not None and declared_length.isdigit() and int(declared_length) > limit:
        raise _too_large(limit)
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) > limit:  # a missing or lying Content-Length still cannot exceed it
            raise _too_large(limit)
    return bytes(body)


def _too_large(limit: int) -> ProblemError:
    detail = f"request body exceeds {limit} bytes"
    return ProblemError(413, HTTPStatus(413).phrase, detail, "body-too-large")


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def decode_items(body: bytes, max_events: int) -> list[Any]:
    """The batch items: a lone object counts as a batch of one."""
    try:
        # NaN and Infinity are Python extensions, not JSON; deep nesting exhausts the stack.
        data = json.loads(body, parse_constant=_no_constants)
    except (ValueError, RecursionError) as exc:
        detail = f"body is not valid JSON: {exc}"
        raise ProblemError(400, HTTPStatus(400).phrase, detail, "malformed-json") from None
    items = data if isinstance(data, list) else [data]
    if not items:
        detail = "the batch is empty: send 1 or more events"
        raise ProblemError(422, HTTPStatus(422).phrase, detail, "empty-batch")
    if len(items) > max_events:
        detail = f"the batch has {len(items)} events; at most {max_events} per request"
        raise ProblemError(
            413, HTTPStatus(413).phrase, detail, "batch-too-large", max_batch_events=max_events
        )
    return items


DUPLICATE_IN_BATCH = "duplicate event_id in this batch"


def validate_items(items: list[Any]) -> tuple[list[EventBase], list[Rejection]]:
    """Valid events in batch order, and a rejection for every other item."""
    indexed, rejected = validate_indexed(items)
    return [event for _, event in indexed], rejected


def validate_indexed(items: list[Any]) -> tuple[list[tuple[int, EventBase]], list[Rejection]]:
    """Valid events with their index, in batch order, and a rejection for every other item.

    A repeated `event_id` keeps the first valid copy: two different bodies under one id
    would make the id meaningless, and an identical copy adds nothing.
    """
    accepted: list[tuple[int, EventBase]] = []
    rejected: list[Rejection] = []
    first_index: dict[str, int] = {}
    for index, item in enumerate(items):
        claimed = item.get("event_id") if isinstance(item, dict) else None
        try:
            event = parse_event(item)
        except InvalidEvent as exc:
            event_id = claimed if isinstance(claimed, str) else None
            rejected.append(Rejection(index=index, event_id=event_id, reason=exc.reason))
            continue
        first = first_index.setdefault(event.event_id, index)
        if first != index:
            reason = f"{DUPLICATE_IN_BATCH} (first at index {first})"
            rejected.append(Rejection(index=index, event_id=event.event_id, reason=reason))
            continue
        accepted.append((index, event))
    return accepted, rejected
