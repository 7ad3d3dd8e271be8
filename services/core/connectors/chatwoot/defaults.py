"""Chatwoot's vocabulary and the v1 values it maps to by default (an agreement overrides)."""

from __future__ import annotations

from collections.abc import Mapping

from services.core.connectors.base import ConnectorSettings, ToolDefaults

TOOL = "chatwoot"

# Chatwoot's `pending` is a conversation a bot still holds, before any agent: the customer
# is waiting, so its clock runs (`open`). `snoozed` is the agent parking it: paused.
STATUS_MAP: Mapping[str, str] = {
    "open": "open",
    "pending": "open",
    "snoozed": "on_hold",
    "resolved": "solved",
}
# Inbox channel classes (`conversation.channel`); others fall back to options["default_channel"].
CHANNEL_MAP: Mapping[str, str] = {
    "Channel::WebWidget": "chat",
    "Channel::Email": "email",
    "Channel::Api": "web",
    "Channel::Sms": "chat",
    "Channel::TwilioSms": "chat",
    "Channel::Whatsapp": "social",
    "Channel::FacebookPage": "social",
    "Channel::Instagram": "social",
    "Channel::TwitterProfile": "social",
    "Channel::Telegram": "social",
    "Channel::Line": "social",
    "Channel::Voice": "phone",
}
# Conversation priority (none set -> `normal`; Chatwoot says `medium` for the middle).
PRIORITY_MAP: Mapping[str, str] = {
    "": "normal",
    "low": "low",
    "medium": "normal",
    "high": "high",
    "urgent": "urgent",
}
# Chatwoot's CSAT is already 1-5: identity; an agreement may remap.
CSAT_MAP: Mapping[str, int] = {str(n): n for n in range(1, 6)}
# Roles of users whose outgoing messages are agent replies (a user sender without a role in
# the payload is an `agent`); bots and contacts never are.
AGENT_ROLES = frozenset({"agent", "administrator"})
BOT_SENDERS = frozenset({"agent_bot", "agentbot", "captain::assistant", "captain_assistant"})
LOSSY: frozenset[str] = frozenset()
OPTIONS: Mapping[str, object] = {
    "default_channel": "chat",
    # Who resolved is not in Chatwoot's payload: the assignee, else this id.
    "unassigned_agent": "unassigned",
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
    """Chatwoot's defaults for one agreement, before the admin's overrides."""
    return TOOL_DEFAULTS.settings(agreement_id, TOOL, namespace, pseudonym_key)
