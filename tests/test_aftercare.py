"""The aftercare sheet (issue 17): after a session is recorded, one page of the treatment's aftercare advice in the
patient's language, printed from the course page or emailed to the patient's own address (a real aiosmtpd server),
never reachable by another clinic's desk, every print and email audited."""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import asdict
from datetime import date
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from pypdf import PdfReader
from sqlalchemy import select

from kiosk.core.models import AuditEvent, Consent, TreatmentSession
from kiosk.documents.pdf.aftercare import render_aftercare_pdf
from kiosk.documents.pdf.labels import course_labels
from kiosk.documents.paragraphs import paragraphs
from kiosk.texts.loader import load_texts
from tests.helpers import pdf_text
from tests.support import ROOT, csrf_token
from tests.test_patient_copy import Inbox, free_port, inbox, sign  # noqa: F401 (inbox: the real SMTP server fixture)
from tests.test_sites import chain, login, sign_at  # noqa: F401 (chain: two clinics, a desk at each)

TEXTS = load_texts(ROOT / "consent_texts")


def flat(text: str) -> str:
    """Text with every run of white space as one space, so a PDF's line breaks do not matter."""
    return re.sub(r"\s+", " ", text).strip()


def consent_of(app: Flask, name: str) -> Consent:
    return app.extensions["kiosk_db"]().scalar(select(Consent).where(Consent.patient_name == name))


def audit_events(app: Flask, action: str) -> list[AuditEvent]:
    return list(app.extensions["kiosk_db"]().scalars(select(AuditEvent).where(AuditEvent.action == action)))


def record_session(doctor: FlaskClient, document_id: str, area: str = "Vientre") -> tuple[Any, int]:
    """The doctor records session 1 on the course page; returns the page it lands on and the session's id."""
    page = doctor.get(f"/course/{document_id}").get_data(as_text=True)
    response = doctor.post(f"/course/{document_id}/sessions", data={
        "csrf_token": csrf_token(page), "session_date": date.today().isoformat(), "area": area,
        "settings": "Ácido glicólico 35 %, 3 min"})
    assert response.status_code == 302, response.get_data(as_text=True)[:1500]
    found = re.search(r"recorded=(\d+)", response.headers["Location"])
    assert found and response.headers["Location"].endswith("#aftercare")
    return doctor.get(response.headers["Location"]), int(found.group(1))


def sheet(language: str, modality: str, **changes: Any) -> dict[str, Any]:
    """A sheet as kiosk.course.aftercare builds it, for the renderer alone."""
    treatment = TEXTS.modality(language, modality)
    made = {"language": language, "words": asdict(TEXTS.aftercare_text(language)), "document_id": "C-2026-ABC123",
            "clinic_name": "Clínica Estética Madrid", "clinic_address": "Calle de Serrano 2, 28001 Madrid",
            "created_at": "2026-12-04T10:00:00+01:00",
            "patient": {"full_name": "Lucía Pérez", "date_of_birth": "1990-03-14"},
            "treatment_title": treatment.title, "session_number": 3, "session_date": "2026-12-04",
            "areas": "Abdomen", "advice": treatment.sections["aftercare"]}
    made.update(changes)
    return made


