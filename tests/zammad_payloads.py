"""Zammad-style webhook payloads for tests, written after Zammad's public webhook docs
(the default payload: `ticket` with its attributes and users, `article` the triggering one).
Only the fields a mapping may read are filled; real payloads carry many more."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

ZAMMAD_MAPPING = Path(__file__).parents[1] / "deploy" / "connectors" / "zammad.json"
PRIORITIES = {"low": "1 low", "normal": "2 normal", "high": "3 high"}


def _user(user_id: int, email: str, roles: list[str]) -> dict[str, Any]:
    return {"id": user_id, "email": email, "login": email, "roles": roles, "active": True}


def zammad_payload(
    *,
    ticket: int,
    article: int,
    article_ids: list[int],
    sender: str,
    at: str,
    created_at: str,
    state: str = "open",
    internal: bool = False,
    priority: str = "normal",
    channel: str = "email",
    customer: str = "Emily.Adams+vip@example.com",
    author_id: int = 8,
    owner_id: int = 5,
    close_at: str | None = None,
) -> dict[str, Any]:
    """The payload of one trigger run: `ticket` as it is now, `article` the newest one."""
    return {
        "ticket": {
            "id": ticket,
            "number": f"{10000 + ticket}",
            "title": "Coffee machine leaks",
            "article_count": len(article_ids),
            "article_ids": article_ids,
            "create_article_sender": "Customer",
            "create_article_type": channel,
            "created_at": created_at,
            "updated_at": at,
            "close_at": close_at,
            "state": state,
            "priority": {"id": 2, "name": PRIORITIES[priority]},
            "group": {"id": 3, "name": "Service Desk"},
            "customer": _user(8, customer, ["Customer"]),
            "customer_id": 8,
            "owner": _user(owner_id, "emma@chrispresso.example", ["Agent"]),
            "owner_id": owner_id,
        },
        "article": {
            "id": article,
            "ticket_id": ticket,
            "sender": sender,
            "internal": internal,
            "type": "note" if internal else channel,
            "created_at": at,
            "created_by_id": author_id,
            "created_by": _user(author_id, f"user{author_id}@example.com", [sender]),
            "body": "…",
        },
    }


def zammad_config() -> dict[str, Any]:
    """The shipped example configuration (deploy/connectors/zammad.json)."""
    config: dict[str, Any] = json.loads(ZAMMAD_MAPPING.read_text())
    return config


def zammad_signature(body: bytes, secret: bytes) -> dict[str, str]:
    """Zammad's header: `X-Hub-Signature: sha1=<hex HMAC-SHA1 of the body>`."""
    digest = hmac.new(secret, body, hashlib.sha1).hexdigest()
    return {"X-Hub-Signature": f"sha1={digest}", "Content-Type": "application/json"}
