"""The tablet in Chromium: layout and touch targets at three screen sizes (with screenshots), the keyboard alone,
the text size, and the idle reset that leaves nothing of the patient on the screen or behind the Back button.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from kiosk.core.models import Draft
from tests.browser.a11y import horizontal_overflow, small_targets
from tests.browser.conftest import LiveServer, Screenshots, watch_problems
from tests.browser.test_wizard_browser import DESK_NAME, Patient, issue_code, stored_consents
from tests.browser.walk import DONE, NAME, SUBMIT, path_of, text_for, walk_wizard

try:
    from playwright.sync_api import BrowserContext, Page, expect
except ImportError:  # the fixtures skip (or fail under CI) with what to install
    pass

SCREENS: dict[str, dict[str, Any]] = {
    "tablet-portrait": {"viewport": {"width": 800, "height": 1280}, "screen": {"width": 800, "height": 1280}},
    "tablet-landscape": {"viewport": {"width": 1280, "height": 800}, "screen": {"width": 1280, "height": 800}},
    "phone": {"viewport": {"width": 390, "height": 844}, "screen": {"width": 390, "height": 844}, "is_mobile": True},
}
RESET_NOTICE = "For your privacy, the screen went back to the start."


def stored_draft(server: LiveServer, draft_id: int) -> Draft:
    session = server.app.extensions["kiosk_db"]()
    try:
        return session.scalar(select(Draft).where(Draft.id == draft_id))
    finally:
        session.close()


def shows_nothing_of(page: Page, *names: str) -> None:
    """Neither the page's text nor any field's value holds the patient's name."""
    html = page.content()
    values = page.evaluate("() => [...document.querySelectorAll('input, textarea')].map(el => el.value).join(' ')")
    for name in names:
        assert name not in html and name not in values, f"{name!r} is still on {page.url}"


# --- layout, touch targets, screenshots -------------------------------------------------------------------------

@pytest.mark.parametrize(("screen", "text_size"), [("tablet-portrait", "normal"), ("tablet-landscape", "normal"),
                                                  ("phone", "normal"), ("phone", "xlarge")])
def test_every_step_fits_the_screen_with_touch_targets_of_44_pixels(
        screen: str, text_size: str, live_server: LiveServer, tablet_context: Callable[..., BrowserContext],
        screenshot: Screenshots) -> None:
    page = tablet_context(**SCREENS[screen]).new_page()
    watch_problems(page)
    problems: list[str] = []
    label = screen if text_size == "normal" else f"{screen}-{text_size}"

    def on_page(page: Page, where: str) -> None:
        if where == "/" and text_size != "normal":
            with page.expect_navigation():
                page.locator(f'.text-size button[value="{text_size}"]').click()
        screenshot(page, f"{label} {'start' + where[1:] if where == '/' or where.startswith('/ ') else where}")
        problems.extend(f"{where}: {target}" for target in small_targets(page))
        wider = horizontal_overflow(page)
        if wider:
            problems.append(f"{where}: the page is {wider}px wider than the screen")
        if where.startswith("/consent/") and where.split()[0] not in (DONE, "/consent/start"):
            progress = page.locator("#progress")
            expect(progress).to_be_visible()
            expect(progress).to_have_text(re.compile(r"^Step \d+ of \d+$"))

    walk_wizard(page, live_server, issue_code(live_server).display, on_page,
                errors=screen != "tablet-landscape")
    assert problems == [], "\n".join(problems)
    assert page.problems == []  # type: ignore[attr-defined]


# --- the keyboard alone -----------------------------------------------------------------------------------------

_NEXT_NEED = """() => {
  const controls = [...document.querySelectorAll("main form[method=post] input, main form[method=post] textarea")]
    .filter(el => el.type !== "hidden" && el.getClientRects().length > 0);
  const seen = new Set();
  for (const el of controls) {
    if (el.type === "radio" || el.type === "checkbox") {
      if (seen.has(el.name)) { continue; }
      seen.add(el.name);
      const group = controls.filter(other => other.name === el.name);
      if (group.some(other => other.checked)) { continue; }
      const values = group.map(other => other.value);
      const radios = [...seen].filter(name => controls.some(c => c.name === name && c.type === "radio"));
      const want = values.includes("yes") && values.includes("no") ? (radios.length === 1 ? "yes" : "no") : values[0];
      return {kind: el.type, name: el.name, want: want};
    }
    if (!el.value && (el.required || el.tagName === "TEXTAREA")) {
      return {kind: "text", id: el.id, name: el.name, type: el.type};
    }
  }
  return null;
}"""

