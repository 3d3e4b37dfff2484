"""A Spanish consent is Spanish throughout: every kind of PDF it makes (the consent, a doctor's decision, a
check-in and a decision on it, a withdrawal) is read back as text and must hold no English left over."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import select

from kiosk.core import audit
from kiosk.core.models import Checkin, Consent
from kiosk.consent.records import SignatureInput
from kiosk.course import checkins
from kiosk.documents.record import Clinic
from tests.helpers import STAFF_PASSWORD, pdf_text, seal_key_of
from tests.support import WizardDriver, csrf_token
from tests.test_course import post, signed_in
from tests.test_doctor import decide

# English that must never be printed in a Spanish document: the words of rules.yaml's reasons, the desk's
# identity checks, the doctor's meaning statement, the trail's step names and the decisions, and common words
LEFTOVER_ENGLISH = (
    "Patient is", "pregnant", "Heart disease", "high blood pressure", "Comprehension check", "the right answer is",
    "Passport shown", "front desk", "By signing I confirm", "reviewed the patient", "Since the last session",
    "Needs a consultation", "Cleared", "Not cleared", "Withdrawn", "withdrawal", "identity", "explanation",
    "screening", "comprehension", "Started by", "Page ", " the ", " and ", " of ", " with ", " is ",
)
GLOBAL = re.compile("|".join(rf"\b{re.escape(w.strip())}\b" for w in LEFTOVER_ENGLISH))


def english_in(text: str) -> list[str]:
    """Each leftover English phrase with a little of its context."""
    return sorted({text[max(0, m.start() - 40):m.end() + 40] for m in GLOBAL.finditer(text)})


@pytest.fixture
def spanish_documents(app: Flask, staff: dict[str, str]) -> dict[str, bytes]:
    """One Spanish PDF of every kind, made the way staff and the patient make them."""
    tablet = WizardDriver(app.test_client())
    first_check = app.extensions["kiosk_texts"].modality("es", "microdermabrasion").comprehension[0].id
    tablet.ready_to_sign(app, "microdermabrasion", name="Lucía Fernández Ortega", language="es",
                         identity_check="Passport shown at the front desk", wrong=(first_check,),
                         yes={"pregnant": "Doce semanas", "heart_disease": "Toma ramipril"})
    response = tablet.sign(typed_signature="Lucía", printed_name="Lucía Fernández Ortega")
    assert response.status_code == 302
    session = app.extensions["kiosk_db"]()
    consent = session.scalar(select(Consent))
    assert consent.language == "es"
    document_id = consent.document_id
    doctor = signed_in(app, staff["doctor"])
    assert decide(doctor, document_id, decision="cleared", note="Hablado con ella.").status_code == 302

    texts, now = app.extensions["kiosk_texts"], datetime.now(ZoneInfo(app.config["CLINIC_TIMEZONE"]))
    issued = checkins.start_checkin(session, document_id, texts=texts, issued_by=None, who=audit.Who(actor="tests"),
                                    now=now, months=12)
    checkin = checkins.find_by_token(session, issued.draft.token)
    questions = texts.rules.checkin_for("microdermabrasion")
    checkins.save_answers(session, checkin, {"answers": {q.id: q is questions[0] for q in questions},
                                             "details": {}}, now)
    checkins.submit(session, checkin, SignatureInput(method="typed", png=None, typed_name="Lucía",
                                                     printed_name="Lucía Fernández Ortega"),
                    texts=texts, clinic=Clinic(name="Test Clinic", timezone=app.config["CLINIC_TIMEZONE"]),
                    seal_key=seal_key_of(app), now=now)
    checkin_id = checkin.document_id
    page = doctor.get(f"/course/checkins/{checkin_id}").get_data(as_text=True)
    assert doctor.post(f"/course/checkins/{checkin_id}", data={
        "csrf_token": csrf_token(page), "decision": "cleared", "note": "Visto.", "meaning": "y",
        "password": STAFF_PASSWORD}).status_code == 302

    desk = signed_in(app, staff["frontdesk"])
    post(desk, f"/course/{document_id}", f"/course/{document_id}/withdraw",
         {"how": "phone", "reason": "Se muda al extranjero.", "confirmed": "yes"}, follow=True)
    session.close()
    session = app.extensions["kiosk_db"]()
    consent = session.scalar(select(Consent))
    checkin = session.scalar(select(Checkin))
    kinds = {f"consent:{r.kind}": r.pdf for r in consent.documents}
    kinds.update({f"checkin:{r.kind}": r.pdf for r in checkin.document.revisions})
    assert set(kinds) == {"consent:patient_signed", "consent:doctor_review", "consent:withdrawal",
                          "checkin:patient_signed", "checkin:doctor_review"}, set(kinds)
    return kinds


def test_every_spanish_pdf_reads_in_spanish_only(spanish_documents: dict[str, bytes]) -> None:
    leftovers = {kind: english_in(pdf_text(pdf)) for kind, pdf in spanish_documents.items()}
    assert leftovers == {kind: [] for kind in spanish_documents}



def test_the_spanish_pdfs_print_the_reasons_checks_and_statements_in_spanish(
        spanish_documents: dict[str, bytes]) -> None:
    consent, checkin = pdf_text(spanish_documents["consent:withdrawal"]), pdf_text(spanish_documents["checkin:doctor_review"])
    for expected in ("Paciente embarazada o que podría estarlo.", "Enfermedad del corazón o tensión alta.",
                     "Comprobación de la comprensión: a «", "Pasaporte mostrado en recepción", "Preguntas de salud",
                     "Con mi firma confirmo que he revisado las respuestas del paciente y he tomado esta decisión."):
        assert expected in consent, expected
    assert "Desde la última sesión: embarazada, podría estarlo o está dando el pecho." in checkin


def test_check_texts_holds_the_spanish_reasons_to_every_rule(tmp_path) -> None:  # noqa: ANN001
    """A rule without its Spanish reason, or with other placeholders, stops the app like any other text error."""
    import shutil

    from kiosk.texts.loader import load_texts
    from kiosk.texts.model import TextsError
    from tests.support import ROOT

    texts = tmp_path / "consent_texts"
    shutil.copytree(ROOT / "consent_texts", texts)
    reasons = texts / "es" / "reasons.yaml"
    words = reasons.read_text(encoding="utf-8")
    reasons.write_text(words.replace('  g6pd_deficiency: "Déficit de G6PD."\n', "")
                       .replace("menos de {within_months} meses", "menos de seis meses"), encoding="utf-8")
    with pytest.raises(TextsError) as refused:
        load_texts(texts)
    message = str(refused.value)
    assert "es/reasons.yaml" in message and "missing the reason for 'g6pd_deficiency'" in message
    assert "should name {within_months}" in message
