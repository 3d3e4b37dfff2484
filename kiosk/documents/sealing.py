"""The clinic's seal: a PAdES signature on every consent PDF, and signed revisions added to a sealed file.

No Flask, no database, no network. The PKCS#12 file is parsed once per process
(cached by path, size and modification time), because parsing it costs more
than the signature itself. Signatures are PAdES B-B: there is no timestamp
server on a closed clinic network, so the signing time is the signer's clock.

A consent's first seal is an approval signature. A doctor's decision is added as an incremental
update: a new signature field whose visible appearance is the decision, covering the whole area the
original PDF reserved for it (the outline entry with a /FitR rectangle,
kiosk.documents.pdf.pages.REVIEW_AREA). Each later decision's widget is drawn on top of the earlier
ones (annotations paint in order), so the frame never fills up, however many decisions a document
gets; the earlier ones stay in full inside the file as the revisions they made. Everything the
patient's seal covers stays byte for byte in the revised file.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import io
import os
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Coroutine, TypeVar

from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID
from pyhanko.pdf_utils import generic, layout
from pyhanko.pdf_utils.content import PdfContent
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.keys.internal import translate_pyca_cryptography_cert_to_asn1, translate_pyca_cryptography_key_to_asn1
from pyhanko.sign import fields, signers
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko.stamp import StaticStampStyle
from pyhanko_certvalidator.registry import SimpleCertificateStore

from kiosk.documents.pdf.archival import ArchivalIncrementalWriter, document_date, give_empty_appearance

T = TypeVar("T")

SEAL_FIELD = "ClinicSeal"
REVIEW_FIELD_PREFIX = "DoctorReview"


def run_sync(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run one of pyHanko's coroutines to the end, also from a thread where an event loop already runs.

    pyHanko's synchronous wrappers call asyncio.run(), which refuses inside a running loop (an async
    server, or a test process driving a browser with Playwright); such a caller gets a short-lived thread.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coroutine)
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


class SealKeyError(Exception):
    """The signing key is missing, unreadable or has the wrong passphrase; says which and what to do."""


class SealError(Exception):
    """A PDF could not be sealed or revised (it is damaged, or has no frame reserved for a decision)."""


class NoReservedArea(SealError):
    """The PDF was made before its kind reserved a frame for later revisions (check-ins before migration 0013)."""


@dataclass(frozen=True)
class SealKey:
    """A parsed PKCS#12: the signer pyHanko uses and the certificate verification compares against."""

    signer: signers.SimpleSigner
    certificate: asn1_x509.Certificate
    fingerprint: str  # SHA-256 of the certificate's DER, hex
    subject: str


class _PreloadedSigner(signers.SimpleSigner):
    """pyHanko's SimpleSigner re-parses the private key for every signature (~90 ms for RSA-3072); this parses it once."""

    _private_key: Any = None

    def sign_raw(self, data: bytes, digest_algorithm: str) -> bytes:
        mechanism = self.get_signature_mechanism_for_digest(digest_algorithm).signature_algo
        if self._private_key is None:
            self._private_key = serialization.load_der_private_key(self.signing_key.dump(), password=None)
        hash_algo = getattr(hashes, digest_algorithm.upper().replace("-", "_"), None)
        if mechanism == "rsassa_pkcs1v15" and hash_algo is not None:
            return self._private_key.sign(data, padding.PKCS1v15(), hash_algo())
        if mechanism == "ecdsa" and hash_algo is not None:
            return self._private_key.sign(data, ec.ECDSA(hash_algo()))
        return super().sign_raw(data, digest_algorithm)  # rarer mechanisms: pyHanko's own (slower) path


SIGNATURE_ROOM = 16_384  # bytes reserved for the CMS signature; pyHanko would otherwise sign twice to measure

_cache: dict[tuple[str, int, int], SealKey] = {}
_cache_lock = threading.Lock()


def load_seal_key(path: str | os.PathLike[str], passphrase: str | None) -> SealKey:
    """The parsed key, read from disk only when the file is new or has changed since the last call."""
    file = Path(path)
    try:
        stat = file.stat()
    except OSError as exc:
        raise SealKeyError(f"cannot read the signing key {file}: {exc.strerror or exc}; "
                           "create one with `flask --app app init-signing-key`") from None
    key = (str(file.resolve()), stat.st_size, stat.st_mtime_ns)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    with _cache_lock:
        cached = _cache.get(key)
        if cached is None:
            cached = _parse(file, passphrase)
            _cache.clear()  # one key per path is live at a time; drop the stale parse
            _cache[key] = cached
    return cached


