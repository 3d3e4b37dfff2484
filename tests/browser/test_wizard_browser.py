"""A patient walks the whole consent wizard in Chromium on a portrait tablet, by touch, and signs with a finger."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from PIL import Image
from sqlalchemy import func, select

from kiosk.core import audit
from kiosk.desk import sessions as desk
from kiosk.core.models import Consent, Draft
from tests.browser.conftest import LiveServer, Screenshots, watch_problems

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the fixtures skip (or fail under CI) with what to install
    pass

MODALITY = "co2_laser"
NAME = "Zoë Ñúñez"
DESK_NAME = "Zoe Nunez"  # as the desk typed it, without the accents
PRINTED = "ZOË ÑÚÑEZ"
INITIALS = "ZÑ"
YES_QUESTION = "cold_sores"  # a plain yes/no question whose "yes" opens a detail box
YES_DETAIL = "On my lips, about twice a year"
SIGN_ERROR = "Please sign in the box with your finger, or tick the box below to sign with your printed name."


def issue_code(server: LiveServer, name: str = DESK_NAME, dob: str = "1990-05-17") -> desk.IssuedCode:
    """What the front desk does before handing over the tablet: start the session and get its code."""
    session = server.app.extensions["kiosk_db"]()
    try:
        return desk.issue_session(session, desk.NewPatient(full_name=name, date_of_birth=date.fromisoformat(dob)),
                                  issued_by=None, who=audit.Who(actor="tests"), language="en",
                                  now=datetime.now(ZoneInfo(server.app.config["CLINIC_TIMEZONE"])))
    finally:
        session.close()


def expect_birth_date(page: Page, iso: str) -> None:
    """The date of birth's three parts show this date: day and year as typed, the month chosen by number."""
    year, month, day = iso.split("-")
    expect(page.locator("#date_of_birth-day")).to_have_value(str(int(day)))
    expect(page.locator("#date_of_birth-month")).to_have_value(str(int(month)))
    expect(page.locator("#date_of_birth-year")).to_have_value(year)


def fill_birth_date(page: Page, iso: str) -> None:
    """Enter a date of birth as a person does, the desk or the patient alike: day, the month by its name, year."""
    year, month, day = iso.split("-")
    page.locator("#date_of_birth-day").fill(str(int(day)))
    page.locator("#date_of_birth-month").select_option(str(int(month)))
    page.locator("#date_of_birth-year").fill(year)


def no_shot(page: Page, step: str) -> None:
    """Stand-in when a walk needs no screenshots."""


