"""The sealed consent PDF: pyHanko's own validator, tampered copies, the doctor's signed revision, `verify` and /verify.

`verify` runs as a real subprocess; /verify through the test client with real CSRF tokens.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader, PdfWriter

from kiosk.documents.sealing import run_sync
from tests.support import ROOT, SIGNING_PASSPHRASE, csrf_token
from tests.helpers import consents, drawn_signature, staff_login


def _key(app: Flask):  # noqa: ANN202
    from kiosk.core.web import seal_key

    with app.app_context():
        return seal_key()


def _signed(app: Flask, wizard: Any) -> tuple[str, bytes]:
    wizard.complete(app, "co2_laser", signature_data=drawn_signature())
    [consent] = consents(app)
    return consent.document_id, consent.documents[0].pdf


def _decide(app: Flask, document_id: str, decision: str = "cleared", note: str = "Seen in person.") -> bytes:
    from tests.helpers import STAFF_PASSWORD

    client = app.test_client()
    staff_login(client, "doctor@x.test")
    page = client.get(f"/doctor/consents/{document_id}").get_data(as_text=True)
    response = client.post(f"/doctor/consents/{document_id}", data={
        "csrf_token": csrf_token(page), "decision": decision, "note": note, "meaning": "y",
        "password": STAFF_PASSWORD})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return [c for c in consents(app) if c.document_id == document_id][0].documents[-1].pdf


def _statuses(app: Flask, pdf: bytes) -> list[Any]:
    """pyHanko's verdict on every signature, trusting only the test installation's certificate."""
    context = ValidationContext(trust_roots=[_key(app).certificate], allow_fetching=False)
    reader = PdfFileReader(io.BytesIO(pdf))
    return [run_sync(async_validate_pdf_signature(sig, signer_validation_context=context))
            for sig in reader.embedded_signatures]


# --------------------------------------------------------------------------
# tampered copies
# --------------------------------------------------------------------------


def _one_byte_changed(pdf: bytes) -> bytes:
    """Change one letter of the patient's printed text: the file still opens, the words differ."""
    data = bytearray(pdf)
    position = len(pdf) // 3
    data[position] = (data[position] + 1) % 256
    return bytes(data)


