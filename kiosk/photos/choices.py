"""The photo consent: what photos of a patient may be used for, chosen on the tablet after signing or changed at the desk.

Each choice is its own row and its own sealed revision of the consent's document (kind `photo_consent`): an
incremental update that draws the choice over the consent's reserved frame (kiosk.documents.pdf.frame), under its
own seal, with every earlier entry (decisions, earlier choices) still listed beneath it. The newest choice counts for every photo.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kiosk.consent import queries as consents
from kiosk.core import audit
from kiosk.core.audit import Who
from kiosk.core.models import Consent, DocumentRevision, Draft, PhotoConsent, User
from kiosk.documents.pdf.frame import render_photo_consent_appearance
from kiosk.documents.record import PhotoChoice
from kiosk.documents.sealing import REVIEW_FIELD_PREFIX, SealError, SealKey, add_signed_revision, review_area
from kiosk.review.decisions import earlier_decisions, earlier_photo_choices
from kiosk.texts.model import PHOTO_USES, Texts, worded_uses

SEAL_REASON = "Photo consent recorded by the clinic"


class ChoiceRefused(Exception):
    """Nothing was saved; `reason` is a code the view puts in words: withdrawn, not_sealed, clash, unknown_use."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class CurrentChoice:
    """The choice that counts now: its uses (empty: none), when and how it was made; None when never asked."""

    uses: tuple[str, ...]
    at: datetime
    source: str
    recorded_by: str
    revision: int


def current_choice(session: Session, consent: Consent, tz: tzinfo | None = None) -> CurrentChoice | None:
    """The newest photo consent of this consent, which every photo's allowed uses follow (its time in tz)."""
    row = session.scalars(select(PhotoConsent).where(PhotoConsent.consent_id == consent.id)
                          .order_by(PhotoConsent.id.desc()).limit(1)).first()
    if row is None:
        return None
    return CurrentChoice(tuple(u for u in PHOTO_USES if u in row.uses), row.at.astimezone(tz), row.source, row.recorded_by,
                         row.document_revision)


def consent_of_draft(session: Session, token: str | None) -> Consent | None:
    """The consent the tablet's patient has just signed, from the token the done page kept; None otherwise."""
    if not token:
        return None
    draft = session.scalar(select(Draft).where(Draft.token == token))
    if draft is None or draft.status != "submitted" or draft.consent is None:
        return None
    return draft.consent


def record_choice(session: Session, who: Who, consent: Consent, uses: list[str], *, staff: User | None,
                  texts: Texts, now: datetime, timezone_name: str, seal_key: SealKey,
                  clinic_name: str) -> PhotoConsent:
    """Store the choice with its sealed revision and audit event in one transaction; staff=None: the patient chose."""
    if consent.status == "withdrawn":
        raise ChoiceRefused("withdrawn")
    if any(u not in PHOTO_USES for u in uses):
        raise ChoiceRefused("unknown_use")
    chosen = [u for u in PHOTO_USES if u in uses]
    words = texts.language(consent.language).common.photo_consent
    documents = consent.documents
    revision = documents[-1].revision + 1
    choice: PhotoChoice = {
        "revision": revision, "at": now.astimezone(ZoneInfo(timezone_name)).isoformat(), "timezone": timezone_name,
        "uses": worded_uses(words, chosen),
        "recorded_by": f"{staff.name} ({staff.email})" if staff is not None else None,
        "original_sha256": documents[0].sha256,
    }
    try:
        area = review_area(documents[-1].pdf)
        appearance = render_photo_consent_appearance(choice, earlier_decisions(consent.document, timezone_name),
                                                     consent.language, area.right - area.left, area.top - area.bottom,
                                                     earlier_photo_choices(session, consent, timezone_name, texts))
        pdf = add_signed_revision(documents[-1].pdf, seal_key, appearance_pdf=appearance, area=area,
                                  field_name=f"{REVIEW_FIELD_PREFIX}{revision}",
                                  signer_name=staff.name if staff is not None else consent.patient_name,
                                  location=clinic_name, reason=SEAL_REASON)
    except SealError:
        raise ChoiceRefused("not_sealed") from None
    sha256 = hashlib.sha256(pdf).hexdigest()
    row = PhotoConsent(consent_id=consent.id, uses=chosen, source="tablet" if staff is None else "desk",
                       recorded_by=staff.email if staff is not None else "patient", document_revision=revision,
                       at=now)
    try:
        with session.no_autoflush:
            consent.documents.append(DocumentRevision(revision=revision, kind="photo_consent", pdf=pdf,
                                                      sha256=sha256, created_at=now))
            session.add(row)
            audit.record(session, who, "photo_consent_recorded", consent_id=consent.id, target=consent.document_id,
                         at=now, detail={"uses": chosen, "revision": revision, "sha256": sha256}, commit=False)
        session.commit()
    except IntegrityError:  # a decision or another choice took this revision number a moment earlier
        session.rollback()
        raise ChoiceRefused("clash") from None
    return row


def find_consent(session: Session, document_id: str) -> Consent:
    """The consent by its document id, within the staff member's sites; raises consents.ConsentNotFound."""
    return consents.get_consent(session, document_id)
