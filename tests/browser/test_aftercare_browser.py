"""The aftercare sheet in a real Chromium: the doctor records a session on the course page, the page offers the
sheet at once, and the front desk prints it, in English and in Spanish, at the desk's width and the tablet's."""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from kiosk.core.models import Consent
from tests.browser.a11y import AxeAudit
from tests.browser.conftest import LiveServer, Screenshots, set_staff_language
from tests.browser.test_checkin_browser import off_the_loop
from tests.browser.test_staff_flow_browser import sign_in
from tests.helpers import pdf_text
from tests.test_patient_copy import Inbox, free_port, sign

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the fixtures skip (or fail under CI) with what to install
    pass

SHOTS = Path(os.environ.get("KIOSK_AFTERCARE_SHOTS") or "/tmp/shots-aftercare")
DESK = {"viewport": {"width": 1366, "height": 768}, "screen": {"width": 1366, "height": 768}, "has_touch": False,
        "locale": "en-GB"}
TABLET = {"viewport": {"width": 800, "height": 1280}, "screen": {"width": 800, "height": 1280}, "has_touch": True,
          "locale": "en-GB"}
WORDS = {
    "en": {"patient": "Ana Aftercare", "record": "Record the session", "print": "Print aftercare sheet",
           "recorded": "Session 1 is recorded.", "heading": "Aftercare sheet", "area": "Belly",
           "sheet": "Caring for your skin after your session", "email": "Email the aftercare sheet",
           "emailed": "The aftercare sheet of session 1 was emailed to the address the patient gave.",
           "sent": "Emailed to the patient"},
    "es": {"patient": "Lucía Cuidados", "record": "Registrar la sesión", "print": "Imprimir la hoja de cuidados",
           "recorded": "Sesión 1 registrada.", "heading": "Hoja de cuidados", "area": "Vientre",
           "sheet": "Cuidados de la piel después de su sesión",
           "email": "Enviar la hoja de cuidados por correo",
           "emailed": "La hoja de cuidados de la sesión 1 se envió a la dirección de correo que dio el paciente.",
           "sent": "Enviada al paciente por correo"},
}


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_desk_prints_the_aftercare_sheet_of_a_session_the_doctor_just_recorded(
        live_server: LiveServer, staff: dict[str, str], open_page: Callable[..., Page], screenshot: Screenshots,
        language: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    live_server.app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=smtp.port, SMTP_STARTTLS=False,
                                  SMTP_FROM="consents@clinic.test", SMTP_TIMEOUT=5)
    try:
        _walk(live_server, staff, open_page, screenshot, language, inbox)
    finally:
        smtp.stop()


def _walk(live_server: LiveServer, staff: dict[str, str], open_page: Callable[..., Page], screenshot: Screenshots,
          language: str, inbox: Inbox) -> None:
    app, words = live_server.app, WORDS[language]
    off_the_loop(lambda: sign(app, words["patient"], email="patient@example.com", language=language) and "")
    document_id = app.extensions["kiosk_db"]().scalar(
        select(Consent.document_id).where(Consent.patient_name == words["patient"]))
    set_staff_language(app, language)
    axe = AxeAudit()

    doctor = open_page(DESK)
    sign_in(doctor, live_server, staff["doctor"])
    doctor.goto(f"{live_server.url}/course/{document_id}")
    doctor.locator("#area").fill(words["area"])
    doctor.locator("#settings").fill("35 %, 3 min")
    doctor.get_by_role("button", name=words["record"], exact=True).click()
    expect(doctor).to_have_url(re.compile(r"recorded=\d+#aftercare$"))
    expect(doctor.locator("main")).to_contain_text(words["recorded"])
    expect(doctor.locator("#aftercare-heading")).to_have_text(words["heading"])
    expect(doctor.locator("#aftercare-1.just-recorded")).to_be_visible()
    expect(doctor.get_by_role("button", name=re.compile(re.escape(words["email"])))).to_be_visible()
    axe.check(doctor, f"course page after recording ({language}, 1366)")
    doctor.screenshot(path=str(SHOTS / f"course-{language}-1366-recorded.png"), full_page=True)
    screenshot(doctor, f"aftercare-{language}-course-1366")

    desk = open_page(TABLET)
    sign_in(desk, live_server, staff["frontdesk"])
    desk.goto(f"{live_server.url}/course/{document_id}#aftercare")
    link = desk.get_by_role("link", name=re.compile(re.escape(words["print"])))
    expect(link).to_have_count(1)
    expect(link).to_be_visible()
    box: Any = link.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 800 and box["height"] >= 44  # on screen, big enough to tap
    assert desk.evaluate("() => document.documentElement.scrollWidth") <= 800  # nothing sideways at 800 px
    axe.check(desk, f"course page at the desk ({language}, 800)")
    desk.locator("#aftercare").screenshot(path=str(SHOTS / f"course-{language}-800-aftercare.png"))
    desk.screenshot(path=str(SHOTS / f"course-{language}-800.png"), full_page=True)
    screenshot(desk, f"aftercare-{language}-course-800")

    printed = desk.request.get(live_server.url + link.get_attribute("href"))  # what the new tab shows
    assert printed.status == 200 and printed.headers["content-type"] == "application/pdf"
    pdf = printed.body()
    assert words["sheet"] in pdf_text(pdf) and words["area"] in pdf_text(pdf)
    target = SHOTS / f"sheet-{language}.pdf"
    target.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(target), str(SHOTS / f"sheet-{language}-walk")], check=True)
    assert (SHOTS / f"sheet-{language}-walk-1.png").exists() and not (SHOTS / f"sheet-{language}-walk-2.png").exists()

    desk.get_by_role("button", name=re.compile(re.escape(words["email"]))).click()
    message = desk.get_by_role("status").filter(has_text=words["emailed"])
    expect(message).to_be_in_viewport()  # the page opens at its top, where the message is
    expect(desk.locator("#aftercare-1")).to_contain_text(words["sent"])
    axe.check(desk, f"course page after emailing the sheet ({language}, 800)")
    desk.locator("main").screenshot(path=str(SHOTS / f"course-{language}-800-emailed.png"))
    [(recipients, message)] = inbox.messages
    assert recipients == ["patient@example.com"]
    [attachment] = list(message.iter_attachments())
    assert words["sheet"] in pdf_text(attachment.get_content())
    assert axe.failures == [], "\n".join(axe.failures)
    assert doctor.problems == [] and desk.problems == []  # type: ignore[attr-defined]
