"""Sign-in lockout, the record of every try, sign-out and the idle timeout, with the clock frozen and moved."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kiosk.core.models import Attempt, AuditEvent, User
from kiosk.core.clinic import services_of
from kiosk.staff.views import home_for
from tests.support import csrf_token
from tests.helpers import staff_login

WRONG = "not the password at all"
LOCKED_15 = "Too many attempts. Try again in 15 minutes."
WRONG_MESSAGE = "That email and password do not match an active account."
EXPIRED = "You were signed out after 15 minutes without activity."


class Clock:
    """Stands in for the clinic's clock: time stands still until a test moves it."""

    def __init__(self) -> None:
        self.now = datetime(2031, 3, 4, 9, 0, tzinfo=ZoneInfo("Europe/Madrid"))

    def __call__(self) -> datetime:
        return self.now

    def move(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(app: Flask) -> Clock:
    frozen = Clock()
    services_of(app).clock = frozen
    return frozen


def member(app: Flask, ip: str = "10.0.0.1", agent: str = "DeskBrowser/1.0") -> FlaskClient:
    """A browser at this address."""
    client = app.test_client()
    client.environ_base.update(REMOTE_ADDR=ip, HTTP_USER_AGENT=agent)
    return client


def page(response) -> str:  # noqa: ANN001
    return response.get_data(as_text=True)


def rows(app: Flask, model: type) -> list:
    return app.extensions["kiosk_db"]().scalars(select(model).order_by(model.id)).all()


def test_five_wrong_passwords_from_one_place_lock_it_even_for_the_right_one(app, staff, clock) -> None:  # noqa: ANN001
    desk = member(app, "10.0.2.1")
    for _ in range(5):
        response = staff_login(desk, staff["doctor"], WRONG)
        assert response.status_code == 200 and WRONG_MESSAGE in page(response)
    response = staff_login(desk, staff["doctor"])
    assert response.status_code == 429
    assert LOCKED_15 in page(response) and WRONG_MESSAGE not in page(response)
    assert desk.get("/staff").headers["Location"].startswith("/login")

    clock.move(minutes=14)
    for _ in range(10):  # refused tries while locked do not extend the lock
        response = staff_login(desk, staff["doctor"])
    assert "Too many attempts. Try again in 1 minute." in page(response)
    clock.move(minutes=1)
    response = staff_login(desk, staff["doctor"])
    with app.test_request_context():
        doctors_home = home_for("doctor")
    assert response.status_code == 302 and response.headers["Location"] == doctors_home
    assert desk.get("/staff").status_code == 200


def test_strangers_elsewhere_cannot_lock_a_staff_account(app, staff, clock) -> None:  # noqa: ANN001
    """Staff emails are predictable: anonymous wrong passwords from other addresses must not lock the doctor out."""
    from kiosk.core.audit import Who
    from kiosk.staff import accounts
    from tests.helpers import STAFF_PASSWORD

    for n in range(12):
        assert WRONG_MESSAGE in page(staff_login(member(app, f"10.0.1.{n}"), staff["doctor"], WRONG))
    doctor = member(app, "10.0.9.9")
    assert staff_login(doctor, staff["doctor"]).status_code == 302  # at the doctor's own desk
    session = app.extensions["kiosk_db"]()
    user = session.scalar(select(User).where(User.email == staff["doctor"]))
    # the decision password is judged on the doctor's own failures at the doctor's own address
    assert accounts.confirm_password(session, user, STAFF_PASSWORD, who=Who(actor=user.email, ip_address="10.0.9.9"),
                                     now=clock.now, purpose="decision") == "ok"
    for _ in range(5):
        assert accounts.confirm_password(session, user, WRONG, who=Who(actor=user.email, ip_address="10.0.9.9"),
                                         now=clock.now, purpose="decision") == "wrong"
    assert accounts.confirm_password(session, user, STAFF_PASSWORD, who=Who(actor=user.email, ip_address="10.0.9.9"),
                                     now=clock.now, purpose="decision") == "locked"
    session.close()


def test_forty_simultaneous_wrong_passwords_get_exactly_five_checked(app, staff, clock) -> None:  # noqa: ANN001
    """Counting and recording a try are one step: 40 tries at once from one address, only the first five are checked,
    and the right password among them does not slip through after the fifth failure."""
    import threading

    from tests.helpers import STAFF_PASSWORD

    start = threading.Barrier(40)
    statuses: list[int] = []

    def attempt(n: int) -> None:
        client = member(app, "198.51.100.7")
        token = csrf_token(client.get("/login").get_data(as_text=True))
        start.wait()
        password = STAFF_PASSWORD if n == 20 else WRONG
        statuses.append(client.post("/login", data={"csrf_token": token, "email": staff["doctor"],
                                                    "password": password}).status_code)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    actions = [e.action for e in rows(app, AuditEvent) if e.action.startswith("login")]
    assert actions.count("login_failed") == 5, actions  # exactly five wrong passwords checked
    checked = actions.count("login_failed") + actions.count("login")  # (the right one, if it came before the lock)
    assert actions.count("login_locked") == 40 - checked and statuses.count(429) == 40 - checked
    assert staff_login(member(app, "198.51.100.7"), staff["doctor"]).status_code == 429  # locked, right password or not


def test_five_failures_from_one_address_lock_that_address(app, staff, clock) -> None:  # noqa: ANN001
    desk = member(app, "192.0.2.7")
    for email in (staff["doctor"], staff["admin"], staff["frontdesk"], "nobody@x.test", "someone@else.test"):
        assert WRONG_MESSAGE in page(staff_login(desk, email, WRONG))
    response = staff_login(desk, staff["frontdesk"])
    assert response.status_code == 429 and LOCKED_15 in page(response)
    assert response.headers["Retry-After"] == "900"
    # the same account from another address signs in: only one of the failures was its own
    assert staff_login(member(app, "192.0.2.8"), staff["frontdesk"]).status_code == 302
    clock.move(minutes=15)
    assert staff_login(desk, staff["frontdesk"]).status_code == 302


def test_every_try_is_stored_and_audited_with_the_address_and_browser(app, staff, clock) -> None:  # noqa: ANN001
    client = member(app, "203.0.113.9", "Tablet-Test/2.0")
    staff_login(client, staff["doctor"], WRONG)
    staff_login(client, "Doctor@X.test ")  # the right password; email typed loosely
    for _ in range(4):
        staff_login(client, "ghost@x.test", WRONG)
    staff_login(client, staff["admin"])  # refused: five failures from this address

    attempts = rows(app, Attempt)
    assert [(a.kind, a.subject, a.succeeded) for a in attempts] == [
        ("login", "doctor@x.test", False), ("login", "doctor@x.test", True),
        *[("login", "ghost@x.test", False)] * 4, ("login_refused", "admin@x.test", False)]  # refusals never count
    assert {a.ip_address for a in attempts} == {"203.0.113.9"}
    assert {a.at for a in attempts} == {clock.now}

    events = rows(app, AuditEvent)
    assert [(e.action, e.actor) for e in events] == [
        ("login_failed", "doctor@x.test"), ("login", "doctor@x.test"),
        *[("login_failed", "ghost@x.test")] * 4, ("login_locked", "admin@x.test")]
    assert {(e.ip_address, e.user_agent) for e in events} == {("203.0.113.9", "Tablet-Test/2.0")}
    doctor_id = next(u.id for u in rows(app, User) if u.email == "doctor@x.test")
    assert [e.actor_id for e in events if e.action == "login"] == [doctor_id]
    assert events[0].detail == {"reason": "wrong_password"} and events[2].detail == {"reason": "unknown_email"}


def test_a_form_with_a_missing_field_is_not_a_try(app, staff, clock) -> None:  # noqa: ANN001
    client = member(app)
    response = staff_login(client, staff["doctor"], "")
    assert response.status_code == 200 and "Please enter your password." in page(response)
    assert rows(app, Attempt) == []


def test_sign_out_is_audited(app, staff, clock) -> None:  # noqa: ANN001
    client = member(app, "10.0.0.5")
    staff_login(client, staff["admin"])
    token = csrf_token(page(client.get("/staff")))
    response = client.post("/logout", data={"csrf_token": token})
    assert response.headers["Location"] == "/login"
    assert client.get("/staff").headers["Location"].startswith("/login")
    [event] = [e for e in rows(app, AuditEvent) if e.action == "logout"]
    assert (event.actor, event.ip_address, event.at) == ("admin@x.test", "10.0.0.5", clock.now)


def test_an_idle_staff_session_ends_after_15_minutes(app, staff, clock) -> None:  # noqa: ANN001
    client = member(app, "10.0.0.6")
    staff_login(client, staff["doctor"])
    clock.move(minutes=14)
    assert client.get("/staff").status_code == 200
    clock.move(minutes=14)  # 28 minutes after signing in, but only 14 since the last page
    assert client.get("/staff").status_code == 200
    assert not [e for e in rows(app, AuditEvent) if e.action == "session_expired"]

    clock.move(minutes=16)
    response = client.get("/staff?page=2")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    login_page = client.get(response.headers["Location"])
    assert EXPIRED in page(login_page)
    assert client.get("/staff").headers["Location"].startswith("/login")
    [event] = [e for e in rows(app, AuditEvent) if e.action == "session_expired"]
    assert (event.actor, event.ip_address, event.at) == ("doctor@x.test", "10.0.0.6", clock.now)
    assert event.detail == {"idle_minutes": 16, "limit_minutes": 15}
    # signing in again goes back to the page that was asked for
    response = staff_login(client, staff["doctor"], next_url=response.headers["Location"].split("next=")[1])
    assert response.headers["Location"] == "/staff?page=2"


def test_the_idle_limit_is_a_setting(app, staff, clock) -> None:  # noqa: ANN001
    app.config["STAFF_IDLE_MINUTES"] = 5
    client = member(app)
    staff_login(client, staff["admin"])
    clock.move(minutes=6)
    response = client.get("/staff", follow_redirects=True)
    assert "You were signed out after 5 minutes without activity." in page(response)


def test_the_tablet_wizard_is_untouched_by_lockout_and_idle_timeout(app, wizard, staff, clock) -> None:  # noqa: ANN001
    tablet = wizard.client  # 127.0.0.1, like every test client unless told otherwise
    assert staff_login(tablet, staff["frontdesk"]).status_code == 302  # someone signed in on the tablet once
    for _ in range(5):  # and the tablet's address is locked for sign-ins
        staff_login(app.test_client(), staff["doctor"], WRONG)
    assert staff_login(app.test_client(), staff["admin"]).status_code == 429
    clock.move(minutes=30)

    wizard.start()
    response = wizard.identity()
    assert response.status_code == 302 and response.headers["Location"] == "/consent/treatment"
    assert wizard.get("/consent/treatment").status_code == 200
    assert not [e for e in rows(app, AuditEvent) if e.action == "session_expired"]
    # the forgotten staff login has expired all the same, and ending it leaves the patient's draft alone
    assert tablet.get("/staff").headers["Location"].startswith("/login")
    assert wizard.get("/consent/treatment").status_code == 200


def test_a_deactivated_account_cannot_sign_in_and_its_session_ends(app, staff, clock) -> None:  # noqa: ANN001
    client = member(app)
    staff_login(client, staff["frontdesk"])
    session = app.extensions["kiosk_db"]()
    session.scalar(select(User).where(User.email == staff["frontdesk"])).active = False
    session.commit()
    assert client.get("/staff").headers["Location"].startswith("/login")
    assert WRONG_MESSAGE in page(staff_login(member(app, "10.0.0.2"), staff["frontdesk"]))
    assert [e.detail for e in rows(app, AuditEvent) if e.action == "login_failed"] == [{"reason": "inactive"}]
