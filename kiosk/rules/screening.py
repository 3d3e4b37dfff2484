"""The screening rules engine: answers in, flags for the doctor out.

Pure and deterministic (no Flask, no database, no clock): the visit date is an
argument, so the same answers always give the same flags and the clinic can
dry-run its rules from the command line.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from kiosk.documents.record import Flag
from kiosk.texts.model import Question, Rules

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
) -> list[Flag]:
    """Flags raised by these answers for this treatment on the visit date."""
    if modality not in rules.modalities:
        raise ScreeningError("modality", modality, f"unknown treatment (known: {', '.join(rules.modalities)})")
    for key in answers:
        if rules.question(key) is None:
            raise ScreeningError(key, answers[key], "unknown question id")
    dob = parse_date("date_of_birth", date_of_birth)
    if dob > as_of:
        raise ScreeningError("date_of_birth", date_of_birth, f"is after the visit date {as_of.isoformat()}")

    flags = _judge(rules.questions_for(modality), modality, answers, as_of)
    for rule in rules.derived:
        if rule.id == "under_18":
            age = age_on(dob, as_of)
            min_age = rule.params["min_age"]
            if age < min_age:
                reason = rule.reason.format(age=age, min_age=min_age, as_of=as_of.isoformat())
                flags.append(Flag(question=rule.id, severity=rule.severity, reason=reason))
    return flags


def screen_checkin(rules: Rules, modality: str, answers: Mapping[str, Any], as_of: date) -> list[Flag]:
    """Flags raised by a pre-session check-in's answers, judged exactly like the screening answers."""
    if modality not in rules.modalities:
        raise ScreeningError("modality", modality, f"unknown treatment (known: {', '.join(rules.modalities)})")
    known = {q.id for q in rules.checkin_questions}
    for key in answers:
        if key not in known:
            raise ScreeningError(key, answers[key], "unknown check-in question id")
    return _judge(rules.checkin_for(modality), modality, answers, as_of)


def _judge(questions: list[Question], modality: str, answers: Mapping[str, Any], as_of: date) -> list[Flag]:
    """Each asked question's answer against its rule; a missing or mistyped answer is an error, never a pass."""
    flags: list[Flag] = []
    for question in questions:
        if question.id not in answers:
            raise ScreeningError(question.id, None, "missing answer to a question this treatment asks")
        value = answers[question.id]
        severity = question.severity[modality]
        if question.type == "bool":
            if not isinstance(value, bool):
                raise ScreeningError(question.id, value, "expected true or false")
            if value:
                flags.append(Flag(question=question.id, severity=severity, reason=question.reason))
        else:
            if value is None or value == "":
                continue
            last = parse_date(question.id, value)
            if last > as_of:
                raise ScreeningError(question.id, value, f"is after the visit date {as_of.isoformat()}")
            assert question.within_months is not None
            if last > months_before(as_of, question.within_months):
                reason = question.reason.format(
                    value=last.isoformat(), as_of=as_of.isoformat(), within_months=question.within_months
                )
                flags.append(Flag(question=question.id, severity=severity, reason=reason))
    return flags
