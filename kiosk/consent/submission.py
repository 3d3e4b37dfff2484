"""Turn a finished draft into a signed consent: record, flags and PDF stored in one transaction.

The done page is shown only after the commit, and a second submission of the
same draft (a double tap, a retry after a timeout) returns the first consent
instead of making another.
"""

from __future__ import annotations

import hashlib
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kiosk.consent import drafts
from kiosk.consent import signers
from kiosk.consent import records, steps
from kiosk.consent.records import SignatureInput
from kiosk.core.models import Consent, ConsentEvent, ConsentFlag, Document, DocumentRevision, Draft
from kiosk.documents import codes
from kiosk.documents.pdf import render_consent_pdf
from kiosk.documents.record import (Clinic, severity_rank)
from kiosk.rules import people as who_signs
from kiosk.rules.screening import ScreeningError
from kiosk.documents.sealing import SealKey, seal_pdf
from kiosk.texts.model import Texts

SEAL_REASON = "Informed consent signed by the patient"



class DraftClosed(Exception):
    """The session was cancelled at the desk before the patient signed; nothing is stored."""


class AwaitingSigners(Exception):
    """The patient's signature is kept; `role` (a representative, interpreter or witness) signs next on the tablet."""

    def __init__(self, role: str) -> None:
        super().__init__(role)
        self.role = role


class NotReadyToSign(Exception):
    """The draft still has open steps; the view sends the patient to the first one."""

    def __init__(self, first_open: str) -> None:
        super().__init__(first_open)
        self.first_open = first_open


def new_document_id(now: datetime) -> str:
    """CK-YYYYMMDD-XXXXXXXX: dated for people, about 40 random bits so ids never repeat in practice."""
    return f"CK-{now:%Y%m%d}-{codes.random_code(8)}"


def submit(
    session: Session,
    draft: Draft,
    signature: SignatureInput,
    *,
    texts: Texts,
    clinic: Clinic,
    seal_key: SealKey,
    now: datetime,
    final: bool = False,
) -> Consent:
    """Store the signed consent once, its PDF sealed; a repeated submission returns the consent already stored.

    When others sign after the patient (kiosk.rules.people), the patient's signature is kept and AwaitingSigners
    raised; the last of them to sign submits again with `final`, the patient's kept signature as `signature`.
    """
    # An open draft has no consent (both change in one transaction), so only a closed one is looked up here;
    # a draft closed since it was read is caught below by the guarded UPDATE or the unique draft_id.
    if draft.status != "open":
        existing = _consent_for(session, draft.id)
        if existing is not None:
            return existing
    open_step = steps.first_open(drafts.completed(draft))
    if open_step != "sign":
        raise NotReadyToSign(open_step)

    local_now = now.astimezone(ZoneInfo(clinic.timezone))
    others = _others_signed(session, draft, signature, texts=texts, local_now=local_now, now=now, final=final)
    document_id = new_document_id(local_now)
    try:
        record = records.build_record(draft, signature, texts=texts, clinic=clinic, local_now=local_now,
                              document_id=document_id)
    except ScreeningError as exc:
        # answers saved under rules that changed since (a question added, removed or made a choice): asked again
        raise NotReadyToSign("screening") from exc
    if others:
        records.add_signers(record, draft, others, texts=texts, clinic=clinic, local_now=local_now)
    if clinic.address:  # one site of a chain: its address beside its name on every page
        record["clinic_address"] = clinic.address
    record["verification"] = {"code": codes.verification_code(), "url": clinic.verify_url}
    pdf = seal_pdf(render_consent_pdf(record, signature.png, signature.image,
                                      other_signatures={role: kept["png"] for role, kept in others.items()}),
                   seal_key, clinic_name=clinic.name, reason=SEAL_REASON)
    document = Document(id=document_id, kind="consent", verification_code=record["verification"]["code"],
                        created_at=now)
    document.revisions = [DocumentRevision(revision=1, kind="patient_signed", pdf=pdf,
                                           sha256=hashlib.sha256(pdf).hexdigest(), created_at=now)]
    consent = Consent(
        document=document,
        draft_id=draft.id,
        site_id=draft.site_id,
        created_at=now,
        status="submitted",
        patient_name=record["patient"]["full_name"],
        date_of_birth=date.fromisoformat(record["patient"]["date_of_birth"]),
        modality=record["treatment"]["modality"],
        language=record["language"],
        highest_severity=record["highest_severity"],
        severity_rank=severity_rank(record["highest_severity"]),
        texts_version=record["texts"]["version"],
        texts_sha256=record["texts"]["sha256"],
        rules_version=record["texts"]["rules_version"],
        record=dict(record),
        signature_png=signature.png,
    )
    consent.flags = [ConsentFlag(**flag) for flag in record["flags"]]
    consent.events = [ConsentEvent(status="submitted", actor="patient", at=now)]
    session.add(consent)
    try:
        # Close the draft only if it is still open, in the same transaction: a cancel at the desk
        # and a signature on the tablet can race, and exactly one of them must win.
        if not drafts.close_if_open(session, draft.id, "submitted", now):
            session.rollback()
            existing = _consent_for(session, draft.id)
            if existing is not None:
                return existing
            raise DraftClosed()
        session.commit()
    except IntegrityError:
        session.rollback()
        existing = _consent_for(session, draft.id)
        if existing is None:
            raise
        return existing
    return consent  # the UPDATE set draft.status in the session too: no need to read the row back


def _others_signed(session: Session, draft: Draft, signature: SignatureInput, *, texts: Texts,
                   local_now: datetime, now: datetime, final: bool) -> dict[str, dict[str, Any]]:
    """The signatures of everyone who signs after the patient, once all have; until then AwaitingSigners."""
    dob = date.fromisoformat(draft.data["identity"]["date_of_birth"])
    roles = who_signs.signers(texts.rules, dob, local_now.date(), signers.people(draft))
    if not roles:
        return {}
    if not final:  # the patient has just signed (again): keep it, the others sign after it
        signers.hold(session, draft, "patient", {
            "method": signature.method, "png": signature.png, "typed_name": signature.typed_name,
            "printed_name": signature.printed_name}, now, awaiting=roles)
        raise AwaitingSigners(roles[0])
    kept = signers.held(draft)
    waiting = next((role for role in roles if role not in kept), None)
    if waiting is not None or "patient" not in kept:
        raise AwaitingSigners(waiting or roles[0])
    return {role: kept[role] for role in roles}



def _consent_for(session: Session, draft_id: int) -> Consent | None:
    return session.scalar(select(Consent).where(Consent.draft_id == draft_id))
