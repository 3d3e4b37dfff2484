"""The shared tablet: the text-size control, "Step N of M", and forgetting an idle patient (server side).

The idle dialog itself is driven in a real browser in tests/browser/test_tablet_browser.py.
"""

from __future__ import annotations

import re
import time

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app import create_app
from kiosk.desk import sessions as desk
from kiosk.consent import steps
from kiosk.tablet.views import SEEN_KEY
from tests.support import WizardDriver, csrf_token
from tests.test_desk import desk_client, desk_post, page, stored, type_code

RESET_NOTICE = "For your privacy, the screen went back to the start."


def html_class(html: str) -> str:
    """The text-size class on <html>; the normal size has none."""
    match = re.search(r'<html lang="\w+"(?: class="([^"]*)")?>', html)
    return match.group(1) or "text-normal"


def pressed(html: str) -> list[str]:
    return re.findall(r'value="(\w+)" class="text-size-\w+"\s+aria-pressed="true"', html)


def choose_size(client: FlaskClient, size: str, next_url: str | None, token: str | None = None) -> object:
    token = token or csrf_token(page(client.get("/")))
    data = {"csrf_token": token, "size": size}
    if next_url is not None:
        data["next"] = next_url
    return client.post("/tablet/text-size", data=data)


# --- text size --------------------------------------------------------------------------------------------------

def test_every_patient_page_offers_the_text_size_control_and_staff_pages_do_not(app: Flask, wizard: WizardDriver,
                                                                               staff: dict[str, str]) -> None:
    assert 'action="/tablet/text-size"' in page(wizard.get("/"))
    wizard.ready_to_sign(app)
    for url in ("/consent/identity", "/consent/treatment", "/consent/explanation", "/consent/risks/1",
                "/consent/screening", "/consent/review", "/consent/sign"):
        html = page(wizard.get(url))
        assert 'action="/tablet/text-size"' in html, url
        assert 'name="next" type="hidden" value="%s"' % url in html, url
        assert pressed(html) == ["normal"], url
    assert 'action="/tablet/text-size"' not in page(desk_client(app).get("/desk/"))


def test_the_chosen_text_size_stays_through_the_steps_and_is_not_patient_data(app: Flask, wizard: WizardDriver) -> None:
    issued = wizard.start()
    response = choose_size(wizard.client, "xlarge", "/consent/identity", wizard.token)
    assert response.status_code == 303 and response.headers["Location"] == "/consent/identity"
    html = page(wizard.get("/consent/identity"))
    assert html_class(html) == "text-xlarge" and pressed(html) == ["xlarge"]
    assert wizard.identity().status_code == 302
    assert wizard.treatment().status_code == 302
    assert html_class(page(wizard.get("/consent/explanation"))) == "text-xlarge"
    choose_size(wizard.client, "large", "/consent/explanation", wizard.token)
    assert html_class(page(wizard.get("/consent/explanation"))) == "text-large"
    draft = stored(app, issued.draft.id)
    assert not {"xlarge", "text_size"} & set(re.findall(r"\w+", repr(draft.data) + repr(draft.trail)))


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)",
                                    "evil.example", "/\r\nSet-Cookie: x=1", ""])
def test_the_text_size_form_never_redirects_off_site(client: FlaskClient, target: str) -> None:
    response = choose_size(client, "large", target)
    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert html_class(page(client.get("/"))) == "text-large"


def test_an_unknown_size_or_a_missing_token_changes_nothing(client: FlaskClient) -> None:
    assert choose_size(client, "huge", "/").headers["Location"] == "/"
    assert html_class(page(client.get("/"))) == "text-normal"
    refused = client.post("/tablet/text-size", data={"size": "large", "next": "/"})
    assert refused.status_code == 400 and "This page had expired" in page(refused)
    assert html_class(page(client.get("/"))) == "text-normal"


def test_a_page_shown_after_a_post_only_route_comes_back_to_the_start(client: FlaskClient) -> None:
    wrong = page(type_code(client, "AAA-AAA"))  # re-shown by POST /consent/start, which has no GET
    assert "That code is not valid" in wrong
    assert re.search(r'id="text-size-next" name="next" type="hidden" value="/"', wrong)


def test_the_text_size_works_on_the_start_page_before_any_code(client: FlaskClient) -> None:
    response = choose_size(client, "large", "/?device=Tablet-2")
    assert response.headers["Location"] == "/?device=Tablet-2"
    assert pressed(page(client.get("/"))) == ["large"]


# --- progress ---------------------------------------------------------------------------------------------------

def test_every_step_says_step_n_of_m_in_its_title_and_header(app: Flask, wizard: WizardDriver) -> None:
    wizard.ready_to_sign(app)
    total = len(steps.STEPS)
    for step, url in (("identity", "/consent/identity"), ("treatment", "/consent/treatment"),
                      ("explanation", "/consent/explanation"), ("risks", "/consent/risks/2"),
                      ("screening", "/consent/screening"), ("review", "/consent/review"), ("sign", "/consent/sign")):
        html = page(wizard.get(url))
        label = f"Step {steps.number(step)} of {total}"
        assert re.search(rf"<title>{label}: ", html), url
        assert f'<p class="progress" id="progress">{label}</p>' in html, url
    assert "Step " not in page(wizard.get("/"))


# --- idle reset, server side ------------------------------------------------------------------------------------

