"""The scheduled job on real PostgreSQL, Kafka and a local SMTP server (aiosmtpd).

Two replicas running the job at once issue each closed month once; every issued version
is announced on `{prefix}.reports.v1` and mailed with its PDF to the agreement's contacts.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import Message
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy.ext.asyncio import AsyncSession

from services.api.deps import Runtime
from services.core.reports.notify import Notifications, reports_topic
from services.core.reports.render.mail import recipients
from services.core.reports.schedule import run_once
from services.core.settings import KafkaSettings, ReportSettings
from tests.integration.agreements_support import read_topic, running_api
from tests.integration.report_support import store_month, write_seed


class Inbox:
    def __init__(self) -> None:
        self.mails: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.mails.append(
            (list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=policy.default))
        )
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


async def test_two_replicas_issue_each_month_once_announce_and_mail_it(
    tmp_path: Path,
    migrated_database: str,
    kafka_bootstrap: str,
    agreement_id: str,
    db_session: AsyncSession,
    smtp: tuple[Inbox, int],
    topic_prefix: str,
) -> None:
    inbox, port = smtp
    kafka = KafkaSettings(bootstrap_servers=kafka_bootstrap, topic_prefix=topic_prefix)
    settings = ReportSettings(schedule_enabled=False, mail_mode="smtp", smtp_port=port)
    seed = write_seed(tmp_path / "a.yaml", agreement_id)
    async with running_api(migrated_database, kafka, seed, report_settings=settings) as (app, _):
        await store_month(db_session, agreement_id)
        runtime: Runtime = app.state.runtime
        agreement = runtime.agreements[agreement_id].agreement
        notifier = Notifications(kafka, settings)
        try:

            async def job(now: datetime) -> Any:
                return await run_once(
                    runtime.sessions, runtime.open_reader, [agreement], settings, notifier, now
                )

            november = datetime(2026, 11, 2, 12, tzinfo=UTC)
            first, second = await asyncio.gather(job(november), job(november))
            later = await job(datetime(2026, 11, 9, 12, tzinfo=UTC))
        finally:
            await notifier.close()

    runs = [r for r in (first, second) if r]
    assert len(runs) == 1, (first, second)  # the other was locked out or found nothing new
    issued = [(s.period, s.version, s.state) for s in runs[0]]
    assert issued == [("2026-09", 1, "final"), ("2026-10", 1, "preliminary")]
    assert [(s.period, s.version, s.state) for s in later] == [("2026-10", 2, "final")]

    events = await read_topic(kafka_bootstrap, reports_topic(topic_prefix))
    assert [(e["type"], e["period"], e["version"]) for _, e, _ in events] == [
        ("report.issued", "2026-09", 1),
        ("report.issued", "2026-10", 1),
        ("report.issued", "2026-10", 2),
    ]
    assert {key for key, _, _ in events} == {agreement_id}
    assert len(inbox.mails) == 3
    for to, mail in inbox.mails:
        assert sorted(to) == sorted(recipients(agreement))
        attachments = [p for p in mail.walk() if p.get_content_type() == "application/pdf"]
        assert len(attachments) == 1
        assert attachments[0].get_payload(decode=True)[:5] == b"%PDF-"
        assert str(mail["Subject"]).startswith("服务绩效报告 2026-")  # the agreement's language
