"""Use cases for a consent in progress: start it, save each step, and keep the process trail.

Every save is committed at once, so a refresh, the back button or a dropped
connection loses nothing; the browser holds only the random draft token.
"""

from __future__ import annotations

import copy
import hashlib
import secrets
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from kiosk.consent import steps
from kiosk.core.db import rows_updated
from kiosk.core.models import Draft, Site


class StepNotAllowed(Exception):
    """A step posted before the steps it depends on; the view redirects instead of saving."""

    def __init__(self, first_open: str) -> None:
        super().__init__(first_open)
        self.first_open = first_open


def start_draft(
    session: Session,
    *,
    language: str,
    device_label: str | None,
    ip_address: str | None,
    user_agent: str | None,
    now: datetime,
    started_by: str = "tablet",
    prefill: dict[str, Any] | None = None,
    site_id: int | None = None,
) -> Draft:
    """A new draft behind an unguessable token (256 bits), which is all the browser keeps.

    `site_id`: the clinic whose session it is (the desk's); None only where there is no desk (the demo): the first site.
    """
    if site_id is None:
        site_id = session.scalar(select(Site.id).order_by(Site.id).limit(1))
    draft = Draft(
        token=secrets.token_urlsafe(32),
        site_id=site_id,
        language=language,
        data={"completed": [], **({"prefill": prefill} if prefill else {})},
        trail={"started_at": now.isoformat(), "steps": {}},
        started_by=started_by,
        device_label=(device_label or None) and device_label[:80],
        ip_address=ip_address,
        user_agent=(user_agent or "")[:400] or None,
        created_at=now,
        updated_at=now,
    )
    session.add(draft)
    session.commit()
    return draft


# built once: every patient page looks its draft up, and building the statement cost as much as running it
_DRAFT_BY_TOKEN = select(Draft).where(Draft.token == bindparam("token"))


def find_draft(session: Session, token: object) -> Draft | None:
    """The draft for a token, or None for a missing or forged one (of any type: the cookie is only as safe as its key)."""
    if not isinstance(token, str) or not token or len(token) > 64:
        return None
    return session.scalar(_DRAFT_BY_TOKEN, {"token": token})


def completed(draft: Draft) -> list[str]:
    return list(draft.data.get("completed", []))


def step_data(draft: Draft, step: str) -> dict[str, Any]:
    """What the patient already entered for a step, to refill its form."""
    return dict(draft.data.get(step) or {})


def mark_shown(session: Session, draft: Draft, step: str, now: datetime) -> None:
    """Note when a step was first shown, for the process trail and time spent reading.

    Showing it again (a refresh, the back button) writes nothing, so a repeated page view is a
    read only, which any app process can serve without waiting on the database's write lock.
    """
    if "shown_at" in ((draft.trail or {}).get("steps") or {}).get(step, {}):
        return
    trail = _copy(draft.trail)
    trail.setdefault("steps", {}).setdefault(step, {}).update(shown_at=now.isoformat(), shown_language=draft.language)
    draft.trail = trail
    session.commit()


def save_step(session: Session, draft: Draft, step: str, values: dict[str, Any], now: datetime) -> None:
    """Store one step's answers and move the completed set on; refuses steps reached out of order."""
    _check_open(draft, step)
    data = _copy(draft.data)
    changed_modality = step == "treatment" and (data.get("treatment") or {}).get("modality") not in (
        None,
        values.get("modality"),
    )
    if changed_modality:
        for stale in (*steps.PER_TREATMENT, CHECK_HELD):
            data.pop(stale, None)
    if step == "comprehension":
        data.pop(CHECK_HELD, None)  # the first answers go into the step's own data
    trail = _copy(draft.trail)
    if step == "identity":  # a name or birth date the desk entered, or the patient saved before, corrected
        before = data.get("identity") or data.get("prefill") or {}
        for what in ("full_name", "date_of_birth"):
            _note_correction(trail, what, before.get(what), values.get(what), now)
    data[step] = {**values, "saved_at": now.isoformat()}
    data["completed"] = steps.after_saving(step, data.get("completed", []), changed_modality=changed_modality)
    draft.trail = trail
    _finish(session, draft, data, step, now)


def _note_correction(trail: dict[str, Any], what: str, before: object, after: object, now: datetime) -> None:
    """Keep a changed initial, name or birth date in the trail, so the record shows what was corrected and when."""
    if before in (None, "") or before == after:
        return
    trail.setdefault("corrections", []).append({"at": now.isoformat(), "what": what, "from": str(before),
                                                "to": str(after)})


def initials(draft: Draft) -> str | None:
    """The initials the patient adopted at the first risk, applied by each later one-tap acknowledgement."""
    return (draft.data.get("initials") or {}).get("value")


