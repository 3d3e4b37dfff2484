"""axe-core in Chromium on every patient page (each step, its error states, the idle dialog, the done page) and
every staff page, in every language that has consent texts. Any violation fails, listed page by page.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask

from kiosk.config import PROJECT_ROOT
from tests.browser.a11y import AxeAudit
from tests.browser.conftest import LiveServer
from tests.browser.test_wizard_browser import issue_code
from tests.browser.walk import DONE, walk_wizard
from tests.conftest import WizardDriver
from tests.helpers import STAFF_PASSWORD, consents

try:
    from playwright.sync_api import BrowserContext, Page, expect
except ImportError:  # the fixtures skip (or fail under CI) with what to install
    pass


def languages() -> list[str]:
    """Every language the clinic has consent texts for: a new folder in consent_texts/ is checked automatically."""
    return sorted(p.name for p in (PROJECT_ROOT / "consent_texts").iterdir() if p.is_dir() and not p.name.startswith("."))


def set_session(context: BrowserContext, server: LiveServer, **values: Any) -> None:
    """Put values into the browser's signed session cookie, as the app itself would (session["lang"])."""
    app = server.app
    serializer = app.session_interface.get_signing_serializer(app)
    name = app.config["SESSION_COOKIE_NAME"]
    current = next((c["value"] for c in context.cookies(server.url) if c["name"] == name), None)
    data = serializer.loads(current) if current else {}
    data.update(values)
    context.add_cookies([{"name": name, "value": serializer.dumps(data), "url": server.url}])


def check_idle_dialog(page: Page, server: LiveServer, audit: AxeAudit, where: str) -> None:
    """Open the idle dialog quickly (a one-second idle time), check it, then answer it."""
    server.app.config["IDLE_SECONDS"] = 1
    try:
        page.reload()
        dialog = page.locator("#idle-dialog")
        expect(dialog).to_be_visible()
        audit.check(page, where)
        page.locator("#idle-continue").click()
        expect(dialog).to_be_hidden()
    finally:
        server.app.config["IDLE_SECONDS"] = 120


@pytest.mark.parametrize("lang", languages())
def test_every_patient_page_and_error_state_has_no_axe_violations(
        lang: str, live_server: LiveServer, tablet_context: Callable[..., BrowserContext]) -> None:
    context = tablet_context()
    set_session(context, live_server, lang=lang)
    page = context.new_page()
    audit = AxeAudit()
    idle_checked: list[str] = []

    def on_page(page: Page, where: str) -> None:
        assert page.locator("html").get_attribute("lang") == lang, where
        if page.locator(".error-summary").count():  # the summary takes the focus, so it is read out first
            assert page.evaluate("() => document.activeElement.classList.contains('error-summary')"), where
        audit.check(page, f"[{lang}] {where}")
        if where == "/consent/identity" and not idle_checked:
            idle_checked.append(where)
            check_idle_dialog(page, live_server, audit, f"[{lang}] idle dialog open on {where}")

    walk_wizard(page, live_server, issue_code(live_server).display, on_page)
    assert idle_checked, "the idle dialog was never checked"
    assert any(where.endswith(DONE) for where in audit.checked)
    assert sum("errors" in where for where in audit.checked) >= 7  # start and every step sent empty
    audit.assert_clean()


@pytest.mark.parametrize("lang", languages())
def test_every_staff_page_and_error_state_has_no_axe_violations(
        lang: str, app: Flask, wizard: WizardDriver, staff: dict[str, str], live_server: LiveServer,
        tablet_context: Callable[..., BrowserContext]) -> None:
    wizard.complete(app, yes={"pregnant": "I might be"}, typed_signature="Zoë Ñúñez")  # a consent with a stop flag
    [consent] = consents(app)
    waiting = issue_code(live_server, name="Waiting Patient")
    context = tablet_context(viewport={"width": 1280, "height": 900}, has_touch=False)
    set_session(context, live_server, lang=lang)
    page = context.new_page()
    audit = AxeAudit()
    url = live_server.url

    def visit(path: str, where: str) -> None:
        page.goto(url + path)
        audit.check(page, f"[{lang}] {where}")

    visit("/login", "sign-in")
    page.locator("#email").fill(staff["admin"])
    page.locator("#password").fill("not the password at all")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("main .error").first).to_be_visible()
    audit.check(page, f"[{lang}] sign-in, wrong password")
    page.locator("#password").fill(STAFF_PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).not_to_have_url(url + "/login")
    set_session(context, live_server, lang=lang)  # keep the language across the sign-in

    visit("/desk/", "front desk")
    page.locator("main form[action$='/desk/'] button.primary").click()
    expect(page.locator(".error-summary")).to_be_visible()
    audit.check(page, f"[{lang}] front desk, empty form")
    visit(f"/desk/sessions/{waiting.draft.id}/code", "front desk, tablet code")
    visit("/doctor/queue", "doctor queue")
    visit("/doctor/queue?date_from=yesterday&page=999", "doctor queue, unusable filters")
    visit(f"/doctor/consents/{consent.document_id}", "doctor, consent page")
    page.locator("form.decision button[type=submit], main form[method=post] button.primary").last.click()
    expect(page.locator(".error-summary, main .error").first).to_be_visible()
    audit.check(page, f"[{lang}] doctor, decision without password")
    visit("/staff", "all consents")
    visit("/admin/audit", "admin audit log")
    audit.assert_clean()
