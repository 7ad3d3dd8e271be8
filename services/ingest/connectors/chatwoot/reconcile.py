"""Chatwoot reconciliation pull: find what the account webhooks missed, with the same ids.

Chatwoot sends each account webhook once and drops it if the receiver times out, so a
periodic pull lists the conversations active since the last pull (REST API, newest activity
first), reads their messages, and rebuilds webhook-shaped payloads from them. They go
through the same mapping as webhooks: a conversation or message already received maps to
the same `event_id` and is ignored downstream as a duplicate; what was missed is filled in.

A status seen by the pull is dated by the conversation's `updated_at`, never earlier than the
real change: when the webhook was received it is the same event or a no-op (a resolve of a
resolved ticket, a reopen of an open one); when it was missed, the change counts at most
one pull interval late.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from services.ingest.connectors.base import ConnectorSettings, MappingRefused
from services.ingest.connectors.chatwoot.mapping import HANDLERS
from services.ingest.connectors.mapping_kit import parse_instant, part


def pulled_payloads(
    conversation: Mapping[str, Any], messages: Sequence[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Webhook-shaped payloads for one conversation as the REST API shows it (pure)."""
    ref = {k: conversation[k] for k in ("id", "updated_at", "timestamp") if k in conversation}
    out: list[dict[str, Any]] = [{**conversation, "event": "conversation_created"}]
    for message in messages:
        out.append({**message, "event": "message_created", "conversation": ref})
        answered = part(part(message, "content_attributes"), "submitted_values")
        if message.get("content_type") == "input_csat" and answered:
            out.append({**message, "event": "message_updated", "conversation": ref})
    out.append({**conversation, "event": "conversation_status_changed"})
    return out


@dataclass
class Reconciled:
    """What one pull found: v1 events to publish, and payloads it could not map (dead letters)."""

    events: list[dict[str, Any]] = field(default_factory=list)
    refused: list[tuple[dict[str, Any], str]] = field(default_factory=list)


def map_pulled(
    payloads: Sequence[dict[str, Any]], settings: ConnectorSettings, since: datetime
) -> Reconciled:
    """Map rebuilt payloads like webhooks, keeping the facts at or after `since`.

    Older facts were the previous pull's to find (and would arrive late downstream); one
    unmappable payload does not stop the rest.
    """
    result = Reconciled()
    for payload in payloads:
        try:
            events = HANDLERS[payload["event"]](payload, settings)
        except MappingRefused as exc:
            result.refused.append((payload, exc.reason))
            continue
        result.events.extend(e for e in events if parse_instant(e["occurred_at"], "at") >= since)
    return result


class ChatwootApi:
    """The two REST reads the pull needs (`api_access_token` auth, account-scoped)."""

    def __init__(self, client: httpx.AsyncClient, account_id: str) -> None:
        self._client = client
        self._base = f"/api/v1/accounts/{account_id}/conversations"

    async def conversations_since(self, since: datetime) -> list[dict[str, Any]]:
        """Conversations with activity at or after `since` (pages until older ones start)."""
        found: list[dict[str, Any]] = []
        page = 1
        while True:
            params = {"status": "all", "sort_by": "last_activity_at_desc", "page": str(page)}
            response = await self._client.get(self._base, params=params)
            response.raise_for_status()
            batch = response.json().get("data", {}).get("payload", [])
            fresh = [c for c in batch if _active_at(c) >= since]
            found.extend(fresh)
            if not batch or len(fresh) < len(batch):
                return found
            page += 1

    async def messages_since(self, conversation_id: Any, since: datetime) -> list[dict[str, Any]]:
        """The conversation's latest messages back to the first created before `since`.

        Pages go back from the newest; the page that reaches before `since` is kept whole, so a
        CSAT prompt sent earlier but answered since is still seen (the mapping keeps only the
        facts dated at or after `since`).
        """
        found: list[dict[str, Any]] = []
        before: Any = None
        while True:
            params = {"before": str(before)} if before is not None else {}
            response = await self._client.get(
                f"{self._base}/{conversation_id}/messages", params=params
            )
            response.raise_for_status()
            batch = response.json().get("payload", [])
            found = list(batch) + found
            if not batch or _created_at(batch[0]) < since:
                return found
            before = min(m["id"] for m in batch)


def _active_at(conversation: Mapping[str, Any]) -> datetime:
    return parse_instant(
        conversation.get("updated_at") or conversation.get("timestamp"), "conversation.updated_at"
    )


def _created_at(message: Mapping[str, Any]) -> datetime:
    return parse_instant(message.get("created_at"), "message.created_at")


async def reconcile(api: ChatwootApi, settings: ConnectorSettings, since: datetime) -> Reconciled:
    """One pull: the v1 events of everything active since `since` (publish them idempotently)."""
    total = Reconciled()
    for conversation in await api.conversations_since(since):
        messages = await api.messages_since(conversation["id"], since)
        found = map_pulled(pulled_payloads(conversation, messages), settings, since)
        total.events.extend(found.events)
        total.refused.extend(found.refused)
    return total
