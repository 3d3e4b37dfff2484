"""Desk, tablet and doctor in one real-browser walk: a code from the desk, a flagged consent, a signed clearance."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from kiosk.core.models import Consent, Draft
from tests.browser.a11y import axe_violations, describe
from tests.browser.conftest import LiveServer, Screenshots
from tests.browser.test_wizard_browser import (MODALITY, Patient, assert_done, draw_signature, expect_birth_date,
                                               fill_birth_date)
from tests.helpers import STAFF_PASSWORD, pdf_text

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the fixtures skip (or fail under CI) with what to install
    pass

PATIENT = "Anna Kowalska"
DOB = "1988-03-09"
INITIALS = "AK"
STOP_QUESTION = "pregnant"  # a stop flag for co2_laser
STOP_DETAIL = "I might be, about six weeks"
NOTE = "Negative pregnancy test in clinic today; treatment may go ahead."
DOCTOR_NAME = "Doctor Person"  # what the staff fixture names doctor@x.test
DESKTOP: dict[str, Any] = {
    "viewport": {"width": 1280, "height": 900},
    "screen": {"width": 1280, "height": 900},
    "has_touch": False,
    "locale": "en-GB",
    "accept_downloads": True,
}


@pytest.fixture
def desktop_page(open_page: Callable[..., Page]) -> Callable[[], Page]:
    """Factory for pages in fresh desktop contexts (a staff computer each), closed after the test."""
    return lambda: open_page(DESKTOP)


def sign_in(page: Page, server: LiveServer, email: str) -> None:
    page.goto(server.url + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()


class FlaggedPatient(Patient):
    """The wizard's patient, but starting from the desk's code, keeping the desk's identity, answering one stop."""

    def start_with(self, code: str) -> None:
        self.page.goto(self.server.url + "/")
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Welcome")
        self.page.get_by_label("Your code from the front desk").fill(code)
        self.tap_button("Start")
        self.at("/consent/identity")

    def identity(self) -> None:
        expect(self.page.locator("#full_name")).to_have_value(PATIENT)
        expect_birth_date(self.page, DOB)
        self.tap_button("Next")
        self.at("/consent/treatment")

    def treatment(self) -> None:
        expect(self.page.locator(f'input[name="modality"][value="{MODALITY}"]')).to_be_checked()  # the desk's plan
        super().treatment()

    def risks(self) -> int:
        total = len(self.texts.modality("en", MODALITY).risks)
        for index in range(1, total + 1):
            self.at(f"/consent/risks/{index}")
            if index == 1:  # the initials proposed from the name, adopted once; then one tap per risk
                expect(self.page.locator("#initials")).to_have_value(INITIALS)
            self.tap_button("I understand this risk")
        self.at("/consent/comprehension")
        return total

    def screening(self, *, js: bool = True) -> None:
        questions = self.texts.rules.questions_for(MODALITY)
        assert STOP_QUESTION in [q.id for q in questions]
        for q in questions:
            if q.asked_if:
                continue  # asked only after a yes, and this patient answers yes only to the stop question
            answer = q.options[0] if q.type == "choice" else "yes" if q.id == STOP_QUESTION else "no"
            self.tap_check(f'input[name="q_{q.id}"][value="{answer}"]')
        detail = self.page.locator(f"#detail_{STOP_QUESTION}")
        expect(detail).to_be_visible()
        detail.fill(STOP_DETAIL)
        self.tap_button("Next")
        self.at("/consent/review")

    def review(self) -> None:
        expect(self.page.locator("main")).to_contain_text(PATIENT)
        self.tap_button("I agree to sign on this screen")
        self.at("/consent/sign")

    def sign(self) -> None:
        draw_signature(self.page)
        self.page.locator("#printed_name").fill(PATIENT.upper())
        self.tap_button("I agree to this statement and sign")


