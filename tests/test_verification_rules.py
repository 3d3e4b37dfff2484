"""The verdict rules of kiosk.documents.verification on their own: the lexical screen at each bound, the
judgement of a set of seals, and pyHanko's reading of real sealed files, without the app or a database.

/verify and `flask verify` are tested in test_seal.py and test_hostile_pdf.py; here each rule is pinned at its
boundary, so a bound moved by one or a check left out shows.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import pytest
from pyhanko.pdf_utils.misc import PdfDecodeLimitError

from kiosk.documents import verification
from kiosk.documents.sealing import SEAL_FIELD, load_seal_key
from kiosk.documents.verification import Bounds, SignatureCheck, screen_pdf, verify_pdf
from tests.support import SIGNING_PASSPHRASE
from tests.test_pdf_review import _review, _revise, _sealed

HEAD = b"%PDF-1.7\n"
SMALL = Bounds(max_bytes=4000, max_xref_entries=50, max_nesting=3, max_revisions=2, max_signatures=2, max_tokens=40)


def _status(data: bytes, bounds: Bounds = SMALL) -> tuple[str, str] | None:
    verdict = screen_pdf(data, bounds)
    return None if verdict is None else (verdict.status, verdict.reason)


def test_a_pdf_header_counts_within_the_first_kilobyte_only() -> None:
    assert verification.is_pdf(b" " * 1019 + HEAD)
    assert not verification.is_pdf(b" " * 1020 + HEAD)
    verdict = screen_pdf(b"GIF89a", SMALL)
    assert verdict is not None and (verdict.status, verdict.reason) == ("not_pdf", "This file is not a PDF.")
    assert verdict.sha256 == hashlib.sha256(b"GIF89a").hexdigest()


def test_a_small_plain_file_passes_the_screen() -> None:
    assert screen_pdf(HEAD + b"1 0 obj << /A [1 2] >> endobj\n", SMALL) is None


def test_the_size_bound() -> None:
    at = HEAD + b"0" * (SMALL.max_bytes - len(HEAD))
    assert _status(at) is None
    verdict = screen_pdf(at + b"0", SMALL)
    assert verdict is not None and verdict.status == "too_complex"
    assert verdict.reason == "The file could not be checked: it is too complex (larger than 0 MB)."
    assert verdict.sha256 == ""  # past the bound the caller may hold only a prefix: no misleading hash
    not_pdf_at = screen_pdf(b"x" * SMALL.max_bytes, SMALL)
    assert not_pdf_at is not None and not_pdf_at.sha256 == hashlib.sha256(b"x" * SMALL.max_bytes).hexdigest()
    not_pdf_past = screen_pdf(b"x" * (SMALL.max_bytes + 1), SMALL)
    assert not_pdf_past is not None and (not_pdf_past.status, not_pdf_past.sha256) == ("not_pdf", "")
    big = screen_pdf(HEAD + b"0" * (3 * 1024 * 1024))
    assert big is not None and big.reason.endswith("(larger than 3 MB).")


@pytest.mark.parametrize("revision", [b"startxref\n1\n", b"%%EOF\n", b"xref\n"])
def test_the_revisions_bound(revision: bytes) -> None:
    assert _status(HEAD + revision * 2) is None
    assert _status(HEAD + revision * 3) == (
        "too_complex", "The file could not be checked: it is too complex (3 revisions, at most 2 are checked).")


def test_the_cross_reference_sections_bound() -> None:
    assert _status(HEAD + b"/Size 1 " * 4) is None
    assert _status(HEAD + b"/Size 1 " * 5) == ("too_complex", "The file could not be checked: it is too complex "
                                                              "(5 cross-reference sections, at most 4 are read).")
    assert _status(HEAD + b"/Index [0 1] " * 5)[1].endswith("(5 cross-reference sections, at most 4 are read).")


def test_the_signatures_bound() -> None:
    assert _status(HEAD + b"/ByteRange " * 2) is None
    assert _status(HEAD + b"/ByteRange " * 3) == (
        "too_complex", "The file could not be checked: it is too complex (3 signatures, at most 2 are checked).")


@pytest.mark.parametrize(("declared", "entries"), [
    (b"/Size 50", 50), (b"/Size 51", 51), (b"/Index [0 20 100 31]", 51), (b"/Index [0 20 100 30]", 50),
    (b"/Size 7 /Index [0 51]", 51),
])
def test_the_declared_cross_reference_entries_bound(declared: bytes, entries: int) -> None:
    expected = None if entries <= 50 else (
        "too_complex", f"The file could not be checked: it is too complex ({entries} cross-reference entries "
                       "declared, at most 50 are read).")
    assert _status(HEAD + declared + b"\n") == expected


def test_a_classic_table_counts_its_entries_and_startxref_is_not_a_table() -> None:
    entry = b"0000000000 65535 f \n"
    table = b"xref\n0 3\n" + entry * 3 + b"7 2\n" + entry * 2 + b"trailer\n"
    assert verification._declared_xref_entries(table, 100) == 5
    assert verification._declared_xref_entries(b"startxref\n0 3\n", 100) == 0
    assert verification._declared_xref_entries(b"axref\n0 3\n" + entry * 3, 100) == 0  # a longer word
    assert verification._declared_xref_entries(b"xref\n0 3\n" + entry * 3 + b"trailer", 100) == 3  # at the start
    assert verification._declared_xref_entries(b"xref\n0 0\n9 0\n", 100) == 2  # an empty subsection costs a step
    assert verification._declared_xref_entries(b"/Size 9 xref\n0 3\n" + entry * 3, 100) == 9
    many = b"xref\n" + b"".join(b"%d 1\n" % i + entry for i in range(30))
    assert verification._declared_xref_entries(many, 10) == 11  # counting stops just past the limit


@pytest.mark.parametrize(("body", "depth"), [
    (b"[ << /A [ 1 ] >> ]", 3), (b"[[]] [[]]", 2), (b"[[] [[]]]", 3), (b"(a [ [ [ [ b) [", 1), (b"(a \\) [[[[ ) x", 0),
    (b"<5b5b5b5b> [", 1), (b"% [[[[[\n[", 1), (b"1 0 obj stream\n[[[[[[endstream [", 1), (b"]]] [[", 2),
    (b"( unbalanced [[[", 3),
])
def test_nesting_is_read_outside_strings_comments_and_streams(body: bytes, depth: int) -> None:
    deepest, _tokens = verification._nesting(body, Bounds(max_nesting=32, max_tokens=1000))
    assert deepest == depth


def test_a_stream_without_its_end_stops_the_scan_and_endstream_is_no_stream() -> None:
    assert verification._nesting(b"[ stream\n[[[[[", Bounds())[0] == 1
    assert verification._nesting(b"endstream\n[[", Bounds())[0] == 2


def test_the_nesting_and_token_bounds() -> None:
    assert _status(HEAD + b"[[[]]]") is None
    assert _status(HEAD + b"[[[[]]]]") == ("too_complex", "The file could not be checked: it is too complex "
                                                          "(arrays or dictionaries nested more than 3 deep).")
    # the header is a comment, one token; then 39 brackets, then 40
    assert _status(HEAD + b"[] " * 19 + b"[") is None
    assert _status(HEAD + b"[] " * 20) == ("too_complex", "The file could not be checked: it is too complex "
                                                          "(more than 40 structural tokens).")


def _seal(field: str = SEAL_FIELD, **changes: object) -> SignatureCheck:
    check = SignatureCheck(field=field, signer="Test Clinic", signed_at=None, intact=True, valid=True, ours=True,
                           coverage="ENTIRE_REVISION", modification_level="FORM_FILLING", changes_allowed=True)
    return replace(check, **changes)  # type: ignore[arg-type]


def _last(**changes: object) -> SignatureCheck:
    return _seal("DoctorReview2", **{"coverage": "ENTIRE_FILE", "modification_level": "NONE", "changes_allowed": True,
                                     **changes})


@pytest.mark.parametrize(("checks", "status", "reason"), [
    ([_seal(coverage="ENTIRE_FILE")], "intact", "The file is intact and sealed by this installation."),
    ([_seal(), _last()], "intact", "The file is intact and sealed by this installation."),
    ([_seal(changes_allowed=None), _last(changes_allowed=False)], "intact",
     "The file is intact and sealed by this installation."),  # only what follows an earlier seal is judged
    ([_seal(intact=False), _last()], "modified",
     "The file was changed after it was sealed: the seal no longer matches its contents."),
    ([_seal(), _last(valid=False)], "modified",
     "The file was changed after it was sealed: the seal no longer matches its contents."),
    ([_seal(), _last(coverage="ENTIRE_REVISION")], "modified", "Something was added to the file after its last seal."),
    ([_seal(changes_allowed=False), _last()], "modified",
     "The file was changed between its seals in a way a signed revision never does."),
    ([_seal(), _seal("DoctorReview2", changes_allowed=False), _last()], "modified",
     "The file was changed between its seals in a way a signed revision never does."),
    ([_seal(), _last(ours=False)], "unknown", "The file is sealed, but not with this installation's certificate."),
    ([_seal(ours=False, coverage="ENTIRE_FILE")], "unknown",
     "The file is sealed, but not with this installation's certificate."),
    ([_seal("Signature1", coverage="ENTIRE_FILE")], "unknown",
     "The file is sealed with this installation's certificate, but is not laid out as a consent."),
    ([_seal(), _seal("Approval2", coverage="ENTIRE_FILE")], "unknown",
     "The file is sealed with this installation's certificate, but is not laid out as a consent."),
])
def test_the_judgement_of_a_set_of_seals(checks: list[SignatureCheck], status: str, reason: str) -> None:
    assert verification._judge(checks) == (status, reason)


@pytest.fixture(scope="module")
def sealed(signing_key_file: Path) -> tuple[bytes, bytes, list]:
    original = _sealed(signing_key_file)
    return original, _revise(signing_key_file, original, _review(original)), [
        load_seal_key(signing_key_file, SIGNING_PASSPHRASE).certificate]


def test_a_sealed_consent_and_its_decision_are_intact(sealed: tuple[bytes, bytes, list]) -> None:
    original, revised, trusted = sealed
    first = verify_pdf(original, trusted)
    assert (first.status, first.seals, first.document_id) == ("intact", 1, "CK-2025-11-24-7F3A9C2E")
    assert first.intact and first.sha256 == hashlib.sha256(original).hexdigest()
    [seal] = first.signatures
    assert (seal.field, seal.intact, seal.valid, seal.ours, seal.coverage) == (SEAL_FIELD, True, True, True,
                                                                             "ENTIRE_FILE")
    assert seal.signed_at is not None and seal.signer == (
        "Organization: Test Clinic, Common Name: Test Clinic consent seal")
    second = verify_pdf(revised, trusted)
    assert (second.status, second.seals) == ("intact", 2)
    assert [(c.field, c.coverage, c.modification_level, c.changes_allowed) for c in second.signatures] == [
        (SEAL_FIELD, "ENTIRE_REVISION", "FORM_FILLING", True), ("DoctorReview2", "ENTIRE_FILE", "NONE", True)]


def test_a_seal_checked_against_another_key_is_unknown(sealed: tuple[bytes, bytes, list],
                                                                   tmp_path: Path) -> None:
    from datetime import datetime, timezone

    from kiosk.documents.sealing import create_signing_key

    original, _revised, _trusted = sealed
    create_signing_key(tmp_path / "other.p12", "x", organisation="Other", now=datetime.now(timezone.utc))
    other = verify_pdf(original, [load_seal_key(tmp_path / "other.p12", "x").certificate])
    assert (other.status, other.reason) == ("unknown", "The file is sealed, but not with this installation's "
                                                       "certificate.")
    assert [(c.ours, c.intact, c.valid) for c in other.signatures] == [(False, True, True)]


def test_a_pdf_without_a_seal_is_unknown(signing_key_file: Path) -> None:
    from kiosk.demo import demo_signature_png
    from kiosk.documents.pdf import render_consent_pdf
    from tests.factories.specimen import specimen_record

    plain = render_consent_pdf(specimen_record(), demo_signature_png())
    verdict = verify_pdf(plain, [])
    assert verdict.status == "unknown" and verdict.reason.startswith("The PDF carries no seal")
    assert verdict.document_id == "CK-2025-11-24-7F3A9C2E" and verdict.seals is None


def test_an_unreadable_pdf_is_modified_with_the_reason() -> None:
    verdict = verify_pdf(HEAD + b"garbage that is no PDF at all\n", [])
    assert verdict.status == "modified" and verdict.reason.startswith("The PDF is damaged and cannot be read")


@pytest.mark.parametrize(("error", "why"), [
    (RecursionError, "nested too deeply to read"), (MemoryError, "it needs more memory than a check may use"),
    (PdfDecodeLimitError, "its compressed streams expand past what a check decodes"),
])
def test_a_check_that_exhausts_its_means_is_too_complex(monkeypatch: pytest.MonkeyPatch, error: type,
                                                        why: str) -> None:
    def explode(_data: bytes, _trusted: list) -> None:
        raise error("boom")

    monkeypatch.setattr(verification, "_judge_pdf", explode)
    verdict = verification.judge_pdf(HEAD, [])
    assert (verdict.status, verdict.reason) == ("too_complex", f"The file could not be checked: it is too complex "
                                                               f"({why}).")
