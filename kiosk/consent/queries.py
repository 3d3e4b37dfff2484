"""Reading signed consents: lists for staff and the command line, and the full export."""

from __future__ import annotations

import base64
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.core.models import Checkin, Consent, DocumentRevision


class ConsentNotFound(LookupError):
    """No consent has that document id."""


def list_consents(session: Session, limit: int | None = None) -> list[dict[str, Any]]:
    """Newest first, with the severity people sort and colour by."""
    query = select(Consent).order_by(Consent.created_at.desc(), Consent.id.desc())
    if limit:
        query = query.limit(limit)
    return [summary(c) for c in session.scalars(query)]


def summary(consent: Consent) -> dict[str, Any]:
    return {
        "id": consent.document_id,
        "created_at": consent.record["created_at"],
        "patient_name": consent.patient_name,
        "modality": consent.modality,
        "highest_severity": consent.highest_severity,
        "status": consent.status,
    }


def get_consent(session: Session, document_id: str) -> Consent:
    consent = session.scalar(select(Consent).where(Consent.document_id == document_id.strip()))
    if consent is None:
        raise ConsentNotFound(document_id)
    return consent


def latest_document(consent: Consent) -> DocumentRevision:
    """The newest PDF revision; the signed original stays at revision 1."""
    return consent.documents[-1]


def export_checkin(checkin: Checkin) -> dict[str, Any]:
    """A signed check-in's record, status, newest PDF's SHA-256 and the doctors' decisions on it."""
    return {"document_id": checkin.document_id, "record": checkin.record, "status": checkin.status,
            "pdf_sha256": checkin.pdf_sha256,
            "reviews": [{"doctor": r.doctor_name, "decision": r.decision, "note": r.note, "at": r.at.isoformat()}
                        for r in checkin.reviews]}


def export_record(consent: Consent) -> dict[str, Any]:
    """The full record plus what was stored around it: status history, PDF hashes, signature image."""
    return {
        "record": consent.record,
        "status": consent.status,
        "status_history": [
            {"status": e.status, "actor": e.actor, "at": e.at.isoformat(), "note": e.note} for e in consent.events
        ],
        "documents": [
            {"revision": d.revision, "kind": d.kind, "sha256": d.sha256, "created_at": d.created_at.isoformat()}
            for d in consent.documents
        ],
        "signature_png_base64": base64.b64encode(consent.signature_png).decode("ascii") if consent.signature_png else None,
        "checkins": [export_checkin(c) for c in consent.checkins if c.status != "open"],
        "sessions": [{"number": s.number, "date": s.session_date.isoformat(), "area": s.area,
                      "settings": s.settings, "anaesthetic_applied_by": s.anaesthetic_applied_by,
                      "anaesthetic_product": s.anaesthetic_product, "anaesthetic_minutes": s.anaesthetic_minutes,
                      "notes": s.notes, "recorded_by": s.recorded_by_name, "recorded_at": s.recorded_at.isoformat()}
                     for s in consent.sessions],
    }
