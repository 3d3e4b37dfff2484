"""Random and hostile input on every form and endpoint (hypothesis): never a 500, always a message people can act on.

Endpoints come from the route matrix in test_route_access, so a new route is attacked here too.
Each form is filled with a valid CSRF token and random values for its own fields (and some it
does not have), so the values reach the form's validation and the services behind it.
"""

from __future__ import annotations

import re
from functools import cached_property
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from kiosk.core.models import Consent, Draft
from tests import hostile
from tests.support import WizardDriver, csrf_token
from tests.helpers import consents, signed_checkin, staff_login
from tests.test_route_access import EXPECTED, OK, _url

HOSTILE_STRINGS = (
    "", " ", "\x00", "a\x00b", "'; DROP TABLE consents; --", "<script>alert(1)</script>", "{{ 7*7 }}",
    "../../etc/passwd", "A" * 5000, "ZZZ-ZZZ", "9999-99-99", "0000-00-00", "1900-01-01", "-1", "0", "1e309", "NaN",
    "true", "false", "y", "yes", "\u202egnp.exe", "😀" * 300, "\r\nSet-Cookie: x=y", "%00", "%FF%FE",
    "data:image/png;base64,AAAA", "data:image/png;base64," + "iVBORw0KGgo" * 900, "co2_laser", "abdomen", "other",
    "cleared", "stop", "2147483648", "-9223372036854775809",
    # issue 14: marks stacked on one letter (NFC reorders a run in quadratic time), and PNG headers claiming
    # sizes no tablet draws (Pillow's decompression-bomb checks)
    hostile.combining_run(31), hostile.combining_run(5_000, "\u0489"), hostile.combining_run(20_000),
    *(hostile.png_data_url(hostile.png_claiming(w, h)) for w, h in ((100_000, 100_000), (10_000, 10_000),
                                                                     (4001, 1), (1, 65_535), (2**31 - 1, 2**31 - 1))),
)
# the worst of them, each put in every field of every form in turn
WORST = ("\x00", "a\x00b@x.test", "A" * 5000, "'; DROP TABLE consents; --", "<script>alert(1)</script>", "%FF%FE",
         "\ud800".encode("utf-8", "surrogatepass").decode("utf-8", "replace"), "9999-99-99", "-1", "😀" * 300, "",
         hostile.combining_run(10_000), hostile.png_data_url(hostile.png_claiming(100_000, 100_000)))
WITH_NUL = st.builds(lambda a, b: a + "\x00" + b, st.text(max_size=20), st.text(max_size=20))
MARK_RUNS = st.builds(hostile.combining_run, st.sampled_from((1, 2, 30, 31, 121, 1_000, 20_000)),
                      st.sampled_from(hostile.COMBINING_MARKS), st.sampled_from(("a", "Z", "ñ", " ", "")))
HUGE_IMAGES = st.builds(lambda w, h: hostile.png_data_url(hostile.png_claiming(w, h)),
                        st.sampled_from((1, 4000, 4001, 10_000, 100_000, 2**31 - 1)),
                        st.sampled_from((1, 4000, 4001, 10_000, 100_000, 2**31 - 1)))
HOSTILE = st.one_of(st.text(max_size=400), st.sampled_from(HOSTILE_STRINGS), WITH_NUL, MARK_RUNS, HUGE_IMAGES)
QUERY_KEYS = ("status", "modality", "severity", "since", "until", "q", "page", "action", "actor", "document", "device",
              "next", "lang")
EXTRA_FIELDS = ("next", "draft", "status", "id", "role", "__proto__", "csrf_token2")

