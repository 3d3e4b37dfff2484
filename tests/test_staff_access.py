"""Staff sign-in and who may open a consent's PDF."""

from __future__ import annotations

import json

import pytest

from tests.helpers import staff_login


def test_wrong_password_is_refused_with_a_message(app, client, staff):  # noqa: ANN001
    response = staff_login(client, "doctor@x.test", "nope")
    assert response.status_code == 200
    assert "do not match" in response.get_data(as_text=True)
    assert client.get("/staff").status_code == 302


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:x"])
def test_an_off_site_next_is_ignored(app, client, staff, target):  # noqa: ANN001
    response = staff_login(client, "doctor@x.test", next_url=target)
    location = response.headers["Location"]
    assert location.startswith("/") and not location.startswith("//") and "evil" not in location


def test_a_same_site_next_is_followed(app, client, staff):  # noqa: ANN001
    response = staff_login(client, "doctor@x.test", next_url="/staff?page=2")
    assert response.headers["Location"] == "/staff?page=2"


def test_only_doctors_and_admins_open_consent_pdfs(app, client, wizard, staff):  # noqa: ANN001
    wizard.complete(app, "fractional_laser", typed_signature="Zoë")
    [row] = json.loads(app.test_cli_runner().invoke(args=["consents", "--json"]).output)
    url = f"/staff/consents/{row['id']}.pdf"
    anonymous = app.test_client()
    assert anonymous.get(url).headers["Location"].startswith("/login")
    # the patient's own tablet session does not open it either
    assert wizard.client.get(url).status_code == 302
    for role, expected in (("frontdesk", 403), ("doctor", 200), ("admin", 200)):
        member = app.test_client()
        staff_login(member, f"{role}@x.test")
        response = member.get(url)
        assert response.status_code == expected, role
        if expected == 200:
            assert response.data.startswith(b"%PDF") and response.mimetype == "application/pdf"
    doctor = app.test_client()
    staff_login(doctor, "doctor@x.test")
    assert doctor.get("/staff/consents/CK-UNKNOWN.pdf").status_code == 404


@pytest.mark.parametrize("role", ["frontdesk", "doctor"])
def test_a_tablet_code_typed_where_staff_are_signed_in_signs_them_out(app, client, wizard, staff, role):  # noqa: ANN001
    """The patient holding that browser must not reach the desk, the queue or a consent's PDF."""
    from sqlalchemy import select

    from kiosk.core.models import AuditEvent

    staff_login(client, staff[role])
    assert client.get("/staff").status_code == 200
    wizard.start()  # the same browser: the patient types the code the desk gave them
    for page in ("/staff", "/doctor/queue", "/desk/"):
        response = client.get(page)
        assert response.status_code == 302 and "/login" in response.headers["Location"], page
    assert wizard.get("/consent/identity").status_code == 200  # the patient carries on with their consent
    session = app.extensions["kiosk_db"]()
    logged = session.scalars(select(AuditEvent).where(AuditEvent.action == "logout")).all()
    assert [(e.actor, e.detail) for e in logged] == [(staff[role], {"reason": "tablet_code_redeemed"})]


def test_signing_in_renews_the_form_token(app, client, staff):  # noqa: ANN001
    """A token read off the sign-in page (a shared screen, a photo) no longer works once someone has signed in."""
    import re

    from tests.helpers import STAFF_PASSWORD

    page = client.get("/login").get_data(as_text=True)
    before = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post("/login", data={"csrf_token": before, "email": staff["frontdesk"],
                                       "password": STAFF_PASSWORD}).status_code == 302
    stale = client.post("/logout", data={"csrf_token": before})
    assert stale.status_code == 400 and "This page had expired" in stale.get_data(as_text=True)
    assert client.get("/staff").status_code == 200  # still signed in: the stale token did nothing
    fresh = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get("/staff").get_data(as_text=True))
    assert fresh.group(1) != before


@pytest.mark.parametrize(("hours_later", "status"), [(3, 302), (5, 400)])
def test_a_form_token_works_for_a_shift_and_then_expires(app, client, staff, monkeypatch, hours_later, status):  # noqa: ANN001
    import re
    import time

    import itsdangerous.timed

    staff_login(client, staff["frontdesk"])
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"',
                      client.get("/staff").get_data(as_text=True)).group(1)
    monkeypatch.setattr(itsdangerous.timed.TimestampSigner, "get_timestamp",
                        lambda self: int(time.time()) + hours_later * 3600)
    assert client.post("/logout", data={"csrf_token": token}).status_code == status


def _copy_of_cookie(app, client):  # noqa: ANN001, ANN202
    """Another browser (another address) holding a copy of this browser's session cookie."""
    other = app.test_client()
    other.set_cookie("session", client.get_cookie("session").value)
    other.environ_base["REMOTE_ADDR"] = "203.0.113.9"
    return other


def test_signing_out_ends_every_copy_of_the_session(app, client, wizard, staff):  # noqa: ANN001
    """A cookie copied before sign-out and replayed afterwards from elsewhere opens nothing."""
    from tests.support import csrf_token

    staff_login(client, staff["doctor"])
    copy = _copy_of_cookie(app, client)
    assert copy.get("/doctor/queue").status_code == 200  # the copy works while the sign-in lasts
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/staff").get_data(as_text=True))})
    for page in ("/doctor/queue", "/staff"):
        response = copy.get(page)
        assert response.status_code == 302 and "/login" in response.headers["Location"], page


def test_a_new_password_ends_every_open_sign_in(app, client, staff):  # noqa: ANN001
    from datetime import datetime, timezone

    from sqlalchemy import select

    from kiosk.core.models import User
    from kiosk.staff import accounts

    staff_login(client, staff["frontdesk"])
    assert client.get("/desk/").status_code == 200
    session = app.extensions["kiosk_db"]()
    user = session.scalar(select(User).where(User.email == staff["frontdesk"]))
    accounts.set_password(session, user, "an entirely new secret 9315", now=datetime.now(timezone.utc))
    session.close()
    response = client.get("/desk/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
