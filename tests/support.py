"""What tests share besides fixtures: the repository root, the CI rule for missing tools, the test seal's
passphrase, and a driver that walks the tablet wizard like a patient. Tests and benches import it from here;
tests/conftest.py holds only fixtures and hooks."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from kiosk.core.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() == "true"
SIGNING_PASSPHRASE = "test seal passphrase"
POSTGRES_URL = os.environ.get("KIOSK_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def need(condition: bool, what_to_install: str) -> None:
    """Skip when a tool is missing on a developer's machine; under CI=true that is a failure."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"missing in CI: {what_to_install}")
    pytest.skip(f"needs {what_to_install}")



_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


class WizardDriver:
    """Walks the tablet wizard like a patient: GET each page, then POST it with its CSRF token."""

    def __init__(self, client: FlaskClient) -> None:
        self.client = client
        self.token: str | None = None

    def get(self, url: str, **kwargs: Any):  # noqa: ANN201
        response = self.client.get(url, **kwargs)
        match = _CSRF.search(response.get_data(as_text=True))
        if match:
            self.token = match.group(1)
        return response

    def post(self, url: str, data: dict[str, Any], follow: bool = False):  # noqa: ANN201
        if self.token is None:
            self.get(url)
        return self.client.post(url, data={"csrf_token": self.token, **data}, follow_redirects=follow)

    def submit(self, url: str, data: dict[str, Any], follow: bool = False):  # noqa: ANN201
        """GET the page (as a patient sees it first), then POST the answers."""
        self.get(url)
        return self.post(url, data, follow=follow)

    def start(self, name: str = "Zoë Ñúñez", dob: str = "1990-05-17", modality: str | None = None,  # noqa: ANN201
              identity_check: str | None = None):
        """The desk starts a session through its service; the patient types its code on the tablet's start page."""
        from datetime import date

        from kiosk.core import audit
        from kiosk.core.clinic import services_of
        from kiosk.desk import sessions as desk

        app = self.client.application
        session = app.extensions["kiosk_db"]()
        try:
            issued = desk.issue_session(
                session, desk.NewPatient(full_name=name, date_of_birth=date.fromisoformat(dob), modality=modality,
                                         identity_check=identity_check),
                issued_by=None, who=audit.Who(actor="tests"), language="en",
                now=services_of(app).clock())  # the app's own clock, which a test may have set
        finally:
            session.close()
        self.get("/")
        response = self.post("/consent/start", {"code": issued.display})
        assert response.status_code == 302, response.status_code
        return issued

    def identity(self, name: str = "Zoë Ñúñez", dob: str = "1990-05-17", **extra: str):  # noqa: ANN201
        return self.submit("/consent/identity", {"full_name": name, "date_of_birth": dob, "phone": "", "email": "",
                                                 **extra})

    def treatment(self, modality: str = "co2_laser", areas: tuple[str, ...] = ("abdomen",), other: str = "",  # noqa: ANN201
                  confirm_other: bool = True):
        """Choose a treatment; `confirm_other` also ticks the confirmation asked when it is not the planned one."""
        fields: dict[str, Any] = {"modality": modality, "areas": list(areas), "area_other": other}
        if confirm_other:
            fields["confirm_other"] = "y"
        return self.submit("/consent/treatment", fields)

    def read_for(self, seconds: float) -> None:
        """The patient reads: the app's clock moves on, as time on screen is judged (the rushed_reading flag).

        A whole consent moves it about 9 minutes (240 s on the explanation, 20 s a risk), under the 15 minutes after
        which a staff session of the same app ends.
        """
        from datetime import timedelta

        from kiosk.core.clinic import services_of

        services = services_of(self.client.application)
        before = services.clock
        services.clock = lambda: before() + timedelta(seconds=seconds)

    def explanation(self, read_seconds: float = 240):  # noqa: ANN201
        self.get("/consent/explanation")
        self.read_for(read_seconds)
        return self.post("/consent/explanation", {"understood": "y"})

    def risks(self, app: Flask, modality: str, initials: str | None = None, read_seconds: float = 20) -> list[str]:
        """Acknowledge every risk: the first adopts `initials` (None: the ones proposed from the name), the rest are
        one tap each."""
        ids = [r.id for r in app.extensions["kiosk_texts"].modality("en", modality).risks]
        for index in range(1, len(ids) + 1):
            fields = {"initials": initials} if initials is not None and index == 1 else {}
            self.get(f"/consent/risks/{index}")
            self.read_for(read_seconds)
            response = self.post(f"/consent/risks/{index}", fields)
            assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return ids

    def comprehension(self, app: Flask, modality: str, wrong: tuple[str, ...] = ()):  # noqa: ANN201
        """Answer the check after the risks: right, except a wrong option for each question id in `wrong`."""
        data: dict[str, str] = {}
        for check in app.extensions["kiosk_texts"].modality("en", modality).comprehension:
            pick = next(o.id for o in check.options if o.id != check.answer) if check.id in wrong else check.answer
            data[f"c_{check.id}"] = pick
        return self.submit("/consent/comprehension", data)

    def comprehension_again(self, app: Flask, modality: str, again: tuple[str, ...], wrong: tuple[str, ...] = ()):  # noqa: ANN201
        """Answer the questions asked again after wrong answers (`again`): right, except those in `wrong`."""
        data: dict[str, str] = {}
        for check in app.extensions["kiosk_texts"].modality("en", modality).comprehension:
            if check.id in again:
                wrong_pick = next(o.id for o in check.options if o.id != check.answer)
                data[f"c_{check.id}"] = wrong_pick if check.id in wrong else check.answer
        return self.submit("/consent/comprehension", data)

    def screening(self, app: Flask, modality: str, yes: dict[str, str] | None = None):  # noqa: ANN201
        """Answer no to every question except those in `yes` (id: detail, a date, or a choice's option)."""
        yes = yes or {}
        data: dict[str, Any] = {}
        for q in app.extensions["kiosk_texts"].rules.questions_for(modality):
            if q.type == "choice":  # `yes` gives the option chosen; otherwise the first, which raises nothing
                data[f"q_{q.id}"] = yes.get(q.id, q.options[0])
            elif q.asked_if and q.asked_if not in yes:
                continue  # a follow-up is asked only after a yes to its question
            elif q.id in yes:
                data[f"q_{q.id}"] = "yes"
                if q.type == "date":
                    data[f"date_{q.id}"] = yes[q.id]
                else:
                    data[f"detail_{q.id}"] = yes[q.id]
            else:
                data[f"q_{q.id}"] = "no"
        return self.submit("/consent/screening", data)

    def review(self):  # noqa: ANN201
        return self.submit("/consent/review", {"esign_agree": "y"})

    def sign(self, **data: Any):  # noqa: ANN201
        fields = {"consent_agree": "y", "signature_data": "", "typed_signature": "", "printed_name": "ZOË ÑÚÑEZ"}
        fields.update(data)
        return self.submit("/consent/sign", fields)

    def switch_language(self, lang: str, next_url: str = "/consent/identity") -> None:
        """Press the language button on a patient page; the next pages read in `lang`."""
        self.get(next_url)
        self.client.post("/language", data={"csrf_token": self.token, "lang": lang, "next": next_url})

    def ready_to_sign(self, app: Flask, modality: str = "co2_laser", *, name: str = "Zoë Ñúñez",
                      yes: dict[str, str] | None = None, wrong: tuple[str, ...] = (), language: str = "en",
                      email: str = "", identity_check: str | None = None, areas: tuple[str, ...] = ("abdomen",),
                      other: str = "") -> None:
        """Start with a desk code and answer every step before the signature (`wrong`: see comprehension), in
        `language`, with the email address, the desk's identity check and the areas given."""
        self.start(name=name, identity_check=identity_check)
        if language != "en":
            self.switch_language(language)
        assert self.identity(name=name, email=email).status_code == 302
        assert self.treatment(modality, areas=areas, other=other).status_code == 302
        assert self.explanation().status_code == 302
        self.risks(app, modality)
        assert self.comprehension(app, modality, wrong).status_code == 302
        if wrong:  # the right answers were shown; the patient answers those questions again, rightly
            assert self.comprehension_again(app, modality, wrong).status_code == 302
        assert self.screening(app, modality, yes).status_code == 302
        assert self.review().status_code == 302

    def complete(self, app: Flask, modality: str = "co2_laser", *, name: str = "Zoë Ñúñez",
                 yes: dict[str, str] | None = None, wrong: tuple[str, ...] = (), **sign: Any):  # noqa: ANN201
        """Every step up to the signature, then sign; returns the sign POST's response."""
        self.ready_to_sign(app, modality, name=name, yes=yes, wrong=wrong)
        return self.sign(**sign)


