"""A check-in before a later session, in a real Chromium: the desk starts it, the patient answers in Spanish
by touch on the tablet, draws a signature, and the flagged answer reaches the doctors' queue."""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Callable

from pypdf import PdfReader
from sqlalchemy import select

from kiosk.core.models import Checkin
from tests.browser.conftest import LiveServer, Screenshots, watch_problems
from tests.browser.test_staff_flow_browser import desktop_page, sign_in  # noqa: F401 (a fixture)
from tests.browser.test_wizard_browser import draw_signature
from tests.test_course import make_consent

try:
    from playwright.sync_api import BrowserContext, Page, expect
except ImportError:  # the fixtures skip (or fail under CI) with what to install
    pass

FLAGGED = "checkin_sun"
DETAIL = "Estuve en la playa hace diez días"


def off_the_loop(work: Callable[[], str]) -> str:
    """Run `work` in a thread of its own: sealing (asyncio.run) cannot run inside Playwright's running loop."""
    result: list[str] = []
    thread = threading.Thread(target=lambda: result.append(work()))
    thread.start()
    thread.join()
    return result[0]


def spanish_tablet(context: BrowserContext, server: LiveServer) -> Page:
    """A tablet whose session language is Spanish, set in the signed session cookie as the app keeps it."""
    cookie = server.app.session_interface.get_signing_serializer(server.app).dumps({"lang": "es"})
    context.add_cookies([{"name": "session", "value": cookie, "url": server.url}])
    page = context.new_page()
    watch_problems(page)
    return page


def test_a_check_in_on_the_tablet_in_spanish(live_server: LiveServer, staff: dict[str, str],
                                            desktop_page: Callable[[], Page],  # noqa: F811
                                            tablet_context: Callable[..., BrowserContext],
                                            screenshot: Screenshots) -> None:
    app = live_server.app
    document_id = off_the_loop(lambda: make_consent(app, name="Lucía Fernández", modality="co2_laser"))

    # 1. the front desk finds the course and starts the check-in
    desk = desktop_page()
    sign_in(desk, live_server, staff["frontdesk"])
    desk.goto(f"{live_server.url}/course/{document_id}")
    desk.get_by_role("button", name="Start a check-in", exact=True).click()
    expect(desk).to_have_url(re.compile(r"/desk/sessions/\d+/code$"))
    code = desk.locator("#tablet-code").inner_text().strip()

    # 2. the patient, in Spanish, by touch
    tablet = spanish_tablet(tablet_context(), live_server)
    tablet.goto(live_server.url + "/")
    tablet.locator("#code").fill(code)
    tablet.locator("main form button[type=submit]").tap()
    expect(tablet).to_have_url(re.compile(r"/checkin$"))
    expect(tablet.get_by_role("heading", level=1)).to_have_text("Antes de la sesión de hoy")
    expect(tablet.locator("main")).to_contain_text("Usted ya firmó el consentimiento para este tratamiento.")
    questions = app.extensions["kiosk_texts"].rules.checkin_for("co2_laser")
    spanish = app.extensions["kiosk_texts"].checkin_text("es").questions
    for q in questions:
        expect(tablet.locator(f"#q_{q.id}-field legend")).to_have_text(spanish[q.id].text)
        answer = tablet.locator(f'input[name="q_{q.id}"][value="{"yes" if q.id == FLAGGED else "no"}"]')
        answer.tap()
        expect(answer).to_be_checked()
    detail = tablet.locator(f"#detail_{FLAGGED}")
    expect(detail).to_be_visible()
    expect(tablet.locator(f"#detail_{FLAGGED}-field label")).to_have_text("¿Qué hizo, y cuándo?")
    detail.fill(DETAIL)
    screenshot(tablet, "checkin-es-questions")
    tablet.locator("main form button[type=submit]").tap()

    expect(tablet).to_have_url(re.compile(r"/checkin/sign$"))
    expect(tablet.locator("main")).to_contain_text("Sigo de acuerdo con el tratamiento que consentí.")
    draw_signature(tablet)
    tablet.locator("#printed_name").fill("LUCÍA FERNÁNDEZ")
    screenshot(tablet, "checkin-es-sign")
    tablet.locator("main form button.primary[type=submit]").tap()

    expect(tablet).to_have_url(re.compile(r"/checkin/done$"))
    expect(tablet.locator("#checkin-notice")).to_contain_text(
        "Antes de la sesión de hoy, el médico revisará algunas de ellas con usted.")
    screenshot(tablet, "checkin-es-done")
    assert tablet.problems == [], tablet.problems  # type: ignore[attr-defined]

    # 3. stored in Spanish with the drawn signature, and waiting for a doctor
    session = app.extensions["kiosk_db"]()
    checkin = session.scalar(select(Checkin))
    assert checkin.record["language"] == "es" and checkin.record["texts"]["shown"]["title"] == "Antes de la sesión de hoy"
    assert checkin.record["signature"]["method"] == "drawn" and checkin.signature_png
    assert checkin.record["answers"][[q.id for q in questions].index(FLAGGED)]["detail"] == DETAIL
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(checkin.pdf)).pages)
    assert "Control antes de una sesión" in " ".join(text.split())
    doctor = desktop_page()
    sign_in(doctor, live_server, staff["doctor"])
    doctor.goto(live_server.url + "/doctor/queue")
    expect(doctor.locator("#checkin-queue")).to_contain_text("Lucía Fernández")
