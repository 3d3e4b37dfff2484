"""The clinic-editable texts and screening rules as loaded: what the rest of the app reads, never how it was parsed.

Every type here is frozen data built by kiosk.texts.loader (consent texts and
rules) and kiosk.texts.checkin (check-in words). No Flask here.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from kiosk.documents.record import QuestionShown, Severity, TextsRef, TextsShown
from kiosk.documents.wording import AREAS_SLOT, in_a_sentence


SEVERITIES: tuple[Severity, ...] = ("stop", "review", "info")
AnswerType = Literal["bool", "date", "choice"]
ANSWER_TYPES: tuple[AnswerType, ...] = ("bool", "date", "choice")
SECTION_IDS = (
    "what_it_is",
    "how_a_session_goes",
    "number_of_sessions",
    "benefits",
    "alternatives",
    "aftercare",
    "limits",
)


@dataclass(frozen=True)
class DerivedKind:
    """What a kind of derived rule (rules.yaml `derived: kind`) takes and what its reason may name."""

    params: tuple[str, ...]  # whole-number parameters, each required
    placeholders: tuple[str, ...]
    maximum: int = 149  # the largest value a parameter may take (an age; a reading speed goes higher)


# The kinds of rule computed from the patient's details rather than one answer; each rule in rules.yaml names one.
DERIVED_KINDS: dict[str, DerivedKind] = {
    "age_below": DerivedKind(("min_age",), ("age", "min_age", "as_of")),
    "treatment_differs_from_plan": DerivedKind((), ("planned", "chosen")),
    "identity_changed_after_check": DerivedKind((), ("checked", "how", "signed")),
    "initials_not_matching_name": DerivedKind((), ("initials", "name")),
    "rushed_reading": DerivedKind(("words_per_minute", "percent"),
                                  ("words_per_minute", "percent", "explanation_seconds", "explanation_expected",
                                   "risks_seconds", "risks_expected"), maximum=1000),
}
CHECK_QUESTIONS = (2, 3)  # how many comprehension questions a treatment asks, at least and at most
CHECK_OPTIONS = (2, 4)  # how many options a comprehension question offers




class TextsError(Exception):
    """Raised with every problem found, so the director can fix them all in one go."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("\n".join(errors))
        self.errors = errors


@dataclass(frozen=True)
class Question:
    id: str
    type: AnswerType
    reason: str
    severity: dict[str, Severity]  # bool and date: per treatment; empty for a choice
    within_months: int | None = None
    options: tuple[str, ...] = ()  # a choice's option ids, in the order shown
    option_severity: dict[str, dict[str, Severity]] = field(default_factory=dict)  # a choice: per treatment, per option
    asked_if: str | None = None  # a follow-up: asked only once this yes/no question is answered yes

    def applies_to(self, modality: str) -> bool:
        """A question is asked only for the treatments its rule names."""
        return modality in self.severity or modality in self.option_severity

    def severity_for(self, modality: str, value: Any) -> Severity | None:
        """How serious this answer is for this treatment: a yes, a date in the window, or a choice's option."""
        if self.type == "choice":
            return self.option_severity.get(modality, {}).get(value)
        return self.severity.get(modality)


@dataclass(frozen=True)
class DerivedRule:
    id: str
    kind: str  # one of DERIVED_KINDS: what the engine computes
    severity: Severity
    reason: str
    params: dict[str, int]
    # age_below only: the reason once a representative consented for the patient; "" keeps `reason`
    reason_represented: str = ""


# what an age_below rule's reason_represented may name besides its reason's placeholders
REPRESENTED_PLACEHOLDERS = ("representative", "relationship")


@dataclass(frozen=True)
class Renewal:
    """The flag on a new consent that replaces an expired or outdated one (rules.yaml `checkin.renewal`)."""

    severity: Severity
    reason_new_version: str
    reason_expired: str