# which visitor uses each kind of page, in order of preference
VISITOR_ORDER = ("tablet", "frontdesk", "doctor", "admin", "anonymous")
_FIELD = re.compile(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"')


class World:
    """One clinic for a test: a patient at the signature, staff signed in, a signed consent to review."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    @cached_property
    def consent(self) -> Consent:
        WizardDriver(self.app.test_client()).complete(self.app, "chemical_peel", name="Signed Patient",
                                                      yes={"pregnant": "yes"}, typed_signature="S. P.")
        return consents(self.app)[0]

    @cached_property
    def staff(self) -> dict[str, FlaskClient]:
        from kiosk.staff import accounts
        from tests.helpers import STAFF_PASSWORD

        session = self.app.extensions["kiosk_db"]()
        clients = {}
        for role in accounts.ROLES:
            accounts.create_user(session, email=f"{role}@x.test", role=role, name=f"{role.title()} Person",
                                 password=STAFF_PASSWORD)
            clients[role] = self.app.test_client()
            staff_login(clients[role], f"{role}@x.test")
        session.close()
        return clients

    def tablet(self) -> FlaskClient:
        """A tablet whose draft is open and ready to sign (a new patient when random input signed the last one)."""
        driver: WizardDriver | None = self.__dict__.get("_tablet")
        if driver is not None and _draft_status(self.app, driver) == "open":
            return driver.client
        driver = WizardDriver(self.app.test_client())
        driver.ready_to_sign(self.app, "co2_laser")
        self.__dict__["_tablet"] = driver
        return driver.client

    def client(self, visitor: str) -> FlaskClient:
        if visitor == "tablet":
            return self.tablet()
        if visitor == "anonymous":
            return self.app.test_client()
        return self.staff[visitor]

    @cached_property
    def checkin_id(self) -> str:
        return signed_checkin(self.app).document_id

    @cached_property
    def photographed(self) -> dict[str, int]:
        """A recorded session with one photo, for the photo pages' addresses."""
        from tests.test_route_access import photographed_session

        session_id, photo_id = photographed_session(self.app, signed_checkin(self.app).consent.document_id)
        return {"session_id": session_id, "photo_id": photo_id}

    def url(self, endpoint: str) -> str:
        values: dict[str, object] = {"document_id": self.consent.document_id, "draft_id": self.consent.draft_id}
        arguments = next(r for r in self.app.url_map.iter_rules() if r.endpoint == endpoint).arguments
        if "checkin_id" in arguments:
            values["checkin_id"] = self.checkin_id
        if {"session_id", "photo_id"} & arguments:
            values.update(self.photographed)
        if "role" in arguments:
            values["role"] = "representative"
        return _url(self.app, endpoint, values)


def _draft_status(app: Flask, driver: WizardDriver) -> str | None:
    with driver.client.session_transaction() as cookie:
        token = cookie.get("draft")
    if not token:
        return None
    with app.extensions["kiosk_db"]() as session:
        return session.scalar(select(Draft.status).where(Draft.token == token))


def visitor_for(endpoint: str, method: str) -> str:
    allowed = EXPECTED[(endpoint, method)]
    return next((v for v in VISITOR_ORDER if allowed.get(v) == OK), "doctor")  # sign-out: nobody "stays"


def assert_clear(response: Any, what: str) -> None:
    """No server error; a refusal or a re-shown form says what is wrong."""
    assert response.status_code < 500, f"{what}: HTTP {response.status_code}"
    if response.status_code in (301, 302, 303, 304):
        return
    if response.mimetype != "text/html":
        assert response.status_code == 200, what  # a PDF download
        return
    page = response.get_data(as_text=True)
    if response.status_code >= 400:
        assert re.search(r'class="(lead|error)"', page), f"{what}: HTTP {response.status_code} without a message"
    assert "Traceback" not in page


def fields_of(client: FlaskClient, url: str) -> list[str]:
    response = client.get(url, follow_redirects=True)
    return sorted({name for name in _FIELD.findall(response.get_data(as_text=True)) if name != "csrf_token"})


POST_ENDPOINTS = sorted(key for key in EXPECTED if key[1] == "POST")
GET_ENDPOINTS = sorted(key for key in EXPECTED if key[1] == "GET")


@pytest.fixture
def world(app: Flask) -> World:
    return World(app)


def _form_attack(world: World, visitor: str, url: str, names: list[str]) -> Any:
    @given(values=st.dictionaries(st.sampled_from(names), st.one_of(HOSTILE, st.lists(HOSTILE, max_size=3)),
                                  max_size=len(names)))
    def attack(values: dict[str, Any]) -> None:
        client = world.client(visitor)
        token = csrf_token(client.get("/login" if visitor == "anonymous" else "/").get_data(as_text=True))
        response = client.post(url, data={**values, "csrf_token": token})
        assert_clear(response, f"POST {url} as {visitor} with {values!r}"[:2000])

    return attack


def _query_attack(world: World, visitor: str, url: str) -> Any:
    @settings(max_examples=max(3, settings().max_examples // 2))
    @given(query=st.dictionaries(st.sampled_from(QUERY_KEYS), HOSTILE, max_size=5))
    def attack(query: dict[str, str]) -> None:
        response = world.client(visitor).get(url, query_string=query)
        assert_clear(response, f"GET {url} as {visitor} with {query!r}"[:2000])

    return attack


def test_random_form_values_never_break_a_page(world: World) -> None:
    """Every POST endpoint, with its own field names (and a few it does not have) filled at random."""
    for endpoint, method in POST_ENDPOINTS:
        visitor = visitor_for(endpoint, method)
        url = world.url(endpoint)
        names = fields_of(world.client(visitor), "/" if endpoint == "wizard.begin" else url) + list(EXTRA_FIELDS)
        _form_attack(world, visitor, url, names)()


def test_each_of_the_worst_values_in_every_field_of_every_form(world: World) -> None:
    for endpoint, method in POST_ENDPOINTS:
        visitor = visitor_for(endpoint, method)
        url = world.url(endpoint)
        names = fields_of(world.client(visitor), "/" if endpoint == "wizard.begin" else url)
        for value in WORST:
            client = world.client(visitor)
            token = csrf_token(client.get("/login" if visitor == "anonymous" else "/").get_data(as_text=True))
            response = client.post(url, data={**{name: value for name in names}, "csrf_token": token})
            assert_clear(response, f"POST {url} as {visitor}, every field {value[:40]!r}")


def test_random_query_strings_never_break_a_page(world: World) -> None:
    for endpoint, method in GET_ENDPOINTS:
        _query_attack(world, visitor_for(endpoint, method), world.url(endpoint))()


@given(path=st.text(min_size=1, max_size=80), kind=st.sampled_from(
    ("/doctor/consents/{}", "/staff/consents/{}.pdf", "/consent/risks/{}", "/desk/sessions/{}/code",
     "/doctor/consents/{}/revisions/1.pdf")))
def test_forged_ids_in_addresses_are_not_found_not_errors(world: World, path: str, kind: str) -> None:
    from urllib.parse import quote

    url = kind.format(quote(path, safe=""))
    for visitor in ("tablet", "doctor", "frontdesk"):
        assert_clear(world.client(visitor).get(url), f"GET {url} as {visitor}")


@given(body=st.binary(max_size=600))
def test_bodies_that_are_not_utf8_are_refused_cleanly(world: World, body: bytes) -> None:
    """Raw bytes, invalid UTF-8 and broken percent-escapes, as a form post on the tablet and the login page."""
    client = world.tablet()
    token = csrf_token(client.get("/consent/identity").get_data(as_text=True)).encode()
    for url in ("/consent/identity", "/consent/sign", "/login"):
        response = client.post(url, data=b"csrf_token=" + token + b"&full_name=" + body + b"&" + body,
                               content_type="application/x-www-form-urlencoded")
        assert_clear(response, f"POST {url} with {body!r}")
        response = client.post(url, data=body, content_type="multipart/form-data; boundary=x")
        assert_clear(response, f"POST {url} multipart {body!r}")


UNREADABLE_NAMES = [  # (content type, body with the CSRF token at {token})
    ("multipart/form-data; boundary=x", b'--x\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
     b'--x\r\nContent-Disposition: form-data; name="full_name"\r\n\r\nAna\xff\xfe Ruiz\r\n'
     b'--x\r\nContent-Disposition: form-data; name="date_of_birth"\r\n\r\n1990-01-01\r\n--x--\r\n'),
    ("application/x-www-form-urlencoded", b"csrf_token={token}&full_name=Ana\xff\xfe+Ruiz&date_of_birth=1990-01-01"),
    ("application/x-www-form-urlencoded", b"csrf_token={token}&full_name=Ana%00Ruiz&date_of_birth=1990-01-01"),
]


@pytest.mark.parametrize(("content_type", "body"), UNREADABLE_NAMES)
def test_a_name_that_is_not_readable_text_is_refused_and_nothing_is_saved(
        app: Flask, wizard: WizardDriver, content_type: str, body: bytes) -> None:
    wizard.start()
    wizard.get("/consent/identity")
    response = wizard.client.post("/consent/identity", data=body.replace(b"{token}", wizard.token.encode()),
                                  content_type=content_type)
    assert_clear(response, f"{content_type} {body!r}")
    assert response.status_code == 400
    with app.extensions["kiosk_db"]() as session:
        [draft] = session.scalars(select(Draft)).all()
        assert "identity" not in draft.data
    assert wizard.identity(name="Ana Ruiz").status_code == 302  # the same tablet goes on once the text is readable


def test_a_query_string_that_is_not_utf8_is_refused_with_a_message(client: FlaskClient) -> None:
    for url in ("/", "/login", "/consent/identity", "/doctor/queue"):
        response = client.get(url, environ_overrides={"QUERY_STRING": "device=Tablet\xff\xfe"})
        assert response.status_code == 400, url
        assert "The information sent could not be read" in response.get_data(as_text=True)


def test_a_post_without_its_csrf_token_is_refused_with_a_message(world: World) -> None:
    for endpoint, method in POST_ENDPOINTS:
        visitor = visitor_for(endpoint, method)
        url = world.url(endpoint)
        response = world.client(visitor).post(url, data={"anything": "x"})
        assert response.status_code == 400, url
        assert "This page had expired, so nothing was saved from it" in response.get_data(as_text=True)
        forged = world.client(visitor).post(url, data={"csrf_token": "forged." + "A" * 40})
        assert forged.status_code == 400, url


def test_a_body_over_the_limit_gets_413_with_a_message(world: World) -> None:
    big = "data:image/png;base64," + "A" * (world.app.config["MAX_CONTENT_LENGTH"] + 1)
    for visitor, url in (("tablet", "/consent/sign"), ("tablet", "/consent/identity"), ("anonymous", "/login"),
                         ("frontdesk", "/desk/"), ("doctor", world.url("doctor.consent"))):
        response = world.client(visitor).post(url, data={"signature_data": big, "full_name": "x"})
        assert response.status_code == 413, url
        assert "too large" in response.get_data(as_text=True), url


def test_a_step_posted_out_of_order_saves_nothing(app: Flask, wizard: WizardDriver) -> None:
    """A forged jump to the signature (or review, or risks) goes back to the first open step."""
    wizard.start()
    for url, data in (("/consent/sign", {"consent_agree": "y", "typed_signature": "Z", "printed_name": "Z"}),
                      ("/consent/review", {"esign_agree": "y"}), ("/consent/risks/3", {"acknowledged": "y",
                                                                                      "initials": "ZN"}),
                      ("/consent/screening", {"q_pregnant": "no"})):
        response = wizard.post(url, data)
        assert response.status_code == 302 and response.headers["Location"] == "/consent/identity", url
    with app.extensions["kiosk_db"]() as session:
        [draft] = session.scalars(select(Draft)).all()
        assert draft.data["completed"] == [] and set(draft.data) <= {"completed", "prefill"}
        assert session.scalar(select(func.count()).select_from(Consent)) == 0


@pytest.mark.parametrize("token", ["", "x", "A" * 43, "A" * 65, "A" * 5000, "' OR 1=1 --", 12345, ["a"], {"a": 1},
                                   None, True])
def test_a_forged_draft_token_leads_back_to_the_start(app: Flask, wizard: WizardDriver, token: Any) -> None:
    """Even a validly signed session cookie holding a made-up token reaches no one's draft."""
    wizard.start()  # someone else's patient exists
    forger = app.test_client()
    with forger.session_transaction() as cookie:
        cookie["draft"] = token
    for url in ("/consent/identity", "/consent/sign", "/consent/done", "/"):
        response = forger.get(url)
        assert_clear(response, f"{url} with draft token {token!r}")
        assert "Zoë" not in response.get_data(as_text=True)
    assert forger.get("/consent/identity").headers["Location"] == "/"


def test_a_tampered_session_cookie_is_ignored(app: Flask, wizard: WizardDriver) -> None:
    wizard.start()
    cookie = wizard.client.get_cookie("session").value
    forger = app.test_client()
    forger.set_cookie("session", cookie[:-3] + ("AAA" if not cookie.endswith("AAA") else "BBB"))
    response = forger.get("/consent/identity")
    assert response.status_code == 302 and response.headers["Location"] == "/"
