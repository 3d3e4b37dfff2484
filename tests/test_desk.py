"""Front desk: sessions started at the desk, one-time tablet codes, today's list, cancelling, and who may do it."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from flask.testing import FlaskClient
from sqlalchemy import func, select, update

from kiosk.core import audit
from kiosk.core.clinic import services_of
from kiosk.desk import sessions as desk
from kiosk.consent import drafts
from kiosk.core.models import Attempt, AuditEvent, Draft, TabletCode
from kiosk.documents.record import Clinic
from tests.support import csrf_token
from tests.helpers import staff_login

TZ = ZoneInfo("Europe/Madrid")  # the test app's clinic time zone (the default)
T = datetime(2030, 3, 12, 10, 0, tzinfo=TZ)  # a fixed clinic "now" for tests that move time
INVALID = "That code is not valid. Please ask the front desk for a new one."
TABLET = audit.Who(actor="tablet", ip_address="127.0.0.1")


def page(response: Any) -> str:
    return response.get_data(as_text=True)


def real_now() -> datetime:
    return datetime.now(TZ)


def db(app: Flask):  # noqa: ANN201
    return app.extensions["kiosk_db"]()


def issue(app: Flask, name: str = "Ana Lima", dob: str = "1985-02-03", modality: str | None = None,
          now: datetime | None = None) -> desk.IssuedCode:
    session = db(app)
    try:
        return desk.issue_session(session, desk.NewPatient(name, date.fromisoformat(dob), modality), issued_by=None,
                                  who=audit.Who(actor="tests"), language="en", now=now or real_now())
    finally:
        session.close()


def redeem(app: Flask, code: str, now: datetime, who: audit.Who = TABLET) -> Draft:
    session = db(app)
    try:
        return desk.redeem_code(session, code, who=who, device_label=None, language="en", now=now)
    finally:
        session.close()


def type_code(client: FlaskClient, code: str) -> Any:
    """What a patient does at the tablet: open the start page, type the code, tap Start."""
    token = csrf_token(page(client.get("/")))
    return client.post("/consent/start", data={"csrf_token": token, "code": code})


def cookie(app: Flask, client: FlaskClient) -> dict[str, Any]:
    raw = client.get_cookie("session")
    return SecureCookieSessionInterface().get_signing_serializer(app).loads(raw.value) if raw else {}


def stored(app: Flask, draft_id: int) -> Draft:
    return db(app).get(Draft, draft_id)


def events(app: Flask, action: str) -> list[AuditEvent]:
    return list(db(app).scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def desk_client(app: Flask, role: str = "frontdesk") -> FlaskClient:
    client = app.test_client()
    assert staff_login(client, f"{role}@x.test").status_code == 302
    return client


def desk_post(client: FlaskClient, url: str, data: dict[str, str] | None = None, **kwargs: Any) -> Any:
    token = csrf_token(page(client.get("/desk/")))
    return client.post(url, data={"csrf_token": token, **(data or {})}, **kwargs)


def start_at_desk(client: FlaskClient, button: str = "issue", **fields: str) -> Any:
    data = {"full_name": "Ana Lima", "date_of_birth": "1985-02-03", "modality": "", button: "y"}
    data.update(fields)
    return desk_post(client, "/desk/", data)


def born(day: str, month: str, year: str) -> dict[str, str]:
    """The desk's date of birth as its form posts it: day, month by number (chosen by name), year."""
    return {"date_of_birth-day": day, "date_of_birth-month": month, "date_of_birth-year": year}


def a_wrong_code(right: str) -> str:
    return next(c for c in ("ABCDEF", "ZZZZZZ") if c != right)


# --- codes ------------------------------------------------------------------------------------------------------

