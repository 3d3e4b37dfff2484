"""Front-desk use cases: start a patient's session, hand it to a tablet by one-time code, follow and cancel it.

The desk starts a draft with the patient's name and date of birth; the tablet gets it only through a short
code (valid once, for 30 minutes) or by the desk opening it on its own device. Every function takes `now`
so tests move time instead of sleeping; "today" is the calendar day of `now` in its own time zone, so pass
the clinic's time (views pass clinic_now()).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import flag_modified

from kiosk.core import audit, throttle
from kiosk.staff import sites
from kiosk.consent import drafts
from kiosk.core.audit import Who
from kiosk.core.dates import clinic_day_range
from kiosk.core.db import rows_updated
from kiosk.core.models import Consent, Document, Draft, TabletCode, User
from kiosk.rules.identity import same_person
from kiosk.documents import codes

CODE_LENGTH = 6
CODE_VALID_FOR = timedelta(minutes=30)
IDLE_AFTER = timedelta(minutes=30)  # an opened draft untouched this long shows as expired
MAX_FAILED_TRIES = 10
TRY_WINDOW = timedelta(minutes=15)
CODE_RULE = throttle.Rule("code", MAX_FAILED_TRIES, TRY_WINDOW)  # wrong codes from one tablet's address



class DeskError(Exception):
    """A refused desk or tablet action; the view turns it into a message."""


class SessionNotFound(DeskError):
    """No draft with that id."""


class SessionClosed(DeskError):
    """The session is already signed or cancelled, so it cannot get a code or be cancelled."""

    def __init__(self, status: str) -> None:
        super().__init__(status)
        self.status = status


class InvalidCode(DeskError):
    """Unknown, used, expired or cancelled: the tablet shows one message for all of them."""


class TooManyTries(DeskError):
    """Too many wrong codes from one address; `retry_after` says when trying is allowed again."""

    def __init__(self, retry_after: timedelta) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


@dataclass(frozen=True)
class NewPatient:
    """What the desk enters to start a session, already validated by its form."""

    full_name: str
    date_of_birth: date
    modality: str | None = None
    identity_check: str | None = None  # how the desk checked identity, printed on the consent
    people: dict[str, Any] | None = None  # who signs after the patient (kiosk.consent.signers.people)


@dataclass(frozen=True)
class IssuedCode:
    """A code to read aloud, with its draft and when it stops working."""

    draft: Draft
    code: str
    expires_at: datetime

    @property
    def display(self) -> str:
        return format_code(self.code)


@dataclass(frozen=True)
class SessionRow:
    """One line of today's list, with the status the desk sees."""

    draft_id: int
    name: str  # the name signed for, once signed; until then the name the desk entered
    entered_name: str | None  # the desk's entry, when the patient signed for someone else (see rules.identity)
    modality: str | None
    started_at: datetime
    status: str
    code_expires_at: datetime | None

    @property
    def can_cancel(self) -> bool:
        return self.status in ("waiting", "in_progress")

    @property
    def can_reissue(self) -> bool:
        return self.status in ("waiting", "in_progress", "expired")


def format_code(code: str) -> str:
    """Grouped in threes ("K7P-M2Q") so it is easy to read aloud and type."""
    return codes.grouped(code, 3)


def normalize_code(typed: str | None) -> str | None:
    """The code as stored, whatever the case, dashes or spaces typed; None when it cannot be a code."""
    return codes.normalize(typed, CODE_LENGTH)


# --- the desk ---------------------------------------------------------------------------------------------------

def issue_session(session: Session, patient: NewPatient, *, issued_by: User | None, who: Who, language: str,
                  now: datetime) -> IssuedCode:
    """Start a patient's draft and give the desk a one-time code for the tablet."""
    draft = _start(session, patient, issued_by=issued_by, language=language, now=now)
    return _new_code(session, draft, issued_by=issued_by, who=who, now=now)


def open_here(session: Session, patient: NewPatient, *, issued_by: User | None, who: Who, language: str,
              device_label: str | None, now: datetime) -> Draft:
    """Start a patient's draft already opened on the desk's own device, which the desk hands to the patient."""
    draft = _start(session, patient, issued_by=issued_by, language=language, now=now)
    _mark_opened(draft, who=who, device_label=device_label, language=None, now=now, here=True)
    audit.record(session, who, "session_opened_here", target=_target(draft), detail={"draft_id": draft.id},
                 at=now, commit=False)
    session.commit()
    return draft


def reissue_code(session: Session, draft_id: int, *, issued_by: User | None, who: Who, now: datetime) -> IssuedCode:
    """A fresh code for an open session (say, after the tablet reset); the old code stops, the answers stay."""
    draft = _open_draft(session, draft_id)
    return _new_code(session, draft, issued_by=issued_by, who=who, now=now)


def current_code(session: Session, draft_id: int, *, now: datetime) -> tuple[Draft, IssuedCode | None]:
    """The session and the code it is waiting for, if one is still unused and valid."""
    draft = session.get(Draft, draft_id)
    if draft is None:
        raise SessionNotFound(draft_id)
    code = _waiting_code(draft, now) if draft.status == "open" else None
    if code is None:
        return draft, None
    return draft, IssuedCode(draft=draft, code=code.code, expires_at=code.expires_at.astimezone(now.tzinfo))


