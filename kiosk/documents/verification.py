"""The verdict on a PDF someone hands us: intact and sealed by this installation, modified, unknown, not a PDF,
or too complex to check.

No Flask, no database, no network: pyHanko validates each embedded signature
against this installation's certificate(s) only, with revocation checks off
(a self-signed seal has nothing to ask), and its difference analysis decides
whether what was appended after an earlier signature is only a later signed
revision (allowed) or anything else (modified).

Anyone may hand us a file, so before any cryptography `screen_pdf` reads the raw bytes for what makes
pyHanko's work explode (issue 14): the size, the cross-reference entries the file declares, how deeply its
arrays and dictionaries nest, how many incremental revisions and signatures it has. A file past any of
these bounds is "too_complex" without being parsed. The screen is a cheap lexical reading, so it cannot
see inside compressed streams: what it misses (a compression bomb, nesting inside an object stream) is
stopped by the CPU and memory limits of the process the verify feature runs `judge_pdf` in
(kiosk.verify.isolation); `judge_pdf` itself answers "too_complex" for a RecursionError, a MemoryError, or a
stream that decodes to more than pyHanko's limits for untrusted input allow (its DecodeLimits defaults).
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from dataclasses import dataclass, field
from typing import Literal

from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.misc import PdfDecodeLimitError, PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import EmbeddedPdfSignature, async_validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext

from kiosk.documents.sealing import REVIEW_FIELD_PREFIX, SEAL_FIELD, run_sync

# pyHanko logs a traceback for every tampered file it analyses; the verdict already says it in words.
logging.getLogger("pyhanko").addHandler(logging.NullHandler())
logging.getLogger("pyhanko").propagate = False

Status = Literal["intact", "modified", "unknown", "not_pdf", "too_complex"]

PDF_HEADER_WINDOW = 1024  # readers accept the header anywhere in the first kilobyte


@dataclass(frozen=True)
class Bounds:
    """What a file may declare before it is judged too complex to check; a consent of ours is far inside each."""

    max_bytes: int = 3 * 1024 * 1024  # the /verify page's upload limit
    max_xref_entries: int = 20_000  # declared cross-reference entries; a consent with 15 decisions declares ~250
    max_nesting: int = 32  # arrays and dictionaries inside one another; ours nest 4 deep
    max_revisions: int = 24  # incremental updates (startxref, %%EOF); a consent has one more than it has seals
    max_signatures: int = 12  # the seal and 11 decisions: pyHanko takes about 0.6 s of CPU on that consent, leaving
    # room under the child's 2 s on a loaded machine (15 decisions took 1.05 s idle and 1.76 s under CI load; the cost
    # grows faster than the square of this: 31 decisions, 4.3 s). Stored files never meet this bound (SHA-256 first).
    max_tokens: int = 100_000  # brackets and strings outside streams read by the nesting scan; ours have < 4,000


BOUNDS = Bounds()


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


def verify_pdf(data: bytes, trusted: list[asn1_x509.Certificate], bounds: Bounds = BOUNDS) -> Verdict:
    """Judge a file against this installation's certificates; never raises for a bad file.

    In this process and unbounded in time and memory past the screen: for files from strangers use
    kiosk.verify.isolation, which runs the same two steps with the judging in a limited child process.
    """
    return screen_pdf(data, bounds) or judge_pdf(data, trusted)


def too_complex(data: bytes, why: str, bounds: Bounds = BOUNDS) -> Verdict:
    """The verdict on a file that could not be checked within the bounds; `why` says which bound, in words."""
    return Verdict("too_complex", f"The file could not be checked: it is too complex ({why}).", _digest(data, bounds))


def _digest(data: bytes, bounds: Bounds) -> str:
    """The file's SHA-256, or "" past the size bound: the caller may have read only a prefix, whose hash would mislead."""
    return hashlib.sha256(data).hexdigest() if len(data) <= bounds.max_bytes else ""


def screen_pdf(data: bytes, bounds: Bounds = BOUNDS) -> Verdict | None:
    """The verdict for a file that is not a PDF or is past a bound, read from the raw bytes alone; None to go on.

    Linear in the file's size: counts of keywords (bytes.count, at C speed) come first and bound every loop
    after them, and the nesting scan stops after `max_tokens` tokens. A 3 MB file costs at most about a
    tenth of a second here; nothing is parsed, decompressed or hashed before it passes.
    """
    if not is_pdf(data):
        return Verdict("not_pdf", "This file is not a PDF.", _digest(data, bounds))
    if len(data) > bounds.max_bytes:
        return too_complex(data, f"larger than {bounds.max_bytes // (1024 * 1024)} MB", bounds)
    # every revision ends with startxref and %%EOF; one with a classic table starts it with `xref`
    starts = data.count(b"startxref")
    revisions = max(starts, data.count(b"%%EOF"), data.count(b"xref") - starts)
    if revisions > bounds.max_revisions:
        return too_complex(data, f"{revisions} revisions, at most {bounds.max_revisions} are checked", bounds)
    # each revision's trailer or cross-reference stream has one /Size (and maybe an /Index)
    sections = max(data.count(b"/Size"), data.count(b"/Index"))
    if sections > 2 * bounds.max_revisions:
        return too_complex(data, f"{sections} cross-reference sections, at most {2 * bounds.max_revisions} are read",
                           bounds)
    signatures = data.count(b"/ByteRange")
    if signatures > bounds.max_signatures:
        return too_complex(data, f"{signatures} signatures, at most {bounds.max_signatures} are checked", bounds)
    entries = _declared_xref_entries(data, bounds.max_xref_entries)
    if entries > bounds.max_xref_entries:
        return too_complex(data, f"{entries} cross-reference entries declared, at most {bounds.max_xref_entries} "
                                 "are read", bounds)
    depth, tokens = _nesting(data, bounds)
    if tokens > bounds.max_tokens:
        return too_complex(data, f"more than {bounds.max_tokens} structural tokens", bounds)
    if depth > bounds.max_nesting:
        return too_complex(data, f"arrays or dictionaries nested more than {bounds.max_nesting} deep", bounds)
    return None


