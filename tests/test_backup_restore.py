"""Backups proven by restoring them: taken while tablets sign, restored elsewhere, every consent still verifies."""

from __future__ import annotations

import json
import threading
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import select

from app import create_app
from kiosk import demo
from kiosk.core.models import DocumentRevision
from kiosk.documents.record import Clinic
from kiosk.documents.sealing import load_seal_key
from kiosk.documents.verification import verify_pdf
from tests.helpers import seal_key_of
from tests.support import SIGNING_PASSPHRASE

PATIENT = ("Begoña Núñez", "1990-01-01", "microdermabrasion", ["abdomen"], {})


def run(app: Flask, *args: str):  # noqa: ANN201
    return app.test_cli_runner().invoke(args=list(args))


def sign(app: Flask, name: str = "Begoña Núñez", now: datetime | None = None) -> tuple[str, bytes]:
    """One consent signed through the wizard's own services; returns its document id and sealed PDF."""
    session = app.extensions["kiosk_db"]()
    try:
        clinic = Clinic(name="Test Clinic", timezone=app.config["CLINIC_TIMEZONE"])
        consent = demo.sign_demo_consent(session, (name, *PATIENT[1:]), texts=app.extensions["kiosk_texts"],
                                         clinic=clinic, seal_key=seal_key_of(app),
                                         now=now or datetime.now(ZoneInfo(clinic.timezone)))
        return consent.document_id, consent.documents[0].pdf
    finally:
        session.close()


def empty_instance(tmp_path: Path, name: str = "restored") -> Flask:
    """A new instance on its own SQLite file, with no key yet: what a clinic sets up on a replacement machine."""
    return create_app({"TESTING": True, "SECRET_KEY": "test-secret",
                       "DATABASE_URL": f"sqlite:///{tmp_path / name / 'kiosk.sqlite3'}", "AUTO_MIGRATE": True,
                       "CLINIC_NAME": "Test Clinic", "SIGNING_KEY_FILE": str(tmp_path / name / "signing-key.p12"),
                       "SIGNING_KEY_PASSPHRASE": SIGNING_PASSPHRASE, "ENV_NAME": "test"})


@pytest.mark.parametrize("db_backend", ["sqlite"])
def test_a_backup_taken_while_tablets_sign_restores_every_consent_signed_before_it_byte_for_byte_with_valid_seals(
        app: Flask, tmp_path: Path) -> None:
    signed: list[tuple[str, bytes]] = []
    stop = threading.Event()
    failures: list[BaseException] = []

    def tablet(number: int) -> None:
        try:
            while not stop.is_set():
                signed.append(sign(app, f"Patient {number}-{len(signed)}"))
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            failures.append(exc)

    tablets = [threading.Thread(target=tablet, args=(n,)) for n in range(3)]
    for thread in tablets:
        thread.start()
    while len(signed) < 3 and not failures:
        stop.wait(0.05)
    before = list(signed)
    result = run(app, "backup", str(tmp_path / "backup"))
    stop.set()
    for thread in tablets:
        thread.join()
    assert not failures, failures
    assert result.exit_code == 0, result.output
    assert len(signed) > len(before), "no tablet signed while the backup ran"
    assert not any("passphrase" in p.name for p in (tmp_path / "backup").rglob("*"))

    restored = empty_instance(tmp_path)
    result = run(restored, "restore", str(tmp_path / "backup"))
    assert result.exit_code == 0, result.output
    assert "restore OK" in result.output
    session = restored.extensions["kiosk_db"]()
    stored = {r.document_id: r.pdf for r in session.scalars(select(DocumentRevision)
                                                            .where(DocumentRevision.revision == 1))}
    key = load_seal_key(tmp_path / "restored" / "signing-key.p12", SIGNING_PASSPHRASE)
    for document_id, pdf in before:
        assert stored[document_id] == pdf
        assert verify_pdf(stored[document_id], [key.certificate]).intact
        assert f"document {document_id} revision 1 (patient_signed): seal intact" in result.output
    session.close()


