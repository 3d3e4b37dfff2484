"""Whether a consent still covers the next session, and if not, the one reason the desk is told (kiosk.rules.validity).

Pure: the clinic's date is an argument. The course pages that show these reasons are tested in test_course.py.
"""

from __future__ import annotations

from datetime import date
from itertools import combinations
from typing import Any

import pytest

from kiosk.rules import validity
from kiosk.texts.loader import load_rules
from tests.support import ROOT

FACTS = dict(status="reviewed", readiness="cleared", signed_on=date(2026, 1, 31), texts_version="1",
             current_version="1")


@pytest.mark.parametrize(("change", "today", "months", "reason"), [
    ({}, date(2026, 6, 1), 12, None),
    ({}, date(2027, 1, 30), 12, None),
    ({}, date(2027, 1, 31), 12, "expired"),  # the same calendar day a year later is the first day not covered
    ({}, date(2026, 7, 31), 6, "expired"),
    ({"signed_on": date(2026, 8, 31)}, date(2027, 2, 27), 6, None),  # clamped to the end of February
    ({"signed_on": date(2026, 8, 31)}, date(2027, 2, 28), 6, "expired"),
    ({"status": "withdrawn", "readiness": "withdrawn"}, date(2026, 2, 1), 12, "withdrawn"),
    ({"current_version": "2"}, date(2026, 2, 1), 12, "new_version"),
    ({"readiness": "not_ready"}, date(2026, 2, 1), 12, "not_cleared"),
    ({"readiness": "consultation"}, date(2026, 2, 1), 12, "not_cleared"),
    ({"readiness": "ready"}, date(2026, 2, 1), 12, None),
])
def test_validity_rules(change: dict[str, Any], today: date, months: int, reason: str | None) -> None:
    result = validity.check(validity.ConsentFacts(**{**FACTS, **change}), today=today, months=months)
    assert result.reason == reason
    assert result.reason is None or result.reason in validity.BLOCK_REASONS  # the desk has words for each reason


# Each reason's facts; a consent can have several at once, and the desk must be told the weightiest.
_REASON_FACTS: dict[str, dict[str, Any]] = {
    "withdrawn": {"status": "withdrawn", "readiness": "withdrawn"},
    "expired": {"signed_on": date(2025, 1, 31)},  # more than 12 months before TODAY
    "new_version": {"current_version": "2"},
    "not_cleared": {"readiness": "not_cleared"},
}
_WEIGHT = ("withdrawn", "expired", "new_version", "not_cleared")  # a withdrawal is never offered a renewal


@pytest.mark.parametrize("reasons", [combo for size in (2, 3, 4) for combo in combinations(_WEIGHT, size)],
                         ids="+".join)
def test_several_reasons_give_the_weightiest(reasons: tuple[str, ...]) -> None:
    facts = dict(FACTS)
    for reason in reasons:
        facts.update(_REASON_FACTS[reason])
    result = validity.check(validity.ConsentFacts(**facts), today=date(2026, 6, 1))
    assert result.reason == reasons[0] and result.reason in validity.BLOCK_REASONS  # each reason has its words
    # a withdrawn consent older than its validity is still withdrawn: the desk is not offered a renewal
    assert result.needs_new_consent == (reasons[0] in ("expired", "new_version"))


@pytest.mark.parametrize(("signed_on", "months", "until"), [
    (date(2026, 1, 31), 12, date(2027, 1, 31)),
    (date(2026, 8, 31), 6, date(2027, 2, 28)),
    (date(2027, 8, 31), 6, date(2028, 2, 29)),
    (date(2026, 11, 15), 3, date(2027, 2, 15)),
])
def test_a_consent_covers_sessions_until_the_same_calendar_day_later(signed_on: date, months: int, until: date) -> None:
    assert validity.valid_until(signed_on, months) == until
    assert validity.check(validity.ConsentFacts(**{**FACTS, "signed_on": signed_on}), today=signed_on,
                          months=months).valid_until == until


def test_only_an_expired_or_outdated_consent_asks_for_a_new_one() -> None:
    assert validity.Validity(None, date(2027, 1, 1)).ok
    assert not validity.Validity("not_cleared", date(2027, 1, 1)).ok
    assert [validity.Validity(reason, date(2027, 1, 1)).needs_new_consent
            for reason in ("withdrawn", "expired", "new_version", "not_cleared", None)] == [
        False, True, True, False, False]


def test_a_renewal_carries_a_review_flag_saying_what_it_replaces() -> None:
    rules = load_rules(ROOT / "consent_texts")
    expired = validity.renewal_flag(rules, reason="expired", previous="CK-1", signed_on=date(2025, 1, 31),
                                    old_version="1", new_version="1")
    assert expired == {"question": "renewal", "severity": "review",
                       "reason": "Re-consent: replaces CK-1 (signed 2025-01-31), which has expired."}
    outdated = validity.renewal_flag(rules, reason="new_version", previous="CK-2", signed_on=date(2026, 3, 1),
                                     old_version="3", new_version="4")
    assert outdated["reason"] == ("Re-consent: replaces CK-2 (signed 2026-03-01 on texts version 3); the texts "
                                  "are now version 4.")
    with pytest.raises(ValueError, match="no renewal rule for 'withdrawn'"):
        validity.renewal_flag(rules, reason="withdrawn", previous="CK-3", signed_on=date(2026, 3, 1),
                              old_version="1", new_version="1")
    assert validity.renewal_flags(rules, None) == [] and validity.renewal_flags(rules, {"modality": "x"}) == []
    renews = {"reason": "expired", "document_id": "CK-1", "signed_on": "2025-01-31", "old_version": "1",
              "new_version": "1"}
    assert validity.renewal_flags(rules, {"renews": renews}) == [expired]


def test_a_consent_is_valid_for_twelve_months_unless_configured() -> None:
    facts = validity.ConsentFacts(**FACTS)  # signed 2026-01-31
    assert validity.check(facts, today=date(2027, 1, 30)).ok
    assert validity.check(facts, today=date(2027, 1, 31)).reason == "expired"
