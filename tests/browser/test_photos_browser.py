"""Photo consent and treatment photos in Chromium: the patient's ticks after signing on the tablet, the desk's change,
photos taken at two sessions through the file chooser and compared side by side, a refused file; every page axe-clean
in English and Spanish, at tablet, phone and desk sizes."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from PIL import Image
from sqlalchemy import select

from kiosk.core import audit
from kiosk.core.models import Consent, User
from kiosk.course import checkins
from tests.browser.a11y import AxeAudit, horizontal_overflow
from tests.browser.conftest import LiveServer, Screenshots, watch_problems, set_staff_language
from tests.browser.test_accessibility_browser import set_session
from tests.browser.test_staff_flow_browser import sign_in
from tests.browser.test_wizard_browser import issue_code
from tests.browser.walk import walk_wizard
from tests.helpers import signed_checkin

try:
    from playwright.sync_api import BrowserContext, Page, expect
except ImportError:  # the fixtures skip (or fail under CI) with what to install
    pass

SIZES = {"tablet": (800, 1280), "phone": (390, 844), "desk": (1366, 768)}
WORDS = {
    "en": {"offer": "Choose what photos may be used for", "save": "Save my choice", "saved": "Your choice is saved",
           "record": "My health record only", "desk_save": "Record the photo consent", "take": "Save the photo",
           "compare": "Before and after", "not_photo": "This file is not a photo", "uses": "clinical record"},
    "es": {"offer": "Elegir para qué se pueden usar las fotos", "save": "Guardar mi elección",
           "saved": "Su elección está guardada", "record": "Solo mi historia clínica",
           "desk_save": "Registrar el consentimiento de fotos", "take": "Guardar la foto",
           "compare": "Antes y después", "not_photo": "Este archivo no es una foto", "uses": "historia clínica"},
}


def _page(tablet_context: Callable[..., BrowserContext], size: str) -> Page:
    width, height = SIZES[size]
    viewport = {"width": width, "height": height}
    page = tablet_context(viewport=viewport, screen=viewport, has_touch=size != "desk").new_page()
    watch_problems(page)
    return page


def _fits(page: Page) -> None:
    assert horizontal_overflow(page) <= 0, f"{page.url} scrolls sideways"


def _jpeg(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (900, 600), colour).save(out, "JPEG")
    return out.getvalue()


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("size", ["tablet", "phone"])
def test_after_signing_the_patient_ticks_what_photos_may_be_used_for(
        live_server: LiveServer, tablet_context: Callable[..., BrowserContext], screenshot: Screenshots,
        language: str, size: str) -> None:
    words = WORDS[language]
    page = _page(tablet_context, size)
    page.goto(live_server.url + "/")
    set_session(page.context, live_server, lang=language)
    axe = AxeAudit()
    walk_wizard(page, live_server, issue_code(live_server).display, lambda p, w: None, errors=False)
    axe.check(page, f"done page ({language}, {size})")
    offer = page.get_by_role("link", name=words["offer"])
    expect(offer).to_be_visible()
    screenshot(page, f"photos-{language}-{size}-done")
    offer.click()
    boxes = page.locator("main input[type=checkbox]")
    expect(boxes).to_have_count(3)
    assert not any(boxes.nth(i).is_checked() for i in range(3))  # none ticked in advance
    _fits(page)
    axe.check(page, f"photo consent ({language}, {size})")
    screenshot(page, f"photos-{language}-{size}-choice")
    page.get_by_label(words["record"]).check()
    page.get_by_role("button", name=words["save"]).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(words["saved"])
    _fits(page)
    axe.check(page, f"photo consent saved ({language}, {size})")
    screenshot(page, f"photos-{language}-{size}-saved")
    axe.assert_clean()
    consent = live_server.app.extensions["kiosk_db"]().scalars(select(Consent)).one()
    assert [d.kind for d in consent.documents] == ["patient_signed", "photo_consent"]


def _two_sessions(app: Flask) -> tuple[str, list[int]]:
    """A consent with a signed check-in and two sessions recorded by the doctor (through the use cases)."""
    consent_id = signed_checkin(app, name="Begoña Núñez").consent.document_id
    session = app.extensions["kiosk_db"]()
    doctor = session.scalar(select(User).where(User.role == "doctor"))
    now = datetime.now(ZoneInfo(app.config["CLINIC_TIMEZONE"]))
    ids = []
    for _ in range(2):
        row = checkins.record_session(session, audit.Who(actor="tests"), doctor, consent_id, checkins.SessionInput(
            session_date=now.date(), area="Abdomen", settings="Medium tip", anaesthetic_applied_by=None,
            anaesthetic_minutes=None, anaesthetic_product=None, notes=None), texts=app.extensions["kiosk_texts"],
            now=now, months=12)
        ids.append(row.id)
    session.close()
    return consent_id, ids


@pytest.mark.parametrize("language", ["en", "es"])
def test_photos_taken_at_two_sessions_are_compared_side_by_side_after_the_desk_records_the_photo_consent(
        live_server: LiveServer, app: Flask, staff: dict[str, str], tablet_context: Callable[..., BrowserContext],
        screenshot: Screenshots, language: str, tmp_path) -> None:  # noqa: ANN001
    words = WORDS[language]
    consent_id, (first, second) = _two_sessions(app)
    set_staff_language(app, language)
    axe = AxeAudit()

    desk = _page(tablet_context, "desk")
    sign_in(desk, live_server, staff["frontdesk"])
    desk.goto(f"{live_server.url}/photos/{consent_id}/choice")
    axe.check(desk, f"desk photo consent ({language})")
    desk.locator("main input[type=checkbox][value=record]").check()
    desk.locator("main input[type=checkbox][value=teaching]").check()
    desk.get_by_role("button", name=words["desk_save"]).click()
    expect(desk.locator("#photo-consent-now")).to_contain_text(words["uses"])
    axe.check(desk, f"desk photo consent recorded ({language})")
    screenshot(desk, f"photos-{language}-desk-choice")

    shots = {first: _jpeg((205, 140, 120)), second: _jpeg((215, 170, 150))}
    for size in ("tablet", "phone", "desk"):
        doctor = _page(tablet_context, size)
        sign_in(doctor, live_server, staff["doctor"])
        if size == "tablet":  # the doctor takes them on the tablet's camera (here: its file chooser)
            for number, session_id in enumerate((first, second), start=1):
                doctor.goto(f"{live_server.url}/photos/sessions/{session_id}")
                file_input = doctor.locator("input[type=file]")
                assert file_input.get_attribute("accept") == "image/*"
                assert file_input.get_attribute("capture") is not None
                axe.check(doctor, f"session {number} photos ({language})")
                path = tmp_path / f"s{number}.jpg"
                path.write_bytes(shots[session_id])
                file_input.set_input_files(str(path))
                doctor.locator("main input[type=radio][name=area]").first.check()
                doctor.locator("main input[type=radio][name=view][value=front]").check()
                doctor.get_by_role("button", name=words["take"]).click()
                expect(doctor.locator(".photo-card img")).to_have_count(1)
                axe.check(doctor, f"session {number} with its photo ({language})")
                screenshot(doctor, f"photos-{language}-tablet-session-{number}")
            bad = tmp_path / "notes.jpg"
            bad.write_bytes(b"Dear doctor, this is a letter, not a photo.\n" * 10)
            doctor.locator("input[type=file]").set_input_files(str(bad))
            doctor.locator("main input[type=radio][name=area]").first.check()
            doctor.locator("main input[type=radio][name=view][value=left]").check()
            doctor.get_by_role("button", name=words["take"]).click()
            expect(doctor.locator("main")).to_contain_text(words["not_photo"])
            axe.check(doctor, f"a text file refused ({language})")
            screenshot(doctor, f"photos-{language}-tablet-refused")
        doctor.goto(f"{live_server.url}/photos/{consent_id}")
        expect(doctor.get_by_role("heading", level=1)).to_contain_text(words["compare"])
        images = doctor.locator("table.compare img")
        expect(images).to_have_count(2)
        for i in range(2):  # both really load (served to this signed-in doctor)
            assert images.nth(i).evaluate("img => img.complete && img.naturalWidth > 0")
        _fits(doctor)
        axe.check(doctor, f"before and after ({language}, {size})")
        screenshot(doctor, f"photos-{language}-{size}-compare")
    axe.assert_clean()
