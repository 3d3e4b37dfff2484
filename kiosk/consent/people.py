"""Use cases for the people who sign after the patient: the desk names them, each signs once on the tablet.

The last of them to sign submits the consent (kiosk.consent.submission), so the record, its PDF and its seal hold
every signature at once. A minor's consent, or that of a patient who cannot decide alone, is never sealed without
a representative's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.consent import signers, submission
from kiosk.core import audit
from kiosk.core.audit import Who
from kiosk.core.models import Consent, Draft
from kiosk.documents.record import Clinic
from kiosk.documents.sealing import SealKey
from kiosk.rules import people as who_signs
from kiosk.texts.model import Texts


class AlreadySigned(Exception):
    """This person has already signed this consent; a second signature is refused, the first one kept."""


class NotNamed(Exception):
    """The desk has not named anyone for this role (yet); the tablet says so and the desk is told."""


class SessionNotOpen(Exception):
    """The session is missing, signed or cancelled: who signs it can no longer change."""


class NotSignedByPatient(Exception):
    """The patient has not signed yet: everyone else signs after them."""


@dataclass(frozen=True)
class Waiting:
    """Where a draft's signatures stand: who signs next, and whom the desk still has to name."""

    next_role: str | None  # None when everyone named has signed
    missing_at_desk: tuple[str, ...]
    signed: tuple[str, ...]


def waiting(draft: Draft, *, texts: Texts, today: date) -> Waiting:
    """Who signs next on this draft, and who the desk still has to name (a minor's representative)."""
    named = signers.people(draft)
    identity = draft.data.get("identity") or draft.data.get("prefill") or {}
    dob = date.fromisoformat(identity["date_of_birth"]) if identity.get("date_of_birth") else today
    roles = who_signs.signers(texts.rules, dob, today, named)
    kept = signers.held(draft)
    return Waiting(next_role=next((role for role in roles if role not in kept), None),
                   missing_at_desk=who_signs.missing_at_desk(texts.rules, dob, today, named),
                   signed=tuple(role for role in kept if role != "patient"))


def countersign(session: Session, draft: Draft, role: str, signature: submission.SignatureInput, *, texts: Texts,
                clinic: Clinic, seal_key: SealKey, who: Who, now: datetime) -> Consent | None:
    """Keep `role`'s signature; the last one needed seals the consent (returned), before that None."""
    kept = signers.held(draft)
    if "patient" not in kept:
        raise NotSignedByPatient()
    if role in kept:
        raise AlreadySigned(role)
    named = signers.people(draft).get(role)
    if not named:
        raise NotNamed(role)
    signers.hold(session, draft, role, {"method": signature.method, "png": signature.png,
                                        "typed_name": signature.typed_name, "printed_name": signature.printed_name,
                                        "named": named}, now)
    audit.record(session, who, "countersigned", target=f"draft {draft.id}", detail={"role": role}, at=now)
    patient = signers.held(draft)["patient"]
    patient_signature = submission.SignatureInput(method=patient["method"], png=patient["png"],
                                                  typed_name=patient.get("typed_name"),
                                                  printed_name=patient["printed_name"])
    try:
        return submission.submit(session, draft, patient_signature, texts=texts, clinic=clinic, seal_key=seal_key,
                                 now=now, final=True)
    except submission.AwaitingSigners:
        return None


def name_people(session: Session, draft_id: int, named: dict[str, Any], *, who: Who, now: datetime) -> Draft:
    """The desk names (or changes) the representative, interpreter and witness of an open session."""
    draft = open_session(session, draft_id)
    signers.set_people(session, draft, named, now)
    audit.record(session, who, "people_named", target=f"draft {draft.id}",
                 detail={"roles": sorted(role for role in named if named[role])}, at=now)
    return draft


def minor_on(texts: Texts, today: date) -> Callable[[date | None], bool]:
    """For a form that asks a birth date: is a patient born then a minor today, by the rules' age_below rule."""
    return lambda born: born is not None and who_signs.minor(texts.rules, born, today)


def draft_patient_is_minor(draft: Draft, *, texts: Texts, today: date) -> bool:
    """Whether the patient of this session is a minor today, from the birth date the patient (or the desk) gave."""
    identity = draft.data.get("identity") or draft.data.get("prefill") or {}
    born = identity.get("date_of_birth")
    return isinstance(born, str) and who_signs.minor(texts.rules, date.fromisoformat(born), today)


@dataclass(frozen=True)
class Awaiting:
    """A signed-by-the-patient session still waiting for others: who, and whom the desk must name first."""

    roles: tuple[str, ...]
    not_named: tuple[str, ...]


def awaiting(session: Session, draft_ids: list[int]) -> dict[int, Awaiting]:
    """The sessions among these whose patient has signed and who still wait for someone, for the desk's list."""
    if not draft_ids:
        return {}
    found = session.scalars(select(Draft).where(Draft.id.in_(draft_ids), Draft.status == "open"))
    return {draft.id: Awaiting(signers.awaited(draft), signers.not_named(draft))
            for draft in found if signers.awaited(draft)}


def open_session(session: Session, draft_id: int) -> Draft:
    """An open session the desk may name people for; SessionNotOpen when it is missing, signed or cancelled."""
    draft = session.get(Draft, draft_id)
    if draft is None or draft.status != "open":
        raise SessionNotOpen(draft_id)
    return draft


def named(draft: Draft) -> dict[str, Any]:
    """Who the desk named for this session, to show again on its page."""
    return signers.people(draft)


@dataclass(frozen=True)
class Statement:
    """What one person reads before they sign: their name as the desk entered it and their statement."""

    name: str
    text: str
    language: str | None  # the interpreter's language


def statement(draft: Draft, role: str, *, texts: Texts) -> Statement | None:
    """`role`'s statement for this draft's patient and treatment, in the draft's language; None if no one is named."""
    person = signers.people(draft).get(role)
    if not person:
        return None
    treatment = texts.reference(draft.language, draft.data["treatment"]["modality"])["shown"]["title"]
    words = texts.people_text(draft.language)
    text = words.statement(role, patient=draft.data["identity"]["full_name"], treatment=treatment,
                           language=person.get("language", ""))
    return Statement(name=person["full_name"], text=text, language=person.get("language"))


def patient_signed(draft: Draft) -> bool:
    """The patient's signature is kept and waits for the others'."""
    return "patient" in signers.held(draft)
