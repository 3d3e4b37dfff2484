"""On a tablet in English and a phone in Spanish: the patient picks another treatment than the doctor planned,
is told so in words, and goes on only after ticking the confirmation (no JavaScript needed for any of it)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from kiosk.core import audit
from kiosk.desk import sessions as desk
from tests.browser.a11y import axe_violations
from tests.browser.conftest import TABLET, LiveServer, Screenshots, watch_problems
from tests.browser.test_screening_v2_browser import PHONE

try:
    from playwright.sync_api import Browser, expect
except ImportError:  # the fixtures skip (or fail under CI) with what to install
    pass

WORDS = {
    "en": {"planned": "The doctor planned: Mechanical microdermabrasion.",
           "asked": "The doctor planned Mechanical microdermabrasion, but you chose Ablative CO2 laser resurfacing.",
           "confirm": "Yes, I want this treatment and not the one the doctor planned."},
    "es": {"planned": "El médico previó: Microdermoabrasión mecánica.",
           "asked": "El médico previó Microdermoabrasión mecánica, pero usted ha elegido",
           "confirm": "Sí, quiero este tratamiento y no el que previó el médico."},
}


@pytest.mark.parametrize(("device", "language"), [("tablet", "en"), ("phone", "es")])
def test_a_patient_confirms_a_treatment_other_than_the_plan(live_server: LiveServer, browser: Browser,
                                                            screenshot: Screenshots, device: str,
                                                            language: str) -> None:
    session = live_server.app.extensions["kiosk_db"]()
    issued = desk.issue_session(
        session, desk.NewPatient(full_name="Begoña Núñez-Wiśniewska", date_of_birth=date(1984, 11, 2),
                                 modality="microdermabrasion"),
        issued_by=None, who=audit.Who(actor="tests"), language=language,
        now=datetime.now(ZoneInfo(live_server.app.config["CLINIC_TIMEZONE"])))
    session.close()
    context: Any = browser.new_context(**{**TABLET, **(PHONE if device == "phone" else {})})
    if language == "es":
        cookie = live_server.app.session_interface.get_signing_serializer(live_server.app).dumps({"lang": "es"})
        context.add_cookies([{"name": "session", "value": cookie, "url": live_server.url}])
    page = context.new_page()
    watch_problems(page)
    words = WORDS[language]
    page.goto(live_server.url + "/")
    page.locator("#code").fill(issued.display)
    page.locator("main form button[type=submit]").tap()
    page.locator("main form button.primary[type=submit]").tap()  # the desk filled the name and birth date
    expect(page.get_by_text(words["planned"])).to_be_visible()
    assert page.get_by_text(words["confirm"]).count() == 0
    page.locator('input[name="modality"][value="co2_laser"]').tap()
    page.locator('input[name="areas"]').first.tap()
    page.locator("main form button.primary[type=submit]").tap()
    expect(page.get_by_text(words["asked"]).first).to_be_visible()
    expect(page.get_by_label(words["confirm"])).to_be_visible()
    screenshot(page, f"{device}-{language}-treatment-other-than-planned", full_page=True)
    assert axe_violations(page) == []
    page.get_by_label(words["confirm"]).tap()
    page.locator("main form button.primary[type=submit]").tap()
    page.wait_for_url("**/consent/explanation")
    assert page.problems == [], page.problems  # type: ignore[attr-defined]
    context.close()
