"""Photo consent and treatment photos through the real pages: the patient's ticks after signing, the desk's change,
photos taken at two sessions and compared, metadata stripped, hostile uploads refused, and who may see a photo."""

from __future__ import annotations

import html
import io
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import select

from kiosk.core.models import AuditEvent, Consent, DocumentRevision, Photo, PhotoBlob, TreatmentSession
from tests.helpers import pdf_text, signed_checkin, staff_login
from tests.support import WizardDriver, csrf_token
from tests.test_sites import chain as chain  # a fixture: a Madrid and a Valencia site, staff at each
from tests.test_sites import sign_at

GPS_IFD = 0x8825


def _now(app: Flask) -> datetime:
    return datetime.now(ZoneInfo(app.config["CLINIC_TIMEZONE"]))


def signed_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    assert staff_login(client, email).status_code == 302
    return client


def post(client: FlaskClient, page: str, url: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    """Open `page` for its CSRF token, then post `data` to `url`."""
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **(data or {})}, **kwargs)


def camera_jpeg(colour: tuple[int, int, int] = (200, 150, 130), size: tuple[int, int] = (640, 480),
                gps: bool = True) -> bytes:
    """A JPEG as a phone's camera writes it: EXIF with the camera's make, a GPS position, and XMP."""
    image = Image.new("RGB", size, colour)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0110] = "Phone 15"  # Model
    if gps:
        exif[GPS_IFD] = {1: "N", 2: (40.0, 25.0, 0.0), 3: "W", 4: (3.0, 42.0, 0.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, xmp=b'<x:xmpmeta xmlns:x="adobe:ns:meta/">Madrid</x:xmpmeta>',
               comment=b"taken at home")
    return out.getvalue()


def allowed_uses(page: str) -> str:
    """The line that says what photos may be used for now, as a reader sees it."""
    return html.unescape(re.sub(r"<[^>]+>|\s+", " ", page.split('id="photo-consent-now"')[1].split("</p>")[0]))


def desk_choice(app: Flask, desk: FlaskClient, document_id: str, uses: list[str]) -> Any:
    return post(desk, f"/photos/{document_id}/choice", f"/photos/{document_id}/choice", {"uses": uses})


def course_with_two_sessions(app: Flask, staff: dict[str, str]) -> tuple[str, list[int], FlaskClient]:
    """A consent with a signed check-in, its photo consent (record and teaching) and two sessions recorded."""
    document_id = signed_checkin(app, name="Lucía Pérez").consent.document_id
    desk = signed_in(app, staff["frontdesk"])
    assert desk_choice(app, desk, document_id, ["record", "teaching"]).status_code == 302
    doctor = signed_in(app, staff["doctor"])
    for _ in range(2):
        response = post(doctor, f"/course/{document_id}", f"/course/{document_id}/sessions",
                        {"session_date": _now(app).date().isoformat(), "area": "Abdomen", "settings": "Medium tip",
                         "anaesthetic_applied_by": "", "anaesthetic_product": "", "anaesthetic_minutes": "",
                         "notes": ""})
        assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    session = app.extensions["kiosk_db"]()
    ids = list(session.scalars(select(TreatmentSession.id).order_by(TreatmentSession.number)))
    return document_id, ids, doctor


def upload(doctor: FlaskClient, session_id: int, data: bytes, name: str = "photo.jpg", area: str = "abdomen",
           view: str = "front") -> Any:
    page = f"/photos/sessions/{session_id}"
    token = csrf_token(doctor.get(page).get_data(as_text=True))
    return doctor.post(page, data={"csrf_token": token, "area": area, "view": view,
                                   "photo": (io.BytesIO(data), name, "image/jpeg")},
                       content_type="multipart/form-data")


def test_the_done_page_offers_the_photo_consent_with_nothing_ticked_and_the_choice_is_a_sealed_revision(
        app: Flask, wizard: WizardDriver) -> None:
    wizard.complete(app, typed_signature="Zoë")
    done = wizard.get("/consent/done").get_data(as_text=True)
    assert "/photos/choice" in done
    page = wizard.get("/photos/choice").get_data(as_text=True)
    assert page.count('type="checkbox"') == 3 and "checked" not in page
    assert "My health record only" in page and "Teaching other doctors" in page and "adverts" in page
    saved = wizard.post("/photos/choice", {"uses": ["record", "teaching"]}).get_data(as_text=True)
    assert "Your choice is saved" in saved and "adverts" not in saved
    session = app.extensions["kiosk_db"]()
    consent = session.scalars(select(Consent)).one()
    newest = consent.documents[-1]
    assert (newest.revision, newest.kind) == (2, "photo_consent")
    assert newest.pdf.startswith(consent.documents[0].pdf)  # an incremental update: the signed original inside it
    text = pdf_text(newest.pdf)
    assert "Photo consent (revision 2" in text and "Not allowed" in text
    # once only from the tablet: the choice can change later at the desk, not by the next person holding it
    assert wizard.get("/photos/choice").headers["Location"] == "/"


def test_nothing_ticked_is_an_answer_that_no_photo_may_be_taken(app: Flask, wizard: WizardDriver) -> None:
    wizard.complete(app, typed_signature="Zoë")
    wizard.get("/consent/done")
    saved = wizard.post("/photos/choice", {}).get_data(as_text=True)
    assert "no photos of you will be taken or used" in saved
    consent = app.extensions["kiosk_db"]().scalars(select(Consent)).one()
    assert "No photos may be taken or used." in pdf_text(consent.documents[-1].pdf)


def test_the_photo_consent_reads_in_spanish_and_its_revision_prints_spanish(app: Flask, wizard: WizardDriver) -> None:
    with wizard.client.session_transaction() as cookie:
        cookie["lang"] = "es"
    wizard.complete(app, typed_signature="Zoë")
    wizard.get("/consent/done")
    page = wizard.get("/photos/choice").get_data(as_text=True)
    assert "Fotos de su piel" in page and "Solo mi historia clínica" in page
    wizard.post("/photos/choice", {"uses": ["record"]})
    consent = app.extensions["kiosk_db"]().scalars(select(Consent)).one()
    if consent.language == "es":
        assert "Consentimiento de fotos" in pdf_text(consent.documents[-1].pdf)


def test_photos_taken_at_two_sessions_are_set_side_by_side_with_the_allowed_uses(
        app: Flask, staff: dict[str, str]) -> None:
    document_id, (first, second), doctor = course_with_two_sessions(app, staff)
    assert upload(doctor, first, camera_jpeg((200, 120, 110))).status_code == 302
    assert upload(doctor, second, camera_jpeg((190, 150, 140))).status_code == 302
    assert upload(doctor, second, camera_jpeg((190, 150, 140)), view="close_up").status_code == 302
    page = doctor.get(f"/photos/{document_id}").get_data(as_text=True)
    front = page[page.index('id="compare-abdomen-front"'):page.index('id="compare-abdomen-close_up"')]
    assert len(re.findall(r'<img src="/photos/image/\d+\.jpg"', front)) == 2  # session 1 beside session 2
    close_up = page[page.index('id="compare-abdomen-close_up"'):]
    assert "No photo" in close_up  # session 1 had no close-up
    assert "clinical record, teaching, face and identifying marks hidden" in page
    session_page = doctor.get(f"/photos/sessions/{second}").get_data(as_text=True)
    session = app.extensions["kiosk_db"]()
    for photo in session.scalars(select(Photo).where(Photo.session_id == second)):
        assert photo.sha256 in session_page  # each photo's SHA-256 is in the session's record


def test_a_photo_consent_changed_at_the_desk_is_what_every_photo_follows(app: Flask, staff: dict[str, str]) -> None:
    document_id, (first, _second), doctor = course_with_two_sessions(app, staff)
    assert upload(doctor, first, camera_jpeg()).status_code == 302
    assert "teaching, face and identifying marks hidden" in doctor.get(f"/photos/sessions/{first}").get_data(
        as_text=True)
    desk = signed_in(app, staff["frontdesk"])
    changed = desk_choice(app, desk, document_id, ["record", "publicity"])
    assert changed.status_code == 302
    now_allowed = allowed_uses(doctor.get(f"/photos/sessions/{first}").get_data(as_text=True))
    assert "clinical record, the clinic's publicity" in now_allowed and "teaching" not in now_allowed, now_allowed
    card = html.unescape(doctor.get(f"/photos/sessions/{first}").get_data(as_text=True).split('class="photo-uses">')[1])
    assert card.startswith("May be used for: clinical record, the clinic's publicity<")  # next to the photo itself
    session = app.extensions["kiosk_db"]()
    consent = session.scalars(select(Consent).where(Consent.document_id == document_id)).one()
    kinds = [r.kind for r in consent.documents]
    assert kinds.count("photo_consent") == 2
    assert "Frontdesk Person" in pdf_text(consent.documents[-1].pdf)
    # withdrawn at the desk (nothing ticked): no photo may be taken any more, and the page says so
    assert desk_choice(app, desk, document_id, []).status_code == 302
    refused = upload(doctor, first, camera_jpeg())
    assert "does not allow photos for the clinical record" in refused.get_data(as_text=True)
    assert len(session.scalars(select(Photo)).all()) == 1


def test_a_jpeg_with_gps_exif_is_stored_without_any_metadata(app: Flask, staff: dict[str, str]) -> None:
    original = camera_jpeg()
    with Image.open(io.BytesIO(original)) as sent:  # the test image really carries what must go
        assert sent.getexif().get_ifd(GPS_IFD) and "xmp" in sent.info and "comment" in sent.info
    _document_id, (first, _second), doctor = course_with_two_sessions(app, staff)
    assert upload(doctor, first, original).status_code == 302
    session = app.extensions["kiosk_db"]()
    photo = session.scalars(select(Photo)).one()
    stored = session.scalar(select(PhotoBlob.data).where(PhotoBlob.key == photo.storage_key))
    assert b"PhoneMaker" not in stored and b"Madrid" not in stored and b"taken at home" not in stored
    with Image.open(io.BytesIO(stored)) as kept:
        assert not kept.getexif() and not kept.getexif().get_ifd(GPS_IFD)
        assert not {"exif", "xmp", "icc_profile", "comment", "XML:com.adobe.xmp"} & set(kept.info)
        assert kept.size == (640, 480)
    import hashlib
    assert photo.sha256 == hashlib.sha256(stored).hexdigest()
    served = doctor.get(f"/photos/image/{photo.id}.jpg")
    assert served.data == stored and served.headers["Cache-Control"] == "no-store"


def png_bomb() -> bytes:
    """A small PNG that claims 30000 x 30000 pixels (900 megapixels of one colour, compressed to a few hundred KB)."""
    image = Image.new("1", (30000, 30000), 0)
    out = io.BytesIO()
    image.save(out, "PNG", optimize=True)
    return out.getvalue()


@pytest.mark.parametrize("hostile, name, message", [
    (b"\xff\xd8" + b"\0" * (50 * 1024 * 1024), "huge.jpg", "larger than 15 MB"),
    ("bomb", "bomb.png", "too many pixels"),
    (b"Dear doctor, this is not a photo at all.\n" * 20, "notes.jpg", "This file is not a photo"),
    ("truncated", "cut.jpg", "could not be read"),
])
def test_hostile_uploads_are_refused_with_a_clear_message_and_nothing_is_stored(
        app: Flask, staff: dict[str, str], hostile: Any, name: str, message: str) -> None:
    if hostile == "bomb":
        hostile = png_bomb()
    elif hostile == "truncated":
        hostile = camera_jpeg(gps=False)[:400]
    _document_id, (first, _second), doctor = course_with_two_sessions(app, staff)
    response = upload(doctor, first, hostile, name=name)
    body = response.get_data(as_text=True)
    assert response.status_code in (400, 413) and message in body, body[:3000]
    assert "Take a photo" in body  # the page the doctor was on, with its form, not an error page
    session = app.extensions["kiosk_db"]()
    assert session.scalars(select(Photo)).all() == [] and session.scalars(select(PhotoBlob)).all() == []


def test_photos_are_only_for_signed_in_photo_staff_and_every_view_and_deletion_is_audited(
        app: Flask, staff: dict[str, str]) -> None:
    _document_id, (first, _second), doctor = course_with_two_sessions(app, staff)
    assert upload(doctor, first, camera_jpeg()).status_code == 302
    session = app.extensions["kiosk_db"]()
    photo = session.scalars(select(Photo)).one()
    url = f"/photos/image/{photo.id}.jpg"
    assert app.test_client().get(url).status_code == 302  # a patient's tablet: to the sign-in page
    assert signed_in(app, staff["frontdesk"]).get(url).status_code == 403  # not a photo role by default
    assert doctor.get(url).status_code == 200
    deleted = post(doctor, f"/photos/sessions/{first}", f"/photos/image/{photo.id}/delete")
    assert deleted.status_code == 302 and doctor.get(url).status_code == 404
    session.expire_all()
    assert session.scalars(select(PhotoBlob)).all() == []
    assert photo.sha256 in doctor.get(f"/photos/sessions/{first}").get_data(as_text=True)  # the record keeps it
    actions = [e.action for e in session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    for action in ("photo_consent_recorded", "photo_uploaded", "photo_viewed", "photo_deleted"):
        assert action in actions


def test_a_clinic_may_let_the_front_desk_take_photos(app: Flask, staff: dict[str, str]) -> None:
    _document_id, (first, _second), _doctor = course_with_two_sessions(app, staff)
    app.config["PHOTO_ROLES"] = "doctor,frontdesk"
    desk = signed_in(app, staff["frontdesk"])
    assert upload(desk, first, camera_jpeg()).status_code == 302


def test_a_photo_consent_revision_still_verifies_as_the_newest_stored_file(app: Flask, staff: dict[str, str]) -> None:
    document_id, _ids, _doctor = course_with_two_sessions(app, staff)
    session = app.extensions["kiosk_db"]()
    newest = session.scalars(select(DocumentRevision).where(DocumentRevision.document_id == document_id)
                             .order_by(DocumentRevision.revision.desc())).first()
    assert newest.kind == "photo_consent"
    verdict = app.test_client().post("/verify", data={}, follow_redirects=True)
    assert verdict.status_code in (200, 400)


def test_the_desk_can_hand_its_device_to_the_patient_for_the_photo_consent(app: Flask, staff: dict[str, str]) -> None:
    document_id = signed_checkin(app, name="Lucía Pérez").consent.document_id
    device = signed_in(app, staff["frontdesk"])
    desk_page = device.get(f"/photos/{document_id}/choice").get_data(as_text=True)
    assert re.search(r"<title>Photo consent of Lucía Pérez · [^<]*</title>", desk_page), desk_page[:600]
    handed = post(device, f"/photos/{document_id}/choice", f"/photos/{document_id}/choice/on-this-device")
    assert handed.headers["Location"] == "/photos/choice"
    page = device.get("/photos/choice").get_data(as_text=True)
    assert "checked" not in page and device.get("/desk/").status_code == 302  # the desk user is signed out
    assert post(device, "/photos/choice", "/photos/choice", {"uses": ["record"]}).status_code == 200
    session = app.extensions["kiosk_db"]()
    consent = session.scalars(select(Consent).where(Consent.document_id == document_id)).one()
    assert consent.documents[-1].kind == "photo_consent"
    assert "The patient, on the clinic" in pdf_text(consent.documents[-1].pdf)


def test_another_sites_staff_cannot_reach_a_photo_by_its_address(app: Flask, chain: dict[str, str]) -> None:
    document_id = sign_at(app, chain["desk_madrid"], "Ana Madrid")
    assert desk_choice(app, signed_in(app, chain["desk_madrid"]), document_id, ["record"]).status_code == 302
    doctor = signed_in(app, chain["doctor_madrid"])
    response = post(doctor, f"/course/{document_id}", f"/course/{document_id}/sessions",
                    {"session_date": _now(app).date().isoformat(), "area": "Abdomen", "settings": "Peel 20%",
                     "anaesthetic_applied_by": "", "anaesthetic_product": "", "anaesthetic_minutes": "", "notes": ""})
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    session = app.extensions["kiosk_db"]()
    session_id = session.scalars(select(TreatmentSession.id)).one()
    assert upload(doctor, session_id, camera_jpeg(), area=session.scalars(select(Consent)).one()
                  .record["treatment"]["areas"][0]["id"]).status_code == 302
    photo_id = session.scalars(select(Photo.id)).one()
    app.config["PHOTO_ROLES"] = "doctor,frontdesk"  # so the role lets Valencia's desk in, and only the site stops it
    valencia = signed_in(app, chain["desk_valencia"])
    for url in (f"/photos/image/{photo_id}.jpg", f"/photos/sessions/{session_id}", f"/photos/{document_id}"):
        assert valencia.get(url).status_code == 404, url
        assert doctor.get(url).status_code == 200, url
