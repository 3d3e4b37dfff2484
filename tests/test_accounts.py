"""Staff accounts: the password policy and the create-user command."""

from __future__ import annotations

import os
from datetime import datetime, timezone
import secrets
import subprocess
import sys

import pytest
from sqlalchemy import select

from kiosk.staff import accounts
from kiosk.core.models import AuditEvent, User
from tests.support import ROOT
from tests.helpers import staff_login

GOOD = "plum tram violet 1987"


@pytest.mark.parametrize(("password", "email", "expected"), [
    ("short pw 1", "a@x.test", "at least 12 characters"),
    ("x" * 257, "a@x.test", "at most 256 characters"),
    ("qwertyuiop123", "a@x.test", "most commonly used"),
    ("PassWordPassWord", "a@x.test", "most commonly used"),
    ("7777777777777", "a@x.test", "one character repeated"),
    ("elena.ruiz rocks 2024", "elena.ruiz@clinic.example", "(elena.ruiz)"),
    ("my name is RUIZ really", "elena.ruiz@clinic.example", "(ruiz)"),
])
def test_the_policy_refuses_weak_passwords_with_a_reason(password: str, email: str, expected: str) -> None:
    problem = accounts.password_problem(password, email)
    assert problem is not None and expected in problem


def test_the_policy_accepts_a_long_uncommon_password_and_the_demo_logins() -> None:
    assert accounts.password_problem(GOOD, "elena.ruiz@clinic.example") is None
    assert len(accounts.common_passwords()) >= 200
    # seed-demo makes its staff passwords like this
    for email in ("doctor@demo.clinic", "frontdesk@demo.clinic", "admin@demo.clinic"):
        assert accounts.password_problem(secrets.token_urlsafe(12), email) is None


def test_services_refuse_weak_passwords_too(app) -> None:  # noqa: ANN001
    session = app.extensions["kiosk_db"]()
    with pytest.raises(accounts.AccountError, match="at least 12"):
        accounts.create_user(session, email="n@x.test", role="doctor", name="N", password="short")
    user = accounts.create_user(session, email="n@x.test", role="doctor", name="N", password=GOOD)
    with pytest.raises(accounts.AccountError, match="commonly used"):
        accounts.set_password(session, user, "password123456", now=datetime.now(timezone.utc))
    session.close()


def invoke(app, *args: str, password: str | None = GOOD):  # noqa: ANN001, ANN201
    return app.test_cli_runner().invoke(args=["create-user", *args],
                                        input=None if password is None else password + "\n")


def users(app) -> list[User]:  # noqa: ANN001
    return app.extensions["kiosk_db"]().scalars(select(User).order_by(User.id)).all()


def test_create_user_makes_a_login_that_signs_in_and_is_audited(app, client) -> None:  # noqa: ANN001
    result = invoke(app, "Elena.Ruiz@Clinic.Example", "--role", "doctor", "--name", "Dr. Elena Ruiz")
    assert result.exit_code == 0, result.output
    assert "created doctor login elena.ruiz@clinic.example" in result.output
    assert GOOD not in result.output
    [user] = users(app)
    assert (user.email, user.role, user.name) == ("elena.ruiz@clinic.example", "doctor", "Dr. Elena Ruiz")
    assert user.password_hash.startswith("scrypt:")
    [event] = app.extensions["kiosk_db"]().scalars(select(AuditEvent)).all()
    assert (event.action, event.actor, event.target) == ("user_created", "cli", "elena.ruiz@clinic.example")
    response = staff_login(client, "elena.ruiz@clinic.example", GOOD)
    assert response.status_code == 302


def one_error_line(result) -> str:  # noqa: ANN001
    assert result.exit_code != 0
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def test_create_user_refuses_a_duplicate_email(app) -> None:  # noqa: ANN001
    assert invoke(app, "nurse@x.test", "--role", "frontdesk", "--name", "A").exit_code == 0
    line = one_error_line(invoke(app, "NURSE@x.test", "--role", "admin", "--name", "B"))
    assert "already exists" in line
    assert [u.name for u in users(app)] == ["A"]


@pytest.mark.parametrize(("args", "password", "expected"), [
    (("a@x.test", "--role", "nurse", "--name", "A"), GOOD, "unknown role 'nurse' (choose one of: frontdesk, doctor, admin)"),
    (("not-an-email", "--role", "doctor", "--name", "A"), GOOD, "'not-an-email' is not a valid email address"),
    (("a@x.test", "--name", "A"), GOOD, "--role"),
    (("a@x.test", "--role", "doctor", "--name", " "), GOOD, "name must not be empty"),
    (("a@x.test", "--role", "doctor", "--name", "A"), "too short", "at least 12 characters"),
    (("a@x.test", "--role", "doctor", "--name", "A"), "password1234", "most commonly used"),
    (("anna.berg@x.test", "--role", "doctor", "--name", "A"), "i am anna.berg ok", "(anna.berg)"),
    (("a@x.test", "--role", "doctor", "--name", "A"), None, "no password on standard input"),
])
def test_create_user_refusals_are_one_line_on_stderr(app, args, password, expected) -> None:  # noqa: ANN001
    assert expected in one_error_line(invoke(app, *args, password=password))
    assert users(app) == []


def test_create_user_reads_the_password_piped_to_a_real_process(app, db_url: str) -> None:  # noqa: ANN001
    env = {**os.environ, "DATABASE_URL": db_url, "KIOSK_SECRET_KEY": "test-secret", "KIOSK_AUTO_MIGRATE": "false"}
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "create-user", "desk@x.test",
                           "--role", "frontdesk", "--name", "Marta Gómez"],
                          input=GOOD + "\n", capture_output=True, text=True, cwd=ROOT, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "created frontdesk login desk@x.test" in done.stdout and GOOD not in done.stdout
    [user] = users(app)
    assert user.name == "Marta Gómez"
    again = subprocess.run([sys.executable, "-m", "flask", "--app", "app", "create-user", "desk@x.test",
                            "--role", "frontdesk", "--name", "Marta Gómez"],
                           input=GOOD + "\n", capture_output=True, text=True, cwd=ROOT, env=env, timeout=60)
    assert again.returncode != 0
    assert again.stderr.strip().splitlines() == ["error: a user with email desk@x.test already exists"]