_FOCUS = """(selector) => {
  const el = document.activeElement;
  if (!el || !el.matches(selector)) { return null; }
  const style = getComputedStyle(el);
  return {value: el.value, checked: el.checked, outline: style.outlineStyle, width: parseFloat(style.outlineWidth)};
}"""


def tab_to(page: Page, selector: str, limit: int = 150) -> dict[str, Any]:
    """Press Tab until the focus is on `selector`; the focus must be visibly outlined there."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        focus = page.evaluate(_FOCUS, selector)
        if focus:
            assert focus["outline"] != "none" and focus["width"] >= 2, f"no visible focus on {selector}: {focus}"
            return focus
    raise AssertionError(f"Tab never reached {selector} on {page.url}")


def answer_by_keyboard(page: Page, code: str) -> None:
    """Answer the current step with Tab, Space, the arrow keys and typing, then press Enter on the primary button."""
    for _ in range(60):
        need = page.evaluate(_NEXT_NEED)
        if need is None:
            break
        if need["kind"] == "text":
            tab_to(page, f'#{need["id"]}')
            page.keyboard.type(text_for(need["name"], need["type"], code))
        elif need["kind"] == "checkbox":
            tab_to(page, f'input[type=checkbox][name="{need["name"]}"]')
            page.keyboard.press("Space")
        else:  # a radio group is one Tab stop; the arrow keys move the choice
            focus = tab_to(page, f'input[type=radio][name="{need["name"]}"]')
            if focus["value"] == need["want"]:
                page.keyboard.press("Space")
            for _ in range(12):
                if page.evaluate("(want) => document.activeElement.value === want && document.activeElement.checked",
                                 need["want"]):
                    break
                page.keyboard.press("ArrowDown")
            else:
                raise AssertionError(f"the arrow keys never chose {need['want']} for {need['name']}")
    else:
        raise AssertionError(f"could not answer {page.url} by keyboard")
    tab_to(page, SUBMIT)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_the_whole_wizard_works_with_the_keyboard_alone(live_server: LiveServer, browser_page: Page,
                                                        screenshot: Screenshots) -> None:
    page = browser_page
    issued = issue_code(live_server)
    page.goto(live_server.url + "/")
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.activeElement.className") == "skip-link"
    page.keyboard.press("Enter")  # the skip link jumps past the header to the page's content
    assert page.evaluate("() => document.activeElement.id") == "main"
    visited = []
    for _ in range(40):
        path = path_of(page)
        visited.append(path)
        if path == DONE:
            break
        answer_by_keyboard(page, issued.display)
        error = page.locator(".error-summary")
        assert not error.count(), f"{path}: {error.first.inner_text()}"
    screenshot(page, "keyboard-only-done")
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you")
    assert {"/consent/identity", "/consent/screening", "/consent/sign"} <= set(visited)
    [consent] = stored_consents(live_server)
    assert consent.record["signature"]["method"] == "typed"
    # the typed signature is the printed name, proposed from "About you" (the desk's entry, confirmed as it was)
    assert consent.record["signature"]["typed_name"] == consent.patient_name == consent.record["signature"]["printed_name"]
    assert page.problems == []  # type: ignore[attr-defined]


# --- text size ----------------------------------------------------------------------------------------------------

def test_the_text_size_works_without_javascript_and_stays_through_the_steps(
        live_server: LiveServer, tablet_context: Callable[..., BrowserContext], screenshot: Screenshots) -> None:
    page = tablet_context(java_script_enabled=False).new_page()
    watch_problems(page)
    patient = Patient(page, live_server)
    patient.start()
    root = page.locator("html")  # its computed font size, retried until the page's stylesheet has applied
    expect(root).to_have_css("font-size", "20px")
    with page.expect_navigation():
        page.get_by_role("button", name="Extra large text", exact=True).tap()
    patient.at("/consent/identity")  # the same page again, bigger
    expect(page.locator("html")).to_have_class("text-xlarge")
    expect(page.get_by_role("button", name="Extra large text", exact=True)).to_have_attribute("aria-pressed", "true")
    expect(root).to_have_css("font-size", "28.8px")
    expect(page.locator("#full_name")).to_have_value(DESK_NAME)
    screenshot(page, "text-size-xlarge-identity")
    patient.identity()
    patient.treatment()
    expect(page.locator("html")).to_have_class("text-xlarge")
    with page.expect_navigation():
        page.get_by_role("button", name="Large text", exact=True).tap()
    patient.at("/consent/explanation")
    expect(root).to_have_css("font-size", "24px")
    assert page.problems == []  # type: ignore[attr-defined]


# --- idle reset ---------------------------------------------------------------------------------------------------

def idle_soon(page: Page, server: LiveServer, countdown: int) -> None:
    """Shorten the idle time to one second and reload, so the dialog opens at once."""
    server.app.config.update(IDLE_SECONDS=1, IDLE_COUNTDOWN_SECONDS=countdown)
    page.reload()


def test_the_idle_dialog_counts_down_and_continue_keeps_the_page(
        live_server: LiveServer, browser_page: Page, screenshot: Screenshots) -> None:
    page = browser_page
    patient = Patient(page, live_server)
    patient.start()
    idle_soon(page, live_server, countdown=20)
    page.locator("#phone").fill("600 123 456")  # typed, not yet saved
    dialog = page.get_by_role("dialog", name="Are you still there?")
    expect(dialog).to_be_visible(timeout=5_000)
    count = page.locator(".idle-count")
    expect(count).to_have_text(re.compile(r"^0:(20|19|18)$"))
    assert page.evaluate("() => document.activeElement.id") == "idle-continue"  # focus moved into the dialog
    assert page.evaluate("() => document.getElementById('idle-dialog').getAttribute('aria-describedby')")
    expect(count).to_have_text(re.compile(r"^0:1[0-7]$"), timeout=5_000)  # it counts down, visibly
    screenshot(page, "idle-dialog")
    page.get_by_role("button", name="Yes, I am still here").tap()
    expect(dialog).to_be_hidden()
    patient.at("/consent/identity")
    expect(page.locator("#phone")).to_have_value("600 123 456")
    expect(page.locator("#full_name")).to_have_value(DESK_NAME)
    expect(dialog).to_be_visible(timeout=5_000)  # this page still asks after 1 s: the countdown starts afresh
    expect(count).to_have_text(re.compile(r"^0:(20|19)$"))
    assert page.problems == []  # type: ignore[attr-defined]


def test_nobody_answering_the_idle_dialog_goes_back_to_the_start_and_keeps_the_draft(
        live_server: LiveServer, browser_page: Page, screenshot: Screenshots) -> None:
    page = browser_page
    patient = Patient(page, live_server)
    patient.start()
    patient.identity()  # the patient's own spelling is saved
    draft_id = stored_draft_id(live_server)
    idle_soon(page, live_server, countdown=2)
    expect(page.get_by_role("dialog", name="Are you still there?")).to_be_visible(timeout=5_000)
    expect(page).to_have_url(live_server.url + "/", timeout=10_000)
    expect(page.get_by_role("status").filter(has_text=RESET_NOTICE)).to_be_visible()
    screenshot(page, "idle-reset-start")
    shows_nothing_of(page, NAME, DESK_NAME)
    expect(page.get_by_text("Continue where you left off")).to_have_count(0)
    page.go_back()
    page.wait_for_load_state()
    shows_nothing_of(page, NAME, DESK_NAME)
    expect(page).to_have_url(live_server.url + "/")
    draft = stored_draft(live_server, draft_id)
    assert draft.status == "open" and draft.data["identity"]["full_name"] == NAME
    assert page.problems == []  # type: ignore[attr-defined]


def stored_draft_id(server: LiveServer) -> int:
    session = server.app.extensions["kiosk_db"]()
    try:
        return session.scalar(select(Draft.id).order_by(Draft.id.desc()).limit(1))
    finally:
        session.close()


def test_after_signing_the_back_button_shows_nothing_of_the_patient(
        live_server: LiveServer, browser_page: Page) -> None:
    page = browser_page
    patient = Patient(page, live_server)
    patient.walk_to_sign()
    expect(page.locator("#printed_name")).to_have_value(NAME)  # proposed from "About you"
    patient.tap_check("#typed_signature")
    patient.tap_button("I agree to this statement and sign")
    patient.at(DONE)
    shows_nothing_of(page, NAME, DESK_NAME)
    for _ in range(3):  # back through the sign, review and screening pages
        page.go_back()
        page.wait_for_load_state()
        shows_nothing_of(page, NAME, DESK_NAME)
        assert path_of(page) in ("/", DONE), page.url
