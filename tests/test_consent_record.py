"""Every point of the consent-record checklist, in the stored record and in the PDF (read back with pypdf).

One consent goes the whole way: the front desk starts it with an identity check,
the patient opens it with the code on a labelled tablet, signs with a drawn
signature, and a doctor reviews it. Then the checklist is walked point by point.
"""

from __future__ import annotations

import hashlib
import io
import re
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from pypdf import PdfReader
from sqlalchemy import select

from kiosk.core import audit
from kiosk.desk import sessions as desk
from kiosk.core.models import Consent, User
from kiosk.texts.model import fingerprint
from tests.support import WizardDriver, csrf_token
from tests.helpers import STAFF_PASSWORD, drawn_signature, pdf_text, staff_login

NAME = "Zoë Ñúñez-Łukasiewicz Đorđević"
USER_AGENT = "Mozilla/5.0 (Linux; Android 14; Tablet) consent-test"


PAGE_FURNITURE = re.compile(r"^(Test Clinic|Document CK-\S+|Page \d+ of \d+|Patient: .*|Verification code .*)\s*$")


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.fixture
def reviewed(app: Flask, staff: dict[str, str]) -> dict[str, Any]:
    session = app.extensions["kiosk_db"]()
    frontdesk = session.scalar(select(User).where(User.email == staff["frontdesk"]))
    issued = desk.issue_session(
        session, desk.NewPatient(full_name=NAME, date_of_birth=date(1990, 5, 17),
                                 identity_check="Passport shown at the front desk"),
        issued_by=frontdesk, who=audit.Who(actor=frontdesk.email), language="en",
        now=datetime.now(ZoneInfo(app.config["CLINIC_TIMEZONE"])))
    session.close()
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = USER_AGENT
    patient = WizardDriver(client)
    patient.get("/?device=Tablet-7")
    assert patient.post("/consent/start", {"code": issued.display}).status_code == 302
    assert patient.identity(name=NAME, phone="+34 600 000 000", email="zoe@example.com").status_code == 302
    assert patient.treatment("co2_laser", areas=("abdomen", "other"), other="Lower back").status_code == 302
    assert patient.explanation().status_code == 302
    patient.risks(app, "co2_laser", initials="ZÑ")
    patient.comprehension(app, "co2_laser")
    assert patient.screening(app, "co2_laser", yes={"pregnant": "Twelve weeks"}).status_code == 302
    assert patient.review().status_code == 302
    assert patient.sign(signature_data=drawn_signature(), printed_name=NAME).status_code == 302

    doctor = app.test_client()
    staff_login(doctor, staff["doctor"])
    document_id = app.extensions["kiosk_db"]().scalar(select(Consent.document_id))
    page = doctor.get(f"/doctor/consents/{document_id}").get_data(as_text=True)
    response = doctor.post(f"/doctor/consents/{document_id}", data={
        "csrf_token": csrf_token(page), "decision": "consultation", "note": "Pregnant: wait until after.",
        "meaning": "y", "password": STAFF_PASSWORD})
    assert response.status_code == 302
    consent = app.extensions["kiosk_db"]().scalar(select(Consent))
    return {"consent": consent, "record": consent.record, "code": issued.display, "frontdesk": frontdesk.email,
            "original": consent.documents[0].pdf, "revised": consent.documents[1].pdf}


