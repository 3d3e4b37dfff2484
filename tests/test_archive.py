"""The archive a clinic can take away: a folder per patient and document, every revision byte for byte, checkable."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from kiosk.core.models import AuditEvent, DocumentRevision
from tests.helpers import signed_checkin
from tests.test_backup_restore import run, sign


def test_the_archive_holds_every_revision_byte_for_byte_with_record_fhir_and_checkable_sums(
        app: Flask, tmp_path: Path) -> None:
    first, _ = sign(app, "Begoña Núñez")
    second, _ = sign(app, "Begoña Núñez")
    checkin = signed_checkin(app, name="Ana López")
    result = run(app, "archive", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert "archived 3 consents" in result.output
    out = tmp_path / "out"
    session = app.extensions["kiosk_db"]()
    stored = {(r.document_id, r.revision): r.pdf for r in session.scalars(select(DocumentRevision))}
    begona = out / "begona-nunez_1990-01-01"
    assert sorted(p.name for p in begona.iterdir()) == sorted([first, second])
    assert (begona / first / "revision-01-patient_signed.pdf").read_bytes() == stored[(first, 1)]
    assert json.loads((begona / first / "record.json").read_text())["record"]["patient"]["full_name"] == "Begoña Núñez"
    bundle = json.loads((begona / first / "fhir-bundle.json").read_text())
    assert bundle["resourceType"] == "Bundle"
    ana = out / "ana-lopez_1990-01-01"
    assert (ana / checkin.document_id / "revision-01-patient_signed.pdf").read_bytes() == stored[(checkin.document_id, 1)]
    assert json.loads((ana / checkin.document_id / "record.json").read_text())["document_id"] == checkin.document_id
    sums = (out / "SHA256SUMS").read_text().splitlines()
    assert len(sums) == len(list(p for p in out.rglob("*") if p.is_file())) - 1
    for line in sums:
        sha, path = line.split("  ", 1)
        assert hashlib.sha256((out / path).read_bytes()).hexdigest() == sha
    assert session.scalars(select(AuditEvent).where(AuditEvent.action == "archive_exported")).one().actor == "cli"
    session.close()


def test_archive_since_a_day_after_every_signature_writes_no_consent(app: Flask, tmp_path: Path) -> None:
    sign(app)
    result = run(app, "archive", str(tmp_path / "out"), "--since", "2999-01-01")
    assert result.exit_code == 0 and "archived 0 consents" in result.output
    assert run(app, "archive", str(tmp_path / "all"), "--since", "2000-01-01").output.startswith("archived 1 consents")


def test_archive_for_an_unknown_site_is_refused_naming_the_sites_there_are(app: Flask, tmp_path: Path) -> None:
    result = run(app, "archive", str(tmp_path / "out"), "--site", "norte")
    assert result.exit_code == 2
    assert "no site has the code 'norte' (sites: main)" in result.output
    assert not (tmp_path / "out").exists()
    assert run(app, "archive", str(tmp_path / "out"), "--site", "main").exit_code == 0


def test_archive_refuses_a_bad_date_and_a_folder_that_is_not_empty(app: Flask, tmp_path: Path) -> None:
    result = run(app, "archive", str(tmp_path / "out"), "--since", "3 May")
    assert result.exit_code == 2 and "--since" in result.output and "YYYY-MM-DD" in result.output
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "x").write_text("x")
    result = run(app, "archive", str(tmp_path / "full"))
    assert result.exit_code == 1 and "is not empty" in result.output
