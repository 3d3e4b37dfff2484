"""Exporting a consent as FHIR: the one place that gathers what the pure kiosk.documents.fhir is given.

Readiness and validity come from the same use cases the doctor's page and the course page ask
(kiosk.review.queue.consent_readiness, kiosk.course.checkins.consent_validity, over kiosk.rules), so the
export can never say a consent is active while the desk is told a session may not start.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.consent import queries as consents
from kiosk.core.models import Consent, ConsentEvent, User
from kiosk.course.checkins import consent_validity
from kiosk.documents import fhir
from kiosk.documents.record import ConsentRecord
from kiosk.review.queue import consent_readiness
from kiosk.texts.model import Texts


def fhir_bundle(session: Session, document_id: str, *, texts: Texts, now: datetime, months: int) -> dict[str, Any]:
    """The consent as a FHIR R4 Bundle as of `now` (the clinic's clock); raises consents.ConsentNotFound."""
    consent = consents.get_consent(session, document_id)
    return fhir.consent_bundle(consent_state(session, consent, texts=texts, now=now, months=months),
                               assembled_at=now)


def consent_state(session: Session, consent: Consent, *, texts: Texts, now: datetime, months: int) -> fhir.ConsentState:
    """The stored consent's decisions, revisions, readiness and validity as plain data, times on the clinic's clock."""
    tz = now.tzinfo
    doctor_ids = {r.doctor_id for r in consent.reviews}
    emails: dict[int, str] = dict(session.execute(
        select(User.id, User.email).where(User.id.in_(doctor_ids))).all()) if doctor_ids else {}
    decisions = tuple(
        fhir.DoctorDecision(decision=r.decision, note=r.note, decided_at=r.at.astimezone(tz),
                            doctor=fhir.Staff(r.doctor_name, emails.get(r.doctor_id)), revision=r.document_revision)
        for r in consent.reviews)
    withdrawal = next((e for e in consent.events if e.status == "withdrawn"), None)
    authors: dict[tuple[str, int | None], fhir.Staff] = {("doctor_review", d.revision): d.doctor for d in decisions}
    if withdrawal is not None:
        recorder = _recorded_by(session, withdrawal)
        authors.update({("withdrawal", d.revision): recorder for d in consent.documents if d.kind == "withdrawal"})
    revisions = tuple(
        fhir.Revision(number=d.revision, kind=d.kind, pdf=d.pdf, sha256=d.sha256,
                      created_at=d.created_at.astimezone(tz), author=authors.get((d.kind, d.revision)))
        for d in consent.documents)
    validity = consent_validity(consent, texts, now=now, months=months)
    return fhir.ConsentState(
        # Consent.record is a JSON column holding the ConsentRecord written once, at signing
        record=cast(ConsentRecord, consent.record),
        readiness=consent_readiness(consent).key,
        validity_reason=validity.reason,
        valid_until=validity.valid_until,
        decisions=decisions,
        revisions=revisions,
        withdrawn_at=withdrawal.at.astimezone(tz) if withdrawal is not None else None,
    )


def _recorded_by(session: Session, event: ConsentEvent) -> fhir.Staff:
    """Who recorded the withdrawal: the staff account its status event names by email."""
    user = session.scalar(select(User).where(User.email == event.actor))
    return fhir.Staff(user.name, user.email) if user is not None else fhir.Staff(event.actor, None)
