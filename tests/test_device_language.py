"""The start page in the device's language, and back to it (not the last patient's choice) after a signature or a reset."""

from __future__ import annotations

import html

from flask import Flask

from kiosk.core.i18n import device_language
from tests.helpers import consents
from tests.support import WizardDriver, csrf_token

SPANISH_PHONE = {"Accept-Language": "es-ES,es;q=0.9,en;q=0.8"}


def page_lang(response) -> str:  # noqa: ANN001
    return html.unescape(response.get_data(as_text=True)).split('<html lang="', 1)[1].split('"', 1)[0]


def test_a_phone_set_to_spanish_gets_the_spanish_start_page(app: Flask) -> None:
    client = app.test_client()
    assert page_lang(client.get("/", headers=SPANISH_PHONE)) == "es"
    assert page_lang(client.get("/", headers={"Accept-Language": "es-MX"})) == "es"


def test_a_device_in_a_language_not_offered_gets_the_clinic_default(app: Flask) -> None:
    client = app.test_client()
    assert page_lang(client.get("/", headers={"Accept-Language": "fr-FR,de;q=0.8"})) == "en"
    assert page_lang(client.get("/")) == "en"


def test_a_british_english_device_reads_english_even_with_spanish_listed_after_it() -> None:
    assert device_language([("en-GB", 1.0), ("es", 0.5)], ["en", "es"]) == "en"
    assert device_language([("en", 0.2), ("es-ES", 0.9)], ["en", "es"]) == "es"
    assert device_language([("fr", 1.0)], ["en", "es"]) is None


def test_a_language_chosen_on_the_page_wins_over_the_device(app: Flask, wizard: WizardDriver) -> None:
    start = wizard.client.get("/", headers=SPANISH_PHONE)
    token = csrf_token(start.get_data(as_text=True))
    switched = wizard.client.post("/language", data={"csrf_token": token, "lang": "en", "next": "/"},
                                  headers=SPANISH_PHONE)
    assert switched.status_code == 302
    assert page_lang(wizard.client.get("/", headers=SPANISH_PHONE)) == "en"


def test_after_a_spanish_patient_signs_the_next_start_page_is_the_devices_language_again(
        app: Flask, wizard: WizardDriver) -> None:
    wizard.start()
    wizard.client.post("/language", data={"csrf_token": wizard.token, "lang": "es", "next": "/consent/identity"})
    wizard.identity()
    wizard.treatment("co2_laser")
    wizard.explanation()
    wizard.risks(app, "co2_laser")
    wizard.comprehension(app, "co2_laser")
    wizard.screening(app, "co2_laser")
    wizard.review()
    assert wizard.sign(typed_signature="Zoë Ñúñez").status_code == 302
    assert page_lang(wizard.client.get("/consent/done")) == "es"  # the thank-you page in the patient's language
    assert consents(app)[-1].language == "es"
    assert page_lang(wizard.client.get("/")) == "en"  # the next patient starts in English (this device's)


def test_after_an_idle_reset_the_start_page_is_the_devices_language_again(app: Flask, wizard: WizardDriver) -> None:
    wizard.start()
    wizard.client.post("/language", data={"csrf_token": wizard.token, "lang": "es", "next": "/consent/identity"})
    assert page_lang(wizard.client.get("/consent/identity")) == "es"
    wizard.client.post("/tablet/reset", data={"csrf_token": wizard.token})
    assert page_lang(wizard.client.get("/")) == "en"
    assert page_lang(wizard.client.get("/", headers=SPANISH_PHONE)) == "es"