def test_issuing_gives_a_short_code_easy_to_read_aloud(app: Flask) -> None:
    issued = issue(app, now=T)
    assert re.fullmatch(r"[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{6}", issued.code)
    assert re.fullmatch(r"[A-Z2-9]{3}-[A-Z2-9]{3}", issued.display)
    assert issued.display.replace("-", "") == issued.code
    assert not set(issued.code) & set("0O1IL")
    assert issued.expires_at - T == timedelta(minutes=30)
    draft = stored(app, issued.draft.id)
    assert draft.status == "open" and draft.desk_name == "Ana Lima" and draft.planned_modality is None
    assert draft.data["prefill"] == {"full_name": "Ana Lima", "date_of_birth": "1985-02-03"}
    [event] = events(app, "code_issued")
    assert event.actor == "tests" and event.target == f"draft {draft.id}"
    assert "Ana" not in str(event.detail)  # the audit log names the session, not the patient


def test_codes_are_random(app: Flask) -> None:
    codes = {issue(app, now=T).code for _ in range(20)}
    assert len(codes) == 20


@pytest.mark.parametrize(("typed", "expected"), [
    ("K7P-M2Q", "K7PM2Q"), ("k7p-m2q", "K7PM2Q"), ("k7pm2q", "K7PM2Q"), (" K7P M2Q ", "K7PM2Q"),
    ("k7p – m2q", "K7PM2Q"), ("K7P-M2", None), ("K7P-M2QX", None), ("O0I1L5", None), ("", None), ("K7P<M2", None),
])
def test_typed_codes_are_normalised(typed: str, expected: str | None) -> None:
    assert desk.normalize_code(typed) == expected


def test_walking_up_to_the_tablet_starts_nothing(app: Flask, client: FlaskClient) -> None:
    html = page(client.get("/"))
    assert 'name="code"' in html and "Your code from the front desk" in html
    response = client.post("/consent/start", data={"csrf_token": csrf_token(html), "code": ""})
    assert response.status_code == 200
    assert "Please type the code the front desk gave you." in page(response)
    assert db(app).scalar(select(func.count()).select_from(Draft)) == 0
    assert "draft" not in cookie(app, client)
    assert client.get("/consent/identity").headers["Location"].endswith("/")


def test_a_valid_code_opens_the_session_on_the_tablet(app: Flask, client: FlaskClient) -> None:
    issued = issue(app)
    response = type_code(client, issued.display)
    assert response.status_code == 302 and response.headers["Location"].endswith("/consent/identity")
    assert cookie(app, client)["draft"] == issued.draft.token
    code = db(app).scalars(select(TabletCode)).one()
    assert code.used_at is not None
    draft = stored(app, issued.draft.id)
    assert draft.ip_address == "127.0.0.1" and draft.trail["opened_at"]
    [event] = events(app, "code_used")
    assert event.actor == "tablet" and event.ip_address == "127.0.0.1" and event.target == f"draft {draft.id}"
    assert db(app).scalars(select(Attempt)).one().succeeded is True


@pytest.mark.parametrize("variant", [str.lower, lambda c: c.replace("-", ""), lambda c: c.lower().replace("-", " "),
                                     lambda c: f"  {c}  "])
def test_the_code_is_accepted_in_any_case_with_or_without_the_dash(app: Flask, client: FlaskClient, variant) -> None:  # noqa: ANN001
    issued = issue(app)
    response = type_code(client, variant(issued.display))
    assert response.status_code == 302 and response.headers["Location"].endswith("/consent/identity")


@pytest.mark.parametrize("case", ["wrong", "used", "expired", "cancelled", "malformed"])
def test_bad_codes_get_one_clear_message_and_count_as_a_failed_try(app: Flask, client: FlaskClient, case: str) -> None:
    if case == "expired":  # issued 31 minutes ago: time moved, not slept
        issued = issue(app, now=real_now() - timedelta(minutes=31))
    else:
        issued = issue(app)
    typed = issued.display
    if case == "wrong":
        typed = a_wrong_code(issued.code)
    elif case == "malformed":
        typed = "hello there"
    elif case == "used":
        assert type_code(app.test_client(), issued.display).status_code == 302
    elif case == "cancelled":
        session = db(app)
        desk.cancel_session(session, issued.draft.id, who=audit.Who(actor="tests"), now=real_now())
    response = type_code(client, typed)
    assert response.status_code == 200
    assert INVALID in page(response) and 'aria-invalid="true"' in page(response)
    assert "draft" not in cookie(app, client)
    assert client.get("/consent/identity").headers["Location"].endswith("/")
    failed = db(app).scalars(select(Attempt).where(Attempt.succeeded.is_(False))).all()
    assert [(a.kind, a.ip_address) for a in failed] == [("code", "127.0.0.1")]
    [event] = events(app, "code_refused")
    reason = {"wrong": "unknown", "used": "used", "expired": "expired", "cancelled": "cancelled",
              "malformed": "malformed"}[case]
    assert event.actor == "tablet" and event.detail == {"reason": reason}


