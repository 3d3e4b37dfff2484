"""Consents signed under version 1 of the screening rules keep their answers, flags and words after version 2.

A v1 consent is made the way v1 made it: the v1 rules (darker_skin_or_pigment_marks, under_18 a stop, no choice
question, no follow-up) judged by the engine when the patient signed. Then the clinic runs version 2, and that
record still renders for the doctor, its PDF still verifies, it still exports, and a check-in on it works.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask

from kiosk import demo
from kiosk.consent import queries
from kiosk.consent.export import fhir_bundle
from kiosk.core import audit
from kiosk.course import checkins
from kiosk.consent.records import SignatureInput
from kiosk.documents.record import Clinic
from kiosk.texts.model import DerivedRule, Question, QuestionText, Texts
from tests.helpers import STAFF_PASSWORD, seal_key_of, staff_login
from tests.test_doctor import decide
from tests.test_seal import upload

V2_ONLY = {"heart_rhythm_medicine", "bleeding_disorder", "koebner_conditions", "cold_sores_now", "recent_hair_removal",
           "skin_type", "pigment_marks"}
DARKER = "darker_skin_or_pigment_marks"
DARKER_TEXT = "Does your skin tan easily and rarely burn, or get dark marks after spots or cuts?"
V1_UNDER_18 = "Patient is {age} on {as_of}, below {min_age}; this form offers no guardian consent."


def v1_texts(texts: Texts) -> Texts:
    """The shipped texts with version 1's rules (rules.yaml 2026-11-25.2) and its question wording."""
    rules = texts.rules
    questions = [q for q in rules.questions if q.id not in V2_ONLY]
    darker = Question(DARKER, "bool", "Skin that tans easily and rarely burns, or post-inflammatory pigment marks "
                      "(higher risk of pigment change).",
                      {"co2_laser": "review", "fractional_laser": "info", "microdermabrasion": "info",
                       "chemical_peel": "review"})
    questions.insert(next(i for i, q in enumerate(questions) if q.id == "peel_allergy"), darker)
    derived = tuple(DerivedRule(r.id, r.kind, "stop", V1_UNDER_18, r.params) if r.id == "under_18" else r
                    for r in rules.derived if r.id != "treatment_differs_from_plan")
    old_rules = dataclasses.replace(rules, version="2026-11-25.2", questions=tuple(questions), derived=derived)
    languages = {}
    for code, lang in texts.languages.items():
        words = {qid: text for qid, text in lang.questions.items() if qid not in V2_ONLY}
        words[DARKER] = QuestionText(DARKER_TEXT, None, None)
        languages[code] = dataclasses.replace(lang, questions=words)
    return dataclasses.replace(texts, rules=old_rules, languages=languages, _cache={})


def test_a_version_1_consent_renders_verifies_exports_and_takes_a_check_in(app: Flask, staff: dict[str, str]) -> None:
    texts = app.extensions["kiosk_texts"]
    clinic = Clinic(name="Test Clinic", timezone=app.config["CLINIC_TIMEZONE"])
    now = datetime.now(ZoneInfo(clinic.timezone))
    session = app.extensions["kiosk_db"]()
    key = seal_key_of(app)
    patient = ("Teen Version-One", "2009-03-01", "co2_laser", ["abdomen"], {DARKER: True})
    consent = demo.sign_demo_consent(session, patient, texts=v1_texts(texts), clinic=clinic, seal_key=key, now=now)
    record = json.loads(json.dumps(consent.record))
    assert record["texts"]["rules_version"] == "2026-11-25.2"
    assert {f["question"]: f["severity"] for f in record["flags"]} == {DARKER: "review", "under_18": "stop"}

    # the clinic now runs version 2: the v1 record is read as it was stored
    assert texts.rules.question(DARKER) is None
    client = app.test_client()
    staff_login(client, staff["doctor"], STAFF_PASSWORD)
    html = client.get(f"/doctor/consents/{consent.document_id}").get_data(as_text=True)
    assert DARKER_TEXT in html, "the v1 question is shown in the words the patient read"
    assert "this form offers no guardian consent" in html, "the v1 reason is shown as it was raised"
    assert "Age, from the date of birth" in html

    pdf = queries.latest_document(queries.get_consent(session, consent.document_id)).pdf
    verdict = upload(app, pdf).get_data(as_text=True)
    assert consent.document_id in verdict and "intact" in verdict.lower()

    assert queries.export_record(queries.get_consent(session, consent.document_id))["record"] == record
    bundle = fhir_bundle(session, consent.document_id, texts=texts, now=now, months=12)
    response = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "QuestionnaireResponse")
    items = {item["linkId"]: item for item in response["item"]}
    assert items[DARKER]["answer"] == [{"valueBoolean": True, "item": items[DARKER]["answer"][0]["item"]}]

    # the doctor decides it (a stop needs a note), and the course goes on under version 2
    response = decide(client, consent.document_id, note="Mother present and consenting; skin checked: type III.")
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    session.expire_all()
    issued = checkins.start_checkin(session, consent.document_id, texts=texts, issued_by=None,
                                    who=audit.Who(actor="tests"), now=now, months=12)
    checkin = checkins.find_by_token(session, issued.draft.token)
    answers = {q.id: False for q in texts.rules.checkin_for("co2_laser")}
    checkins.save_answers(session, checkin, {"answers": answers, "details": {}}, now)
    signed = checkins.submit(session, checkin, SignatureInput(method="typed", png=None, typed_name="Teen",
                                                              printed_name="Teen"), texts=texts, clinic=clinic,
                             seal_key=key, now=now)
    assert signed.status == "submitted" and signed.pdf and signed.highest_severity is None, "the check-in is signed"
