"""Settings from environment variables, one class per concern.

Every default points at the local stack started by `scripts/infra/`; production sets the
variables. The README's configuration table lists the same names and defaults.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_DATABASE_URL = "postgresql+asyncpg://slawatch:slawatch@127.0.0.1:15432/slawatch"
MIN_BOOTSTRAP_TOKEN_LENGTH = 24


class KafkaSettings(BaseSettings):
    """Where the broker is and how topics are named (env prefix `KAFKA_`)."""

    model_config = SettingsConfigDict(env_prefix="KAFKA_", extra="ignore")

    bootstrap_servers: str = "127.0.0.1:19092"
    topic_prefix: str = "slawatch"
    partitions: int = Field(default=6, ge=1)
    replication_factor: int = Field(default=1, ge=1)


class DatabaseSettings(BaseSettings):
    """PostgreSQL connection (`DATABASE_URL`, SQLAlchemy async URL with asyncpg)."""

    model_config = SettingsConfigDict(extra="ignore")

    database_url: SecretStr = SecretStr(DEFAULT_DATABASE_URL)
    database_pool_size: int = Field(default=5, ge=1)


class IngestSettings(BaseSettings):
    """The HTTP ingest service (env prefix `INGEST_`)."""

    model_config = SettingsConfigDict(env_prefix="INGEST_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8001
    max_batch_events: int = Field(default=1000, ge=1)
    max_body_bytes: int = Field(default=2_000_000, ge=1024)
    publish_timeout_seconds: float = Field(default=30.0, gt=0)


class MetricsSettings(BaseSettings):
    """The Faust metrics worker (env prefix `METRICS_`)."""

    model_config = SettingsConfigDict(env_prefix="METRICS_", extra="ignore")

    app_id: str = "slawatch-metrics"
    web_port: int = 0
    prometheus_port: int = 9108
    prometheus_bind: str = "127.0.0.1"
    data_dir: Path = Path(".run/faust")
    agreements_file: Path = Path("deploy/agreements/demo.yaml")
    allowed_lateness_seconds: float = Field(default=3600.0, ge=0)
    flush_interval_seconds: float = Field(default=2.0, gt=0)
    # An agent applies up to this many events, then writes each changed row once; a batch
    # closes early when no more events come within the wait.
    batch_max_events: int = Field(default=1000, ge=1)
    batch_wait_seconds: float = Field(default=0.2, gt=0)
    snapshot_interval_seconds: float = Field(default=60.0, gt=0)
    snapshot_retention_days: float = Field(default=400.0, gt=0)
    broker_session_timeout_seconds: float = Field(default=30.0, gt=0)
    # Breakdowns by priority, channel, queue, agent and team (docs/kpis.md, "Breakdowns"):
    # METRICS_BREAKDOWNS=off keeps the totals only; each agreement keeps at most
    # breakdown_max_values values per dimension, later ones count as "other".
    breakdowns: bool = True
    breakdown_max_values: int = Field(default=100, ge=1)


class ApiSettings(BaseSettings):
    """The query API (env prefix `API_`)."""

    model_config = SettingsConfigDict(env_prefix="API_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    # Only a seed: its agreements missing from PostgreSQL are created at start-up.
    agreements_file: Path = Path("deploy/agreements/demo.yaml")


class SecuritySettings(BaseSettings):
    """API keys of the API and ingest (env prefix `AUTH_`; docs/security.md)."""

    model_config = SettingsConfigDict(env_prefix="AUTH_", extra="ignore")

    # Off only for local experiments: every request then acts as an admin.
    enabled: bool = True
    # Accepted as an admin key without a database lookup: for the demo and the first setup
    # (create real keys with `python -m services.core.apikeys`, then unset it).
    bootstrap_admin_token: SecretStr | None = None

    @field_validator("bootstrap_admin_token")
    @classmethod
    def _usable_token(cls, token: SecretStr | None) -> SecretStr | None:
        # `AUTH_BOOTSTRAP_ADMIN_TOKEN=` (empty) must not make the empty token an admin key.
        if token is None or not token.get_secret_value().strip():
            return None
        if len(token.get_secret_value()) < MIN_BOOTSTRAP_TOKEN_LENGTH:
            raise ValueError(f"must be at least {MIN_BOOTSTRAP_TOKEN_LENGTH} characters long")
        return token
