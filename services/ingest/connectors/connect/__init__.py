"""Amazon Connect: contact records (CTR) of calls mapped onto v1 call events.

`record.py` reads a record's fields, `mapping.py` states its facts as events,
`connector.py` is the `Connector` the webhook path uses, `bridge.py` reads records from the
Kafka topic a Kinesis-to-Kafka bridge writes. docs/connectors.md, "Amazon Connect".
"""

from services.ingest.connectors.connect.connector import ConnectConnector

# What the connector registry discovers (services/ingest/connectors/registry.py).
CONNECTOR = ConnectConnector()

__all__ = ["CONNECTOR", "ConnectConnector"]