class Patient:
    """Drives the wizard the way a patient does: taps for choices and buttons, the keyboard for text."""

    def __init__(self, page: Page, server: LiveServer, shot: Callable[[Page, str], Any] = no_shot) -> None:
        self.page = page
        self.server = server
        self.shot = shot
        self.texts = server.app.extensions["kiosk_texts"]

    def at(self, path: str) -> None:
        expect(self.page).to_have_url(re.compile(re.escape(self.server.url + path) + r"(\?.*)?$"))

    def tap_button(self, name: str) -> None:
        self.page.get_by_role("button", name=name, exact=True).tap()

    def tap_check(self, selector: str) -> None:
        box = self.page.locator(selector)
        box.tap()
        expect(box).to_be_checked()

    def start(self) -> None:
        """The desk issues a code through its service; the patient types it on the tablet's start page."""
        issued = issue_code(self.server)
        self.page.goto(self.server.url + "/")
        expect(self.page.get_by_role("heading", level=1)).to_have_text("Welcome")
        self.shot(self.page, "start")
        self.page.get_by_label("Your code from the front desk").fill(issued.display.lower().replace("-", " "))
        self.shot(self.page, "start-code-typed")
        self.tap_button("Start")
        self.at("/consent/identity")

    def identity(self) -> None:
        # the desk's entry is shown to confirm or correct; the patient corrects the spelling
        expect(self.page.locator("#full_name")).to_have_value(DESK_NAME)
        expect_birth_date(self.page, "1990-05-17")
        self.shot(self.page, "identity-from-desk")
        self.page.locator("#full_name").fill(NAME)
        self.page.locator("#date_of_birth-day").fill("17")
        self.page.locator("#date_of_birth-month").select_option("5")
        self.page.locator("#date_of_birth-year").fill("1990")
        self.shot(self.page, "identity-filled")
        self.tap_button("Next")
        self.at("/consent/treatment")

    def treatment(self) -> None:
        self.shot(self.page, "treatment-empty")
        self.tap_check(f'input[name="modality"][value="{MODALITY}"]')
        self.tap_check('input[name="areas"][value="abdomen"]')
        self.shot(self.page, "treatment-chosen")
        self.tap_button("Next")
        self.at("/consent/explanation")

    def explanation(self) -> None:
        self.shot(self.page, "explanation")
        self.tap_button("I have read this and I understand it")
        self.at("/consent/risks/1")

    def risks(self) -> int:
        total = len(self.texts.modality("en", MODALITY).risks)
        for index in range(1, total + 1):
            self.at(f"/consent/risks/{index}")
            expect(self.page.locator(".sub-progress")).to_have_text(f"Risk {index} of {total}")
            if index == 1:  # proposed from the name, adopted once; every later risk is one tap
                expect(self.page.locator("#initials")).to_have_value(INITIALS)
            else:
                expect(self.page.locator(".adopted-initials")).to_contain_text(INITIALS)
            self.shot(self.page, f"risk-{index:02d}")
            self.tap_button("I understand this risk")
        self.at("/consent/comprehension")
        return total

    def comprehension(self, *, wrong_first: bool = True) -> None:
        """Answer the check after the risks; a wrong first answer shows the right one, then the patient goes on."""
        checks = self.texts.modality("en", MODALITY).comprehension
        self.shot(self.page, "comprehension")
        for number, check in enumerate(checks):
            pick = next(o for o in check.options if o.id != check.answer) if wrong_first and number == 0 else \
                check.option(check.answer)
            self.tap_check(f'input[name="c_{check.id}"][value="{pick.id}"]')
        self.tap_button("Next")
        if wrong_first:
            self.at("/consent/comprehension")
            expect(self.page.locator(".check-wrong .right-answer")).to_have_text(checks[0].option(checks[0].answer).text)
            self.shot(self.page, "comprehension-right-answer")
            # the same question again, options in a new order: the patient answers it now knowing the right one
            self.tap_check(f'input[name="c_{checks[0].id}"][value="{checks[0].answer}"]')
            self.tap_button("Next")
        self.at("/consent/screening")

    def screening(self, *, js: bool = True) -> None:
        questions = self.texts.rules.questions_for(MODALITY)
        assert YES_QUESTION in [q.id for q in questions]
        detail = self.page.locator(f"#detail_{YES_QUESTION}")
        if js:  # screening.js hides every "tell us more" box until its question is answered yes
            expect(self.page.locator(".if-yes").first).to_be_hidden()
            expect(detail).to_be_hidden()
        self.shot(self.page, "screening-unanswered")
        for q in questions:
            if q.asked_if and not js:
                continue  # without JavaScript a follow-up comes on the next page, once the server knows the yes
            answer = q.options[0] if q.type == "choice" else "yes" if q.id == YES_QUESTION else "no"
            self.tap_check(f'input[name="q_{q.id}"][value="{answer}"]')
            if q.id == YES_QUESTION:
                expect(detail).to_be_visible()
                detail.fill(YES_DETAIL)
                self.shot(self.page, "screening-yes-opens-detail")
            elif js:
                expect(self.page.locator(f'.question[data-question="{q.id}"] .if-yes')).to_be_hidden()
        if js:
            expect(self.page.locator(".if-yes:visible")).to_have_count(1)
        self.shot(self.page, "screening-answered")
        self.tap_button("Next")
        for q in questions if not js else ():
            if q.asked_if == YES_QUESTION:  # the same page again, now with the follow-up under the yes
                self.at("/consent/screening")
                self.tap_check(f'input[name="q_{q.id}"][value="no"]')
                self.tap_button("Next")
        self.at("/consent/review")

    def review(self) -> None:
        expect(self.page.locator("main")).to_contain_text(NAME)
        expect(self.page.locator("main")).to_contain_text(YES_DETAIL)
        self.shot(self.page, "review")
        self.tap_button("I agree to sign on this screen")
        self.at("/consent/sign")

    def walk_to_sign(self, *, js: bool = True) -> None:
        self.start()
        self.identity()
        self.treatment()
        self.explanation()
        self.risks()
        self.comprehension()
        self.screening(js=js)
        self.review()


# --- drawing on the signature canvas --------------------------------------------------------------------------

