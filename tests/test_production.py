"""The production entry point, run for real: gunicorn from gunicorn.conf.py, its refusals, and several processes at once."""

from __future__ import annotations

import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app import create_app
from kiosk.staff import accounts
from kiosk.desk import sessions as desk
from kiosk.core.models import Consent, DocumentRevision, Draft
from tests.support import ROOT, WizardDriver, csrf_token
from tests.helpers import staff_login
from tests.live import HttpTablet, gunicorn, server_env, start_gunicorn


def test_production_refuses_to_start_without_a_secret_key_and_https_cookies(tmp_path: Path) -> None:
    env = server_env(f"sqlite:///{tmp_path / 'clinic.sqlite3'}")
    del env["KIOSK_SECRET_KEY"], env["KIOSK_SESSION_COOKIE_SECURE"]
    process = start_gunicorn(env, tmp_path / "gunicorn.log")
    assert process.wait(timeout=30) != 0
    log = (tmp_path / "gunicorn.log").read_text()
    assert "will not start in production" in log
    assert "set KIOSK_SECRET_KEY" in log and "set KIOSK_SESSION_COOKIE_SECURE=true" in log
    assert "Traceback" not in log
    assert "Booting worker" not in log  # refused in the master, before any worker serves a patient


def test_a_short_secret_key_alone_is_refused_too(tmp_path: Path) -> None:
    env = server_env(f"sqlite:///{tmp_path / 'clinic.sqlite3'}", KIOSK_SECRET_KEY="short")
    process = start_gunicorn(env, tmp_path / "gunicorn.log")
    assert process.wait(timeout=30) != 0
    log = (tmp_path / "gunicorn.log").read_text()
    assert "set KIOSK_SECRET_KEY" in log and "KIOSK_SESSION_COOKIE_SECURE" not in log


def test_production_refuses_to_start_without_a_usable_signing_key(tmp_path: Path) -> None:
    """No server may take patients' signatures it cannot seal: a missing or unopenable key stops the start."""
    database = f"sqlite:///{tmp_path / 'clinic.sqlite3'}"
    missing = server_env(database, KIOSK_SIGNING_KEY_FILE=str(tmp_path / "no-such-key.p12"))
    wrong_passphrase = server_env(database, KIOSK_SIGNING_KEY_PASSPHRASE="not the passphrase")
    for name, env in (("missing", missing), ("wrong", wrong_passphrase)):
        process = start_gunicorn(env, tmp_path / f"{name}.log")
        assert process.wait(timeout=30) != 0
        log = (tmp_path / f"{name}.log").read_text()
        assert "will not start" in log and "KIOSK_SIGNING_KEY_FILE" in log, log
        assert "Traceback" not in log and "Booting worker" not in log
    assert "init-signing-key" in (tmp_path / "missing.log").read_text()
    assert "wrong passphrase" in (tmp_path / "wrong.log").read_text()


def test_production_serves_https_only_httponly_same_site_cookies_and_the_security_headers(tmp_path: Path) -> None:
    with gunicorn(server_env(f"sqlite:///{tmp_path / 'clinic.sqlite3'}"), tmp_path / "gunicorn.log") as server:
        response = HttpTablet([server.address], application=None).get("/?device=Tablet-1")  # type: ignore[arg-type]
    assert response.status_code == 200
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("session=")
    assert "; Secure" in cookie and "; HttpOnly" in cookie and "SameSite=Lax" in cookie
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_processes_migrating_one_empty_database_at_once_all_succeed(empty_db_url: str) -> None:
    """Hosts of a clinic chain start together on a new database: one migrates, the others wait for it."""
    code = f"from kiosk.core.migrate import upgrade; upgrade({empty_db_url!r})"
    processes = [subprocess.Popen([sys.executable, "-c", code], cwd=ROOT, stderr=subprocess.PIPE, text=True)
                 for _ in range(4)]
    errors = [process.communicate(timeout=120)[1] for process in processes]
    assert [process.returncode for process in processes] == [0] * 4, errors
    app = create_app({"TESTING": True, "DATABASE_URL": empty_db_url, "AUTO_MIGRATE": False, "SECRET_KEY": "m"})
    with app.extensions["kiosk_db"]() as session:
        assert session.execute(select(func.count()).select_from(Draft)).scalar() == 0
    app.extensions["kiosk_db"].kw["bind"].dispose()


