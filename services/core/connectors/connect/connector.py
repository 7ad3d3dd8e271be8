"""The Amazon Connect connector: contact records (CTR) in, v1 call events out.

Connect has no webhook of its own: contact records go to a Kinesis stream. They reach
slawatch either through the Kafka topic a Kinesis-to-Kafka bridge fills (read by
`slawatch-connect-bridge`) or over HTTP, posted one record or a JSON array at a time by the
customer's forwarder (e.g. a Lambda on the stream) with the connector's secret as a bearer
token.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from services.core.connectors.base import (
    ConnectorSettings,
    MappingRefused,
    SignatureRefused,
    ToolDefaults,
)
from services.core.connectors.connect.mapping import (
    DEFAULT_INITIATION_METHODS,
    DEFAULT_RESOLVED_ATTRIBUTE,
    DEFAULT_RESOLVED_VALUES,
    check_options,
    map_record,
)
from services.core.connectors.connect.record import read_record

TOOL = "connect"
MAX_BATCH_RECORDS = 500


class ConnectConnector:
    """Pure `Connector` for Amazon Connect contact records (services/core/connectors/base.py)."""

    tool = TOOL
    # Shown (and overridable) in the configuration API; the mapping falls back to the same.
    defaults = ToolDefaults(
        options={
            "resolved_attribute": DEFAULT_RESOLVED_ATTRIBUTE,
            "resolved_values": list(DEFAULT_RESOLVED_VALUES),
            "initiation_methods": list(DEFAULT_INITIATION_METHODS),
            "queue_id": "name",
            "agent_id": "username",
        }
    )

    def verify(self, headers: Mapping[str, str], body: bytes, secret: bytes, now: datetime) -> None:
        """Accept a request that carries the connector's secret; refuse anything else.

        A shared token rather than a body signature: Connect signs nothing itself, and the
        forwarder is the customer's own code, for which a bearer token is the least to get
        wrong. The comparison takes constant time. Replays need no time window here: every
        copy of a record maps to the same event ids.
        """
        if not secret:
            raise SignatureRefused("no secret configured for this connector")
        scheme, _, value = (_header(headers, "authorization") or "").partition(" ")
        token = value.strip() if scheme.lower() == "bearer" else None
        if not token:
            raise SignatureRefused("no bearer token in the Authorization header")
        if not hmac.compare_digest(token.encode(), secret):
            raise SignatureRefused("the token does not match the connector's secret")

    def check_options(self, options: Mapping[str, Any]) -> None:
        """Refuse options the mapping would not understand (the config API answers 422)."""
        check_options(options)

    def split(self, payload: Any) -> list[Any]:
        """The contact records of a request: one record or a JSON array of them."""
        records = payload if isinstance(payload, list) else [payload]
        if not records:
            raise MappingRefused("an empty array holds no contact record")
        if len(records) > MAX_BATCH_RECORDS:
            raise MappingRefused(f"more than {MAX_BATCH_RECORDS} contact records in one request")
        return records

    def map(self, payload: Any, settings: ConnectorSettings) -> Sequence[dict[str, Any]]:
        """The v1 events of one record or a batch; a batch with an unmappable record is
        refused whole, naming the record (callers that want per-record dead letters map the
        items of `split` one by one, as the Kafka bridge and the backfill do)."""
        records = self.split(payload)
        events: list[dict[str, Any]] = []
        for index, record in enumerate(records):
            try:
                events.extend(map_record(read_record(record), settings))
            except MappingRefused as exc:
                if len(records) == 1:
                    raise
                raise MappingRefused(f"record {index}: {exc.reason}") from None
        return events


def _header(headers: Mapping[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None