@dataclass(frozen=True)
class Rules:
    version: str
    modalities: tuple[str, ...]
    questions: tuple[Question, ...]
    derived: tuple[DerivedRule, ...]
    comprehension_reason: str = ""  # what the doctor reads for a wrong comprehension answer
    checkin_questions: tuple[Question, ...] = ()
    renewal: Renewal | None = None

    def checkin_for(self, modality: str) -> list[Question]:
        """The check-in questions asked before a later session of this treatment, each follow-up under its question."""
        return in_asking_order([q for q in self.checkin_questions if q.applies_to(modality)])

    def question(self, question_id: str) -> Question | None:
        """Look up by id; None lets callers report unknown ids themselves."""
        return next((q for q in self.questions if q.id == question_id), None)

    def questions_for(self, modality: str) -> list[Question]:
        """The questions a patient choosing this treatment may answer, each follow-up under its question."""
        return in_asking_order([q for q in self.questions if q.applies_to(modality)])

    def derived_of(self, kind: str) -> list[DerivedRule]:
        """The derived rules of one kind, in file order (a clinic may have none, or several with other parameters)."""
        return [rule for rule in self.derived if rule.kind == kind]


def in_asking_order(questions: list[Question]) -> list[Question]:
    """File order, except that each follow-up comes right after the question it follows (and its own follow-ups)."""
    ids = {q.id for q in questions}
    children: dict[str, list[Question]] = {}
    for q in questions:
        if q.asked_if in ids:
            children.setdefault(q.asked_if, []).append(q)
    out: list[Question] = []

    def place(question: Question) -> None:
        if question in out:  # a cycle is refused when the rules load; never loop here
            return
        out.append(question)
        for child in children.get(question.id, []):
            place(child)

    for q in questions:
        if q.asked_if not in ids:
            place(q)
    return out


@dataclass(frozen=True)
class QuestionText:
    text: str
    help: str | None
    detail_label: str | None
    options: dict[str, str] = field(default_factory=dict)  # a choice: option id to its words, in the order shown
    short: str | None = None  # a few words naming the question for staff lists (the doctors' queue); never shown to patients


@dataclass(frozen=True)
class RiskText:
    id: str
    title: str
    text: str


@dataclass(frozen=True)
class CheckOption:
    id: str
    text: str


@dataclass(frozen=True)
class CheckQuestion:
    """A multiple-choice question asked after the risks, to see whether the patient understood them."""

    id: str
    text: str
    options: tuple[CheckOption, ...]
    answer: str  # the id of the one right option
    explanation: str

    def option(self, option_id: str | None) -> CheckOption | None:
        """Look up by id; None for an id this question does not offer."""
        return next((o for o in self.options if o.id == option_id), None)


@dataclass(frozen=True)
class ModalityText:
    id: str
    version: str
    title: str
    summary: str
    planned_sessions: int
    sections: dict[str, str]
    risks: tuple[RiskText, ...]
    comprehension: tuple[CheckQuestion, ...] = ()


@dataclass(frozen=True)
class CommonText:
    version: str
    areas: dict[str, str]
    section_titles: dict[str, str]
    esign_statement: str
    consent_statement: str
    signature_meaning: str
    flagged_notice: str
    photo_consent: PhotoConsentText | None = None  # the optional photo consent after the signature


PHOTO_USES = ("record", "teaching", "publicity")  # each its own tick, in this order wherever they are shown


@dataclass(frozen=True)
class PhotoConsentText:
    """What the patient reads when choosing what photos of them may be used for; each use is its own tick."""

    title: str
    intro: str
    uses: dict[str, str]  # record | teaching | publicity -> the words of the tick
    change: str


def worded_uses(words: PhotoConsentText | None, chosen: Iterable[str]) -> list[tuple[str, bool]]:
    """Every photo use in the patient's words (its id where none are given), each with whether it was chosen."""
    picked = set(chosen)
    return [(words.uses[use] if words else use, use in picked) for use in PHOTO_USES]


@dataclass(frozen=True)
class LanguageTexts:
    language: str
    common: CommonText
    questions: dict[str, QuestionText]
    modalities: dict[str, ModalityText]


@dataclass(frozen=True)
class CheckinText:
    """Everything the patient reads during a check-in, in one language."""

    language: str
    version: str
    title: str
    intro: str
    questions: dict[str, QuestionText]
    statement: str
    signature_meaning: str
    flagged_notice: str
    clean_notice: str


@dataclass(frozen=True)
class PeopleText:
    """What a representative, an interpreter and a witness read before they sign, in one language."""

    language: str
    version: str
    representative_statement: str  # {patient}, {treatment}
    interpreter_statement: str  # {language}
    witness_statement: str  # {patient}
    assent_note: str  # printed above the representative's consent: the patient's own signature is their assent

    def statement(self, role: str, *, patient: str, treatment: str, language: str = "") -> str:
        """The statement `role` signs, filled in for this patient and treatment."""
        template = {"representative": self.representative_statement, "interpreter": self.interpreter_statement,
                    "witness": self.witness_statement}[role]
        return template.format(patient=patient, treatment=treatment, language=language)