def _parse(file: Path, passphrase: str | None) -> SealKey:
    secret = passphrase.encode("utf-8") if passphrase else None
    try:
        private_key, cert, chain = pkcs12.load_key_and_certificates(file.read_bytes(), secret)
    except OSError as exc:
        raise SealKeyError(f"cannot read the signing key {file}: {exc.strerror or exc}") from None
    except Exception as exc:  # cryptography raises ValueError for a wrong passphrase or a broken file
        raise SealKeyError(f"cannot open the signing key {file}: wrong passphrase or not a PKCS#12 file "
                           f"({exc.__class__.__name__})") from None
    if private_key is None or cert is None:
        raise SealKeyError(f"the signing key {file} holds no certificate and key")
    registry = SimpleCertificateStore()
    registry.register_multiple(translate_pyca_cryptography_cert_to_asn1(c) for c in chain or [])
    asn1_cert = translate_pyca_cryptography_cert_to_asn1(cert)
    signer = _PreloadedSigner(signing_cert=asn1_cert, cert_registry=registry,
                              signing_key=translate_pyca_cryptography_key_to_asn1(private_key))
    signer._private_key = private_key
    return SealKey(signer=signer, certificate=asn1_cert, fingerprint=asn1_cert.sha256.hex(),
                   subject=asn1_cert.subject.human_friendly)


def create_signing_key(path: str | os.PathLike[str], passphrase: str, *, organisation: str,
                       now: datetime, valid_years: int = 10) -> str:
    """A new self-signed RSA-3072 certificate and key as PKCS#12 (mode 0600); returns its SHA-256 fingerprint.

    Refuses to overwrite an existing file: replacing a key makes earlier consents verify as
    "not this installation" unless the old certificate is kept as trusted.
    """
    file = Path(path)
    if file.exists():
        raise SealKeyError(f"{file} already exists; move it away first (and keep its certificate trusted, "
                           "see KIOSK_SIGNING_TRUSTED_CERTS) if you really mean to replace it")
    private_key = rsa.generate_private_key(public_exponent=65537, key_size=3072)
    name = x509.Name([
        x509.NameAttribute(NameOID.COMMON_NAME, f"{organisation} consent seal"[:64]),
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation[:64]),
    ])
    start = now.astimezone(timezone.utc) - timedelta(minutes=5)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(start + timedelta(days=365 * valid_years))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(digital_signature=True, content_commitment=True, key_encipherment=False,
                                     data_encipherment=False, key_agreement=False, key_cert_sign=False,
                                     crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(private_key.public_key()), critical=False)
        .sign(private_key, hashes.SHA256())
    )
    encryption = (serialization.BestAvailableEncryption(passphrase.encode("utf-8")) if passphrase
                  else serialization.NoEncryption())
    blob = pkcs12.serialize_key_and_certificates(b"consent-seal", private_key, cert, None, encryption)
    file.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(blob)
    return cert.fingerprint(hashes.SHA256()).hex()


def new_passphrase() -> str:
    """A random passphrase for a demo key kept next to it in the instance folder."""
    return secrets.token_urlsafe(24)


# --------------------------------------------------------------------------
# Sealing
# --------------------------------------------------------------------------


def seal_pdf(pdf: bytes, key: SealKey, *, clinic_name: str, reason: str) -> bytes:
    """Seal a freshly rendered consent (an approval signature: a certification one would forbid the new
    signature field a review adds, which pyHanko then reports as a modification).

    The seal is invisible; its widget gets an empty appearance and the print flag, as PDF/A-1 asks of every
    annotation, and the metadata stays as rendered (kiosk.documents.pdf.archival)."""
    meta = signers.PdfSignatureMetadata(
        field_name=SEAL_FIELD, md_algorithm="sha256", subfilter=SigSeedSubFilter.PADES,
        reason=reason[:200], location=clinic_name[:200], name=clinic_name[:200],
    )
    try:
        writer = ArchivalIncrementalWriter(pdf)
        fields.append_signature_field(writer, fields.SigFieldSpec(sig_field_name=SEAL_FIELD))
        give_empty_appearance(writer, SEAL_FIELD)
        out = run_sync(signers.async_sign_pdf(writer, meta, signer=key.signer, output=io.BytesIO(),
                                              bytes_reserved=SIGNATURE_ROOM))
    except (PdfError, ValueError) as exc:
        raise SealError(f"the PDF could not be sealed: {exc}") from exc
    return out.getvalue()


