"""Headers every response carries: a strict CSP, no framing, and no caching of pages with people's data."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers import staff_login


def assert_hardened(response) -> None:  # noqa: ANN001
    """Each header the clinic relies on, checked one by one."""
    csp = dict(part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))
    assert csp["script-src"] == "'self'"  # no inline scripts, no eval, no other origin
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert csp["frame-ancestors"] == "'none'"
    assert csp["default-src"] == "'self'" and csp["object-src"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("url", ["/", "/login", "/consent/identity", "/no-such-page"])
def test_every_page_has_a_strict_policy_and_is_never_cached(client, url):  # noqa: ANN001
    response = client.get(url)
    assert_hardened(response)
    assert response.headers["Cache-Control"] == "no-store"


def test_errors_redirects_and_static_files_carry_the_headers_too(client):  # noqa: ANN001
    responses = [
        client.post("/login", data={}),  # 400: no CSRF token
        client.post("/login", data={"x": "A" * (4 * 1024 * 1024)}),  # 413
        client.delete("/login"),  # 405
        client.get("/consent/sign"),  # 302 to the start
        client.get("/static/css/kiosk.css"),
    ]
    assert [r.status_code for r in responses] == [400, 413, 405, 302, 200]
    for response in responses:
        assert_hardened(response)


def test_patient_and_doctor_pages_with_data_are_not_stored(app, client, wizard, staff):  # noqa: ANN001
    wizard.start()
    assert wizard.identity().status_code == 302
    assert wizard.client.get("/consent/treatment").headers["Cache-Control"] == "no-store"
    staff_login(client, staff["doctor"])
    assert client.get("/doctor/queue").headers["Cache-Control"] == "no-store"


def test_static_files_may_be_cached(client):  # noqa: ANN001
    response = client.get("/static/css/kiosk.css")
    assert response.status_code == 200
    assert response.headers.get("Cache-Control") != "no-store"


def test_session_cookie_is_http_only_and_same_site(app, wizard):  # noqa: ANN001
    wizard.get("/")
    cookie = wizard.client.get_cookie("session")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Lax"
    assert not cookie.secure  # plain HTTP on a demo laptop; production requires Secure (below)


def test_in_production_the_session_cookie_is_https_only(db_url: str) -> None:
    from app import create_app

    app = create_app({"DATABASE_URL": db_url, "AUTO_MIGRATE": False, "ENV_NAME": "production", "SECRET_KEY": "s" * 40,
                      "PUBLIC_URL": "https://kiosk.example",
                      "SESSION_COOKIE_SECURE": True, "TRUSTED_HOSTS": "kiosk.example"})
    client = app.test_client()
    header = client.get("/", base_url="https://kiosk.example").headers["Set-Cookie"]
    assert "; Secure" in header and "; HttpOnly" in header and "SameSite=Lax" in header
    app.extensions["kiosk_db"].kw["bind"].dispose()


def test_behind_a_proxy_the_real_client_address_is_recorded(db_url: str) -> None:
    """Lockouts and the audit log need each tablet's address, not the proxy's."""
    from sqlalchemy import select

    from app import create_app
    from kiosk.core.models import Attempt
    from tests.helpers import staff_login

    app = create_app({"TESTING": True, "SECRET_KEY": "t", "DATABASE_URL": db_url, "AUTO_MIGRATE": False,
                      "PROXY_FIX_HOPS": 1})
    client = app.test_client()
    client.environ_base["HTTP_X_FORWARDED_FOR"] = "192.0.2.44"
    staff_login(client, "nobody@x.test", "wrong password here")
    session = app.extensions["kiosk_db"]()
    assert session.scalars(select(Attempt.ip_address)).all() == ["192.0.2.44"]


def test_production_refuses_a_missing_secret_key_and_insecure_cookies(db_url: str) -> None:
    from app import create_app

    base = {"DATABASE_URL": db_url, "AUTO_MIGRATE": False, "ENV_NAME": "production", "PUBLIC_URL": "https://kiosk.example"}
    with pytest.raises(SystemExit) as refused:
        create_app(base)
    message = str(refused.value)
    assert "KIOSK_SECRET_KEY" in message and "KIOSK_SESSION_COOKIE_SECURE" in message and "KIOSK_TRUSTED_HOSTS" in message
    with pytest.raises(SystemExit, match="KIOSK_SESSION_COOKIE_SECURE"):
        create_app({**base, "SECRET_KEY": "x" * 64, "TRUSTED_HOSTS": "kiosk.example"})
    with pytest.raises(SystemExit, match="KIOSK_TRUSTED_HOSTS"):
        create_app({**base, "SECRET_KEY": "x" * 64, "SESSION_COOKIE_SECURE": True})
    app = create_app({**base, "SECRET_KEY": "x" * 64, "SESSION_COOKIE_SECURE": True,
                      "TRUSTED_HOSTS": "kiosk.example, kiosk.local"})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["TRUSTED_HOSTS"] == ["kiosk.example", "kiosk.local"]


def test_a_forged_host_header_gets_no_redirect_to_another_host(db_url: str) -> None:
    """Werkzeug's slash-merging redirect used to send `//admin//audit` with `Host: evil.example` to evil.example."""
    from app import create_app

    app = create_app({"TESTING": True, "SECRET_KEY": "t", "DATABASE_URL": db_url, "AUTO_MIGRATE": False,
                      "TRUSTED_HOSTS": "kiosk.example"})
    client = app.test_client()
    forged = client.get("//admin//audit", headers={"Host": "evil.example"})
    assert forged.status_code == 400 and "evil.example" not in forged.headers.get("Location", "")
    honest = client.get("//admin//audit", headers={"Host": "kiosk.example"})
    assert honest.status_code == 308 and honest.headers["Location"].startswith("http://kiosk.example/")
    assert client.get("/login", headers={"Host": "kiosk.example:8443"}).status_code == 200  # any port of a trusted host
    app.extensions["kiosk_db"].kw["bind"].dispose()


def test_the_sqlite_database_and_the_instance_folder_are_private(tmp_path: Path) -> None:
    """Patient data at rest is readable by the app's own account only, like the keys beside it."""
    import os
    import stat

    from sqlalchemy import text

    from app import create_app

    path = tmp_path / "clinic" / "kiosk.sqlite3"
    app = create_app({"TESTING": True, "SECRET_KEY": "t", "DATABASE_URL": f"sqlite:///{path}", "AUTO_MIGRATE": True})
    session = app.extensions["kiosk_db"]()
    session.execute(text("SELECT count(*) FROM audit_events"))
    for file in (path, path.with_name(path.name + "-wal")):
        assert file.exists(), file
        assert stat.S_IMODE(os.stat(file).st_mode) == 0o600, (file, oct(os.stat(file).st_mode))
    assert stat.S_IMODE(os.stat(app.instance_path).st_mode) == 0o700
    session.close()
    app.extensions["kiosk_db"].kw["bind"].dispose()