def _page_removed(pdf: bytes) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    writer.remove_page(1)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _page_removed_incrementally(pdf: bytes) -> bytes:
    """The sneakier way: the original bytes stay and an update drops a page, so the seal's own range is intact."""
    writer = PdfWriter(io.BytesIO(pdf), incremental=True)
    writer.remove_page(1)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _resaved(pdf: bytes) -> bytes:
    """Opened and saved again by another tool, content untouched."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(pdf)))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


TAMPERED = {"one byte changed": _one_byte_changed, "a page removed": _page_removed,
            "a page removed in an incremental update": _page_removed_incrementally, "re-saved by pypdf": _resaved}


def run_verify(app: Flask, path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": app.config["DATABASE_URL"], "KIOSK_SECRET_KEY": "test",
           "KIOSK_AUTO_MIGRATE": "false", "KIOSK_ENV_NAME": "test",
           "KIOSK_SIGNING_KEY_FILE": app.config["SIGNING_KEY_FILE"], "KIOSK_SIGNING_KEY_PASSPHRASE": SIGNING_PASSPHRASE}
    env.pop("FLASK_APP", None)
    return subprocess.run([sys.executable, "-m", "flask", "--app", "app", "verify", str(path)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def upload(app: Flask, pdf: bytes, filename: str = "consent.pdf"):  # noqa: ANN201
    client = app.test_client()
    token = csrf_token(client.get("/verify").get_data(as_text=True))
    return client.post("/verify", data={"csrf_token": token, "document": (io.BytesIO(pdf), filename)},
                       content_type="multipart/form-data")


# --------------------------------------------------------------------------
# pyHanko's own validator
# --------------------------------------------------------------------------


def test_the_sealed_pdf_validates_intact_and_covers_the_whole_file(app: Flask, wizard: Any) -> None:
    _document_id, pdf = _signed(app, wizard)
    [status] = _statuses(app, pdf)
    assert status.intact and status.valid and status.trusted and status.bottom_line
    assert status.coverage == SignatureCoverageLevel.ENTIRE_FILE
    assert status.signing_cert.sha256 == _key(app).certificate.sha256


def test_the_doctors_revision_keeps_the_patients_seal_valid(app: Flask, wizard: Any, staff: dict[str, str]) -> None:
    document_id, original = _signed(app, wizard)
    revised = _decide(app, document_id)
    assert revised.startswith(original)
    first, second = _statuses(app, revised)
    # the patient's seal: intact, covering its own revision; what follows is only a signature being added
    assert first.intact and first.valid and first.trusted and first.bottom_line
    assert first.coverage == SignatureCoverageLevel.ENTIRE_REVISION
    assert first.modification_level == ModificationLevel.FORM_FILLING and first.docmdp_ok
    assert second.intact and second.valid and second.bottom_line
    assert second.coverage == SignatureCoverageLevel.ENTIRE_FILE
    # a second decision (after a consultation) adds a third seal; both earlier ones still hold
    third_revision = _decide(app, document_id, decision="consultation", note="Please come in first.")
    assert [s.bottom_line for s in _statuses(app, third_revision)] == [True, True, True]


# what pyHanko says of the one seal in each tampered copy: (its bytes hash as signed, what it covers, and
# whether what follows it is only signing); every copy opens, so a reading error would be a failure here
TAMPERED_STATUS = {
    "one byte changed": (False, SignatureCoverageLevel.ENTIRE_FILE, True),
    "a page removed": (False, SignatureCoverageLevel.CONTIGUOUS_BLOCK_FROM_START, False),
    "a page removed in an incremental update": (True, SignatureCoverageLevel.ENTIRE_REVISION, False),
    "re-saved by pypdf": (False, SignatureCoverageLevel.CONTIGUOUS_BLOCK_FROM_START, False),
}


@pytest.mark.parametrize("change", sorted(TAMPERED))
def test_a_tampered_copy_is_not_intact_for_pyhanko(app: Flask, wizard: Any, change: str) -> None:
    _document_id, pdf = _signed(app, wizard)
    [status] = _statuses(app, TAMPERED[change](pdf))
    assert status.valid and not status.bottom_line
    assert (status.intact, status.coverage, status.docmdp_ok) == TAMPERED_STATUS[change]


def _reviewed(signing_key_file: Path, pdf: bytes, revision: int = 2) -> bytes:
    """`pdf` with a doctor's decision added as the sealing code adds it: a signed revision in the reserved frame."""
    from kiosk.documents.pdf import render_review_appearance
    from kiosk.documents.sealing import REVIEW_FIELD_PREFIX, add_signed_revision, load_seal_key, review_area

    area = review_area(pdf)
    review = {"doctor_name": "Dr Test", "doctor_email": "doctor@x.test", "decision": "cleared", "note": "Seen.",
              "decided_at": "2026-01-05T10:00:00+01:00", "timezone": "Europe/Madrid", "meaning": "I reviewed it.",
              "revision": revision, "original_sha256": "0" * 64}
    appearance = render_review_appearance(review, [], "en", area.right - area.left, area.top - area.bottom)
    return add_signed_revision(pdf, load_seal_key(signing_key_file, SIGNING_PASSPHRASE), appearance_pdf=appearance,
                               area=area, field_name=f"{REVIEW_FIELD_PREFIX}{revision}", signer_name="Dr Test",
                               reason="review", location="Test Clinic")


def test_a_change_between_two_seals_is_modified(signing_key_file: Path) -> None:
    """A page removed after the patient's seal, then a decision sealed over it: every seal's bytes still hold,
    and the last covers the whole file, so only the check of what happened between the seals can tell."""
    from kiosk.documents.sealing import load_seal_key
    from kiosk.documents.verification import verify_pdf
    from tests.test_pdf_review import _sealed

    trusted = [load_seal_key(signing_key_file, SIGNING_PASSPHRASE).certificate]
    original = _sealed(signing_key_file)
    honest = verify_pdf(_reviewed(signing_key_file, original), trusted)
    assert honest.status == "intact" and honest.seals == 2
    page_removed = TAMPERED["a page removed in an incremental update"](original)
    verdict = verify_pdf(_reviewed(signing_key_file, page_removed), trusted)
    assert [(c.intact, c.valid, c.ours) for c in verdict.signatures] == [(True, True, True)] * 2
    assert verdict.signatures[-1].coverage == "ENTIRE_FILE"
    assert verdict.status == "modified", verdict.reason
    assert verdict.reason == "The file was changed between its seals in a way a signed revision never does."


# --------------------------------------------------------------------------
# flask verify FILE.pdf
# --------------------------------------------------------------------------


