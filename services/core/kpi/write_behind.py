"""A write-behind view of the engine's store: a batch of events, then one write per row.

Faust turns every table write into a changelog message, so writing each row once per batch
instead of once per event is what makes the worker fast. The order of the writes keeps the
recovery argument of services/core/kpi/engine.py intact: within a partition's changelog,
bucket rows come before entity rows, entity rows before the watermark and stream positions,
and deletions come last. A crash then loses a suffix of that sequence, and replaying the
batch repairs it (docs/architecture.md, "Recovery").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, MutableMapping
from typing import Any

_DELETED: Any = object()
# Rank of a row kind in the write order, by key prefix (services/core/kpi/keys.py).
_RANK = {"b": 0, "v": 0, "e": 1, "w": 2, "s": 2}
_DELETE_RANK = 3


class WriteBehind(MutableMapping[str, Any]):
    """Reads see pending writes over `backing`; `write()` applies them in recovery order.

    `encode(key, row)` turns a pending row into what the backing store keeps, so the engine
    may hold live objects (aggregates) while a batch runs and serialise them once.
    """

    def __init__(
        self,
        backing: MutableMapping[str, Any],
        encode: Callable[[str, Any], Any] = lambda _key, row: row,
    ) -> None:
        self.backing = backing
        self.encode = encode
        self.pending: dict[str, Any] = {}

    def get(self, key: str, default: Any = None) -> Any:
        if key in self.pending:
            row = self.pending[key]
            return default if row is _DELETED else row
        return self.backing.get(key, default)

    def __getitem__(self, key: str) -> Any:
        row = self.get(key, _DELETED)
        if row is _DELETED:
            raise KeyError(key)
        return row

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key, _DELETED) is not _DELETED

    def __setitem__(self, key: str, row: Any) -> None:
        self.pending[key] = row

    def __delitem__(self, key: str) -> None:
        if key not in self:
            raise KeyError(key)
        self.pending[key] = _DELETED

    def __iter__(self) -> Iterator[str]:
        for key in self.backing:
            if self.pending.get(key) is not _DELETED:
                yield key
        for key, row in self.pending.items():
            if row is not _DELETED and key not in self.backing:
                yield key

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def write(self) -> int:
        """Apply the pending writes to the backing store in recovery order; returns their count."""
        ordered = sorted(
            self.pending.items(),
            key=lambda item: _DELETE_RANK if item[1] is _DELETED else _RANK[item[0][0]],
        )
        self.pending = {}
        for key, row in ordered:
            if row is not _DELETED:
                self.backing[key] = self.encode(key, row)
            elif key in self.backing:
                del self.backing[key]
        return len(ordered)
