"""The identity the front desk checked against the identity the patient signed for.

The desk checks an identity document for the name and date of birth it enters; the patient may then
correct them on the tablet (a typo, a second surname) or change them to someone else's. Either way the
check no longer covers the signed identity on its own, so the consent says what was checked and a
doctor confirms who the patient is (rules.yaml `derived`, a rule of kind `identity_changed_after_check`).
"""

from __future__ import annotations

import unicodedata

from kiosk.core.dates import format_day
from kiosk.documents.record import CheckedIdentity as Person
from kiosk.documents.record import Flag
from kiosk.rules.screening import Facts, derived_flags
from kiosk.texts.model import Rules



def same_person(a: Person, b: Person) -> bool:
    """Same name (ignoring case, spacing and Unicode form) and the same date of birth."""
    return _folded(a["full_name"]) == _folded(b["full_name"]) and a["date_of_birth"] == b["date_of_birth"]


def _folded(name: str) -> str:
    return " ".join(unicodedata.normalize("NFC", name).casefold().split())


def identity_change_flags(rules: Rules, *, checked: Person | None, how: str | None, signed: Person,
                          language: str) -> list[Flag]:
    """A flag for each `identity_changed_after_check` rule when the desk checked one identity and another signed.

    `how` is already in the reason's language; birth dates are written the way `language` writes them.
    """
    if checked is None or not how or same_person(checked, signed):
        return []
    # a clinic's rules without such a rule raise nothing: the PDF still says what was checked
    return derived_flags(rules, Facts(checked=_words(checked, language), how=how, signed=_words(signed, language)))


def _words(person: Person, language: str) -> str:
    return f"{person['full_name']} ({format_day(person['date_of_birth'], language)})"
