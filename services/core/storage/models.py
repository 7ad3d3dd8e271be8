"""Database tables: per-partition KPI buckets, stream positions, figure snapshots, agreements,
API keys.

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
    Boolean,
    CheckConstraint,
    DateTime,
    Double,
    ForeignKey,
    Identity,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
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
    # "" for the totals, "dimension=value" for a breakdown slice (docs/kpis.md, "Breakdowns").
    slice: Mapped[str] = mapped_column(Text, primary_key=True, server_default="")


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


class AgreementRow(Base):
    """The current document of an agreement (`Agreement` as JSON); `version` counts changes."""

    __tablename__ = "agreements"
    __table_args__ = (Index(None, "client"),)  # access is scoped by client

    agreement_id: Mapped[str] = mapped_column(Text, primary_key=True)
    client: Mapped[str] = mapped_column(Text, nullable=False)
    provider: Mapped[str] = mapped_column(Text, nullable=False)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    document: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )


def _agreement_fk() -> Mapped[str]:
    # Deleting an agreement (rare, administrative) takes its history with it.
    return mapped_column(
        Text, ForeignKey("agreements.agreement_id", ondelete="CASCADE"), primary_key=True
    )


class AgreementTargetRow(Base):
    """One version of one KPI target: inserted once, never updated (history is kept)."""

    __tablename__ = "agreement_targets"

    agreement_id: Mapped[str] = _agreement_fk()
    target_id: Mapped[str] = mapped_column(Text, primary_key=True)
    effective_from: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    definition: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )


class ImprovementMeasureRow(Base):
    """One improvement measure of an agreement (`ImprovementMeasure` as JSON)."""

    __tablename__ = "improvement_measures"

    agreement_id: Mapped[str] = _agreement_fk()
    measure_id: Mapped[str] = mapped_column(Text, primary_key=True)
    definition: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )


class OpenTicketRecord(Base):
    """An open ticket and the instants its clocks fall due: the worker's live ticket view."""

    __tablename__ = "open_tickets"
    __table_args__ = (
        # The API lists an agreement's tickets falling due before an instant.
        Index(None, "agreement_id", "first_response_due_at"),
        Index(None, "agreement_id", "resolution_due_at"),
    )

    agreement_id: Mapped[str] = mapped_column(Text, primary_key=True)
    ticket_id: Mapped[str] = mapped_column(Text, primary_key=True)
    priority: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    first_response_due_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    resolution_due_at: Mapped[datetime | None] = mapped_column(
        DateTime(timezone=True), nullable=True
    )
    paused: Mapped[bool] = mapped_column(Boolean, nullable=False)
    first_responded: Mapped[bool] = mapped_column(Boolean, nullable=False)
    status: Mapped[str] = mapped_column(Text, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )


class TicketBreachRecord(Base):
    """A ticket's first response or resolution cycle over its target (docs/reports.md).

    Keyed by the cycle's attribution instant (the reply or the resolution): the worker
    replaces a ticket's rows as its breaches change, so replays and takeovers are harmless.
    """

    __tablename__ = "ticket_breaches"
    __table_args__ = (
        CheckConstraint("kpi IN ('frt', 'resolution')", name="kpi"),
        # The report reads an agreement's breaches attributed to its month.
        Index(None, "agreement_id", "attributed_at"),
    )

    agreement_id: Mapped[str] = mapped_column(Text, primary_key=True)
    ticket_id: Mapped[str] = mapped_column(Text, primary_key=True)
    kpi: Mapped[str] = mapped_column(Text, primary_key=True)
    attributed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    measured_seconds: Mapped[float] = mapped_column(Double, nullable=False)
    target_seconds: Mapped[float] = mapped_column(Double, nullable=False)
    overrun_seconds: Mapped[float] = mapped_column(Double, nullable=False)
    priority: Mapped[str] = mapped_column(Text, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )


API_KEY_ROLES = ("admin", "publisher", "viewer")  # services/core/auth/access.py `Role`


