"""Zendesk: ticket event webhooks, satisfaction ratings and Talk calls onto the v1 contract."""

from services.ingest.connectors.zendesk.connector import ZendeskConnector
from services.ingest.connectors.zendesk.defaults import default_settings

__all__ = ["ZendeskConnector", "default_settings"]