def test_desk_code_tablet_stop_flag_and_doctor_clearance(
        live_server: LiveServer, staff: dict[str, str], desktop_page: Callable[[], Page],
        browser_page: Page, screenshot: Screenshots, tmp_path: Path) -> None:
    # 1. the front desk starts the session and reads the code
    desk = desktop_page()
    sign_in(desk, live_server, staff["frontdesk"])
    expect(desk).to_have_url(re.compile(r"/desk/$"))
    desk.get_by_label("Patient's full name").fill(PATIENT)
    fill_birth_date(desk, DOB)
    desk.get_by_label("Treatment the doctor planned (optional)").select_option(MODALITY)
    desk.get_by_role("button", name="Get a code for the tablet", exact=True).click()
    expect(desk).to_have_url(re.compile(r"/desk/sessions/\d+/code$"))
    expect(desk.get_by_role("heading", level=1)).to_have_text("Code for the tablet")
    expect(desk.locator("main")).to_contain_text(PATIENT)
    code = desk.locator("#tablet-code").inner_text().strip()
    assert re.fullmatch(r"[A-Z0-9]{3}-?[A-Z0-9]{3}", code), code
    screenshot(desk, "staff-desk-code")

    # 2. the patient on the tablet, by touch
    tablet = browser_page
    patient = FlaggedPatient(tablet, live_server)
    patient.start_with(code)
    patient.identity()
    patient.treatment()
    patient.explanation()
    patient.risks()
    patient.comprehension(wrong_first=False)
    patient.screening()
    patient.review()
    patient.sign()
    assert_done(tablet)
    expect(tablet.locator("main .notice")).to_contain_text("the doctor will go over some of them with you")

    db = live_server.app.extensions["kiosk_db"]()
    [consent] = db.scalars(select(Consent)).all()
    assert consent.highest_severity == "stop"
    [original] = consent.documents
    original_sha = original.sha256
    document_id = consent.document_id
    db.close()

    # 3. the doctor: queue, consent, a refused clearance, a signed one, the revised PDF
    doctor = desktop_page()
    sign_in(doctor, live_server, staff["doctor"])
    expect(doctor).to_have_url(re.compile(r"/doctor/queue$"))
    first = doctor.locator("table.queue tbody tr").first
    expect(first).to_contain_text(PATIENT)
    expect(first.locator(".readiness")).to_have_text("Not ready for treatment")
    expect(first.locator(".severity")).to_have_text("Stop")
    screenshot(doctor, "staff-doctor-queue")

    first.get_by_role("link", name=PATIENT).click()
    expect(doctor).to_have_url(re.compile(rf"/doctor/consents/{re.escape(document_id)}$"))
    expect(doctor.locator("#readiness")).to_have_text("Not ready for treatment")
    flag = doctor.locator(f"#flag-{STOP_QUESTION}")
    expect(flag).to_contain_text("Are you pregnant, or could you be pregnant?")
    expect(flag.locator(".answer-yes")).to_have_text("Yes")
    expect(flag.locator(".detail")).to_have_text(STOP_DETAIL)
    expect(flag.locator(".severity").first).to_have_text("Stop")
    screenshot(doctor, "staff-doctor-consent")

    # clearing without a note is refused, and nothing is saved
    doctor.get_by_label("Cleared for treatment", exact=True).check()
    doctor.locator("#meaning").check()
    doctor.get_by_label("Your password").fill(STAFF_PASSWORD)
    doctor.get_by_role("button", name="Sign and save the decision", exact=True).click()
    note_error = "A note is required to clear answers with a stop flag: say why treatment may go ahead."
    expect(doctor.locator("#note-error")).to_have_text(note_error)
    expect(doctor.locator(".error-summary")).to_contain_text(note_error)
    expect(doctor.locator("#readiness")).to_have_text("Not ready for treatment")
    expect(doctor.locator("ul.revisions li")).to_have_count(1)

    # with a note, the statement ticked and the password, it is signed and saved
    expect(doctor.get_by_label("Cleared for treatment", exact=True)).to_be_checked()
    doctor.get_by_label("Note").fill(NOTE)
    doctor.locator("#meaning").check()
    doctor.get_by_label("Your password").fill(STAFF_PASSWORD)  # a password is never re-shown
    doctor.get_by_role("button", name="Sign and save the decision", exact=True).click()
    expect(doctor.locator("p.notice[role=status]")).to_contain_text(
        "Decision saved and signed: Cleared for treatment. The PDF now has revision 2")
    expect(doctor.locator("#readiness")).to_have_text("Cleared for treatment")
    decision = doctor.locator("ul.decisions li")
    expect(decision).to_have_count(1)
    expect(decision).to_contain_text(DOCTOR_NAME)
    expect(decision).to_contain_text(NOTE)
    expect(doctor.locator("ul.revisions li")).to_have_count(2)
    screenshot(doctor, "staff-doctor-cleared")

    # The app serves PDFs "inline", so a plain click opens Chromium's PDF viewer and never fires a download;
    # Alt+click is Chromium's own "download this link" gesture, on the same link and the same response.
    with doctor.expect_download() as info:
        doctor.get_by_role("link", name="Revision 2", exact=True).click(modifiers=["Alt"])
    download = info.value
    assert download.suggested_filename == f"{document_id}-r2.pdf"
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    text = pdf_text(saved.read_bytes())  # the review is drawn by its own signature's appearance
    assert DOCTOR_NAME in text
    assert "Cleared for treatment" in text
    assert NOTE in text

    db = live_server.app.extensions["kiosk_db"]()
    consent = db.scalars(select(Consent).where(Consent.document_id == document_id)).one()
    assert [(d.revision, d.kind) for d in consent.documents] == [(1, "patient_signed"), (2, "doctor_review")]
    assert consent.documents[0].sha256 == original_sha
    assert consent.status == "reviewed"
    db.close()

    for page in (desk, tablet, doctor):
        assert page.problems == [], page.problems  # type: ignore[attr-defined]


