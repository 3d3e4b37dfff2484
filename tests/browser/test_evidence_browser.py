"""In Chromium: an error goes as soon as the patient answers its question; the others stay until answered."""

from __future__ import annotations

from tests.browser.conftest import LiveServer, Screenshots
from tests.browser.test_wizard_browser import MODALITY, Patient

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the fixtures skip (or fail under CI) with what to install
    pass


def test_a_health_question_error_clears_as_soon_as_it_is_answered(
        live_server: LiveServer, browser_page: Page, screenshot: Screenshots) -> None:
    page = browser_page
    patient = Patient(page, live_server)
    patient.start()
    patient.identity()
    patient.treatment()
    patient.explanation()
    patient.risks()
    patient.comprehension(wrong_first=False)
    patient.tap_button("Next")  # nothing answered
    patient.at("/consent/screening")
    questions = [q for q in live_server.app.extensions["kiosk_texts"].rules.questions_for(MODALITY) if not q.asked_if]
    summary_items = page.locator(".error-summary li")
    total = summary_items.count()
    assert total == len(questions)
    first, second = questions[0], questions[1]
    expect(page.locator(f"#q_{first.id}-error")).to_be_visible()
    screenshot(page, "errors-before")
    answer = first.options[0] if first.type == "choice" else "no"
    patient.tap_check(f'input[name="q_{first.id}"][value="{answer}"]')
    expect(page.locator(f"#q_{first.id}-error")).to_have_count(0)
    expect(page.locator(f"#q_{first.id}-field")).not_to_have_class("field field-radiofield has-error")
    expect(page.locator(f'input[name="q_{first.id}"][aria-invalid]')).to_have_count(0)
    expect(summary_items).to_have_count(total - 1)
    expect(page.locator(f"#q_{second.id}-error")).to_be_visible()  # not answered yet: still marked
    screenshot(page, "errors-one-answered")


def test_an_identity_error_clears_as_the_patient_types(live_server: LiveServer, browser_page: Page) -> None:
    page = browser_page
    patient = Patient(page, live_server)
    patient.start()
    page.locator("#full_name").fill("")
    patient.tap_button("Next")
    patient.at("/consent/identity")
    expect(page.locator("#full_name-error")).to_be_visible()
    page.locator("#full_name").type("Ana")
    expect(page.locator("#full_name-error")).to_have_count(0)
    expect(page.locator(".error-summary")).to_be_hidden()