def test_a_used_code_cannot_be_used_twice_even_at_the_same_moment(app: Flask) -> None:
    issued = issue(app, now=T)
    redeem(app, issued.code, T + timedelta(minutes=1))
    with pytest.raises(desk.InvalidCode):
        redeem(app, issued.code, T + timedelta(minutes=1))


def test_the_code_works_until_thirty_minutes_and_not_after(app: Flask) -> None:
    first = issue(app, now=T)
    second = issue(app, now=T)
    assert redeem(app, first.code, T + timedelta(minutes=29, seconds=59)).id == first.draft.id
    with pytest.raises(desk.InvalidCode):
        redeem(app, second.code, T + timedelta(minutes=30))


def test_ten_wrong_codes_from_one_address_lock_it_for_a_while(app: Flask, client: FlaskClient) -> None:
    issued = issue(app)
    wrong = a_wrong_code(issued.code)
    for _ in range(10):
        assert INVALID in page(type_code(client, wrong))
    # the 11th try is refused even with the right code, with a message saying what to do
    response = type_code(client, issued.display)
    assert response.status_code == 429
    html = page(response)
    assert "Too many wrong codes were typed on this tablet" in html and "ask the front desk" in html
    assert INVALID not in html
    assert 1 <= int(response.headers["Retry-After"]) <= 15 * 60
    assert "draft" not in cookie(app, client)
    assert events(app, "code_refused")[-1].detail == {"reason": "too_many_tries"}
    # the count lives in the database, so every worker and host sees it
    assert db(app).scalar(select(func.count()).select_from(Attempt).where(Attempt.kind == "code")) == 10
    # another tablet is not affected
    other = app.test_client()
    other.environ_base["REMOTE_ADDR"] = "10.0.0.7"
    assert type_code(other, issued.display).status_code == 302


def test_the_lock_lifts_once_the_wrong_tries_are_fifteen_minutes_old(app: Flask) -> None:
    issued = issue(app, now=T)
    for minute in range(10):
        with pytest.raises(desk.InvalidCode):
            redeem(app, a_wrong_code(issued.code), T + timedelta(minutes=minute))
    with pytest.raises(desk.TooManyTries) as locked:
        redeem(app, issued.code, T + timedelta(minutes=10))
    assert locked.value.retry_after == timedelta(minutes=5)  # the first wrong try leaves the window at T+15
    with pytest.raises(desk.TooManyTries):
        redeem(app, issued.code, T + timedelta(minutes=14, seconds=59))
    assert redeem(app, issued.code, T + timedelta(minutes=15)).id == issued.draft.id


# --- what the patient sees ----------------------------------------------------------------------------------------

def test_the_identity_step_shows_what_the_desk_entered(app: Flask, wizard) -> None:  # noqa: ANN001
    wizard.start(name="Ana María Lima", dob="1985-02-03")
    html = page(wizard.get("/consent/identity"))
    assert 'value="Ana María Lima"' in html
    assert 'name="date_of_birth-day" value="3"' in html and '<option value="2" selected>February</option>' in html
    assert 'name="date_of_birth-year" value="1985"' in html
    # the patient corrects it; their version is what is kept
    assert wizard.identity(name="Ana María Lima Souza", dob="1985-02-04").status_code == 302
    draft = db(app).scalars(select(Draft)).one()
    assert draft.data["identity"]["full_name"] == "Ana María Lima Souza"
    assert draft.desk_name == "Ana María Lima"


def _checked(html: str) -> list[str]:
    return [m.group(1) for m in re.finditer(r'<input[^>]*\bchecked\b[^>]*value="([^"]+)"', html)]


