"""The signed consent record: one JSON document that is stored, exported and printed.

The record is built once, when the patient signs, and never edited in place.
The PDF is a rendering of it (``kiosk.documents.pdf``) and ``export --json`` writes it.
Keeping one shape for all three means the printed words and the stored words
cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, NotRequired, TypedDict

Severity = Literal["stop", "review", "info"]
# The one order of severities, worst first: queues, sorted flags, texts checks and the PDF all use it.
SEVERITY_ORDER: tuple[Severity, ...] = ("stop", "review", "info")


class Section(TypedDict):
    id: str
    title: str
    text: str


class Risk(TypedDict):
    id: str
    title: str
    text: str


class QuestionShown(TypedDict):
    id: str
    type: Literal["bool", "date", "choice"]
    text: str
    options: NotRequired[list[CheckOptionShown]]  # a choice question's options as read (rules version 2 on)
    asked_if: NotRequired[str]  # a follow-up: the yes/no question whose yes asked it


class CheckOptionShown(TypedDict):
    id: str
    text: str


class CheckShown(TypedDict):
    """A comprehension question as shown after the risks; `answer` is the right option's id."""

    id: str
    text: str
    options: list[CheckOptionShown]
    answer: str
    explanation: str


class TextsShown(TypedDict):
    """Exactly the words the patient was shown, in the language shown."""

    language: str
    modality: str
    title: str
    summary: str
    sections: list[Section]
    risks: list[Risk]
    comprehension: NotRequired[list[CheckShown]]  # absent from records signed before the comprehension check
    questions: list[QuestionShown]
    esign_statement: str
    consent_statement: str
    signature_meaning: str


class TextsRef(TypedDict):
    """Which words were shown. ``sha256`` is the SHA-256 of ``shown`` as canonical JSON: keys sorted,
    separators ``(",", ":")``, non-ASCII kept, UTF-8 (``kiosk.texts.loader.fingerprint``), so anyone can recompute it."""

    version: str  # the modality file's version
    common_version: str
    rules_version: str
    sha256: str
    shown: TextsShown


class CheckedIdentity(TypedDict):
    full_name: str
    date_of_birth: str  # ISO date


class Patient(TypedDict):
    full_name: str
    date_of_birth: str  # ISO date
    phone: str | None
    email: str | None
    identity_check: str | None  # how the desk checked identity, if it did
    # the name and date of birth the desk checked, kept when the patient signed for a different identity
    identity_checked_for: NotRequired[CheckedIdentity]


class Area(TypedDict):
    id: str
    label: str


class Treatment(TypedDict):
    modality: str
    modality_title: str
    areas: list[Area]
    area_other: str | None
    planned_sessions: int
    planned_modality: NotRequired[str]  # the treatment the desk or the doctor planned, when one was recorded


class RiskAck(TypedDict):
    id: str
    title: str
    initials: str
    acknowledged_at: str  # ISO datetime with offset
    shown_at: str | None  # when this risk's page was first shown
    seconds: float | None  # from first shown to acknowledged: time spent on this text
    language: NotRequired[str]  # the language of the words acknowledged (absent from records before it was kept)


class Answer(TypedDict):
    question: str
    text: str  # the question as the patient read it
    type: Literal["bool", "date", "choice"]
    value: bool | str | None  # bool, ISO date, None for "never / not in 12 months", or a choice's option id
    detail: str | None
    answered_at: str
    option_text: NotRequired[str]  # a choice: the chosen option as the patient read it
    asked_if: NotRequired[str]  # a follow-up: the question whose yes asked it, printed just above it


class ComprehensionAnswer(TypedDict):
    """The patient's choice in the comprehension check, with the right answer as shown to them."""

    question: str
    text: str
    chosen: str  # option id
    chosen_text: str
    answer: str  # the right option's id
    answer_text: str
    correct: bool
    explanation: str
    answered_at: str | None
    order: NotRequired[list[str]]  # the option ids in the order shown (shuffled per patient); absent from older records
    again: NotRequired[SecondAnswer]  # after a wrong answer: the same question asked again, options in a new order


class SecondAnswer(TypedDict):
    """The answer to a question asked again after a wrong first answer and the right one were shown (teach-back)."""

    chosen: str  # option id
    chosen_text: str
    correct: bool
    order: list[str]  # the option ids in the order shown the second time
    answered_at: str | None


class Flag(TypedDict):
    question: str
    severity: Severity
    reason: str


class Signature(TypedDict):
    method: Literal["drawn", "typed"]
    typed_name: str | None
    printed_name: str
    signed_at: str  # ISO datetime with offset
    timezone: str  # IANA name, e.g. Europe/Madrid
    meaning: str
    image_sha256: str | None  # SHA-256 of the PNG when drawn


class Countersignature(TypedDict):
    """A signature after the patient's, on the same tablet: a representative's, an interpreter's or a witness's."""

    method: Literal["drawn", "typed"]
    typed_name: str | None
    printed_name: str
    signed_at: str  # ISO datetime with offset
    timezone: str  # IANA name
    statement: str  # the words they agreed to, as they read them
    image_sha256: str | None  # SHA-256 of the PNG when drawn


