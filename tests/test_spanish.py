"""The patient flow in Spanish: every page's interface, the language switch mid-way, and the signed record and PDF.

Until consent_texts/es/ exists, the tests build a stand-in Spanish copy of the
texts (every word replaced by a marked placeholder, so no English from the texts
can be mistaken for a leftover interface string). Once the real Spanish texts
land, the same tests run against them.
"""

from __future__ import annotations

import html
import io
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask
from pypdf import PdfReader
from sqlalchemy import select

from app import create_app
from kiosk.core.models import Draft
from tests.support import ROOT, WizardDriver, csrf_token
from tests.helpers import consents, english_interface_strings

KEEP = {"language", "version", "id", "planned_sessions"}


def _placeholder(value: Any, path: str) -> Any:
    """Every word of the texts as a marked Spanish stand-in; ids, versions and numbers kept."""
    if isinstance(value, dict):
        return {k: v if k in KEEP else _placeholder(v, f"{path}.{k}") for k, v in value.items()}
    if isinstance(value, list):
        return [_placeholder(v, f"{path}.{i}") for i, v in enumerate(value)]
    if isinstance(value, str):
        return f"Texto de prueba {path}"
    return value


@pytest.fixture(scope="module")
def es_texts_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The project's texts with Spanish: the real consent_texts/es once it exists, a stand-in copy until then."""
    if (ROOT / "consent_texts" / "es").is_dir():
        return ROOT / "consent_texts"
    root = tmp_path_factory.mktemp("texts") / "consent_texts"
    shutil.copytree(ROOT / "consent_texts", root)
    for source in (root / "en").rglob("*.yaml"):
        target = root / "es" / source.relative_to(root / "en")
        target.parent.mkdir(parents=True, exist_ok=True)
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
        data = _placeholder(data, source.stem)
        if "language" in data:
            data["language"] = "es"
        target.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return root


@pytest.fixture
def app(db_url: str, es_texts_dir: Path) -> Iterator[Flask]:
    yield create_app({"TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": db_url, "AUTO_MIGRATE": False,
                      "CLINIC_NAME": "Test Clinic", "CONSENT_TEXTS_DIR": str(es_texts_dir)})


@pytest.fixture(scope="module")
def english_strings() -> list[str]:
    """The interface's English strings whose Spanish differs, long enough not to match inside other words."""
    return english_interface_strings("es")


def _visible(response: Any) -> str:
    return html.unescape(response.get_data(as_text=True))


def assert_spanish(page: str, english_strings: list[str], *expected: str) -> None:
    """The page says it is Spanish, shows the telling Spanish strings, and no English interface string."""
    assert '<html lang="es">' in page
    for text in expected:
        assert text in page, text
    left = [text for text in english_strings if text in page]
    assert not left, f"English left on the page: {left}"


def switch(wizard: WizardDriver, lang: str, next_url: str) -> Any:
    return wizard.client.post("/language", data={"csrf_token": wizard.token, "lang": lang, "next": next_url})


def _draft(app: Flask) -> Draft:
    session = app.extensions["kiosk_db"]()
    return session.scalars(select(Draft)).one()


