"""Zendesk and Chatwoot payloads for the connector tests, written after the tools' public docs.

Zendesk: the ticket event webhooks (developer.zendesk.com, "Ticket events": top-level `type`,
`id`, `time`, `subject`, a `detail` ticket and an `event` object), the Satisfaction Ratings
object and the Talk incremental calls export record. Chatwoot: the account webhooks
(chatwoot docs, "Webhook events") and the REST API's conversation and message lists.
Builders rather than frozen files so each test states only the facts it is about.
"""

from __future__ import annotations

from typing import Any

ZD_ACCOUNT = 9_023_117


def zd_ticket(tid: int, created_at: str, **extra: Any) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "actor_id": "9100",
        "assignee_id": "9100",
        "brand_id": "8000",
        "created_at": created_at,
        "description": "Printer on fire",
        "external_id": None,
        "form_id": "7000",
        "group_id": "6000",
        "id": str(tid),
        "is_public": True,
        "organization_id": None,
        "priority": "normal",
        "requester_id": "5501",
        "status": "new",
        "subject": "Help",
        "submitter_id": "5501",
        "tags": [],
        "type": "incident",
        "updated_at": created_at,
        "via": {"channel": "web"},
    }
    detail.update(extra)
    return detail


def zd_event(
    kind: str, detail: dict[str, Any], time: str, event: dict[str, Any], event_id: str | None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "account_id": ZD_ACCOUNT,
        "detail": detail,
        "event": event,
        "subject": f"zen:ticket:{detail['id']}",
        "time": time,
        "type": f"zen:event-type:ticket.{kind}",
        "zendesk_event_version": "2022-11-06",
    }
    if event_id is not None:
        body["id"] = event_id
    return body


def zd_created(tid: int, at: str, event_id: str = "", **extra: Any) -> dict[str, Any]:
    return zd_event("created", zd_ticket(tid, at, **extra), at, {}, event_id or f"ev-{tid}-c")


def zd_comment(
    tid: int,
    created_at: str,
    at: str,
    comment_id: int,
    author_id: str,
    *,
    staff: bool,
    public: bool = True,
    event_id: str = "",
) -> dict[str, Any]:
    comment = {
        "author": {"id": author_id, "is_staff": staff, "name": "Someone"},
        "body": "Thanks",
        "id": str(comment_id),
        "is_public": public,
    }
    return zd_event(
        "comment_added",
        zd_ticket(tid, created_at, status="open"),
        at,
        {"comment": comment},
        event_id or f"ev-{tid}-m{comment_id}",
    )


def zd_status(
    tid: int, created_at: str, at: str, previous: str, current: str, event_id: str = ""
) -> dict[str, Any]:
    return zd_event(
        "status_changed",
        zd_ticket(tid, created_at, status=current),
        at,
        {"current": current, "previous": previous},
        event_id or f"ev-{tid}-s-{current}-{at}",
    )


def zd_rating(rid: int, tid: int, score: str, at: str) -> dict[str, Any]:
    return {
        "satisfaction_rating": {
            "id": rid,
            "assignee_id": 9100,
            "group_id": 6000,
            "requester_id": 5501,
            "ticket_id": tid,
            "score": score,
            "comment": "",
            "created_at": at,
            "updated_at": at,
        }
    }


def zd_call(cid: int, created_at: str, status: str = "completed", **extra: Any) -> dict[str, Any]:
    call: dict[str, Any] = {
        "id": cid,
        "agent_id": 9100,
        "call_group_id": 6000,
        "completion_status": status,
        "created_at": created_at,
        "customer_id": 5501,
        "direction": "inbound",
        "duration": 200,
        "hold_time": 20,
        "line": "+13115550100",
        "line_id": 44,
        "talk_time": 120,
        "ticket_id": None,
        "time_to_answer": 15,
        "updated_at": created_at,
        "wait_time": 15,
        "wrap_up_time": 30,
    }
    call.update(extra)
    return call


def zd_calls_page(*calls: dict[str, Any]) -> dict[str, Any]:
    return {"calls": list(calls), "count": len(calls), "end_time": 1_790_000_000, "next_page": None}


# --- Chatwoot -------------------------------------------------------------------------------

CW_ACCOUNT = 3


def cw_conversation(
    cid: int,
    created_at: int,
    *,
    status: str = "open",
    updated_at: float | None = None,
    contact: int = 501,
    assignee: int | None = 77,
    channel: str = "Channel::WebWidget",
    priority: str | None = None,
) -> dict[str, Any]:
    """A conversation as the REST API and the conversation_* webhooks show it."""
    return {
        "additional_attributes": {},
        "can_reply": True,
        "channel": channel,
        "contact_inbox": {"contact_id": contact, "inbox_id": 1, "source_id": f"src-{contact}"},
        "id": cid,
        "inbox_id": 1,
        "messages": [],
        "meta": {
            "sender": {
                "id": contact,
                "name": "Jane",
                "email": "jane+vip@example.com",
                "phone_number": None,
                "type": "contact",
            },
            "assignee": None
            if assignee is None
            else {"id": assignee, "name": "Wei", "type": "user"},
        },
        "priority": priority,
        "status": status,
        "unread_count": 0,
        "agent_last_seen_at": 0,
        "contact_last_seen_at": 0,
        "created_at": created_at,
        "timestamp": int(updated_at or created_at),
        "updated_at": updated_at if updated_at is not None else float(created_at),
    }


def cw_conversation_event(event: str, conversation: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {**conversation, "event": event, **extra}


def cw_api_message(
    mid: int,
    cid: int,
    created_at: int,
    message_type: int,
    *,
    sender_type: str | None = "Contact",
    sender_id: int | None = 501,
    private: bool = False,
    content_type: str = "text",
    content_attributes: dict[str, Any] | None = None,
    updated_at: str | None = None,
) -> dict[str, Any]:
    """A message as the REST API lists it (numbered `message_type`, Unix `created_at`)."""
    kind = {"Contact": "contact", "User": "user", "AgentBot": "agent_bot"}.get(sender_type or "")
    return {
        "id": mid,
        "content": "...",
        "account_id": CW_ACCOUNT,
        "inbox_id": 1,
        "conversation_id": 9000 + cid,  # the database id, not the display id the webhooks use
        "message_type": message_type,
        "created_at": created_at,
        "updated_at": updated_at,
        "private": private,
        "status": "sent",
        "source_id": None,
        "content_type": content_type,
        "content_attributes": content_attributes or {},
        "sender_type": sender_type,
        "sender_id": sender_id,
        "sender": None if kind is None else {"id": sender_id, "name": "X", "type": kind},
    }


def cw_message_event(
    mid: int,
    cid: int,
    created_at: str,
    message_type: str,
    *,
    sender: dict[str, Any] | None,
    private: bool = False,
    event: str = "message_created",
    content_type: str = "text",
    content_attributes: dict[str, Any] | None = None,
    conversation: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A message_created / message_updated webhook body."""
    return {
        "id": mid,
        "content": "hi",
        "created_at": created_at,
        "message_type": message_type,
        "content_type": content_type,
        "private": private,
        "content_attributes": content_attributes or {},
        "source_id": None,
        "sender": sender,
        "inbox": {"id": 1, "name": "Acme Support"},
        "conversation": conversation
        or {"id": cid, "channel": "Channel::WebWidget", "status": "open"},
        "account": {"id": CW_ACCOUNT, "name": "Acme"},
        "event": event,
    }


def csat_attributes(rating: int) -> dict[str, Any]:
    return {
        "submitted_values": {"csat_survey_response": {"rating": rating, "feedback_message": ""}}
    }
