"""Every route, every kind of visitor: allowed, sent to sign in, sent to the tablet start, or refused.

The table below must name every endpoint the app has; a new route without an
entry fails the test, so nobody adds a page without deciding who may see it.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.support import WizardDriver
from tests.helpers import consents, signed_checkin, staff_login

VISITORS = ("anonymous", "tablet", "other_tablet", "frontdesk", "doctor", "admin")

OK = "ok"  # 200, or a redirect that stays inside the visitor's own area
LOGIN = "login"  # redirected to /login
START = "start"  # redirected to the tablet start page
FORBIDDEN = "forbidden"  # 403
GONE = "gone"  # 410: the tablet's keep-alive when this browser holds no patient

STAFF_ONLY = {"anonymous": LOGIN, "tablet": LOGIN, "other_tablet": LOGIN}
DESK = {**STAFF_ONLY, "frontdesk": OK, "doctor": FORBIDDEN, "admin": OK}
DOCTORS = {**STAFF_ONLY, "frontdesk": FORBIDDEN, "doctor": OK, "admin": OK}
ANY_STAFF = {**STAFF_ONLY, "frontdesk": OK, "doctor": OK, "admin": OK}
ADMINS = {**STAFF_ONLY, "frontdesk": FORBIDDEN, "doctor": FORBIDDEN, "admin": OK}
PATIENT = {"anonymous": START, "tablet": OK, "other_tablet": OK, "frontdesk": START, "doctor": START,
           "admin": START}
PUBLIC = {visitor: OK for visitor in VISITORS}
CHECKIN_TABLET = {visitor: START for visitor in VISITORS}  # only a tablet holding a check-in's token gets in

# (endpoint, method) -> expectation per visitor
EXPECTED: dict[tuple[str, str], dict[str, str]] = {
    ("wizard.start", "GET"): PUBLIC,
    ("wizard.begin", "POST"): PUBLIC,  # redeeming a code: a wrong one is a message, not a refusal
    ("wizard.identity", "GET"): PATIENT,
    ("wizard.identity", "POST"): PATIENT,
    ("wizard.treatment", "GET"): PATIENT,
    ("wizard.treatment", "POST"): PATIENT,
    ("wizard.explanation", "GET"): PATIENT,
    ("wizard.explanation", "POST"): PATIENT,
    ("wizard.risks", "GET"): PATIENT,
    ("wizard.risk", "GET"): PATIENT,
    ("wizard.risk", "POST"): PATIENT,
    ("wizard.comprehension", "GET"): PATIENT,
    ("wizard.comprehension", "POST"): PATIENT,
    ("wizard.screening", "GET"): PATIENT,
    ("wizard.screening", "POST"): PATIENT,
    ("wizard.review", "GET"): PATIENT,
    ("wizard.review", "POST"): PATIENT,
    ("wizard.sign", "GET"): PATIENT,
    ("wizard.sign", "POST"): PATIENT,
    ("wizard.done", "GET"): PATIENT,
    ("countersign.next_signer", "GET"): PATIENT,
    ("countersign.sign", "POST"): PATIENT,
    ("wizard.email_copy", "POST"): {visitor: START for visitor in VISITORS},  # only a done page offers a copy
    # the tablet's own settings: without a safe `next` (or after a reset) everyone lands on the start page
    ("tablet.text_size", "POST"): {visitor: START for visitor in VISITORS},
    ("tablet.reset", "POST"): {visitor: START for visitor in VISITORS},
    ("tablet.still_here", "POST"): {**{visitor: GONE for visitor in VISITORS}, "tablet": OK, "other_tablet": OK},
    ("auth.login", "GET"): PUBLIC,
    ("auth.login", "POST"): PUBLIC,
    ("auth.logout", "POST"): {visitor: LOGIN for visitor in VISITORS},  # signed out, back to sign-in
    ("auth.staff_home", "GET"): ANY_STAFF,
    ("auth.language", "POST"): ANY_STAFF,  # remembered for the account, so only a signed-in account may set it
    ("auth.consent_pdf", "GET"): DOCTORS,
    ("desk.home", "GET"): DESK,
    ("desk.home", "POST"): DESK,
    ("desk.code", "GET"): DESK,
    ("desk.new_code", "POST"): DESK,
    ("desk.confirm_cancel", "GET"): DESK,
    ("desk.cancel", "POST"): DESK,
    ("desk.people_page", "GET"): DESK,
    ("desk.people_page", "POST"): DESK,
    ("desk.print_copy", "POST"): DESK,
    ("doctor.queue", "GET"): DOCTORS,
    ("doctor.consent", "GET"): DOCTORS,
    ("doctor.consent", "POST"): DOCTORS,
    ("doctor.revision_pdf", "GET"): DOCTORS,
    ("admin.audit_log", "GET"): ADMINS,
    # anyone may change the language; with no page to return to, it goes back to the start
    ("language.switch", "POST"): {visitor: START for visitor in VISITORS},
    ("checkin.questions", "GET"): CHECKIN_TABLET,
    ("checkin.questions", "POST"): CHECKIN_TABLET,
    ("checkin.sign", "GET"): CHECKIN_TABLET,
    ("checkin.sign", "POST"): CHECKIN_TABLET,
    ("checkin.done", "GET"): CHECKIN_TABLET,
    ("course.find", "GET"): ANY_STAFF,
    ("course.show", "GET"): ANY_STAFF,
    ("course.start_checkin", "POST"): DESK,
    ("course.renew", "POST"): DESK,
    ("course.withdraw", "POST"): DESK,
    ("course.record_session", "POST"): DOCTORS,
    ("course.checkin", "GET"): DOCTORS,
    ("course.checkin", "POST"): DOCTORS,
    ("course.checkin_pdf", "GET"): DOCTORS,
    ("course.aftercare_pdf", "GET"): ANY_STAFF,  # the aftercare sheet: printed at the desk or by the doctor
    ("course.email_aftercare", "POST"): ANY_STAFF,  # without a mail server: back to the course page, saying so
    ("keeping.patient_data", "POST"): DOCTORS,  # the patient's own data: a confirmation page first
    ("verify.page", "GET"): PUBLIC,  # anyone holding a copy may check it
    ("verify.upload", "POST"): PUBLIC,  # no file: the form says so
    # the photo consent on a tablet: only right after signing there (or handed over by the desk), else the start
    ("photos.patient_choice", "GET"): {visitor: START for visitor in VISITORS},
    ("photos.patient_choice", "POST"): {visitor: START for visitor in VISITORS},
    ("photos.desk_choice", "GET"): DESK,
    ("photos.desk_choice", "POST"): DESK,
    ("photos.hand_over", "POST"): DESK,
    # treatment photos: the roles KIOSK_PHOTO_ROLES names (doctors by default) and admins
    ("photos.overview", "GET"): DOCTORS,
    ("photos.session", "GET"): DOCTORS,
    ("photos.session", "POST"): DOCTORS,
    ("photos.image", "GET"): DOCTORS,
    ("photos.delete", "POST"): DOCTORS,
}
# what a POST needs besides its CSRF token to be a valid request
POST_DATA: dict[str, dict[str, str]] = {"language.switch": {"lang": "en"}, "auth.language": {"lang": "en"}}

_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture
def world(app: Flask, staff: dict[str, str]) -> dict[str, Any]:
    """A signed consent, two patients part-way through on two tablets, and a client per kind of visitor."""
    signer = WizardDriver(app.test_client())
    signer.complete(app, "co2_laser", name="Signed Patient", yes={"pregnant": "yes"}, typed_signature="S. P.")
    [consent] = consents(app)
    tablet = WizardDriver(app.test_client())
    issued = tablet.start(name="Tablet Patient", dob="1985-03-03")
    tablet.identity(name="Tablet Patient", dob="1985-03-03")
    other = WizardDriver(app.test_client())
    other.start(name="Other Patient", dob="1979-09-09")
    clients: dict[str, FlaskClient] = {"anonymous": app.test_client(), "tablet": tablet.client,
                                       "other_tablet": other.client}
    for role in ("frontdesk", "doctor", "admin"):
        clients[role] = app.test_client()
        staff_login(clients[role], staff[role])
    checkin = signed_checkin(app)
    session_id, photo_id = photographed_session(app, checkin.consent.document_id)
    return {"clients": clients, "document_id": consent.document_id, "draft_id": issued.draft.id,
            "checkin_id": checkin.document_id, "session_id": session_id, "photo_id": photo_id}


def photographed_session(app: Flask, document_id: str) -> tuple[int, int]:
    """Session 1 of a clean consent, recorded by the doctor, with a photo consent and one photo (through the use cases)."""
    import io
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from PIL import Image
    from sqlalchemy import select

    from kiosk.core import audit
    from kiosk.core.models import User
    from kiosk.course import checkins
    from kiosk.photos import choices, treatment
    from kiosk.photos.storage import DatabaseStore
    from tests.helpers import seal_key_of

    session = app.extensions["kiosk_db"]()
    who, texts = audit.Who(actor="tests"), app.extensions["kiosk_texts"]
    now = datetime.now(ZoneInfo(app.config["CLINIC_TIMEZONE"]))
    doctor = session.scalar(select(User).where(User.role == "doctor"))
    row = checkins.record_session(session, who, doctor, document_id, checkins.SessionInput(
        session_date=now.date(), area="Abdomen", settings="Medium", anaesthetic_applied_by=None,
        anaesthetic_minutes=None, anaesthetic_product=None, notes=None), texts=texts, now=now, months=12)
    choices.record_choice(session, who, row.consent, ["record"], staff=None, texts=texts, now=now,
                          timezone_name=app.config["CLINIC_TIMEZONE"], seal_key=seal_key_of(app), clinic_name="Test")
    jpeg = io.BytesIO()
    Image.new("RGB", (60, 40), (200, 150, 130)).save(jpeg, "JPEG")
    photo = treatment.take_photo(session, DatabaseStore(session), who, doctor, row.id, jpeg.getvalue(), area="abdomen",
                                 view="front", now=now, max_bytes=10**6, max_pixels=10**6)
    ids = (row.id, photo.id)
    session.close()
    return ids


def _url(app: Flask, endpoint: str, world: dict[str, Any]) -> str:
    values = {"document_id": world["document_id"], "draft_id": world["draft_id"], "index": 1, "revision": 1,
              "checkin_id": world.get("checkin_id"), "role": "representative",
              "session_id": world.get("session_id"), "photo_id": world.get("photo_id")}
    rule = next(r for r in app.url_map.iter_rules() if r.endpoint == endpoint)
    with app.test_request_context():
        from flask import url_for

        return url_for(endpoint, **{k: v for k, v in values.items() if k in rule.arguments})


# where each visitor's own pages are: a redirect counts as OK only when it lands in one of them
AREAS = {
    "anonymous": (),
    "tablet": ("/consent/",),
    "other_tablet": ("/consent/",),
    "frontdesk": ("/staff", "/desk/", "/course/", "/photos/"),
    "doctor": ("/staff", "/doctor/", "/course/", "/photos/"),
    "admin": ("/staff", "/admin/", "/desk/", "/doctor/", "/course/", "/photos/"),
}


def _outcome(response: Any, visitor: str) -> str:
    """The visitor's answer in the table's words; anything else (another redirect, a 429, a 500) as itself."""
    if response.status_code == 403:
        return FORBIDDEN
    if response.status_code in (301, 302, 303):
        location = urlsplit(response.headers["Location"])
        if location.netloc:
            return f"redirect off the site to {location.geturl()}"
        if location.path == "/login":
            return LOGIN
        if location.path == "/":
            return START
        if location.path.startswith(AREAS[visitor]):
            return OK
        return f"redirect to {location.path}"
    if response.status_code in (200, 204):
        return OK
    if response.status_code == 410:
        return GONE
    return f"HTTP {response.status_code}"


def test_every_endpoint_has_an_access_rule(app: Flask) -> None:
    routes = {(rule.endpoint, method) for rule in app.url_map.iter_rules() if rule.endpoint != "static"
              for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes == set(EXPECTED)


@pytest.mark.parametrize(("endpoint", "method"), sorted(EXPECTED))
def test_each_visitor_gets_the_expected_answer(app: Flask, world: dict[str, Any], endpoint: str, method: str) -> None:
    url = _url(app, endpoint, world)
    got: dict[str, str] = {}
    for visitor in VISITORS:
        client = world["clients"][visitor]
        if method == "GET":
            response = client.get(url)
        else:
            token = _TOKEN.search(client.get("/").get_data(as_text=True)).group(1)
            response = client.post(url, data={"csrf_token": token, **POST_DATA.get(endpoint, {})})
        got[visitor] = _outcome(response, visitor)
    assert got == EXPECTED[(endpoint, method)]


def test_a_tablet_only_ever_sees_its_own_patient(app: Flask, world: dict[str, Any]) -> None:
    other = world["clients"]["other_tablet"]
    for url in ("/consent/identity", "/consent/treatment", "/consent/review", "/consent/done"):
        page = other.get(url, follow_redirects=True).get_data(as_text=True)
        assert "Tablet Patient" not in page and "Signed Patient" not in page, url
    assert "Other Patient" in other.get("/consent/identity").get_data(as_text=True)
    # staff pages about the other patient's consent stay closed to tablets
    for url in (f"/doctor/consents/{world['document_id']}", f"/staff/consents/{world['document_id']}.pdf",
                f"/desk/sessions/{world['draft_id']}/code"):
        assert other.get(url).headers["Location"].startswith("/login"), url
