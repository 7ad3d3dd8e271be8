"""The generic connector: any JSON webhook -> v1 events, by configuration only.

The mapping (JMESPath rules) and the signature scheme live in the connector's `options`
(see options.py and docs/connectors.md, "Generic"); deploy/connectors/zammad.json is a
complete example for Zammad's default webhook payload.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from services.core.connectors.base import (
    ConnectorSettings,
    MappingRefused,
    SignatureRefused,
    ToolDefaults,
)
from services.core.connectors.generic.mapping import apply
from services.core.connectors.generic.options import parse_options
from services.core.connectors.generic.signature import verify_signature


class GenericConnector:
    """`Connector` whose behaviour is entirely its per-agreement `options`."""

    tool = "generic"
    defaults = ToolDefaults(agent_roles=frozenset({"agent"}))

    def check_options(self, options: Mapping[str, Any]) -> None:
        """ValueError unless `options` is a valid generic mapping (called by the API)."""
        parse_options(dict(options))

    def verify(self, headers: Mapping[str, str], body: bytes, secret: bytes, now: datetime) -> None:
        raise SignatureRefused("the generic connector's scheme is in its options")

    def verify_configured(
        self,
        headers: Mapping[str, str],
        body: bytes,
        secret: bytes,
        now: datetime,
        settings: ConnectorSettings,
    ) -> None:
        """`verify` with the scheme the agreement configured (header, HMAC or token)."""
        try:
            scheme = parse_options(dict(settings.options)).signature
        except ValueError as exc:
            raise SignatureRefused(f"the connector's options are invalid: {exc}") from None
        verify_signature(scheme, headers, body, secret)

    def map(self, payload: Any, settings: ConnectorSettings) -> Sequence[dict[str, Any]]:
        try:
            mapping = parse_options(dict(settings.options))
        except ValueError as exc:
            raise MappingRefused(f"the connector's options are invalid: {exc}") from None
        items = apply(mapping, payload, settings)
        if not items and mapping.unmatched == "dead_letter":
            raise MappingRefused("no rule of the mapping matched the payload")
        return items


CONNECTOR = GenericConnector()