class ApiKeyRow(Base):
    """An API key: public id, salted hash of the token (never the token), role and scope."""

    __tablename__ = "api_keys"
    __table_args__ = (
        CheckConstraint(_one_of("role", API_KEY_ROLES), name="role"),
        # Viewers and publishers belong to one client; admins to none. Publisher rows made
        # before migration 0006 have no client and may publish nothing (security.py).
        CheckConstraint(
            "role = 'publisher' OR (role = 'viewer') = (client IS NOT NULL)", name="client_scope"
        ),
        CheckConstraint(
            "role = 'publisher' OR (agreements IS NULL AND connector IS NULL)",
            name="publisher_scope",
        ),
    )

    key_id: Mapped[str] = mapped_column(Text, primary_key=True)
    hash: Mapped[str] = mapped_column(Text, nullable=False)
    role: Mapped[str] = mapped_column(Text, nullable=False)
    client: Mapped[str | None] = mapped_column(Text, nullable=True)
    name: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    # A publisher's agreements (NULL: all of its client's) and connector (NULL: any source).
    agreements: Mapped[list[str] | None] = mapped_column(ARRAY(Text), nullable=True)
    connector: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Granted by an admin: the key may read per-agent breakdowns (personal data).
    agent_detail: Mapped[bool] = mapped_column(
        Boolean, nullable=False, server_default=text("false")
    )


SLA_STATUSES = ("met", "at_risk", "breached", "no_data")


class SlaStatusState(Base):
    """The last status published per target: the compare-and-set that elects one publisher."""

    __tablename__ = "sla_status_state"
    __table_args__ = (
        CheckConstraint(_one_of("status", SLA_STATUSES), name="status"),
        CheckConstraint(_one_of("previous_status", SLA_STATUSES), name="previous_status"),
    )

    agreement_id: Mapped[str] = _agreement_fk()
    target_id: Mapped[str] = mapped_column(Text, primary_key=True)
    status: Mapped[str] = mapped_column(Text, nullable=False)
    previous_status: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The agreement's stream time the status was judged at: an older view never wins.
    stream_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class SlaStatusChange(Base):
    """One published status change (the event's fields): the status history of a target."""

    __tablename__ = "sla_status_changes"
    __table_args__ = (Index(None, "agreement_id", "occurred_at"),)

    event_id: Mapped[str] = mapped_column(Text, primary_key=True)
    agreement_id: Mapped[str] = mapped_column(
        Text, ForeignKey("agreements.agreement_id", ondelete="CASCADE"), nullable=False
    )
    target_id: Mapped[str] = mapped_column(Text, nullable=False)
    kpi: Mapped[str] = mapped_column(Text, nullable=False)
    window: Mapped[str] = mapped_column(Text, nullable=False)
    previous_status: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(Text, nullable=False)
    value: Mapped[float | None] = mapped_column(Double, nullable=True)
    target: Mapped[float] = mapped_column(Double, nullable=False)
    stream_time: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class CalendarRow(Base):
    """The current document of a shared calendar (`Calendar` as JSON); `version` counts changes."""

    __tablename__ = "calendars"

    calendar_id: Mapped[str] = mapped_column(Text, primary_key=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), nullable=False, server_default=func.now()
    )


EVENT_OUTCOMES = ("accepted", "duplicate", "late", "invalid", "unknown")


class EventCount(Base):
    """How many events of an agreement ended how, per UTC hour (docs/metrics.md, "Data
    quality"): ingest adds its refusals, workers add what they counted and dead-lettered."""

    __tablename__ = "event_counts"
    __table_args__ = (CheckConstraint(_one_of("outcome", EVENT_OUTCOMES), name="outcome"),)

    agreement_id: Mapped[str] = _agreement_fk()
    hour: Mapped[datetime] = mapped_column(DateTime(timezone=True), primary_key=True)
    outcome: Mapped[str] = mapped_column(Text, primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, nullable=False)


