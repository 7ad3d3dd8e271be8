"""The engine's state rows, typed: what each kind of row holds.

Rows travel as JSON through the table's changelog, so they keep the short keys they have
always had (the changelog holds one message per changed row, and old changelogs must stay
readable); these types name and document them, and mypy checks every access. The kind of a
row follows from its key (services/core/kpi/keys.py): `e|` entity, `b|` bucket, `s|`
stream position (the agreement's watermark on the partition), `v|` admitted slice values.

Every row records `p`, the source partition whose events wrote it (which is also the
changelog partition it belongs to), and `o`, the last source offset it applied: the two
facts the recovery argument of services/core/kpi/engine.py rests on.
"""

# No `from __future__ import annotations`: TypedDict reads `NotRequired` from evaluated
# annotations only, and the row types' required keys are checked at run time by the tests.
from collections.abc import Mapping
from typing import Any, NotRequired, TypedDict, cast

from services.core.kpi import keys
from services.core.kpi.aggregate import Aggregate
from services.core.kpi.entities import EntityEvent


class EntityRow(TypedDict):
    """A ticket, one customer's calls, or a survey: its events and what they counted."""

    p: int  # source partition
    o: int  # last source offset applied
    a: NotRequired[str]  # agreement id; rows from before per-agreement watermarks lack it
    ev: list[EntityEvent]  # compact events in event order (services/core/kpi/entities.py)
    facts: NotRequired[list[list[Any]]]  # counted facts (`Fact.to_list`); not in tombstones
    tomb: NotRequired[bool]  # a tombstone (services/core/kpi/tombstones.py): facts re-derived
    br: NotRequired[list[list[Any]]]  # a ticket's breaches (`Breach.to_list`)
    x: float  # event-time instant after which the row expires


class BucketRow(TypedDict):
    """One partition's partial aggregate of one bucket (of the totals or of a slice)."""

    p: int
    o: int
    # `Aggregate.to_dict()` in the store; the live aggregate while a batch is staged.
    agg: Aggregate | dict[str, Any]


class PositionRow(TypedDict):
    """An agreement's stream position on a partition: its watermark (docs/kpis.md)."""

    p: int
    o: int
    t: float  # the latest `occurred_at` (epoch seconds) among its accepted events


class ValuesRow(TypedDict):
    """The values of one dimension a partition admitted for an agreement (breakdowns)."""

    p: int
    o: int
    vals: list[str]


StateRow = EntityRow | BucketRow | PositionRow | ValuesRow


def entity_row(rows: Mapping[str, Any], key: str) -> EntityRow | None:
    """The entity row at `key` (an `e|` key), if any."""
    return cast(EntityRow | None, rows.get(key))


def bucket_row(rows: Mapping[str, Any], key: str) -> BucketRow | None:
    """The bucket row at `key` (a `b|` key), if any."""
    return cast(BucketRow | None, rows.get(key))


def position_row(rows: Mapping[str, Any], key: str) -> PositionRow | None:
    """The stream position at `key` (an `s|` key), if any."""
    return cast(PositionRow | None, rows.get(key))


def values_row(rows: Mapping[str, Any], key: str) -> ValuesRow | None:
    """The admitted values at `key` (a `v|` key), if any."""
    return cast(ValuesRow | None, rows.get(key))


def live_aggregate(row: BucketRow | None) -> Aggregate:
    """The aggregate of a bucket row, decoded if it comes from the store; new if none."""
    if row is None:
        return Aggregate()
    agg = row["agg"]
    return agg if isinstance(agg, Aggregate) else Aggregate.from_dict(agg)


def encoded(agg: Aggregate | dict[str, Any]) -> dict[str, Any]:
    """A bucket row's aggregate as the store keeps it."""
    return agg.to_dict() if isinstance(agg, Aggregate) else agg


def agreement_of(key: str, row: EntityRow, agreements: Mapping[str, object]) -> str | None:
    """The agreement of the entity row at `e|<agreement>/<id>`; None if no longer known.

    The row names it (`a`); older rows do not, and ids may contain '/', so for them it is
    the longest known agreement id the key starts with.
    """
    if "a" in row:
        return row["a"] if row["a"] in agreements else None
    entity = key[len(keys.entity("")) :]
    known = (a for a in agreements if entity.startswith(f"{a}/"))
    return max(known, key=len, default=None)
