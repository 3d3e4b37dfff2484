"""The screening rules engine: answers in, flags for the doctor out.

Pure and deterministic (no Flask, no database, no clock): the visit date is an
argument, so the same answers always give the same flags and the clinic can
dry-run its rules from the command line.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from kiosk.documents.record import Flag
from kiosk.texts.model import DerivedRule, Question, Rules, in_asking_order

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class ScreeningError(ValueError):
    """An answer the engine cannot judge; never ignored, since a silent skip could hide a contraindication."""

    def __init__(self, key: str, value: Any, problem: str) -> None:
        super().__init__(f"{key}: {problem} (got {_show(value)})")
        self.key = key
        self.value = value
        self.problem = problem


def _show(value: Any) -> str:
    if isinstance(value, (date, str)):
        return repr(str(value))
    return repr(value) if not isinstance(value, bool) else str(value).lower()


def parse_date(key: str, value: Any) -> date:
    """Accept a date or a strict ISO YYYY-MM-DD string; anything else is the wrong type."""
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise ScreeningError(key, value, "expected a date as YYYY-MM-DD")


def months_before(day: date, months: int) -> date:
    """The same calendar day `months` months earlier, clamped to the month's last day."""
    index = day.year * 12 + (day.month - 1) - months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def age_on(date_of_birth: date, day: date) -> int:
    """Age in whole years on `day`, counting a birthday as reached on the day itself."""
    return day.year - date_of_birth.year - ((day.month, day.day) < (date_of_birth.month, date_of_birth.day))


def screen(
    rules: Rules,
    modality: str,
    answers: Mapping[str, Any],
    date_of_birth: Any,
    as_of: date,
    planned_modality: str | None = None,
) -> list[Flag]:
    """Flags raised by these answers for this treatment on the visit date (and the plan, when one was recorded)."""
    _check_modality(rules, "modality", modality)
    if planned_modality is not None:
        _check_modality(rules, "planned_modality", planned_modality)
    for key in answers:
        if rules.question(key) is None:
            raise ScreeningError(key, answers[key], "unknown question id")
    dob = parse_date("date_of_birth", date_of_birth)
    if dob > as_of:
        raise ScreeningError("date_of_birth", date_of_birth, f"is after the visit date {as_of.isoformat()}")
    flags = _judge(rules.questions, modality, answers, as_of)
    facts = Facts(modality=modality, as_of=as_of, date_of_birth=dob, planned_modality=planned_modality)
    return flags + derived_flags(rules, facts)


def screen_checkin(rules: Rules, modality: str, answers: Mapping[str, Any], as_of: date) -> list[Flag]:
    """Flags raised by a pre-session check-in's answers, judged exactly like the screening answers."""
    _check_modality(rules, "modality", modality)
    known = {q.id for q in rules.checkin_questions}
    for key in answers:
        if key not in known:
            raise ScreeningError(key, answers[key], "unknown check-in question id")
    return _judge(rules.checkin_questions, modality, answers, as_of)


def _check_modality(rules: Rules, key: str, modality: Any) -> None:
    if not isinstance(modality, str) or modality not in rules.modalities:
        raise ScreeningError(key, modality, f"unknown treatment (known: {', '.join(rules.modalities)})")


def is_asked(question: Question, modality: str, answers: Mapping[str, Any]) -> bool:
    """Asked for this treatment and, for a follow-up, once its question was answered yes."""
    return question.applies_to(modality) and (question.asked_if is None or answers.get(question.asked_if) is True)


def _judge(questions: tuple[Question, ...], modality: str, answers: Mapping[str, Any], as_of: date) -> list[Flag]:
    """Each asked question's answer against its rule; a missing, mistyped or unasked follow-up answer is an error."""
    flags: list[Flag] = []
    for question in in_asking_order([q for q in questions if q.applies_to(modality) or q.asked_if]):
        if question.asked_if is not None and not is_asked(question, modality, answers):
            if question.id in answers:
                raise ScreeningError(question.id, answers[question.id],
                                     f"a follow-up answered when it was not asked ({question.asked_if} was not answered yes)")
            continue
        if question.id not in answers:
            raise ScreeningError(question.id, None, "missing answer to a question this treatment asks")
        flag = _judge_one(question, modality, answers[question.id], as_of)
        if flag is not None:
            flags.append(flag)
    return flags


