"""The API's shutdown is bounded: a publisher that never finishes closing does not hold it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from services.api import main
from services.core.messaging.sla_status import SlaStatusPublisher
from tests.component.secured_app import Keys, build_app


async def test_a_stuck_close_does_not_hold_the_shutdown(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def never_closes(self: SlaStatusPublisher) -> None:
        await asyncio.Event().wait()

    monkeypatch.setattr(SlaStatusPublisher, "close", never_closes)
    monkeypatch.setattr(main, "SHUTDOWN_STEP_SECONDS", 0.2)
    app = build_app(tmp_path, Keys().store)

    async def start_and_stop() -> None:
        async with app.router.lifespan_context(app):
            pass

    await asyncio.wait_for(start_and_stop(), 5)  # without the bound: a hang, then a timeout
    assert "the SLA status publisher did not finish" in caplog.text
