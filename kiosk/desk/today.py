"""The front desk's day: each session started today with what the desk must know at a glance.

May the patient be treated (the one readiness rule, as the doctors' pages read it), which step a patient on
a tablet is on, the treatment chosen next to the one planned, which rows are check-ins, and which course
page a row belongs to. Builds on kiosk.desk.sessions (the sessions themselves) and reads decisions the way
kiosk.review.queue and kiosk.course.checkins do, so the desk and the doctor never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from kiosk.consent import drafts, patient_copy, steps
from kiosk.core import audit
from kiosk.core.audit import Who
from kiosk.core.models import Checkin, Consent, Document, DocumentRevision, Draft
from kiosk.course.checkins import checkin_readiness, saved_answers
from kiosk.desk.sessions import SessionRow, session_row, today_drafts
from kiosk.review.queue import consent_readiness
from kiosk.rules.readiness import Readiness

SHOWS_STEP = ("in_progress", "expired")  # a patient who opened the session: where they are, or where they stopped


@dataclass(frozen=True)
class DeskRow:
    """One line of the desk's list: the session, and what it means for today's treatment."""

    session: SessionRow
    is_checkin: bool
    course_document_id: str | None  # the consent whose course page this row opens; None before a consent exists
    planned: str | None  # the treatment the desk planned (modality id)
    chosen: str | None  # the treatment the patient chose on the tablet, once chosen
    step: str | None  # the page the patient is on (kiosk.consent.steps.STEPS, or "questions"/"sign" of a check-in)
    step_number: int | None  # 1-based, for a consent's wizard only
    readiness: Readiness | None  # once signed

    @property
    def differs_from_plan(self) -> bool:
        """The patient chose another treatment than the desk planned: a doctor must know before the session."""
        return self.planned is not None and self.chosen is not None and self.chosen != self.planned


def desk_day(session: Session, *, now: datetime) -> list[DeskRow]:
    """Today's sessions, newest first, each with its readiness, step, treatments and course."""
    found = today_drafts(session, now=now)
    checkins = {c.draft_id: c for c in session.scalars(
        select(Checkin).options(selectinload(Checkin.document).selectinload(Document.decisions),
                               selectinload(Checkin.consent))
        .where(Checkin.draft_id.in_([d.id for d in found])))} if found else {}
    return [_desk_row(draft, checkins.get(draft.id), now) for draft in found]


def _desk_row(draft: Draft, checkin: Checkin | None, now: datetime) -> DeskRow:
    row = session_row(draft, now)
    shows_step = row.status in SHOWS_STEP
    if checkin is not None:
        signed = checkin.status != "open"
        step = ("sign" if saved_answers(checkin).get("answers") else "questions") if shows_step else None
        return DeskRow(session=row, is_checkin=True, course_document_id=checkin.consent.document_id,
                       planned=draft.planned_modality, chosen=checkin.modality, step=step, step_number=None,
                       readiness=checkin_readiness(checkin) if signed else None)
    consent = draft.consent
    if consent is not None:
        return DeskRow(session=row, is_checkin=False, course_document_id=consent.document_id,
                       planned=draft.planned_modality, chosen=consent.modality, step=None, step_number=None,
                       readiness=consent_readiness(consent))
    chosen = (drafts.step_data(draft, "treatment").get("modality") or None) if draft.data else None
    step = steps.first_open(drafts.completed(draft)) if shows_step else None
    return DeskRow(session=row, is_checkin=False, course_document_id=None, planned=draft.planned_modality,
                   chosen=chosen, step=step, step_number=steps.number(step) if step else None, readiness=None)


class NoCopyToPrint(LookupError):
    """No session of today's list with that id is signed (or there is none)."""


def print_copy(session: Session, draft_id: int, *, who: Who, now: datetime) -> DocumentRevision:
    """The patient's copy of a row signed today (a consent or a check-in), with the print written to the audit log."""
    draft = next((d for d in today_drafts(session, now=now) if d.id == draft_id), None)
    if draft is None or draft.status != "submitted":
        raise NoCopyToPrint(draft_id)
    signed = draft.consent or session.scalar(select(Checkin).where(Checkin.draft_id == draft.id))
    if signed is None:
        raise NoCopyToPrint(draft_id)
    consent_id = signed.id if isinstance(signed, Consent) else signed.consent_id
    revision = patient_copy.newest_revision(signed.document)
    audit.record(session, who, "copy_printed", consent_id=consent_id, target=signed.document_id, at=now,
                 detail={"revision": revision.revision, "kind": revision.kind, "sha256": revision.sha256})
    return revision
