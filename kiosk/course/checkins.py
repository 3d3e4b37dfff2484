"""Use cases of a treatment course: the desk starts a pre-session check-in, the patient signs it on the tablet,
the doctor decides a flagged one, and records each session that took place.

A check-in reaches the tablet like a consent session: a server-side draft behind a random token, opened with
the desk's one-time code (kiosk.desk.sessions). Every function takes `now` (the clinic's time) so tests move time.
"""

from __future__ import annotations

import copy
import hashlib
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kiosk.core import audit
from kiosk.staff import sites
from kiosk.documents import codes
from kiosk.consent import queries as consents
from kiosk.desk import sessions as desk
from kiosk.consent import drafts
from kiosk.rules import validity
from kiosk.core.audit import Who
from kiosk.core.models import Checkin, Consent, Decision, Document, DocumentRevision, Draft, TreatmentSession, User
from kiosk.documents.pdf.checkin import render_checkin_pdf
from kiosk.documents.record import answer_as_read, highest_severity, severity_rank
from kiosk.core.vocabulary import READINESS_LABELS, VALIDITY_REASON_LABELS, label
from kiosk.review.queue import consent_readiness
from kiosk.rules.readiness import CHECKIN_DECISIONS, Readiness, readiness
from kiosk.review.decisions import CLASH, DecisionRefused, check_decision, pick_revision, seal_decision
from kiosk.rules.screening import screen_checkin
from kiosk.documents.sealing import SealKey, seal_pdf
from kiosk.consent.records import SignatureInput
from kiosk.consent.submission import new_document_id
from kiosk.documents.record import Clinic
from kiosk.texts.model import Texts, fingerprint, shown_question
from kiosk.core.translation import lazy_gettext as _l


CHECKIN_SEAL_REASON = "Check-in before a session of a course, signed by the patient"


class CheckinRefused(Exception):
    """A check-in cannot start on this consent; `validity.reason` says why (expired, withdrawn, ...)."""

    def __init__(self, result: validity.Validity) -> None:
        super().__init__(result.reason)
        self.validity = result


class CheckinClosed(Exception):
    """The desk cancelled the check-in (or the consent was withdrawn) before the patient signed."""


class AnswersMissing(Exception):
    """The sign page was posted before the questions were answered."""


