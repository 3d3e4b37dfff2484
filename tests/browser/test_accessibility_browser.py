"""axe-core in Chromium on every patient page (each step, its error states, the idle dialog, the done page), the
tablet check-in, every staff page (the course pages too) and the public /verify page, in every language that has
consent texts. Any violation fails, listed page by page. The pages added with courses are also saved as portrait
tablet screenshots (test-artifacts/screenshots/NNN-a11y-LANG-*.png).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import yaml
from flask import Flask

from kiosk.consent import queries as consent_records
from kiosk.core.config import PROJECT_ROOT
from tests.browser.a11y import AxeAudit, horizontal_overflow, small_targets
from tests.browser.conftest import LiveServer, Screenshots
from tests.browser.test_staff_flow_browser import sign_in
from tests.browser.test_wizard_browser import issue_code
from tests import hostile
from tests.browser.walk import DONE, path_of, submit, walk_wizard
from tests.support import WizardDriver
from tests.helpers import STAFF_PASSWORD, consents, english_interface_strings
from tests.test_course import make_consent
from tests.test_seal import TAMPERED

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


_WRONG_CHOICES = """(right) => {
  const groups = {};
  for (const el of document.querySelectorAll("main form[method=post] input[type=radio]")) {
    (groups[el.name] = groups[el.name] || []).push(el);
  }
  for (const [name, options] of Object.entries(groups)) {
    const wrong = options.find(el => !(right[name] || []).includes(el.value)) || options[options.length - 1];
    wrong.checked = true;
  }
}"""


def right_answers(server: LiveServer) -> dict[str, list[str]]:
    """Each comprehension radio group's right option ids, over every treatment (options are shown shuffled)."""
    texts = server.app.extensions["kiosk_texts"]
    right: dict[str, list[str]] = {}
    for modality in texts.rules.modalities:
        for check in texts.modality("en", modality).comprehension:
            right.setdefault(f"c_{check.id}", []).append(check.answer)
    return right


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
        lang: str, live_server: LiveServer, tablet_context: Callable[..., BrowserContext],
        screenshot: Screenshots) -> None:
    context = tablet_context()
    set_session(context, live_server, lang=lang)
    page = context.new_page()
    audit = AxeAudit()
    idle_checked: list[str] = []

    def on_page(page: Page, where: str) -> None:
        assert page.locator("html").get_attribute("lang") == lang, where
        if page.locator(".error-summary").count():  # the summary takes the focus, so it is read out first
            assert page.evaluate("() => document.activeElement.classList.contains('error-summary')"), where
        if page.locator(".check-result").count():  # the comprehension step's results share its address
            where = f"{where} results"
        audit.check(page, f"[{lang}] {where}")
        if "comprehension" in where:  # the other steps are saved by the tablet layout test
            screenshot(page, f"a11y-{lang}-{where}")
        if where == "/consent/comprehension errors":  # pick a wrong option in every group (the options are
            page.evaluate(_WRONG_CHOICES, right_answers(live_server))  # shuffled), so the results page is shown
        if where == "/consent/identity" and not idle_checked:
            idle_checked.append(where)
            check_idle_dialog(page, live_server, audit, f"[{lang}] idle dialog open on {where}")

    walk_wizard(page, live_server, issue_code(live_server).display, on_page)
    assert idle_checked, "the idle dialog was never checked"
    assert any(where.endswith(DONE) for where in audit.checked)
    # start and every step sent empty, but for the explanation and review: their main button is the agreement
    assert sum("errors" in where for where in audit.checked) >= 5
    comprehension = {f"[{lang}] /consent/comprehension{state}" for state in ("", " errors", " results")}
    assert comprehension <= set(audit.checked), audit.checked
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


# --- pages added with treatment courses: the tablet check-in, the staff course pages, the public /verify page ----

CHECKIN_DONE = "/checkin/done"
PATIENT = "Lucía Fernández"

# What a reader (or a screen reader) gets from the page: its words, hidden ones too, and the words in attributes.
_WORDS = """() => [document.title, document.body.textContent,
  ...[...document.querySelectorAll("[aria-label], [title], [placeholder], [alt]")]
    .flatMap(el => ["aria-label", "title", "placeholder", "alt"].map(name => el.getAttribute(name) || ""))].join("\\n")"""


