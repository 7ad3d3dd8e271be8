"""The connector framework's pure parts: identifiers, registry, sealed secrets, config cache."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import SecretStr

from services.core.connectors.registry import (
    UnknownTool,
    connector_for,
    defaults_of,
    known_tools,
)
from services.core.connectors.secret_box import SecretBox, SecretBoxError, new_key
from services.core.contract.events import InvalidEvent, parse_event
from services.core.storage.connectors_repo import StoredConnector
from services.ingest.connectors.base import ConnectorSettings, ToolDefaults, pseudonym
from services.ingest.connectors.configs import ActiveConnector, ConnectorConfigs, active_of
from services.ingest.connectors.derive import derive


def call(**ids: Any) -> dict[str, Any]:
    return {
        "event_id": "e-1",
        "type": "call.offered",
        "occurred_at": "2026-10-14T10:00:00Z",
        "agreement_id": "acme",
        "call_id": "c-1",
        "customer_id": "cust-1",
        "queue": "tier1",
        **ids,
    }


@pytest.mark.parametrize(
    "value",
    [
        "tel:+8613800138000",
        "+8613800138000",
        "first.last+tag@example.com",
        "售后 热线",
        "arn:aws:connect:eu-west-1:123456789012:instance/abc/queue/def",
        "zendesk:acme:12345",
        "x" * 256,
    ],
)
def test_identifiers_accept_what_real_tools_send(value: str) -> None:
    assert parse_event(call(queue=value, call_id=value)).call_id == value  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "value", ["", " lead", "trail ", "a\nb", "a\x00b", "a\x85b", "a\u2028b", "x" * 257]
)
def test_identifiers_still_refuse_control_characters_edges_and_overlong(value: str) -> None:
    with pytest.raises(InvalidEvent):
        parse_event(call(queue=value))


def test_old_ascii_identifiers_are_still_valid() -> None:
    parse_event(call(call_id="C-9", customer_id="cust-42", queue="tier1/a:b@c.d_e"))


def test_pseudonym_is_keyed_stable_and_hides_the_value() -> None:
    one = pseudonym("phone", "tel:+86 138-0013-8000", b"key-a")
    assert one == pseudonym("phone", "+8613800138000", b"key-a")
    assert one != pseudonym("phone", "+8613800138000", b"key-b")
    assert "138" not in one
    assert one.startswith("pii:phone:")
    parse_event(call(customer_id=one))


def test_registry_discovers_the_generic_connector() -> None:
    assert "generic" in known_tools()
    assert connector_for("generic").tool == "generic"
    assert isinstance(defaults_of("generic"), ToolDefaults)
    with pytest.raises(UnknownTool):
        connector_for("no-such-tool")


def test_secret_box_round_trip_rotation_and_wrong_key() -> None:
    old, new = new_key(), new_key()
    sealed = SecretBox(SecretStr(old)).seal(b"webhook-secret")
    assert b"webhook-secret" not in sealed.encode()
    rotated = SecretBox(SecretStr(f"{new},{old}"))
    assert rotated.open(sealed) == b"webhook-secret"
    with pytest.raises(SecretBoxError):
        SecretBox(SecretStr(new)).open(sealed)
    with pytest.raises(SecretBoxError, match="not set"):
        SecretBox(None)
    with pytest.raises(SecretBoxError, match="not a Fernet key"):
        SecretBox(SecretStr("short"))


def _stored(version: int, box: SecretBox, document: dict[str, Any]) -> StoredConnector:
    return StoredConnector(
        "acme-generic",
        "acme",
        "generic",
        document,
        box.seal(b"secret-1"),
        box.seal(b"p" * 32),
        version,
        datetime(2026, 10, 14, tzinfo=UTC),
    )


def test_active_connector_opens_secrets_and_merges_defaults() -> None:
    box = SecretBox(SecretStr(new_key()))
    active = active_of(_stored(1, box, {"namespace": "z", "priority_map": {"3 high": "high"}}), box)
    assert active.secret == b"secret-1"
    assert active.settings.pseudonym_key == b"p" * 32
    assert active.settings.priority_map == {"3 high": "high"}
    assert active.settings.agent_roles == defaults_of("generic").agent_roles


async def test_config_cache_reads_again_after_its_ttl() -> None:
    now = [0.0]
    versions = iter(range(1, 100))
    box = SecretBox(SecretStr(new_key()))

    async def lookup(connector_id: str) -> ActiveConnector | None:
        return active_of(_stored(next(versions), box, {"namespace": "z"}), box)

    configs = ConnectorConfigs(lookup, 5.0, clock=lambda: now[0])
    first = await configs.find("acme-generic")
    assert first is not None
    assert first.version == 1
    assert (await configs.find("acme-generic")).version == 1  # type: ignore[union-attr]
    now[0] = 6.0
    assert (await configs.find("acme-generic")).version == 2  # type: ignore[union-attr]


class _Echo:
    tool = "echo"

    def verify(self, headers: Any, body: bytes, secret: bytes, now: datetime) -> None:
        return None

    def map(self, payload: Any, settings: ConnectorSettings) -> list[dict[str, Any]]:
        return [{**payload, "agreement_id": "someone-else"}]


def test_derive_puts_the_connectors_agreement_on_every_event_and_refuses_non_json() -> None:
    settings = ConnectorSettings(agreement_id="acme", tool="echo", namespace="e")
    active = ActiveConnector("acme-echo", "acme", "echo", settings, b"", 1)
    derived = derive(_Echo(), active, b'{"event_id": "e-1"}')
    assert derived.items == [
        {"event_id": "e-1", "agreement_id": "acme", "source": "connector:acme-echo"}
    ]
    refused = derive(_Echo(), active, b"{not json")
    assert refused.refusal is not None
    assert "not JSON" in refused.refusal
