"""A 16-year-old with her mother, and a Spanish patient with an interpreter, walked in Chromium: the desk names who
signs after the patient, the patient signs on the tablet, then the mother (or the interpreter) signs there too.
Every new page is checked with axe-core in English and Spanish; shots at tablet, phone and desk sizes.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import select

from kiosk.core.models import Consent
from tests.browser.a11y import AxeAudit, horizontal_overflow
from tests.browser.conftest import LiveServer, Screenshots
from tests.browser.test_accessibility_browser import set_session
from tests.browser.test_staff_flow_browser import sign_in
from tests.browser.test_wizard_browser import draw_signature, fill_birth_date
from tests.browser.walk import path_of, submit, walk_wizard
from tests.helpers import pdf_text

try:
    from playwright.sync_api import BrowserContext, Page, expect
except ImportError:  # the fixtures skip (or fail under CI) with what to install
    pass

PATIENT = "Lucía Gómez Ortega"
PARENT = "María Ortega Ruiz"
INTERPRETER = "Ioana Popescu"
SIZES: dict[str, dict[str, int]] = {"tablet": {"width": 800, "height": 1280}, "phone": {"width": 390, "height": 844},
                                    "desk": {"width": 1366, "height": 768}}


def born_years_ago(years: int) -> str:
    today = date.today()
    return date(today.year - years - (1 if (today.month, today.day) < (1, 2) else 0), 1, 1).isoformat()


def signed_in_desk(tablet_context: Callable[..., BrowserContext], server: LiveServer,
                   email: str) -> tuple[BrowserContext, Page]:
    """A desk computer (no touch, desk size) with the front desk signed in."""
    context = tablet_context(viewport=SIZES["desk"], has_touch=False)
    page = context.new_page()
    sign_in(page, server, email)
    return context, page


def desk_starts(page: Page, server: LiveServer, dob: str, audit: AxeAudit, lang: str,
                shot: Callable[[Page, str], Any], **people: str) -> str:
    """The desk fills its start form: first without the representative a minor needs (when one is given), then with."""
    page.goto(server.url + "/desk/")
    page.locator("#full_name").fill(PATIENT)
    fill_birth_date(page, dob)
    if "representative_name" in people:
        page.locator("main form button[name=issue]").click()
        expect(page.locator("#representative_name-error")).to_be_visible()  # the <details> opened by itself
        audit.check(page, f"[{lang}] desk start: minor without a representative")
        shot(page, f"people-{lang}-desk-minor-missing")
    else:
        page.locator("details.people-fields summary").click()
    for name, value in people.items():
        field = page.locator(f"#{name}")
        if field.evaluate("el => el.tagName") == "SELECT":
            field.select_option(value)
        else:
            field.fill(value)
    audit.check(page, f"[{lang}] desk start with people")
    page.locator("main form button[name=issue]").click()
    expect(page).to_have_url(re.compile(r"/desk/sessions/\d+/code$"))
    return page.locator("#tablet-code").inner_text().strip()


def countersign(page: Page, role_heading: str, name: str, audit: AxeAudit, lang: str,
                shot: Callable[[Page, str], Any]) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text(role_heading)
    expect(page.locator("main .notice")).to_contain_text(name)
    audit.check(page, f"[{lang}] countersign {role_heading}")
    page.locator("main form button.primary").click()  # sent empty first: the messages
    expect(page.locator(".error-summary")).to_be_visible()
    audit.check(page, f"[{lang}] countersign {role_heading} errors")
    shot(page, f"people-{lang}-countersign-errors")
    draw_signature(page)
    expect(page.locator("#printed_name")).to_have_value(name)  # the desk's entry, which they may correct
    shot(page, f"people-{lang}-countersign")
    submit(page)


def test_a_16_year_old_and_her_mother_sign_in_chromium(
        live_server: LiveServer, staff: dict[str, str], tablet_context: Callable[..., BrowserContext],
        screenshot: Screenshots) -> None:
    audit = AxeAudit()
    _desk_context, desk = signed_in_desk(tablet_context, live_server, staff["frontdesk"])
    dob = born_years_ago(16)
    code = desk_starts(desk, live_server, dob, audit, "en", screenshot, representative_name=PARENT,
                       representative_relationship="parent",
                       representative_identity_check="ID card shown at the front desk")

    tablet = tablet_context().new_page()
    walk_wizard(tablet, live_server, code, lambda page, where: None, errors=False, done="/consent/countersign")
    countersign(tablet, "Signature of the representative", PARENT, audit, "en", screenshot)
    assert path_of(tablet) == "/consent/done"
    screenshot(tablet, "people-en-done")

    db = live_server.app.extensions["kiosk_db"]()
    [consent] = db.scalars(select(Consent)).all()
    record = consent.record
    assert record["representative"]["full_name"] == PARENT
    assert record["representative"]["consents_for"]["full_name"] == PATIENT
    assert record["representative"]["signature"]["method"] == "drawn"
    assert any("consented as the patient's representative" in f.reason for f in consent.flags)
    text = " ".join(pdf_text(consent.documents[0].pdf).split())
    db.close()
    assert "Representative's consent" in text and f"{PATIENT}, born" in text

    for size, viewport in SIZES.items():  # the desk's people page and list at every size
        desk.set_viewport_size(viewport)
        desk.goto(live_server.url + "/desk/")
        assert horizontal_overflow(desk) <= 0, size
        screenshot(desk, f"people-en-desk-list-{size}")

    # the doctor reads who signed for the patient on the consent page, and the queue row says a representative did
    doctor_context = tablet_context(viewport=SIZES["desk"], has_touch=False)
    doctor = doctor_context.new_page()
    sign_in(doctor, live_server, staff["doctor"])
    for lang, heading, marker in (("en", "People who signed", "signed by a representative"),
                                  ("es", "Personas que firmaron", "firmado por un representante")):
        if lang == "es":
            doctor.locator(".staff-bar").get_by_role("button", name="Español").click()
        doctor.goto(live_server.url + "/doctor/queue?status=any")
        expect(doctor.locator(".signed-by-representative")).to_have_text(marker)
        audit.check(doctor, f"[{lang}] doctor queue with a representative")
        doctor.goto(live_server.url + f"/doctor/consents/{consent.document_id}")
        people = doctor.locator("section[aria-labelledby=people-heading]")
        expect(people.locator("h2")).to_have_text(heading)
        expect(people.locator("#signer-representative")).to_contain_text(PARENT)
        audit.check(doctor, f"[{lang}] doctor consent page with the people who signed")
        for size in ("desk", "tablet", "phone"):  # the staff pages' widths, and a doctor's phone
            doctor.set_viewport_size(SIZES[size])
            assert horizontal_overflow(doctor) <= 0, size
            people.scroll_into_view_if_needed()
            screenshot(doctor, f"people-{lang}-doctor-consent-{size}", full_page=False)
        doctor.set_viewport_size(SIZES["desk"])
        # the decision a doctor signs when the patient cannot decide alone is one of the choices, in the page's language
        option = doctor.locator("input[name=decision][value=representative]")
        expect(option).to_have_count(1)
        option.scroll_into_view_if_needed()
        screenshot(doctor, f"people-{lang}-doctor-decision-options", full_page=False)
    audit.assert_clean()


def test_a_spanish_consent_with_an_interpreter_in_chromium(
        live_server: LiveServer, staff: dict[str, str], tablet_context: Callable[..., BrowserContext],
        screenshot: Screenshots) -> None:
    audit = AxeAudit()
    desk_context, desk = signed_in_desk(tablet_context, live_server, staff["frontdesk"])
    set_session(desk_context, live_server, lang="es")
    code = desk_starts(desk, live_server, born_years_ago(40), audit, "es", screenshot,
                       interpreter_name=INTERPRETER, interpreter_language="rumano")

    for size, viewport in SIZES.items():
        context = tablet_context(viewport=viewport, screen=viewport)
        set_session(context, live_server, lang="es")
        tablet = context.new_page()
        if size != "tablet":  # the other sizes only look at the interpreter's page of a second session
            continue
        walk_wizard(tablet, live_server, code, lambda page, where: None, errors=False, done="/consent/countersign")
        expect(tablet.locator("main .statement")).to_contain_text(
            "He traducido fielmente este consentimiento al idioma rumano")
        for other, other_size in SIZES.items():
            tablet.set_viewport_size(other_size)
            assert horizontal_overflow(tablet) <= 0, other
            screenshot(tablet, f"people-es-interpreter-{other}")
        tablet.set_viewport_size(viewport)
        countersign(tablet, "Firma del intérprete", INTERPRETER, audit, "es", screenshot)
        assert path_of(tablet) == "/consent/done"

    db = live_server.app.extensions["kiosk_db"]()
    [consent] = db.scalars(select(Consent)).all()
    assert consent.language == "es" and consent.record["interpreter"]["language"] == "rumano"
    db.close()
    audit.assert_clean()


def test_a_minor_the_desk_did_not_know_of_waits_until_the_desk_names_her_guardian(
        live_server: LiveServer, staff: dict[str, str], tablet_context: Callable[..., BrowserContext],
        screenshot: Screenshots) -> None:
    audit = AxeAudit()
    desk_context, desk = signed_in_desk(tablet_context, live_server, staff["frontdesk"])
    code = desk_starts(desk, live_server, born_years_ago(30), audit, "en", screenshot)  # the desk thought: an adult

    tablet_ctx = tablet_context()
    tablet = tablet_ctx.new_page()

    def on_page(page: Page, where: str) -> None:
        if where == "/consent/identity":  # the patient corrects her birth date: she is 15
            fill_birth_date(page, born_years_ago(15))

    walk_wizard(tablet, live_server, code, on_page, errors=False, done="/consent/countersign")
    expect(tablet.get_by_role("heading", level=1)).to_have_text("Please ask the front desk")
    for lang in ("en", "es"):
        set_session(tablet_ctx, live_server, lang=lang)
        tablet.reload()
        audit.check(tablet, f"[{lang}] ask the desk")
        screenshot(tablet, f"people-{lang}-ask-desk")

    desk.goto(live_server.url + "/desk/")
    expect(desk.locator(".needs-people")).to_have_text("Needs a representative: the session does not name one.")
    screenshot(desk, "people-en-desk-needs-representative")
    desk.locator("a[href$='/people']").first.click()
    expect(desk).to_have_url(re.compile(r"/desk/sessions/\d+/people$"))
    for lang in ("es", "en"):
        set_session(desk_context, live_server, lang=lang)
        desk.reload()
        audit.check(desk, f"[{lang}] desk people page")
        screenshot(desk, f"people-{lang}-desk-people-page")
    desk.locator("main form button.primary").click()  # saved without the representative a minor needs
    expect(desk.locator("#representative_name-error")).to_contain_text("This patient is under 18")
    audit.check(desk, "[en] desk people page errors")
    desk.locator("#representative_name").fill(PARENT)
    desk.locator("#representative_relationship").select_option("legal_guardian")
    desk.locator("main form button.primary").click()
    expect(desk).to_have_url(re.compile(r"/desk/$"))

    set_session(tablet_ctx, live_server, lang="en")
    tablet.reload()  # "Check again" on the tablet
    countersign(tablet, "Signature of the representative", PARENT, audit, "en", screenshot)
    assert path_of(tablet) == "/consent/done"
    db = live_server.app.extensions["kiosk_db"]()
    [consent] = db.scalars(select(Consent)).all()
    assert consent.record["representative"]["relationship"] == "legal_guardian"
    assert consent.record["representative"]["reason"] == "minor"
    db.close()
    audit.assert_clean()
