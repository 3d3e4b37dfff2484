"""Faults in the middle of a final submission, on real gunicorn processes: nothing half-stored, and the retry works.

Each test signs several consents and strikes at a different moment of each submission: the
worker is killed with SIGKILL, or PostgreSQL cuts the worker's database connections. Afterwards
there is either a complete consent with its PDF or nothing, never one without the other, and
the patient's retry (tapping Sign again) stores exactly one consent.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path

from flask import Flask
from sqlalchemy import exists, func, select, text

from app import create_app
from kiosk.core.models import Consent, Document, DocumentRevision, Draft
from tests.support import WizardDriver
from tests.helpers import drawn_signature
from tests.live import GunicornServer, HttpTablet, gunicorn, server_env

# milliseconds after the sign request has left the tablet: before the worker reads it, while the
# PDF is drawn, around the commit, and after the answer
STRIKE_DELAYS_MS = (0, 30, 60, 90, 130, 200)
MODALITIES = ("co2_laser", "chemical_peel", "microdermabrasion")


def check_nothing_half_stored(app: Flask) -> None:
    """Every consent has its signed PDF with a matching SHA-256, and a draft is submitted exactly when it has a consent."""
    with app.extensions["kiosk_db"]() as session:
        for consent in session.scalars(select(Consent)):
            [original] = [d for d in consent.documents if d.revision == 1]
            assert original.pdf.startswith(b"%PDF") and hashlib.sha256(original.pdf).hexdigest() == original.sha256
            assert consent.draft.status == "submitted"
        orphans = session.scalar(select(func.count()).select_from(Draft).where(
            Draft.status == "submitted", ~Draft.consent.has()))
        assert orphans == 0
        assert session.scalar(select(func.count()).select_from(DocumentRevision).join(Document).where(
            Document.kind == "consent", ~exists().where(Consent.document_id == Document.id))) == 0


def sign_while_striking(app: Flask, server: GunicornServer, name: str, modality: str, delay_ms: int,
                        strike: Callable[[], None]) -> bool:
    """Walk one patient to the signature, strike `delay_ms` after the sign request leaves; True if it was cut off."""
    leaving = threading.Event()
    tablet = HttpTablet([server.address], application=app, timeout=30)
    wizard = WizardDriver(tablet)  # type: ignore[arg-type]
    wizard.ready_to_sign(app, modality, name=name)
    tablet.sent = lambda method, url: leaving.set() if (method, url) == ("POST", "/consent/sign") else None
    outcome: dict[str, object] = {}

    def sign() -> None:
        try:
            outcome["response"] = wizard.sign(signature_data=drawn_signature(), printed_name=name.upper())
        except (http.client.HTTPException, OSError) as exc:  # the connection died with the worker
            outcome["error"] = exc

    thread = threading.Thread(target=sign)
    thread.start()
    assert leaving.wait(30)
    time.sleep(delay_ms / 1000)
    strike()
    thread.join(60)
    tablet.sent = None
    check_nothing_half_stored(app)
    with app.extensions["kiosk_db"]() as session:
        stored = session.scalar(select(func.count()).select_from(Consent).where(Consent.patient_name == name))
    first = outcome.get("response")
    seen = outcome.get("error") or getattr(first, "status_code", None)
    print(f"struck {delay_ms} ms after sending: {stored} consent stored; the tablet saw {seen!r}")

    retry = wizard.sign(signature_data=drawn_signature(), printed_name=name.upper())  # the patient taps Sign again
    assert retry.status_code == 302 and retry.headers["Location"].endswith("/consent/done"), retry.status_code
    assert "Thank you" in tablet.get("/consent/done").get_data(as_text=True)
    with app.extensions["kiosk_db"]() as session:
        assert session.scalar(select(func.count()).select_from(Consent).where(Consent.patient_name == name)) == 1
    check_nothing_half_stored(app)
    if first is None:
        return True
    if first.status_code == 503:  # type: ignore[attr-defined]
        assert "Nothing you entered has been lost" in first.get_data(as_text=True)  # type: ignore[attr-defined]
        return True
    assert first.status_code == 302, first.status_code  # type: ignore[attr-defined]
    return False


def local_app(db_url: str) -> Flask:
    return create_app({"TESTING": True, "DATABASE_URL": db_url, "AUTO_MIGRATE": False, "SECRET_KEY": "faults"})


def test_a_worker_killed_in_the_middle_of_a_signature_leaves_all_or_nothing(db_url: str, tmp_path: Path) -> None:
    app = local_app(db_url)
    interrupted = 0
    with gunicorn(server_env(db_url), tmp_path / "gunicorn.log", workers=1) as server:
        for number, delay in enumerate(STRIKE_DELAYS_MS):
            [worker] = server.wait_for_workers(1)

            def kill(worker: int = worker) -> None:
                os.kill(worker, signal.SIGKILL)

            interrupted += sign_while_striking(app, server, f"Patient {number} Kill", MODALITIES[number % 3], delay,
                                               kill)
            deadline = time.monotonic() + 20  # gunicorn replaces the killed worker
            while worker in server.worker_pids() and time.monotonic() < deadline:
                time.sleep(0.02)
    with app.extensions["kiosk_db"]() as session:
        assert session.scalar(select(func.count()).select_from(Consent)) == len(STRIKE_DELAYS_MS)
    app.extensions["kiosk_db"].kw["bind"].dispose()
    assert interrupted >= 2, "the kills all came too late to test anything"


def test_the_database_connection_cut_mid_submission_leaves_all_or_nothing(pg_url: str, tmp_path: Path) -> None:
    app = local_app(pg_url)
    database = pg_url.rsplit("/", 1)[1]
    admin = create_app({"TESTING": True, "DATABASE_URL": pg_url.rsplit("/", 1)[0] + "/postgres",
                        "AUTO_MIGRATE": False, "SECRET_KEY": "x"}).extensions["kiosk_db"].kw["bind"]

    def cut() -> None:
        with admin.connect() as connection:
            cut_off = connection.execute(text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = :db AND pid <> pg_backend_pid()"), {"db": database})
            assert cut_off.scalar() is not None

    interrupted = 0
    with gunicorn(server_env(pg_url), tmp_path / "gunicorn.log", workers=1) as server:
        for number, delay in enumerate(STRIKE_DELAYS_MS):
            interrupted += sign_while_striking(app, server, f"Patient {number} Cut", MODALITIES[number % 3], delay, cut)
    with app.extensions["kiosk_db"]() as session:
        assert session.scalar(select(func.count()).select_from(Consent)) == len(STRIKE_DELAYS_MS)
    app.extensions["kiosk_db"].kw["bind"].dispose()
    admin.dispose()
    assert interrupted >= 1, "the cuts all came too late to test anything"
