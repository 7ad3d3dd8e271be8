"""A connector's configuration as the API accepts it and PostgreSQL stores it.

Why here, not in a service: the API writes it and ingest reads it; both import the shared
library only. The secret and the pseudonym key are not part of the stored document: they are
sealed in their own columns (services/core/connectors/secret_box.py) and no model here ever
returns them.
Maps hold only the agreement's own entries; the tool's defaults are merged in by the
connector registry (services/core/connectors/registry.py) when a payload is mapped.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, StringConstraints

from services.core.contract.events import Channel, Identifier, Priority, TicketStatus

CONNECTOR_ID_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"
ConnectorId = Annotated[str, StringConstraints(pattern=CONNECTOR_ID_PATTERN)]
ToolName = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{0,31}$")]
# A namespace prefixes every tool id (`<namespace>:<tool id>`); it must leave room for the id.
Namespace = Annotated[str, StringConstraints(pattern=r"^[^\s:/][^\s:/]{0,63}$")]
Score = Annotated[int, Field(ge=1, le=5, strict=True)]
Label = Annotated[str, StringConstraints(min_length=1, max_length=64)]


class ConnectorDocument(BaseModel):
    """The non-secret settings, stored as JSON (`connector_configs.document`)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    namespace: Namespace
    status_map: dict[str, TicketStatus] = Field(default_factory=dict)
    channel_map: dict[str, Channel] = Field(default_factory=dict)
    priority_map: dict[str, Priority] = Field(default_factory=dict)
    csat_map: dict[str, Score] = Field(default_factory=dict)
    agent_roles: list[Label] | None = Field(
        default=None, description="Author roles counted as agents; null: the tool's default."
    )
    options: dict[str, Any] = Field(default_factory=dict)
    lossy: list[Label] = Field(
        default_factory=list,
        description="Mapping choices that lose information (e.g. csat_good_bad, no_hold_time);"
        " added to the tool's own and stated in the monthly report.",
    )


class ConnectorConfigIn(ConnectorDocument):
    """`PUT /v1/agreements/{id}/connectors/{connector_id}`: the whole configuration.

    `secret` is required when the connector is created; left out on a replacement, the stored
    one is kept. It is never returned. `namespace` defaults to the connector id.
    """

    tool: ToolName
    namespace: Namespace | None = None  # type: ignore[assignment]
    secret: SecretStr | None = Field(default=None, min_length=8, max_length=512)

    def document(self, connector_id: str) -> ConnectorDocument:
        fields = self.model_dump(exclude={"tool", "secret", "namespace"})
        return ConnectorDocument(namespace=self.namespace or connector_id, **fields)


class ConnectorConfigOut(BaseModel):
    """A connector as the API shows it: effective maps, no secret, no pseudonym key."""

    connector_id: str
    agreement_id: Identifier
    tool: str
    namespace: str
    webhook_path: str = Field(description="Where the tool sends its webhooks (ingest service).")
    status_map: dict[str, str]
    channel_map: dict[str, str]
    priority_map: dict[str, str]
    csat_map: dict[str, int]
    agent_roles: list[str]
    options: dict[str, Any]
    lossy: list[str]
    overrides: ConnectorDocument = Field(description="The agreement's own entries as stored.")
    secret_set: bool = True
    version: int


def webhook_path(connector_id: str) -> str:
    return f"/v1/connectors/{connector_id}/events"