def _judge_one(question: Question, modality: str, value: Any, as_of: date) -> Flag | None:
    if question.type == "bool":
        if not isinstance(value, bool):
            raise ScreeningError(question.id, value, "expected true or false")
        severity = question.severity_for(modality, value)
        return Flag(question=question.id, severity=severity, reason=question.reason) if value and severity else None
    if question.type == "choice":
        if not isinstance(value, str) or value not in question.options:
            raise ScreeningError(question.id, value, f"unknown option (options: {', '.join(question.options)})")
        severity = question.severity_for(modality, value)
        if severity is None:
            return None
        return Flag(question=question.id, severity=severity, reason=question.reason.format(value=value))
    if value is None or value == "":
        return None
    last = parse_date(question.id, value)
    if last > as_of:
        raise ScreeningError(question.id, value, f"is after the visit date {as_of.isoformat()}")
    assert question.within_months is not None
    severity = question.severity_for(modality, value)
    if severity is None or last <= months_before(as_of, question.within_months):
        return None
    reason = question.reason.format(value=last.isoformat(), as_of=as_of.isoformat(), within_months=question.within_months)
    return Flag(question=question.id, severity=severity, reason=reason)


@dataclass(frozen=True)
class Facts:
    """What derived rules read besides the answers; a fact left None means that kind of rule cannot be judged."""

    modality: str | None = None
    as_of: date | None = None
    date_of_birth: date | None = None
    planned_modality: str | None = None
    checked: str | None = None  # identity_changed_after_check: the identity the desk checked, in words
    how: str | None = None
    signed: str | None = None  # the identity signed for, in words; set only when it differs from `checked`
    initials: str | None = None  # initials_not_matching_name: the initials used, set only when they do not fit
    name: str | None = None
    reading: Mapping[str, Reading] | None = None  # rushed_reading: words shown and seconds on screen, per part


@dataclass(frozen=True)
class Reading:
    """How many words a part of the consent showed and how long the patient had it on screen."""

    words: int
    seconds: float

    def expected(self, words_per_minute: int) -> float:
        """Seconds to read the words at that speed."""
        return self.words * 60 / words_per_minute


def _age_below(rule: DerivedRule, facts: Facts) -> dict[str, Any] | None:
    if facts.date_of_birth is None or facts.as_of is None:
        return None
    age = age_on(facts.date_of_birth, facts.as_of)
    min_age = rule.params["min_age"]
    return {"age": age, "min_age": min_age, "as_of": facts.as_of.isoformat()} if age < min_age else None


def _differs_from_plan(rule: DerivedRule, facts: Facts) -> dict[str, Any] | None:
    planned = facts.planned_modality
    return {"planned": planned, "chosen": facts.modality} if planned and planned != facts.modality else None


def _identity_changed(rule: DerivedRule, facts: Facts) -> dict[str, Any] | None:
    if not (facts.checked and facts.how and facts.signed):
        return None
    return {"checked": facts.checked, "how": facts.how, "signed": facts.signed}


def _initials_not_matching(rule: DerivedRule, facts: Facts) -> dict[str, Any] | None:
    return {"initials": facts.initials, "name": facts.name} if facts.initials and facts.name else None


def _rushed_reading(rule: DerivedRule, facts: Facts) -> dict[str, Any] | None:
    """Fires when the explanation or the risks were on screen for less than `percent` of their reading time."""
    if not facts.reading or not {"explanation", "risks"} <= set(facts.reading):
        return None
    speed, percent = rule.params["words_per_minute"], rule.params["percent"]
    parts = {part: facts.reading[part] for part in ("explanation", "risks")}
    if all(r.seconds * 100 >= r.expected(speed) * percent for r in parts.values()):
        return None
    values: dict[str, Any] = {"words_per_minute": speed, "percent": percent}
    for part, r in parts.items():
        values[f"{part}_seconds"] = round(r.seconds)
        values[f"{part}_expected"] = round(r.expected(speed))
    return values


# Each kind in kiosk.texts.model.DERIVED_KINDS: the values its reason names when it fires, or None.
_DERIVED: dict[str, Callable[[DerivedRule, Facts], dict[str, Any] | None]] = {
    "age_below": _age_below,
    "treatment_differs_from_plan": _differs_from_plan,
    "identity_changed_after_check": _identity_changed,
    "initials_not_matching_name": _initials_not_matching,
    "rushed_reading": _rushed_reading,
}


def derived_flags(rules: Rules, facts: Facts) -> list[Flag]:
    """Every derived rule in rules.yaml that fires on these facts, in file order."""
    flags: list[Flag] = []
    for rule in rules.derived:
        values = _DERIVED[rule.kind](rule, facts)
        if values is not None:
            flags.append(Flag(question=rule.id, severity=rule.severity, reason=rule.reason.format(**values)))
    return flags