def pages(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


# --------------------------------------------------------------------------
# The sheet itself
# --------------------------------------------------------------------------


def test_a_spanish_consents_session_gives_a_spanish_sheet_with_no_english_left(
        app: Flask, staff: dict[str, str]) -> None:
    sign(app, "Lucía Cuidados", email="lucia@example.com", language="es")
    consent = consent_of(app, "Lucía Cuidados")
    doctor = login(app, staff["doctor"])
    _page, session_id = record_session(doctor, consent.document_id, area="Vientre")
    desk = login(app, staff["frontdesk"])
    printed = desk.get(f"/course/sessions/{session_id}/aftercare.pdf")
    assert printed.status_code == 200 and printed.mimetype == "application/pdf"
    assert "inline" in printed.headers["Content-Disposition"]
    assert "cuidados-" in printed.headers["Content-Disposition"]  # the file is named in the patient's language
    text = flat(pdf_text(printed.data))
    words = TEXTS.aftercare_text("es")
    for expected in (words.title, words.advice, words.when_to_call_title, "Test Clinic", "Lucía Cuidados",
                     TEXTS.modality("es", "chemical_peel").title, "Sesión 1", "Vientre",
                     date.today().strftime("%d/%m/%Y"), *paragraphs(words.when_to_call),
                     *paragraphs(TEXTS.modality("es", "chemical_peel").sections["aftercare"])):
        assert flat(expected) in text, expected
    english = TEXTS.aftercare_text("en")
    labels = course_labels("en")
    left = [flat(part) for part in (
        english.title, english.patient, english.treatment, english.session_date, english.areas, english.advice,
        english.when_to_call_title, english.handout, *paragraphs(english.when_to_call),
        *paragraphs(TEXTS.modality("en", "chemical_peel").sections["aftercare"]),
        TEXTS.modality("en", "chemical_peel").title, labels["page_of"].format(page=1, pages=1), " born ",
        english.reference.format(id=consent.document_id), english.session.format(number=1))
        if flat(part) in text]
    assert left == []
    assert date.today().isoformat() not in text  # Spanish writes the day one way: 04/12/2026
    [event] = audit_events(app, "aftercare_printed")
    assert event.actor == staff["frontdesk"] and event.target == consent.document_id
    assert event.detail["session"] == 1 and event.detail["language"] == "es"


@pytest.mark.parametrize("language", ["en", "es"])
def test_every_treatments_sheet_is_one_page_in_both_languages(language: str) -> None:
    for modality in TEXTS.rules.modalities:
        pdf = render_aftercare_pdf(sheet(language, modality))
        assert pages(pdf) == 1, modality
        assert flat(paragraphs(TEXTS.modality(language, modality).sections["aftercare"])[-1]) in flat(pdf_text(pdf))


def test_the_longest_advice_with_the_longest_area_note_still_fits_one_page_in_smaller_type() -> None:
    longest = max(((lang, m) for lang in ("en", "es") for m in TEXTS.rules.modalities),
                  key=lambda pair: len(TEXTS.modality(*pair).sections["aftercare"]))
    advice = TEXTS.modality(*longest).sections["aftercare"]
    normal = render_aftercare_pdf(sheet(*longest))
    assert pages(normal) == 1
    # an editor who triples the advice and a doctor who types the longest area note the form takes (2000)
    long_sheet = sheet(*longest, advice="\n\n".join([advice] * 3), areas=("Muslos, vientre y glúteos " * 80)[:2000])
    crowded = render_aftercare_pdf(long_sheet)
    assert pages(crowded) == 1
    text = flat(pdf_text(crowded))
    assert flat(paragraphs(advice)[-1]) in text and flat(TEXTS.aftercare_text(longest[0]).handout) in text


def test_the_same_session_gives_the_same_bytes() -> None:
    assert render_aftercare_pdf(sheet("es", "co2_laser")) == render_aftercare_pdf(sheet("es", "co2_laser"))


def test_a_language_folder_without_its_aftercare_words_is_refused_with_file_and_field(tmp_path: Any) -> None:
    import shutil

    from kiosk.texts.model import TextsError

    copy = tmp_path / "consent_texts"
    shutil.copytree(ROOT / "consent_texts", copy)
    (copy / "es" / "aftercare.yaml").write_text(
        (copy / "es" / "aftercare.yaml").read_text(encoding="utf-8").replace("when_to_call_title:", "#"),
        encoding="utf-8")
    with pytest.raises(TextsError) as raised:
        load_texts(copy)
    assert any("es/aftercare.yaml" in e and "when_to_call_title" in e for e in raised.value.errors)
    (copy / "es" / "aftercare.yaml").unlink()
    with pytest.raises(TextsError) as raised:
        load_texts(copy)
    assert any("es/aftercare.yaml" in e for e in raised.value.errors)


# --------------------------------------------------------------------------
# The course page, sites and the email
# --------------------------------------------------------------------------


def test_after_recording_a_session_the_course_page_offers_its_sheet(app: Flask, staff: dict[str, str]) -> None:
    sign(app, "Ana Cuidados", email="")
    consent = consent_of(app, "Ana Cuidados")
    landed, session_id = record_session(login(app, staff["doctor"]), consent.document_id, area="Belly")
    html = landed.get_data(as_text=True)
    assert "Session 1 is recorded." in html
    link = f'href="/course/sessions/{session_id}/aftercare.pdf"'
    assert link in html and "Print aftercare sheet" in html and 'class="just-recorded"' in html
    # no mail server and no address here: the page says the sheet can only be printed, and offers no email
    assert "Email is not set up for this clinic, so the sheet can only be printed." in html
    assert "Email the aftercare sheet" not in html
    desk_page = login(app, staff["frontdesk"]).get(f"/course/{consent.document_id}").get_data(as_text=True)
    assert link in desk_page


def test_a_desk_of_another_clinic_cannot_print_or_email_the_sheet(app: Flask, chain: dict[str, str]) -> None:  # noqa: F811
    document_id = sign_at(app, chain["desk_madrid"], "Marta Madrid")
    _page, session_id = record_session(login(app, chain["doctor_madrid"]), document_id)
    valencia = login(app, chain["desk_valencia"])
    assert valencia.get(f"/course/sessions/{session_id}/aftercare.pdf").status_code == 404
    token = csrf_token(valencia.get("/desk/").get_data(as_text=True))
    assert valencia.post(f"/course/sessions/{session_id}/aftercare/email",
                         data={"csrf_token": token}).status_code == 404
    assert audit_events(app, "aftercare_printed") == []
    madrid = login(app, chain["desk_madrid"])
    printed = madrid.get(f"/course/sessions/{session_id}/aftercare.pdf")
    assert printed.status_code == 200
    text = flat(pdf_text(printed.data))
    assert "Clínica Estética Madrid" in text and "Calle de Serrano 2, 28001 Madrid" in text  # the consent's site


def test_the_sheet_is_emailed_once_to_the_patients_own_address_in_their_language(
        app: Flask, staff: dict[str, str], inbox: Inbox) -> None:  # noqa: F811
    sign(app, "Otto Otro", email="otto@example.com")
    sign(app, "Lucía Correo", email="lucia@example.com", language="es")
    consent = consent_of(app, "Lucía Correo")
    doctor = login(app, staff["doctor"])
    landed, session_id = record_session(doctor, consent.document_id)
    html = landed.get_data(as_text=True)
    assert "Email the aftercare sheet" in html
    sent = doctor.post(f"/course/sessions/{session_id}/aftercare/email", data={"csrf_token": csrf_token(html)},
                       follow_redirects=True).get_data(as_text=True)
    assert "The aftercare sheet of session 1 was emailed to the address the patient gave." in sent
    assert "Emailed to the patient" in sent and "Email the aftercare sheet" not in sent
    [(recipients, message)] = inbox.messages
    assert recipients == ["lucia@example.com"]
    assert message["Subject"] == "Su hoja de cuidados de Test Clinic"
    body = message.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]
    assert f"Adjuntamos la hoja de cuidados de su sesión del {date.today().strftime('%d/%m/%Y')}" in body
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"cuidados-{consent.document_id}-sesion-1.pdf"
    pdf = attachment.get_content()
    assert pages(pdf) == 1 and flat(TEXTS.aftercare_text("es").title) in flat(pdf_text(pdf))
    # nothing of the other patient in the words or the sheet's text (base64 bytes can spell "Otto" by chance)
    assert "Otto" not in body + str(message.items()) and "Otto" not in pdf_text(pdf)
    [event] = audit_events(app, "aftercare_emailed")
    assert event.actor == staff["doctor"] and event.detail["session"] == 1
    assert event.detail["sha256"] == hashlib.sha256(pdf).hexdigest()
    again = doctor.post(f"/course/sessions/{session_id}/aftercare/email", data={"csrf_token": csrf_token(html)},
                        follow_redirects=True).get_data(as_text=True)
    assert "was already emailed to the patient. Print it if they need another copy." in again
    assert len(inbox.messages) == 1


