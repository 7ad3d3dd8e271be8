"""From a raw payload to v1 event items: the one derivation the webhook and `replay` share.

Pure: decode the body, let the tool's connector map it, and put the connector's agreement on
every event (a connector belongs to one agreement; what the payload claims does not count).
The items then go through the same validation and screening as `POST /v1/events`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from services.ingest.connectors.base import Connector, MappingRefused
from services.ingest.connectors.configs import ActiveConnector


@dataclass(frozen=True, slots=True)
class Derived:
    """The event items a payload maps to, or why it cannot be mapped (`refusal`)."""

    items: list[Any] = field(default_factory=list)
    refusal: str | None = None


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def decode_payload(body: bytes) -> Any:
    """The JSON value of a webhook body, or `MappingRefused`."""
    try:
        return json.loads(body, parse_constant=_no_constants)
    except (ValueError, RecursionError) as exc:
        raise MappingRefused(f"the payload is not JSON: {exc}") from None


def derive(connector: Connector, active: ActiveConnector, body: bytes) -> Derived:
    """Map `body` with the connector's current settings."""
    try:
        mapped = connector.map(decode_payload(body), active.settings)
    except MappingRefused as exc:
        return Derived(refusal=exc.reason)
    items: list[Any] = []
    for item in mapped:
        if isinstance(item, dict):
            item = {**item, "agreement_id": active.agreement_id}
            item.setdefault("source", f"connector:{active.connector_id}")
        items.append(item)
    return Derived(items=items)
