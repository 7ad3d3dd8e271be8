"""Register the tool packages that live under `services/ingest/connectors/` (the shared
registry finds those under `services/core/connectors/` by itself). Called by the ingest app
and `replay` before the first webhook is mapped."""

from __future__ import annotations

from functools import cache

from services.core.connectors.registry import discover, register


@cache
def register_ingest_connectors() -> list[str]:
    """The tools registered from this package (once per process)."""
    found = discover("services.ingest.connectors")
    for connector in found:
        register(connector)
    return sorted(c.tool for c in found)