@dataclass(frozen=True)
class AftercareText:
    """The words around a treatment's aftercare advice on the sheet handed out after each session, in one language."""

    language: str
    version: str
    title: str
    reference: str  # {id}: the consent's document id, in the page header
    patient: str
    treatment: str
    session: str  # {number}
    session_date: str
    areas: str
    advice: str
    when_to_call_title: str
    when_to_call: str
    handout: str


@dataclass(frozen=True)
class Texts:
    rules: Rules
    languages: dict[str, LanguageTexts]
    source: str = ""
    checkin: dict[str, CheckinText] = field(default_factory=dict)
    people: dict[str, PeopleText] = field(default_factory=dict)
    aftercare: dict[str, AftercareText] = field(default_factory=dict)
    worded_rules: dict[str, Rules] = field(default_factory=dict)  # the rules with reasons in each language
    _cache: dict[tuple[str, str], TextsRef] = field(default_factory=dict, compare=False, repr=False)

    def language(self, language: str) -> LanguageTexts:
        """Fall back to English so a stale language choice never breaks a page."""
        return self.languages.get(language) or self.languages["en"]

    def rules_in(self, language: str) -> Rules:
        """The rules with their reasons in this language (<lang>/reasons.yaml), so a flag reads as its consent does."""
        return self.worded_rules.get(language) or self.rules

    def checkin_text(self, language: str) -> CheckinText:
        """The check-in words in this language, falling back to English like `language`."""
        return self.checkin.get(language) or self.checkin["en"]

    def people_text(self, language: str) -> PeopleText:
        """The representative's, interpreter's and witness's words in this language, falling back to English."""
        return self.people.get(language) or self.people["en"]

    def aftercare_text(self, language: str) -> AftercareText:
        """The aftercare sheet's words in this language, falling back to English."""
        return self.aftercare.get(language) or self.aftercare["en"]

    def modality(self, language: str, modality: str) -> ModalityText:
        return self.language(language).modalities[modality]

    def reference(self, language: str, modality: str) -> TextsRef:
        """Version, fingerprint and full words shown, which every consent stores."""
        key = (language, modality)
        if key not in self._cache:
            lang = self.language(language)
            shown = _shown(lang, self.rules, modality)
            self._cache[key] = TextsRef(
                version=lang.modalities[modality].version,
                common_version=lang.common.version,
                rules_version=self.rules.version,
                sha256=fingerprint(shown),
                shown=shown,
            )
        return self._cache[key]


def fingerprint(shown: Mapping[str, Any]) -> str:
    """SHA-256 of canonical JSON, so anyone holding the stored words (a consent's or a check-in's) can recompute it."""
    canonical = json.dumps(shown, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def shown_question(question: Question, words: QuestionText) -> QuestionShown:
    """A question as the patient read it; a choice with its options' words, a follow-up naming its question."""
    shown = QuestionShown(id=question.id, type=question.type, text=words.text)
    if question.type == "choice":
        shown["options"] = [{"id": o, "text": words.options.get(o, o)} for o in question.options]
    if question.asked_if:
        shown["asked_if"] = question.asked_if
    return shown


def _shown(lang: LanguageTexts, rules: Rules, modality: str) -> TextsShown:
    mod = lang.modalities[modality]
    return TextsShown(
        language=lang.language,
        modality=modality,
        title=mod.title,
        summary=mod.summary,
        sections=[
            {"id": sid, "title": lang.common.section_titles[sid], "text": mod.sections[sid]}
            for sid in SECTION_IDS
        ],
        risks=[{"id": r.id, "title": r.title, "text": r.text} for r in mod.risks],
        questions=[shown_question(q, lang.questions[q.id]) for q in rules.questions_for(modality)],
        comprehension=[
            {"id": c.id, "text": c.text, "options": [{"id": o.id, "text": o.text} for o in c.options],
             "answer": c.answer, "explanation": c.explanation}
            for c in mod.comprehension
        ],
        esign_statement=lang.common.esign_statement,
        # the title mid-sentence; {areas} stays for the patient's own areas (kiosk.documents.wording)
        consent_statement=lang.common.consent_statement.format(treatment=in_a_sentence(mod.title), areas=AREAS_SLOT),
        signature_meaning=lang.common.signature_meaning.format(treatment=in_a_sentence(mod.title)),
    )
