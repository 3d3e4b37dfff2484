"""A patient's own data from the course page: one zip of everything held about them, asked once, audited."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

from flask import Flask
from sqlalchemy import select

from kiosk.core.models import AuditEvent, DocumentRevision
from tests.helpers import signed_checkin
from tests.test_backup_restore import sign
from tests.test_course import post, signed_in


def test_a_doctor_confirms_and_downloads_every_consent_check_in_revision_and_audit_event_of_the_patient(
        app: Flask, staff: dict[str, str]) -> None:
    checkin = signed_checkin(app, name="Begoña Núñez")
    other_treatment, _ = sign(app, "Begoña Núñez")
    stranger, _ = sign(app, "Someone Else")
    consent_id = checkin.consent.document_id
    doctor = signed_in(app, staff["doctor"])
    course_page = doctor.get(f"/course/{consent_id}").get_data(as_text=True)
    assert "Produce the patient's data" in course_page

    confirm = post(doctor, f"/course/{consent_id}", f"/course/{consent_id}/patient-data")
    page = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "Yes, download the zip" in page
    assert consent_id in page and other_treatment in page and stranger not in page
    assert "1 check-in" in page

    response = post(doctor, f"/course/{consent_id}", f"/course/{consent_id}/patient-data", {"confirmed": "yes"})
    assert response.status_code == 200 and response.mimetype == "application/zip"
    assert f"patient-data-{consent_id}.zip" in response.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(response.data))
    names = archive.namelist()
    folder = "begona-nunez_1990-01-01"
    session = app.extensions["kiosk_db"]()
    for revision in session.scalars(select(DocumentRevision)):
        path = f"{folder}/{revision.document_id}/revision-{revision.revision:02d}-{revision.kind}.pdf"
        if revision.document_id == stranger:
            assert not any(stranger in name for name in names)
        else:
            assert archive.read(path) == revision.pdf
    assert f"{folder}/{checkin.document_id}/record.json" in names
    assert f"{folder}/{other_treatment}/fhir-bundle.json" in names
    events = json.loads(archive.read(f"{folder}/{consent_id}/audit-events.json"))
    assert "checkin_started" in [e["action"] for e in events]
    for line in archive.read("SHA256SUMS").decode().splitlines():
        sha, path = line.split("  ", 1)
        assert hashlib.sha256(archive.read(path)).hexdigest() == sha

    audited = session.scalars(select(AuditEvent).where(AuditEvent.action.in_(
        ["patient_data_requested", "patient_data_delivered"])).order_by(AuditEvent.id)).all()
    assert [e.action for e in audited] == ["patient_data_requested", "patient_data_delivered"]
    assert {e.actor for e in audited} == {staff["doctor"]}
    assert sorted(audited[1].detail["documents"]) == sorted([consent_id, other_treatment])
    assert audited[1].detail["sha256"] == hashlib.sha256(response.data).hexdigest()
    session.close()


def test_the_front_desk_sees_no_patient_data_button_and_is_refused_the_download(
        app: Flask, staff: dict[str, str]) -> None:
    document_id, _ = sign(app)
    desk = signed_in(app, staff["frontdesk"])
    assert "Produce the patient" not in desk.get(f"/course/{document_id}").get_data(as_text=True)
    refused = post(desk, f"/course/{document_id}", f"/course/{document_id}/patient-data", {"confirmed": "yes"})
    assert refused.status_code == 403


def test_a_post_without_its_form_token_or_for_an_unknown_consent_is_refused_with_a_page(
        app: Flask, staff: dict[str, str]) -> None:
    document_id, _ = sign(app)
    admin = signed_in(app, staff["admin"])
    assert admin.post(f"/course/{document_id}/patient-data", data={"confirmed": "yes"}).status_code == 400
    unknown = post(admin, f"/course/{document_id}", "/course/CK-NOPE/patient-data", {"confirmed": "yes"})
    assert unknown.status_code == 404
    session = app.extensions["kiosk_db"]()
    assert session.scalars(select(AuditEvent).where(AuditEvent.action == "patient_data_delivered")).all() == []
    session.close()