def test_the_planned_treatment_is_preselected(app: Flask, wizard) -> None:  # noqa: ANN001
    wizard.start(modality="chemical_peel")
    wizard.identity()
    assert _checked(page(wizard.get("/consent/treatment"))) == ["chemical_peel"]
    # the patient's own saved choice wins over the plan
    assert wizard.treatment("co2_laser").status_code == 302
    assert _checked(page(wizard.get("/consent/treatment")))[0] == "co2_laser"


def test_without_a_plan_no_treatment_is_preselected(app: Flask, wizard) -> None:  # noqa: ANN001
    wizard.start()
    wizard.identity()
    assert _checked(page(wizard.get("/consent/treatment"))) == []


def test_a_tablet_holding_an_open_session_can_go_back_into_it(app: Flask, wizard) -> None:  # noqa: ANN001
    wizard.start()
    wizard.identity()
    html = page(wizard.get("/"))
    assert 'href="/consent/treatment"' in html and "Continue where you left off" in html


# --- the desk -----------------------------------------------------------------------------------------------------

def test_the_desk_starts_a_session_and_reads_out_its_code(app: Flask, staff: dict[str, str]) -> None:
    member = desk_client(app)
    response = start_at_desk(member, modality="co2_laser")
    assert response.status_code == 302
    draft = db(app).scalars(select(Draft)).one()
    assert response.headers["Location"].endswith(f"/desk/sessions/{draft.id}/code")
    code = db(app).scalars(select(TabletCode)).one()
    html = page(member.get(response.headers["Location"]))
    assert desk.format_code(code.code) in html and "Ana Lima" in html and "Ablative CO2 laser resurfacing" in html
    assert draft.planned_modality == "co2_laser" and draft.data["prefill"]["modality"] == "co2_laser"
    assert draft.started_by == "front desk (frontdesk@x.test)" and draft.issued_by_id is not None
    assert code.issued_by_id == draft.issued_by_id
    [event] = events(app, "code_issued")
    assert event.actor == "frontdesk@x.test" and event.actor_id == draft.issued_by_id
    # the patient types it on a tablet
    tablet = app.test_client()
    assert type_code(tablet, desk.format_code(code.code).lower()).status_code == 302
    assert 'value="Ana Lima"' in page(tablet.get("/consent/identity"))
    # once used, the code page says so and offers a new one
    html = page(member.get(f"/desk/sessions/{draft.id}/code"))
    assert desk.format_code(code.code) not in html and "No code is waiting" in html


@pytest.mark.parametrize(("fields", "message"), [
    ({"full_name": "  "}, "Please enter the patient's full name."),
    ({"full_name": "A" * 201}, "at most 200 characters"),
    ({"date_of_birth": ""}, "Please enter the patient's date of birth."),
    (born("31", "2", "1990"), "February 1990 has no day 31. Please check the day."),
    (born("3", "", "1985"), "Please enter the day, choose the month and enter the year."),
    (born("3", "2", "85"), "Please enter the year with four digits, for example 1985."),
    (born("1", "1", "2999"), "cannot be in the future"),
    ({"modality": "botox"}, "Not a valid choice"),
])
def test_bad_desk_entries_get_a_message_and_start_nothing(app: Flask, staff: dict[str, str], fields: dict[str, str],
                                                          message: str) -> None:
    member = desk_client(app)
    response = start_at_desk(member, **fields)
    assert response.status_code == 200
    assert message in page(response) and 'aria-invalid="true"' in page(response)
    assert db(app).scalar(select(func.count()).select_from(Draft)) == 0


def test_the_desk_enters_the_date_of_birth_as_day_month_by_name_and_year(app: Flask, staff: dict[str, str]) -> None:
    member = desk_client(app)
    html = page(member.get("/desk/"))
    assert 'type="date"' not in html  # no mm/dd/yyyy to misread
    assert 'name="date_of_birth-day"' in html and 'name="date_of_birth-year"' in html
    assert '<option value="7">July</option>' in html
    assert 'autocomplete="bday-day"' not in html  # the browser offers the desk's own birthday nowhere
    response = start_at_desk(member, **born("7", "3", "1985"))
    assert response.status_code == 302
    draft = db(app).scalars(select(Draft)).one()
    assert draft.data["prefill"]["date_of_birth"] == "1985-03-07"  # the 7th of March, never the 3rd of July


