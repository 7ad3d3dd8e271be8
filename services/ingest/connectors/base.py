"""The connector interface, re-exported from the shared library (services/core/connectors/base.py)
so a tool package may import it from here or from there."""

from services.core.connectors.base import (
    Connector,
    ConnectorSettings,
    MappingRefused,
    SignatureRefused,
    ToolDefaults,
    namespaced,
    normalized_contact,
    pseudonym,
    verify_request,
)

__all__ = [
    "Connector",
    "ConnectorSettings",
    "MappingRefused",
    "SignatureRefused",
    "ToolDefaults",
    "namespaced",
    "normalized_contact",
    "pseudonym",
    "verify_request",
]
