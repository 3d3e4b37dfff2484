"""Language as evidence: each step and risk keeps the language it was read in, and the PDF prints it that way."""

from __future__ import annotations

import html
import io
from typing import Any

from flask import Flask
from pypdf import PdfReader

from tests.helpers import consents, staff_login
from tests.support import WizardDriver


def switch(wizard: WizardDriver, lang: str, next_url: str) -> Any:
    return wizard.client.post("/language", data={"csrf_token": wizard.token, "lang": lang, "next": next_url})


def pdf_text(pdf: bytes) -> str:
    """The PDF's words with line breaks as spaces, since table cells wrap."""
    return " ".join(" ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages).split())


def first_line(text: str) -> str:
    return " ".join(text.split("\n")[0].split()[:8])


def _sign_the_rest(app: Flask, wizard: WizardDriver) -> None:
    """The remaining risks, the check, the health questions, review and a typed signature, in the language now on."""
    wizard.risks(app, "co2_laser")
    wizard.comprehension(app, "co2_laser")
    wizard.screening(app, "co2_laser")
    wizard.review()
    assert wizard.sign(typed_signature="Zoë Ñúñez").status_code == 302


def test_risks_read_in_spanish_print_in_spanish_in_an_english_consent_with_each_switch_timed(app: Flask,
                                                                                              wizard: WizardDriver) -> None:
    texts = app.extensions["kiosk_texts"]
    en_risks, es_risks = texts.modality("en", "co2_laser").risks, texts.modality("es", "co2_laser").risks
    wizard.start()
    wizard.identity()
    wizard.treatment("co2_laser")
    wizard.explanation()
    wizard.submit("/consent/risks/1", {"acknowledged": "y", "initials": "ZÑ"})
    switch(wizard, "es", "/consent/risks/2")  # risks 2 and 3 read and initialled in Spanish
    for index in (2, 3):
        assert wizard.submit(f"/consent/risks/{index}", {"acknowledged": "y", "initials": "ZÑ"}).status_code == 302
    switch(wizard, "en", "/consent/risks/4")  # and back to English for the rest
    _sign_the_rest(app, wizard)

    [consent] = consents(app)
    record, pdf = consent.record, consent.documents[0].pdf
    assert record["language"] == "en"
    assert [r.get("language") for r in record["risks"][:4]] == ["en", "es", "es", "en"]
    [spanish] = record["other_texts"]
    assert spanish["shown"]["language"] == "es" and spanish["sha256"] == texts.reference("es", "co2_laser")["sha256"]
    switches = record["trail"]["language_switches"]
    assert [(s["from_language"], s["to_language"]) for s in switches] == [("en", "es"), ("es", "en")]
    assert all(s["at"] for s in switches) and switches[0]["at"] <= switches[1]["at"]
    assert {e["step"]: e.get("language") for e in record["trail"]["steps"]}["explanation"] == "en"

    text = pdf_text(pdf)
    for risk in es_risks[1:3]:  # Spanish words where Spanish was read
        assert first_line(risk.text) in text, risk.id
    for risk in en_risks[1:3]:  # and not the English words the patient never acknowledged
        assert first_line(risk.text) not in text, risk.id
    assert first_line(en_risks[0].text) in text and first_line(en_risks[3].text) in text
    assert text.count("read and acknowledged in Spanish (es)") == 2
    assert "Read in another language risk 2, risk 3: in Spanish (es), printed here as the patient read it" in text
    assert "Language switches" in text and "English (en) → Spanish (es)" in text and "Spanish (es) → English (en)" in text


def test_a_consent_read_in_one_language_says_so_and_keeps_no_other_words(app: Flask, wizard: WizardDriver) -> None:
    assert wizard.complete(app, "co2_laser", typed_signature="Zoë Ñúñez").status_code == 302
    [consent] = consents(app)
    record, pdf = consent.record, consent.documents[0].pdf
    assert "other_texts" not in record and record["trail"]["language_switches"] == []
    assert {r.get("language") for r in record["risks"]} == {"en"}
    text = pdf_text(pdf)
    assert "The patient did not switch language." in text and "Read in another language" not in text


def test_a_check_answered_in_spanish_prints_its_spanish_questions_and_says_so(app: Flask, wizard: WizardDriver) -> None:
    texts = app.extensions["kiosk_texts"]
    wizard.start()
    wizard.identity()
    wizard.treatment("chemical_peel")
    wizard.explanation()
    wizard.risks(app, "chemical_peel")
    switch(wizard, "es", "/consent/comprehension")
    wizard.comprehension(app, "chemical_peel")
    switch(wizard, "en", "/consent/screening")
    wizard.screening(app, "chemical_peel")
    wizard.review()
    assert wizard.sign(typed_signature="Zoë Ñúñez").status_code == 302
    [consent] = consents(app)
    record, pdf = consent.record, consent.documents[0].pdf
    es_check = texts.modality("es", "chemical_peel").comprehension[0]
    assert record["comprehension"][0]["text"] == es_check.text
    text = pdf_text(pdf)
    assert es_check.text.split("\n")[0][:40] in text
    assert "The patient read this part in Spanish (es); it is printed as they read it." in text
    assert "the comprehension check: in Spanish (es)" in text


def _spanish_consent_with_risk_2_read_in_english(app: Flask, wizard: WizardDriver) -> Any:
    wizard.start()
    switch(wizard, "es", "/consent/identity")
    wizard.identity()
    wizard.treatment("co2_laser")
    wizard.explanation()
    wizard.submit("/consent/risks/1", {"acknowledged": "y", "initials": "ZÑ"})
    switch(wizard, "en", "/consent/risks/2")  # risk 2 read and initialled in English
    assert wizard.submit("/consent/risks/2", {"acknowledged": "y", "initials": "ZÑ"}).status_code == 302
    switch(wizard, "es", "/consent/risks/3")
    _sign_the_rest(app, wizard)
    [consent] = consents(app)
    return consent


def test_a_spanish_consent_names_the_other_language_as_spanish_writes_it(app: Flask, wizard: WizardDriver) -> None:
    """Mid-sentence Spanish writes "en inglés"; only a value standing alone starts with a capital."""
    consent = _spanish_consent_with_risk_2_read_in_english(app, wizard)
    assert consent.language == "es"
    text = pdf_text(consent.documents[0].pdf)
    assert "leído y confirmado en inglés (en)" in text
    assert "Idioma de este consentimiento Español (es)" in text
    assert "en Inglés" not in text and "en Español" not in text


def test_the_doctor_sees_each_risk_titled_as_the_patient_read_it_with_a_translation(
        app: Flask, wizard: WizardDriver, staff: dict[str, str]) -> None:
    texts = app.extensions["kiosk_texts"]
    en_risks, es_risks = texts.modality("en", "co2_laser").risks, texts.modality("es", "co2_laser").risks
    consent = _spanish_consent_with_risk_2_read_in_english(app, wizard)
    doctor = app.test_client()
    staff_login(doctor, staff["doctor"])  # reads the staff pages in English
    page = html.unescape(doctor.get(f"/doctor/consents/{consent.document_id}").get_data(as_text=True))
    risks = page[page.index('id="risks-heading"'):page.index("</table>", page.index('id="risks-heading"'))]
    assert f'<span lang="es">{es_risks[0].title}</span>' in risks  # the Spanish the patient read, first
    assert f"Translation: {en_risks[0].title}" in risks  # then the doctor's words, marked as a translation
    assert f'<span lang="en">{en_risks[1].title}</span> <span class="read-in">(read in English)</span>' in risks
    assert f"Translation: {en_risks[1].title}" not in risks  # read in the doctor's language: nothing to translate