@dataclass(frozen=True)
class Area:
    page: int  # 0-based page index
    left: float
    bottom: float
    right: float
    top: float


def review_area(pdf: bytes) -> Area:
    """The frame reserved for decisions; every decision's appearance covers all of it."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    page_ref, rect = _reserved_rectangle(reader)
    index = next((i for i in range(int(reader.root["/Pages"]["/Count"]))
                  if reader.find_page_for_modification(i)[0].idnum == page_ref.idnum), None)
    if index is None:
        raise SealError("the review area points at no page of this PDF")
    left, bottom, right, top = rect
    return Area(index, left, bottom, right, top)


def _reserved_rectangle(reader: PdfFileReader) -> tuple[generic.IndirectObject, tuple[float, ...]]:
    """The outline entry with a /FitR destination (the renderer writes exactly one: REVIEW_AREA)."""
    outlines = reader.root.get("/Outlines")
    item = outlines.get_object().get("/First") if outlines is not None else None
    seen = 0
    while item is not None and seen < 1000:
        entry = item.get_object()
        dest = entry.get("/Dest")
        if dest is not None:
            dest = dest.get_object()
            if isinstance(dest, generic.ArrayObject) and len(dest) == 6 and dest[1] == "/FitR":
                return dest.raw_get(0), tuple(float(dest[i]) for i in range(2, 6))
        item = entry.get("/Next")
        seen += 1
    raise NoReservedArea("this PDF has no area reserved for a doctor's review")


class _PdfPageBytes(PdfContent):
    """The first page of an in-memory PDF as a form XObject (pyHanko's ImportedPdfPage reads only files)."""

    def __init__(self, pdf: bytes) -> None:
        super().__init__()
        self._pdf = pdf

    def render(self) -> bytes:
        writer = self._ensure_writer
        xobj = writer.import_page_as_xobject(PdfFileReader(io.BytesIO(self._pdf)), page_ix=0)
        name = "/Review" + secrets.token_hex(8)
        self.resources.xobject[name] = xobj
        x1, y1, x2, y2 = xobj.get_object()["/BBox"]
        self.box = layout.BoxConstraints(width=abs(x2 - x1), height=abs(y2 - y1))
        return name.encode("ascii") + b" Do"


def add_signed_revision(pdf: bytes, key: SealKey, *, appearance_pdf: bytes, area: Area, field_name: str,
                        signer_name: str, reason: str, location: str) -> bytes:
    """Append a signature whose visible appearance is `appearance_pdf`'s first page, scaled to cover `area`."""
    try:
        writer = ArchivalIncrementalWriter(pdf, modified=document_date(appearance_pdf))  # PDF/A: dated by the decision
        box = (area.left, area.bottom, area.right, area.top)
        spec = fields.SigFieldSpec(sig_field_name=field_name, on_page=area.page,
                                   box=box)  # type: ignore[arg-type]  # pyHanko types ints, writes PDF reals
        style = StaticStampStyle(
            background=_PdfPageBytes(appearance_pdf), background_opacity=1.0, border_width=0,
            background_layout=layout.SimpleBoxLayoutRule(
                x_align=layout.AxisAlignment.ALIGN_MIN, y_align=layout.AxisAlignment.ALIGN_MAX,
                margins=layout.Margins.uniform(0), inner_content_scaling=layout.InnerScaling.SHRINK_TO_FIT),
        )
        meta = signers.PdfSignatureMetadata(field_name=field_name, md_algorithm="sha256",
                                            subfilter=SigSeedSubFilter.PADES, reason=reason[:200],
                                            location=location[:200], name=signer_name[:200])
        pdf_signer = signers.PdfSigner(meta, signer=key.signer, stamp_style=style, new_field_spec=spec)
        out = run_sync(pdf_signer.async_sign_pdf(writer, output=io.BytesIO(), bytes_reserved=SIGNATURE_ROOM))
    except (PdfError, ValueError, KeyError) as exc:
        raise SealError(f"the review could not be added to the sealed PDF: {exc}") from exc
    return out.getvalue()
