"""The archive a clinic can take away: a folder per patient and document, every revision byte for byte, checkable."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import select

from kiosk.core.models import AuditEvent, DocumentRevision, Photo
from tests.helpers import signed_checkin
from tests.support import csrf_token
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


def _photographed(app: Flask, staff: dict[str, str]) -> tuple[str, list[Photo], Any]:
    """A consent with two sessions and a photo of each (and a third, deleted), as the doctor took them."""
    from tests.test_photos import camera_jpeg, course_with_two_sessions, upload

    document_id, session_ids, doctor = course_with_two_sessions(app, staff)
    for n, session_id in enumerate(session_ids):
        assert upload(doctor, session_id, camera_jpeg((200, 150 - 40 * n, 130))).status_code == 302
    assert upload(doctor, session_ids[0], camera_jpeg((10, 10, 10)), view="left").status_code == 302
    session = app.extensions["kiosk_db"]()
    photos = list(session.scalars(select(Photo).order_by(Photo.id)))
    token = csrf_token(doctor.get(f"/photos/sessions/{session_ids[0]}").get_data(as_text=True))
    assert doctor.post(f"/photos/image/{photos[-1].id}/delete", data={"csrf_token": token}).status_code == 302
    session.close()
    return document_id, photos, doctor


def _sums_hold(read: Callable[[str], bytes], sums: str) -> dict[str, str]:
    """Every SHA256SUMS line checked against the file it names; returns path -> SHA-256."""
    listed = {}
    for line in sums.splitlines():
        sha, path = line.split("  ", 1)
        assert hashlib.sha256(read(path)).hexdigest() == sha, path
        listed[path] = sha
    return listed


def test_the_archive_and_the_patients_copy_hold_the_treatment_photos_with_their_sha256(
        app: Flask, staff: dict[str, str], tmp_path: Path) -> None:
    from tests.test_photos import desk_choice, post, signed_in

    document_id, photos, doctor = _photographed(app, staff)
    kept, deleted = photos[:2], photos[2]
    assert run(app, "archive", str(tmp_path / "out")).exit_code == 0
    out = tmp_path / "out"
    listed = _sums_hold(lambda path: (out / path).read_bytes(), (out / "SHA256SUMS").read_text())
    folder = f"lucia-perez_1990-01-01/{document_id}"
    jpegs = sorted(path for path in listed if path.endswith(".jpg"))
    assert jpegs == [f"{folder}/photos/session-01-abdomen-front-{kept[0].id}.jpg",
                     f"{folder}/photos/session-02-abdomen-front-{kept[1].id}.jpg"]
    for path, photo in zip(jpegs, kept):  # the stored bytes: the hash recorded when the photo was taken
        assert listed[path] == photo.sha256
        assert b"Exif" not in (out / path).read_bytes()[:200] and b"Madrid" not in (out / path).read_bytes()
    listing = json.loads((out / folder / "photos.json").read_text())
    assert listing["photo_consent"]["uses"] == ["record", "teaching"]
    by_id = {p["id"]: p for p in listing["photos"]}
    assert by_id[deleted.id]["file"] is None and by_id[deleted.id]["left_out"] == "deleted"
    assert by_id[deleted.id]["sha256"] == deleted.sha256  # a deleted photo keeps its row and hash, not its bytes

    # the patient withdraws the photo consent at the desk: the clinic's archive lists the photos, not their bytes ...
    desk = signed_in(app, staff["frontdesk"])
    assert desk_choice(app, desk, document_id, []).status_code == 302
    assert run(app, "archive", str(tmp_path / "withdrawn")).exit_code == 0
    withdrawn = tmp_path / "withdrawn"
    assert not list(withdrawn.rglob("*.jpg"))
    listing = json.loads((withdrawn / folder / "photos.json").read_text())
    assert listing["photo_consent"]["uses"] == []
    assert [p["left_out"] for p in listing["photos"]] == ["photo_consent_does_not_allow_the_clinical_record"] * 2 + [
        "deleted"]
    assert [p["sha256"] for p in listing["photos"]] == [p.sha256 for p in photos]

    # ... while the patient's own copy still holds every photo the clinic keeps of them
    response = post(doctor, f"/course/{document_id}", f"/course/{document_id}/patient-data", {"confirmed": "yes"})
    assert response.status_code == 200 and response.mimetype == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    listed = _sums_hold(archive.read, archive.read("SHA256SUMS").decode())
    assert sorted(sha for path, sha in listed.items() if path.endswith(".jpg")) == sorted(p.sha256 for p in kept)
    listing = json.loads(archive.read(f"{folder}/photos.json"))
    assert listing["copy"] == "patient" and [p["left_out"] for p in listing["photos"]] == [None, None, "deleted"]