def test_without_an_address_or_a_mail_server_the_desk_is_told_to_print(
        app: Flask, staff: dict[str, str], inbox: Inbox) -> None:  # noqa: F811
    sign(app, "Ana Sin Correo", email="")
    consent = consent_of(app, "Ana Sin Correo")
    desk = login(app, staff["frontdesk"])
    _page, session_id = record_session(login(app, staff["doctor"]), consent.document_id)
    html = desk.get(f"/course/{consent.document_id}").get_data(as_text=True)
    assert "The patient gave no email address in their consent, so the sheet can only be printed." in html
    told = desk.post(f"/course/sessions/{session_id}/aftercare/email", data={"csrf_token": csrf_token(html)},
                     follow_redirects=True).get_data(as_text=True)
    assert "The patient gave no email address in their consent, so the aftercare sheet cannot be emailed." in told
    app.config.update(SMTP_HOST="")
    told = desk.post(f"/course/sessions/{session_id}/aftercare/email", data={"csrf_token": csrf_token(html)},
                     follow_redirects=True).get_data(as_text=True)
    assert "Email is not set up for this clinic, so the aftercare sheet cannot be emailed." in told
    assert inbox.messages == []


def test_a_mail_server_that_fails_is_said_and_audited(app: Flask, staff: dict[str, str]) -> None:
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=free_port(), SMTP_STARTTLS=False, SMTP_TIMEOUT=2)  # nobody
    sign(app, "Ana Fallo", email="ana@example.com")
    consent = consent_of(app, "Ana Fallo")
    doctor = login(app, staff["doctor"])
    landed, session_id = record_session(doctor, consent.document_id)
    told = doctor.post(f"/course/sessions/{session_id}/aftercare/email",
                       data={"csrf_token": csrf_token(landed.get_data(as_text=True))},
                       follow_redirects=True).get_data(as_text=True)
    assert "The email could not be sent just now. Please print the aftercare sheet for the patient" in told
    assert "Email the aftercare sheet" in told  # it may be tried again
    [failed] = audit_events(app, "aftercare_email_failed")
    assert failed.detail["session"] == 1 and failed.detail["error"]


