"""The patient's own data in a real browser: the course page's button, the confirmation, the zip, in both languages."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import select

from kiosk.core.models import User
from tests.browser.conftest import LiveServer, Screenshots, watch_problems
from tests.browser.test_staff_flow_browser import sign_in
from tests.helpers import signed_checkin

try:
    from playwright.sync_api import BrowserContext, Page, expect
except ImportError:  # the fixtures skip (or fail under CI) with what to install
    pass

SIZES = {"desk": (1366, 768), "tablet": (800, 1280), "phone": (390, 844)}
WORDS = {
    "en": {"button": "Produce the patient's data", "confirm": "Yes, download the zip", "back": "No, go back"},
    "es": {"button": "Preparar los datos del paciente", "confirm": "Sí, descargar el zip", "back": "No, volver"},
}


@pytest.fixture
def staff_page(tablet_context: Callable[..., BrowserContext]) -> Callable[..., Page]:
    """A staff computer's page at the given size (a fresh context each, closed by tablet_context)."""

    def make(width: int, height: int) -> Page:
        size = {"width": width, "height": height}
        page = tablet_context(viewport=size, screen=size, has_touch=False, accept_downloads=True).new_page()
        watch_problems(page)
        return page

    return make


def _language(app: Flask, email: str, language: str | None) -> None:
    session = app.extensions["kiosk_db"]()
    session.scalar(select(User).where(User.email == email)).language = language
    session.commit()
    session.close()


def _fits(page: Page) -> None:
    """No sideways scrolling, and each button is at least 44 CSS pixels high (a finger's size)."""
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
    for box in [b.bounding_box() for b in page.locator("main button, main a.button").all()]:
        assert box is not None and box["height"] >= 44, box


@pytest.mark.parametrize("language", ["en", "es"])
def test_a_doctor_produces_the_patients_zip_from_the_course_page_at_every_screen_size(
        live_server: LiveServer, app: Flask, staff: dict[str, str], staff_page: Callable[..., Page],
        screenshot: Screenshots, language: str) -> None:
    checkin = signed_checkin(app, name="Begoña Núñez")
    consent_id = checkin.consent.document_id
    _language(app, staff["doctor"], language)
    words: dict[str, Any] = WORDS[language]
    for size, (width, height) in SIZES.items():
        page = staff_page(width, height)
        sign_in(page, live_server, staff["doctor"])
        page.goto(f"{live_server.url}/course/{consent_id}")
        button = page.get_by_role("button", name=words["button"])
        expect(button).to_be_visible()
        button.scroll_into_view_if_needed()
        _fits(page)
        screenshot(page, f"patient-data-{language}-{size}-course", full_page=False)
        button.click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Begoña Núñez")
        _fits(page)
        screenshot(page, f"patient-data-{language}-{size}-confirm")
        with page.expect_download() as download:
            page.get_by_role("button", name=words["confirm"]).click()
        assert download.value.suggested_filename == f"patient-data-{consent_id}.zip"
        names = zipfile.ZipFile(io.BytesIO(open(download.value.path(), "rb").read())).namelist()
        assert "SHA256SUMS" in names
        assert f"begona-nunez_1990-01-01/{checkin.document_id}/revision-01-patient_signed.pdf" in names
        page.get_by_role("link", name=words["back"]).click()
        expect(page).to_have_url(f"{live_server.url}/course/{consent_id}")
        assert page.problems == []  # type: ignore[attr-defined]


def test_the_front_desk_sees_no_patient_data_button(live_server: LiveServer, app: Flask, staff: dict[str, str],
                                                     staff_page: Callable[..., Page], screenshot: Screenshots) -> None:
    checkin = signed_checkin(app, name="Begoña Núñez")
    page = staff_page(1366, 768)
    sign_in(page, live_server, staff["frontdesk"])
    page.goto(f"{live_server.url}/course/{checkin.consent.document_id}")
    expect(page.get_by_role("heading", name="Withdrawal of consent")).to_be_visible()
    assert page.get_by_role("button", name=WORDS["en"]["button"]).count() == 0
    screenshot(page, "patient-data-frontdesk-course")