def adopt_initials(session: Session, draft: Draft, value: str, now: datetime) -> None:
    """Adopt (or change) the initials for the risks; a change is kept in the trail with its time."""
    _check_open(draft, "risks")
    if initials(draft) == value:
        return
    data, trail = _copy(draft.data), _copy(draft.trail)
    _note_correction(trail, "initials", initials(draft), value, now)
    data["initials"] = {"value": value, "adopted_at": now.isoformat()}
    draft.data, draft.trail = data, trail
    session.commit()


def acknowledge_risk(
    session: Session, draft: Draft, risk_id: str, initials: str, all_risk_ids: list[str], now: datetime
) -> None:
    """Record one risk's tick and initials with its own time; the step is done when every risk is."""
    _check_open(draft, "risks")
    if risk_id not in all_risk_ids:
        raise KeyError(risk_id)
    data = _copy(draft.data)
    risks = data.setdefault("risks", {})
    previous = risks.get(risk_id) or {}
    if previous.get("initials") != initials:  # the same initials again keep the first acknowledgement, as given
        # the language is evidence: the words acknowledged are those of the language on screen
        risks[risk_id] = {"initials": initials, "acknowledged_at": now.isoformat(), "language": draft.language}
    if all(rid in risks for rid in all_risk_ids):
        data["completed"] = steps.after_saving("risks", data.get("completed", []))
        _finish(session, draft, data, "risks", now)
    else:
        draft.data = data
        session.commit()


CHECK_HELD = "comprehension_first"  # first answers with a wrong one, held until those questions are answered again


def comprehension_seed(draft: Draft) -> str:
    """The seed that orders this patient's comprehension options: the same on every refresh, unlike any other
    patient's (derived one way from the draft's token, so the order printed reveals nothing of it)."""
    return hashlib.sha256(f"comprehension-order:{draft.token}".encode()).hexdigest()[:16]


def answer_check(session: Session, draft: Draft, values: dict[str, Any], all_right: bool, now: datetime) -> None:
    """Save the check when every answer was right; otherwise hold the first answers until the wrong questions are
    asked again (teach-back), so both answers are recorded."""
    if all_right:
        save_step(session, draft, "comprehension", values, now)
        return
    _check_open(draft, "comprehension")
    data = _copy(draft.data)
    data[CHECK_HELD] = {**values, "answered_at": now.isoformat()}
    draft.data = data
    draft.updated_at = now
    session.commit()


def answer_check_again(session: Session, draft: Draft, again: dict[str, str], orders: dict[str, list[str]],
                       now: datetime) -> None:
    """Record the second answers to the questions asked again, with the first ones held, and finish the step."""
    held = dict(draft.data.get(CHECK_HELD) or {})
    save_step(session, draft, "comprehension", {**held, "again": again, "again_order": orders}, now)


def next_risk_index(draft: Draft, all_risk_ids: list[str]) -> int | None:
    """The first risk not yet acknowledged, or None when all are."""
    done = (draft.data.get("risks") or {}).keys()
    return next((i for i, rid in enumerate(all_risk_ids) if rid not in done), None)


def _check_open(draft: Draft, step: str) -> None:
    if not steps.may_visit(step, completed(draft)):
        raise StepNotAllowed(steps.first_open(completed(draft)))


def _finish(session: Session, draft: Draft, data: dict[str, Any], step: str, now: datetime) -> None:
    trail = _copy(draft.trail)
    # the language the step was completed in: the words the patient agreed to, read, or answered
    trail.setdefault("steps", {}).setdefault(step, {}).update(completed_at=now.isoformat(), language=draft.language)
    draft.data = data
    draft.trail = trail
    draft.updated_at = now
    session.commit()


def _copy(value: dict[str, Any]) -> dict[str, Any]:
    """A deep copy, so SQLAlchemy sees a new JSON value and writes it."""
    return copy.deepcopy(value or {})


def set_language(session: Session, draft: Draft, language: str, now: datetime) -> None:
    """Switch the texts (and so the record and PDF) to `language`, keeping every answer; the trail notes each switch."""
    if draft.language == language:
        return
    trail = _copy(draft.trail)
    trail.setdefault("language_changes", []).append({"at": now.isoformat(), "from": draft.language, "to": language})
    draft.language = language
    draft.trail = trail
    session.commit()


def close_if_open(session: Session, draft_id: int, status: Literal["submitted", "cancelled"], now: datetime) -> bool:
    """Close a draft only if it is still open, in the caller's transaction; True when this call closed it.

    A cancel at the desk and a signature on the tablet can race: the guarded UPDATE lets exactly one win.
    The draft in the session gets the new status too; a caller whose call returned False rolls back.
    """
    closed = update(Draft).where(Draft.id == draft_id, Draft.status == "open").values(status=status, updated_at=now)
    return rows_updated(session, closed) == 1
