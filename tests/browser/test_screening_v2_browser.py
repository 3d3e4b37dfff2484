"""Screening rules version 2 in Chromium: skin type V and a cold sore now on CO2, both stops, seen by the doctor.

The patient taps a skin type among large radio buttons in plain words; a yes to cold sores opens the follow-up
right under it at once. The walk runs on a portrait tablet and a phone, in English and in Spanish; the doctor
then reads both stops on the consent's page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from tests.browser.conftest import TABLET, LiveServer, Screenshots, watch_problems
from tests.browser.test_staff_flow_browser import DESKTOP, FlaggedPatient, desktop_page, sign_in  # noqa: F401
from tests.browser.test_wizard_browser import MODALITY, draw_signature, issue_code

try:
    from playwright.sync_api import Browser, BrowserContext, Page, expect
except ImportError:  # the fixtures skip (or fail under CI) with what to install
    pass

PHONE: dict[str, Any] = {"viewport": {"width": 390, "height": 844}, "screen": {"width": 390, "height": 844},
                         "is_mobile": True}
WORDS = {
    "en": {"skin_V": "It almost never burns and tans to dark brown with ease.", "yes": "Yes",
           "follow_up": "Do you have a cold sore now, on or near the area?"},
    "es": {"skin_V": "Muy rara vez se quema y se pone muy morena fácil.", "yes": "Sí",
           "follow_up": "¿Tiene ahora una calentura en la zona o cerca de ella?"},
}


class SkinTypePatient(FlaggedPatient):
    """Skin type V, a history of cold sores and one now; no to everything else."""

    def __init__(self, page: Page, server: LiveServer, language: str, shot: Callable[[Page, str], Any]) -> None:
        super().__init__(page, server)
        self.language = language
        self.shot = shot

    def identity(self) -> None:
        self.next()
        self.at("/consent/treatment")

    def next(self) -> None:
        self.page.locator("main form button.primary[type=submit]").tap()

    def risks(self) -> int:
        total = len(self.texts.modality("en", MODALITY).risks)
        for index in range(1, total + 1):
            self.at(f"/consent/risks/{index}")
            if index == 1:  # the initials proposed from the name, adopted once; then one tap per risk
                self.page.locator("#initials").fill("AK")
            self.next()
        self.at("/consent/comprehension")
        return total

    def screening(self, *, js: bool = True) -> None:
        words = WORDS[self.language]
        page = self.page
        follow_up = page.locator('.follow-up:has([data-question="cold_sores_now"])')
        expect(follow_up).to_be_hidden()
        skin = page.locator("#q_skin_type-field")
        expect(skin.locator("label.choice")).to_have_count(7)
        for label in skin.locator("label.choice").all():  # large enough for a finger, each on its own row
            box = label.bounding_box()
            assert box is not None and box["height"] >= 44, box
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "no sideways scroll"
        skin.get_by_text(words["skin_V"], exact=True).tap()
        expect(page.locator('input[name="q_skin_type"][value="V"]')).to_be_checked()
        for q in self.texts.rules.questions_for(MODALITY):
            if q.type == "choice" or q.asked_if:
                continue
            self.tap_check(f'input[name="q_{q.id}"][value="{"yes" if q.id == "cold_sores" else "no"}"]')
            if q.id == "cold_sores":
                expect(follow_up).to_be_visible()  # at once, right under its question
                expect(follow_up.locator("legend")).to_have_text(words["follow_up"])
                self.tap_check('input[name="q_cold_sores_now"][value="yes"]')
                follow_up.scroll_into_view_if_needed()
                self.shot(page, f"v2-{self.language}-follow-up-open", full_page=False)
        skin.scroll_into_view_if_needed()
        self.shot(page, f"v2-{self.language}-skin-type-chosen", full_page=False)
        self.next()
        self.at("/consent/review")
        main = page.locator("main")
        expect(main).to_contain_text(words["skin_V"])
        self.shot(page, f"v2-{self.language}-review")

    def review(self) -> None:
        self.page.locator("main form button.primary[type=submit]").tap()
        self.at("/consent/sign")

    def sign(self) -> None:
        draw_signature(self.page)
        self.page.locator("#printed_name").fill("ANNA KOWALSKA")
        self.next()


@pytest.mark.parametrize(("device", "language"), [("tablet", "en"), ("phone", "es")])
def test_skin_type_v_and_a_cold_sore_now_on_co2_are_stops_the_doctor_reads(
        live_server: LiveServer, staff: dict[str, str], browser: Browser, desktop_page: Callable[[], Page],  # noqa: F811
        screenshot: Screenshots, device: str, language: str) -> None:
    from tests.browser.test_staff_flow_browser import DOB, PATIENT

    issued = issue_code(live_server, name=PATIENT, dob=DOB)
    context: BrowserContext = browser.new_context(**{**TABLET, **(PHONE if device == "phone" else {})})
    if language == "es":
        cookie = live_server.app.session_interface.get_signing_serializer(live_server.app).dumps({"lang": "es"})
        context.add_cookies([{"name": "session", "value": cookie, "url": live_server.url}])
    tablet = context.new_page()
    watch_problems(tablet)
    try:
        patient = SkinTypePatient(tablet, live_server, language,
                                  lambda page, step, **kw: screenshot(page, f"{device}-{step}", **kw))
        tablet.goto(live_server.url + "/")
        tablet.locator("#code").fill(issued.display)
        tablet.locator("main form button[type=submit]").tap()
        patient.at("/consent/identity")
        patient.identity()
        tablet.locator(f'input[name="modality"][value="{MODALITY}"]').tap()
        tablet.locator('input[name="areas"]').first.tap()
        tablet.locator("main form button.primary[type=submit]").tap()
        patient.at("/consent/explanation")
        tablet.locator("main form button.primary[type=submit]").tap()
        patient.risks()
        for check in patient.texts.modality("en", MODALITY).comprehension:
            tablet.locator(f'input[name="c_{check.id}"][value="{check.answer}"]').tap()
        tablet.locator("main form button.primary[type=submit]").tap()
        patient.at("/consent/screening")
        patient.screening()
        patient.review()
        patient.sign()
        patient.at("/consent/done")
        expect(tablet.get_by_role("heading", level=1)).to_have_text({"en": "Thank you", "es": "Gracias"}[language])
        assert tablet.problems == [], tablet.problems  # type: ignore[attr-defined]
    finally:
        context.close()

    doctor = desktop_page()
    sign_in(doctor, live_server, staff["doctor"])
    doctor.locator("table.queue tbody tr a").first.click()
    expect(doctor).to_have_url(re.compile(r"/doctor/consents/CK-"))
    for qid in ("skin_type", "cold_sores_now"):
        flag = doctor.locator(f"#flag-{qid}")
        expect(flag).to_be_visible()
        expect(flag).to_have_class(re.compile(r"\bflagged-stop\b"))
    # the reason in the consent's language (consent_texts/es/reasons.yaml for a Spanish consent)
    expect(doctor.locator("#flag-skin_type")).to_contain_text("Fototipo V" if language == "es" else "Skin type V")
    expect(doctor.locator("#readiness")).to_have_text("Not ready for treatment")
    screenshot(doctor, f"{device}-v2-{language}-doctor-consent")
