"""Hostile inputs of issue 14, made at test time (shared by tests/test_hostile_*.py and bench/bench_hostile.py).

Each is small to make and to send, and each cost the server minutes, gigabytes or a 500 before the fix.
"""

from __future__ import annotations

import base64
import io
import struct
import zlib
from datetime import datetime, timedelta, timezone
from functools import lru_cache

# --------------------------------------------------------------------------
# PDFs


def _pdf(objects: list[bytes], trailer: bytes | None) -> tuple[bytearray, list[int]]:
    """A PDF body: header and numbered objects (1, 2, ...), with each object's offset."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    return out, offsets


def _classic(objects: list[bytes], catalog: int = 1) -> bytes:
    """Objects with a classic cross-reference table and trailer."""
    out, offsets = _pdf(objects, None)
    start = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, catalog, start)
    return bytes(out)


PAGE_OBJECTS = [
    b"<< /Type /Catalog /Pages 2 0 R >>",
    b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
    b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
]


@lru_cache(maxsize=None)
def xref_claiming(entries: int = 3_000_000) -> bytes:
    """A small PDF whose compressed cross-reference stream really holds `entries` entries (zeros compress well).

    The issue's file claimed 30 million; a reader that believes /Size builds every one of them.
    """
    out, offsets = _pdf(PAGE_OBJECTS, None)
    xref_offset = len(out)
    rows = [b"\x00\x00\x00\x00\xff"] + [b"\x01" + struct.pack(">I", o) for o in offsets] + [b"\x01" + struct.pack(
        ">I", xref_offset)]
    packer = zlib.compressobj(9)
    stream = packer.compress(b"".join(rows))
    zeros = bytes(5 * 65536)
    remaining = entries - len(rows)
    while remaining > 0:
        count = min(remaining, 65536)
        stream += packer.compress(zeros[:count * 5])
        remaining -= count
    stream += packer.flush()
    number = len(PAGE_OBJECTS) + 1
    out += (b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 0] /Root 1 0 R /Filter /FlateDecode /Length %d >>\nstream\n"
            % (number, entries, len(stream)) + stream + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n" % xref_offset)
    return bytes(out)


@lru_cache(maxsize=None)
def xref_stream_bomb(decoded_megabytes: int = 16) -> bytes:
    """A PDF whose cross-reference stream declares 5 entries but decompresses to `decoded_megabytes` MB.

    Nothing in its raw bytes is past a bound of the screen (it cannot see inside a compressed stream):
    pyHanko's own decoding limits for untrusted input refuse it, and that too is "too complex".
    """
    out, offsets = _pdf(PAGE_OBJECTS, None)
    xref_offset = len(out)
    rows = [b"\x00\x00\x00\x00\xff"] + [b"\x01" + struct.pack(">I", o) for o in offsets] + [b"\x01" + struct.pack(
        ">I", xref_offset)]
    packer = zlib.compressobj(9)
    stream = packer.compress(b"".join(rows))
    chunk = bytes(1024 * 1024)
    for _ in range(decoded_megabytes):
        stream += packer.compress(chunk)
    stream += packer.flush()
    number = len(PAGE_OBJECTS) + 1
    out += (b"%d 0 obj\n<< /Type /XRef /Size %d /W [1 4 0] /Root 1 0 R /Filter /FlateDecode /Length %d >>\nstream\n"
            % (number, number + 1, len(stream)) + stream + b"\nendstream\nendobj\nstartxref\n%d\n%%%%EOF\n"
            % xref_offset)
    return bytes(out)


@lru_cache(maxsize=None)
def deeply_nested(kilobytes: int = 400) -> bytes:
    """A PDF whose catalog holds arrays nested `kilobytes` x 512 deep (the issue's 400 KB file)."""
    depth = kilobytes * 512
    catalog = b"<< /Type /Catalog /Pages 2 0 R /Nest " + b"[" * depth + b"]" * depth + b" >>"
    return _classic([catalog, *PAGE_OBJECTS[1:]])


def throwaway_signer():  # noqa: ANN201 - a pyHanko SimpleSigner
    """An attacker's own key: a self-signed ECDSA P-256 certificate, quick to make and to sign with."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID
    from pyhanko.keys.internal import translate_pyca_cryptography_cert_to_asn1, translate_pyca_cryptography_key_to_asn1
    from pyhanko.sign import signers
    from pyhanko_certvalidator.registry import SimpleCertificateStore

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Mallory")])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=30)).sign(key, hashes.SHA256()))
    return signers.SimpleSigner(signing_cert=translate_pyca_cryptography_cert_to_asn1(cert),
                                signing_key=translate_pyca_cryptography_key_to_asn1(key),
                                cert_registry=SimpleCertificateStore())


@lru_cache(maxsize=None)
def many_signed_revisions(revisions: int = 40) -> bytes:
    """A PDF with `revisions` incremental updates, each a new signature by the attacker's throwaway key."""
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.sign import signers

    from kiosk.documents.sealing import run_sync

    signer = throwaway_signer()
    pdf = _classic(PAGE_OBJECTS)
    for number in range(revisions):
        meta = signers.PdfSignatureMetadata(field_name=f"Mallory{number}", md_algorithm="sha256")
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        pdf = run_sync(signers.async_sign_pdf(writer, meta, signer=signer, output=io.BytesIO(),
                                              bytes_reserved=2048)).getvalue()
    return pdf


def consent_with_decisions(key, decisions: int) -> bytes:  # noqa: ANN001 - a kiosk.documents.sealing.SealKey
    """Not hostile: the specimen consent sealed with `key`, plus `decisions` doctor's decisions as signed revisions.

    What this clinic's own files look like at the bounds' edge (one seal and up to 31 decisions).
    """
    from kiosk.demo import demo_signature_png
    from kiosk.documents.pdf import render_consent_pdf, render_review_appearance
    from kiosk.documents.sealing import REVIEW_FIELD_PREFIX, add_signed_revision, review_area, seal_pdf
    from tests.factories.specimen import specimen_record

    pdf = seal_pdf(render_consent_pdf(specimen_record(), demo_signature_png()), key, clinic_name="Test Clinic",
                   reason="test")
    area = review_area(pdf)
    for number in range(2, decisions + 2):
        review = {"doctor_name": "Dr. Test", "doctor_email": "doctor@x.test", "decision": "cleared", "note": "Seen.",
                  "decided_at": "2025-11-25T09:15:30+01:00", "timezone": "Europe/Madrid", "meaning": "Reviewed.",
                  "revision": number, "original_sha256": "0" * 64}
        appearance = render_review_appearance(review, [], "en", area.right - area.left, area.top - area.bottom)
        pdf = add_signed_revision(pdf, key, appearance_pdf=appearance, area=area,
                                  field_name=f"{REVIEW_FIELD_PREFIX}{number}", signer_name="Dr. Test",
                                  reason="test", location="Test Clinic")
    return pdf


# --------------------------------------------------------------------------
# Text, images, YAML

# marks of two different combining classes (230 above, 220 below) alternate, so NFC must reorder the whole run,
# which CPython does in quadratic time; one mark repeated is already in order and cheap
COMBINING_MARKS = ("\u0301\u0323", "\u0323\u0301", "\u0308\u0316", "\u05b0\u0591", "\u0301", "\u0489")


def combining_run(count: int = 300_000, marks: str = "\u0301\u0323", base: str = "a") -> str:
    """A letter with `count` combining marks on it, cycling through `marks` (600 KB of UTF-8 for the default)."""
    return base + (marks * (count // len(marks) + 1))[:count]


def png_claiming(width: int = 100_000, height: int = 100_000) -> bytes:
    """A PNG of a couple of hundred bytes whose header claims `width` x `height` pixels (a decompression bomb)."""
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA
    rows = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def png_data_url(png: bytes) -> str:
    """As the signature canvas posts it."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def yaml_alias_bomb(levels: int = 9, width: int = 9) -> str:
    """A few hundred bytes of YAML whose aliases expand to width ** levels nodes (a billion laughs)."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, levels):
        refs = ", ".join(f"*a{level - 1}" for _ in range(width))
        lines.append(f"a{level}: &a{level} [{refs}]")
    return "\n".join(lines) + "\n"
