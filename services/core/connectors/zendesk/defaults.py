"""Zendesk's vocabulary and the v1 values it maps to by default (an agreement overrides entries).

Kept apart from the mapping code so the config API can show an admin exactly what applies
before they change anything.
"""

from __future__ import annotations

from collections.abc import Mapping

from services.core.connectors.base import ConnectorSettings, ToolDefaults

TOOL = "zendesk"

# Ticket statuses (`new` is a ticket nobody has touched yet: its clock runs like `open`).
STATUS_MAP: Mapping[str, str] = {
    "new": "open",
    "open": "open",
    "pending": "pending",
    "hold": "on_hold",
    "solved": "solved",
    "closed": "closed",
}
# `via.channel` values; anything else falls back to options["default_channel"] (`web`).
CHANNEL_MAP: Mapping[str, str] = {
    "email": "email",
    "web": "web",
    "web_form": "web",
    "web_service": "web",
    "api": "web",
    "mobile": "web",
    "mobile_sdk": "chat",
    "chat": "chat",
    "native_messaging": "chat",
    "voice": "phone",
    "phone": "phone",
    "sms": "chat",
    "whatsapp": "social",
    "twitter": "social",
    "facebook": "social",
    "instagram_dm": "social",
    "line": "social",
    "wechat": "social",
}
# Ticket priorities; a ticket without one counts as `normal`.
PRIORITY_MAP: Mapping[str, str] = {
    "": "normal",
    "low": "low",
    "normal": "normal",
    "high": "high",
    "urgent": "urgent",
}
# Zendesk's legacy CSAT only says good or bad: 5 and 1 keep the top-2-box share (`csat`)
# exact, while `csat_mean_score` is only as good as this choice (lossy `csat_good_bad`).
CSAT_MAP: Mapping[str, int] = {"good": 5, "bad": 1}
AGENT_ROLES = frozenset({"agent", "admin"})
# Declared by default because Zendesk cannot say more: good/bad CSAT, calls exported without
# hold time, and calls whose resolution Zendesk does not record (taken as resolved).
LOSSY = frozenset({"csat_good_bad", "no_hold_time", "call_resolved_assumed"})
# Talk `completion_status` -> what the call was for the queue. `ignore`: never reached a
# queue (IVR hang-ups) or not an inbound contact; not counted as offered.
CALL_OUTCOMES: Mapping[str, str] = {
    "completed": "answered",
    "answered": "answered",
    "abandoned_in_queue": "abandoned",
    "abandoned_in_voicemail": "abandoned",
    "abandoned_on_hold": "answered",
    "voicemail": "abandoned",
    "callback_requested": "abandoned",
    "abandoned_in_ivr": "ignore",
    "agent_declined": "ignore",
    "outside_business_hours": "ignore",
}
OPTIONS: Mapping[str, object] = {
    "default_channel": "web",
    # Comments by these authors are automations, not agents (-1 is Zendesk's system user).
    "bot_author_ids": ["-1"],
    "call_outcomes": dict(CALL_OUTCOMES),
}

# What the connector registry merges under an agreement's own entries (and the API shows).
TOOL_DEFAULTS = ToolDefaults(
    status_map=STATUS_MAP,
    channel_map=CHANNEL_MAP,
    priority_map=PRIORITY_MAP,
    csat_map=CSAT_MAP,
    agent_roles=AGENT_ROLES,
    lossy=LOSSY,
    options=OPTIONS,
)


def default_settings(
    agreement_id: str, namespace: str, pseudonym_key: bytes = b""
) -> ConnectorSettings:
    """Zendesk's defaults for one agreement, before the admin's overrides."""
    return TOOL_DEFAULTS.settings(agreement_id, TOOL, namespace, pseudonym_key)
