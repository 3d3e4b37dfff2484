"""A consent's PDF revisions and the doctor's signed decision on it (the page they read it on: kiosk.review.consent_page).

A decision never edits what the patient signed. It adds a review row, a status
event, an audit event and a new PDF revision: the previous revision's bytes
plus an incremental update with the review in the frame the original reserved
for it, sealed with its own signature (kiosk.documents.sealing). Revision 1, the
patient-signed original, stays byte for byte as stored, and inside every
later revision too, where its seal still validates. A later decision is allowed (after a consultation, say): it adds
another review and another revision, and the latest decision is the one that
counts for readiness (kiosk.rules.readiness).
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kiosk.staff import accounts
from kiosk.core import audit
from kiosk.consent import queries as consents
from kiosk.core.audit import Who
from kiosk.core.models import (Consent, ConsentEvent, Decision, Document, DocumentRevision, PhotoConsent,
                               User)
from kiosk.documents.pdf.frame import render_review_appearance
from kiosk.documents.record import (EarlierDecision, EarlierPhotoChoice, Review)
from kiosk.rules.readiness import DECISIONS
from kiosk.documents.sealing import (REVIEW_FIELD_PREFIX, NoReservedArea, SealError, SealKey, add_signed_revision,
                                     review_area)
from kiosk.core.translation import lazy_gettext as _l
from kiosk.texts.model import Texts, worded_uses

NOTE_MAX = 4000



class DocumentNotFound(LookupError):
    """The document exists but has no PDF revision with that number."""


def pick_revision(document: Document, revision: int | None) -> DocumentRevision:
    """A stored revision by number, or the newest when none is named; raises DocumentNotFound."""
    named = document.revisions[-1:] if revision is None else [r for r in document.revisions if r.revision == revision]
    if not named:
        raise DocumentNotFound(f"{document.id} revision {revision}")
    return named[0]


def open_pdf(session: Session, who: Who, document_id: str, revision: int | None = None,
             now: datetime | None = None) -> DocumentRevision:
    """A PDF revision (the newest when none is named), with the download written to the audit log."""
    consent = consents.get_consent(session, document_id)
    document = pick_revision(consent.document, revision)
    audit.record(session, who, "pdf_downloaded", consent_id=consent.id, target=consent.document_id, at=now,
                 detail={"revision": document.revision, "kind": document.kind, "sha256": document.sha256})
    return document


# --------------------------------------------------------------------------
# The decision
# --------------------------------------------------------------------------


REVIEW_SEAL_REASON = "Doctor's review: {decision}"


def revised_pdf(pdf: bytes, review: Review, earlier: list[EarlierDecision], language: str, seal_key: SealKey,
                clinic_name: str, photos: list[EarlierPhotoChoice] | None = None) -> bytes:
    """The newest revision plus an incremental update: the decision drawn over the whole reserved frame, signed."""
    area = review_area(pdf)
    appearance = render_review_appearance(review, earlier, language, area.right - area.left, area.top - area.bottom,
                                          photos)
    return add_signed_revision(pdf, seal_key, appearance_pdf=appearance, area=area,
                               field_name=f"{REVIEW_FIELD_PREFIX}{review['revision']}",
                               signer_name=review["doctor_name"], location=clinic_name,
                               reason=REVIEW_SEAL_REASON.format(decision=review["decision"]))


class DecisionRefused(Exception):
    """Nothing was saved; `errors` maps a form field (or "decision") to the message to show there."""

    def __init__(self, errors: dict[str, Any]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


def check_decision(session: Session, who: Who, doctor: User, *, decision: str, note: str | None, password: str,
                   meaning: str, withdrawn: bool, stop: bool, now: datetime, purpose: str,
                   allowed: tuple[str, ...] = DECISIONS) -> str | None:
    """The rules every signed decision follows (on a consent or a check-in); returns the cleaned note or refuses."""
    note = (note or "").strip() or None
    errors: dict[str, Any] = {}
    if decision not in allowed:
        errors["decision"] = _l("Please choose a decision.")
    elif withdrawn:
        errors["decision"] = _l("This consent was withdrawn, so no decision can be recorded on it.")
    if decision == "cleared" and stop and not note:
        errors["note"] = _l("A note is required to clear answers with a stop flag: say why treatment may go ahead.")
    if note and len(note) > NOTE_MAX:
        errors["note"] = _l("Please keep the note under %(max)d characters.", max=NOTE_MAX)
    if not meaning.strip():
        errors["meaning"] = _l("Please tick the statement to sign your decision.")
    if errors:
        raise DecisionRefused(errors)
    confirmed = accounts.confirm_password(session, doctor, password, who=who, now=now, purpose=purpose)
    if confirmed == "locked":
        raise DecisionRefused({"password": _l("Too many wrong passwords. Nothing was saved; try again in 15 minutes.")})
    if confirmed != "ok":
        raise DecisionRefused({"password": _l(
            "That password is not correct. Nothing was saved; please enter your own password.")})
    return note


def seal_decision(document: Document, doctor: User, *, decision: str, note: str | None, meaning: str, now: datetime,
                  timezone_name: str, language: str, seal_key: SealKey, clinic_name: str,
                  photos: list[EarlierPhotoChoice] | None = None) -> Decision:
    """Add a checked decision to a document (a consent or a check-in) with the sealed revision that carries it.

    Nothing is committed: the caller adds its own status changes and commits once. A check-in signed before
    check-ins reserved a frame (migration 0013) gets the decision without a revision, as it did then.
    """
    revisions = document.revisions
    original = revisions[0]
    revision: int | None = revisions[-1].revision + 1
    decided_at = now.astimezone(ZoneInfo(timezone_name))
    review: Review = {
        "doctor_name": doctor.name, "doctor_email": doctor.email, "decision": decision,  # type: ignore[typeddict-item]
        "note": note, "decided_at": decided_at.isoformat(), "timezone": timezone_name, "meaning": meaning,
        "revision": revisions[-1].revision + 1, "original_sha256": original.sha256,
    }
    try:
        pdf: bytes | None = revised_pdf(revisions[-1].pdf, review, earlier_decisions(document, timezone_name),
                                        language, seal_key, clinic_name, photos)
    except SealError as exc:
        if not (isinstance(exc, NoReservedArea) and document.kind == "checkin"):  # every consent PDF has a frame
            raise DecisionRefused({"decision": _l(
                "The decision could not be added to the sealed PDF (%(reason)s). Nothing was saved.",
                reason=str(exc))}) from None
        pdf, revision = None, None
    row = Decision(doctor_id=doctor.id, doctor_name=doctor.name, decision=decision, note=note, meaning=meaning,
                   at=now, document_revision=revision)
    document.decisions.append(row)
    if pdf is not None and revision is not None:
        document.revisions.append(DocumentRevision(revision=revision, kind="doctor_review", pdf=pdf,
                                                   sha256=hashlib.sha256(pdf).hexdigest(), created_at=now))
    return row


def earlier_decisions(document: Document, timezone_name: str) -> list[EarlierDecision]:
    """The document's sealed decisions so far, listed in the frame under the next entry."""
    tz = ZoneInfo(timezone_name)
    return [{"revision": d.document_revision, "doctor_name": d.doctor_name, "decision": d.decision,
             "decided_at": d.at.astimezone(tz).isoformat()}
            for d in document.decisions if d.document_revision is not None]