BAD_DAY = {"en": "February 1990 has no day 31. Please check the day.",
           "es": "Febrero de 1990 no tiene día 31. Compruebe el día, por favor."}


@pytest.mark.parametrize("lang", ["en", "es"])
def test_the_desk_enters_a_birth_date_as_day_month_by_name_and_year(
        live_server: LiveServer, staff: dict[str, str], open_page: Callable[..., Page], screenshot: Screenshots,
        lang: str) -> None:
    """At a 1366 px desk in either language there is no mm/dd/yyyy box to misread: day, the month by its name and
    year, as on the patient's side; an impossible day gets the same message there, and the date kept is the one meant."""
    desk = open_page({**DESKTOP, "viewport": {"width": 1366, "height": 768}, "screen": {"width": 1366, "height": 768}})
    sign_in(desk, live_server, staff["frontdesk"])
    if lang == "es":
        with desk.expect_navigation():
            desk.locator(".staff-bar").get_by_role("button", name="Español").click()
    expect(desk.locator("html")).to_have_attribute("lang", lang)
    expect(desk.locator("input[type=date]")).to_have_count(0)
    expect(desk.locator("#date_of_birth-month option[value='11']")).to_have_text(
        {"en": "November", "es": "Noviembre"}[lang])
    desk.locator("#full_name").fill(PATIENT)
    fill_birth_date(desk, "1990-02-31")
    desk.locator("main form button[name=issue]").click()
    expect(desk.locator("#date_of_birth-error")).to_have_text(BAD_DAY[lang])
    assert not axe_violations(desk), describe(f"[{lang}] desk: a day February does not have", axe_violations(desk))
    screenshot(desk, f"desk-birth-date-{lang}-no-such-day-1366px")
    fill_birth_date(desk, "1984-11-02")
    desk.locator("main form button[name=issue]").click()
    expect(desk).to_have_url(re.compile(r"/desk/sessions/\d+/code$"))
    session = live_server.app.extensions["kiosk_db"]()
    try:
        assert session.scalars(select(Draft)).one().data["prefill"]["date_of_birth"] == "1984-11-02"
    finally:
        session.close()
