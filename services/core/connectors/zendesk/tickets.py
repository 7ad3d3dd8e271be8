"""Zendesk ticket event webhooks (`zen:event-type:ticket.*`) -> v1 ticket events.

| Zendesk event              | v1 events                                                  |
| -------------------------- | ---------------------------------------------------------- |
| ticket.created             | ticket.created (+ status / resolved if born pending/solved) |
| ticket.comment_added       | ticket.replied (public comments; staff = agent)            |
| ticket.status_changed      | -> solved: ticket.resolved; solved/closed -> other:        |
|                            | ticket.reopened; else ticket.status_changed                 |
| priority_changed and others | nothing: v1 takes a ticket's priority at creation          |

Private notes, the ticket's opening comment and automation authors are not replies.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from services.core.connectors.base import ConnectorSettings, MappingRefused
from services.core.connectors.mapping_kit import envelope, ident, obj, parse_instant, scoped_id
from services.core.connectors.zendesk import defaults
from services.core.connectors.zendesk.comments import map_comment

EVENT_PREFIX = "zen:event-type:ticket."
_DONE = frozenset({"solved", "closed"})


def _lookup(overrides: Mapping[str, Any], builtin: Mapping[str, Any], key: str) -> Any:
    return overrides[key] if key in overrides else builtin.get(key)


def _status(settings: ConnectorSettings, raw: Any) -> str:
    key = str(raw or "").lower()
    value = _lookup(settings.status_map, defaults.STATUS_MAP, key)
    if value is None:
        raise MappingRefused(f"unknown Zendesk status {raw!r}: add it to the status map")
    return str(value)


def _agent(settings: ConnectorSettings, detail: Mapping[str, Any]) -> str:
    who = detail.get("assignee_id") or detail.get("actor_id")
    if who in (None, "", "0", 0):
        raise MappingRefused("solved ticket names no assignee or actor")
    return scoped_id(settings, "user", ident(who, "detail.assignee_id"))


def map_created(
    settings: ConnectorSettings, tid: str, detail: Mapping[str, Any]
) -> list[dict[str, Any]]:
    """The events a new ticket states; `detail` is the ticket as the webhook carries it."""
    at = parse_instant(detail.get("created_at"), "detail.created_at")
    via = obj(detail.get("via") or {}, "detail.via")
    channel_key = str(via.get("channel") or "").lower()
    channel = _lookup(settings.channel_map, defaults.CHANNEL_MAP, channel_key) or str(
        settings.options.get("default_channel", defaults.OPTIONS["default_channel"])
    )
    prio_key = str(detail.get("priority") or "").lower()
    priority = _lookup(settings.priority_map, defaults.PRIORITY_MAP, prio_key)
    if priority is None:
        raise MappingRefused(f"unknown Zendesk priority {detail.get('priority')!r}")
    ticket = scoped_id(settings, "ticket", tid)
    customer = scoped_id(settings, "user", ident(detail.get("requester_id"), "detail.requester_id"))
    out = [
        envelope(
            settings,
            scoped_id(settings, "ticket", tid, "created"),
            "ticket.created",
            at,
            ticket_id=ticket,
            customer_id=customer,
            channel=channel,
            priority=priority,
        )
    ]
    status = _status(settings, detail.get("status") or "new")
    if status in _DONE:  # e.g. a phone ticket logged as solved on creation
        out.append(
            envelope(
                settings,
                scoped_id(settings, "ticket", tid, "created", "resolved"),
                "ticket.resolved",
                at,
                ticket_id=ticket,
                agent_id=_agent(settings, detail),
            )
        )
    elif status != "open":
        out.append(
            envelope(
                settings,
                scoped_id(settings, "ticket", tid, "created", "status"),
                "ticket.status_changed",
                at,
                ticket_id=ticket,
                status=status,
            )
        )
    return out


def map_status_changed(
    settings: ConnectorSettings,
    tid: str,
    detail: Mapping[str, Any],
    event: Mapping[str, Any],
    at: datetime,
    event_key: list[str],
) -> list[dict[str, Any]]:
    """The events one status change states (`event`: `previous`, `current`); ids: `event_key`."""
    current = _status(settings, event.get("current"))
    previous = _status(settings, event.get("previous") or "new")
    ticket = scoped_id(settings, "ticket", tid)
    if current in _DONE:
        if previous in _DONE:
            return []  # solved -> closed: the ticket was resolved already
        return [
            envelope(
                settings,
                scoped_id(settings, *event_key),
                "ticket.resolved",
                at,
                ticket_id=ticket,
                agent_id=_agent(settings, detail),
            )
        ]
    out: list[dict[str, Any]] = []
    if previous in _DONE:
        out.append(
            envelope(
                settings, scoped_id(settings, *event_key), "ticket.reopened", at, ticket_id=ticket
            )
        )
        if current == "open":
            return out
        event_key = [*event_key, "status"]
    out.append(
        envelope(
            settings,
            scoped_id(settings, *event_key),
            "ticket.status_changed",
            at,
            ticket_id=ticket,
            status=current,
        )
    )
    return out


def status_key(tid: str, event: Mapping[str, Any], at: datetime) -> list[str]:
    """A status change's id parts: the fact (ticket, new status, second), never the webhook's
    own event id, which Zendesk's ticket events export does not carry; so a backfilled change
    and the same change delivered live share their ids."""
    return [
        "ticket",
        tid,
        "status_changed",
        str(event.get("current", "")),
        str(int(at.timestamp())),
    ]


def map_ticket_event(
    payload: Mapping[str, Any], settings: ConnectorSettings
) -> list[dict[str, Any]]:
    """Map one `zen:event-type:ticket.*` webhook body; other ticket events map to nothing."""
    kind = str(payload.get("type", "")).removeprefix(EVENT_PREFIX)
    detail = obj(payload.get("detail"), "detail")
    tid = ident(detail.get("id"), "detail.id")
    if kind == "created":
        return map_created(settings, tid, detail)
    event = obj(payload.get("event") or {}, "event")
    at = parse_instant(payload.get("time"), "time")
    if payload.get("id"):
        event_key = ["event", ident(payload["id"], "id")]
    else:  # no Zendesk id (hand-built or exported payload): the fact itself names the event
        event_key = ["ticket", tid, kind, str(event.get("current", "")), str(int(at.timestamp()))]
    if kind == "comment_added":
        return map_comment(settings, tid, detail, event, at, event_key)
    if kind == "status_changed":
        return map_status_changed(settings, tid, detail, event, at, status_key(tid, event, at))
    return []
