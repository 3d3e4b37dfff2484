"""Verification that can't be fooled: the true kind and number of any stored revision, for consents, check-ins
and withdrawals; a sealed file that matches no stored revision is never "the latest"; a claim read from a
file that failed the check is never printed as fact.

`flask verify` runs as a real subprocess (tests.test_seal.run_verify); /verify through the test client.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import select

from kiosk.core.audit import Who
from kiosk.core.models import User
from kiosk.course.withdrawal import withdraw
from tests.helpers import consents, seal_key_of, signed_checkin
from tests.test_doctor import STOP_AND_REVIEW, decide, doctor_client, load, signed_consent
from tests.test_seal import run_verify, upload

MADRID = ZoneInfo("Europe/Madrid")


def padding_changed(pdf: bytes) -> bytes:
    """The trick anyone holding the file can do: change unsigned zero padding inside the last seal's slot.

    The seal's CMS is followed by zeros that no signature covers, so the seal still validates, yet the
    file's SHA-256 is no longer that of any stored revision.
    """
    slots = list(re.finditer(rb"/Contents\s*<([0-9a-fA-F]+)>", pdf))
    assert slots, "no signature slot found"
    slot = slots[-1]
    padding_at = slot.start(1) + len(slot.group(1).rstrip(b"0")) + 64  # well inside the trailing zeros
    assert pdf[padding_at:padding_at + 2] == b"00"
    return pdf[:padding_at] + b"0f" + pdf[padding_at + 2:]


def _withdrawn(app: Flask, document_id: str) -> None:
    session = app.extensions["kiosk_db"]()
    desk = session.scalar(select(User).where(User.role == "frontdesk"))
    withdraw(session, Who(actor=desk.email, actor_id=desk.id), desk, document_id, how="in_person",
             reason="Changed her mind.", now=datetime(2026, 3, 11, 10, 0, tzinfo=MADRID),
             timezone_name="Europe/Madrid", seal_key=seal_key_of(app), clinic_name="Test Clinic")
    session.close()


def _cli(app: Flask, tmp_path: Path, pdf: bytes, name: str = "file.pdf") -> Any:
    path = tmp_path / name
    path.write_bytes(pdf)
    return run_verify(app, path)


@pytest.fixture
def withdrawn_after_a_decision(app: Flask, wizard: Any, staff: dict[str, str]) -> tuple[str, list[bytes]]:
    """Revision 1 signed by the patient, 2 a doctor's decision, 3 the withdrawal."""
    document_id = signed_consent(app, wizard, yes=STOP_AND_REVIEW)
    assert decide(doctor_client(app), document_id, decision="consultation").status_code == 302
    _withdrawn(app, document_id)
    consent = load(app, document_id)
    assert [d.kind for d in consent.documents] == ["patient_signed", "doctor_review", "withdrawal"]
    return document_id, [d.pdf for d in consent.documents]


def test_a_withdrawal_is_named_as_revision_3_and_the_latest(app: Flask, tmp_path: Path,
                                                            withdrawn_after_a_decision: tuple[str, list[bytes]]) -> None:
    document_id, (original, decision, withdrawal) = withdrawn_after_a_decision
    result = _cli(app, tmp_path, withdrawal)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"document: {document_id} (consent)" in result.stdout
    assert "revision: 3 (with the withdrawal of consent)" in result.stdout
    assert "newer revision: no, this is the latest" in result.stdout
    html = upload(app, withdrawal).get_data(as_text=True)
    assert "<dd>3 (with the withdrawal of consent)</dd>" in html and "No, this is the latest revision." in html
    assert "Revision 1" not in html and "(signed by the patient)</dd>" not in html

    for older, number, kind in ((original, 1, "signed by the patient"), (decision, 2, "with the doctor's review")):
        result = _cli(app, tmp_path, older)
        assert f"revision: {number} ({kind})" in result.stdout, result.stdout
        assert "newer revision: yes, revision 3 (with the withdrawal of consent) exists" in result.stdout
        html = upload(app, older).get_data(as_text=True)
        assert "Yes: revision 3 (with the withdrawal of consent) exists." in html


