"""Prometheus counts of connector payloads: `slawatch_connector_payloads_total`.

Labels are the tool and the outcome only: the connector id is bounded by configuration, but
it names a client's setup, and per-connector numbers are in the API
(`/v1/agreements/{id}/connectors/{connector_id}/dead-letters`); no ids in labels.
"""

from __future__ import annotations

from enum import StrEnum

from prometheus_client import CollectorRegistry, Counter


class PayloadOutcome(StrEnum):
    PUBLISHED = "published"  # every mapped event stored
    IGNORED = "ignored"  # verified and kept raw, but states no v1 event (e.g. an unused type)
    DEAD_LETTER = "dead_letter"  # not mappable, or some mapped events refused: a dead letter
    REFUSED_SIGNATURE = "refused_signature"  # 401, nothing kept or published


class ConnectorInstruments:
    """The ingest service's connector counters, on the registry it is given."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.payloads = Counter(
            "slawatch_connector_payloads",
            "Webhook payloads received by connectors, by tool and outcome",
            ["connector_tool", "outcome"],
            registry=registry,
        )

    def count(self, tool: str, outcome: PayloadOutcome) -> None:
        self.payloads.labels(connector_tool=tool, outcome=outcome.value).inc()
