"""One consent as the doctor reads it, its PDF revisions, and the doctor's signed decision.

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

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kiosk.staff import accounts
from kiosk.core import audit, sites
from kiosk.consent import queries as consents
from kiosk.core.audit import Who
from kiosk.core.models import (AuditEvent, Consent, ConsentEvent, Decision, Document, DocumentRevision, PhotoConsent,
                               User)
from kiosk.documents.wording import chosen_areas
from kiosk.documents.pdf.frame import render_review_appearance
from kiosk.core.vocabulary import ANSWER_LABELS
from kiosk.core.i18n import language_name_in
from kiosk.documents.record import (EarlierDecision, EarlierPhotoChoice, Review, describe_answer, flag_id, severity_rank,
                                    words_in)
from kiosk.review.queue import consent_readiness
from kiosk.rules.readiness import DECISIONS, Readiness
from kiosk.documents.sealing import (REVIEW_FIELD_PREFIX, NoReservedArea, SealError, SealKey, add_signed_revision,
                                     review_area)
from kiosk.core.translation import lazy_gettext as _l
from kiosk.texts.model import LanguageTexts, Texts, worded_uses

NOTE_MAX = 4000


@dataclass(frozen=True)
class FlagReason:
    severity: str
    reason: str


@dataclass(frozen=True)
class RiskView:
    """One acknowledged risk titled in the words the patient read, with the doctor's words when those differ."""

    id: str
    title: str
    language: str  # the language the patient read and acknowledged it in
    initials: str
    acknowledged_at: datetime | None
    read_in_other: str | None = None  # that language's name in the doctor's words, when not the consent's
    translation: str | None = None  # the title in the doctor's language, when the patient read another


@dataclass(frozen=True)
class AnswerView:
    """One screening answer with the words the patient read; `flags` is empty for unflagged answers."""

    question: str
    text: str | None  # None for a rule computed from the patient's details (e.g. under_18)
    answer: Any
    detail: str | None
    answered_at: datetime | None
    flags: list[FlagReason]
    translation: str | None = None  # the question in the reader's language, when the patient read another one

    @property
    def severity(self) -> str | None:
        return self.flags[0].severity if self.flags else None


@dataclass(frozen=True)
class DocumentView:
    revision: int
    kind: str
    sha256: str
    size: int
    created_at: datetime


@dataclass(frozen=True)
class ReviewView:
    doctor_name: str
    decision: str  # shown in words with the decision_label filter
    note: str | None
    at: datetime
    revision: int | None


@dataclass(frozen=True)
class EventView:
    at: datetime
    actor: str
    action: str  # a code: a consent status in its history, an audit action in the trail (vocabulary filters)
    detail: dict[str, Any] | None


@dataclass(frozen=True)
class SignerView:
    """Someone who signed after the patient, as the doctor's page shows them (their time in the clinic's zone)."""

    role: str  # representative | interpreter | witness
    full_name: str
    signed_at: datetime | None
    typed: bool  # a typed signature rather than a drawn one
    relationship: str | None = None  # a representative's, as a code (relationship_label)
    identity_check: str | None = None  # how the desk checked a representative's identity; None: not recorded
    reason: str | None = None  # why a representative consented: minor | cannot_decide_alone
    language: str | None = None  # the language an interpreter interpreted into, as the desk wrote it


def _signers(record: Mapping[str, Any], tz: ZoneInfo) -> list[SignerView]:
    """The representative, interpreter and witness the sealed record holds, in the order they signed."""
    people: list[SignerView] = []
    for role in ("representative", "interpreter", "witness"):
        person = record.get(role)
        if not isinstance(person, Mapping):
            continue
        signature = person.get("signature") or {}
        people.append(SignerView(
            role=role, full_name=str(person.get("full_name") or ""),
            signed_at=_parse_time(signature.get("signed_at"), tz), typed=signature.get("method") == "typed",
            relationship=person.get("relationship"), identity_check=person.get("identity_check"),
            reason=person.get("reason"), language=person.get("language")))
    return people


@dataclass(frozen=True)
class ConsentPage:
    """Everything the doctor's consent page shows, with times already in the clinic's zone."""

    consent: Consent
    record: dict[str, Any]
    created_at: datetime
    readiness: Readiness
    has_stop: bool
    flagged: list[AnswerView]
    other_answers: list[AnswerView]
    risks: list[RiskView]
    comprehension: list[dict[str, Any]]  # the check after the risks, as the patient answered it
    documents: list[DocumentView]
    reviews: list[ReviewView]
    status_history: list[EventView]
    trail: list[EventView]
    signature_src: str | None  # the drawn signature as a data: URL (the page may show data: images), else None
    clinic: str | None = None  # in a chain, the clinic where it was signed (as its PDF names it); None for one clinic
    signers: tuple[SignerView, ...] = ()  # who signed after the patient: representative, interpreter, witness

    @property
    def areas(self) -> list[str]:
        """The areas chosen, "somewhere else" as the patient's own words (kiosk.documents.wording)."""
        treatment = self.record.get("treatment") or {}
        return chosen_areas([(a.get("id", ""), a.get("label", "")) for a in treatment.get("areas") or []],
                            treatment.get("area_other"))


def _parse_time(value: str | None, tz: ZoneInfo) -> datetime | None:
    """A record's ISO time shown on the clinic's clock; None when missing or unreadable."""
    try:
        return datetime.fromisoformat(value).astimezone(tz) if value else None
    except (TypeError, ValueError):
        return None


