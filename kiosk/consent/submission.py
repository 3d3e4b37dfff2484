"""Turn a finished draft into a signed consent: record, flags and PDF stored in one transaction.

The done page is shown only after the commit, and a second submission of the
same draft (a double tap, a retry after a timeout) returns the first consent
instead of making another.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from PIL import Image
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kiosk.rules import comprehension
from kiosk.consent import drafts
from kiosk.consent import steps
from kiosk.rules import validity
from kiosk.core.models import Consent, ConsentEvent, ConsentFlag, Document, DocumentRevision, Draft
from kiosk.documents import codes
from kiosk.documents.pdf import render_consent_pdf
from kiosk.documents.record import (CheckedIdentity, Clinic, ConsentRecord, Patient, RiskAck, StepEvent, Treatment, answer_as_read, highest_severity,
                                    severity_rank)
from kiosk.rules.identity import identity_change_flags, same_person
from kiosk.rules.screening import ScreeningError, screen
from kiosk.documents.sealing import SealKey, seal_pdf
from kiosk.documents.wording import chosen_areas, statement_with_areas
from kiosk.texts.model import Texts

SEAL_REASON = "Informed consent signed by the patient"


@dataclass(frozen=True)
class SignatureInput:
    """What the sign step collected, already validated by its form."""

    method: Literal["drawn", "typed"]
    png: bytes | None
    typed_name: str | None
    printed_name: str
    image: Image.Image | None = field(default=None, compare=False, repr=False)  # `png` as the form decoded it


class DraftClosed(Exception):
    """The session was cancelled at the desk before the patient signed; nothing is stored."""


class NotReadyToSign(Exception):
    """The draft still has open steps; the view sends the patient to the first one."""

    def __init__(self, first_open: str) -> None:
        super().__init__(first_open)
        self.first_open = first_open


def new_document_id(now: datetime) -> str:
    """CK-YYYYMMDD-XXXXXXXX: dated for people, about 40 random bits so ids never repeat in practice."""
    return f"CK-{now:%Y%m%d}-{codes.random_code(8)}"


def submit(
    session: Session,
    draft: Draft,
    signature: SignatureInput,
    *,
    texts: Texts,
    clinic: Clinic,
    seal_key: SealKey,
    now: datetime,
) -> Consent:
    """Store the signed consent once, its PDF sealed; a repeated submission returns the consent already stored."""
    # An open draft has no consent (both change in one transaction), so only a closed one is looked up here;
    # a draft closed since it was read is caught below by the guarded UPDATE or the unique draft_id.
    if draft.status != "open":
        existing = _consent_for(session, draft.id)
        if existing is not None:
            return existing
    open_step = steps.first_open(drafts.completed(draft))
    if open_step != "sign":
        raise NotReadyToSign(open_step)

    local_now = now.astimezone(ZoneInfo(clinic.timezone))
    document_id = new_document_id(local_now)
    try:
        record = build_record(draft, signature, texts=texts, clinic=clinic, local_now=local_now,
                              document_id=document_id)
    except ScreeningError as exc:
        # answers saved under rules that changed since (a question added, removed or made a choice): asked again
        raise NotReadyToSign("screening") from exc
    if clinic.address:  # one site of a chain: its address beside its name on every page
        record["clinic_address"] = clinic.address
    record["verification"] = {"code": codes.verification_code(), "url": clinic.verify_url}
    pdf = seal_pdf(render_consent_pdf(record, signature.png, signature.image), seal_key, clinic_name=clinic.name,
                   reason=SEAL_REASON)
    document = Document(id=document_id, kind="consent", verification_code=record["verification"]["code"],
                        created_at=now)
    document.revisions = [DocumentRevision(revision=1, kind="patient_signed", pdf=pdf,
                                           sha256=hashlib.sha256(pdf).hexdigest(), created_at=now)]
    consent = Consent(
        document=document,
        draft_id=draft.id,
        site_id=draft.site_id,
        created_at=now,
        status="submitted",
        patient_name=record["patient"]["full_name"],
        date_of_birth=date.fromisoformat(record["patient"]["date_of_birth"]),
        modality=record["treatment"]["modality"],
        language=record["language"],
        highest_severity=record["highest_severity"],
        severity_rank=severity_rank(record["highest_severity"]),
        texts_version=record["texts"]["version"],
        texts_sha256=record["texts"]["sha256"],
        rules_version=record["texts"]["rules_version"],
        record=dict(record),
        signature_png=signature.png,
    )
    consent.flags = [ConsentFlag(**flag) for flag in record["flags"]]
    consent.events = [ConsentEvent(status="submitted", actor="patient", at=now)]
    session.add(consent)
    try:
        # Close the draft only if it is still open, in the same transaction: a cancel at the desk
        # and a signature on the tablet can race, and exactly one of them must win.
        if not drafts.close_if_open(session, draft.id, "submitted", now):
            session.rollback()
            existing = _consent_for(session, draft.id)
            if existing is not None:
                return existing
            raise DraftClosed()
        session.commit()
    except IntegrityError:
        session.rollback()
        existing = _consent_for(session, draft.id)
        if existing is None:
            raise
        return existing
    return consent  # the UPDATE set draft.status in the session too: no need to read the row back


def _consent_for(session: Session, draft_id: int) -> Consent | None:
    return session.scalar(select(Consent).where(Consent.draft_id == draft_id))


def build_record(
    draft: Draft,
    signature: SignatureInput,
    *,
    texts: Texts,
    clinic: Clinic,
    local_now: datetime,
    document_id: str,
) -> ConsentRecord:
    """Everything consent-record.md asks of the stored record, gathered from the draft."""
    data = draft.data
    identity = data["identity"]
    treatment = data["treatment"]
    modality = treatment["modality"]
    ref = texts.reference(draft.language, modality)
    lang = texts.language(draft.language)
    screening_data = data["screening"]
    answers_in = screening_data["answers"]
    planned = (data.get("prefill") or {}).get("modality") or None  # the desk's or the doctor's plan, if any
    flags = screen(texts.rules_in(draft.language), modality, answers_in, identity["date_of_birth"], local_now.date(), planned)
    renews = (data.get("prefill") or {}).get("renews")
    flags += validity.renewal_flags(texts.rules_in(draft.language), data.get("prefill"))  # a re-consent is reviewed before treatment
    shown_questions = {q["id"]: q for q in ref["shown"]["questions"]}
    answers = [answer_as_read(shown_questions[qid], answers_in[qid], screening_data.get("details") or {},
                              screening_data["saved_at"])
               for qid in shown_questions if qid in answers_in]  # a follow-up not asked has no answer
    risks = [_risk_ack(draft, risk["id"], risk["title"]) for risk in ref["shown"]["risks"]]
    checked = data.get("comprehension") or {}
    understood = comprehension.grade(ref["shown"]["comprehension"], checked.get("answers") or {}, checked.get("saved_at"))
    flags += comprehension.wrong_answer_flags(understood, texts.rules_in(draft.language).comprehension_reason)
    prefill = data.get("prefill") or {}
    how_checked = identity.get("identity_check") or prefill.get("identity_check")
    signed_person: CheckedIdentity = {"full_name": identity["full_name"], "date_of_birth": identity["date_of_birth"]}
    desk_checked: CheckedIdentity | None = (
        {"full_name": prefill["full_name"], "date_of_birth": prefill["date_of_birth"]}
        if prefill.get("identity_check") and prefill.get("full_name") else None)
    flags += identity_change_flags(texts.rules_in(draft.language), checked=desk_checked, how=how_checked, signed=signed_person)
    patient: Patient = {
        "full_name": identity["full_name"],
        "date_of_birth": identity["date_of_birth"],
        "phone": identity.get("phone") or None,
        "email": identity.get("email") or None,
        "identity_check": how_checked,
    }
    if desk_checked is not None and not same_person(desk_checked, signed_person):
        patient["identity_checked_for"] = desk_checked  # the check covered someone else's name or birth date
    chosen: Treatment = {
        "modality": modality,
        "modality_title": ref["shown"]["title"],
        "areas": [{"id": a, "label": lang.common.areas.get(a, a)} for a in treatment["areas"]],
        "area_other": treatment.get("area_other") or None,
        "planned_sessions": texts.modality(draft.language, modality).planned_sessions,
    }
    if planned:
        chosen["planned_modality"] = planned
    png = signature.png
    signed_at = local_now.isoformat()
    record = ConsentRecord(
        document_id=document_id,
        clinic_name=clinic.name,
        language=lang.language,
        created_at=signed_at,
        patient=patient,
        treatment=chosen,
        texts=ref,
        risks=risks,
        answers=answers,
        comprehension=understood,
        flags=flags,
        highest_severity=highest_severity(flags),
        esign_consent={"statement": ref["shown"]["esign_statement"], "agreed_at": data["review"]["saved_at"]},
        consent_statement=signed_statement(texts, draft),
        signature={
            "method": signature.method,
            "typed_name": signature.typed_name,
            "printed_name": signature.printed_name,
            "signed_at": signed_at,
            "timezone": clinic.timezone,
            "meaning": ref["shown"]["signature_meaning"],
            "image_sha256": hashlib.sha256(png).hexdigest() if png else None,
        },
        trail={
            "draft_started_at": draft.trail.get("started_at", ""),
            "started_by": draft.started_by,
            "opened_on": draft.trail.get("opened_on"),
            "opened_with_code": draft.trail.get("opened_with_code"),
            "opened_at": draft.trail.get("opened_at"),
            "device_label": draft.device_label,
            "ip_address": draft.ip_address,
            "user_agent": draft.user_agent,
            "steps": _step_events(draft, signed_at),
        },
    )
    if renews:
        record["renews"] = renews
    return record


def _risk_ack(draft: Draft, risk_id: str, title: str) -> RiskAck:
    """One risk's initials and time, with how long its page was on screen before the tick."""
    ack = draft.data["risks"][risk_id]
    shown = ((draft.trail.get("steps") or {}).get(f"risk:{risk_id}") or {}).get("shown_at")
    return RiskAck(id=risk_id, title=title, initials=ack["initials"], acknowledged_at=ack["acknowledged_at"],
                   shown_at=shown, seconds=_seconds(shown, ack["acknowledged_at"]))


