"""Database tables: per-partition KPI buckets, stream positions and figure snapshots.

The metrics workers own the rows of their partitions and upsert them; the API only reads and
merges partitions. Every instant is stored as `timestamptz`; the application works in epoch
seconds and converts at the repository boundary. Constraint names come from one naming
convention so that Alembic migrations can refer to them by a predictable name.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    DateTime,
    Double,
    Index,
    Integer,
    MetaData,
    Text,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
FAMILIES = ("tickets", "calls", "surveys")
GRANULARITIES = ("minute", "hour", "month", "quarter")


def _one_of(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class KpiBucket(Base):
    """A partial aggregate (`Aggregate.to_dict()`) of one partition's facts in one bucket."""

    __tablename__ = "kpi_buckets"
    __table_args__ = (
        # The API reads one agreement's buckets of one granularity over a time range.
        Index(None, "agreement_id", "granularity", "bucket_start"),
        CheckConstraint(_one_of("family", FAMILIES), name="family"),
        CheckConstraint(_one_of("granularity", GRANULARITIES), name="granularity"),
    )

    agreement_id: Mapped[str] = mapped_column(Text, primary_key=True)
    family: Mapped[str] = mapped_column(Text, primary_key=True)
    partition: Mapped[int] = mapped_column(Integer, primary_key=True)
    granularity: Mapped[str] = mapped_column(Text, primary_key=True)
    bucket_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )


class StreamPosition(Base):
    """The latest event time one partition has seen for an agreement's family."""

    __tablename__ = "stream_positions"
    __table_args__ = (CheckConstraint(_one_of("family", FAMILIES), name="family"),)

    agreement_id: Mapped[str] = mapped_column(Text, primary_key=True)
    family: Mapped[str] = mapped_column(Text, primary_key=True)
    partition: Mapped[int] = mapped_column(Integer, primary_key=True)
    latest_event_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )


class KpiSnapshot(Base):
    """One figure of one window as it stood at `taken_at`: the history behind trend charts."""

    __tablename__ = "kpi_snapshots"

    agreement_id: Mapped[str] = mapped_column(Text, primary_key=True)
    # A rolling window name ("24h") or a calendar period label ("2026-10", "2026-Q4").
    window: Mapped[str] = mapped_column(Text, primary_key=True)
    kpi: Mapped[str] = mapped_column(Text, primary_key=True)
    taken_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    value: Mapped[float | None] = mapped_column(Double, nullable=True)
    n: Mapped[int] = mapped_column(BigInteger, nullable=False)
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    window_end: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