def test_verify_command_intact_modified_and_not_a_pdf(app: Flask, wizard: Any, staff: dict[str, str],
                                                      tmp_path: Path) -> None:
    document_id, original = _signed(app, wizard)
    path = tmp_path / "consent.pdf"
    path.write_bytes(original)
    intact = run_verify(app, path)
    assert intact.returncode == 0, intact.stdout + intact.stderr
    assert "INTACT" in intact.stdout and f"document: {document_id}" in intact.stdout
    assert "revision: 1" in intact.stdout and "newer revision: no" in intact.stdout

    revised = _decide(app, document_id)
    newer = run_verify(app, path)  # the same file, now that the doctor has added revision 2
    assert newer.returncode == 0 and "newer revision: yes, revision 2 (with the doctor's review) exists" in newer.stdout
    (tmp_path / "revised.pdf").write_bytes(revised)
    latest = run_verify(app, tmp_path / "revised.pdf")
    assert latest.returncode == 0 and "revision: 2" in latest.stdout and "newer revision: no" in latest.stdout

    for name, change in TAMPERED.items():
        (tmp_path / "tampered.pdf").write_bytes(change(original))
        result = run_verify(app, tmp_path / "tampered.pdf")
        assert result.returncode == 1, (name, result.stdout, result.stderr)
        assert result.stdout.startswith("MODIFIED"), (name, result.stdout)
        assert "Traceback" not in result.stderr, result.stderr

    (tmp_path / "notes.pdf").write_text("not a pdf at all")
    not_pdf = run_verify(app, tmp_path / "notes.pdf")
    assert not_pdf.returncode == 2 and not_pdf.stdout.startswith("NOT PDF")
    missing = run_verify(app, tmp_path / "missing.pdf")
    assert missing.returncode == 2 and "cannot read" in missing.stderr and "Traceback" not in missing.stderr


def test_verify_command_calls_a_pdf_sealed_elsewhere_unknown(app: Flask, wizard: Any, tmp_path: Path) -> None:
    from datetime import datetime, timezone

    from kiosk.documents.sealing import create_signing_key, load_seal_key, seal_pdf

    _document_id, original = _signed(app, wizard)
    create_signing_key(tmp_path / "other.p12", "x", organisation="Another Clinic", now=datetime.now(timezone.utc))
    unsealed = PdfReader(io.BytesIO(original))  # rebuild the same pages without our seal, then seal with theirs
    writer = PdfWriter(clone_from=unsealed)
    writer._root_object.pop("/AcroForm", None)
    for page in writer.pages:
        page.pop("/Annots", None)
    out = io.BytesIO()
    writer.write(out)
    (tmp_path / "theirs.pdf").write_bytes(seal_pdf(out.getvalue(), load_seal_key(tmp_path / "other.p12", "x"),
                                                   clinic_name="Another Clinic", reason="test"))
    result = run_verify(app, tmp_path / "theirs.pdf")
    assert result.returncode == 1 and result.stdout.startswith("UNKNOWN"), result.stdout


# --------------------------------------------------------------------------
# /verify
# --------------------------------------------------------------------------


def test_verify_page_says_intact_with_document_and_revision(app: Flask, wizard: Any) -> None:
    document_id, pdf = _signed(app, wizard)
    response = upload(app, pdf)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Intact: issued by this clinic and unchanged" in html and document_id in html
    assert "No, this is the latest revision." in html
    assert "<dd>1 (signed by the patient)</dd>" in html  # the revision's kind in the vocabulary's words
    assert "Zoë" not in html and "1990-05-17" not in html  # the page itself adds no patient data


@pytest.mark.parametrize("change", sorted(TAMPERED))
def test_verify_page_says_modified_for_a_tampered_copy(app: Flask, wizard: Any, change: str) -> None:
    _document_id, pdf = _signed(app, wizard)
    html = upload(app, TAMPERED[change](pdf)).get_data(as_text=True)
    assert "Modified: this file was changed after it was sealed" in html
    assert "Intact" not in html


def test_verify_page_not_a_pdf_no_file_and_too_large(app: Flask) -> None:
    html = upload(app, b"GIF89a....", "photo.pdf").get_data(as_text=True)
    assert "Not a PDF" in html
    client = app.test_client()
    token = csrf_token(client.get("/verify").get_data(as_text=True))
    empty = client.post("/verify", data={"csrf_token": token}, content_type="multipart/form-data")
    assert empty.status_code == 200 and "Please choose the PDF file to check." in empty.get_data(as_text=True)
    big = upload(app, b"%PDF-1.7\n" + b"0" * (4 * 1024 * 1024))
    assert big.status_code == 413 and "larger than 3 MB" in big.get_data(as_text=True)