_INKED_PIXELS = """(canvas) => {
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let inked = 0;
  for (let i = 3; i < data.length; i += 4) { if (data[i] !== 0) { inked++; } }
  return inked;
}"""


def inked_pixels(page: Page) -> int:
    return page.locator("#signature-canvas").evaluate(_INKED_PIXELS)


def signature_strokes(box: dict[str, float]) -> list[list[tuple[float, float]]]:
    """Three strokes in viewport CSS pixels, kept inside the canvas: a looping 'Z', a wave, an underline."""
    x, y, w, h = box["x"], box["y"], box["width"], box["height"]

    def at(fx: float, fy: float) -> tuple[float, float]:
        return (x + fx * w, y + fy * h)

    zed = [at(0.08, 0.25), at(0.22, 0.25), at(0.10, 0.70), at(0.25, 0.70)]
    wave = [at(0.30 + i * 0.04, 0.45 + (0.18 if i % 2 else -0.18)) for i in range(14)]
    underline = [at(0.10, 0.85), at(0.50, 0.82), at(0.88, 0.84)]
    return [zed, wave, underline]


def _segments(stroke: list[tuple[float, float]], per_segment: int = 4) -> list[tuple[float, float]]:
    """Intermediate points, so the pad sees a finger sliding, not jumping."""
    points = [stroke[0]]
    for (x0, y0), (x1, y1) in zip(stroke, stroke[1:]):
        points += [(x0 + (x1 - x0) * k / per_segment, y0 + (y1 - y0) * k / per_segment) for k in range(1, per_segment + 1)]
    return points


def draw_by_touch(page: Page) -> None:
    """Real touch input through the DevTools protocol: touchStart, touchMove..., touchEnd per stroke.

    The finger rests a moment before lifting. Lifted while still moving, Chromium treats the stroke as a fling,
    and the next tap within about a second (on "Clear" or the agree-and-sign button) only cancels that fling: it gets
    pointer and touch events but no click.
    """
    cdp = page.context.new_cdp_session(page)
    try:
        for stroke in signature_strokes(page.locator("#signature-canvas").bounding_box()):
            points = _segments(stroke)
            for kind, (px, py) in [("touchStart", points[0])] + [("touchMove", p) for p in points[1:]]:
                cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [
                    {"x": px, "y": py, "id": 1, "radiusX": 4, "radiusY": 4, "force": 0.5}]})
                page.wait_for_timeout(17)  # signature_pad throttles moves to one per 16 ms
            page.wait_for_timeout(150)  # rest, then lift
            cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    finally:
        cdp.detach()


def draw_by_mouse(page: Page) -> None:
    for stroke in signature_strokes(page.locator("#signature-canvas").bounding_box()):
        page.mouse.move(*stroke[0])
        page.mouse.down()
        for point in stroke[1:]:
            page.mouse.move(*point, steps=4)
            page.wait_for_timeout(17)
        page.mouse.up()


def draw_signature(page: Page) -> str:
    """Sign with a finger; fall back to a mouse only if the pad ignores touch. Returns which input drew."""
    canvas = page.locator("#signature-canvas")
    expect(canvas).to_be_visible()
    canvas.scroll_into_view_if_needed()
    assert inked_pixels(page) == 0
    draw_by_touch(page)
    if inked_pixels(page) > 0:
        method = "touch (CDP Input.dispatchTouchEvent)"
    else:
        draw_by_mouse(page)
        method = "mouse (page.mouse fallback)"
    assert inked_pixels(page) > 200, "the signature pad did not register the drawing"
    print(f"signature drawn by {method}")
    return method


# --- what was stored --------------------------------------------------------------------------------------------

def stored_consents(server: LiveServer) -> list[Consent]:
    session = server.app.extensions["kiosk_db"]()
    return list(session.scalars(select(Consent).order_by(Consent.id)).all())


