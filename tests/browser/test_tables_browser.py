"""Staff tables read well at a desk screen (1366 px), a small laptop (1024) and a tablet (800): no word broken
inside ("Revi ew", "Papadopou lou"), ids and dates whole; below 900 px each row is a card whose cells name their
column, so no table is wider than its box and no page scrolls sideways, while screen readers still hear a table."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from kiosk import demo
from kiosk.consent import drafts
from kiosk.core.audit import Who
from kiosk.core.models import Consent, User
from kiosk.documents.record import Clinic
from kiosk.desk import sessions as desk
from kiosk.review import decisions
from tests.browser.a11y import axe_violations
from tests.browser.conftest import TIMEOUT_MS, LiveServer
from tests.browser.conftest import Screenshots
from tests.helpers import STAFF_PASSWORD, seal_key_of, signed_checkin

try:
    from playwright.sync_api import Browser, Page
except ImportError:  # the fixtures skip (or fail under CI) with what to install
    pass

WIDTHS = (1366, 1024, 800)

# Words (split at spaces and hyphens) whose letters the browser laid out on more than one line.
BROKEN_WORDS = """() => {
  const broken = [];
  for (const cell of document.querySelectorAll("table.consents th, table.consents td")) {
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    let node;
    while ((node = walker.nextNode())) {
      if (node.parentElement.closest(".hash, .visually-hidden")) continue;  // fingerprints may break anywhere
      const words = /[^\\s\\-]+/g;
      let match;
      while ((match = words.exec(node.textContent))) {
        const range = document.createRange();
        range.setStart(node, match.index);
        range.setEnd(node, match.index + match[0].length);
        const lines = new Set([...range.getClientRects()].filter(r => r.width > 0).map(r => Math.round(r.top)));
        if (lines.size > 1) broken.push(match[0]);
      }
    }
  }
  return broken;
}"""
# Tables wider than the box they sit in (which would scroll sideways), by the caption or the section heading.
WIDER_THAN_BOX = """() => [...document.querySelectorAll("table.consents")]
  .filter(table => table.getBoundingClientRect().width > table.parentElement.clientWidth + 1
                   || table.parentElement.scrollWidth > table.parentElement.clientWidth + 1)
  .map(table => (table.closest("section")?.querySelector("h2")?.textContent || table.className).trim())"""
# Each card's labels: a cell that names no column, or another one than its header says.
CARD_LABELS = """() => {
  const wrong = [];
  for (const table of document.querySelectorAll("table.consents")) {
    const heads = [...table.querySelectorAll("thead th")].map(th => th.textContent.trim());
    for (const row of table.querySelectorAll("tbody tr")) {
      const cells = [...row.children];
      if (cells.length !== heads.length) continue;  // a "nothing yet" row spans the table
      cells.forEach((cell, i) => {
        const label = getComputedStyle(cell, "::before");
        if (cell.dataset.label !== heads[i]) wrong.push(`${heads[i]}: ${cell.dataset.label}`);
        else if (label.content.indexOf(heads[i]) < 0) wrong.push(`${heads[i]}: not shown`);
        else {  // laid out as the label is, does it stay within its own column?
          const probe = document.createElement("span");
          probe.textContent = heads[i];
          Object.assign(probe.style, {display: "block", position: "absolute", visibility: "hidden", width: label.width,
                                      whiteSpace: label.whiteSpace, font: label.font, letterSpacing: label.letterSpacing});
          cell.appendChild(probe);
          if (probe.scrollWidth > probe.clientWidth + 1) wrong.push(`${heads[i]}: wider than its column`);
          probe.remove();
        }
      });
    }
  }
  return wrong;
}"""
# Ids and dates that wrapped at their hyphens.
SPLIT_WHOLES = """() => [...document.querySelectorAll("table.consents .nowrap, table.consents td.nowrap")]
  .filter(el => new Set([...el.getClientRects()].map(r => Math.round(r.top))).size > 1 || el.getClientRects().length > 1)
  .map(el => el.textContent.trim())"""


@dataclass(frozen=True)
class ClinicDay:
    consent: str  # a consent with a consultation asked
    checkin: str  # a flagged check-in waiting for a doctor


@pytest.fixture
def clinic_day(live_server: LiveServer, staff: dict[str, str]) -> Iterator[ClinicDay]:
    """The demo clinic's five consents (long and accented names), a consultation on one of them, sessions at the
    desk (one on a tablet with a changed treatment) and a flagged check-in."""
    app = live_server.app
    now = datetime.now(ZoneInfo(app.config["CLINIC_TIMEZONE"]))
    session = app.extensions["kiosk_db"]()
    demo.seed_demo(session, texts=app.extensions["kiosk_texts"], clinic=Clinic(name="Test Clinic",
                   timezone=app.config["CLINIC_TIMEZONE"]), seal_key=seal_key_of(app), now=now)
    doctor = session.scalar(select(User).where(User.email == staff["doctor"]))
    flagged = session.scalar(select(Consent).where(Consent.severity_rank == 0))
    decisions.decide(session, Who(actor=doctor.email, actor_id=doctor.id), doctor, flagged.document_id,
                     decision="consultation", note="Come in first: we need to talk about the pregnancy test.",
                     password=STAFF_PASSWORD, meaning="I reviewed the answers.", now=now,
                     timezone_name=app.config["CLINIC_TIMEZONE"], seal_key=seal_key_of(app), clinic_name="Test Clinic")
    document_id = flagged.document_id
    reviewed = session.scalar(select(Consent).where(Consent.severity_rank == 1))
    decisions.decide(session, Who(actor=doctor.email, actor_id=doctor.id), doctor, reviewed.document_id,
                     decision="cleared", note=None, password=STAFF_PASSWORD, meaning="I reviewed the answers.",
                     now=now, timezone_name=app.config["CLINIC_TIMEZONE"], seal_key=seal_key_of(app),
                     clinic_name="Test Clinic")
    desk_user = session.scalar(select(User).where(User.email == staff["frontdesk"]))
    for name in ("María José Fernández-Villalobos de la Concepción", "Aleksandra Wiśniewska-Brzęczyszczykiewicz"):
        desk.issue_session(session, desk.NewPatient(full_name=name, date_of_birth=date(1984, 11, 2),
                                                    modality="fractional_laser"),
                           issued_by=desk_user, who=Who(actor=desk_user.email), language="en", now=now)
    # on a tablet, past the treatment page, having chosen another treatment than the one planned
    issued = desk.issue_session(session, desk.NewPatient(full_name="Begoña Núñez Ruiz", date_of_birth=date(1979, 5, 1),
                                                         modality="microdermabrasion"),
                                issued_by=desk_user, who=Who(actor=desk_user.email), language="es", now=now)
    draft = desk.redeem_code(session, issued.code, who=Who(actor="tablet"), device_label=None, language="es", now=now)
    drafts.save_step(session, draft, "identity", {"full_name": "Begoña Núñez Ruiz", "date_of_birth": "1979-05-01"},
                     now)
    drafts.save_step(session, draft, "treatment", {"modality": "co2_laser", "areas": ["abdomen"], "area_other": ""},
                     now)
    session.close()
    signed_checkin(app, name="Siobhán O'Connor-Papadopoulou")  # a check-in, signed at the desk's tablet today
    # and one whose yes waits for a doctor
    first = app.extensions["kiosk_texts"].rules.checkin_for("microdermabrasion")[0].id
    checkin = signed_checkin(app, (first,), name="Παρασκευή Χατζηγεωργίου-Κωνσταντινίδου")
    yield ClinicDay(consent=document_id, checkin=checkin.document_id)


def _signed_in(browser: Browser, server: LiveServer, email: str, width: int) -> Page:
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="en-GB")
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.goto(server.url + "/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_load_state()
    return page


def _staff_pages(day: ClinicDay) -> dict[str, list[str]]:
    """Every staff page with a table, by the role that opens it."""
    return {"frontdesk": ["/desk/", f"/course/{day.consent}", "/course/find?q=fernandez"],
            "doctor": ["/doctor/queue", "/doctor/queue?status=reviewed", "/staff", f"/doctor/consents/{day.consent}",
                       f"/course/checkins/{day.checkin}"],
            "admin": ["/admin/audit"]}


@pytest.mark.parametrize("width", WIDTHS)
def test_no_staff_table_breaks_a_word_or_an_id(browser: Browser, live_server: LiveServer, staff: dict[str, str],
                                               clinic_day: ClinicDay, width: int, screenshot: Screenshots) -> None:
    problems: list[str] = []
    for role, paths in _staff_pages(clinic_day).items():
        page = _signed_in(browser, live_server, staff[role], width)
        for path in paths:
            page.goto(live_server.url + path)
            assert page.locator("table.consents").count(), f"{path}: no table to measure"
            problems += _measured(page, f"en {role} {path}", width, screenshot)
            problems += [f"{width}px {path}: split: {text!r}" for text in page.evaluate(SPLIT_WHOLES)]
        page.context.close()
    assert not problems, "\n".join(problems)


def test_the_queue_names_treatments_and_readiness_in_words(browser: Browser, live_server: LiveServer,
                                                           staff: dict[str, str], clinic_day: ClinicDay) -> None:
    page = _signed_in(browser, live_server, staff["doctor"], 1366)
    page.goto(live_server.url + "/staff")
    text: Any = page.locator("table.consents").inner_text()
    for raw in ("co2_laser", "\tmicrodermabrasion\t", "fractional_laser", "chemical_peel", "vitamin_c"):
        assert raw not in text, raw
    page.context.close()


def _measured(page: Page, what: str, width: int, screenshot: Screenshots) -> list[str]:
    """Save the page for a person to look at; words broken inside, axe findings, and a page wider than the screen."""
    screenshot(page, f"{what} {width}px")
    problems = [f"{width}px {what}: word broken inside: {word!r}" for word in page.evaluate(BROKEN_WORDS)]
    problems += [f"{width}px {what}: axe {v['id']}: {v['nodes'][0]['target']}" for v in axe_violations(page)]
    wider = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    if wider > 0:
        problems.append(f"{width}px {what}: the page is {wider}px wider than the screen")
    if width < 900:
        problems += [f"{width}px {what}: a table wider than its box: {name!r}" for name in page.evaluate(WIDER_THAN_BOX)]
        problems += [f"{width}px {what}: card label {label}" for label in page.evaluate(CARD_LABELS)]
    return problems


@pytest.mark.parametrize("width", WIDTHS)
def test_the_desk_day_and_its_confirmations_read_whole_at_every_width(
        browser: Browser, live_server: LiveServer, staff: dict[str, str], clinic_day: ClinicDay, width: int,
        screenshot: Screenshots) -> None:
    """The desk's list (readiness, step, a changed treatment, a check-in) and the two questions asked before
    an action that cannot be undone, each measured, checked with axe and saved for a person to look at."""
    page = _signed_in(browser, live_server, staff["frontdesk"], width)
    page.goto(live_server.url + "/desk/")
    table: Any = page.locator("table.desk-sessions").inner_text()
    assert "Not the planned treatment (Mechanical microdermabrasion)" in table
    assert "step 3 of 8: reading about the treatment" in table
    assert "Check-in before a session" in table and "Ready (no doctor review needed)" in table
    problems = _measured(page, "desk day", width, screenshot)
    with page.expect_navigation():
        page.get_by_role("link", name="Cancel the session for Begoña Núñez Ruiz").click()
    problems += _measured(page, "desk cancel asks first", width, screenshot)
    page.goto(f"{live_server.url}/course/{clinic_day.consent}")
    page.locator("input[name=how]").first.check()
    with page.expect_navigation():
        page.get_by_role("button", name="Record the withdrawal").click()
    assert page.get_by_role("button", name="Yes, record the withdrawal").is_visible()
    problems += _measured(page, "withdrawal asks first", width, screenshot)
    page.context.close()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("width", WIDTHS)
def test_staff_pages_in_spanish_read_whole_at_every_width(browser: Browser, live_server: LiveServer,
                                                          staff: dict[str, str], clinic_day: ClinicDay, width: int,
                                                          screenshot: Screenshots) -> None:
    """Each role switches the staff pages to Spanish with the staff bar's button; every page with a table is
    measured (no word broken inside, axe clean, no page wider than the screen) and saved to be looked at."""
    problems: list[str] = []
    for role, paths in _staff_pages(clinic_day).items():
        page = _signed_in(browser, live_server, staff[role], width)
        with page.expect_navigation():
            page.locator(".staff-bar").get_by_role("button", name="Español").click()
        assert page.locator("html").get_attribute("lang") == "es"
        for path in paths:
            page.goto(live_server.url + path)
            assert page.locator("html").get_attribute("lang") == "es", path
            problems += _measured(page, f"es {role} {path}", width, screenshot)
        page.context.close()
    assert not problems, "\n".join(problems)


def test_at_800px_a_row_reads_as_a_card_and_screen_readers_still_hear_a_table(
        browser: Browser, live_server: LiveServer, staff: dict[str, str], clinic_day: ClinicDay) -> None:
    """On a portrait tablet the header row is out of sight but Chromium's accessibility tree keeps the table: its
    column headers, and cells read by their own words only (each card's drawn label is not read twice)."""
    page = _signed_in(browser, live_server, staff["doctor"], 800)
    page.goto(live_server.url + "/doctor/queue")
    header = page.locator("table.queue:not(.course-table) thead")
    assert header.evaluate("el => el.getBoundingClientRect().height") <= 1  # out of sight
    cdp = page.context.new_cdp_session(page)
    nodes = [n for n in cdp.send("Accessibility.getFullAXTree")["nodes"] if not n.get("ignored")]
    roles = {n["role"]["value"] for n in nodes}
    assert {"table", "row", "columnheader", "cell"} <= roles, roles
    headers = [n.get("name", {}).get("value") for n in nodes if n["role"]["value"] == "columnheader"]
    assert "Readiness" in headers and "Document" in headers, headers
    names = [n.get("name", {}).get("value") or "" for n in nodes if n["role"]["value"] == "cell"]
    assert not [name for name in names if name.startswith(("Readiness", "Document", "Born"))], names
    first_card = page.locator("table.queue:not(.course-table) tbody tr").first
    assert "Born" in first_card.evaluate("tr => getComputedStyle(tr.children[3], '::before').content")
    page.context.close()