@pytest.mark.parametrize("db_backend", ["sqlite"])
def test_the_manifest_lists_table_counts_every_revision_and_the_schema_revision(app: Flask, tmp_path: Path) -> None:
    document_id, pdf = sign(app)
    assert run(app, "backup", str(tmp_path / "b")).exit_code == 0
    manifest = json.loads((tmp_path / "b" / "manifest.json").read_text())
    assert manifest["tables"]["consents"] == 1 and manifest["tables"]["document_revisions"] == 1
    assert manifest["schema_revision"]
    import hashlib

    assert manifest["revisions"] == [{"document_id": document_id, "revision": 1, "kind": "patient_signed",
                                      "sha256": hashlib.sha256(pdf).hexdigest()}]
    assert set(manifest["files"]) == {"consent-kiosk.sqlite3", "keys/signing-key.p12"}


@pytest.mark.parametrize("db_backend", ["sqlite"])
def test_a_backup_with_one_flipped_byte_in_a_pdf_is_refused_naming_the_file_and_the_document(
        app: Flask, tmp_path: Path) -> None:
    document_id, pdf = sign(app)
    assert run(app, "backup", str(tmp_path / "b")).exit_code == 0
    database = tmp_path / "b" / "consent-kiosk.sqlite3"
    data = bytearray(database.read_bytes())
    at = data.find(pdf[:200]) + 150  # inside the PDF's bytes, as the database stores them
    assert at > 150
    data[at] ^= 0x01
    database.write_bytes(bytes(data))
    restored = empty_instance(tmp_path)
    result = run(restored, "restore", str(tmp_path / "b"))
    assert result.exit_code != 0
    assert "consent-kiosk.sqlite3: its SHA-256 differs from the manifest" in result.output
    assert f"document {document_id} revision 1: its PDF's SHA-256 differs from the manifest" in result.output
    assert "nothing was restored" in result.output
    with restored.app_context():
        session = restored.extensions["kiosk_db"]()
        assert session.scalars(select(DocumentRevision)).all() == []
        session.close()


@pytest.mark.parametrize("db_backend", ["sqlite"])
def test_a_backup_with_a_truncated_key_file_is_refused_naming_the_file(app: Flask, tmp_path: Path) -> None:
    sign(app)
    assert run(app, "backup", str(tmp_path / "b")).exit_code == 0
    key = tmp_path / "b" / "keys" / "signing-key.p12"
    key.write_bytes(key.read_bytes()[:100])
    result = run(empty_instance(tmp_path), "restore", str(tmp_path / "b"))
    assert result.exit_code != 0
    assert "keys/signing-key.p12: its SHA-256 differs from the manifest (changed or truncated)" in result.output


@pytest.mark.parametrize("db_backend", ["sqlite"])
def test_restore_refuses_a_database_that_holds_consents(app: Flask, tmp_path: Path) -> None:
    sign(app)
    assert run(app, "backup", str(tmp_path / "b")).exit_code == 0
    result = run(app, "restore", str(tmp_path / "b"))
    assert result.exit_code != 0
    assert "holds 1 consents and check-ins; restore only into an empty instance" in result.output


@pytest.mark.parametrize("db_backend", ["sqlite"])
def test_backup_refuses_a_folder_that_is_not_empty(app: Flask, tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "old").write_text("x")
    result = run(app, "backup", str(tmp_path / "b"))
    assert result.exit_code != 0 and "is not empty" in result.output


@pytest.mark.parametrize("db_backend", ["postgresql"])
def test_backup_on_postgresql_refuses_with_the_pointer_to_pg_dump(app: Flask, tmp_path: Path) -> None:
    result = run(app, "backup", str(tmp_path / "b"))
    assert result.exit_code == 1
    assert "pg_dump" in result.output and "Keeping records" in result.output
    assert not (tmp_path / "b").exists()
