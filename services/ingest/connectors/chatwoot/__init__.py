"""Chatwoot: account webhooks plus a reconciliation pull onto the v1 contract."""

from services.ingest.connectors.chatwoot.connector import ChatwootConnector
from services.ingest.connectors.chatwoot.defaults import default_settings

# What the connector registry discovers (services/ingest/connectors/registry.py).
CONNECTOR = ChatwootConnector()

__all__ = ["CONNECTOR", "ChatwootConnector", "default_settings"]
