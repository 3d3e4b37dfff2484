"""Wording the patient signs: the treatment mid-sentence without its capital, the areas chosen named beside the
signature (on the sign page and in the PDF), and "somewhere else" as the patient's own words, never in nested
brackets; in English and Spanish."""

from __future__ import annotations

import html
import io
import re

import pytest
from flask import Flask
from pypdf import PdfReader
from sqlalchemy import select

from kiosk.core.models import Consent
from tests.support import WizardDriver
from tests.test_doctor import doctor_client

OTHER = "Lower back / flanks (love handles)"
STATEMENTS = {
    "en": "I agree to have ablative CO2 laser resurfacing on these areas: belly (abdomen) and lower back / flanks "
          "(love handles).",
    "es": "Acepto recibir láser de CO2 ablativo (rejuvenecimiento de la piel) en estas zonas: barriga (abdomen) y "
          "lower back / flanks (love handles).",
}
AREAS = {"en": "Belly (abdomen), Lower back / flanks (love handles)",
         "es": "Barriga (abdomen), Lower back / flanks (love handles)"}


def words(response) -> str:  # noqa: ANN001
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_statement_beside_the_signature_names_the_treatment_and_the_areas_chosen(
        app: Flask, staff: dict[str, str], language: str) -> None:
    tablet = WizardDriver(app.test_client())
    tablet.ready_to_sign(app, "co2_laser", name="Ana Zonas", language=language, areas=("abdomen", "other"),
                         other=OTHER)
    review = words(tablet.get("/consent/review"))
    assert AREAS[language] in review and "(Lower back / flanks (love handles))" not in review
    sign = words(tablet.get("/consent/sign"))
    assert STATEMENTS[language] in sign
    assert "Ablative CO2" not in sign and "recibir Láser" not in sign
    assert tablet.sign(typed_signature="Ana Zonas", printed_name="Ana Zonas").status_code == 302

    consent = app.extensions["kiosk_db"]().scalar(select(Consent).where(Consent.patient_name == "Ana Zonas"))
    assert consent.record["consent_statement"].startswith(STATEMENTS[language])
    pdf_text = " ".join("".join(page.extract_text() for page in PdfReader(io.BytesIO(consent.documents[0].pdf)).pages)
                        .split())
    assert STATEMENTS[language] in pdf_text
    assert AREAS[language] in pdf_text and "(Lower back / flanks (love handles))" not in pdf_text
    doctor = words(doctor_client(app).get(f"/doctor/consents/{consent.document_id}"))
    assert AREAS[language] in doctor and "(Lower back / flanks (love handles))" not in doctor