def _leaves(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _leaves(item)
    elif isinstance(value, list):
        for item in value:
            yield from _leaves(item)
    elif isinstance(value, str):
        yield from (line.strip() for line in value.splitlines())


@cache
def english_for(lang: str) -> tuple[str, ...]:
    """English a check-in page in `lang` must not show: interface strings and the English check-in texts and titles."""
    def words(folder: str) -> set[str]:
        root = PROJECT_ROOT / "consent_texts" / folder
        found = set(_leaves(yaml.safe_load((root / "checkin.yaml").read_text(encoding="utf-8"))))
        for modality in (root / "modalities").glob("*.yaml"):
            found.add(yaml.safe_load(modality.read_text(encoding="utf-8"))["title"])
        return {text for text in found if len(text) >= 8}

    return tuple(sorted(set(english_interface_strings(lang)) | (words("en") - words(lang))))


class PageCheck:
    """axe on each page and state, a portrait tablet screenshot of it, and (for patients) touch targets and language."""

    def __init__(self, lang: str, screenshot: Screenshots) -> None:
        self.lang = lang
        self.audit = AxeAudit()
        self.screenshot = screenshot
        self.problems: list[str] = []

    def __call__(self, page: Page, where: str, *, patient: bool = False) -> None:
        label = f"[{self.lang}] {where}"
        assert page.locator("html").get_attribute("lang") == self.lang, label
        if page.locator(".error-summary").count():  # the summary takes the focus, so it is read out first
            assert page.evaluate("() => document.activeElement.classList.contains('error-summary')"), label
        self.audit.check(page, label)
        self.screenshot(page, f"a11y-{self.lang}-{where}")
        wider = horizontal_overflow(page)
        if wider:
            self.problems.append(f"{label}: the page is {wider}px wider than the tablet")
        if patient:
            self.problems.extend(f"{label}: {target}" for target in small_targets(page))
            if self.lang != "en":
                shown = page.evaluate(_WORDS)
                # whole words only: "Document" is English, "Documento" is not
                self.problems.extend(f"{label}: English left: {text!r}" for text in english_for(self.lang)
                                     if re.search(rf"(?<!\w){re.escape(text)}(?!\w)", shown))

    def assert_clean(self) -> None:
        self.audit.assert_clean()
        assert not self.problems, "\n".join(self.problems)


def stored_pdfs(server: LiveServer, document_id: str) -> tuple[str, list[bytes]]:
    """The consent's printed verification code and every sealed revision of its PDF, oldest first."""
    session = server.app.extensions["kiosk_db"]()
    try:
        consent = consent_records.get_consent(session, document_id)
        return consent.verification_code, [d.pdf for d in sorted(consent.documents, key=lambda d: d.revision)]
    finally:
        session.close()


def press(page: Page, action: str, method: str = "post") -> None:
    """Press the submit button of the form whose action ends with `action`, and wait for the answer."""
    with page.expect_navigation():
        page.locator(f"main form[method={method}][action$='{action}'] button[type=submit]").click()


def fill(page: Page, **values: str) -> None:
    """Type into the fields with these ids."""
    for field_id, value in values.items():
        page.locator(f"#{field_id}").fill(value)


def check_in_on_the_tablet(page: Page, server: LiveServer, code: str, check: PageCheck) -> None:
    """The patient types the desk's code; then every check-in page and its error states, up to the done page."""
    page.goto(server.url + "/")
    page.locator("#code").fill(code)
    submit(page)
    assert path_of(page) == "/checkin", page.url
    seen: list[str] = []

    def on_page(page: Page, where: str) -> None:
        seen.append(where)
        check(page, f"check-in {where}", patient=True)

    walk_wizard(page, server, code, on_page, start=None, done=CHECKIN_DONE)
    assert {"/checkin", "/checkin errors", "/checkin/sign", "/checkin/sign errors", CHECKIN_DONE} <= set(seen), seen


def check_course_pages(page: Page, server: LiveServer, document_id: str, expired_id: str, check: PageCheck) -> str:
    """Find a patient, the course page and the errors of its two forms; ends by starting a check-in (its code)."""
    url = server.url
    for query, where in (("", "find a patient"), ("?q=", "find a patient, nothing typed"),
                         ("?q=Fern", "find a patient, found"), ("?q=Nobody", "find a patient, none found")):
        page.goto(f"{url}/course/find{query}")
        check(page, f"course {where}")
    page.goto(f"{url}/course/{document_id}")
    check(page, "course page")
    press(page, "/withdraw")
    expect(page.locator("#how-error")).to_be_visible()
    check(page, "course withdrawal without how")
    page.locator("#session_date").fill("")
    press(page, "/sessions")
    expect(page.locator("#session_date-error")).to_be_visible()
    check(page, "course session record, empty")
    fill(page, session_date=(datetime.now() + timedelta(days=3)).date().isoformat(), area="Abdomen",
         settings="Medium", anaesthetic_minutes="30")
    press(page, "/sessions")
    expect(page.locator("#anaesthetic_minutes-error")).to_be_visible()
    check(page, "course session record, future date and cream without who")
    page.goto(f"{url}/course/{expired_id}")
    expect(page.locator("#validity")).to_have_attribute("data-reason", "expired")
    check(page, "course page, consent expired")
    page.goto(f"{url}/course/{document_id}")
    press(page, "/checkin")
    return page.locator("#tablet-code").inner_text().strip()


def check_after_the_check_in(page: Page, server: LiveServer, document_id: str, check: PageCheck) -> None:
    """The doctor's queue and decision on the flagged check-in, a recorded session, then a withdrawal."""
    url = server.url
    page.goto(f"{url}/doctor/queue")
    expect(page.locator("#checkin-queue")).to_contain_text(PATIENT)
    check(page, "doctor queue with a check-in")
    page.goto(f"{url}/course/{document_id}")
    page.locator("#course-checkins a").first.click()
    expect(page).to_have_url(re.compile(r"/course/checkins/[^/]+$"))
    check(page, "course check-in decision")
    press(page, page.url[len(url):])
    expect(page.locator(".error-summary")).to_be_visible()
    check(page, "course check-in decision without password")
    page.locator("input[name=decision][value=cleared]").check()
    page.locator("#meaning").check()
    fill(page, note="Negative pregnancy test in clinic today.", password=STAFF_PASSWORD)  # a stop flag needs a note
    press(page, page.url[len(url):])
    expect(page.locator(".error-summary")).to_have_count(0)
    check(page, "course check-in decided")
    page.goto(f"{url}/course/{document_id}")
    fill(page, area="Abdomen, lower", settings="Fractional CO2, 15 mJ, density 10%",
         anaesthetic_applied_by="Nurse Lola Vega", anaesthetic_product="Lidocaine 5% cream", anaesthetic_minutes="30")
    press(page, "/sessions")
    expect(page.locator("#course-sessions")).to_be_visible()
    check(page, "course page with a check-in and a session")
    page.locator("input[name=how]").first.check()
    page.locator("#reason").fill("Moving abroad")
    press(page, "/withdraw")
    check(page, "course withdrawal, asked to confirm")
    press(page, "/withdraw")
    expect(page.locator("#withdrawn")).to_be_visible()
    check(page, "course page, withdrawn")


def check_verify_page(page: Page, server: LiveServer, document_id: str, check: PageCheck) -> None:
    """/verify empty, with its errors, and the verdict for each kind of upload and for a printed code."""
    code, pdfs = stored_pdfs(server, document_id)
    assert len(pdfs) >= 2, "the withdrawal should have sealed a second revision"
    page.goto(server.url + "/verify")
    check(page, "verify", patient=True)
    press(page, "/verify")
    expect(page.locator("#document-error")).to_be_visible()
    check(page, "verify, no file chosen", patient=True)
    uploads = (("the latest revision", pdfs[-1], "consent.pdf", "intact"),
               ("an older revision", pdfs[0], "consent.pdf", "intact"),
               ("a modified copy", TAMPERED["one byte changed"](pdfs[-1]), "consent.pdf", "modified"),
               ("not a PDF", b"GIF89a not a pdf at all", "photo.pdf", "not_pdf"),
               ("a file too complex to check", hostile.deeply_nested(400), "deep.pdf", "too_complex"))
    for where, data, name, verdict in uploads:
        page.locator("#document").set_input_files({"name": name, "mimeType": "application/pdf", "buffer": data})
        press(page, "/verify")
        expect(page.locator(f".verdict-{verdict}")).to_be_visible()
        check(page, f"verify, {where}", patient=True)
    page.locator("#code").fill(code)
    press(page, "/verify", "get")
    expect(page.locator(".verdict-known")).to_be_visible()
    check(page, "verify, a printed code", patient=True)
    page.locator("#code").fill("AAAA-BBBB-CCCC")
    press(page, "/verify", "get")
    expect(page.locator("#code-error")).to_be_visible()
    check(page, "verify, an unknown code", patient=True)


@pytest.mark.parametrize("lang", languages())
def test_every_check_in_course_and_verify_page_has_no_axe_violations(
        lang: str, staff: dict[str, str], live_server: LiveServer, tablet_context: Callable[..., BrowserContext],
        screenshot: Screenshots) -> None:
    """All on a portrait tablet: the desk and doctor use the course pages on one too, and a patient may check a PDF."""
    app = live_server.app
    now = datetime.now(ZoneInfo(app.config["CLINIC_TIMEZONE"]))
    document_id = make_consent(app, name=PATIENT, modality="co2_laser")
    expired_id = make_consent(app, name="Óscar Ibáñez", signed=now - timedelta(days=400))
    check = PageCheck(lang, screenshot)

    staff_context = tablet_context()
    staff_page = staff_context.new_page()
    sign_in(staff_page, live_server, staff["admin"])  # front desk and doctor in one: every form on the page
    expect(staff_page).not_to_have_url(live_server.url + "/login")
    set_session(staff_context, live_server, lang=lang)
    code = check_course_pages(staff_page, live_server, document_id, expired_id, check)

    tablet = tablet_context()
    set_session(tablet, live_server, lang=lang)
    check_in_on_the_tablet(tablet.new_page(), live_server, code, check)

    check_after_the_check_in(staff_page, live_server, document_id, check)

    public = tablet_context()
    set_session(public, live_server, lang=lang)
    check_verify_page(public.new_page(), live_server, document_id, check)
    check.assert_clean()