class Representative(TypedDict):
    """Who consented for the patient, as what, and why the patient could not consent alone."""

    full_name: str
    relationship: Literal["parent", "legal_guardian", "other_legal_representative"]
    identity_check: str | None  # how the desk checked the representative's identity (the patient's vocabulary)
    reason: Literal["minor", "cannot_decide_alone"]
    consents_for: CheckedIdentity  # the patient
    signature: Countersignature


class Interpreter(TypedDict):
    full_name: str
    language: str  # the language they interpreted into, as the desk wrote it
    signature: Countersignature


class Witness(TypedDict):
    full_name: str
    signature: Countersignature


class EsignConsent(TypedDict):
    statement: str
    agreed_at: str  # given on the review step, before the signature


class StepEvent(TypedDict):
    step: str
    shown_at: str | None
    completed_at: str | None
    seconds: float | None  # time from first shown to last completed
    shown_language: NotRequired[str | None]  # the language the step was first shown in
    language: NotRequired[str | None]  # the language it was completed in: the words read, answered or agreed to


class LanguageSwitch(TypedDict):
    """The patient switched the language of the texts: when, and from which language to which."""

    at: str
    from_language: str
    to_language: str


class Trail(TypedDict):
    draft_started_at: str
    started_by: str  # e.g. "front desk (desk@clinic)": the staff member who started the session
    opened_on: NotRequired[str | None]  # "tablet code" or "desk device"
    opened_with_code: NotRequired[str | None]  # the one-time code typed on the tablet, e.g. "K7P-M2Q"
    opened_at: NotRequired[str | None]
    device_label: str | None
    ip_address: str | None
    user_agent: str | None
    steps: list[StepEvent]
    language_switches: NotRequired[list[LanguageSwitch]]  # every switch of language, in order
    corrections: NotRequired[list[Correction]]  # names, birth date and initials changed, in order


# A name, birth date or initials changed by the patient: when, what (full_name, date_of_birth, initials or
# printed_name), from what, to what.
Correction = TypedDict("Correction", {"at": str, "what": str, "from": str, "to": str})


class Verification(TypedDict):
    """Printed on every page: the short code and the public page that checks a copy of the PDF."""

    code: str
    url: str


class ConsentRecord(TypedDict):
    document_id: str
    clinic_name: str
    clinic_address: NotRequired[str]  # one site of a chain that gives its address
    language: str
    created_at: str  # ISO datetime with offset: when the consent was stored
    patient: Patient
    treatment: Treatment
    texts: TextsRef
    # the words of every other language a part was read, answered or acknowledged in (a switch part-way), each with
    # its own version and SHA-256; risks, steps and the check name their language, so each part prints as it was read
    other_texts: NotRequired[list[TextsRef]]
    risks: list[RiskAck]
    answers: list[Answer]
    comprehension: NotRequired[list[ComprehensionAnswer]]  # absent from records signed before the comprehension check
    flags: list[Flag]
    highest_severity: Severity | None
    esign_consent: EsignConsent
    consent_statement: str
    signature: Signature
    trail: Trail
    renews: NotRequired[dict[str, str]]  # a re-consent: the consent it replaces, why, and both text versions
    verification: NotRequired[Verification]
    # who signed after the patient (README "Representatives, interpreters and witnesses"); absent when no one did
    representative: NotRequired[Representative]  # with one, the patient's own signature is their assent
    assent_note: NotRequired[str]  # printed above the representative's consent
    interpreter: NotRequired[Interpreter]
    witness: NotRequired[Witness]


Decision = Literal["cleared", "not_cleared", "consultation", "representative"]


class Review(TypedDict):
    """A doctor's decision as printed on a later PDF revision; the signed record itself is never changed."""

    doctor_name: str
    doctor_email: str
    decision: Decision
    note: str | None
    decided_at: str  # ISO datetime with offset
    timezone: str  # IANA name, e.g. Europe/Madrid
    meaning: str  # the statement the doctor ticked before confirming with their password
    revision: int  # the PDF revision this review produces
    original_sha256: str  # SHA-256 of the patient-signed original (revision 1), which stays intact


class EarlierDecision(TypedDict):
    """A decision a later one superseded, listed under the one that counts so the frame tells the whole story."""

    revision: int  # the revision that decision produced, kept in full inside every later revision
    doctor_name: str
    decision: str  # cleared | not_cleared | consultation | representative (as stored)
    decided_at: str  # ISO datetime with offset


class EarlierPhotoChoice(TypedDict):
    """A photo consent an earlier revision drew in the frame, listed (and shown while in force) under later entries."""

    revision: int
    at: str  # ISO datetime with offset
    recorded_by: str | None  # None: the patient on the tablet; else the member of staff at the desk
    uses: list[tuple[str, bool]]  # (the tick's words in the consent's language, ticked)


