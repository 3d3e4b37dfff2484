"""Who signs a consent besides the patient: a representative, an interpreter, a witness.

Pure (no Flask, no database, no clock): the visit day is an argument. A representative is needed when the
patient is below the age of the rules' `age_below` rule (`under_18`) or when the desk or the doctor recorded
that the patient cannot decide alone (Ley 41/2002, art. 9); an interpreter and a witness sign when the desk
named one. They sign in this order, after the patient.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, Literal

from kiosk.documents.record import Flag
from kiosk.rules.screening import age_on
from kiosk.texts.model import Rules

Role = Literal["representative", "interpreter", "witness"]
ROLES: tuple[Role, ...] = ("representative", "interpreter", "witness")
RELATIONSHIPS = ("parent", "legal_guardian", "other_legal_representative")


def minor(rules: Rules, date_of_birth: date, as_of: date) -> bool:
    """True when an age_below rule that a representative can meet (it has a reason_represented) fires on the visit day.

    Rules of version 1 had no representative: their under_18 was a stop, and such a consent is signed as it was.
    """
    return any(rule.kind == "age_below" and rule.reason_represented
               and age_on(date_of_birth, as_of) < rule.params["min_age"] for rule in rules.derived)


def needs_representative(rules: Rules, date_of_birth: date, as_of: date, people: Mapping[str, Any]) -> bool:
    """A minor, or a patient the desk or the doctor recorded as unable to decide alone."""
    return minor(rules, date_of_birth, as_of) or bool(people.get("cannot_decide_alone"))


def signers(rules: Rules, date_of_birth: date, as_of: date, people: Mapping[str, Any]) -> tuple[Role, ...]:
    """Everyone who signs after the patient, in order: a representative when needed or named, then the others named."""
    out: list[Role] = []
    if people.get("representative") or needs_representative(rules, date_of_birth, as_of, people):
        out.append("representative")
    out += [role for role in ("interpreter", "witness") if people.get(role)]
    return tuple(out)


def missing_at_desk(rules: Rules, date_of_birth: date, as_of: date, people: Mapping[str, Any]) -> tuple[Role, ...]:
    """The signers needed whom the desk has not named yet (only a representative can be needed without one)."""
    return tuple(role for role in signers(rules, date_of_birth, as_of, people) if not people.get(role))


def represented_flags(rules: Rules, flags: list[Flag], *, date_of_birth: date, as_of: date,
                      representative: str, relationship: str) -> list[Flag]:
    """The flags with each age_below rule's reason saying who consented, where the rule words it."""
    by_id = {rule.id: rule for rule in rules.derived if rule.kind == "age_below" and rule.reason_represented}
    out: list[Flag] = []
    for flag in flags:
        rule = by_id.get(flag["question"])
        if rule is not None:
            flag = Flag(question=flag["question"], severity=flag["severity"], reason=rule.reason_represented.format(
                age=age_on(date_of_birth, as_of), min_age=rule.params["min_age"], as_of=as_of.isoformat(),
                representative=representative, relationship=relationship))
        out.append(flag)
    return out
