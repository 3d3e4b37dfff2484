"""Retention: what has passed its keeping period, legal holds on it, and the one guarded way patient data is removed.

The unit is a consent with its check-ins (a course: a check-in never outlives its consent). Its last
activity is the newest of its revisions (signature, decisions, withdrawal), its check-ins' revisions and
the sessions recorded on it; it may be removed `years` after that (kiosk.documents.keeping.past_retention).
`remove_consent` is the only code that deletes a signed document, and it checks retention and holds itself,
in the transaction that deletes: nothing inside the retention period can be removed by any route or command.
What stays is a tombstone per document (ids, each revision's SHA-256, dates) and an audit event.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kiosk.core import audit
from kiosk.core.models import (Checkin, Consent, ConsentEvent, ConsentFlag, Decision, Document, DocumentRevision,
                               Draft, LegalHold, Photo, PhotoBlob, PhotoConsent, RemovedDocument, TabletCode,
                               TreatmentSession, User)
from kiosk.documents.keeping import past_retention, retention_cutoff, retention_ends

BATCH = 200


class RetentionRefused(Exception):
    """A removal or a hold refused, with one line saying why."""


@dataclass(frozen=True)
class Due:
    """A consent (with its check-ins) and when it may go; `hold` is the active legal hold, if any."""

    document_id: str
    checkins: tuple[str, ...]
    signed_at: datetime
    last_activity: datetime
    retained_until: datetime
    hold: LegalHold | None


def last_activity(consent: Consent) -> datetime:
    """The newest signature, decision, withdrawal or session recorded on the consent or its check-ins."""
    moments = [r.created_at for r in consent.documents]
    moments += [r.created_at for c in consent.checkins for r in c.revisions]
    moments += [s.recorded_at for s in consent.sessions]
    return max(moments or [consent.created_at])


def active_hold(session: Session, document_id: str) -> LegalHold | None:
    return session.scalars(select(LegalHold).where(LegalHold.document_id == document_id,
                                                   LegalHold.lifted_at.is_(None))).first()


def _due(session: Session, consent: Consent, years: int) -> Due:
    last = last_activity(consent)
    return Due(consent.document_id, tuple(c.document_id for c in consent.checkins if c.revisions),
               consent.created_at, last, retention_ends(last, years), active_hold(session, consent.document_id))


def past(session: Session, *, years: int, now: datetime) -> Iterator[Due]:
    """Every consent past its retention period at `now`, oldest first, read a batch at a time."""
    last_id = 0
    while True:
        batch = list(session.scalars(select(Consent).where(Consent.id > last_id).order_by(Consent.id).limit(BATCH)))
        if not batch:
            return
        for consent in batch:
            due = _due(session, consent, years)
            if past_retention(due.last_activity, years, now):
                yield due
        last_id = batch[-1].id
        session.expunge_all()


def remove_consent(session: Session, document_id: str, *, years: int, now: datetime, who: audit.Who) -> Due:
    """Remove a consent and its check-ins past retention, leaving tombstones; refuses inside retention or on hold."""
    consent = session.scalars(select(Consent).where(Consent.document_id == document_id).with_for_update()).first()
    if consent is None:
        raise RetentionRefused(f"no consent with document id {document_id!r}")
    due = _due(session, consent, years)
    if not past_retention(due.last_activity, years, now):
        raise RetentionRefused(f"{document_id} is kept until {due.retained_until.date().isoformat()} "
                               f"({years} years after its last session or signature); nothing was removed")
    if due.hold is not None:
        raise RetentionRefused(f"{document_id} is under a legal hold set by {due.hold.set_by} on "
                               f"{due.hold.set_at.date().isoformat()}; nothing was removed")
    documents: list[tuple[Document, list[DocumentRevision], datetime | None]] = [
        (consent.document, consent.documents, consent.created_at)]
    documents += [(c.document, c.revisions, c.signed_at) for c in consent.checkins]
    sha256s = {}
    for document, revisions, signed_at in documents:
        sha256s[document.id] = [r.sha256 for r in revisions]
        session.add(RemovedDocument(document_id=document.id, kind=document.kind, consent_document_id=document_id,
                                    sha256s=sha256s[document.id], signed_at=signed_at,
                                    last_activity_at=due.last_activity, removed_at=now, removed_by=who.actor))
    ids = [document.id for document, _, _ in documents]
    drafts = [consent.draft_id] + [c.draft_id for c in consent.checkins]
    consent_id = consent.id
    session.flush()  # the tombstones are written before the loaded rows are let go and deleted below
    session.expunge_all()
    photo_keys = select(Photo.storage_key).where(Photo.consent_id == consent_id).scalar_subquery()
    for statement in (
        delete(PhotoBlob).where(PhotoBlob.key.in_(photo_keys)),  # the photos' bytes go with their consent
        delete(Photo).where(Photo.consent_id == consent_id),
        delete(PhotoConsent).where(PhotoConsent.consent_id == consent_id),
        delete(TreatmentSession).where(TreatmentSession.consent_id == consent_id),
        delete(Decision).where(Decision.document_id.in_(ids)),
        delete(DocumentRevision).where(DocumentRevision.document_id.in_(ids)),
        delete(LegalHold).where(LegalHold.document_id.in_(ids)),  # lifted ones: their setting and lifting are audited
        delete(Checkin).where(Checkin.consent_id == consent_id),
        delete(ConsentFlag).where(ConsentFlag.consent_id == consent_id),
        delete(ConsentEvent).where(ConsentEvent.consent_id == consent_id),
        delete(Consent).where(Consent.id == consent_id),
        delete(TabletCode).where(TabletCode.draft_id.in_(drafts)),
        delete(Draft).where(Draft.id.in_(drafts)),
        delete(Document).where(Document.id.in_(ids)),
    ):
        session.execute(statement)
    audit.record(session, who, "retention_removed", consent_id=consent_id, target=document_id, at=now, commit=False,
                 detail={"documents": ids, "sha256s": sha256s, "signed_at": due.signed_at.isoformat(),
                         "last_activity": due.last_activity.isoformat(),
                         "retained_until": due.retained_until.isoformat()})
    session.commit()
    return due


def unsigned_drafts(session: Session, *, years: int, now: datetime) -> list[int]:
    """Sessions never signed (cancelled, abandoned) untouched for the retention period: they hold names and answers too."""
    signed = select(Consent.draft_id).union(select(Checkin.draft_id))
    cutoff = retention_cutoff(now, years)
    return list(session.scalars(select(Draft.id).where(Draft.id.not_in(signed), Draft.updated_at <= cutoff)
                                .order_by(Draft.id)))


def remove_unsigned_drafts(session: Session, draft_ids: list[int], *, years: int, now: datetime,
                           who: audit.Who) -> int:
    """Delete unsigned sessions past retention (re-checked here), with their tablet codes; one audit event."""
    due = set(draft_ids) & set(unsigned_drafts(session, years=years, now=now))
    if not due:
        return 0
    session.execute(delete(TabletCode).where(TabletCode.draft_id.in_(due)))
    session.execute(delete(Draft).where(Draft.id.in_(due)))
    audit.record(session, who, "retention_removed", target=f"{len(due)} unsigned sessions", at=now, commit=False,
                 detail={"documents": [f"draft {d}" for d in sorted(due)]})
    session.commit()
    return len(due)


def _consent_document_id(session: Session, document_id: str) -> str:
    """The consent a hold is set on: the one named, or the consent a named check-in belongs to."""
    consent = session.scalar(select(Consent).where(Consent.document_id == document_id))
    if consent is not None:
        return consent.document_id
    checkin = session.scalar(select(Checkin).where(Checkin.document_id == document_id))
    if checkin is not None:
        return checkin.consent.document_id
    raise RetentionRefused(f"no consent or check-in with document id {document_id!r}")


def _admin(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None or user.role != "admin" or not user.active:
        raise RetentionRefused(f"{email} is not an active administrator account; only an admin sets or lifts a hold")
    return user


def set_hold(session: Session, document_id: str, *, reason: str, admin_email: str, now: datetime) -> LegalHold:
    """Put a consent (with its check-ins) under a legal hold, audited; one active hold per consent."""
    admin = _admin(session, admin_email)
    target = _consent_document_id(session, document_id)
    if not reason.strip():
        raise RetentionRefused("say why the hold is set (--reason), for instance the court case it is for")
    if active_hold(session, target) is not None:
        raise RetentionRefused(f"{target} is already under a legal hold")
    hold = LegalHold(document_id=target, reason=reason.strip()[:2000], set_by=admin.email, set_at=now)
    session.add(hold)
    return _audited(session, admin, hold, "legal_hold_set", now)


def lift_hold(session: Session, document_id: str, *, admin_email: str, now: datetime) -> LegalHold:
    """Lift a consent's active legal hold, audited; retention applies to it again."""
    admin = _admin(session, admin_email)
    target = _consent_document_id(session, document_id)
    hold = active_hold(session, target)
    if hold is None:
        raise RetentionRefused(f"{target} is not under a legal hold")
    hold.lifted_by, hold.lifted_at = admin.email, now
    return _audited(session, admin, hold, "legal_hold_lifted", now)


def _audited(session: Session, admin: User, hold: LegalHold, action: str, now: datetime) -> LegalHold:
    """Commit the hold's change with its audit event, in one transaction."""
    consent = session.scalar(select(Consent).where(Consent.document_id == hold.document_id))
    audit.record(session, audit.Who(actor=admin.email, actor_id=admin.id), action,
                 consent_id=consent.id if consent else None, target=hold.document_id, at=now, commit=False,
                 detail={"reason": hold.reason})
    session.commit()
    return hold