def age_session(client: FlaskClient, seconds: int) -> None:
    with client.session_transaction() as session:
        session[SEEN_KEY] = int(time.time()) - seconds


def test_patient_pages_carry_the_idle_dialog_with_the_configured_timings(app: Flask, wizard: WizardDriver,
                                                                         staff: dict[str, str]) -> None:
    assert 'id="idle-dialog"' not in page(wizard.get("/"))  # nobody's data on an unused start page
    wizard.start()
    app.config.update(IDLE_SECONDS=7, IDLE_COUNTDOWN_SECONDS=25)
    html = page(wizard.get("/consent/identity"))
    assert 'data-idle-seconds="7" data-countdown-seconds="25"' in html
    assert "Are you still there?" in html and '<span class="idle-count">0:25</span>' in html
    assert '<script src="/static/js/idle.js" defer></script>' in html
    assert 'id="idle-dialog"' not in page(desk_client(app).get("/desk/"))


def test_a_draft_token_idle_longer_than_dialog_and_countdown_is_forgotten_but_the_draft_is_kept(
        app: Flask, wizard: WizardDriver) -> None:
    issued = wizard.start()
    assert wizard.identity(name="Ana Lima").status_code == 302
    age_session(wizard.client, 120 + 20 - 5)  # still inside the limit: the page is shown
    assert "Ana Lima" in page(wizard.get("/consent/identity"))
    age_session(wizard.client, 120 + 20 + 1)
    response = wizard.client.get("/consent/identity")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    start = page(wizard.client.get("/"))
    assert RESET_NOTICE in start and "Ana Lima" not in start and "Continue where you left off" not in start
    assert wizard.client.get("/consent/review").headers["Location"] == "/"
    draft = stored(app, issued.draft.id)
    assert draft.status == "open" and draft.data["identity"]["full_name"] == "Ana Lima"


def test_the_idle_limit_follows_the_configuration(app: Flask, wizard: WizardDriver) -> None:
    wizard.start()
    app.config.update(IDLE_SECONDS=3, IDLE_COUNTDOWN_SECONDS=2)
    age_session(wizard.client, 6)
    assert wizard.client.get("/consent/identity").headers["Location"] == "/"


def test_a_signed_patients_clock_does_not_count_against_the_next_patient(app: Flask, wizard: WizardDriver) -> None:
    wizard.complete(app, typed_signature="Zoë Ñúñez")
    done = page(wizard.client.get("/consent/done"))
    # the done page offers the optional photo consent, so it keeps that offer alive until the idle reset drops it
    assert 'id="idle-dialog"' in done and "data-still-here-url" in done
    age_session(wizard.client, 3600)
    wizard.client.get("/")  # idle too long: the offer is forgotten with the old clock
    assert wizard.client.get("/photos/choice").headers["Location"] == "/"
    wizard.start(name="Next Patient")
    assert "Next Patient" in page(wizard.get("/consent/identity"))


def test_the_reset_endpoint_forgets_the_patient_here_and_the_desk_can_let_them_resume(
        app: Flask, wizard: WizardDriver, staff: dict[str, str]) -> None:
    issued = wizard.start()
    wizard.identity(name="Ana Lima")
    wizard.treatment("fractional_laser", areas=("arms",))
    choose_size(wizard.client, "large", "/consent/explanation", wizard.token)
    response = wizard.client.post("/tablet/reset", data={"csrf_token": wizard.token})
    assert response.status_code == 303 and response.headers["Location"] == "/"
    start = page(wizard.client.get("/"))
    assert RESET_NOTICE in start and "Ana Lima" not in start and html_class(start) == "text-normal"
    assert "the front desk can give you a new code to carry on where you left off" in start
    assert wizard.client.get("/consent/identity").headers["Location"] == "/"
    assert wizard.client.post("/tablet/still-here", data={"csrf_token": wizard.token}).status_code == 410
    # the front desk issues a new code; the same tablet carries on with every answer kept
    desk_post(desk_client(app), f"/desk/sessions/{issued.draft.id}/code")
    _, code = desk.current_code(app.extensions["kiosk_db"](), issued.draft.id, now=desk_now(app))
    assert type_code(wizard.client, code.display).headers["Location"].endswith("/consent/explanation")
    assert 'value="Ana Lima"' in page(wizard.client.get("/consent/identity"))


def desk_now(app: Flask):  # noqa: ANN201
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(app.config["CLINIC_TIMEZONE"]))


def test_still_here_keeps_the_server_side_clock_going(wizard: WizardDriver) -> None:
    wizard.start()
    wizard.get("/consent/identity")
    age_session(wizard.client, 100)
    assert wizard.client.post("/tablet/still-here", data={"csrf_token": wizard.token}).status_code == 204
    with wizard.client.session_transaction() as session:
        assert int(time.time()) - session[SEEN_KEY] < 5
    assert wizard.client.post("/tablet/still-here", data={}).status_code == 400  # no CSRF token, no change


@pytest.mark.parametrize("value", ["0", "-5", "soon", "true"])
def test_bad_idle_timings_refuse_to_start_with_the_setting_named(db_url: str, value: str,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KIOSK_IDLE_COUNTDOWN_SECONDS", value)
    with pytest.raises(SystemExit, match="KIOSK_IDLE_COUNTDOWN_SECONDS must be a whole number of seconds"):
        create_app({"DATABASE_URL": db_url, "AUTO_MIGRATE": False, "SECRET_KEY": "x"})
