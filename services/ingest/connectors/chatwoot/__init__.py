"""Chatwoot: account webhooks plus a reconciliation pull onto the v1 contract."""

from services.ingest.connectors.chatwoot.connector import ChatwootConnector
from services.ingest.connectors.chatwoot.defaults import default_settings

__all__ = ["ChatwootConnector", "default_settings"]
