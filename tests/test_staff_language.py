"""Staff read the staff pages in English or Spanish: a switch on every staff page, remembered with the account."""

from __future__ import annotations

import html as html_lib
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from tests.helpers import staff_login
from tests.support import csrf_token
from tests.test_doctor import STOP_AND_REVIEW, signed_consent


def _signed_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    assert staff_login(client, email).status_code == 302
    return client


def _switch(client: FlaskClient, page: str, lang: str) -> Any:
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post("/staff/language", data={"csrf_token": token, "lang": lang, "next": page})


def _text(client: FlaskClient, url: str) -> str:
    return html_lib.unescape(client.get(url).get_data(as_text=True))


def test_the_desk_switches_to_spanish_and_keeps_it_on_every_sign_in(app: Flask, staff: dict[str, str]) -> None:
    desk = _signed_in(app, staff["frontdesk"])
    page = _text(desk, "/desk/")
    assert '<html lang="en">' in page and ">Español<" in page  # the switch is on the staff page
    response = _switch(desk, "/desk/", "es")
    assert response.status_code == 302 and response.headers["Location"] == "/desk/"
    page = _text(desk, "/desk/")
    assert '<html lang="es">' in page and "Cerrar sesión" in page and ">English<" in page

    again = _signed_in(app, staff["frontdesk"])  # another device, a later day: the account remembers
    assert '<html lang="es">' in _text(again, "/desk/")
    other = _signed_in(app, staff["doctor"])  # a colleague's choice is their own
    assert '<html lang="en">' in _text(other, "/doctor/queue")


def test_a_spanish_reading_doctor_sees_an_english_consent_with_spanish_translations(
        app: Flask, wizard: Any, staff: dict[str, str]) -> None:
    document_id = signed_consent(app, wizard, yes=STOP_AND_REVIEW)
    doctor = _signed_in(app, staff["doctor"])
    _switch(doctor, "/doctor/queue", "es")
    page = _text(doctor, f"/doctor/consents/{document_id}")
    texts = app.extensions["kiosk_texts"]
    english, spanish = texts.language("en").questions["pregnant"].text, texts.language("es").questions["pregnant"].text
    assert '<html lang="es">' in page
    assert f'<span class="question" lang="en">{english}</span>' in page
    assert f"Traducción: {spanish}" in page


def test_a_language_that_is_not_offered_is_refused_and_nothing_changes(app: Flask, staff: dict[str, str]) -> None:
    desk = _signed_in(app, staff["frontdesk"])
    assert _switch(desk, "/desk/", "xx").status_code == 400
    assert '<html lang="en">' in _text(desk, "/desk/")


def test_only_signed_in_staff_can_set_a_staff_language(app: Flask) -> None:
    client = app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/staff/language", data={"csrf_token": token, "lang": "es", "next": "/desk/"})
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
