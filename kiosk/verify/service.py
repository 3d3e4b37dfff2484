"""The public check of a consent PDF: a file or a printed code in, a verdict out, rate-limited per address.

It shows nothing about the patient beyond what the file itself holds: for a
file, the verdict and which document and revision it is; for a code alone,
only the document id, when it was sealed and each revision's SHA-256.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from asn1crypto.x509 import Certificate
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kiosk.core.models import Attempt, Consent, ConsentDocument
from kiosk.documents import codes
from kiosk.documents.verification import Verdict, verify_pdf

CHECK_LIMIT = 30  # checks (files or codes) from one address ...
CHECK_WINDOW = timedelta(minutes=10)  # ... within this window
CHECK_KIND = "verify"


class TooManyChecks(Exception):
    """This address has checked too many files or codes lately; `retry_after` says for how long."""

    def __init__(self, retry_after: timedelta) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


@dataclass(frozen=True)
class RevisionInfo:
    revision: int
    sha256: str
    created_at: datetime
    kind: str  # patient_signed, doctor_review or withdrawal: what the page says each revision is


@dataclass(frozen=True)
class Known:
    """What this installation holds about a document: its revisions' fingerprints, nothing about the patient."""

    document_id: str
    sealed_at: datetime
    revisions: list[RevisionInfo]
    matching_revision: int | None  # the stored revision this exact file is, if any

    @property
    def latest(self) -> int:
        return self.revisions[-1].revision if self.revisions else 0

    @property
    def newer_exists(self) -> bool:
        return self.matching_revision is not None and self.matching_revision < self.latest


@dataclass(frozen=True)
class FileCheck:
    verdict: Verdict
    known: Known | None


def check_file(session: Session, data: bytes, trusted: list[Certificate], *, ip_address: str | None,
               now: datetime) -> FileCheck:
    """The verdict on an uploaded file and, when it is one of ours, what the database says about its revisions."""
    _count_check(session, ip_address, now)
    verdict = verify_pdf(data, trusted)
    known = describe(session, verdict.document_id, verdict.sha256) if verdict.intact else None
    return FileCheck(verdict, known)


def check_code(session: Session, typed: str, *, ip_address: str | None, now: datetime) -> Known | None:
    """The document behind a printed verification code, or None for an unknown code."""
    _count_check(session, ip_address, now)
    code = codes.normalize_verification_code(typed)
    if code is None:
        return None
    consent = session.scalar(select(Consent).where(Consent.verification_code == code))
    return _known(consent, None) if consent is not None else None


def describe(session: Session, document_id: str | None, sha256: str) -> Known | None:
    """The stored revisions of a document; the matching one is found by the file's SHA-256."""
    consent = None
    match = session.scalar(select(ConsentDocument).where(ConsentDocument.sha256 == sha256))
    if match is not None:
        consent = match.consent
    elif document_id:
        consent = session.scalar(select(Consent).where(Consent.document_id == document_id))
    if consent is None:
        return None
    return _known(consent, match.revision if match is not None else None)


def _known(consent: Consent, matching: int | None) -> Known:
    revisions = [RevisionInfo(d.revision, d.sha256, d.created_at, d.kind) for d in consent.documents]
    return Known(document_id=consent.document_id, sealed_at=consent.created_at, revisions=revisions,
                 matching_revision=matching)


def _count_check(session: Session, ip_address: str | None, now: datetime) -> None:
    """Count this check against the address (in the database, so the limit holds across processes)."""
    since = now - CHECK_WINDOW
    recent = session.scalar(select(func.count()).select_from(Attempt).where(
        Attempt.kind == CHECK_KIND, Attempt.ip_address == ip_address, Attempt.at > since))
    if (recent or 0) >= CHECK_LIMIT:
        oldest = session.scalars(select(Attempt.at).where(
            Attempt.kind == CHECK_KIND, Attempt.ip_address == ip_address, Attempt.at > since)
            .order_by(Attempt.at.desc()).limit(CHECK_LIMIT)).all()[-1]
        raise TooManyChecks(max(oldest + CHECK_WINDOW - now, timedelta(seconds=1)))
    session.add(Attempt(kind=CHECK_KIND, ip_address=ip_address, succeeded=True, at=now))
    session.commit()
