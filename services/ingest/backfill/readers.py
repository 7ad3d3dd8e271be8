"""Export readers: a file in, units of raw records out, each with the position after it.

A position is what a checkpoint stores and what `units(start=...)` resumes from: for a JSON
lines file the byte offset after the line (so a resume seeks instead of re-reading), for a
file of pages the page number. A reader never maps anything; it only finds the records.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol


class ExportUnreadable(Exception):
    """The file is not in the format the reader reads (a line or page that is not JSON)."""


@dataclass(frozen=True)
class Unit:
    """The raw records of one line or page, and the position right after it."""

    end: int
    records: list[Any]


class ExportReader(Protocol):
    """Reads one export format; `total` sizes the progress bar in the positions' unit."""

    def total(self, path: Path) -> int:
        """The position after the last unit of `path`."""

    def units(self, path: Path, start: int) -> Iterator[Unit]:
        """The units of `path` from position `start` on, in file order."""


class JsonLinesReader:
    """One JSON value per line; a line may hold several values written back to back (what
    Kinesis Data Firehose writes to S3 when no newline delimiter is configured)."""

    def total(self, path: Path) -> int:
        return path.stat().st_size

    def units(self, path: Path, start: int) -> Iterator[Unit]:
        decoder = json.JSONDecoder()
        with path.open("rb") as handle:
            handle.seek(start)
            position = start
            for raw in handle:
                position += len(raw)
                text = raw.decode("utf-8").strip()
                records: list[Any] = []
                index = 0
                while index < len(text):
                    try:
                        value, index = decoder.raw_decode(text, index)
                    except json.JSONDecodeError as exc:
                        raise ExportUnreadable(
                            f"{path}: byte {position - len(raw)}: {exc}"
                        ) from None
                    records.append(value)
                    while index < len(text) and text[index].isspace():
                        index += 1
                if records:
                    yield Unit(position, records)


class PagesReader:
    """Pages of an incremental export API saved one JSON page per line (as `curl` of each
    `next_page` appends them); the records are the page's `key` array. Position: page number."""

    def __init__(self, key: str) -> None:
        self._key = key

    def total(self, path: Path) -> int:
        with path.open("rb") as handle:
            return sum(1 for line in handle if line.strip())

    def units(self, path: Path, start: int) -> Iterator[Unit]:
        page = 0
        with path.open("rb") as handle:
            for raw in handle:
                if not raw.strip():
                    continue
                page += 1
                if page <= start:
                    continue
                try:
                    value = json.loads(raw)
                except json.JSONDecodeError as exc:
                    raise ExportUnreadable(f"{path}: page {page}: {exc}") from None
                records = value.get(self._key) if isinstance(value, dict) else None
                if not isinstance(records, list):
                    raise ExportUnreadable(f"{path}: page {page} has no {self._key!r} array")
                yield Unit(page, records)
