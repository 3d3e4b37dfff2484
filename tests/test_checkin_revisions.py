"""A check-in is a sealed document like a consent: its decisions are sealed revisions, and it carries a code and QR.

And a withdrawal is a sealed revision of the consent's own file (an incremental update drawn over the
frame), not a separate PDF: the patient's seal and every doctor's seal stay valid inside it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from kiosk.core.models import Checkin, Document
from tests.helpers import STAFF_PASSWORD, pdf_text, signed_checkin
from tests.support import csrf_token
from tests.test_decision_chain import _pdfsig, _pyhanko, _review_page_widgets
from tests.test_doctor import STOP_AND_REVIEW, decide, doctor_client, signed_consent
from tests.test_seal import run_verify, upload
from tests.test_verify_revisions import _withdrawn, padding_changed

CHECKIN_DECISIONS = ("consultation", "not_cleared", "consultation", "cleared", "not_cleared")


def _flagged_checkin(app: Flask) -> str:
    question = app.extensions["kiosk_texts"].rules.checkin_for("microdermabrasion")[0].id
    return signed_checkin(app, (question,), name="Begoña Núñez-Wiśniewska").document_id


def _decide_checkin(client: Any, document_id: str, decision: str, note: str) -> Any:
    page = client.get(f"/course/checkins/{document_id}").get_data(as_text=True)
    return client.post(f"/course/checkins/{document_id}", data={
        "csrf_token": csrf_token(page), "decision": decision, "note": note, "meaning": "y",
        "password": STAFF_PASSWORD})


def _stored(app: Flask, document_id: str) -> Checkin:
    session = app.extensions["kiosk_db"]()
    checkin = session.scalar(select(Checkin).where(Checkin.document_id == document_id).options(
        selectinload(Checkin.document).selectinload(Document.revisions),
        selectinload(Checkin.document).selectinload(Document.decisions)))
    session.close()
    return checkin


def test_five_decisions_on_one_checkin_are_each_a_sealed_revision(app: Flask, tmp_path: Path,
                                                                 staff: dict[str, str]) -> None:
    document_id = _flagged_checkin(app)
    client = doctor_client(app)
    for n, decision in enumerate(CHECKIN_DECISIONS):
        response = _decide_checkin(client, document_id, decision, f"Check-in decision {n + 1}.")
        assert response.status_code == 302, response.get_data(as_text=True)[:400]

    checkin = _stored(app, document_id)
    revisions = checkin.revisions
    assert [(r.revision, r.kind) for r in revisions] == [(1, "patient_signed")] + [
        (n, "doctor_review") for n in range(2, 7)]
    assert [(d.decision, d.document_revision) for d in checkin.reviews] == list(zip(CHECKIN_DECISIONS, range(2, 7)))
    for earlier, later in zip(revisions, revisions[1:]):
        assert later.pdf.startswith(earlier.pdf)  # the patient's original and every decision, byte for byte

    last = revisions[-1].pdf
    statuses = _pyhanko(app, last)
    assert len(statuses) == 6 and all(s.intact and s.valid and s.trusted for s in statuses)
    assert _pdfsig(last).count("Signature Validation: Signature is Valid.") == 6
    assert _review_page_widgets(last) == [f"DoctorReview{n}" for n in range(2, 7)]
    text = pdf_text(last)
    assert "The decision that counts (revision 6" in text and "Check-in decision 5." in text
    assert "Not cleared for treatment" in text

    for revision in (revisions[0], revisions[2], revisions[-1]):
        kind = "signed by the patient" if revision.revision == 1 else "with the doctor's review"
        html = upload(app, revision.pdf).get_data(as_text=True)
        assert f"<dd>{revision.revision} ({kind})</dd>" in html
        assert ("No, this is the latest revision." if revision.revision == 6
                else "Yes: revision 6 (with the doctor's review) exists.") in html
        (tmp_path / "copy.pdf").write_bytes(revision.pdf)
        cli = run_verify(app, tmp_path / "copy.pdf")
        assert cli.returncode == 0 and f"revision: {revision.revision} ({kind})" in cli.stdout, cli.stdout


def test_a_checkin_pdf_prints_a_verification_code_that_finds_it(app: Flask, staff: dict[str, str]) -> None:
    checkin = _stored(app, _flagged_checkin(app))
    code = checkin.document.verification_code
    assert code and checkin.record["verification"]["code"] == code
    text = pdf_text(checkin.pdf)
    assert f"Verification code {code}" in text and f"/verify?code={code}" in text
    html = app.test_client().get(f"/verify?code={code}").get_data(as_text=True)
    assert checkin.document_id in html and checkin.revisions[0].sha256 in html


def test_a_decision_on_a_checkin_sealed_with_a_changed_padding_is_not_the_latest(app: Flask, tmp_path: Path,
                                                                                 staff: dict[str, str]) -> None:
    """The padding trick on a check-in's decision revision: sealed by us, but not a file we stored."""
    document_id = _flagged_checkin(app)
    client = doctor_client(app)
    assert _decide_checkin(client, document_id, "not_cleared", "No.").status_code == 302
    tampered = padding_changed(_stored(app, document_id).pdf)
    html = upload(app, tampered).get_data(as_text=True)
    assert "this is the latest revision" not in html
    (tmp_path / "tampered.pdf").write_bytes(tampered)
    cli = run_verify(app, tmp_path / "tampered.pdf")
    assert cli.returncode == 1 and "latest" not in cli.stdout, cli.stdout


def test_a_withdrawal_is_an_incremental_sealed_revision_of_the_consent_file(app: Flask, wizard: Any,
                                                                            staff: dict[str, str]) -> None:
    document_id = signed_consent(app, wizard, yes=STOP_AND_REVIEW)
    assert decide(doctor_client(app), document_id, decision="consultation", note="See her first.").status_code == 302
    _withdrawn(app, document_id)
    session = app.extensions["kiosk_db"]()
    document = session.get(Document, document_id)
    revisions = [(r.revision, r.kind, r.pdf) for r in document.revisions]
    session.close()
    assert [r[:2] for r in revisions] == [(1, "patient_signed"), (2, "doctor_review"), (3, "withdrawal")]
    withdrawal = revisions[-1][2]
    assert withdrawal.startswith(revisions[1][2]) and withdrawal.startswith(revisions[0][2])
    statuses = _pyhanko(app, withdrawal)
    assert len(statuses) == 3 and all(s.intact and s.valid and s.trusted for s in statuses)
    assert _pdfsig(withdrawal).count("Signature Validation: Signature is Valid.") == 3
    text = pdf_text(withdrawal)
    assert "Consent withdrawn (revision 3" in text and "Changed her mind." in text
    assert "Needs a consultation" in text  # the decision it supersedes, listed under it
    html = upload(app, revisions[1][2]).get_data(as_text=True)
    assert "Yes: revision 3 (with the withdrawal of consent) exists." in html