_XREF_TABLE = re.compile(rb"xref[ \t\r\n\f\x00]")  # a literal first: found at C speed (see _after_letter)
_SUBSECTION = re.compile(rb"[ \t\r\n\f\x00]*(\d{1,20})[ \t]+(\d{1,20})[ \t]*(?:\r\n|\r|\n)")
_SIZE = re.compile(rb"/Size[ \t\r\n\f\x00]*(\d{1,20})")
_INDEX = re.compile(rb"/Index[ \t\r\n\f\x00]*\[([0-9 \t\r\n\f\x00]{0,4000})\]")
_XREF_ENTRY_BYTES = 20  # a classic table's entries are exactly 20 bytes each


def _declared_xref_entries(data: bytes, limit: int) -> int:
    """The most cross-reference entries the file's trailers and xref streams claim, or its tables' total if more.

    A reader trusts these counts: a 200 KB file claiming 30 million entries (a compressed xref stream of
    zeros, or a table header that lies) made pyHanko build 30 million of them. Called once the counts of
    /Size, /Index and `xref` are known to be small; the tables' subsections share one budget of `limit`.
    """
    most = max((int(size) for size in _SIZE.findall(data)), default=0)
    for index in _INDEX.findall(data):
        numbers = [int(n) for n in index.split()]
        most = max(most, sum(numbers[1::2]))
    total = 0
    for match in _XREF_TABLE.finditer(data):
        if _after_letter(data, match.start()):
            continue  # the `xref` of `startxref`
        position = match.end() - 1
        while total <= limit and (header := _SUBSECTION.match(data, position)) is not None:
            count = int(header.group(2))
            total += max(count, 1)  # an empty subsection still costs a step
            position = header.end() + count * _XREF_ENTRY_BYTES
    return max(most, total)


_LETTERS = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")


def _after_letter(data: bytes, position: int) -> bool:
    """Whether the byte before `position` is a letter (so a keyword found there is part of a longer word)."""
    return position > 0 and data[position - 1] in _LETTERS


# what the nesting scan reads outside streams: a literal string without nested parentheses (skipped whole; the
# possessive repeats never backtrack), a hex string, a comment, a stream's start (`endstream` is skipped by
# _after_letter), and the four brackets
_TOKEN = re.compile(rb"\((?:[^()\\]++|\\.)*+\)|<[0-9A-Fa-f \t\r\n\f\x00]*>|%[^\r\n]*|stream(?:\r\n|\r|\n)"
                    rb"|<<|>>|\[|\]|\(", re.S)  # last: a `(` that opens no simple string is one token
_ENDSTREAM = b"endstream"


def _nesting(data: bytes, bounds: Bounds) -> tuple[int, int]:
    """How deeply arrays and dictionaries nest outside streams, and how many tokens were read to find out.

    Stops as soon as either passes its bound. A stream's bytes are skipped to its `endstream` (binary data
    holds brackets by chance), so the scan costs one step per bracket or string, never per byte.
    """
    depth = deepest = tokens = 0
    position = 0
    search = _TOKEN.search
    while (match := search(data, position)) is not None:
        tokens += 1
        if tokens > bounds.max_tokens:
            break
        token = match.group()
        position = match.end()
        if token in (b"[", b"<<"):
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > bounds.max_nesting:
                    break
        elif token in (b"]", b">>"):
            depth = max(0, depth - 1)
        elif token.startswith(b"stream") and not _after_letter(data, match.start()):
            end = data.find(_ENDSTREAM, position)
            if end < 0:
                break
            position = end + len(_ENDSTREAM)
    return deepest, tokens


def judge_pdf(data: bytes, trusted: list[asn1_x509.Certificate]) -> Verdict:
    """pyHanko's judgement of a PDF that passed `screen_pdf`; a file that exhausts the stack or memory is too complex."""
    try:
        return _judge_pdf(data, trusted)
    except RecursionError:
        return too_complex(data, "nested too deeply to read")
    except MemoryError:
        return too_complex(data, "it needs more memory than a check may use")
    except PdfDecodeLimitError:
        return too_complex(data, "its compressed streams expand past what a check decodes")


def _judge_pdf(data: bytes, trusted: list[asn1_x509.Certificate]) -> Verdict:
    digest = hashlib.sha256(data).hexdigest()
    try:
        reader = PdfFileReader(io.BytesIO(data), strict=False)
        embedded = list(reader.embedded_signatures)
        document_id = _subject(reader)
    except PdfDecodeLimitError:
        raise  # too complex, not damaged
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
    except (RecursionError, MemoryError, PdfDecodeLimitError):
        raise  # too complex, not tampered: judge_pdf says so
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
