"""Shared fixtures: a fresh migrated database per test, the app, and a wizard driver.

The schema comes from the real Alembic migrations, run once per session into a
template file that each test copies, so tests are fast and use what production
uses.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from hypothesis import HealthCheck, settings
from flask.testing import FlaskClient

from app import create_app
from kiosk.core.migrate import upgrade

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() == "true"


# Property tests: few examples so the suite stays fast; under CI the examples are fixed, so a run is reproducible.
# One database serves all the examples of a test, so the function-scoped-fixture check is off on purpose.
settings.register_profile("kiosk", max_examples=int(os.environ.get("KIOSK_HYPOTHESIS_EXAMPLES", "15")),
                          deadline=None, derandomize=IN_CI, database=None, print_blob=True,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.load_profile("kiosk")


def need(condition: bool, what_to_install: str) -> None:
    """Skip when a tool is missing on a developer's machine; under CI=true that is a failure."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"missing in CI: {what_to_install}")
    pytest.skip(f"needs {what_to_install}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Under CI=true any skip, however it came about, is reported as a failure, so CI never passes on tests it did not run.

    Made in the process that ran the test, so it holds under pytest-xdist too: the workers send the failure on.
    """
    report = yield
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = f"under CI=true a skip is a failure: {reason}"
    return report


@pytest.fixture(scope="session", autouse=True)
def instance_demo_key() -> None:
    """The demo seal in the instance folder, made once before any test and under a lock.

    Apps that tests start in development without a seal of their own make and share this key on first use;
    made here first, parallel workers (pytest -n) only ever read a finished file.
    """
    import fcntl
    from datetime import datetime, timezone

    from kiosk.core.config import load_config
    from kiosk.documents.sealing import SealKeyError
    from kiosk.documents.signing_keys import signing_key

    config = Flask("app", root_path=str(ROOT), instance_relative_config=True)
    load_config(config, {"SECRET_KEY": "unused", "ENV_NAME": "development"})
    key_file = Path(config.config["SIGNING_KEY_FILE"])
    key_file.parent.mkdir(parents=True, exist_ok=True)
    folder = os.open(key_file.parent, os.O_RDONLY)
    try:
        fcntl.flock(folder, fcntl.LOCK_EX)
        signing_key(key_file, config.config["SIGNING_KEY_PASSPHRASE"], create_if_missing=True,
                    organisation=config.config["CLINIC_NAME"], now=datetime.now(timezone.utc))
    except SealKeyError:
        pass  # an unusable key someone left there: the tests that seal with it say so
    finally:
        os.close(folder)


BACKENDS = ("sqlite", "postgresql")
POSTGRES_URL = os.environ.get("KIOSK_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


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


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer | None]:
    """The server, or None when it is not running (the tests that need it skip, or fail under CI)."""
    server = PostgresServer(POSTGRES_URL)
    if not server.available():
        server.admin.dispose()
        yield None
        return
    try:
        yield server
    finally:
        server.close()


def _need_postgres(server: PostgresServer | None) -> PostgresServer:
    need(server is not None,
         f"a PostgreSQL server at {POSTGRES_URL} (apt-get install postgresql, or set KIOSK_TEST_POSTGRES_URL)")
    assert server is not None
    return server


@pytest.fixture(params=BACKENDS)
def db_backend(request: pytest.FixtureRequest) -> str:
    """Every test that touches the database runs once on SQLite and once on PostgreSQL."""
    return request.param


@pytest.fixture
def db_url(db_backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh database of the test's backend, migrated by Alembic (copied from a template built once)."""
    if db_backend == "sqlite":
        template = request.getfixturevalue("template_db")
        path = tmp_path / "test.sqlite3"
        shutil.copyfile(template, path)
        yield f"sqlite:///{path}"
        return
    with _need_postgres(request.getfixturevalue("postgres_server")).database() as url:
        yield url


@pytest.fixture
def empty_db_url(db_backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all, of the test's backend, for testing the migrations themselves."""
    if db_backend == "sqlite":
        yield f"sqlite:///{tmp_path / 'empty.sqlite3'}"
        return
    with _need_postgres(request.getfixturevalue("postgres_server")).database(empty=True) as url:
        yield url


@pytest.fixture
def pg_url(postgres_server: PostgresServer | None) -> Iterator[str]:
    """A fresh PostgreSQL database for one test, migrated by Alembic, dropped afterwards."""
    with _need_postgres(postgres_server).database() as url:
        yield url


SIGNING_PASSPHRASE = "test seal passphrase"


@pytest.fixture(scope="session")
def signing_key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One self-signed seal for the whole test session (an RSA key takes a moment to generate)."""
    from datetime import datetime, timezone

    from kiosk.documents.sealing import create_signing_key

    path = tmp_path_factory.mktemp("seal") / "signing-key.p12"
    create_signing_key(path, SIGNING_PASSPHRASE, organisation="Test Clinic", now=datetime.now(timezone.utc))
    return path


@pytest.fixture
def app(db_url: str, tmp_path: Path, signing_key_file: Path) -> Iterator[Flask]:
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": db_url,
        "AUTO_MIGRATE": False,
        "CLINIC_NAME": "Test Clinic",
        "SIGNING_KEY_FILE": str(signing_key_file),
        "SIGNING_KEY_PASSPHRASE": SIGNING_PASSPHRASE,
        "ENV_NAME": "test",  # never make a demo key: a test without one must fail loudly
    })
    yield app
    app.extensions["kiosk_db"].kw["bind"].dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


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

    def start(self, name: str = "Zoë Ñúñez", dob: str = "1990-05-17", modality: str | None = None):  # noqa: ANN201
        """The desk starts a session through its service; the patient types its code on the tablet's start page."""
        from datetime import date

        from kiosk.core import audit
        from kiosk.core.clinic import services_of
        from kiosk.desk import sessions as desk

        app = self.client.application
        session = app.extensions["kiosk_db"]()
        try:
            issued = desk.issue_session(
                session, desk.NewPatient(full_name=name, date_of_birth=date.fromisoformat(dob), modality=modality),
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

    def treatment(self, modality: str = "co2_laser", areas: tuple[str, ...] = ("abdomen",), other: str = ""):  # noqa: ANN201
        return self.submit("/consent/treatment", {"modality": modality, "areas": list(areas), "area_other": other})

    def explanation(self):  # noqa: ANN201
        return self.submit("/consent/explanation", {"understood": "y"})

    def risks(self, app: Flask, modality: str, initials: str = "ZÑ") -> list[str]:
        ids = [r.id for r in app.extensions["kiosk_texts"].modality("en", modality).risks]
        for index in range(1, len(ids) + 1):
            response = self.submit(f"/consent/risks/{index}", {"acknowledged": "y", "initials": initials})
            assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return ids

    def comprehension(self, app: Flask, modality: str, wrong: tuple[str, ...] = ()):  # noqa: ANN201
        """Answer the check after the risks: right, except a wrong option for each question id in `wrong`."""
        data: dict[str, str] = {}
        for check in app.extensions["kiosk_texts"].modality("en", modality).comprehension:
            pick = next(o.id for o in check.options if o.id != check.answer) if check.id in wrong else check.answer
            data[f"c_{check.id}"] = pick
        return self.submit("/consent/comprehension", data)

    def screening(self, app: Flask, modality: str, yes: dict[str, str] | None = None):  # noqa: ANN201
        yes = yes or {}
        data: dict[str, Any] = {}
        for q in app.extensions["kiosk_texts"].rules.questions_for(modality):
            if q.id in yes:
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

    def ready_to_sign(self, app: Flask, modality: str = "co2_laser", *, name: str = "Zoë Ñúñez",
                      yes: dict[str, str] | None = None, wrong: tuple[str, ...] = ()) -> None:
        """Start with a desk code and answer every step before the signature (`wrong`: see comprehension)."""
        self.start()
        assert self.identity(name=name).status_code == 302
        assert self.treatment(modality).status_code == 302
        assert self.explanation().status_code == 302
        self.risks(app, modality)
        assert self.comprehension(app, modality, wrong).status_code == 302
        if wrong:  # the right answers were shown; the patient goes on
            assert self.submit("/consent/comprehension", {}).status_code == 302
        assert self.screening(app, modality, yes).status_code == 302
        assert self.review().status_code == 302

    def complete(self, app: Flask, modality: str = "co2_laser", *, name: str = "Zoë Ñúñez",
                 yes: dict[str, str] | None = None, wrong: tuple[str, ...] = (), **sign: Any):  # noqa: ANN201
        """Every step up to the signature, then sign; returns the sign POST's response."""
        self.ready_to_sign(app, modality, name=name, yes=yes, wrong=wrong)
        return self.sign(**sign)


@pytest.fixture
def wizard(client: FlaskClient) -> WizardDriver:
    return WizardDriver(client)


@pytest.fixture
def staff(app: Flask) -> dict[str, str]:
    """One account per role (emails frontdesk@x.test, doctor@x.test, admin@x.test); password STAFF_PASSWORD."""
    from kiosk.staff import accounts
    from tests.helpers import STAFF_PASSWORD

    session = app.extensions["kiosk_db"]()
    for role in accounts.ROLES:
        accounts.create_user(session, email=f"{role}@x.test", role=role, name=f"{role.title()} Person",
                             password=STAFF_PASSWORD)
    session.close()
    return {role: f"{role}@x.test" for role in accounts.ROLES}
