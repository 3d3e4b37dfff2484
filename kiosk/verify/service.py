"""The public check of a consent or check-in PDF: a file or a printed code in, a verdict out, rate-limited per address.

It shows nothing about the patient beyond what the file itself holds: for a
file, the verdict and, when the file is exactly a stored revision, which
document and revision it is and whether a newer one exists; for a code alone,
only the document id, when it was sealed and each revision's SHA-256.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from asn1crypto.x509 import Certificate
from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.core import throttle
from kiosk.core.models import Document, DocumentRevision
from kiosk.documents import codes
from kiosk.documents.verification import Verdict, is_pdf
from kiosk.verify.isolation import verify_untrusted

CHECK_LIMIT = 30  # checks (files or codes) from one address ...
CHECK_WINDOW = timedelta(minutes=10)  # ... within this window
CHECK_KIND = "verify"
STORED_REASON = "The file is byte for byte a revision this clinic sealed and stored."
CHECK_RULE = throttle.Rule(CHECK_KIND, CHECK_LIMIT, CHECK_WINDOW, failures_only=False)


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
    document_kind: str  # consent or checkin
    sealed_at: datetime
    revisions: list[RevisionInfo]
    matching_revision: int | None  # the stored revision this exact file is, if any

    @property
    def latest(self) -> RevisionInfo | None:
        return self.revisions[-1] if self.revisions else None

    @property
    def matched(self) -> RevisionInfo | None:
        return next((r for r in self.revisions if r.revision == self.matching_revision), None)

    @property
    def newer(self) -> RevisionInfo | None:
        """The newest stored revision when it is newer than the file's; None when the file is the latest."""
        latest = self.latest
        if self.matching_revision is None or latest is None or latest.revision <= self.matching_revision:
            return None
        return latest


@dataclass(frozen=True)
class FileCheck:
    """The seal's verdict on a file and, only when the file is byte for byte a stored revision, that revision."""

    verdict: Verdict
    known: Known | None

    @property
    def stored(self) -> bool:
        """Intact and exactly a file this clinic stored: only then are its document, revision and newer ones facts."""
        return self.verdict.intact and self.known is not None

    @property
    def sealed_but_not_stored(self) -> bool:
        """Sealed with this clinic's key, yet no stored revision has its fingerprint: only the clinic can say more."""
        return self.verdict.intact and self.known is None


def check_file(session: Session, data: bytes, trusted: list[Certificate], *, ip_address: str | None,
               now: datetime) -> FileCheck:
    """The verdict on an uploaded file and, when it is one of ours, what the database says about its revisions."""
    _count_check(session, ip_address, now)
    return inspect_file(session, data, trusted)


def inspect_file(session: Session, data: bytes, trusted: list[Certificate]) -> FileCheck:
    """The seal's verdict plus the stored revision with this file's SHA-256; nothing is taken from the file's say-so.

    A file whose SHA-256 is that of a stored revision is byte for byte a file this clinic sealed and
    stored: that is the whole proof, so no signature is parsed (and a consent with any number of
    decisions verifies in milliseconds). Any other file may come from anyone, so its seals are judged
    with bounded resources (kiosk.verify.isolation).
    """
    digest = hashlib.sha256(data).hexdigest()
    known = describe(session, digest) if is_pdf(data) else None
    if known is not None:
        return FileCheck(Verdict("intact", STORED_REASON, digest, known.document_id), known)
    return FileCheck(verify_untrusted(data, trusted).verdict, None)


def check_code(session: Session, typed: str, *, ip_address: str | None, now: datetime) -> Known | None:
    """The document (consent or check-in) behind a printed verification code, or None for an unknown code."""
    _count_check(session, ip_address, now)
    code = codes.normalize_verification_code(typed)
    if code is None:
        return None
    document = session.scalar(select(Document).where(Document.verification_code == code))
    return _known(document, None) if document is not None and document.revisions else None


def describe(session: Session, sha256: str) -> Known | None:
    """The document whose stored revision has exactly this SHA-256, of any kind; None when no stored file has it.

    The document id a file names is never used to look one up: a sealed file that matches no stored
    revision (its unsigned padding changed, say) must not be reported as the latest of anything.
    """
    match = session.scalars(select(DocumentRevision).where(DocumentRevision.sha256 == sha256)).first()
    return _known(match.document, match.revision) if match is not None else None


def _known(document: Document, matching: int | None) -> Known:
    """Every stored revision of the document, from the database: the only source of "a newer one exists"."""
    revisions = [RevisionInfo(r.revision, r.sha256, r.created_at, r.kind) for r in document.revisions]
    return Known(document_id=document.id, document_kind=document.kind, sealed_at=revisions[0].created_at,
                 revisions=revisions, matching_revision=matching)


def _count_check(session: Session, ip_address: str | None, now: datetime) -> None:
    """Count this check against the address, deciding and recording it in one step (kiosk.core.throttle)."""
    tried = throttle.take(session, CHECK_RULE, ip_address=ip_address, subject=None, now=now)
    if tried.wait is not None:
        raise TooManyChecks(tried.wait)
