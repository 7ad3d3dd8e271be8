"""What every connector implements: pure signature checks and pure payload mappings.

A connector never publishes, stores or logs: the shared webhook path verifies the signature
with `verify`, keeps the raw payload, calls `map` and publishes the v1 events it returns
through the same validation as `POST /v1/events`. Keeping connectors pure lets each one be
tested from fixtures written after the tool's documentation, with no I/O.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol


class SignatureRefused(Exception):
    """The request is not proven to come from the tool: answered 401, nothing published."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class MappingRefused(Exception):
    """The payload cannot be mapped: answered 202 to the tool, kept as a dead letter."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class ConnectorSettings:
    """One connector's configuration for one agreement, as the mapping sees it.

    Maps translate the tool's vocabulary into v1 values; each tool ships defaults and the
    agreement's admin overrides entries. `lossy` names the mapping choices that lose
    information (e.g. `csat_good_bad`, `no_hold_time`); the monthly report states them.
    """

    agreement_id: str
    tool: str
    namespace: str
    status_map: Mapping[str, str] = field(default_factory=dict)
    channel_map: Mapping[str, str] = field(default_factory=dict)
    priority_map: Mapping[str, str] = field(default_factory=dict)
    csat_map: Mapping[str, int] = field(default_factory=dict)
    agent_roles: frozenset[str] = frozenset({"agent", "admin"})
    options: Mapping[str, Any] = field(default_factory=dict)
    lossy: frozenset[str] = frozenset()
    pseudonym_key: bytes = b""


@dataclass(frozen=True)
class ToolDefaults:
    """What a tool's connector assumes unless the agreement's configuration says otherwise.

    A connector may expose one as its `defaults` attribute (optional: a connector without it
    has empty defaults). The configuration API shows the effective maps (these defaults with
    the admin's entries over them) and the webhook path hands the merged maps to `map`.
    """

    status_map: Mapping[str, str] = field(default_factory=dict)
    channel_map: Mapping[str, str] = field(default_factory=dict)
    priority_map: Mapping[str, str] = field(default_factory=dict)
    csat_map: Mapping[str, int] = field(default_factory=dict)
    agent_roles: frozenset[str] = frozenset({"agent", "admin"})
    lossy: frozenset[str] = frozenset()
    options: Mapping[str, Any] = field(default_factory=dict)

    def settings(
        self, agreement_id: str, tool: str, namespace: str, pseudonym_key: bytes = b""
    ) -> ConnectorSettings:
        """These defaults as one agreement's settings, before any override of its own."""
        return ConnectorSettings(
            agreement_id=agreement_id,
            tool=tool,
            namespace=namespace,
            status_map=dict(self.status_map),
            channel_map=dict(self.channel_map),
            priority_map=dict(self.priority_map),
            csat_map=dict(self.csat_map),
            agent_roles=self.agent_roles,
            options=dict(self.options),
            lossy=self.lossy,
            pseudonym_key=pseudonym_key,
        )


def namespaced(settings: ConnectorSettings, tool_id: object) -> str:
    """`<namespace>:<tool id>`: the v1 identifier of one of the tool's own ids."""
    return f"{settings.namespace}:{tool_id}"


_PHONE_NOISE = re.compile(r"[\s().-]")


def normalized_contact(kind: str, value: str) -> str:
    """One spelling per person: `tel:+86 138-0013-8000` and `+8613800138000` are the same."""
    text = value.strip()
    if kind == "phone":
        text = _PHONE_NOISE.sub("", text.removeprefix("tel:"))
    elif kind == "email":
        text = text.lower()
    return text


def pseudonym(kind: str, value: str, key: bytes) -> str:
    """A stable id for personal data (phone numbers, e-mail addresses) that is not the data.

    A keyed hash (HMAC-SHA256 under the agreement's pseudonym key) so the clear value never
    reaches Kafka, PostgreSQL or metrics, yet one caller's contacts still share an id (FCR
    needs that); without the key nobody can test guesses against the ids.
    """
    if not key:
        raise MappingRefused("no pseudonym key configured for personal identifiers")
    digest = hmac.new(key, f"{kind}:{normalized_contact(kind, value)}".encode(), hashlib.sha256)
    return f"pii:{kind}:{digest.hexdigest()[:32]}"


class Connector(Protocol):
    """A tool's adapter: `verify` then `map`; both pure and deterministic."""

    tool: str

    def verify(self, headers: Mapping[str, str], body: bytes, secret: bytes, now: datetime) -> None:
        """Raise `SignatureRefused` unless the request carries the tool's valid signature."""

    def map(self, payload: Any, settings: ConnectorSettings) -> Sequence[dict[str, Any]]:
        """Return the v1 events (as JSON-ready dicts) this payload states, or raise
        `MappingRefused`. Event ids come from the tool's own ids or from the fact itself,
        never from the delivery, so a redelivered or backfilled payload maps to the same ids.
        """
        ...


def verify_request(
    connector: Connector,
    headers: Mapping[str, str],
    body: bytes,
    secret: bytes,
    now: datetime,
    settings: ConnectorSettings,
) -> None:
    """Check a request's signature: with the connector's optional `verify_configured(headers,
    body, secret, now, settings)` when it has one (a scheme that depends on the agreement's
    configuration, as the generic connector's does), else with `verify`."""
    configured = getattr(connector, "verify_configured", None)
    if callable(configured):
        configured(headers, body, secret, now, settings)
    else:
        connector.verify(headers, body, secret, now)