def cancel_session(session: Session, draft_id: int, *, who: Who, now: datetime) -> Draft:
    """Close an open session for good: its codes stop and its tablet goes back to the start page."""
    draft = session.get(Draft, draft_id)
    if draft is None:
        raise SessionNotFound(draft_id)
    # conditional, so a session signed a moment ago is never turned into a cancelled one
    if not drafts.close_if_open(session, draft_id, "cancelled", now):
        session.rollback()
        session.refresh(draft)
        raise SessionClosed(draft.status)
    _expire_unused_codes(session, draft_id, now)
    audit.record(session, who, "session_cancelled", target=_target(draft), detail={"draft_id": draft.id},
                 at=now, commit=False)
    session.commit()
    session.refresh(draft)
    return draft


def today_sessions(session: Session, *, now: datetime) -> list[SessionRow]:
    """The sessions the desk started on `now`'s calendar day, newest first, each with its status."""
    return [session_row(draft, now) for draft in today_drafts(session, now=now)]


def today_drafts(session: Session, *, now: datetime) -> list[Draft]:
    """The drafts behind today's list (codes, consent and its decisions loaded), newest first."""
    if now.tzinfo is None:
        raise ValueError("naive `now`: today is a calendar day in the clinic's time zone")
    day_start, day_end = clinic_day_range(now.date(), now.date(), now.tzinfo)
    query = (select(Draft).options(selectinload(Draft.codes), selectinload(Draft.consent).selectinload(Consent.document)
                                                             .selectinload(Document.decisions))
             .where(Draft.desk_name.is_not(None)))
    if day_start is not None:
        query = query.where(Draft.created_at >= day_start)
    if day_end is not None:
        query = query.where(Draft.created_at < day_end)
    return list(session.scalars(query.order_by(Draft.created_at.desc(), Draft.id.desc())).all())


def session_status(draft: Draft, now: datetime) -> str:
    """waiting, in_progress, signed, expired or cancelled, as the desk should read it."""
    if draft.status == "submitted":
        return "signed"
    if draft.status == "cancelled":
        return "cancelled"
    if _waiting_code(draft, now) is not None:
        return "waiting"
    if (draft.trail or {}).get("opened_at") and now - draft.updated_at < IDLE_AFTER:
        return "in_progress"
    return "expired"


# --- the tablet -------------------------------------------------------------------------------------------------

def redeem_code(session: Session, typed: str, *, who: Who, device_label: str | None, language: str | None,
                now: datetime) -> Draft:
    """Open the session behind a code on this tablet, once; wrong codes count against the tablet's address."""
    tried = throttle.take(session, CODE_RULE, ip_address=who.ip_address, subject=None, now=now)
    if tried.wait is not None:
        audit.record(session, who, "code_refused", detail={"reason": "too_many_tries"}, at=now)
        raise TooManyTries(tried.wait)
    code = normalize_code(typed)
    row = _redeemable(session, code, now) if code else None
    if row is not None:  # one winner when two tablets type the same code at once
        claimed = rows_updated(session, update(TabletCode).where(TabletCode.id == row.id, TabletCode.used_at.is_(None))
                               .values(used_at=now).execution_options(synchronize_session=False))
        if claimed != 1:
            session.rollback()
            row = None
    if row is None:
        audit.record(session, who, "code_refused", detail={"reason": _refusal_reason(session, code, now)},
                     at=now, commit=False)
        session.commit()
        raise InvalidCode(typed)
    draft = row.draft
    _mark_opened(draft, who=who, device_label=device_label, language=language, now=now, here=False,
                 code=format_code(row.code))
    throttle.succeeded(session, tried)
    audit.record(session, who, "code_used", target=_target(draft), detail={"draft_id": draft.id, "code_id": row.id},
                 at=now, commit=False)
    session.commit()
    return draft


# --- helpers ----------------------------------------------------------------------------------------------------

def _start(session: Session, patient: NewPatient, *, issued_by: User | None, language: str, now: datetime) -> Draft:
    """The draft with the desk's entries; device details are filled in by the tablet that opens it."""
    prefill: dict[str, Any] = {"full_name": patient.full_name, "date_of_birth": patient.date_of_birth.isoformat()}
    if patient.modality:
        prefill["modality"] = patient.modality
    if patient.identity_check:
        prefill["identity_check"] = patient.identity_check
    if patient.people:
        prefill["people"] = patient.people
    starter = f"front desk ({issued_by.email})" if issued_by is not None else "front desk"
    draft = drafts.start_draft(session, language=language, device_label=None, ip_address=None, user_agent=None,
                               now=now, started_by=starter[:80], prefill=prefill,
                               site_id=sites.site_for_session(session, issued_by).id)
    draft.desk_name = patient.full_name
    draft.planned_modality = patient.modality or None
    draft.issued_by_id = issued_by.id if issued_by is not None else None
    _touch(draft, now)
    return draft


