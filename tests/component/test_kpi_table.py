"""scripts/kpi_table.py against a stubbed API: the table, and its exit status."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "scripts/kpi_table.py"


@pytest.fixture(scope="module")
def kpi_table() -> ModuleType:
    spec = importlib.util.spec_from_file_location("kpi_table", SCRIPT)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _api(figures_by_agreement: dict[str, dict[str, Any]]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v1/agreements":
            return httpx.Response(200, json=[{"agreement_id": a} for a in figures_by_agreement])
        agreement = request.url.path.split("/")[3]
        figures = figures_by_agreement[agreement]
        windows = {"24h": {"start": "x", "end": "y", "figures": figures}} if figures else {}
        return httpx.Response(200, json={"agreement_id": agreement, "windows": windows})

    return httpx.MockTransport(handle)


FULL = {
    "tickets_created": {"value": 120.0, "n": 120},
    "frt_p90_seconds": {"value": 4000.0, "n": 80},
    "frt_attainment": {"value": 0.875, "n": 80},
    "service_level": {"value": None, "n": 0},
}


def test_prints_every_agreement_and_exits_0_when_all_have_figures(
    kpi_table: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    assert kpi_table.main([], _api({"acme": FULL, "globex": FULL})) == 0
    out = capsys.readouterr().out
    assert "acme" in out
    assert "globex" in out
    assert "1h06m (n=80)" in out
    assert "87.5% (n=80)" in out
    assert "- (n=0)" in out


@pytest.mark.parametrize(
    ("figures", "status"), [({"a": FULL, "b": {}}, 2), ({"a": {}, "b": {}}, 1)]
)
def test_exits_nonzero_when_figures_are_missing(
    kpi_table: ModuleType, figures: dict[str, Any], status: int
) -> None:
    assert kpi_table.main(["--agreement", "a", "--agreement", "b"], _api(figures)) == status


def test_exits_1_when_the_api_is_unreachable(kpi_table: ModuleType) -> None:
    assert kpi_table.main(["--api-url", "http://127.0.0.1:1"]) == 1


def test_sends_the_api_key_and_reports_a_refusal(
    kpi_table: ModuleType, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    seen: list[str | None] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("authorization"))
        return httpx.Response(401, json={"title": "Unauthorized"})

    monkeypatch.setenv("SLAWATCH_API_KEY", "sw_env")
    assert kpi_table.main([], httpx.MockTransport(refuse)) == 1
    assert kpi_table.main(["--api-key", "sw_arg"], httpx.MockTransport(refuse)) == 1
    assert seen == ["Bearer sw_env", "Bearer sw_arg"]
    assert "401 Unauthorized" in capsys.readouterr().err