class PostgresServer:
    """The local PostgreSQL server: a migrated template database per test session, and fresh copies of it.

    Names carry the process id and a random part, so several test runs on one machine never collide.
    """

    def __init__(self, url: str) -> None:
        from kiosk.core.db import make_engine

        self.url = url
        self.admin = make_engine(url).execution_options(isolation_level="AUTOCOMMIT")
        self.template: str | None = None

    def available(self) -> bool:
        from sqlalchemy.exc import OperationalError

        try:
            with self.admin.connect() as connection:
                connection.exec_driver_sql("SELECT 1")
        except OperationalError:
            return False
        return True

    def url_for(self, name: str) -> str:
        return self.url.rsplit("/", 1)[0] + f"/{name}"

    def create(self, prefix: str = "kiosk_test", *, empty: bool = False) -> str:
        """A new database copied from the migrated template (about 50 ms), or an empty one; returns its URL."""
        import uuid

        if empty:
            name = f"{prefix}_empty_{os.getpid()}_{uuid.uuid4().hex[:12]}"
            self._execute(f'CREATE DATABASE "{name}"')
            return self.url_for(name)
        if self.template is None:
            self.template = f"kiosk_tpl_{os.getpid()}_{uuid.uuid4().hex[:8]}"
            self._execute(f'CREATE DATABASE "{self.template}"')
            upgrade(self.url_for(self.template))
        name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:12]}"
        self._execute(f'CREATE DATABASE "{name}" TEMPLATE "{self.template}"')
        return self.url_for(name)

    @contextmanager
    def database(self, prefix: str = "kiosk_test", *, empty: bool = False) -> Iterator[str]:
        """A new database for the length of the block, dropped afterwards."""
        url = self.create(prefix, empty=empty)
        try:
            yield url
        finally:
            self.drop(url)

    def drop(self, url: str) -> None:
        """Drop a test's database; sessions a test left open are closed first, so nothing talks to it after."""
        from sqlalchemy.orm import close_all_sessions

        close_all_sessions()
        self._execute(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')

    def close(self) -> None:
        if self.template is not None:
            self._execute(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')
        self.admin.dispose()

    def _execute(self, sql: str) -> None:
        with self.admin.connect() as connection:
            connection.exec_driver_sql(sql)
