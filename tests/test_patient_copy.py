"""The patient's copy: emailed from the done page through a real SMTP server the test starts (aiosmtpd), or printed
by the desk from today's list; without a mail server, or when it fails, the patient is sent to the desk."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from flask import Flask
from sqlalchemy import select

from kiosk.core.models import AuditEvent, Consent
from tests.helpers import pdf_text
from tests.support import WizardDriver
from tests.test_desk import desk_client, desk_post, page
from tests.test_desk_day import desk_rows


class Inbox:
    """What the SMTP server received: each message with its envelope recipients."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's hook name)
        message = message_from_bytes(envelope.original_content, policy=policy.default)
        self.messages.append((list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def inbox(app: Flask) -> Iterator[Inbox]:
    """A real SMTP server on a free local port, and the app's KIOSK_SMTP_* settings pointing at it."""
    received = Inbox()
    controller = Controller(received, hostname="127.0.0.1", port=free_port())
    controller.start()
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=controller.port, SMTP_STARTTLS=False,
                      SMTP_FROM="consents@clinic.test", SMTP_TIMEOUT=5)
    yield received
    controller.stop()


def sign(app: Flask, name: str, email: str = "", language: str = "en") -> WizardDriver:
    """A patient signs a chemical peel consent on their own tablet, giving (or not) an email address."""
    tablet = WizardDriver(app.test_client())
    tablet.ready_to_sign(app, "chemical_peel", name=name, email=email, language=language)
    assert tablet.sign(typed_signature=name, printed_name=name).status_code == 302
    return tablet


def consent_of(app: Flask, name: str) -> Consent:
    session = app.extensions["kiosk_db"]()
    return session.scalar(select(Consent).where(Consent.patient_name == name))


def audit_actions(app: Flask, action: str) -> list[AuditEvent]:
    session = app.extensions["kiosk_db"]()
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def ask_for_copy(tablet: WizardDriver) -> str:
    """Press "Email me a copy" on the done page; returns the done page shown after it."""
    done = tablet.get("/consent/done")
    assert "Email me a copy" in page(done) or "Envíenme una copia" in page(done)
    response = tablet.post("/consent/copy", {})
    assert response.status_code == 302 and response.headers["Location"].endswith("/consent/done")
    return page(tablet.get("/consent/done"))


def test_a_patient_who_asks_gets_their_own_signed_pdf_by_email(app: Flask, inbox: Inbox) -> None:
    sign(app, "Otto Otro", email="otto@example.com")
    tablet = sign(app, "Ana Copia", email="ana@example.com")
    done = page(tablet.get("/consent/done"))
    assert "Ana" not in done and "ana@example.com" not in done  # the done page shows no patient data
    after = ask_for_copy(tablet)
    assert "Your copy is on its way to the email address you gave." in after
    assert len(inbox.messages) == 1
    recipients, message = inbox.messages[0]
    assert recipients == ["ana@example.com"]
    assert message["From"] == "Test Clinic <consents@clinic.test>"
    assert message["Subject"] == "Your signed consent from Test Clinic"
    attachments = list(message.iter_attachments())
    assert len(attachments) == 1 and attachments[0].get_content_type() == "application/pdf"
    consent = consent_of(app, "Ana Copia")
    assert attachments[0].get_content() == consent.documents[-1].pdf  # the sealed PDF byte for byte
    # nothing of the other patient: not in the headers or the words, nor in the PDF's text (raw PDF or base64
    # bytes are not searched: a compressed stream can spell "Otto" by chance)
    words = message.get_body(preferencelist=("plain",)).get_content() + str(message.items())
    assert "Otto" not in words and "otto@" not in words
    text = pdf_text(attachments[0].get_content())
    assert "Ana Copia" in text and "Otto" not in text and "otto@" not in text
    sent = audit_actions(app, "copy_emailed")
    assert [e.consent_id for e in sent] == [consent.id] and sent[0].detail["sha256"] == consent.documents[-1].sha256


def test_a_copy_is_emailed_once_and_the_next_patient_cannot_ask_for_it(app: Flask, inbox: Inbox) -> None:
    tablet = sign(app, "Ana Copia", email="ana@example.com")
    ask_for_copy(tablet)
    again = page(tablet.get("/consent/done"))
    assert "Email me a copy" not in again
    assert "already sent" in page(tablet.post("/consent/copy", {}, follow=True))
    tablet.get("/")  # "Finish": the next patient's tablet
    assert tablet.post("/consent/copy", {}).headers["Location"] == "/"
    assert len(inbox.messages) == 1


def test_a_spanish_consent_gets_its_email_in_spanish(app: Flask, inbox: Inbox) -> None:
    tablet = sign(app, "Lucía Copia", email="lucia@example.com", language="es")
    after = ask_for_copy(tablet)
    assert "Su copia va de camino a la dirección de correo electrónico que nos dio." in after
    _rcpt, message = inbox.messages[0]
    assert message["Subject"] == "Su consentimiento firmado de Test Clinic"
    body = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert "Adjuntamos una copia del consentimiento que firmó en Test Clinic" in body and "Attached" not in body


def test_a_mail_server_that_fails_gives_a_clear_message_and_the_desk_still_prints(
        app: Flask, staff: dict[str, str]) -> None:
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), SMTP_STARTTLS=False, SMTP_TIMEOUT=2)  # nobody
    tablet = sign(app, "Ana Copia", email="ana@example.com")
    after = ask_for_copy(tablet)
    assert "We could not send the email just now. The front desk can print your copy for you." in after
    assert len(audit_actions(app, "copy_email_failed")) == 1
    desk = desk_client(app)
    draft_id = re.search(r'id="session-(\d+)"', desk_rows(app)["Ana"]).group(1)  # type: ignore[union-attr]
    printed = desk_post(desk, f"/desk/sessions/{draft_id}/copy")
    assert printed.status_code == 200 and printed.mimetype == "application/pdf"
    assert printed.data == consent_of(app, "Ana Copia").documents[-1].pdf
    assert [e.actor for e in audit_actions(app, "copy_printed")] == ["frontdesk@x.test"]