def _seconds(start: str | None, end: str | None) -> float | None:
    if not (start and end):
        return None
    return round((datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds(), 1)


def _step_events(draft: Draft, signed_at: str) -> list[StepEvent]:
    events: list[StepEvent] = []
    for step in steps.STEPS:
        entry = (draft.trail.get("steps") or {}).get(step, {})
        shown = entry.get("shown_at")
        done = signed_at if step == "sign" else entry.get("completed_at")
        events.append(StepEvent(step=step, shown_at=shown, completed_at=done, seconds=_seconds(shown, done)))
    return events




def area_names(texts: Texts, draft: Draft) -> list[str]:
    """The areas this patient chose, as they read them back ("somewhere else" as their own words)."""
    treatment = draft.data["treatment"]
    labels = texts.language(draft.language).common.areas
    return chosen_areas([(a, labels.get(a, a)) for a in treatment["areas"]], treatment.get("area_other"))


def signed_statement(texts: Texts, draft: Draft) -> str:
    """The consent statement beside the signature, naming the treatment and the areas this patient chose."""
    treatment = draft.data["treatment"]
    labels = texts.language(draft.language).common.areas
    shown = texts.reference(draft.language, treatment["modality"])["shown"]
    return statement_with_areas(shown["consent_statement"], [(a, labels.get(a, a)) for a in treatment["areas"]],
                                treatment.get("area_other"), draft.language)