def test_the_printed_code_leads_to_the_document_without_patient_data(app: Flask, wizard: Any) -> None:
    from tests.helpers import pdf_text

    document_id, pdf = _signed(app, wizard)
    [consent] = consents(app)
    code, original_sha = consent.verification_code, consent.documents[0].sha256
    for page in PdfReader(io.BytesIO(pdf)).pages:  # on every page, with where to check it
        assert f"Verification code {code} · http://127.0.0.1:5000/verify?code={code}" in page.extract_text()
    assert pdf_text(pdf).count(code) >= len(PdfReader(io.BytesIO(pdf)).pages)
    html = app.test_client().get(f"/verify?code={code.lower().replace('-', ' ')}").get_data(as_text=True)
    assert f"Document {document_id} was issued by this clinic" in html and original_sha in html
    assert "Zoë" not in html and "Ablative" not in html
    unknown = app.test_client().get("/verify?code=AAAA-BBBB-CCCC").get_data(as_text=True)
    assert "No consent has this code" in unknown


def test_checks_are_rate_limited_per_address(app: Flask) -> None:
    from kiosk.verify.service import CHECK_LIMIT

    client = app.test_client()
    for _ in range(CHECK_LIMIT):
        assert client.get("/verify?code=AAAA-BBBB-CCCC").status_code == 200
    refused = client.get("/verify?code=AAAA-BBBB-CCCC")
    assert refused.status_code == 429 and "Too many checks" in refused.get_data(as_text=True)
    assert int(refused.headers["Retry-After"]) > 0


# --------------------------------------------------------------------------
# the key
# --------------------------------------------------------------------------


def test_the_key_is_parsed_once_and_again_only_when_the_file_changes(tmp_path: Path) -> None:
    from datetime import datetime, timezone

    from kiosk.documents.sealing import SealKeyError, create_signing_key, load_seal_key

    path = tmp_path / "k.p12"
    create_signing_key(path, "pw", organisation="Clinic", now=datetime.now(timezone.utc))
    first = load_seal_key(path, "pw")
    assert load_seal_key(path, "pw") is first
    os.utime(path, ns=(1, 1))
    assert load_seal_key(path, "pw") is not first
    with pytest.raises(SealKeyError, match="wrong passphrase"):
        os.utime(path, ns=(2, 2))
        load_seal_key(path, "not the passphrase")
    with pytest.raises(SealKeyError, match="already exists"):
        create_signing_key(path, "pw", organisation="Clinic", now=datetime.now(timezone.utc))


def test_init_signing_key_command_writes_a_key_once(tmp_path: Path) -> None:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}", "KIOSK_SECRET_KEY": "test",
           "KIOSK_SIGNING_KEY_FILE": str(tmp_path / "seal.p12"), "KIOSK_CLINIC_NAME": "Clínica Ñ"}
    env.pop("FLASK_APP", None)
    env.pop("KIOSK_SIGNING_KEY_PASSPHRASE", None)
    command = [sys.executable, "-m", "flask", "--app", "app", "init-signing-key"]
    first = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    assert (tmp_path / "seal.p12").exists() and (tmp_path / "seal.p12.passphrase").stat().st_mode & 0o077 == 0
    assert "certificate SHA-256:" in first.stdout
    again = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 1 and "already exists" in again.stderr and "Traceback" not in again.stderr


def test_workers_starting_together_on_a_fresh_install_share_one_demo_key(tmp_path: Path) -> None:
    """Four processes asking for the demo key at once: one makes it, all load it, its passphrase matches it."""
    key_file = tmp_path / "instance" / "signing-key.p12"
    script = (
        "import sys; from datetime import datetime, timezone; from kiosk.documents.signing_keys import signing_key; "
        "key = signing_key(sys.argv[1], None, create_if_missing=True, organisation='Demo', "
        "now=datetime.now(timezone.utc)); print(key.fingerprint)"
    )
    runs = [subprocess.Popen([sys.executable, "-c", script, str(key_file)], cwd=ROOT, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(4)]
    results = [run.communicate(timeout=120) for run in runs]
    assert all(run.returncode == 0 for run in runs), [err for _out, err in results]
    assert len({out.strip() for out, _err in results}) == 1