def test_a_desk_reading_spanish_chooses_the_month_by_its_spanish_name_and_reads_the_messages_in_spanish(
        app: Flask, staff: dict[str, str]) -> None:
    member = desk_client(app)
    token = csrf_token(page(member.get("/desk/")))
    member.post("/staff/language", data={"csrf_token": token, "lang": "es", "next": "/desk/"})
    assert '<option value="2">Febrero</option>' in page(member.get("/desk/"))
    html = page(start_at_desk(member, **born("31", "2", "1990")))
    assert "Febrero de 1990 no tiene día 31" in html and 'aria-invalid="true"' in html
    html = page(start_at_desk(member, date_of_birth=""))
    assert "Indique la fecha de nacimiento del paciente." in html
    assert db(app).scalar(select(func.count()).select_from(Draft)) == 0


def test_open_on_this_device_signs_the_desk_out_and_opens_the_wizard(app: Flask, staff: dict[str, str]) -> None:
    member = desk_client(app)
    response = start_at_desk(member, "open_here", modality="chemical_peel")
    assert response.status_code == 302 and response.headers["Location"].endswith("/consent/identity")
    draft = db(app).scalars(select(Draft)).one()
    data = cookie(app, member)
    assert data.get("draft") == draft.token and "_user_id" not in data
    assert set(data) <= {"draft", "csrf_token", "device_label", "lang", "_fresh"}
    assert "Ana" not in str(data)
    # the staff member is signed out of this browser; the patient's page is open
    assert member.get("/desk/").headers["Location"].startswith("/login")
    html = page(member.get("/consent/identity"))
    assert 'value="Ana Lima"' in html and "Signed in as" not in html
    assert db(app).scalar(select(func.count()).select_from(TabletCode)) == 0
    [event] = events(app, "session_opened_here")
    assert event.actor == "frontdesk@x.test" and event.target == f"draft {draft.id}"
    session = db(app)
    [row] = desk.today_sessions(session, now=real_now())
    assert row.status == "in_progress"


def test_a_new_code_expires_the_unused_old_one(app: Flask, staff: dict[str, str]) -> None:
    first = issue(app)
    member = desk_client(app)
    response = desk_post(member, f"/desk/sessions/{first.draft.id}/code")
    assert response.headers["Location"].endswith(f"/desk/sessions/{first.draft.id}/code")
    codes = db(app).scalars(select(TabletCode).order_by(TabletCode.id)).all()
    assert len(codes) == 2 and codes[1].code != codes[0].code
    assert INVALID in page(type_code(app.test_client(), first.display))
    assert type_code(app.test_client(), desk.format_code(codes[1].code)).status_code == 302
    event = events(app, "code_issued")[-1]
    assert event.actor == "frontdesk@x.test" and event.detail["replaced"] == 1


def test_a_new_code_lets_the_patient_resume_with_answers_kept(app: Flask, wizard, staff: dict[str, str]) -> None:  # noqa: ANN001
    issued = wizard.start()
    wizard.identity(name="Ana Lima")
    wizard.treatment("fractional_laser", areas=("arms",))
    # the tablet resets itself: the cookie is gone
    member = desk_client(app)
    desk_post(member, f"/desk/sessions/{issued.draft.id}/code")
    new = db(app).scalars(select(TabletCode).order_by(TabletCode.id.desc())).first()
    tablet = app.test_client()
    response = type_code(tablet, desk.format_code(new.code))
    assert response.headers["Location"].endswith("/consent/explanation")
    assert 'value="Ana Lima"' in page(tablet.get("/consent/identity"))
    draft = stored(app, issued.draft.id)
    assert draft.data["treatment"]["areas"] == ["arms"] and draft.data["completed"] == ["identity", "treatment"]


def _statuses(app: Flask, now: datetime) -> dict[str, str]:
    return {row.name: row.status for row in desk.today_sessions(db(app), now=now)}


