"""The backfill's dead letters: a JSON lines file beside the checkpoint, one refused record
per line with its agreement, connector, reason and the raw record, for a person to read and,
once the mapping is fixed, to feed to the backfill again."""

from __future__ import annotations

import json
from pathlib import Path

from services.ingest.connectors.connect.bridge_mapping import Refused


class FileDeadLetters:
    """Appends refused records to `path` (a `DeadLetterSink`)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    async def put(self, agreement_id: str, tool: str, refused: list[Refused]) -> None:
        with self.path.open("a", encoding="utf-8") as handle:
            for item in refused:
                line = {
                    "agreement_id": agreement_id,
                    "connector": tool,
                    "reason": item.reason,
                    "raw": item.raw.decode("utf-8", errors="replace"),
                }
                handle.write(json.dumps(line, ensure_ascii=False) + "\n")
