"""A treatment course as staff read it: the consents a patient signed for one treatment (older text versions
included), each check-in, each session that took place, and whether another session may start."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from kiosk.consent.patient_copy import email_of
from kiosk.course import aftercare, checkins
from kiosk.consent import queries as consents
from kiosk.core.models import Checkin, Consent, ConsentEvent, TreatmentSession
from kiosk.review.queue import consent_readiness, name_condition
from kiosk.rules import validity
from kiosk.rules.readiness import Readiness
from kiosk.texts.model import Texts

FIND_LIMIT = 50


@dataclass(frozen=True)
class ConsentRow:
    document_id: str
    signed_at: datetime
    texts_version: str
    status: str
    readiness: Readiness
    renews: str | None  # the document id of the consent this one replaced


@dataclass(frozen=True)
class CheckinRow:
    document_id: str
    status: str  # open (not signed yet) | submitted | reviewed
    created_at: datetime
    signed_at: datetime | None
    readiness: Readiness | None
    highest_severity: str | None
    flags: list[dict[str, Any]]
    session_number: int | None


@dataclass(frozen=True)
class Course:
    consent: Consent
    validity: validity.Validity
    current_version: str
    consents: list[ConsentRow]
    checkins: list[CheckinRow]
    sessions: list[TreatmentSession]
    withdrawal: ConsentEvent | None
    next_checkin: str | None  # the check-in the next recorded session will go on
    patient_email: bool  # the patient typed an address in their consent: the aftercare sheet may be emailed
    aftercare_emailed: frozenset[int]  # sessions whose aftercare sheet was emailed already (each goes once)


def course(session: Session, document_id: str, *, texts: Texts, now: datetime, months: int) -> Course:
    """Everything about one consent's course; raises consents.ConsentNotFound. Writes nothing."""
    consent = consents.get_consent(session, document_id)
    tz = now.tzinfo
    related = session.scalars(select(Consent).where(
        same_patient(consent), Consent.modality == consent.modality).order_by(Consent.created_at, Consent.id)).all()
    following = checkins.next_checkin(consent)
    return Course(
        consent=consent,
        validity=checkins.consent_validity(consent, texts, now=now, months=months),
        current_version=texts.modality(consent.language, consent.modality).version,
        consents=[ConsentRow(c.document_id, c.created_at.astimezone(tz), c.texts_version, c.status,
                             consent_readiness(c), ((c.record.get("renews") or {}).get("document_id")))
                  for c in related],
        checkins=[_checkin_row(c, tz) for c in consent.checkins],
        sessions=list(consent.sessions),
        withdrawal=next((e for e in consent.events if e.status == "withdrawn"), None),
        next_checkin=following.document_id if following else None,
        patient_email=email_of(consent) is not None,
        aftercare_emailed=frozenset(aftercare.emailed_sessions(session, consent)),
    )


def same_patient(consent: Consent) -> ColumnElement[bool]:
    """The consents of this consent's patient: the same name and date of birth, as the desk entered and checked them."""
    return and_(Consent.patient_name == consent.patient_name, Consent.date_of_birth == consent.date_of_birth)


def patient_consents(session: Session, document_id: str) -> list[Consent]:
    """Every consent of the patient who signed this one, oldest first; raises consents.ConsentNotFound."""
    consent = consents.get_consent(session, document_id)
    return list(session.scalars(select(Consent).where(same_patient(consent)).order_by(Consent.created_at, Consent.id)))


def _checkin_row(checkin: Checkin, tz: Any) -> CheckinRow:
    signed = checkin.status != "open"
    return CheckinRow(
        document_id=checkin.document_id, status=checkin.status, created_at=checkin.created_at.astimezone(tz),
        signed_at=checkin.signed_at.astimezone(tz) if checkin.signed_at else None,
        readiness=checkins.checkin_readiness(checkin) if signed else None,
        highest_severity=checkin.highest_severity,
        flags=list((checkin.record or {}).get("flags") or []),
        session_number=(checkin.record or {}).get("session_number"))


def find(session: Session, name: str) -> list[Consent]:
    """Consents whose patient name contains `name` (any case or accents), newest first, for the desk to pick a course."""
    return list(session.scalars(select(Consent).where(name_condition(name))
                                .order_by(Consent.created_at.desc()).limit(FIND_LIMIT)))