def _pdf_text(pdf: bytes) -> str:
    """The PDF's words with line breaks as spaces, since table cells wrap labels."""
    return " ".join(" ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages).split())


def test_spanish_is_offered_because_it_has_a_catalogue_and_texts(app: Flask) -> None:
    assert app.extensions["kiosk_languages"] == ["en", "es"]


def test_every_patient_page_reads_in_spanish(app: Flask, wizard: WizardDriver, english_strings: list[str]) -> None:
    texts = app.extensions["kiosk_texts"]
    start = wizard.get("/")
    assert '<html lang="en">' in start.get_data(as_text=True) and ">Español<" in start.get_data(as_text=True)
    assert switch(wizard, "es", "/").headers["Location"] == "/"
    page = _visible(wizard.get("/"))
    assert_spanish(page, english_strings, "Le damos la bienvenida", "Su código de recepción", ">Empezar<",
                   ">English<")

    wizard.start()
    page = _visible(wizard.get("/consent/identity"))
    assert_spanish(page, english_strings, "<h1>Sus datos</h1>", "Nombre y apellidos", "Paso 1 de 8", ">Siguiente<")
    # a wrong answer's message is Spanish too
    page = _visible(wizard.post("/consent/identity", {"full_name": "", "date_of_birth": "2999-01-01"}))
    assert_spanish(page, english_strings, "Escriba su nombre y apellidos, por favor.",
                   "La fecha de nacimiento no puede ser posterior a hoy.")
    assert wizard.identity().status_code == 302

    page = _visible(wizard.get("/consent/treatment"))
    assert_spanish(page, english_strings, "<h1>Su tratamiento</h1>", "Zonas que se van a tratar", ">Atrás<",
                   texts.modality("es", "co2_laser").title)
    assert wizard.treatment("co2_laser").status_code == 302

    page = _visible(wizard.get("/consent/explanation"))
    assert_spanish(page, english_strings, "He leído esta información y la entiendo",
                   texts.modality("es", "co2_laser").sections["what_it_is"].split("\n")[0])
    assert wizard.explanation().status_code == 302

    risks = texts.modality("es", "co2_laser").risks
    page = _visible(wizard.get("/consent/risks/1"))
    assert_spanish(page, english_strings, f"Riesgo 1 de {len(risks)}", "Entiendo este riesgo", "Sus iniciales",
                   risks[0].title)
    wizard.risks(app, "co2_laser")

    page = _visible(wizard.get("/consent/comprehension"))
    assert_spanish(page, english_strings, "<h1>Compruebe lo que ha entendido</h1>",
                   texts.modality("es", "co2_laser").comprehension[0].text)
    assert wizard.comprehension(app, "co2_laser").status_code == 302

    page = _visible(wizard.get("/consent/screening"))
    assert_spanish(page, english_strings, "<h1>Preguntas sobre su salud</h1>", ">Sí<",
                   texts.language("es").questions["pregnant"].text)
    assert wizard.screening(app, "co2_laser", {"skin_disease_in_area": "Eccema en el muslo"}).status_code == 302

    page = _visible(wizard.get("/consent/review"))
    assert_spanish(page, english_strings, "<h1>Revise sus respuestas</h1>", ">Acepto firmar en esta pantalla<", "Cambiar",
                   "17/05/1990", "Eccema en el muslo")
    assert wizard.review().status_code == 302

    page = _visible(wizard.get("/consent/sign"))
    assert_spanish(page, english_strings, "<h1>Firme su consentimiento</h1>", ">Estoy de acuerdo con esta declaración y firmo<",
                   "Borrar la firma")
    page = _visible(wizard.post("/consent/sign", {"consent_agree": "", "printed_name": ""}))
    assert_spanish(page, english_strings, "Dé su consentimiento con el botón de abajo.")
    assert wizard.sign(typed_signature="Zoë Ñúñez").status_code == 302

    page = _visible(wizard.get("/consent/done"))
    assert_spanish(page, english_strings, "<h1>Gracias</h1>", "Su consentimiento está firmado y guardado.")


def test_error_pages_read_in_spanish_and_offer_the_switch(app: Flask, wizard: WizardDriver,
                                                         english_strings: list[str]) -> None:
    wizard.get("/")
    switch(wizard, "es", "/")
    page = _visible(wizard.client.get("/consent/nothing-here"))
    assert_spanish(page, english_strings, "Página no encontrada", "Esta página no existe.", "Volver al inicio",
                   ">English<")
    expired = _visible(wizard.client.post("/consent/start", data={"code": "ABC-123"}))  # no CSRF token
    assert_spanish(expired, english_strings, "Esta página había caducado")


def _answers(draft: Draft) -> dict[str, Any]:
    return {key: draft.data.get(key) for key in ("identity", "treatment", "explanation", "risks", "screening")}


def test_switching_mid_way_keeps_every_answer_and_the_texts_follow(app: Flask, wizard: WizardDriver) -> None:
    texts = app.extensions["kiosk_texts"]
    wizard.start()
    wizard.identity(name="Lucía Fernández", dob="1984-02-29", phone="+34 600 000 000")
    wizard.treatment("fractional_laser", areas=("abdomen", "other"), other="Caderas")
    wizard.explanation()
    wizard.submit("/consent/risks/1", {"acknowledged": "y", "initials": "LF"})
    before = _answers(_draft(app))

    # on the second risk's page, in English, the patient switches to Spanish
    page = wizard.get("/consent/risks/2").get_data(as_text=True)
    assert 'name="next" value="/consent/risks/2"' in page
    response = switch(wizard, "es", "/consent/risks/2")
    assert response.headers["Location"] == "/consent/risks/2"
    draft = _draft(app)
    assert draft.language == "es" and _answers(draft) == before
    assert draft.trail["language_changes"][-1]["to"] == "es"
    page = _visible(wizard.get("/consent/risks/2"))
    assert texts.modality("es", "fractional_laser").risks[1].title in page and "Riesgo 2 de" in page

    risk_ids = [r.id for r in texts.modality("es", "fractional_laser").risks]
    for index in range(2, len(risk_ids) + 1):
        wizard.submit(f"/consent/risks/{index}", {"acknowledged": "y", "initials": "LF"})
    wizard.comprehension(app, "fractional_laser")
    wizard.screening(app, "fractional_laser", {"isotretinoin_last_dose": "2026-01-10", "keloids": "En la rodilla"})
    before = _answers(_draft(app))

    # at the review page: everything already given is still there, now in Spanish
    page = _visible(wizard.get("/consent/review"))
    assert "Lucía Fernández" in page and "+34 600 000 000" in page and "Caderas" in page
    assert texts.modality("es", "fractional_laser").title in page
    assert texts.language("es").common.areas["abdomen"] in page
    assert page.count("entendido, iniciales LF") == len(risk_ids)
    assert "Sí, última dosis el 10/01/2026" in page and "En la rodilla" in page

    # and back to English, then Spanish again: still nothing lost
    assert switch(wizard, "en", "/consent/review").headers["Location"] == "/consent/review"
    page = _visible(wizard.get("/consent/review"))
    assert '<html lang="en">' in page and "Check your answers" in page and "Lucía Fernández" in page
    switch(wizard, "es", "/consent/review")
    assert _answers(_draft(app)) == before
    assert wizard.review().status_code == 302


def test_the_consent_and_its_pdf_are_in_the_language_last_read(app: Flask, wizard: WizardDriver) -> None:
    texts = app.extensions["kiosk_texts"]
    wizard.start()
    wizard.identity()
    wizard.treatment("co2_laser")
    wizard.explanation()
    first_risk = texts.modality("en", "co2_laser").risks[0]
    wizard.submit("/consent/risks/1", {"acknowledged": "y", "initials": "ZÑ"})
    acknowledged_at = _draft(app).data["risks"][first_risk.id]["acknowledged_at"]
    switch(wizard, "es", "/consent/risks/2")
    wizard.risks(app, "co2_laser")
    wizard.comprehension(app, "co2_laser")
    wizard.screening(app, "co2_laser", {"pregnant": "Puede que sí"})
    wizard.review()
    assert wizard.sign(typed_signature="Zoë Ñúñez").status_code == 302

    [consent] = consents(app)
    record = consent.record
    assert consent.language == "es" and record["language"] == "es"
    assert record["texts"]["shown"]["language"] == "es"
    assert record["treatment"]["modality_title"] == texts.modality("es", "co2_laser").title
    assert record["risks"][0]["title"] == texts.modality("es", "co2_laser").risks[0].title
    assert record["risks"][0]["acknowledged_at"] == acknowledged_at  # read in English, kept as given
    assert record["answers"][0]["text"] == texts.language("es").questions["pregnant"].text

    pdf = _pdf_text(consent.documents[0].pdf)
    for label in ("Consentimiento informado", "Fecha de nacimiento", "17/05/1990", "Idioma de este consentimiento",
                  "Español (es)", "Respuestas al cuestionario de salud", "Fecha y hora de la firma",
                  "Página 1 de", "Cómo comprobar este documento", texts.modality("es", "co2_laser").title):
        assert label in pdf, label
    for english in ("Informed consent", "Date of birth", "Screening answers", "Date and time signed", "Page 1 of"):
        assert english not in pdf, english
    signed = re.search(r"Fecha y hora de la firma\s*(\d\d/\d\d/\d{4} \d\d:\d\d:\d\d UTC[+-]\d\d:\d\d)", pdf)
    assert signed, "the signing time is written dd/mm/yyyy with its offset"


def test_switching_back_before_signing_records_english(app: Flask, wizard: WizardDriver) -> None:
    wizard.get("/")
    switch(wizard, "es", "/")
    wizard.ready_to_sign(app, "microdermabrasion")
    assert _draft(app).language == "es"
    switch(wizard, "en", "/consent/sign")
    assert wizard.sign(typed_signature="Zoë Ñúñez").status_code == 302
    [consent] = consents(app)
    assert consent.language == "en"
    pdf = _pdf_text(consent.documents[0].pdf)
    assert "Informed consent" in pdf and "English (en)" in pdf and "Consentimiento informado" not in pdf


@pytest.mark.parametrize("target", ["https://evil.example/consent", "//evil.example/", "/\t/evil.example",
                                    "\\\\evil.example", "javascript:alert(1)", "evil.example"])
def test_the_switch_never_sends_the_patient_off_site(app: Flask, wizard: WizardDriver, target: str) -> None:
    wizard.get("/")
    response = switch(wizard, "es", target)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert '<html lang="es">' in wizard.get("/").get_data(as_text=True)  # the language itself did change


def test_the_switch_refuses_a_language_not_offered_and_a_missing_token(app: Flask, wizard: WizardDriver) -> None:
    wizard.get("/")
    refused = switch(wizard, "de", "/")
    assert refused.status_code == 400 and "could not be read" in refused.get_data(as_text=True)
    no_token = wizard.client.post("/language", data={"lang": "es", "next": "/"})
    assert no_token.status_code == 400
    assert '<html lang="en">' in wizard.get("/").get_data(as_text=True)


def test_a_patient_resuming_on_another_tablet_goes_on_in_their_language(app: Flask, wizard: WizardDriver) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from kiosk.core import audit
    from kiosk.desk import sessions as desk

    wizard.start()
    wizard.identity()
    switch(wizard, "es", "/consent/treatment")
    session = app.extensions["kiosk_db"]()
    draft = session.scalars(select(Draft)).one()
    issued = desk.reissue_code(session, draft.id, issued_by=None, who=audit.Who(actor="tests"),
                               now=datetime.now(ZoneInfo(app.config["CLINIC_TIMEZONE"])))
    session.close()
    other = WizardDriver(app.test_client())  # a tablet still in English
    token = csrf_token(other.get("/").get_data(as_text=True))
    response = other.client.post("/consent/start", data={"csrf_token": token, "code": issued.display})
    assert response.headers["Location"] == "/consent/treatment"
    assert '<html lang="es">' in other.get("/consent/treatment").get_data(as_text=True)


def test_wtforms_own_messages_follow_each_tablets_language(app: Flask) -> None:
    """WTForms' built-in messages come from one catalogue per language: two tablets, side by side, each read its own."""
    english, spanish = WizardDriver(app.test_client()), WizardDriver(app.test_client())
    english.start()
    spanish.start()
    switch(spanish, "es", "/consent/identity")
    for tablet in (english, spanish):  # the last dose's date is a WTForms date field (the birth date has its own)
        tablet.identity()
        tablet.treatment("co2_laser")
        tablet.explanation()
        tablet.risks(app, "co2_laser")
        tablet.comprehension(app, "co2_laser")
    wrong_date = {"isotretinoin_last_dose": "not-a-date"}
    for _ in range(2):  # in turn, so a catalogue left over from the other tablet's request would show
        en_page = _visible(english.screening(app, "co2_laser", wrong_date))
        es_page = _visible(spanish.screening(app, "co2_laser", wrong_date))
        assert "Not a valid date value." in en_page and "No es una fecha válida." not in en_page
        assert "No es una fecha válida." in es_page and "Not a valid date value." not in es_page