class PhotoChoice(TypedDict):
    """A photo consent as its sealed revision prints it: each use in the words the patient read, allowed or not."""

    revision: int
    at: str  # ISO time with offset
    timezone: str
    uses: list[tuple[str, bool]]  # (the tick's words, ticked)
    recorded_by: str | None  # None: the patient on the tablet; else the member of staff at the desk
    original_sha256: str


class Withdrawal(TypedDict):
    """A withdrawal of consent as printed in the frame of the revision that records it."""

    revision: int  # the PDF revision this withdrawal produces
    at: str  # ISO datetime with offset
    timezone: str  # IANA name
    recorded_by: str  # the staff member's name and email
    how: str  # how the patient told the clinic, in the consent's language
    reason: str | None
    sessions_done: int
    original_sha256: str  # SHA-256 of the patient-signed original (revision 1), which stays intact


def answer_as_read(question: QuestionShown, value: Any, details: Mapping[str, str], answered_at: str) -> Answer:
    """One stored answer with the words the patient read: a choice's option as shown, a follow-up naming its question."""
    answer = Answer(question=question["id"], text=question["text"], type=question["type"], value=value,
                    detail=details.get(question["id"]) or None, answered_at=answered_at)
    if question["type"] == "choice":
        answer["option_text"] = next((o["text"] for o in question.get("options") or [] if o["id"] == value), str(value))
    if question.get("asked_if"):
        answer["asked_if"] = question["asked_if"]
    return answer


def highest_severity(flags: list[Flag]) -> Severity | None:
    """Pick the most serious flag so lists can sort and colour consents by it."""
    for severity in SEVERITY_ORDER:
        if any(flag["severity"] == severity for flag in flags):
            return severity
    return None


def severity_rank(severity: object) -> int:
    """0 for stop up to 3 for no flag (or an unknown word), so queues and lists sort the most urgent first."""
    return SEVERITY_ORDER.index(severity) if severity in SEVERITY_ORDER else len(SEVERITY_ORDER)


def describe_answer(answer: Mapping[str, Any], labels: Mapping[str, Any], day: Callable[[str], Any] = str) -> Any:
    """An answer in words, the same on the patient's review page, the doctor's pages, the PDF and the export.

    labels: yes, no, not_in_12_months, not_answered, and yes_last_dose with a %(day)s placeholder, in the
    reader's language; day writes a last dose's ISO date the way the page writes dates.
    """
    value = answer.get("value")
    if answer.get("type") == "choice":
        return answer.get("option_text") or (labels["not_answered"] if value is None else str(value))
    if answer.get("type") == "date":
        if value in (None, "", False):
            return labels["not_in_12_months"]
        return labels["yes_last_dose"] % {"day": day(str(value))}
    if value is True:
        return labels["yes"]
    if value is False:
        return labels["no"]
    return labels["not_answered"] if value is None else str(value)


@dataclass(frozen=True)
class Clinic:
    """Who issues and seals a document: printed on every page, with the address where its code is checked."""

    name: str
    timezone: str
    verify_url: str = "http://127.0.0.1:5000/verify"  # printed on every page with the document's code
    address: str | None = None  # printed beside the name, when the clinic (one site of a chain) gives one


COMPREHENSION_FLAG_PREFIX = "comprehension."  # screening ids have no dot, so a flag's question never clashes with one


def flag_id(question: str) -> str:
    """The flag's question id for a comprehension question, distinct from every screening question."""
    return COMPREHENSION_FLAG_PREFIX + question


READ_STEPS = ("explanation", "comprehension", "screening", "review")  # steps whose words are read and agreed or answered


def step_language(record: Mapping[str, Any], step: str) -> str:
    """The language a step was completed in; the consent's language where the record does not say."""
    for event in (record.get("trail") or {}).get("steps") or []:
        if event.get("step") == step and event.get("language"):
            return str(event["language"])
    return str(record.get("language") or "")


def words_in(record: Mapping[str, Any], language: str) -> Mapping[str, Any]:
    """The words shown in a language: the consent's own, or those kept for a part read in another language."""
    for ref in record.get("other_texts") or []:
        if (ref.get("shown") or {}).get("language") == language:
            return ref.get("shown") or {}
    return (record.get("texts") or {}).get("shown") or {}


def other_language_parts(record: Mapping[str, Any]) -> list[tuple[str, str, int]]:
    """Which parts were read in another language than the consent's, in order: (language, part, risk number).

    `part` is a step id (explanation, comprehension, screening, review) or "risk" with the risk's 1-based number.
    """
    own = str(record.get("language") or "")
    parts: list[tuple[str, str, int]] = []
    if step_language(record, "explanation") != own:
        parts.append((step_language(record, "explanation"), "explanation", 0))
    for number, ack in enumerate(record.get("risks") or [], start=1):
        if ack.get("language") and ack["language"] != own:
            parts.append((str(ack["language"]), "risk", number))
    parts += [(step_language(record, step), step, 0) for step in READ_STEPS[1:] if step_language(record, step) != own]
    return parts
