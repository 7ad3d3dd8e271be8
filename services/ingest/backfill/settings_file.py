"""Connector settings for a backfill from a JSON file, the key from the environment.

The file holds what the agreement's connector configuration holds (namespace, maps,
options, lossy choices); the pseudonym key comes from `CONNECTOR_PSEUDONYM_KEY`, never from
a file, and must be the live connector's, or a caller's backfilled calls and live calls get
different ids and FCR misses their repeats.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from services.ingest.connectors.base import ConnectorSettings

PSEUDONYM_KEY_VARIABLE = "CONNECTOR_PSEUDONYM_KEY"


def read_settings(path: Path, agreement_id: str, tool: str) -> ConnectorSettings:
    """The settings in `path` for `agreement_id`'s `tool` connector."""
    data = json.loads(path.read_text())
    return ConnectorSettings(
        agreement_id=agreement_id,
        tool=tool,
        namespace=str(data.get("namespace", tool)),
        status_map=dict(data.get("status_map", {})),
        channel_map=dict(data.get("channel_map", {})),
        priority_map=dict(data.get("priority_map", {})),
        csat_map={str(k): int(v) for k, v in data.get("csat_map", {}).items()},
        options=dict(data.get("options", {})),
        lossy=frozenset(data.get("lossy", [])),
        pseudonym_key=os.environ.get(PSEUDONYM_KEY_VARIABLE, "").encode(),
    )
