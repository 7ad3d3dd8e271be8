"""Pages of Zendesk's incremental ticket events export, written after its public docs.

developer.zendesk.com, "Incremental Exports" / "Exporting ticket events": a page is
`{"ticket_events": [...], "next_page", "count", "end_time", "end_of_stream"}`; a ticket event
(one update of one ticket) has `id`, `ticket_id`, `timestamp` (Unix), `created_at`,
`updater_id`, `via` and `child_events`: `Create` (one child per field set, the field as key),
`Change` (the field as key, `previous_value`) and, with `include=comment_events`, `Comment`
(`id`, `author_id`, `body`, `public`, `created_at`). Builders, so each test states its facts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

_child_ids = iter(range(700_000, 800_000))


def _child(event_type: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": next(_child_ids),
        "via": "Web form",
        "via_reference_id": None,
        "event_type": event_type,
        **fields,
    }


def ze_create(
    requester: int, *, status: str = "new", priority: str | None = "normal", assignee: int = 0
) -> list[dict[str, Any]]:
    """The Create children of a new ticket (one per field, as the export lists them)."""
    fields: dict[str, Any] = {"requester_id": requester, "status": status, "subject": "Help"}
    if priority is not None:
        fields["priority"] = priority
    if assignee:
        fields["assignee_id"] = assignee
    return [_child("Create", **{name: value}) for name, value in fields.items()]


def ze_change(field: str, value: Any, previous: Any) -> dict[str, Any]:
    return _child("Change", **{field: value, "previous_value": previous})


def ze_comment(
    comment_id: int, author: int, at: str, *, public: bool = True, body: str = "Thanks"
) -> dict[str, Any]:
    return {
        "id": comment_id,
        "via": {"channel": "web", "source": {"from": {}, "to": {}, "rel": None}},
        "via_reference_id": None,
        "type": "Comment",
        "author_id": author,
        "body": body,
        "html_body": f"<div class='zd-comment'><p>{body}</p></div>",
        "public": public,
        "attachments": [],
        "audit_id": comment_id - 1,
        "created_at": at,
        "event_type": "Comment",
    }


def ze_event(
    audit_id: int,
    ticket: int,
    at: str,
    updater: int,
    *children: dict[str, Any] | list[dict[str, Any]],
    channel: str = "web",
) -> dict[str, Any]:
    flat: list[dict[str, Any]] = []
    for child in children:
        flat += child if isinstance(child, list) else [child]
    stamp = int(datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp())
    return {
        "id": audit_id,
        "ticket_id": ticket,
        "timestamp": stamp,
        "created_at": at,
        "updater_id": updater,
        "via": {"channel": channel, "source": {"from": {}, "to": {}, "rel": None}},
        "system": {"client": "Mozilla/5.0", "ip_address": "192.0.2.7", "location": "Berlin"},
        "merged_ticket_ids": [],
        "event_type": "Audit",
        "child_events": flat,
    }


def ze_page(*events: dict[str, Any], last: bool = False) -> dict[str, Any]:
    end_time = max((e["timestamp"] for e in events), default=0)
    return {
        "ticket_events": list(events),
        "next_page": (
            "https://acme.zendesk.com/api/v2/incremental/ticket_events.json"
            f"?include=comment_events&start_time={end_time}"
        ),
        "count": len(events),
        "end_time": end_time,
        "end_of_stream": last,
    }