def test_the_stored_record_holds_every_point(app: Flask, reviewed: dict[str, Any]) -> None:
    consent, record = reviewed["consent"], reviewed["record"]
    # a document id that never repeats, and the status history with who and when
    assert re.fullmatch(r"CK-\d{8}-[A-Z2-9]{8}", record["document_id"])
    assert [(e.status, e.actor) for e in consent.events] == [("submitted", "patient"), ("reviewed", "doctor@x.test")]
    assert all(e.at is not None for e in consent.events)
    # identity as entered, contact details, how identity was checked at the desk
    patient = record["patient"]
    assert (patient["full_name"], patient["date_of_birth"]) == (NAME, "1990-05-17")
    assert (patient["phone"], patient["email"]) == ("+34 600 000 000", "zoe@example.com")
    assert patient["identity_check"] == "Passport shown at the front desk"
    # modality, areas, planned sessions
    treatment = record["treatment"]
    assert treatment["modality"] == "co2_laser" and [a["id"] for a in treatment["areas"]] == ["abdomen", "other"]
    assert treatment["area_other"] == "Lower back" and treatment["planned_sessions"] >= 1
    # the exact texts shown, in the language shown, with version and a SHA-256 anyone can recompute
    texts = record["texts"]
    assert texts["shown"]["language"] == record["language"] == "en" and texts["version"]
    assert texts["sha256"] == fingerprint(texts["shown"]) == consent.texts_sha256
    # every answer as given with its detail; flags and the rule version
    pregnant = next(a for a in record["answers"] if a["question"] == "pregnant")
    assert pregnant["value"] is True and pregnant["detail"] == "Twelve weeks" and pregnant["text"]
    assert any(f["question"] == "pregnant" and f["severity"] == "stop" for f in record["flags"])
    assert texts["rules_version"] == consent.rules_version
    # each risk separately: initials and its own time
    assert len(record["risks"]) == len(texts["shown"]["risks"]) >= 2
    assert all(r["initials"] == "ZÑ" and datetime.fromisoformat(r["acknowledged_at"]) for r in record["risks"])
    # e-signature consent, mentioning paper, given before the signature, with its time
    esign = record["esign_consent"]
    assert "paper" in esign["statement"].lower()
    assert datetime.fromisoformat(esign["agreed_at"]) <= datetime.fromisoformat(record["signature"]["signed_at"])
    # the signature: image (its hash), printed name, date and time with zone, meaning
    signature = record["signature"]
    assert signature["method"] == "drawn" and signature["image_sha256"] == hashlib.sha256(consent.signature_png).hexdigest()
    assert signature["printed_name"] == NAME and signature["timezone"] == "Europe/Madrid"
    assert datetime.fromisoformat(signature["signed_at"]).utcoffset() is not None
    assert signature["meaning"] and record["consent_statement"]
    # the process trail: started by whom and with which code, each step shown/completed, time per text, device
    trail = record["trail"]
    assert reviewed["frontdesk"] in trail["started_by"] and trail["opened_with_code"] == reviewed["code"]
    assert trail["device_label"] == "Tablet-7" and trail["ip_address"] and trail["user_agent"] == USER_AGENT
    steps = {s["step"]: s for s in trail["steps"]}
    for name in ("identity", "treatment", "explanation", "risks", "screening", "review", "sign"):
        assert steps[name]["shown_at"] and steps[name]["completed_at"], name
    assert steps["explanation"]["seconds"] is not None
    assert all(r["shown_at"] and r["seconds"] is not None for r in record["risks"])
    # the doctor's review: who, when, decision, note, meaning
    [review] = consent.reviews
    assert (review.doctor_name, review.decision, review.note) == ("Doctor Person", "consultation",
                                                                    "Pregnant: wait until after.")
    assert review.at is not None and review.meaning
    # a SHA-256 of the stored PDF and of each later revision
    assert [d.sha256 for d in consent.documents] == [hashlib.sha256(d.pdf).hexdigest() for d in consent.documents]
    assert [d.revision for d in consent.documents] == [1, 2]


def test_the_pdf_holds_every_point(app: Flask, reviewed: dict[str, Any]) -> None:
    record, consent = reviewed["record"], reviewed["consent"]
    original, revised = reviewed["original"], reviewed["revised"]
    reader = PdfReader(io.BytesIO(original))
    pages = [_flat(page.extract_text()) for page in reader.pages]
    # clinic, title with modality, document id and "page N of M" on every page
    for number, text in enumerate(pages, start=1):
        for expected in ("Test Clinic", record["document_id"], f"Page {number} of {len(pages)}",
                         record["verification"]["code"]):
            assert expected in text, (number, expected)
    whole = " ".join(pages)
    assert f"Informed consent — {record['treatment']['modality_title']}" in pages[0]
    # identity (any script as text), modality, areas, language
    for expected in (NAME, "1990-05-17", "+34 600 000 000", "zoe@example.com", "Passport shown at the front desk",
                     "Lower back", "English (en)"):
        assert expected in whole, expected
    # the texts shown, verbatim, each risk with its acknowledgement and initials
    # a paragraph may run on to the next page: read the body without each page's header and footer lines
    body = "".join(line for page in reader.pages for line in page.extract_text().splitlines(keepends=True)
                   if not PAGE_FURNITURE.match(line))
    squashed = re.sub(r"\s+", "", body)
    for section in record["texts"]["shown"]["sections"]:
        assert re.sub(r"\s+", "", section["text"]) in squashed, section["id"]
    for risk in record["texts"]["shown"]["risks"]:
        assert re.sub(r"\s+", "", risk["text"]) in squashed, risk["id"]
    assert whole.count("Acknowledged — initials ZÑ") == len(record["risks"])
    # screening answers with the flags marked
    assert "Twelve weeks" in whole and "[STOP — doctor must review]" in whole
    # consent statement, e-signature consent with its time, the signature image, printed name, time zone, meaning
    for text in (record["consent_statement"], record["esign_consent"]["statement"], record["signature"]["meaning"]):
        assert re.sub(r"\s+", "", text) in squashed
    assert "Agreed at:" in whole and "(Europe/Madrid)" in whole
    assert any("/XObject" in (page.get("/Resources") or {}) for page in reader.pages)  # the drawn signature
    # the audit page: trail, text version and hash, how to verify
    audit = " ".join(pages[next(n for n, p in enumerate(pages) if "Audit page" in p):])
    for expected in (record["texts"]["version"], record["texts"]["sha256"], record["texts"]["rules_version"],
                     reviewed["frontdesk"], f"one-time tablet code {reviewed['code']}", "Tablet-7", USER_AGENT,
                     "risk:", "How to verify this document", record["verification"]["code"]):
        assert expected in audit, expected
    # the doctor's review appears in the later revision, the original stays as it was inside it
    review_text = pdf_text(revised)
    for expected in ("Doctor Person", "Needs a consultation", "Pregnant: wait until after.",
                     consent.documents[0].sha256, "Document revision 2"):
        assert expected in review_text, expected
    assert revised.startswith(original) and "Needs a consultation" not in pdf_text(original)