def assert_done(page: Page) -> None:
    expect(page).to_have_url(re.compile(r"/consent/done$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you")


# --- the tests --------------------------------------------------------------------------------------------------

def test_patient_completes_the_wizard_by_touch_and_signs_with_a_finger(
        live_server: LiveServer, browser_page: Page, screenshot: Screenshots,
        record_property: Callable[[str, Any], None]) -> None:
    page = browser_page
    patient = Patient(page, live_server, screenshot)
    patient.walk_to_sign()

    expect(page.locator(".signature-pad")).to_be_visible()  # signature.js un-hides the pad
    expect(page.locator(".no-js-only")).to_be_hidden()
    screenshot(page, "sign-empty")
    method = draw_signature(page)
    record_property("signature_input", method)
    page.locator("#printed_name").fill(PRINTED)
    screenshot(page, "sign-signed")
    patient.tap_button("I agree to this statement and sign")

    assert_done(page)
    expect(page.locator("main")).to_contain_text("Your consent is signed and saved.")
    expect(page.locator("main")).not_to_contain_text("Zoë")
    screenshot(page, "done")
    assert page.problems == []  # type: ignore[attr-defined]

    [consent] = stored_consents(live_server)
    assert consent.patient_name == NAME
    assert consent.modality == MODALITY
    assert consent.record["signature"]["method"] == "drawn"
    assert consent.record["signature"]["printed_name"] == PRINTED
    assert consent.signature_png
    with Image.open(io.BytesIO(consent.signature_png)) as image:
        assert image.format == "PNG"
        alpha = image.convert("RGBA").getchannel("A")
        assert alpha.getbbox() is not None, "the stored signature is fully transparent"
        assert sum(alpha.histogram()[1:]) > 200
    answer = next(a for a in consent.record["answers"] if a["question"] == YES_QUESTION)
    assert answer["value"] is True and answer["detail"] == YES_DETAIL
    assert consent.documents and consent.documents[0].pdf.startswith(b"%PDF")


def test_without_javascript_the_patient_signs_by_typing_their_name(
        live_server: LiveServer, tablet_context: Callable[..., Any], screenshot: Screenshots) -> None:
    page = tablet_context(java_script_enabled=False).new_page()
    watch_problems(page)
    patient = Patient(page, live_server)
    patient.walk_to_sign(js=False)

    expect(page.locator(".signature-pad")).to_be_hidden()  # no script, no canvas
    expect(page.locator(".no-js-only")).to_be_visible()
    page.locator("#printed_name").fill(PRINTED)
    patient.tap_check("#typed_signature")  # the printed name is the typed signature
    screenshot(page, "nojs-sign-typed")
    patient.tap_button("I agree to this statement and sign")

    assert_done(page)
    assert page.problems == []  # type: ignore[attr-defined]
    [consent] = stored_consents(live_server)
    assert consent.patient_name == NAME
    assert consent.record["signature"]["method"] == "typed"
    assert consent.record["signature"]["typed_name"] == PRINTED  # the printed name is the typed signature
    assert consent.documents[0].pdf.startswith(b"%PDF")


def test_cleared_signature_is_refused_and_nothing_is_stored(
        live_server: LiveServer, browser_page: Page, screenshot: Screenshots) -> None:
    page = browser_page
    patient = Patient(page, live_server)
    patient.walk_to_sign()

    draw_signature(page)
    page.get_by_role("button", name="Clear the signature", exact=True).tap()
    assert inked_pixels(page) == 0
    page.locator("#printed_name").fill(PRINTED)
    patient.tap_button("I agree to this statement and sign")

    patient.at("/consent/sign")  # the server re-showed the page instead of finishing
    expect(page.locator("#signature_data-error")).to_have_text(SIGN_ERROR)
    expect(page.locator(".error-summary")).to_contain_text(SIGN_ERROR)
    screenshot(page, "clear-sign-refused")

    assert stored_consents(live_server) == []
    session = live_server.app.extensions["kiosk_db"]()
    assert session.scalar(select(func.count()).select_from(Draft).where(Draft.status == "open")) == 1


def test_enter_in_the_printed_name_does_not_agree_and_sign_for_the_patient(
        live_server: LiveServer, browser_page: Page) -> None:
    """The agree button is the page's main button; the Enter key in a text field must not press it."""
    page = browser_page
    patient = Patient(page, live_server)
    patient.walk_to_sign()
    draw_signature(page)
    page.locator("#printed_name").fill(PRINTED)
    page.locator("#printed_name").press("Enter")
    page.wait_for_timeout(500)  # a submission, had one started, would have left the page by now

    patient.at("/consent/sign")
    expect(page.locator(".error-summary")).to_have_count(0)
    assert stored_consents(live_server) == []
    patient.tap_button("I agree to this statement and sign")  # the patient's own tap still signs
    assert_done(page)