class EventCountMark(Base):
    """The last source offset whose outcome a worker added to `event_counts`, per partition:
    a replayed message at or below it is not counted again."""

    __tablename__ = "event_count_marks"

    topic: Mapped[str] = mapped_column(Text, primary_key=True)
    partition: Mapped[int] = mapped_column(Integer, primary_key=True)
    counted_to: Mapped[int] = mapped_column(BigInteger, nullable=False)


class SlaStatusOutbox(Base):
    """A status change event waiting to be published, or published (`sent_at`): the outbox.

    Written in the transaction that stores the change (services/api/status_changes.py) and
    published by the relay (services/api/status_relay.py) in `seq` order.
    """

    __tablename__ = "sla_status_outbox"
    __table_args__ = (
        # The relay reads the oldest unsent rows; sent rows wait only for pruning.
        Index("ix_sla_status_outbox_pending", "seq", postgresql_where=text("sent_at IS NULL")),
        Index(None, "sent_at"),
    )

    seq: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    # The event's id: the message's `event_id` header, what consumers deduplicate on.
    event_id: Mapped[str] = mapped_column(Text, nullable=False, unique=True)
    message_key: Mapped[str] = mapped_column(Text, nullable=False)
    payload: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    sent_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)


REPORT_STATES = ("preliminary", "final")


class ReportVersionRow(Base):
    """An issued version of a monthly report; a trigger refuses updates (immutable)."""

    __tablename__ = "report_versions"
    __table_args__ = (
        CheckConstraint(_one_of("state", REPORT_STATES), name="state"),
        CheckConstraint("version >= 1", name="version"),
    )

    agreement_id: Mapped[str] = _agreement_fk()
    period: Mapped[str] = mapped_column(Text, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    state: Mapped[str] = mapped_column(Text, nullable=False)
    content: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    content_hash: Mapped[str] = mapped_column(Text, nullable=False)
    changes: Mapped[list[dict[str, Any]]] = mapped_column(JSONB, nullable=False)
    issued_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    issued_by: Mapped[str] = mapped_column(Text, nullable=False)


class ReportDraftRow(Base):
    """The provider's free text for a report not issued yet (or its next version)."""

    __tablename__ = "report_drafts"

    agreement_id: Mapped[str] = _agreement_fk()
    period: Mapped[str] = mapped_column(Text, primary_key=True)
    free_text: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    updated_by: Mapped[str] = mapped_column(Text, nullable=False)


class ConnectorConfigRow(Base):
    """A tool connector of an agreement (docs/connectors.md): what ingest needs to verify and
    map its webhooks. `document` holds the non-secret settings (namespace, maps, agent roles,
    options, lossy flags); the signing secret and the pseudonym key are sealed with
    CONNECTORS_SECRETS_KEY (services/core/connectors/secret_box.py) and never leave the services."""

    __tablename__ = "connector_configs"
    __table_args__ = (Index(None, "agreement_id"),)

    connector_id: Mapped[str] = mapped_column(Text, primary_key=True)
    agreement_id: Mapped[str] = mapped_column(
        Text, ForeignKey("agreements.agreement_id", ondelete="CASCADE"), nullable=False
    )
    tool: Mapped[str] = mapped_column(Text, nullable=False)
    document: Mapped[dict[str, Any]] = mapped_column(JSONB, nullable=False)
    secret_sealed: Mapped[str] = mapped_column(Text, nullable=False)
    pseudonym_key_sealed: Mapped[str] = mapped_column(Text, nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class ConnectorDeadLetterRow(Base):
    """A payload a connector could not map (or whose events broke the contract): the raw body
    and the reason, kept CONNECTORS_DEAD_LETTER_RETENTION_DAYS for an admin to read."""

    __tablename__ = "connector_dead_letters"
    __table_args__ = (Index(None, "connector_id", "received_at"), Index(None, "received_at"))

    id: Mapped[int] = mapped_column(BigInteger, Identity(always=True), primary_key=True)
    connector_id: Mapped[str] = mapped_column(
        Text, ForeignKey("connector_configs.connector_id", ondelete="CASCADE"), nullable=False
    )
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    payload: Mapped[bytes] = mapped_column(LargeBinary, nullable=False)
