"""Whether a signed consent still covers the next session of its course, and if not, why.

Pure (no Flask, no database, no clock): the clinic's date is an argument, so the
desk, the doctor and the tests always get the same answer for the same facts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from kiosk.documents.record import Flag
from kiosk.rules.readiness import TREATABLE
from kiosk.rules.screening import months_before
from kiosk.texts.model import Rules

DEFAULT_VALID_MONTHS = 12
# why a check-in cannot start; the first two are fixed only by a new consent
RENEW_REASONS = ("expired", "new_version")
# "representative": a doctor recorded that the patient cannot decide alone; a new consent with one is needed
BLOCK_REASONS = ("withdrawn", *RENEW_REASONS, "representative", "not_cleared")


@dataclass(frozen=True)
class ConsentFacts:
    """What validity depends on, read from a stored consent and the texts in force."""

    status: str  # submitted | reviewed | withdrawn
    readiness: str  # a kiosk.rules.readiness key: ready, cleared, not_ready, not_cleared, consultation, withdrawn
    signed_on: date  # the clinic's calendar day of the signature
    texts_version: str  # the treatment's text version the patient signed
    current_version: str  # the treatment's text version the clinic publishes now


@dataclass(frozen=True)
class Validity:
    """`reason` is None when a check-in may start; `valid_until` is the first day the consent no longer covers."""

    reason: str | None
    valid_until: date

    @property
    def ok(self) -> bool:
        return self.reason is None

    @property
    def needs_new_consent(self) -> bool:
        return self.reason in RENEW_REASONS


def valid_until(signed_on: date, months: int) -> date:
    """The day the consent stops covering sessions: the same calendar day `months` later (clamped)."""
    return months_before(signed_on, -months)


def check(facts: ConsentFacts, *, today: date, months: int = DEFAULT_VALID_MONTHS) -> Validity:
    """The first reason, in order of weight, that stops a check-in on this consent today."""
    until = valid_until(facts.signed_on, months)
    if facts.status == "withdrawn":
        reason: str | None = "withdrawn"
    elif today >= until:
        reason = "expired"
    elif facts.texts_version != facts.current_version:
        reason = "new_version"
    elif facts.readiness == "representative":
        reason = "representative"
    elif facts.readiness not in TREATABLE:
        reason = "not_cleared"
    else:
        reason = None
    return Validity(reason, until)


def renewal_flag(rules: Rules, *, reason: str, previous: str, signed_on: date, old_version: str,
                 new_version: str) -> Flag:
    """The flag a replacing consent carries, so a doctor reviews it before treatment goes on."""
    renewal = rules.renewal
    if renewal is None or reason not in RENEW_REASONS:
        raise ValueError(f"no renewal rule for {reason!r}")
    template = renewal.reason_new_version if reason == "new_version" else renewal.reason_expired
    text = template.format(previous=previous, signed_on=signed_on.isoformat(), old_version=old_version,
                           new_version=new_version)
    return Flag(question="renewal", severity=renewal.severity, reason=text)


def renewal_flags(rules: Rules, prefill: dict[str, Any] | None) -> list[Flag]:
    """The flag of a consent the desk started as a renewal (none for an ordinary consent)."""
    renews = (prefill or {}).get("renews")
    if not renews:
        return []
    return [renewal_flag(rules, reason=renews["reason"], previous=renews["document_id"],
                         signed_on=date.fromisoformat(renews["signed_on"]), old_version=renews["old_version"],
                         new_version=renews["new_version"])]
