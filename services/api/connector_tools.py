"""What the API asks of the connector library: known tools, their defaults, option checks.

From the shared connector library (services/core/connectors/), so the configuration API can
refuse a tool that does not exist or options its connector would not understand, and show
the tool's defaults, instead of failing later on the first webhook.
"""

from __future__ import annotations

import re
from typing import Any

from services.core.connectors.config import CONNECTOR_ID_PATTERN, ConnectorDocument
from services.core.connectors.registry import (
    BUILTIN_TOOLS,
    UnknownTool,
    check_options,
    defaults_of,
    known_tools,
)
from services.core.http.problems import ProblemError


def _invalid(detail: str) -> ProblemError:
    return ProblemError(422, "Invalid connector", detail, "invalid-connector")


def check_connector_id(connector_id: str) -> None:
    if not re.fullmatch(CONNECTOR_ID_PATTERN, connector_id):
        raise _invalid(f"connector id must match {CONNECTOR_ID_PATTERN}")


def check(tool: str, options: dict[str, Any]) -> None:
    """422 unless `tool` has a connector and that connector accepts `options`."""
    known = sorted({*known_tools(), *BUILTIN_TOOLS})
    if tool not in known:
        raise _invalid(f"no connector for tool {tool!r}; known: {', '.join(known)}")
    if tool not in known_tools():
        return  # a built-in tool whose package this process does not hold: ingest checks
    try:
        check_options(tool, options)
    except (ValueError, UnknownTool) as exc:
        raise _invalid(f"options: {exc}") from None


def stored_document(tool: str, document: ConnectorDocument) -> ConnectorDocument:
    """What is stored: the agreement's entries, with the tool's lossy flags made explicit so
    the monthly report (which reads only PostgreSQL) states them too."""
    try:
        own = set(defaults_of(tool).lossy)
    except UnknownTool:
        own = set()
    return document.model_copy(update={"lossy": sorted(own | set(document.lossy))})


def effective(tool: str, document: ConnectorDocument) -> dict[str, Any]:
    """The maps, roles, options and lossy flags `map` will see: defaults, overrides over them."""
    try:
        defaults = defaults_of(tool)
    except UnknownTool:
        defaults = None

    def merged(default: Any, own: dict[str, Any]) -> dict[str, Any]:
        return {**(dict(default) if defaults is not None else {}), **own}

    doc = document.model_dump(mode="json")
    roles = doc["agent_roles"]
    if roles is None:
        roles = sorted(defaults.agent_roles) if defaults is not None else []
    lossy = set(doc["lossy"]) | (set(defaults.lossy) if defaults is not None else set())
    return {
        "status_map": merged(defaults and defaults.status_map, doc["status_map"]),
        "channel_map": merged(defaults and defaults.channel_map, doc["channel_map"]),
        "priority_map": merged(defaults and defaults.priority_map, doc["priority_map"]),
        "csat_map": merged(defaults and defaults.csat_map, doc["csat_map"]),
        "agent_roles": roles,
        "options": merged(defaults and defaults.options, doc["options"]),
        "lossy": sorted(lossy),
    }
