"""The e-mail that carries an issued report: texts from the catalogue, the PDF attached."""

from __future__ import annotations

from email.message import EmailMessage

from services.core.agreements.model import Agreement
from services.core.reports.model import Report
from services.core.reports.render import labels
from services.core.reports.render.i18n import Language, translations


def recipients(agreement: Agreement) -> list[str]:
    """Every contact of both parties, each address once, in the agreement's order."""
    contacts = [*agreement.parties.client.contacts, *agreement.parties.provider.contacts]
    return list(dict.fromkeys(c.email for c in contacts))


def compose(
    agreement: Agreement, report: Report, pdf: bytes, language: Language, sender: str
) -> EmailMessage:
    """The mail of an issued `report` to the agreement's contacts, with the PDF attached."""
    _ = translations(language).gettext
    h = report.header
    values = {
        "agreement": h.agreement_name,
        "period": h.period,
        "version": h.version,
        "state": _(labels.REPORT_STATES[h.state]),
    }
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(recipients(agreement))
    message["Subject"] = _("Service performance report {period}: {agreement}").format(**values)
    message.set_content(
        _(
            "The service performance report of {agreement} for {period} was issued"
            " (version {version}, {state}). The report is attached as PDF."
        ).format(**values)
    )
    name = f"{h.agreement_id}-{h.period}-v{h.version}.pdf"
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename=name)
    return message