def test_a_checkin_pdf_is_known_with_its_kind_and_number(app: Flask, tmp_path: Path, staff: dict[str, str]) -> None:
    checkin = signed_checkin(app)
    result = _cli(app, tmp_path, checkin.pdf)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"document: {checkin.document_id} (treatment-day check-in)" in result.stdout
    assert "revision: 1 (signed by the patient)" in result.stdout
    assert "newer revision: no, this is the latest" in result.stdout
    assert "no record" not in result.stdout
    html = upload(app, checkin.pdf).get_data(as_text=True)
    assert "Intact: issued by this clinic and unchanged" in html
    assert f"{checkin.document_id} (treatment-day check-in)" in html
    assert "<dd>1 (signed by the patient)</dd>" in html


def _assert_not_stored(app: Flask, tmp_path: Path, pdf: bytes, document_id: str) -> None:
    result = _cli(app, tmp_path, pdf, "padded.pdf")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "NOT STORED" in result.stdout and "ask the clinic" in result.stdout
    assert "this is the latest" not in result.stdout and "\nrevision:" not in result.stdout
    assert f"document named inside the file (not confirmed): {document_id}" in result.stdout
    assert f"document: {document_id}" not in result.stdout
    html = upload(app, pdf).get_data(as_text=True)
    assert "Sealed by this clinic, but not a file the clinic stored" in html
    assert "this is the latest revision" not in html and "Intact: issued" not in html
    assert "Ask the clinic for its copy" in html


def test_a_consent_with_changed_seal_padding_is_sealed_but_not_stored(app: Flask, tmp_path: Path, wizard: Any,
                                                                      staff: dict[str, str]) -> None:
    document_id = signed_consent(app, wizard, yes=STOP_AND_REVIEW)
    original = load(app, document_id).documents[0].pdf
    assert decide(doctor_client(app), document_id, decision="not_cleared").status_code == 302
    _assert_not_stored(app, tmp_path, padding_changed(original), document_id)  # hides the "not cleared"


def test_a_withdrawal_or_a_decision_with_changed_padding_is_not_stored(
        app: Flask, tmp_path: Path, withdrawn_after_a_decision: tuple[str, list[bytes]]) -> None:
    document_id, (_original, decision, withdrawal) = withdrawn_after_a_decision
    _assert_not_stored(app, tmp_path, padding_changed(decision), document_id)
    _assert_not_stored(app, tmp_path, padding_changed(withdrawal), document_id)


def test_a_checkin_with_changed_padding_is_not_stored(app: Flask, tmp_path: Path, staff: dict[str, str]) -> None:
    checkin = signed_checkin(app)
    _assert_not_stored(app, tmp_path, padding_changed(checkin.pdf), checkin.document_id)


def test_a_modified_file_names_its_document_only_as_an_untrusted_claim(app: Flask, tmp_path: Path, wizard: Any,
                                                                       staff: dict[str, str]) -> None:
    document_id = signed_consent(app, wizard)
    [consent] = consents(app)
    pdf = consent.documents[0].pdf
    position = len(pdf) // 3
    tampered = pdf[:position] + bytes([(pdf[position] + 1) % 256]) + pdf[position + 1:]
    result = _cli(app, tmp_path, tampered)
    assert result.returncode == 1 and result.stdout.startswith("MODIFIED")
    assert f"document: {document_id}" not in result.stdout
    assert f"document named inside the file (untrusted, the file failed the check): {document_id}" in result.stdout
    html = upload(app, tampered).get_data(as_text=True)
    assert "Document the file names (not confirmed)" in html


def test_a_patient_checking_a_file_can_read_the_verdict_in_spanish(app: Flask, wizard: Any,
                                                                   staff: dict[str, str]) -> None:
    """The QR code on a Spanish consent leads to /verify: the page offers its language switch, like every patient page."""
    from tests.support import csrf_token

    document_id = signed_consent(app, wizard)
    pdf = load(app, document_id).documents[0].pdf
    client = app.test_client()
    page = client.get("/verify").get_data(as_text=True)
    assert 'name="lang" value="es"' in page
    client.post("/language", data={"csrf_token": csrf_token(page), "lang": "es", "next": "/verify"})
    token = csrf_token(client.get("/verify").get_data(as_text=True))
    import io

    html = client.post("/verify", data={"csrf_token": token, "document": (io.BytesIO(pdf), "consentimiento.pdf")},
                       content_type="multipart/form-data").get_data(as_text=True)
    assert "<dd>1 (firmada por el paciente)</dd>" in html, html[:3000]
    assert f"{document_id} (consentimiento)" in html and "No, esta es la revisión más reciente." in html
