"""Shared fixtures: a fresh migrated database per test, the app, and a wizard driver.

The schema comes from the real Alembic migrations, run once per session into a
template file that each test copies, so tests are fast and use what production
uses.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from hypothesis import HealthCheck, settings
from flask.testing import FlaskClient

from app import create_app
from kiosk.core.migrate import upgrade

from tests.support import IN_CI, POSTGRES_URL, PostgresServer, ROOT, SIGNING_PASSPHRASE, WizardDriver, need


# Property tests: few examples so the suite stays fast; under CI the examples are fixed, so a run is reproducible.
# One database serves all the examples of a test, so the function-scoped-fixture check is off on purpose.
settings.register_profile("kiosk", max_examples=int(os.environ.get("KIOSK_HYPOTHESIS_EXAMPLES", "15")),
                          deadline=None, derandomize=IN_CI, database=None, print_blob=True,
                          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
settings.load_profile("kiosk")


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


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


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
