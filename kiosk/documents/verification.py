"""The verdict on a PDF someone hands us: intact and sealed by this installation, modified, unknown, or not a PDF.

No Flask, no database, no network: pyHanko validates each embedded signature
against this installation's certificate(s) only, with revocation checks off
(a self-signed seal has nothing to ask), and its difference analysis decides
whether what was appended after an earlier signature is only a later signed
revision (allowed) or anything else (modified).
"""

from __future__ import annotations

import hashlib
import io
import logging
from dataclasses import dataclass, field
from typing import Literal

from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import EmbeddedPdfSignature, async_validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from kiosk.documents.sealing import REVIEW_FIELD_PREFIX, SEAL_FIELD, run_sync

# pyHanko logs a traceback for every tampered file it analyses; the verdict already says it in words.
logging.getLogger("pyhanko").addHandler(logging.NullHandler())
logging.getLogger("pyhanko").propagate = False

Status = Literal["intact", "modified", "unknown", "not_pdf"]

PDF_HEADER_WINDOW = 1024  # readers accept the header anywhere in the first kilobyte


@dataclass(frozen=True)
class SignatureCheck:
    """One embedded signature as pyHanko judged it."""

    field: str
    signer: str
    signed_at: str | None  # ISO time the signer's clock claimed (PAdES B-B: no timestamp authority)
    intact: bool  # the bytes it covers hash to what was signed
    valid: bool  # the cryptographic signature checks out
    ours: bool  # made with one of this installation's certificates
    coverage: str  # ENTIRE_FILE, ENTIRE_REVISION or CONTIGUOUS_BLOCK_FROM_START
    modification_level: str | None  # what pyHanko's diff analysis saw appended after it
    changes_allowed: bool | None  # pyHanko's docmdp_ok: the appended changes are only signing/form filling


@dataclass(frozen=True)
class Verdict:
    """What the file is; `reason` is one sentence a person can act on."""

    status: Status
    reason: str
    sha256: str
    document_id: str | None = None  # as the file names itself (PDF subject): a claim, never a fact on its own
    seals: int | None = None  # number of signatures in the file (not its revision number: the database has that)
    signatures: list[SignatureCheck] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        return self.status == "intact"


def is_pdf(data: bytes) -> bool:
    """A PDF starts with %PDF- within its first kilobyte; anything else is not one at all."""
    return b"%PDF-" in data[:PDF_HEADER_WINDOW]


def verify_pdf(data: bytes, trusted: list[asn1_x509.Certificate]) -> Verdict:
    """Judge a file against this installation's certificates; never raises for a bad file."""
    digest = hashlib.sha256(data).hexdigest()
    if not is_pdf(data):
        return Verdict("not_pdf", "This file is not a PDF.", digest)
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = list(reader.embedded_signatures)
        document_id = _subject(reader)
    except (PdfError, ValueError, KeyError, TypeError, AttributeError, IndexError) as exc:
        return Verdict("modified", f"The PDF is damaged and cannot be read as a sealed consent ({exc}).", digest)
    if not embedded:
        return Verdict("unknown", "The PDF carries no seal: it is not a consent issued by this clinic's system, or "
                                  "it was re-saved by a program that dropped the seal.", digest, document_id)
    fingerprints = {cert.sha256 for cert in trusted}
    context = ValidationContext(trust_roots=list(trusted), allow_fetching=False, revocation_mode="soft-fail")
    checks = [_check(sig, context, fingerprints) for sig in embedded]
    status, reason = _judge(checks)
    return Verdict(status, reason, digest, document_id, len(checks), checks)


def _subject(reader: PdfFileReader) -> str | None:
    info = reader.trailer_view.get("/Info")
    subject = info.get_object().get("/Subject") if info is not None else None
    return str(subject)[:64] if subject else None


def _check(sig: EmbeddedPdfSignature, context: ValidationContext, fingerprints: set[bytes]) -> SignatureCheck:
    """Validate one signature; any failure inside pyHanko counts as not intact rather than an error."""
    signer_cert = sig.signer_cert
    ours = signer_cert is not None and signer_cert.sha256 in fingerprints
    signer = signer_cert.subject.human_friendly if signer_cert is not None else "unknown signer"
    try:
        status = run_sync(async_validate_pdf_signature(sig, signer_validation_context=context))
    except Exception:  # noqa: BLE001 - pyHanko raises many kinds for a tampered file
        return SignatureCheck(field=str(sig.field_name), signer=signer, signed_at=None, intact=False, valid=False,
                              ours=ours, coverage="unknown", modification_level=None, changes_allowed=False)
    level = status.modification_level
    signed_at = status.signer_reported_dt.isoformat() if status.signer_reported_dt else None
    return SignatureCheck(field=str(sig.field_name), signer=signer, signed_at=signed_at, intact=status.intact,
                          valid=status.valid, ours=ours, coverage=status.coverage.name if status.coverage else "unknown",
                          modification_level=level.name if level is not None else None,
                          changes_allowed=status.docmdp_ok)


def _judge(checks: list[SignatureCheck]) -> tuple[Status, str]:
    """Intact only when every seal holds, the last covers the whole file, and earlier ones saw only signing."""
    broken = [c for c in checks if not (c.intact and c.valid)]
    if broken:
        return "modified", ("The file was changed after it was sealed: the seal no longer matches its contents.")
    last = checks[-1]
    if last.coverage != SignatureCoverageLevel.ENTIRE_FILE.name:
        return "modified", "Something was added to the file after its last seal."
    if any(c.changes_allowed is False for c in checks[:-1]):
        return "modified", "The file was changed between its seals in a way a signed revision never does."
    if not all(c.ours for c in checks):
        return "unknown", "The file is sealed, but not with this installation's certificate."
    fields = [c.field for c in checks]
    if fields[0] != SEAL_FIELD or not all(f.startswith(REVIEW_FIELD_PREFIX) for f in fields[1:]):
        return "unknown", "The file is sealed with this installation's certificate, but is not laid out as a consent."
    return "intact", "The file is intact and sealed by this installation."