def _new_code(session: Session, draft: Draft, *, issued_by: User | None, who: Who, now: datetime) -> IssuedCode:
    """Expire the draft's unused codes and add a fresh one, with its audit row, in one commit."""
    replaced = _expire_unused_codes(session, draft.id, now)
    value = _unique_code(session, now)
    code = TabletCode(code=value, draft_id=draft.id, issued_by_id=issued_by.id if issued_by is not None else None,
                      issued_at=now, expires_at=now + CODE_VALID_FOR)
    session.add(code)
    session.flush()
    audit.record(session, who, "code_issued", target=_target(draft),
                 detail={"draft_id": draft.id, "code_id": code.id, "replaced": replaced}, at=now, commit=False)
    session.commit()
    session.refresh(draft)
    return IssuedCode(draft=draft, code=value, expires_at=code.expires_at)


def _unique_code(session: Session, now: datetime) -> str:
    """A random code no other live code has, so a typed code always means one session."""
    for _attempt in range(20):
        value = codes.random_code(CODE_LENGTH)
        clash = session.scalar(select(TabletCode.id).where(TabletCode.code == value, TabletCode.used_at.is_(None),
                                                           TabletCode.expires_at > now))
        if clash is None:
            return value
    raise RuntimeError("could not find a free tablet code")  # 31**6 codes: only if something is badly wrong


def _expire_unused_codes(session: Session, draft_id: int, now: datetime) -> int:
    return rows_updated(
        session, update(TabletCode)
        .where(TabletCode.draft_id == draft_id, TabletCode.used_at.is_(None), TabletCode.expires_at > now)
        .values(expires_at=now).execution_options(synchronize_session=False))


def _open_draft(session: Session, draft_id: int) -> Draft:
    draft = session.get(Draft, draft_id)
    if draft is None:
        raise SessionNotFound(draft_id)
    if draft.status != "open":
        raise SessionClosed(draft.status)
    return draft


def _mark_opened(draft: Draft, *, who: Who, device_label: str | None, language: str | None, now: datetime,
                 here: bool, code: str | None = None) -> None:
    """Note when, on which device and with which code the patient got the session, for the signed record."""
    trail = copy.deepcopy(draft.trail or {})
    trail["opened_at"] = now.isoformat()
    trail["opened_on"] = "desk device" if here else "tablet code"
    trail["opened_with_code"] = code
    draft.trail = trail
    draft.device_label = (device_label or None) and device_label[:80]
    draft.ip_address = who.ip_address
    draft.user_agent = (who.user_agent or "")[:400] or None
    if language and not drafts.completed(draft):
        draft.language = language
    _touch(draft, now)


def _touch(draft: Draft, now: datetime) -> None:
    """Set the last-activity time to `now` even when unchanged, so the column's onupdate clock cannot win."""
    draft.updated_at = now
    flag_modified(draft, "updated_at")


def _redeemable(session: Session, code: str, now: datetime) -> TabletCode | None:
    return session.scalar(
        select(TabletCode).join(Draft, Draft.id == TabletCode.draft_id)
        .where(TabletCode.code == code, TabletCode.used_at.is_(None), TabletCode.expires_at > now,
               Draft.status == "open")
        .order_by(TabletCode.id.desc()).limit(1))


def _refusal_reason(session: Session, code: str | None, now: datetime) -> str:
    """Why a code failed, for the audit log only: the tablet shows one message whatever the reason."""
    if code is None:
        return "malformed"
    latest = session.scalar(select(TabletCode).where(TabletCode.code == code).order_by(TabletCode.id.desc()).limit(1))
    if latest is None:
        return "unknown"
    if latest.draft.status != "open":
        return latest.draft.status
    if latest.used_at is not None:
        return "used"
    return "expired"


def _waiting_code(draft: Draft, now: datetime) -> TabletCode | None:
    return next((c for c in reversed(draft.codes) if c.used_at is None and c.expires_at > now), None)


def session_row(draft: Draft, now: datetime) -> SessionRow:
    """One line of today's list as the desk reads it."""
    waiting = _waiting_code(draft, now) if draft.status == "open" else None  # a closed session's code is dead
    entered = draft.desk_name or ""
    signed = draft.consent.patient_name if draft.consent is not None else entered
    changed = draft.consent is not None and not same_person(
        {"full_name": entered, "date_of_birth": str((draft.data.get("prefill") or {}).get("date_of_birth"))},
        {"full_name": signed, "date_of_birth": draft.consent.date_of_birth.isoformat()})
    return SessionRow(draft_id=draft.id, name=signed, entered_name=entered if changed else None,
                      modality=draft.planned_modality,
                      started_at=draft.created_at.astimezone(now.tzinfo), status=session_status(draft, now),
                      code_expires_at=waiting.expires_at.astimezone(now.tzinfo) if waiting else None)


def _target(draft: Draft) -> str:
    """Audit target for a session: its id, never the patient's name."""
    return f"draft {draft.id}"