def _set_up_a_day(app: Flask) -> None:
    """One session in each status at T, plus some that must not be listed."""
    issue(app, name="Waiting", now=T - timedelta(minutes=5))
    in_progress = issue(app, name="In progress", now=T - timedelta(minutes=20))
    redeem(app, in_progress.code, T - timedelta(minutes=10))
    issue(app, name="Code expired", now=T - timedelta(minutes=40))
    idle = issue(app, name="Idle", now=T - timedelta(minutes=90))
    redeem(app, idle.code, T - timedelta(minutes=80))
    signed = issue(app, name="Signed", now=T - timedelta(minutes=120))
    cancelled = issue(app, name="Cancelled", now=T - timedelta(minutes=15))
    session = db(app)
    desk.cancel_session(session, cancelled.draft.id, who=audit.Who(actor="tests"), now=T - timedelta(minutes=14))
    session.execute(update(Draft).where(Draft.id == signed.draft.id).values(status="submitted"))
    session.commit()
    issue(app, name="Yesterday", now=T - timedelta(days=1))
    drafts.start_draft(session, language="en", device_label=None, ip_address=None, user_agent=None, now=T)


def test_todays_list_shows_each_status(app: Flask) -> None:
    _set_up_a_day(app)
    assert _statuses(app, T) == {"Waiting": "waiting", "In progress": "in_progress", "Code expired": "expired",
                                 "Idle": "expired", "Signed": "signed", "Cancelled": "cancelled"}
    rows = desk.today_sessions(db(app), now=T)
    assert [r.name for r in rows] == ["Waiting", "Cancelled", "In progress", "Code expired", "Idle", "Signed"]
    assert rows[0].started_at == T - timedelta(minutes=5) and rows[0].started_at.tzinfo == TZ
    assert rows[0].code_expires_at == T + timedelta(minutes=25)
    # half an hour later the waiting code has run out and the in-progress tablet has gone quiet
    later = _statuses(app, T + timedelta(minutes=40))
    assert later["Waiting"] == "expired" and later["In progress"] == "expired"


def test_a_new_code_makes_an_expired_session_waiting_again(app: Flask) -> None:
    old = issue(app, name="Late", now=T - timedelta(minutes=40))
    session = db(app)
    desk.reissue_code(session, old.draft.id, issued_by=None, who=audit.Who(actor="tests"), now=T)
    assert _statuses(app, T)["Late"] == "waiting"


def test_todays_list_page_shows_status_and_actions(app: Flask, staff: dict[str, str]) -> None:
    _set_up_a_day(app)
    services_of(app).clock = lambda: T
    html = page(desk_client(app).get("/desk/"))
    rows = {m.group(2): m.group(0) for m in re.finditer(
        r'<tr id="session-\d+" data-status="(\w+)">\s*<th scope="row"[^>]*>([^<]+)</th>.*?</tr>', html, re.S)}
    assert set(rows) == {"Waiting", "In progress", "Code expired", "Idle", "Signed", "Cancelled"}
    labels = {"Waiting": "waiting", "In progress": "in progress", "Code expired": "expired", "Idle": "expired",
              "Signed": "signed", "Cancelled": "cancelled"}
    for name, label in labels.items():
        assert f'">{label}</span>' in rows[name], name
    for name in ("Waiting", "In progress"):
        assert "Cancel the session" in rows[name] and "New code" in rows[name]
    for name in ("Code expired", "Idle"):
        assert "Cancel the session" not in rows[name] and "New code" in rows[name]
    for name in ("Signed", "Cancelled"):  # nothing to change; a signed row only prints the patient's copy
        assert "New code" not in rows[name] and "Cancel the session" not in rows[name]
    assert "Print patient's copy" in rows["Signed"] and "<form" not in rows["Cancelled"]
    assert "Show code" in rows["Waiting"] and "09:55" in rows["Waiting"] and "10:25" in rows["Waiting"]
    assert "Yesterday" not in html


def test_a_session_signed_on_the_tablet_shows_as_signed(app: Flask, wizard, staff: dict[str, str]) -> None:  # noqa: ANN001
    wizard.complete(app, "chemical_peel", typed_signature="Zoë")
    html = page(desk_client(app).get("/desk/"))
    assert 'data-status="signed"' in html and "Zoë Ñúñez" in html


