"""Readiness: the one answer to "may this patient be treated?", from a consent's (or check-in's) facts alone.

Pure: no Flask, no database. Lists and pages show the answer's words through kiosk.core.vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass
from kiosk.documents.record import Decision, severity_rank

DECISIONS: tuple[Decision, ...] = ("cleared", "not_cleared", "consultation", "representative")
# "representative": the doctor recorded that the patient cannot decide alone; a check-in cannot carry it (the
# consent itself must be signed again, with a representative, README "Issue 17 leftovers")
CHECKIN_DECISIONS: tuple[Decision, ...] = ("cleared", "not_cleared", "consultation")
READINESS_KEYS = ("not_ready", "cleared", "not_cleared", "consultation", "representative", "ready", "withdrawn")
TREATABLE = ("ready", "cleared")  # the keys under which a session may go ahead
NEEDS_DOCTOR = severity_rank("review")  # ranks 0 (stop) and 1 (review) must be seen by a doctor


@dataclass(frozen=True)
class Readiness:
    """A readiness key (for styling, rules and tests); its words come from the vocabulary where it is shown."""

    key: str  # one of READINESS_KEYS

    @property
    def treatable(self) -> bool:
        """May a session go ahead on this answer?"""
        return self.key in TREATABLE


def readiness(status: str, rank: int, decision: str | None) -> Readiness:
    """Every list and page that shows a consent or check-in asks this, so they can never disagree.

    status: the consent's (or check-in's) status; rank: severity_rank of its highest flag;
    decision: the newest doctor's decision, if any.
    """
    if status == "withdrawn":
        key = "withdrawn"
    elif decision in DECISIONS:
        key = decision
    elif rank <= NEEDS_DOCTOR:
        key = "not_ready"
    else:
        key = "ready"
    return Readiness(key)