def _answers(record: dict[str, Any], tz: ZoneInfo,
             translated: Mapping[str, str] | None = None) -> tuple[list[AnswerView], list[AnswerView]]:
    """Flagged answers first (worst first, each with its rule's reason), then the others in asked order.

    `translated` maps question ids to their words in the reader's language, when that is not the consent's.
    """
    translated = translated or {}
    flags_by_question: dict[str, list[FlagReason]] = {}
    for flag in sorted(record.get("flags") or [], key=lambda f: severity_rank(f.get("severity"))):
        flags_by_question.setdefault(str(flag.get("question")), []).append(
            FlagReason(str(flag.get("severity")), str(flag.get("reason") or "")))
    flagged: list[AnswerView] = []
    others: list[AnswerView] = []
    answered: set[str] = set()
    for answer in record.get("answers") or []:
        qid = str(answer.get("question"))
        answered.add(qid)
        view = AnswerView(question=qid, text=answer.get("text"), answer=describe_answer(answer, ANSWER_LABELS),
                          detail=answer.get("detail"), answered_at=_parse_time(answer.get("answered_at"), tz),
                          flags=flags_by_question.get(qid, []), translation=translated.get(qid))
        (flagged if view.flags else others).append(view)
    for check in record.get("comprehension") or []:  # a wrong answer in the check after the risks
        qid = flag_id(str(check.get("question")))
        if qid in flags_by_question:
            answered.add(qid)
            flagged.append(AnswerView(question=qid, text=check.get("text"), answer=check.get("chosen_text"),
                                      detail=None, answered_at=_parse_time(check.get("answered_at"), tz),
                                      flags=flags_by_question[qid]))
    for qid, reasons in flags_by_question.items():  # rules on the patient's details, not on an answer
        if qid not in answered:
            flagged.append(AnswerView(question=qid, text=None, answer=record["patient"].get("date_of_birth"),
                                      detail=None, answered_at=None, flags=reasons))
    flagged.sort(key=lambda a: severity_rank(a.severity))
    return flagged, others


def _risks(record: Mapping[str, Any], tz: ZoneInfo, reader: LanguageTexts | None) -> list[RiskView]:
    """Each acknowledged risk as the patient read it (a risk read in another language keeps that language's title)."""
    consent_language = str(record.get("language") or "")
    modality = (record.get("treatment") or {}).get("modality")
    theirs = reader.modalities.get(modality) if reader is not None and modality else None
    views: list[RiskView] = []
    for ack in record.get("risks") or []:
        read_in = str(ack.get("language") or consent_language)
        title = str(ack.get("title") or "")
        if read_in != consent_language:
            title = next((str(r.get("title")) for r in words_in(record, read_in).get("risks") or []
                          if r.get("id") == ack.get("id")), title)
        translation = None
        if theirs is not None and reader is not None and reader.language != read_in:
            translation = next((r.title for r in theirs.risks if r.id == ack.get("id")), None)
        views.append(RiskView(
            id=str(ack.get("id")), title=title, language=read_in, initials=str(ack.get("initials") or ""),
            acknowledged_at=_parse_time(ack.get("acknowledged_at"), tz), translation=translation,
            read_in_other=(language_name_in(read_in, reader.language if reader is not None else consent_language)
                           if read_in != consent_language else None)))
    return views


def _event(event: AuditEvent, tz: ZoneInfo) -> EventView:
    return EventView(at=event.at.astimezone(tz), actor=event.actor, action=event.action, detail=event.detail)


def consent_page(session: Session, document_id: str, tz: ZoneInfo,
                 reader: LanguageTexts | None = None) -> ConsentPage:
    """Gather one consent for the doctor; raises consents.ConsentNotFound. Writes nothing.

    `reader` is the texts in the doctor's own language: when the patient read another one, each question is
    also given in the doctor's words, as a translation shown after the words the patient read.
    """
    consent = consents.get_consent(session, document_id)
    record: dict[str, Any] = consent.record
    translated = ({qid: words.text for qid, words in reader.questions.items()}
                  if reader is not None and reader.language != consent.language else None)
    flagged, others = _answers(record, tz, translated)
    risks = _risks(record, tz, reader)
    return ConsentPage(
        consent=consent,
        record=record,
        created_at=consent.created_at.astimezone(tz),
        readiness=consent_readiness(consent),
        has_stop=consent.severity_rank == 0,
        flagged=flagged,
        other_answers=others,
        risks=risks,
        comprehension=list(record.get("comprehension") or []),
        documents=[DocumentView(d.revision, d.kind, d.sha256, len(d.pdf), d.created_at.astimezone(tz))
                   for d in consent.documents],
        reviews=[ReviewView(r.doctor_name, r.decision, r.note, r.at.astimezone(tz), r.document_revision)
                 for r in consent.reviews],
        status_history=[EventView(e.at.astimezone(tz), e.actor, e.status, {"note": e.note} if e.note else None)
                        for e in consent.events],
        trail=[_event(e, tz) for e in audit.trail(session, consent.id, consent.draft_id)],
        signature_src=("data:image/png;base64," + base64.b64encode(consent.signature_png).decode("ascii")
                       if consent.signature_png else None),
        clinic=record.get("clinic_name") if sites.chain(session) else None,
        signers=tuple(_signers(record, tz)),
    )


def open_consent(session: Session, who: Who, document_id: str, tz: ZoneInfo, now: datetime | None = None,
                 reader: LanguageTexts | None = None) -> ConsentPage:
    """The consent page for a doctor, with the view written to the audit log first."""
    consent = consents.get_consent(session, document_id)
    audit.record(session, who, "consent_viewed", consent_id=consent.id, target=consent.document_id, at=now)
    return consent_page(session, document_id, tz, reader)


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
