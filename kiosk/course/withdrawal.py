"""Withdrawal of consent at the desk: recorded with who, when, how and why, as a sealed revision of the consent.

Nothing is deleted (records are kept at least 5 years): the consent's status becomes
"withdrawn", a status event and an audit event are added, and the newest PDF revision gets
an incremental update that draws the withdrawal over the consent's reserved frame (like a
doctor's decision, kiosk.documents.pdf.frame) under its own seal. Any check-in still
waiting for its tablet is closed.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kiosk.core import audit
from kiosk.consent import queries as consents
from kiosk.desk import sessions as desk
from kiosk.core.audit import Who
from kiosk.core.models import ConsentEvent, DocumentRevision, User
from kiosk.documents.pdf.frame import render_withdrawal_appearance
from kiosk.documents.pdf.labels import course_labels
from kiosk.documents.record import Withdrawal
from kiosk.documents.sealing import REVIEW_FIELD_PREFIX, SealError, SealKey, add_signed_revision, review_area
from kiosk.review.decisions import earlier_decisions, earlier_photo_choices
from kiosk.texts.model import Texts

HOW = ("in_person", "phone", "writing")
SEAL_REASON = "Withdrawal of consent recorded by the clinic"
REASON_MAX = 2000


class WithdrawalRefused(Exception):
    """Nothing was saved; `field` names the form field the message belongs to."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def withdraw(session: Session, who: Who, staff: User, document_id: str, *, how: str, reason: str | None,
             now: datetime, timezone_name: str, seal_key: SealKey, clinic_name: str,
             texts: Texts | None = None) -> DocumentRevision:
    """Mark the consent withdrawn with its revision, event and audit row in one transaction."""
    consent = consents.get_consent(session, document_id)
    if consent.status == "withdrawn":
        raise WithdrawalRefused("how", "already_withdrawn")
    if how not in HOW:
        raise WithdrawalRefused("how", "how")
    reason = (reason or "").strip() or None
    if reason and len(reason) > REASON_MAX:
        raise WithdrawalRefused("reason", "too_long")
    documents = consent.documents
    revision = documents[-1].revision + 1
    withdrawal: Withdrawal = {
        "revision": revision, "at": now.astimezone(ZoneInfo(timezone_name)).isoformat(),
        "timezone": timezone_name, "recorded_by": f"{staff.name} ({staff.email})",
        "how": course_labels(consent.language)[f"how_{how}"], "reason": reason,
        "sessions_done": len(consent.sessions), "original_sha256": documents[0].sha256,
    }
    try:
        area = review_area(documents[-1].pdf)
        appearance = render_withdrawal_appearance(withdrawal, earlier_decisions(consent.document, timezone_name),
                                                  consent.language, area.right - area.left, area.top - area.bottom,
                                                  earlier_photo_choices(session, consent, timezone_name, texts))
        pdf = add_signed_revision(documents[-1].pdf, seal_key, appearance_pdf=appearance, area=area,
                                  field_name=f"{REVIEW_FIELD_PREFIX}{revision}", signer_name=staff.name,
                                  location=clinic_name, reason=SEAL_REASON)
    except SealError:
        raise WithdrawalRefused("how", "not_sealed") from None
    sha256 = hashlib.sha256(pdf).hexdigest()
    try:
        with session.no_autoflush:
            consent.documents.append(DocumentRevision(revision=revision, kind="withdrawal", pdf=pdf, sha256=sha256,
                                                      created_at=now))
            consent.events.append(ConsentEvent(status="withdrawn", actor=staff.email, at=now,
                                               note=f"{how}: {reason}" if reason else how))
            consent.status = "withdrawn"
            audit.record(session, who, "consent_withdrawn", consent_id=consent.id, target=consent.document_id,
                         at=now, detail={"how": how, "revision": revision, "sha256": sha256}, commit=False)
        session.commit()
    except IntegrityError:  # a decision took this revision number a moment earlier
        session.rollback()
        raise WithdrawalRefused("how", "clash") from None
    for checkin in consent.checkins:  # a check-in waiting on a tablet must not be signed any more
        if checkin.status == "open" and checkin.draft.status == "open":
            desk.cancel_session(session, checkin.draft_id, who=who, now=now)
    return consent.documents[-1]