def test_a_session_that_does_not_exist_is_not_found(app: Flask, staff: dict[str, str]) -> None:
    desk = login(app, staff["frontdesk"])
    assert desk.get("/course/sessions/999999/aftercare.pdf").status_code == 404
    assert app.extensions["kiosk_db"]().get(TreatmentSession, 999999) is None
    signed_out = app.test_client().get("/course/sessions/1/aftercare.pdf")
    assert signed_out.status_code == 302 and "/login" in signed_out.headers["Location"]


def test_the_sheet_is_pdf_a_1b_like_every_pdf_the_clinic_makes(tmp_path: Any) -> None:
    from tests.test_pdfa import preflight

    paths = []
    for language in ("en", "es"):
        path = tmp_path / f"aftercare-{language}.pdf"
        path.write_bytes(render_aftercare_pdf(sheet(language, "chemical_peel")))
        paths.append(path)
    verdicts = preflight(paths, tmp_path / "listing.txt")
    assert verdicts == {path.name: [] for path in paths}


def test_a_second_tap_while_the_sheet_is_being_emailed_sends_nothing_more(
        app: Flask, staff: dict[str, str], inbox: Inbox) -> None:  # noqa: F811
    """The first tap's claim (kiosk.core.once) holds while its email goes out; the second tap is told it went."""
    from datetime import datetime, timezone

    from kiosk.core import once

    sign(app, "Lucía Correo", email="lucia@example.com", language="es")
    consent = consent_of(app, "Lucía Correo")
    doctor = login(app, staff["doctor"])
    landed, session_id = record_session(doctor, consent.document_id)
    with app.extensions["kiosk_db"]() as session:
        assert once.claim(session, consent.id, "aftercare_email", 1, datetime.now(timezone.utc))
    told = doctor.post(f"/course/sessions/{session_id}/aftercare/email",
                       data={"csrf_token": csrf_token(landed.get_data(as_text=True))},
                       follow_redirects=True).get_data(as_text=True)
    assert "was already emailed to the patient" in told
    assert inbox.messages == [] and audit_events(app, "aftercare_emailed") == []
