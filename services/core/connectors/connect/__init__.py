"""Amazon Connect: contact records (CTR) of calls mapped onto v1 call events.

`record.py` reads a record's fields, `mapping.py` states its facts as events,
`connector.py` is the `Connector` the webhook path, the bridge (services/ingest/connect_bridge)
and the backfill use. docs/connectors.md, "Amazon Connect".
"""

from services.core.connectors.connect.connector import ConnectConnector

# What the connector registry discovers (services/ingest/connectors/registry.py).
CONNECTOR = ConnectConnector()

__all__ = ["CONNECTOR", "ConnectConnector"]
