"""The doctor's consent page as it is shown: flagged answers first, each risk as the patient read it, who signed.

A read model over the sealed record (kiosk.review.decisions records the decisions); times are in the clinic's zone
and a consent read in another language than the doctor's is shown with its translation, the patient's words first.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from kiosk.consent import queries as consents
from kiosk.core import audit, sites
from kiosk.core.audit import Who
from kiosk.core.i18n import language_name_in
from kiosk.core.models import AuditEvent, Consent
from kiosk.core.vocabulary import ANSWER_LABELS
from kiosk.documents.record import describe_answer, flag_id, severity_rank, words_in
from kiosk.documents.wording import chosen_areas
from kiosk.review.queue import consent_readiness
from kiosk.rules.readiness import Readiness
from kiosk.texts.model import LanguageTexts

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
