"""The aftercare sheet of a recorded session: printed at the desk, or emailed to the patient by the patient-copy path.

The sheet is made on request from the session's record and the treatment's aftercare advice in consent_texts/,
in the consent's language, with the clinic of the consent's site in its header (kiosk.documents.pdf.aftercare).
A session is reached only through its consent, so the site guard (kiosk.core.sites) hides another clinic's.
Every print, email and failed email is in the audit log, shaped like the patient's copy's; the email goes only
to the address the patient typed in their own consent, once per session.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.consent.patient_copy import email_of
from kiosk.core import audit, mail, once
from kiosk.core.dates import format_day
from kiosk.core.models import AuditEvent, Consent, Site, TreatmentSession
from kiosk.course import checkins
from kiosk.documents.pdf.aftercare import render_aftercare_pdf
from kiosk.documents.record import Clinic
from kiosk.texts.model import Texts

ClinicOf = Callable[[Site | None], Clinic]  # kiosk.core.web.clinic: a site's name, address and time zone


class SessionNotFound(LookupError):
    """No such session on a consent this member of staff may see."""


class SheetNotSent(Exception):
    """The sheet could not be emailed; `reason` says why, for the page to say so in words."""

    def __init__(self, reason: str, document_id: str) -> None:
        super().__init__(reason)
        self.reason = reason  # no_mail_server | no_email | already_sent | mail_failed
        self.document_id = document_id  # the consent whose course page says so


@dataclass(frozen=True)
class Sheet:
    """A session's aftercare sheet as the desk hands it over: the PDF and the file name it goes by."""

    pdf: bytes
    filename: str
    consent: Consent
    session: TreatmentSession

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.pdf).hexdigest()


def _found(session: Session, session_id: int) -> tuple[TreatmentSession, Consent]:
    found = checkins.visible_session(session, session_id)
    if found is None:
        raise SessionNotFound(session_id)
    return found


def sheet_of(row: TreatmentSession, consent: Consent, *, texts: Texts, clinic: Clinic) -> dict[str, Any]:
    """What the sheet prints: the session's record, the treatment's advice and the words around it, in the
    consent's language (the language the patient read and signed in)."""
    language = consent.language
    treatment = texts.modality(language, consent.modality)
    return {
        "language": language, "words": asdict(texts.aftercare_text(language)),
        "document_id": consent.document_id, "clinic_name": clinic.name, "clinic_address": clinic.address,
        "created_at": row.recorded_at.astimezone(consent.created_at.tzinfo).isoformat(),
        "patient": {"full_name": consent.patient_name, "date_of_birth": consent.date_of_birth.isoformat()},
        "treatment_title": treatment.title, "session_number": row.number,
        "session_date": row.session_date.isoformat(), "areas": row.area,
        "advice": treatment.sections["aftercare"], "texts_version": treatment.version,
    }


def _make(row: TreatmentSession, consent: Consent, *, texts: Texts, clinic_of: ClinicOf) -> Sheet:
    with force_locale(consent.language):
        filename = _("aftercare-%(document)s-session-%(n)d.pdf", document=consent.document_id, n=row.number)
    pdf = render_aftercare_pdf(sheet_of(row, consent, texts=texts, clinic=clinic_of(consent.site)))
    return Sheet(pdf=pdf, filename=filename, consent=consent, session=row)


def _detail(sheet: Sheet, texts: Texts) -> dict[str, Any]:
    return {"session": sheet.session.number, "language": sheet.consent.language, "sha256": sheet.sha256,
            "texts_version": texts.modality(sheet.consent.language, sheet.consent.modality).version}


def print_sheet(session: Session, who: audit.Who, session_id: int, *, texts: Texts, clinic_of: ClinicOf,
                now: datetime) -> Sheet:
    """The sheet to print at the desk, with the print written to the audit log; raises SessionNotFound."""
    row, consent = _found(session, session_id)
    sheet = _make(row, consent, texts=texts, clinic_of=clinic_of)
    audit.record(session, who, "aftercare_printed", consent_id=consent.id, target=consent.document_id, at=now,
                 detail=_detail(sheet, texts))
    return sheet


ONE_SHEET = "aftercare_email"  # kiosk.core.once: each session's sheet goes by email once


def emailed_sessions(session: Session, consent: Consent) -> set[int]:
    """The numbers of this consent's sessions whose sheet was already emailed (each goes once)."""
    events = session.scalars(select(AuditEvent).where(AuditEvent.consent_id == consent.id,
                                                      AuditEvent.action == "aftercare_emailed"))
    return {int((e.detail or {}).get("session") or 0) for e in events}


def email_sheet(session: Session, who: audit.Who, session_id: int, *, texts: Texts, clinic_of: ClinicOf,
                settings: mail.MailSettings | None, now: datetime) -> Sheet:
    """Email the sheet to the address the patient gave, in the consent's language; returns the sheet it sent.

    Raises SessionNotFound, or SheetNotSent (no mail server, no address, already sent, or the server failed)."""
    row, consent = _found(session, session_id)
    if settings is None:
        raise SheetNotSent("no_mail_server", consent.document_id)
    address = email_of(consent)
    if address is None:
        raise SheetNotSent("no_email", consent.document_id)
    if row.number in emailed_sessions(session, consent):  # said before the sheet is made; the claim below decides
        raise SheetNotSent("already_sent", consent.document_id)
    sheet = _make(row, consent, texts=texts, clinic_of=clinic_of)
    clinic_name = clinic_of(consent.site).name
    with force_locale(consent.language):
        subject = _("Your aftercare sheet from %(clinic)s", clinic=clinic_name)
        body = _("Hello,\n\nAttached is the aftercare sheet for your session of %(day)s at %(clinic)s: how to care "
                 "for your skin while it heals, and when to call the clinic.\n\nIf you did not have a session with "
                 "us, please tell the clinic.\n\n%(clinic)s",
                 day=sheet_day(row, consent), clinic=clinic_name)
    detail = _detail(sheet, texts)
    if not once.claim(session, consent.id, ONE_SHEET, row.number, now):  # sent, or being sent by another tap
        raise SheetNotSent("already_sent", consent.document_id)
    try:
        message_id = mail.send(settings, to=address, sender_name=clinic_name, subject=subject, body=body,
                               attachments=(mail.Attachment(sheet.filename, sheet.pdf),))
    except mail.MailNotSent as exc:
        once.release(session, consent.id, ONE_SHEET, row.number)
        audit.record(session, who, "aftercare_email_failed", consent_id=consent.id, target=consent.document_id,
                     at=now, detail={**detail, "error": str(exc)[:300]})
        raise SheetNotSent("mail_failed", consent.document_id) from exc
    audit.record(session, who, "aftercare_emailed", consent_id=consent.id, target=consent.document_id, at=now,
                 detail={**detail, "message_id": message_id})
    return sheet


def sheet_day(row: TreatmentSession, consent: Consent) -> str:
    """The session's day the way the consent's language writes it (kiosk.core.dates), as the sheet prints it."""
    return format_day(row.session_date, consent.language)
