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
