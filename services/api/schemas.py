"""Response bodies of the API, with the examples shown in the OpenAPI document."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field

from services.api.catalog import AgreementInfo
from services.core.agreements.model import status_on
from services.core.agreements.term import AgreementStatus
from services.core.kpi.windows import WindowResult
from services.core.storage.kpi_reader import AgreementKpis


def _utc(epoch_seconds: float) -> datetime:
    return datetime.fromtimestamp(epoch_seconds, tz=UTC)


class FigureOut(BaseModel):
    value: float | None = Field(description="The figure; null when n is 0.")
    n: int = Field(description="Number of items the figure is computed over.")


class WindowOut(BaseModel):
    start: datetime = Field(description="Inclusive start of the window (UTC).")
    end: datetime = Field(description="Exclusive end of the window (UTC).")
    figures: dict[str, FigureOut]

    @classmethod
    def of(cls, result: WindowResult) -> WindowOut:
        figures = {k: FigureOut(value=f.value, n=f.n) for k, f in result.figures.items()}
        return cls(start=_utc(result.start), end=_utc(result.end), figures=figures)


class KpisOut(BaseModel):
    """Figures of the rolling windows and current calendar periods, or of one period."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "agreement_id": "acme-helpdesk",
                    "stream_time": "2026-10-14T09:41:07Z",
                    "windows": {
                        "24h": {
                            "start": "2026-10-13T10:00:00Z",
                            "end": "2026-10-14T10:00:00Z",
                            "figures": {
                                "frt_p90_seconds": {"value": 2710.5, "n": 183},
                                "service_level": {"value": 0.87, "n": 1204},
                                "csat": {"value": None, "n": 0},
                            },
                        }
                    },
                }
            ]
        }
    )

    agreement_id: str
    stream_time: datetime | None = Field(
        description="Instant the windows are evaluated at: the latest event time, or as_of."
    )
    windows: dict[str, WindowOut] = Field(
        description="By window: 1h, 24h, 7d, 30d and the current month and quarter labels."
    )

    @classmethod
    def of(cls, kpis: AgreementKpis) -> KpisOut:
        at = None if kpis.stream_time is None else _utc(kpis.stream_time)
        windows = {name: WindowOut.of(r) for name, r in kpis.windows.items()}
        return cls(agreement_id=kpis.agreement_id, stream_time=at, windows=windows)


class AgreementOut(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "agreement_id": "acme-helpdesk",
                    "name": "ACME retail helpdesk improvement",
                    "client": "acme",
                    "provider": "supportco",
                    "status": "active",
                    "timezone": "Europe/Berlin",
                }
            ]
        }
    )

    agreement_id: str
    name: str
    client: str
    provider: str
    status: AgreementStatus = Field(description="From the term, today in the agreement's zone.")
    timezone: str

    @classmethod
    def of(cls, info: AgreementInfo) -> AgreementOut:
        return cls(
            agreement_id=info.agreement_id,
            name=info.name,
            client=info.client,
            provider=info.provider,
            status=status_on(info.agreement),
            timezone=info.params.timezone,
        )


class HealthOut(BaseModel):
    status: str = Field(examples=["ok"])
    checks: dict[str, str] = Field(default_factory=dict, examples=[{"database": "ok"}])
