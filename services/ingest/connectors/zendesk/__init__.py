"""Zendesk: ticket event webhooks, satisfaction ratings and Talk calls onto the v1 contract."""

from services.ingest.connectors.zendesk.connector import ZendeskConnector
from services.ingest.connectors.zendesk.defaults import default_settings

# What the connector registry discovers (services/ingest/connectors/registry.py).
CONNECTOR = ZendeskConnector()

__all__ = ["CONNECTOR", "ZendeskConnector", "default_settings"]
