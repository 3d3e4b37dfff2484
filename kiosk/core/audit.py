"""The append-only audit log: who did what, when, from where. Rows are only ever added."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from kiosk.core.models import AuditEvent

ACTIONS = (
    "login", "login_failed", "login_locked", "logout", "session_expired",
    "consent_viewed", "pdf_downloaded", "consent_decided", "export",
    "code_issued", "code_used", "code_refused", "session_opened_here", "session_cancelled",
    "user_created", "audit_viewed",
    "checkin_started", "checkin_signed", "checkin_decided", "session_recorded", "consent_withdrawn",
    "site_created", "site_changed", "site_assigned", "site_unassigned",
    "backup_made", "restored", "archive_exported", "patient_data_requested", "patient_data_delivered",
    "retention_removed", "legal_hold_set", "legal_hold_lifted",
    "people_named", "countersigned",
    "photo_consent_recorded", "photo_uploaded", "photo_refused", "photo_viewed", "photo_deleted",
    "copy_emailed", "copy_email_failed", "copy_printed",
    "aftercare_printed", "aftercare_emailed", "aftercare_email_failed",
)


@dataclass(frozen=True)
class Who:
    """The actor and their connection, gathered once per request by the views."""

    actor: str
    actor_id: int | None = None
    ip_address: str | None = None
    user_agent: str | None = None


def record(session: Session, who: Who, action: str, *, consent_id: int | None = None, target: str | None = None,
           detail: dict[str, Any] | None = None, at: datetime | None = None, commit: bool = True) -> AuditEvent:
    """Append one event; commit=False lets a use case write it in the same transaction as its change."""
    if action not in ACTIONS:
        raise ValueError(f"unknown audit action {action!r}")
    event = AuditEvent(actor=who.actor[:254], actor_id=who.actor_id, action=action, consent_id=consent_id,
                       target=(target or None) and target[:200], ip_address=who.ip_address,
                       user_agent=(who.user_agent or "")[:400] or None, detail=detail)
    if at is not None:
        event.at = at
    session.add(event)
    if commit:
        session.commit()
    return event


@dataclass(frozen=True)
class AuditFilter:
    action: str | None = None
    actor: str | None = None
    consent_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None


def _filtered(query: Select[Any], filters: AuditFilter) -> Select[Any]:
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.actor:
        query = query.where(AuditEvent.actor.ilike(f"%{filters.actor}%"))
    if filters.consent_id is not None:
        query = query.where(AuditEvent.consent_id == filters.consent_id)
    if filters.since:
        query = query.where(AuditEvent.at >= filters.since)
    if filters.until:
        query = query.where(AuditEvent.at < filters.until)
    return query


def events(session: Session, filters: AuditFilter, *, page: int = 1, per_page: int = 50) -> tuple[list[AuditEvent], int]:
    """One page of events, newest first, and the total count for the pager."""
    total = session.scalar(_filtered(select(func.count()).select_from(AuditEvent), filters)) or 0
    rows = session.scalars(
        _filtered(select(AuditEvent), filters).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(per_page).offset((max(page, 1) - 1) * per_page)
    ).all()
    return list(rows), total


def trail(session: Session, consent_id: int, draft_id: int | None = None) -> list[AuditEvent]:
    """Everything that happened to one consent, oldest first, including its session's desk codes before signing."""
    condition = AuditEvent.consent_id == consent_id
    if draft_id is not None:
        condition = or_(condition, AuditEvent.target == f"draft {draft_id}")
    return list(session.scalars(select(AuditEvent).where(condition).order_by(AuditEvent.at, AuditEvent.id)))