def test_two_servers_share_everything_through_the_database(db_url: str, tmp_path: Path) -> None:
    """Two app servers with two workers each share only the database: drafts, codes, lockouts, rate limits."""
    modality = "chemical_peel"
    app = create_app({"TESTING": True, "DATABASE_URL": db_url, "AUTO_MIGRATE": False, "SECRET_KEY": "local"})
    env = server_env(db_url)
    with gunicorn(env, tmp_path / "a.log", workers=2) as first, gunicorn(env, tmp_path / "b.log", workers=2) as second:
        servers = [first.address, second.address]
        tablet = HttpTablet(servers, application=app)  # every request goes to the other server
        wizard = WizardDriver(tablet)  # type: ignore[arg-type]
        wizard.ready_to_sign(app, modality)
        response = wizard.sign(typed_signature="Zoë Ñúñez")
        assert response.status_code == 302 and response.headers["Location"].endswith("/consent/done")
        assert tablet.get("/consent/done").status_code == 200

        # wrong passwords spread over both servers add up to one lockout
        intruder = HttpTablet(servers, application=app)
        statuses = [staff_login(intruder, "doctor@x.test", f"wrong password {n}").status_code for n in range(6)]
        assert statuses == [200] * accounts.LOGIN_FAILURE_LIMIT + [429]

        # so do wrong tablet codes
        guesser = HttpTablet(servers, application=app)
        codes = []
        for _ in range(desk.MAX_FAILED_TRIES + 1):
            token = csrf_token(guesser.get("/").get_data(as_text=True))
            codes.append(guesser.post("/consent/start", {"csrf_token": token, "code": "ZZZ-ZZZ"}).status_code)
        assert codes == [200] * desk.MAX_FAILED_TRIES + [429]
    with app.extensions["kiosk_db"]() as session:
        [consent] = session.scalars(select(Consent)).all()
        assert consent.patient_name == "Zoë Ñúñez" and consent.modality == modality
        assert session.scalar(select(func.count()).select_from(DocumentRevision)) == 1
    app.extensions["kiosk_db"].kw["bind"].dispose()


def test_production_refuses_to_listen_beyond_this_machine_without_a_proxy(tmp_path: Path) -> None:
    """Without a buffering proxy in front, a few clients sending a byte at a time hold every worker thread."""
    from tests.live import GUNICORN

    env = {**server_env(f"sqlite:///{tmp_path / 'clinic.sqlite3'}"), "KIOSK_BIND": "0.0.0.0:0"}
    with (tmp_path / "gunicorn.log").open("wb") as log:
        process = subprocess.Popen([str(GUNICORN), "-c", "gunicorn.conf.py"], cwd=ROOT, env=env, stdout=log,
                                   stderr=subprocess.STDOUT)
    assert process.wait(timeout=30) != 0
    text = (tmp_path / "gunicorn.log").read_text()
    assert "will not start in production" in text and "behind a reverse proxy" in text and "0.0.0.0:0" in text
    assert "Listening at" not in text and "Traceback" not in text


def test_a_proxy_in_front_or_a_loopback_address_is_accepted(db_url: str) -> None:
    base = {"DATABASE_URL": db_url, "AUTO_MIGRATE": False, "ENV_NAME": "production", "SECRET_KEY": "x" * 64,
            "SESSION_COOKIE_SECURE": True, "TRUSTED_HOSTS": "kiosk.example", "PUBLIC_URL": "https://kiosk.example"}
    with pytest.raises(SystemExit, match="behind a reverse proxy"):
        create_app({**base, "BIND": "10.0.0.5:8000"})
    for accepted in ({"BIND": "10.0.0.5:8000", "PROXY_FIX_HOPS": 1}, {"BIND": "127.0.0.1:8000,unix:/run/kiosk.sock"}, {}):
        app = create_app({**base, **accepted})
        app.extensions["kiosk_db"].kw["bind"].dispose()


def test_production_refuses_a_loopback_public_address_with_a_clear_message(db_url: str) -> None:
    """Every PDF prints KIOSK_PUBLIC_URL as where to verify it: a loopback address would send patients nowhere."""
    base = {"DATABASE_URL": db_url, "AUTO_MIGRATE": False, "ENV_NAME": "production", "SECRET_KEY": "x" * 64,
            "SESSION_COOKIE_SECURE": True, "TRUSTED_HOSTS": "kiosk.example"}
    for loopback in ("http://127.0.0.1:5000", "http://localhost:5000", "https://[::1]/", "http://0.0.0.0:8000", ""):
        with pytest.raises(SystemExit) as refused:
            create_app({**base, "PUBLIC_URL": loopback})
        assert "set KIOSK_PUBLIC_URL to the https:// address" in str(refused.value), loopback
    with pytest.raises(SystemExit, match="KIOSK_PUBLIC_URL"):
        create_app(base)  # the default is the loopback address of a demo laptop
    app = create_app({**base, "PUBLIC_URL": "https://kiosk.example"})
    app.extensions["kiosk_db"].kw["bind"].dispose()


def test_development_warns_once_that_pdfs_will_print_a_loopback_address(db_url: str,
                                                                        caplog: pytest.LogCaptureFixture) -> None:
    address = f"http://127.0.0.1:{secrets.randbelow(50000) + 10000}"  # not warned yet by another test of this process
    settings = {"DATABASE_URL": db_url, "AUTO_MIGRATE": False, "SECRET_KEY": "d", "ENV_NAME": "development",
                "PUBLIC_URL": address}
    with caplog.at_level("WARNING"):
        for _ in range(2):
            app = create_app(settings)
            if not caplog.records:
                assert not app.test_cli_runner().invoke(args=["sites"]).stderr  # a command says nothing
            for _ in range(2):
                app.test_client().get("/verify")  # the server says it at its first request
            app.extensions["kiosk_db"].kw["bind"].dispose()
        quiet = create_app({**settings, "PUBLIC_URL": "https://kiosk.example"})
        quiet.test_client().get("/verify")
        quiet.extensions["kiosk_db"].kw["bind"].dispose()
    warned = [r.getMessage() for r in caplog.records if "KIOSK_PUBLIC_URL" in r.getMessage()]
    assert warned == [f"KIOSK_PUBLIC_URL is {address}: every PDF signed here will print that loopback "
                      "address as where to verify it; set KIOSK_PUBLIC_URL to the clinic's real address before "
                      "patients sign"]
