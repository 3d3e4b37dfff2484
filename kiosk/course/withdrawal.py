"""Withdrawal of consent at the desk: recorded with who, when, how and why, in a new PDF revision.

Nothing is deleted (records are kept at least 5 years): the consent's status becomes
"withdrawn", a status event and an audit event are added, the revision recording the
withdrawal joins the earlier ones, and any check-in still waiting for its tablet is closed.
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
from kiosk.core.models import ConsentDocument, ConsentEvent, User
from kiosk.documents.pdf.checkin import course_labels, render_withdrawal_pdf
from kiosk.documents.sealing import SealKey, seal_pdf

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
             now: datetime, timezone_name: str, seal_key: SealKey, clinic_name: str) -> ConsentDocument:
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
    labels = course_labels(consent.language)
    withdrawal = {
        "revision": revision, "at": now.astimezone(ZoneInfo(timezone_name)).isoformat(),
        "timezone": timezone_name, "recorded_by": f"{staff.name} ({staff.email})",
        "how": labels[f"how_{how}"], "reason": reason, "sessions_done": len(consent.sessions),
        "original_sha256": documents[0].sha256, "previous_sha256": documents[-1].sha256,
    }
    pdf = seal_pdf(render_withdrawal_pdf(consent.record, withdrawal), seal_key, clinic_name=clinic_name,
                   reason=SEAL_REASON)
    sha256 = hashlib.sha256(pdf).hexdigest()
    try:
        with session.no_autoflush:
            consent.documents.append(ConsentDocument(revision=revision, kind="withdrawal", pdf=pdf, sha256=sha256,
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