def test_without_a_mail_server_the_done_page_says_to_ask_at_the_desk(app: Flask) -> None:
    tablet = sign(app, "Ana Copia", email="ana@example.com")
    done = page(tablet.get("/consent/done"))
    assert "please ask the front desk to print it for you" in done and "Email me a copy" not in done
    assert tablet.post("/consent/copy", {}).status_code == 302 and not audit_actions(app, "copy_emailed")


def test_a_patient_without_an_email_address_is_sent_to_the_desk(app: Flask, inbox: Inbox) -> None:
    tablet = sign(app, "Ana Copia")
    done = page(tablet.get("/consent/done"))
    assert "please ask the front desk to print it for you" in done and "Email me a copy" not in done
    assert "No email address was given" in page(tablet.post("/consent/copy", {}, follow=True))
    assert inbox.messages == []


def test_only_a_signed_row_of_today_has_a_copy_to_print(app: Flask, staff: dict[str, str]) -> None:
    sign(app, "Sara Firmada")
    waiting = WizardDriver(app.test_client())
    waiting.start(name="Will Waiting")
    rows = desk_rows(app)
    assert "Print patient's copy" in rows["Sara"] and "Print patient's copy" not in rows["Will"]
    unsigned = re.search(r'id="session-(\d+)"', rows["Will"]).group(1)  # type: ignore[union-attr]
    refused = desk_post(desk_client(app), f"/desk/sessions/{unsigned}/copy", follow_redirects=True)
    assert "there is no copy to print" in page(refused) and not audit_actions(app, "copy_printed")


def test_a_second_tap_while_the_first_is_sending_sends_nothing_more(app: Flask, inbox: Inbox) -> None:
    """The claim a first tap holds while its email goes out (kiosk.core.once) stops a second tap's send."""
    from datetime import datetime, timezone

    from kiosk.core import once

    tablet = sign(app, "Ana Copia", email="ana@example.com")
    consent = consent_of(app, "Ana Copia")
    with app.extensions["kiosk_db"]() as session:  # the first tap has claimed the send and is still sending
        assert once.claim(session, consent.id, "copy_email", 0, datetime.now(timezone.utc))
    assert "already sent" in ask_for_copy(tablet)
    assert inbox.messages == [] and audit_actions(app, "copy_emailed") == []


def test_a_failed_send_gives_its_claim_back_so_the_patient_can_try_again(app: Flask, inbox: Inbox) -> None:
    port = app.config["SMTP_PORT"]
    app.config.update(SMTP_PORT=free_port())  # the mail server is down for the first try
    tablet = sign(app, "Ana Copia", email="ana@example.com")
    assert "We could not send the email just now" in ask_for_copy(tablet)
    app.config.update(SMTP_PORT=port)  # back up
    assert "Your copy is on its way" in ask_for_copy(tablet)
    assert len(inbox.messages) == 1


def test_a_copy_emailed_before_the_upgrade_is_not_sent_again(app: Flask, inbox: Inbox) -> None:
    """Migration 0021 fills one_time_sends from the audit log's earlier sends."""
    from datetime import datetime, timezone

    from alembic import command

    from kiosk.core import once

    from kiosk.core.migrate import alembic_config

    tablet = sign(app, "Ana Copia", email="ana@example.com")
    ask_for_copy(tablet)
    config = alembic_config(app.config["DATABASE_URL"])
    app.extensions["kiosk_db"].kw["bind"].dispose()
    command.downgrade(config, "0020")  # the claims are gone; the audit log still says it was sent
    command.upgrade(config, "head")
    with app.extensions["kiosk_db"]() as session:
        consent = consent_of(app, "Ana Copia")
        assert once.claim(session, consent.id, "copy_email", 0, datetime.now(timezone.utc)) is False  # held already
    assert "already sent" in page(tablet.post("/consent/copy", {}, follow=True))
    assert len(inbox.messages) == 1