class SessionRefused(Exception):
    """No session can be recorded now; `errors` maps a form field (or "session") to the message."""

    def __init__(self, errors: dict[str, Any]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors


# --------------------------------------------------------------------------
# Validity and the desk
# --------------------------------------------------------------------------


def consent_validity(consent: Consent, texts: Texts, *, now: datetime, months: int) -> validity.Validity:
    """Whether this consent covers another session today, or why not."""
    facts = validity.ConsentFacts(
        status=consent.status, readiness=consent_readiness(consent).key,
        signed_on=consent.created_at.astimezone(now.tzinfo).date(), texts_version=consent.texts_version,
        current_version=texts.modality(consent.language, consent.modality).version)
    return validity.check(facts, today=now.date(), months=months)


def start_checkin(session: Session, document_id: str, *, texts: Texts, issued_by: User | None, who: Who,
                  now: datetime, months: int) -> desk.IssuedCode:
    """A check-in for the next session with a one-time tablet code; an open one gets a fresh code instead."""
    consent = consents.get_consent(session, document_id)
    result = consent_validity(consent, texts, now=now, months=months)
    if not result.ok:
        raise CheckinRefused(result)
    waiting = next((c for c in consent.checkins if c.status == "open" and c.draft.status == "open"), None)
    if waiting is not None:
        return desk.reissue_code(session, waiting.draft_id, issued_by=issued_by, who=who, now=now)
    starter = f"front desk ({issued_by.email})" if issued_by is not None else "front desk"
    draft = drafts.start_draft(session, language=consent.language, device_label=None, ip_address=None,
                               user_agent=None, now=now, started_by=starter[:80],
                               prefill={"full_name": consent.patient_name,
                                        "date_of_birth": consent.date_of_birth.isoformat()},
                               site_id=sites.site_for_session(session, issued_by).id)
    draft.data = {**draft.data, "checkin_of": consent.document_id}
    draft.desk_name = consent.patient_name
    draft.planned_modality = consent.modality
    draft.issued_by_id = issued_by.id if issued_by is not None else None
    checkin = Checkin(document=Document(id=new_document_id(now), kind="checkin", created_at=now), consent_id=consent.id, draft_id=draft.id, site_id=draft.site_id, status="open",
                      modality=consent.modality, language=consent.language, created_at=now,
                      issued_by_id=draft.issued_by_id)
    session.add(checkin)
    session.flush()
    audit.record(session, who, "checkin_started", consent_id=consent.id, target=consent.document_id,
                 detail={"checkin": checkin.document_id, "draft_id": draft.id}, at=now, commit=False)
    session.commit()
    return desk.reissue_code(session, draft.id, issued_by=issued_by, who=who, now=now)


def start_renewal(session: Session, document_id: str, *, texts: Texts, issued_by: User | None, who: Who,
                  language: str, now: datetime, months: int) -> desk.IssuedCode:
    """A new consent session replacing an expired or outdated consent; the new consent is flagged for review."""
    consent = consents.get_consent(session, document_id)
    result = consent_validity(consent, texts, now=now, months=months)
    if not result.needs_new_consent:
        raise CheckinRefused(result)
    patient = desk.NewPatient(full_name=consent.patient_name, date_of_birth=consent.date_of_birth,
                              modality=consent.modality)
    issued = desk.issue_session(session, patient, issued_by=issued_by, who=who, language=language, now=now)
    draft = issued.draft
    data = copy.deepcopy(draft.data)
    data["prefill"]["renews"] = {
        "document_id": consent.document_id, "reason": result.reason,
        "signed_on": consent.created_at.astimezone(now.tzinfo).date().isoformat(),
        "old_version": consent.texts_version,
        "new_version": texts.modality(consent.language, consent.modality).version}
    draft.data = data
    session.commit()
    return issued


# --------------------------------------------------------------------------
# The tablet
# --------------------------------------------------------------------------


def is_checkin_draft(draft: Draft) -> bool:
    """A draft the desk made for a check-in, which the consent wizard must never open."""
    return bool((draft.data or {}).get("checkin_of"))


def find_by_token(session: Session, token: str | None) -> Checkin | None:
    """The check-in behind a tablet's draft token, or None for a missing or forged one."""
    draft = drafts.find_draft(session, token)
    if draft is None or not is_checkin_draft(draft):
        return None
    return session.scalar(select(Checkin).where(Checkin.draft_id == draft.id))


def saved_answers(checkin: Checkin) -> dict[str, Any]:
    """What the patient answered so far, to refill the questions."""
    return dict((checkin.draft.data or {}).get("checkin_answers") or {})


def mark_shown(session: Session, checkin: Checkin, page: str, now: datetime) -> None:
    """Note when a check-in page was first shown, for the record's trail."""
    drafts.mark_shown(session, checkin.draft, f"checkin:{page}", now)


def save_answers(session: Session, checkin: Checkin, values: dict[str, Any], now: datetime) -> None:
    """Store the answers on the server at once, so a refresh or a dropped connection loses nothing."""
    if checkin.status != "open" or checkin.draft.status != "open":
        raise CheckinClosed()
    draft = checkin.draft
    # the language the questions were answered in: the record prints them in it, whatever the signature's
    draft.data = {**copy.deepcopy(draft.data),
                  "checkin_answers": {**values, "saved_at": now.isoformat(), "language": draft.language}}
    draft.updated_at = now
    session.commit()


def submit(session: Session, checkin: Checkin, signature: SignatureInput, *, texts: Texts, clinic: Clinic,
           seal_key: SealKey, now: datetime) -> Checkin:
    """Judge, record, render, seal and store the signed check-in once; a repeated tap returns it as stored."""
    if checkin.status != "open":
        return checkin
    draft = checkin.draft
    if draft.status != "open" or checkin.consent.status == "withdrawn":
        raise CheckinClosed()
    saved = saved_answers(checkin)
    if not saved.get("answers"):
        raise AnswersMissing()
    local_now = now.astimezone(ZoneInfo(clinic.timezone))
    record = build_record(checkin, saved, signature, texts=texts, clinic=clinic, local_now=local_now)
    if clinic.address:  # one site of a chain: its address beside its name on every page
        record["clinic_address"] = clinic.address
    record["verification"] = {"code": codes.verification_code(), "url": clinic.verify_url}
    pdf = seal_pdf(render_checkin_pdf(record, signature.png, signature.image), seal_key, clinic_name=clinic.name,
                   reason=CHECKIN_SEAL_REASON)
    checkin.record = record
    checkin.signed_at = now
    checkin.highest_severity = record["highest_severity"]
    checkin.severity_rank = severity_rank(record["highest_severity"])
    checkin.texts_version = record["texts"]["version"]
    checkin.texts_sha256 = record["texts"]["sha256"]
    checkin.rules_version = record["texts"]["rules_version"]
    checkin.signature_png = signature.png
    checkin.document.verification_code = record["verification"]["code"]
    checkin.document.revisions.append(DocumentRevision(revision=1, kind="patient_signed", pdf=pdf,
                                                       sha256=hashlib.sha256(pdf).hexdigest(), created_at=now))
    checkin.status = "submitted"
    audit.record(session, Who(actor="patient", ip_address=draft.ip_address, user_agent=draft.user_agent),
                 "checkin_signed", consent_id=checkin.consent_id, target=checkin.consent.document_id, at=now,
                 detail={"checkin": checkin.document_id, "highest_severity": checkin.highest_severity,
                         "sha256": checkin.document.revisions[-1].sha256}, commit=False)
    # a cancel at the desk and a signature on the tablet can race: exactly one of them closes the draft
    if not drafts.close_if_open(session, draft.id, "submitted", now):
        session.rollback()
        session.refresh(checkin)
        if checkin.status != "open":
            return checkin
        raise CheckinClosed()
    session.commit()
    session.refresh(draft)
    return checkin


def build_record(checkin: Checkin, saved: dict[str, Any], signature: SignatureInput, *, texts: Texts,
                 clinic: Clinic, local_now: datetime) -> dict[str, Any]:
    """The check-in as stored and printed: the words shown, the answers, the flags and the signature."""
    draft, consent = checkin.draft, checkin.consent
    words = texts.checkin_text(draft.language)
    answered_in = texts.checkin_text(saved.get("language") or draft.language)  # may differ: a switch before signing
    questions = texts.rules.checkin_for(checkin.modality)
    shown: dict[str, Any]  # the check-in's own words: not a consent's TextsShown
    shown = {"language": words.language, "title": words.title, "intro": answered_in.intro,  # on the questions page
             "questions": [shown_question(q, answered_in.questions[q.id]) for q in questions],
             "statement": words.statement, "signature_meaning": words.signature_meaning}
    answers_in = saved["answers"]
    flags = screen_checkin(texts.rules_in(draft.language), checkin.modality, answers_in, local_now.date())
    answers = [answer_as_read(q, answers_in[q["id"]], saved.get("details") or {}, saved["saved_at"])
               for q in shown["questions"] if q["id"] in answers_in]  # a follow-up not asked has no answer
    steps = (draft.trail or {}).get("steps") or {}
    png = signature.png
    return {
        "document_id": checkin.document_id,
        "consent_document_id": consent.document_id,
        "session_number": len([c for c in consent.checkins if c.status != "open"]) + 2,
        "clinic_name": clinic.name,
        "language": words.language,
        "created_at": local_now.isoformat(),
        "patient": {"full_name": consent.patient_name, "date_of_birth": consent.date_of_birth.isoformat()},
        "treatment": {"modality": checkin.modality,
                      "modality_title": texts.modality(words.language, checkin.modality).title},
        "texts": {"version": words.version, "rules_version": texts.rules.version, "sha256": fingerprint(shown),
                  "shown": shown},
        "answers": answers,
        "flags": flags,
        "highest_severity": highest_severity(flags),
        "signature": {"method": signature.method, "typed_name": signature.typed_name,
                      "printed_name": signature.printed_name, "signed_at": local_now.isoformat(),
                      "timezone": clinic.timezone, "meaning": words.signature_meaning,
                      "image_sha256": hashlib.sha256(png).hexdigest() if png else None},
        "trail": {"started_at": (draft.trail or {}).get("started_at"), "started_by": draft.started_by,
                  "opened_at": (draft.trail or {}).get("opened_at"), "device_label": draft.device_label,
                  "ip_address": draft.ip_address, "user_agent": draft.user_agent,
                  "questions_shown_at": (steps.get("checkin:questions") or {}).get("shown_at"),
                  "sign_shown_at": (steps.get("checkin:sign") or {}).get("shown_at"),
                  "steps": [{"step": "screening", "language": answered_in.language, "at": saved["saved_at"]},
                            {"step": "sign", "language": words.language, "at": local_now.isoformat()}],
                  "language_switches": [{"at": c.get("at", ""), "from_language": c.get("from", ""),
                                         "to_language": c.get("to", "")}
                                        for c in (draft.trail or {}).get("language_changes") or []]},
    }


# --------------------------------------------------------------------------
# The doctor
# --------------------------------------------------------------------------


def checkin_readiness(checkin: Checkin) -> Readiness:
    """May this check-in's session go ahead? The same answer, labels and rules as for a consent."""
    status = "withdrawn" if checkin.consent.status == "withdrawn" else checkin.status
    decision = checkin.reviews[-1].decision if checkin.reviews else None
    return readiness(status, checkin.severity_rank, decision)


def get_checkin(session: Session, document_id: str) -> Checkin:
    """A signed check-in by its document id; raises consents.ConsentNotFound like a consent would."""
    checkin = session.scalar(select(Checkin).where(Checkin.document_id == document_id.strip(),
                                                   Checkin.status != "open"))
    if checkin is None:
        raise consents.ConsentNotFound(document_id)
    return checkin


def open_pdf(session: Session, who: Who, document_id: str, now: datetime,
             revision: int | None = None) -> DocumentRevision:
    """A signed check-in's PDF revision (the newest when none is named), with the download audited."""
    checkin = get_checkin(session, document_id)
    document = pick_revision(checkin.document, revision)
    audit.record(session, who, "pdf_downloaded", consent_id=checkin.consent_id, target=checkin.consent.document_id,
                 at=now, detail={"checkin": checkin.document_id, "revision": document.revision,
                                 "kind": document.kind, "sha256": document.sha256})
    return document


def pending_review(session: Session) -> list[Checkin]:
    """Signed check-ins whose answers a doctor must decide before the session, most urgent first."""
    rows = session.scalars(select(Checkin).where(Checkin.status == "submitted", Checkin.severity_rank <= 1)
                           .order_by(Checkin.severity_rank, Checkin.signed_at.desc())).all()
    return [c for c in rows if c.consent.status != "withdrawn"]


def decide(session: Session, who: Who, doctor: User, document_id: str, *, decision: str, note: str | None,
           password: str, meaning: str, now: datetime, timezone_name: str, seal_key: SealKey,
           clinic_name: str) -> Decision:
    """Record a doctor's signed decision on a check-in with its sealed PDF revision, or refuse and save nothing."""
    checkin = get_checkin(session, document_id)
    note = check_decision(session, who, doctor, decision=decision, note=note, password=password, meaning=meaning,
                          withdrawn=checkin.consent.status == "withdrawn", stop=checkin.severity_rank == 0, now=now,
                          purpose=f"decision on check-in {checkin.document_id}", allowed=CHECKIN_DECISIONS)
    try:
        with session.no_autoflush:  # one flush at commit, so a clash surfaces here and nowhere else
            row = seal_decision(checkin.document, doctor, decision=decision, note=note, meaning=meaning, now=now,
                                timezone_name=timezone_name, language=checkin.language, seal_key=seal_key,
                                clinic_name=clinic_name)
            checkin.status = "reviewed"
            audit.record(session, who, "checkin_decided", consent_id=checkin.consent_id,
                         target=checkin.consent.document_id, at=now,
                         detail={"checkin": checkin.document_id, "decision": decision,
                                 "revision": row.document_revision, "sha256": checkin.pdf_sha256}, commit=False)
        session.commit()
    except IntegrityError:  # another decision took this revision number a moment earlier
        session.rollback()
        raise DecisionRefused({"decision": CLASH}) from None
    return row


@dataclass(frozen=True)
class SessionInput:
    """A session as the doctor records it, already validated by its form."""

    session_date: date
    area: str
    settings: str
    anaesthetic_applied_by: str | None
    anaesthetic_minutes: int | None
    anaesthetic_product: str | None
    notes: str | None


def next_checkin(consent: Consent) -> Checkin | None:
    """The newest signed check-in not yet used by a recorded session: the one the next session goes on."""
    used = {s.checkin_id for s in consent.sessions}
    signed = [c for c in consent.checkins if c.status != "open" and c.id not in used]
    return signed[-1] if signed else None


def visible_session(session: Session, session_id: int) -> tuple[TreatmentSession, Consent] | None:
    """A recorded session and its consent, through the consent (the site guard applies): None when there is none,
    or when it is another site's, so staff of one clinic never reach another's session by its number."""
    row = session.get(TreatmentSession, session_id)
    consent = None if row is None else session.scalar(select(Consent).where(Consent.id == row.consent_id))
    return None if row is None or consent is None else (row, consent)


def record_session(session: Session, who: Who, doctor: User, document_id: str, values: SessionInput, *,
                   texts: Texts, now: datetime, months: int) -> TreatmentSession:
    """Record a session that took place; refused while its check-in waits for a doctor, or the consent lapsed."""
    consent = consents.get_consent(session, document_id)
    result = consent_validity(consent, texts, now=now, months=months)
    number = len(consent.sessions) + 1
    checkin = None if number == 1 else next_checkin(consent)
    refusal: Any = None
    if result.reason in ("withdrawn", "expired"):
        refusal = _l("This consent no longer covers sessions (%(reason)s).",
                     reason=label(VALIDITY_REASON_LABELS, result.reason))
    elif number == 1 and not consent_readiness(consent).treatable:
        refusal = _l("The consent's flagged answers must be decided by a doctor before the first session.")
    elif number > 1 and checkin is None:
        refusal = _l("Session %(n)d needs a signed check-in first: the front desk starts one before each "
                     "session after the first.", n=number)
    elif checkin is not None and not checkin_readiness(checkin).treatable:
        refusal = _l("Check-in %(id)s has answers a doctor must decide before this session: %(state)s.",
                     id=checkin.document_id, state=label(READINESS_LABELS, checkin_readiness(checkin).key))
    if refusal is not None:
        raise SessionRefused({"session": refusal})
    if values.session_date < consent.created_at.astimezone(now.tzinfo).date():
        raise SessionRefused({"session_date": _l("The session cannot be before the consent was signed.")})
    row = TreatmentSession(consent_id=consent.id, checkin_id=checkin.id if checkin else None, number=number,
                           session_date=values.session_date, area=values.area, settings=values.settings,
                           anaesthetic_applied_by=values.anaesthetic_applied_by,
                           anaesthetic_minutes=values.anaesthetic_minutes,
                           anaesthetic_product=values.anaesthetic_product, notes=values.notes,
                           recorded_by_id=doctor.id, recorded_by_name=doctor.name, recorded_at=now)
    session.add(row)
    audit.record(session, who, "session_recorded", consent_id=consent.id, target=consent.document_id, at=now,
                 detail={"number": number, "checkin": checkin.document_id if checkin else None,
                         "session_date": values.session_date.isoformat()}, commit=False)
    session.commit()
    return row