def earlier_photo_choices(session: Session, consent: Consent, timezone_name: str,
                          texts: Texts | None) -> list[EarlierPhotoChoice]:
    """The consent's photo consents so far, in the words the patient read, so a later entry never hides them."""
    tz = ZoneInfo(timezone_name)
    words = texts.language(consent.language).common.photo_consent if texts is not None else None
    rows = session.scalars(select(PhotoConsent).where(PhotoConsent.consent_id == consent.id)
                           .order_by(PhotoConsent.id)).all()
    staff = {u.email: u.name for u in session.scalars(select(User).where(
        User.email.in_({r.recorded_by for r in rows if r.source != "tablet"})))}
    return [{"revision": r.document_revision, "at": r.at.astimezone(tz).isoformat(),
             "recorded_by": None if r.source == "tablet" else f"{staff.get(r.recorded_by, r.recorded_by)} ({r.recorded_by})",
             "uses": worded_uses(words, r.uses)} for r in rows]


CLASH = _l("Another decision on this document was saved at the same moment, so yours was not. "
           "Please read the page again and decide again if needed.")


def decide(session: Session, who: Who, doctor: User, document_id: str, *, decision: str, note: str | None,
           password: str, meaning: str, now: datetime, timezone_name: str, seal_key: SealKey,
           clinic_name: str, texts: Texts | None = None) -> Decision:
    """Record a doctor's signed decision and its sealed PDF revision in one transaction, or refuse with reasons."""
    consent = consents.get_consent(session, document_id)
    note = check_decision(session, who, doctor, decision=decision, note=note, password=password, meaning=meaning,
                          withdrawn=consent.status == "withdrawn", stop=consent.severity_rank == 0, now=now,
                          purpose=f"decision on {consent.document_id}")
    try:
        with session.no_autoflush:  # one flush at commit, so a clash surfaces here and nowhere else
            row = seal_decision(consent.document, doctor, decision=decision, note=note, meaning=meaning, now=now,
                                timezone_name=timezone_name, language=consent.language, seal_key=seal_key,
                                clinic_name=clinic_name,
                                photos=earlier_photo_choices(session, consent, timezone_name, texts))
            newest = consent.documents[-1]
            consent.events.append(ConsentEvent(status="reviewed", actor=doctor.email, at=now,
                                               note=f"{decision}: {note}" if note else decision))
            # a consultation is open work: the consent stays in the doctors' list until a closing decision
            consent.status = "consultation" if decision == "consultation" else "reviewed"
            audit.record(session, who, "consent_decided", consent_id=consent.id, target=consent.document_id,
                         at=now, detail={"decision": decision, "revision": newest.revision, "sha256": newest.sha256,
                                         "original_sha256": consent.documents[0].sha256}, commit=False)
        session.commit()
    except IntegrityError:  # another decision took this revision number a moment earlier
        session.rollback()
        raise DecisionRefused({"decision": CLASH}) from None
    return row
