"""Where a backfill stands: per file, the position after the last acknowledged unit.

Written after every batch the broker acknowledged, by write-then-rename so an interrupt
leaves the previous or the new checkpoint, never half of one. A checkpoint belongs to one
agreement, connector and format: resuming it with others is refused, not guessed.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


class CheckpointMismatch(Exception):
    """The checkpoint was written for another agreement, connector or format."""


@dataclass
class Checkpoint:
    """Positions reached (`positions`) and files finished (`done`), by absolute path; `state`:
    what a format's mapping carries from one record to the next (JSON), saved with them."""

    agreement_id: str
    connector: str
    export_format: str
    positions: dict[str, int] = field(default_factory=dict)
    done: set[str] = field(default_factory=set)
    state: dict[str, Any] = field(default_factory=dict)

    def start_of(self, path: Path) -> int:
        return self.positions.get(str(path.resolve()), 0)

    def is_done(self, path: Path) -> bool:
        return str(path.resolve()) in self.done

    def advance(self, path: Path, position: int) -> None:
        self.positions[str(path.resolve())] = position

    def finish(self, path: Path) -> None:
        self.done.add(str(path.resolve()))


def load(path: Path | None, agreement_id: str, connector: str, export_format: str) -> Checkpoint:
    """The checkpoint at `path`, or a fresh one if there is none (or no path)."""
    fresh = Checkpoint(agreement_id, connector, export_format)
    if path is None or not path.exists():
        return fresh
    data = json.loads(path.read_text())
    found = (data.get("agreement_id"), data.get("connector"), data.get("format"))
    if found != (agreement_id, connector, export_format):
        raise CheckpointMismatch(
            f"{path} is the checkpoint of agreement/connector/format {found}, "
            f"not {(agreement_id, connector, export_format)}"
        )
    fresh.positions = {str(k): int(v) for k, v in data.get("positions", {}).items()}
    fresh.done = set(data.get("done", []))
    fresh.state = dict(data.get("state", {}))
    return fresh


def save(checkpoint: Checkpoint, path: Path | None) -> None:
    """Replace the file at `path` with `checkpoint` atomically (nothing when no path)."""
    if path is None:
        return
    data = {
        "version": 1,
        "agreement_id": checkpoint.agreement_id,
        "connector": checkpoint.connector,
        "format": checkpoint.export_format,
        "positions": checkpoint.positions,
        "done": sorted(checkpoint.done),
        "state": checkpoint.state,
    }
    temporary = path.with_name(path.name + ".tmp")
    with temporary.open("w") as handle:
        json.dump(data, handle, indent=1)
        handle.flush()
        os.fsync(handle.fileno())
    temporary.replace(path)
