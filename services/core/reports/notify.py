"""What happens when a version is issued: a `report.issued` event and a mail with the PDF.

The event goes to `{prefix}.reports.v1`, keyed by agreement id (frozen, versioned model).
The mail goes over SMTP (`REPORT_MAIL_MODE=smtp`) or to the log (`log`, the demo). Both run
after the version is committed: a failure is logged and does not undo the issue.
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import uuid
from email.message import EmailMessage
from typing import Any, Literal, Protocol

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.core.agreements.model import Agreement
from services.core.messaging.admin import ensure_topics
from services.core.messaging.producer import LazyProducer
from services.core.reports.render.html import render_html
from services.core.reports.render.mail import compose
from services.core.reports.render.pdf import render_pdf
from services.core.reports.store import StoredReport
from services.core.settings import KafkaSettings, ReportSettings

log = logging.getLogger(__name__)


def reports_topic(prefix: str) -> str:
    return f"{prefix}.reports.v1"


class ReportIssued(BaseModel):
    """A version of a monthly report was issued (docs/reports.md)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    schema_version: Literal[1] = 1
    event_id: str = Field(default_factory=lambda: str(uuid.uuid4()))
    type: Literal["report.issued"] = "report.issued"
    occurred_at: AwareDatetime
    agreement_id: str
    client: str
    period: str
    version: int
    state: Literal["preliminary", "final"]
    content_hash: str
    changes: int = Field(description="How many figures differ from the previous version.")

    @classmethod
    def of(cls, agreement: Agreement, stored: StoredReport) -> ReportIssued:
        return cls(
            occurred_at=stored.issued_at,
            agreement_id=stored.agreement_id,
            client=agreement.client,
            period=stored.period,
            version=stored.version,
            state=stored.state,
            content_hash=stored.content_hash,
            changes=len(stored.changes),
        )


class ReportNotifier(Protocol):
    async def issued(self, agreement: Agreement, stored: StoredReport) -> None: ...


class NoNotifier:
    async def issued(self, agreement: Agreement, stored: StoredReport) -> None:
        return None


def send_smtp(message: EmailMessage, settings: ReportSettings) -> None:
    """Blocking SMTP delivery (run it in a thread)."""
    with smtplib.SMTP(
        settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds
    ) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_username and settings.smtp_password:
            smtp.login(settings.smtp_username, settings.smtp_password.get_secret_value())
        smtp.send_message(message)


class Notifications:
    """Publishes `report.issued` and mails the PDF, as `settings` say."""

    def __init__(
        self, kafka: KafkaSettings, settings: ReportSettings, timeout_seconds: float = 10.0
    ) -> None:
        self.settings = settings
        self.topic = reports_topic(kafka.topic_prefix)
        self._producer = LazyProducer(
            kafka.bootstrap_servers,
            lambda: ensure_topics(
                kafka.bootstrap_servers,
                [self.topic],
                kafka.partitions,
                kafka.replication_factor,
                timeout_seconds=timeout_seconds,
            ),
            timeout_seconds,
        )

    async def issued(self, agreement: Agreement, stored: StoredReport) -> None:
        event = ReportIssued.of(agreement, stored)
        try:
            await self._producer.send(
                self.topic, event.agreement_id.encode(), event.model_dump_json().encode()
            )
        except Exception:
            log.exception(
                "publishing report.issued for %s %s failed", stored.agreement_id, stored.period
            )
        try:
            await self.mail(agreement, stored)
        except Exception:
            log.exception("mailing report %s %s failed", stored.agreement_id, stored.period)

    async def mail(self, agreement: Agreement, stored: StoredReport) -> None:
        mode = self.settings.mail_mode
        if mode == "off":
            return
        report, language = stored.report(), agreement.report_language
        pdf = await asyncio.to_thread(render_pdf, render_html(report, language))
        message = compose(agreement, report, pdf, language, self.settings.mail_from)
        if mode == "log":
            log.info(
                "report mail (REPORT_MAIL_MODE=log, not sent): To: %s Subject: %s; %s (PDF %d B)",
                message["To"],
                message["Subject"],
                message.get_body(("plain",)).get_content().strip(),  # type: ignore[union-attr]
                len(pdf),
            )
            return
        await asyncio.to_thread(send_smtp, message, self.settings)

    async def close(self) -> None:
        await self._producer.close()


def notifier_of(app: Any) -> ReportNotifier:
    """The app's notifier (`app.state.report_notifier`), or one that does nothing."""
    return getattr(app.state, "report_notifier", None) or NoNotifier()