# --- cancelling -----------------------------------------------------------------------------------------------------

def test_cancelling_sends_the_tablet_back_to_the_start(app: Flask, wizard, staff: dict[str, str]) -> None:  # noqa: ANN001
    issued = wizard.start()
    wizard.identity()
    member = desk_client(app)
    response = desk_post(member, f"/desk/sessions/{issued.draft.id}/cancel")
    assert response.headers["Location"].endswith("/desk/")
    assert "The session was cancelled." in page(member.get("/desk/"))
    assert stored(app, issued.draft.id).status == "cancelled"
    # the patient's next tap lands on the code page, and the tablet no longer holds the session
    response = wizard.client.get("/consent/treatment")
    assert response.status_code == 302 and response.headers["Location"].endswith("/")
    assert "draft" not in cookie(app, wizard.client)
    html = page(wizard.client.get("/"))
    assert "closed by the front desk" in html and "Continue where you left off" not in html
    [event] = events(app, "session_cancelled")
    assert event.actor == "frontdesk@x.test" and event.target == f"draft {issued.draft.id}"
    # cancelling again is a message, not an error
    response = desk_post(member, f"/desk/sessions/{issued.draft.id}/cancel", follow_redirects=True)
    assert response.status_code == 200 and "already cancelled" in page(response)
    # and a cancelled session gets no new code
    response = desk_post(member, f"/desk/sessions/{issued.draft.id}/code", follow_redirects=True)
    assert "already cancelled" in page(response)
    assert db(app).scalar(select(func.count()).select_from(TabletCode)) == 1


def test_cancelling_a_waiting_session_stops_its_code(app: Flask, staff: dict[str, str]) -> None:
    issued = issue(app)
    desk_post(desk_client(app), f"/desk/sessions/{issued.draft.id}/cancel")
    assert INVALID in page(type_code(app.test_client(), issued.display))


def test_a_signed_session_cannot_be_cancelled(app: Flask, wizard, staff: dict[str, str]) -> None:  # noqa: ANN001
    wizard.complete(app, "chemical_peel", typed_signature="Zoë")
    draft = db(app).scalars(select(Draft)).one()
    response = desk_post(desk_client(app), f"/desk/sessions/{draft.id}/cancel", follow_redirects=True)
    assert response.status_code == 200 and "already signed" in page(response)
    assert stored(app, draft.id).status == "submitted"
    assert events(app, "session_cancelled") == []


def test_desk_actions_need_csrf_and_a_real_session(app: Flask, staff: dict[str, str]) -> None:
    issued = issue(app)
    member = desk_client(app)
    assert member.post(f"/desk/sessions/{issued.draft.id}/cancel").status_code == 400
    assert member.post(f"/desk/sessions/{issued.draft.id}/code").status_code == 400
    assert member.post("/desk/", data={"full_name": "X", "date_of_birth": "1990-01-01", "issue": "y"}).status_code == 400
    assert stored(app, issued.draft.id).status == "open"
    assert desk_post(member, "/desk/sessions/999999/cancel").status_code == 404
    assert desk_post(member, "/desk/sessions/999999/code").status_code == 404
    assert member.get("/desk/sessions/999999/code").status_code == 404


# --- who may use the desk ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("role", "expected"), [("frontdesk", 200), ("admin", 200), ("doctor", 403)])
def test_frontdesk_and_admin_use_the_desk_doctors_do_not(app: Flask, staff: dict[str, str], role: str,
                                                          expected: int) -> None:
    issued = issue(app)
    member = desk_client(app, role)
    assert member.get("/desk/").status_code == expected
    assert member.get(f"/desk/sessions/{issued.draft.id}/code").status_code == expected
    if expected == 403:
        token = csrf_token(page(member.get("/login")))
        for url in (f"/desk/sessions/{issued.draft.id}/cancel", f"/desk/sessions/{issued.draft.id}/code", "/desk/"):
            assert member.post(url, data={"csrf_token": token}).status_code == 403, url
        assert stored(app, issued.draft.id).status == "open"


