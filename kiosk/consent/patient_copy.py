"""The patient's copy of what they signed: emailed from the done page when they ask, or printed by the desk.

Ley 41/2002 gives the patient the right to a copy, and the e-signature statement promises one on request. The
email carries the sealed PDF itself (see README "A copy for the patient"); it goes only to the address the
patient typed in their own consent, only within COPY_WINDOW of signing, and at most once. Every send, failed
send and print is in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kiosk.consent import drafts
from kiosk.core import audit, mail, once
from kiosk.core.models import AuditEvent, Consent, Document, DocumentRevision

COPY_WINDOW = timedelta(minutes=30)  # the done page offers the email this long after the signature


class CopyNotSent(Exception):
    """The email could not be sent (no address, too late, already sent, or the mail server failed)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # no_email | expired | already_sent | not_signed | mail_failed


@dataclass(frozen=True)
class CopyOffer:
    """What the done page may offer, without a word of the patient's data: email, and whether it went already."""

    by_email: bool
    sent: bool


def newest_revision(document: Document) -> DocumentRevision:
    """The copy a patient takes: the newest sealed revision, which holds what they signed byte for byte."""
    return document.revisions[-1]


def _signed_consent(session: Session, token: object) -> Consent | None:
    draft = drafts.find_draft(session, token)
    if draft is None or draft.status != "submitted":
        return None
    return draft.consent


ONE_COPY = "copy_email"  # kiosk.core.once: the patient's copy goes by email once


def _sent_before(session: Session, consent: Consent) -> bool:
    return bool(session.scalar(select(func.count(AuditEvent.id)).where(
        AuditEvent.consent_id == consent.id, AuditEvent.action == "copy_emailed")))


def email_of(consent: Consent) -> str | None:
    """The address the patient typed in their own consent (the only one anything is ever sent to), or None."""
    return (consent.record.get("patient") or {}).get("email") or None


def copy_offer(session: Session, token: object, *, mail_configured: bool, now: datetime) -> CopyOffer:
    """Whether the done page offers an email copy (a mail server, an address given, still soon after signing)."""
    consent = _signed_consent(session, token)
    if consent is None or not mail_configured or email_of(consent) is None or now - consent.created_at > COPY_WINDOW:
        return CopyOffer(by_email=False, sent=False)
    return CopyOffer(by_email=True, sent=_sent_before(session, consent))


def email_copy(session: Session, token: object, *, settings: mail.MailSettings, clinic_name: str, who: audit.Who,
               now: datetime) -> None:
    """Email the signed PDF to the address the patient gave, in the consent's language; raises CopyNotSent."""
    consent = _signed_consent(session, token)
    if consent is None:
        raise CopyNotSent("not_signed")
    address = email_of(consent)
    if address is None:
        raise CopyNotSent("no_email")
    if now - consent.created_at > COPY_WINDOW:
        raise CopyNotSent("expired")
    if _sent_before(session, consent):
        raise CopyNotSent("already_sent")
    revision = newest_revision(consent.document)
    with force_locale(consent.language):
        subject = _("Your signed consent from %(clinic)s", clinic=clinic_name)
        body = _("Hello,\n\nAttached is a copy of the consent you signed at %(clinic)s, as you asked on the tablet. "
                 "Please keep it with your health papers.\n\nThe file is sealed by the clinic. To check that nothing "
                 "in it has changed, open the address printed at the foot of each page and type the code shown "
                 "there.\n\nIf you did not ask for this email, please tell the clinic.\n\n%(clinic)s",
                 clinic=clinic_name)
        filename = _("consent-%(document)s.pdf", document=consent.document_id)
    detail = {"revision": revision.revision, "sha256": revision.sha256, "language": consent.language}
    if not once.claim(session, consent.id, ONE_COPY, 0, now):  # being sent by another tap at this moment
        raise CopyNotSent("already_sent")
    try:
        message_id = mail.send(settings, to=address, sender_name=clinic_name, subject=subject, body=body,
                               attachments=(mail.Attachment(filename, revision.pdf),))
    except mail.MailNotSent as exc:
        once.release(session, consent.id, ONE_COPY, 0)
        audit.record(session, who, "copy_email_failed", consent_id=consent.id, target=consent.document_id, at=now,
                     detail={**detail, "error": str(exc)[:300]})
        raise CopyNotSent("mail_failed") from exc
    audit.record(session, who, "copy_emailed", consent_id=consent.id, target=consent.document_id, at=now,
                 detail={**detail, "message_id": message_id})