def test_anonymous_visitors_are_sent_to_the_login_page(app: Flask, client: FlaskClient) -> None:
    issued = issue(app)
    for url in ("/desk/", f"/desk/sessions/{issued.draft.id}/code"):
        assert client.get(url).headers["Location"].startswith("/login"), url
    # a patient's tablet session is not a desk login either
    type_code(client, issued.display)
    assert client.get("/desk/").headers["Location"].startswith("/login")


# --- racing tablets ---------------------------------------------------------------------------------------------

def test_a_code_typed_on_four_tablets_at_once_opens_only_one(db_url: str) -> None:
    import threading

    from app import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "race", "DATABASE_URL": db_url,
                      "AUTO_MIGRATE": False})
    issued = issue(app)
    tablets = []
    for number in range(4):
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = f"10.0.0.{number + 1}"
        tablets.append((client, csrf_token(page(client.get("/")))))
    statuses: list[int] = []

    def tap(client: FlaskClient, token: str) -> None:
        statuses.append(client.post("/consent/start", data={"csrf_token": token, "code": issued.display}).status_code)

    threads = [threading.Thread(target=tap, args=tablet) for tablet in tablets]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 200, 200, 302]
    session = db(app)
    assert [e.detail["reason"] for e in session.scalars(select(AuditEvent).where(
        AuditEvent.action == "code_refused"))] == ["used"] * 3
    assert len(session.scalars(select(AuditEvent).where(AuditEvent.action == "code_used")).all()) == 1
    session.close()
    app.extensions["kiosk_db"].kw["bind"].dispose()


def test_a_cancel_racing_the_signature_stores_nothing(app, wizard):  # noqa: ANN001
    """The desk cancels while the patient is on the sign page: the signature must not create a consent."""
    from sqlalchemy import update

    from kiosk.core.models import Draft
    from tests.helpers import consents

    wizard.ready_to_sign(app, "chemical_peel")
    wizard.get("/consent/sign")
    session = app.extensions["kiosk_db"]()
    session.execute(update(Draft).values(status="cancelled"))
    session.commit()
    response = wizard.post("/consent/sign", {"consent_agree": "y", "typed_signature": "Zoë", "printed_name": "Z"})
    assert response.headers["Location"].endswith("/")
    assert consents(app) == []
    done = wizard.client.get("/consent/done")
    assert done.headers["Location"].endswith("/")


def test_submit_with_a_draft_cancelled_behind_its_back_raises_and_stores_nothing(app, wizard):  # noqa: ANN001
    """The service's own guard: the draft row is closed only if still open, in the consent's transaction."""
    from datetime import datetime, timezone

    import pytest
    from sqlalchemy import select, update

    from kiosk.consent import submission
    from kiosk.core.models import Draft
    from tests.helpers import consents

    wizard.ready_to_sign(app, "microdermabrasion")
    tablet = app.extensions["kiosk_db"]()
    draft = tablet.scalars(select(Draft)).one()  # loaded while still open
    desk = app.extensions["kiosk_db"]()
    desk.execute(update(Draft).values(status="cancelled"))
    desk.commit()
    signature = submission.SignatureInput(method="typed", png=None, typed_name="Zoë", printed_name="Zoë")
    from kiosk.core.web import seal_key

    with app.app_context():
        key = seal_key()
    with pytest.raises(submission.DraftClosed):
        submission.submit(tablet, draft, signature, texts=app.extensions["kiosk_texts"],
                          clinic=Clinic("Test Clinic", "Europe/Madrid"), seal_key=key,
                          now=datetime.now(timezone.utc))
    assert consents(app) == []


def test_a_draft_closes_once_and_whoever_comes_second_is_told_it_lost(app: Flask) -> None:
    """The one guard the desk's cancel, the consent's signature and the check-in's signature share."""
    draft_id = issue(app).draft.id
    now = real_now()
    first, second = db(app), db(app)
    assert drafts.close_if_open(first, draft_id, "cancelled", now) is True
    first.commit()
    assert drafts.close_if_open(second, draft_id, "submitted", now + timedelta(seconds=1)) is False
    second.rollback()
    draft = stored(app, draft_id)
    assert draft.status == "cancelled" and draft.updated_at == now
