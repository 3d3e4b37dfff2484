"""A treatment is a course: check-ins before later sessions, validity, re-consent, withdrawal, session records.

Each path runs through the real pages (desk, tablet, doctor) with the Flask test client and real CSRF tokens;
the pure rules (validity, the check-in engine, the texts loader) are tested directly.
"""

from __future__ import annotations

import json
import re
import shutil
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from app import create_app
from kiosk.consent import queries as consents
from kiosk import demo
from kiosk.core.models import AuditEvent, Checkin, Consent, Draft
from kiosk.documents.record import Clinic
from kiosk.texts.loader import load_texts
from kiosk.texts.model import TextsError
from tests.support import ROOT, WizardDriver, csrf_token
from tests.helpers import STAFF_PASSWORD, seal_key_of, staff_login
from tests.helpers import pdf_text as helpers_pdf_text

CODE = re.compile(r'id="tablet-code"[^>]*>([A-Z0-9]{3}-[A-Z0-9]{3})<')


# --------------------------------------------------------------------------
# helpers: each acts through the pages a person would use
# --------------------------------------------------------------------------


def _now(app: Flask) -> datetime:
    return datetime.now(ZoneInfo(app.config["CLINIC_TIMEZONE"]))


def make_consent(app: Flask, *, name: str = "Marta Ruiz", modality: str = "microdermabrasion",
                 yes: dict[str, Any] | None = None, signed: datetime | None = None) -> str:
    """A signed consent made through the wizard's own services (as seed-demo does); returns its document id."""
    session = app.extensions["kiosk_db"]()
    consent = demo.sign_demo_consent(session, (name, "1990-01-01", modality, ["abdomen"], yes or {}),
                                 texts=app.extensions["kiosk_texts"],
                                 clinic=Clinic(name="Test Clinic", timezone=app.config["CLINIC_TIMEZONE"]),
                                 seal_key=seal_key_of(app), now=signed or _now(app))
    return consent.document_id


def _seal_config(app: Flask) -> dict[str, Any]:
    """The test seal, for a second app on the same database."""
    return {key: app.config[key] for key in ("SIGNING_KEY_FILE", "SIGNING_KEY_PASSPHRASE", "ENV_NAME")}


def signed_in(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    assert staff_login(client, email).status_code == 302
    return client


def post(client: FlaskClient, page: str, url: str, data: dict[str, Any] | None = None, follow: bool = False) -> Any:
    """Open `page` for its CSRF token, then post `data` to `url`."""
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **(data or {})}, follow_redirects=follow)


def start_checkin(desk: FlaskClient, document_id: str) -> str:
    """The desk presses "Start a check-in" on the course page; returns the code it reads to the patient."""
    response = post(desk, f"/course/{document_id}", f"/course/{document_id}/checkin", follow=True)
    found = CODE.search(response.get_data(as_text=True))
    assert found, response.get_data(as_text=True)[:2000]
    return found.group(1)


def tablet_checkin(app: Flask, code: str, yes: dict[str, str] | None = None, lang: str | None = None) -> FlaskClient:
    """A patient types the code, answers the check-in questions and signs with a typed name."""
    tablet = app.test_client()
    if lang:
        with tablet.session_transaction() as cookie:
            cookie["lang"] = lang
    response = post(tablet, "/", "/consent/start", {"code": code})
    assert response.headers["Location"] == "/checkin"
    yes = yes or {}
    answers = {f"q_{q.id}": "yes" if q.id in yes else "no"
               for q in app.extensions["kiosk_texts"].rules.checkin_for(_modality_of_code(app, code))}
    answers.update({f"detail_{qid}": detail for qid, detail in yes.items()})
    assert '<p class="progress" id="progress">' in tablet.get("/checkin").get_data(as_text=True)  # "Step 1 of 2"
    assert post(tablet, "/checkin", "/checkin", answers).headers["Location"] == "/checkin/sign"
    assert re.search(r"<title>[^<]* 2 [^<]* 2: ", tablet.get("/checkin/sign").get_data(as_text=True))
    response = post(tablet, "/checkin/sign", "/checkin/sign",
                    {"consent_agree": "y", "signature_data": "", "typed_signature": "Marta Ruiz",
                     "printed_name": "MARTA RUIZ"})
    assert response.headers["Location"] == "/checkin/done", response.get_data(as_text=True)[:1500]
    return tablet


def _modality_of_code(app: Flask, code: str) -> str:
    session = app.extensions["kiosk_db"]()
    return session.scalars(select(Draft.planned_modality).order_by(Draft.id.desc())).first()


def _sign_new_consent(app: Flask, code: str, modality: str = "microdermabrasion") -> str:
    """The patient types the renewal's code and walks the whole consent wizard again; returns the new id."""
    driver = WizardDriver(app.test_client())
    driver.get("/")
    assert driver.post("/consent/start", {"code": code}).headers["Location"] == "/consent/identity"
    assert driver.identity(name="Marta Ruiz", dob="1990-01-01").status_code == 302
    assert driver.treatment(modality).status_code == 302
    assert driver.explanation().status_code == 302
    driver.risks(app, modality, initials="MR")
    assert driver.comprehension(app, modality).headers["Location"] == "/consent/screening"
    assert driver.screening(app, modality).headers["Location"] == "/consent/review"
    assert driver.review().status_code == 302
    signed = driver.sign(typed_signature="Marta Ruiz", printed_name="MARTA RUIZ")
    assert signed.headers["Location"] == "/consent/done"
    session = app.extensions["kiosk_db"]()
    return session.scalars(select(Consent.document_id).order_by(Consent.id.desc())).first()


def record_session(doctor: FlaskClient, document_id: str, day: date, **extra: Any) -> Any:
    data = {"session_date": day.isoformat(), "area": "Abdomen", "settings": "Diamond tip, medium pressure",
            "anaesthetic_applied_by": "Nurse Lola Vega", "anaesthetic_product": "Lidocaine 5% cream",
            "anaesthetic_minutes": "30", "notes": "", **extra}
    return post(doctor, f"/course/{document_id}", f"/course/{document_id}/sessions", data)


def decide(doctor: FlaskClient, checkin_id: str, decision: str = "cleared", note: str = "") -> Any:
    return post(doctor, f"/course/checkins/{checkin_id}", f"/course/checkins/{checkin_id}",
                {"decision": decision, "note": note, "meaning": "y", "password": STAFF_PASSWORD})


def stored(app: Flask, document_id: str) -> Consent:
    return consents.get_consent(app.extensions["kiosk_db"](), document_id)


def sealed_by_us(app: Flask, pdf: bytes) -> bool:
    """The PDF carries an intact seal made with this installation's key (kiosk.documents.verification)."""
    from kiosk.documents.verification import verify_pdf
    from kiosk.core.web import trusted_certificates

    with app.app_context():
        return verify_pdf(pdf, trusted_certificates()).intact


def pdf_text(data: bytes) -> str:
    """Every page's text and every signed revision's appearance (a decision or a withdrawal), spaces collapsed."""
    return " ".join(helpers_pdf_text(data).split())


# --------------------------------------------------------------------------
# the paths "Done means" names
# --------------------------------------------------------------------------


def test_a_clean_check_in_lets_the_session_go_ahead(app: Flask, staff: dict[str, str]) -> None:
    document_id = make_consent(app)
    desk, doctor = signed_in(app, staff["frontdesk"]), signed_in(app, staff["doctor"])
    assert record_session(doctor, document_id, _now(app).date()).status_code == 302  # session 1, on the consent
    code = start_checkin(desk, document_id)
    tablet = tablet_checkin(app, code)
    done = tablet.get("/checkin/done").get_data(as_text=True)
    assert "Nothing you told us stops today&#39;s session" in done

    [checkin] = stored(app, document_id).checkins
    assert checkin.status == "submitted" and checkin.highest_severity is None and checkin.record["flags"] == []
    text = pdf_text(checkin.pdf)
    assert document_id in text and checkin.document_id in text and "MARTA RUIZ" in text
    assert "Since your last session, have you started any new medicine?" in text
    assert sealed_by_us(app, checkin.pdf)
    # not in the doctors' queue; session 2 goes on it without any review
    assert checkin.document_id not in doctor.get("/doctor/queue").get_data(as_text=True)
    assert record_session(doctor, document_id, _now(app).date()).status_code == 302
    sessions = stored(app, document_id).sessions
    assert [(s.number, s.checkin_id) for s in sessions] == [(1, None), (2, checkin.id)]
    # the desk's list shows the check-in as signed, and the code cannot be used again
    assert 'data-status="signed"' in desk.get("/desk/").get_data(as_text=True)
    again = post(app.test_client(), "/", "/consent/start", {"code": code})
    assert "That code is not valid" in again.get_data(as_text=True)


def test_a_flagged_check_in_blocks_the_session_until_a_doctor_decides(app: Flask, staff: dict[str, str]) -> None:
    document_id = make_consent(app, modality="co2_laser")
    desk, doctor = signed_in(app, staff["frontdesk"]), signed_in(app, staff["doctor"])
    assert record_session(doctor, document_id, _now(app).date()).status_code == 302
    tablet = tablet_checkin(app, start_checkin(desk, document_id), yes={"checkin_sun": "Beach holiday last week"})
    assert "The doctor will go over some of them" in tablet.get("/checkin/done").get_data(as_text=True)

    [checkin] = stored(app, document_id).checkins
    assert checkin.highest_severity == "stop"
    queue = doctor.get("/doctor/queue").get_data(as_text=True)
    assert checkin.document_id in queue and "Check-ins to decide" in queue
    refused = record_session(doctor, document_id, _now(app).date())
    assert refused.status_code == 200 and "a doctor must decide before this session" in refused.get_data(as_text=True)
    assert len(stored(app, document_id).sessions) == 1

    page = doctor.get(f"/course/checkins/{checkin.document_id}").get_data(as_text=True)
    assert "Beach holiday last week" in page and "Sun exposure, a sunbed" in page
    answers = checkin.record["answers"]
    assert page.count('<td data-label="Answer">Yes</td>') == 1  # in words
    assert page.count('<td data-label="Answer">No</td>') == len(answers) - 1
    no_note = decide(doctor, checkin.document_id)  # a stop flag needs a reason to clear
    assert "A note is required" in no_note.get_data(as_text=True)
    assert decide(doctor, checkin.document_id, note="Tan has faded; test patch fine.").status_code == 302
    assert checkin.document_id not in doctor.get("/doctor/queue").get_data(as_text=True)
    assert record_session(doctor, document_id, _now(app).date()).status_code == 302
    assert [s.number for s in stored(app, document_id).sessions] == [1, 2]


def test_an_expired_consent_needs_a_new_consent_flagged_for_review(app: Flask, staff: dict[str, str]) -> None:
    old = make_consent(app, signed=_now(app) - timedelta(days=400))
    desk = signed_in(app, staff["frontdesk"])
    page = desk.get(f"/course/{old}").get_data(as_text=True)
    assert 'data-reason="expired"' in page and "the consent has expired" in page
    refused = post(desk, f"/course/{old}", f"/course/{old}/checkin", follow=True).get_data(as_text=True)
    assert "A check-in cannot start: the consent has expired." in refused
    assert stored(app, old).checkins == []

    code = CODE.search(post(desk, f"/course/{old}", f"/course/{old}/renew", follow=True)
                       .get_data(as_text=True)).group(1)
    new = _sign_new_consent(app, code)
    renewed = stored(app, new)
    assert renewed.record["renews"]["document_id"] == old and renewed.record["renews"]["reason"] == "expired"
    assert [f["question"] for f in renewed.record["flags"]] == ["renewal"]
    assert renewed.highest_severity == "review"  # pending review: in the doctors' queue, not ready for treatment
    doctor = signed_in(app, staff["doctor"])
    assert new in doctor.get("/doctor/queue").get_data(as_text=True)
    assert f"Re-consent: replaces {old}" in doctor.get(f"/doctor/consents/{new}").get_data(as_text=True)


def test_a_new_text_version_forces_a_re_consent_and_the_history_shows_both(
        app: Flask, staff: dict[str, str], db_url: str, tmp_path: Path) -> None:
    old = make_consent(app, modality="chemical_peel", signed=_now(app) - timedelta(days=30))
    signed_version = stored(app, old).texts_version
    texts_dir = tmp_path / "consent_texts"
    shutil.copytree(ROOT / "consent_texts", texts_dir)
    peel = texts_dir / "en" / "modalities" / "chemical_peel.yaml"
    peel.write_text(peel.read_text(encoding="utf-8").replace(f'version: "{signed_version}"',
                                                              'version: "2027-01-15.1"', 1), encoding="utf-8")
    newer = create_app({**_seal_config(app), "TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": db_url,
                        "AUTO_MIGRATE": False, "CONSENT_TEXTS_DIR": str(texts_dir)})
    desk = signed_in(newer, staff["frontdesk"])
    page = desk.get(f"/course/{old}").get_data(as_text=True)
    assert 'data-reason="new_version"' in page
    assert f"The patient signed texts version {signed_version}; the clinic now publishes version 2027-01-15.1" in page
    assert "Start a new consent" in page and "Start a check-in" not in page

    code = CODE.search(post(desk, f"/course/{old}", f"/course/{old}/renew", follow=True)
                       .get_data(as_text=True)).group(1)
    new = _sign_new_consent(newer, code, modality="chemical_peel")
    renewed = stored(newer, new)
    assert renewed.texts_version == "2027-01-15.1"
    assert renewed.record["flags"][0]["reason"] == (
        f"Re-consent: replaces {old} (signed {stored(newer, old).created_at.astimezone(ZoneInfo('Europe/Madrid')).date()}"
        f" on texts version {signed_version}); the texts are now version 2027-01-15.1.")
    history = desk.get(f"/course/{new}").get_data(as_text=True)
    versions = re.findall(r'class="texts-version"[^>]*>([^<]+)<', history)
    assert versions == [signed_version, "2027-01-15.1"]
    assert old in history and new in history


def test_a_withdrawal_is_recorded_sealed_in_a_revision_and_shown_everywhere(
        app: Flask, staff: dict[str, str], tmp_path: Path) -> None:
    document_id = make_consent(app)
    desk, doctor = signed_in(app, staff["frontdesk"]), signed_in(app, staff["doctor"])
    code = start_checkin(desk, document_id)  # waiting on a tablet when the patient changes their mind
    original = stored(app, document_id).documents[0].sha256

    empty = post(desk, f"/course/{document_id}", f"/course/{document_id}/withdraw", {"reason": "x"})
    assert "Please say how the patient withdrew." in empty.get_data(as_text=True)
    assert stored(app, document_id).status == "submitted"
    asked = post(desk, f"/course/{document_id}", f"/course/{document_id}/withdraw",
                 {"how": "phone", "reason": "Moving abroad; no more sessions."}).get_data(as_text=True)
    assert "Record that Marta Ruiz withdraws this consent?" in asked and "By telephone" in asked
    assert "Yes, record the withdrawal" in asked and "Moving abroad; no more sessions." in asked
    assert stored(app, document_id).status == "submitted"  # asking records nothing
    done = post(desk, f"/course/{document_id}", f"/course/{document_id}/withdraw",
                {"how": "phone", "reason": "Moving abroad; no more sessions.", "confirmed": "yes"},
                follow=True).get_data(as_text=True)
    assert "The withdrawal is recorded in PDF revision 2. Nothing was deleted." in done

    consent = stored(app, document_id)
    assert consent.status == "withdrawn"
    assert [(d.revision, d.kind) for d in consent.documents] == [(1, "patient_signed"), (2, "withdrawal")]
    assert consent.documents[0].sha256 == original  # the signed original stays as it was
    event = consent.events[-1]
    assert (event.status, event.actor, event.note) == ("withdrawn", staff["frontdesk"],
                                                       "phone: Moving abroad; no more sessions.")
    text = pdf_text(consent.documents[1].pdf)
    assert "Moving abroad; no more sessions." in text and "By telephone" in text and original in text
    assert sealed_by_us(app, consent.documents[1].pdf)
    # everywhere: desk course page, doctor's page, staff list, export; and the waiting check-in's code is dead
    assert 'data-reason="withdrawn"' in desk.get(f"/course/{document_id}").get_data(as_text=True)
    assert "readiness-withdrawn" in doctor.get(f"/doctor/consents/{document_id}").get_data(as_text=True)
    assert "readiness-withdrawn" in doctor.get("/staff").get_data(as_text=True)
    assert document_id in doctor.get("/doctor/queue?status=withdrawn").get_data(as_text=True)
    out = tmp_path / "export.json"
    assert app.test_cli_runner().invoke(args=["export", document_id, "--json", str(out)]).exit_code == 0
    exported = json.loads(out.read_text(encoding="utf-8"))
    assert exported["status"] == "withdrawn" and exported["status_history"][-1]["status"] == "withdrawn"
    assert [d["kind"] for d in exported["documents"]] == ["patient_signed", "withdrawal"]
    assert "Start a check-in" not in desk.get(f"/course/{document_id}").get_data(as_text=True)
    refused = post(app.test_client(), "/", "/consent/start", {"code": code})
    assert "That code is not valid" in refused.get_data(as_text=True)
    actions = {e.action for e in app.extensions["kiosk_db"]().scalars(select(AuditEvent))}
    assert {"checkin_started", "consent_withdrawn", "session_cancelled"} <= actions


def test_the_doctors_consent_page_names_a_withdrawal_revision_in_words_in_english_and_in_spanish(
        app: Flask, staff: dict[str, str]) -> None:
    document_id = make_consent(app)
    desk, doctor = signed_in(app, staff["frontdesk"]), signed_in(app, staff["doctor"])
    post(desk, f"/course/{document_id}", f"/course/{document_id}/withdraw", {"how": "writing", "confirmed": "yes"})
    revisions = re.compile(r'<ul class="revisions">(.*?)</ul>', re.S)

    english = revisions.search(doctor.get(f"/doctor/consents/{document_id}").get_data(as_text=True))
    assert english and "with the withdrawal of consent" in english.group(1)
    assert "withdrawal —" not in english.group(1)  # never the stored code itself
    with doctor.session_transaction() as session:
        session["lang"] = "es"
    spanish = revisions.search(doctor.get(f"/doctor/consents/{document_id}").get_data(as_text=True))
    assert spanish and "con la retirada del consentimiento" in spanish.group(1)
    assert "withdrawal" not in spanish.group(1)


def test_the_history_of_a_course_of_four_sessions(app: Flask, staff: dict[str, str], tmp_path: Path) -> None:
    document_id = make_consent(app, modality="fractional_laser", signed=_now(app) - timedelta(days=70))
    desk, doctor = signed_in(app, staff["frontdesk"]), signed_in(app, staff["doctor"])
    today = _now(app).date()
    assert record_session(doctor, document_id, today - timedelta(days=63)).status_code == 302
    tablet_checkin(app, start_checkin(desk, document_id))
    assert record_session(doctor, document_id, today - timedelta(days=42)).status_code == 302
    tablet_checkin(app, start_checkin(desk, document_id), yes={"checkin_pigment": "Light patch on the left side"})
    flagged = stored(app, document_id).checkins[-1].document_id
    assert decide(doctor, flagged, note="Patch fading; lower fluence.").status_code == 302
    assert record_session(doctor, document_id, today - timedelta(days=21), settings="Lower fluence").status_code == 302
    tablet_checkin(app, start_checkin(desk, document_id))
    assert record_session(doctor, document_id, today, anaesthetic_minutes="45").status_code == 302

    page = doctor.get(f"/course/{document_id}").get_data(as_text=True)
    checkin_rows = re.findall(r'<tr id="checkin-([^"]+)">\s*<td[^>]*>.*?</td>\s*<td[^>]*>(\d)</td>', page, re.S)
    assert [number for _, number in checkin_rows] == ["2", "3", "4"]
    sessions = re.findall(r"<tr><td[^>]*>(\d)</td><td[^>]*>([0-9-]+)</td>", page)
    assert [n for n, _ in sessions] == ["1", "2", "3", "4"]
    assert [day for _, day in sessions] == [(today - timedelta(days=d)).isoformat() for d in (63, 42, 21, 0)]
    assert "Lower fluence" in page and "Nurse Lola Vega, Lidocaine 5% cream, 45 min" in page
    assert "readiness-cleared" in page  # the decided check-in
    consent = stored(app, document_id)
    assert [s.checkin_id for s in consent.sessions] == [None, *(c.id for c in consent.checkins)]
    out = tmp_path / "course.json"
    assert app.test_cli_runner().invoke(args=["export", document_id, "--json", str(out)]).exit_code == 0
    exported = json.loads(out.read_text(encoding="utf-8"))
    assert [s["number"] for s in exported["sessions"]] == [1, 2, 3, 4]
    assert [c["record"]["session_number"] for c in exported["checkins"]] == [2, 3, 4]
    assert exported["checkins"][1]["reviews"][0]["decision"] == "cleared"
    # a fifth session needs a fifth check-in
    refused = record_session(doctor, document_id, today).get_data(as_text=True)
    assert "Session 5 needs a signed check-in first" in refused


# --------------------------------------------------------------------------
# the tablet, the forms and the pure rules
# --------------------------------------------------------------------------


def test_the_check_in_shows_spanish_words_and_stores_them(app: Flask, staff: dict[str, str]) -> None:
    document_id = make_consent(app)
    code = start_checkin(signed_in(app, staff["frontdesk"]), document_id)
    tablet = app.test_client()
    with tablet.session_transaction() as cookie:
        cookie["lang"] = "es"
    post(tablet, "/", "/consent/start", {"code": code})
    page = tablet.get("/checkin").get_data(as_text=True)
    assert "Antes de la sesión de hoy" in page
    assert "Desde la última sesión, ¿ha empezado a tomar algún medicamento nuevo?" in page


def test_a_check_in_answered_in_spanish_and_signed_in_english_prints_the_questions_as_read_with_the_switch(
        app: Flask, staff: dict[str, str]) -> None:
    texts = app.extensions["kiosk_texts"]
    document_id = make_consent(app)  # an English consent
    code = start_checkin(signed_in(app, staff["frontdesk"]), document_id)
    tablet = app.test_client()
    post(tablet, "/", "/consent/start", {"code": code})
    post(tablet, "/checkin", "/language", {"lang": "es", "next": "/checkin"})
    asked = texts.rules.checkin_for("microdermabrasion")
    assert post(tablet, "/checkin", "/checkin", {f"q_{q.id}": "no" for q in asked}).headers["Location"] == "/checkin/sign"
    post(tablet, "/checkin/sign", "/language", {"lang": "en", "next": "/checkin/sign"})  # signs in English
    response = post(tablet, "/checkin/sign", "/checkin/sign", {"consent_agree": "y", "signature_data": "",
                                                               "typed_signature": "y", "printed_name": "MARTA RUIZ"})
    assert response.headers["Location"] == "/checkin/done"

    with app.extensions["kiosk_db"]() as session:
        checkin = session.scalars(select(Checkin).where(Checkin.status != "open")).one()
        record, pdf = checkin.record, checkin.document.revisions[0].pdf
    spanish = texts.checkin_text("es").questions
    assert record["language"] == "en"
    assert [a["text"] for a in record["answers"]] == [spanish[q.id].text for q in asked]  # the words answered
    assert [(s["from_language"], s["to_language"]) for s in record["trail"]["language_switches"]] == [
        ("en", "es"), ("es", "en")]
    text = pdf_text(pdf)
    assert "The patient read this part in Spanish (es); it is printed as they read it." in text
    assert spanish[asked[0].id].text in text and texts.checkin_text("en").questions[asked[0].id].text not in text
    assert "Language switches" in text and "English (en) → Spanish (es)" in text


def test_a_consent_tablet_and_a_check_in_tablet_cannot_cross(app: Flask, staff: dict[str, str],
                                                            wizard: WizardDriver) -> None:
    wizard.start()  # a consent in progress on this tablet
    assert wizard.client.get("/checkin").headers["Location"] == "/"
    document_id = make_consent(app)
    code = start_checkin(signed_in(app, staff["frontdesk"]), document_id)
    tablet = app.test_client()
    post(tablet, "/", "/consent/start", {"code": code})
    assert tablet.get("/consent/identity").headers["Location"] == "/"  # the wizard never opens a check-in


def test_a_check_in_cancelled_at_the_desk_sends_the_tablet_back(app: Flask, staff: dict[str, str]) -> None:
    document_id = make_consent(app)
    desk = signed_in(app, staff["frontdesk"])
    code = start_checkin(desk, document_id)
    tablet = app.test_client()
    post(tablet, "/", "/consent/start", {"code": code})
    [checkin] = stored(app, document_id).checkins
    assert post(desk, "/desk/", f"/desk/sessions/{checkin.draft_id}/cancel").status_code == 302
    back = tablet.get("/checkin", follow_redirects=True).get_data(as_text=True)
    assert "This check-in was closed by the front desk" in back


def test_a_session_form_with_bad_values_says_what_to_fix(app: Flask, staff: dict[str, str]) -> None:
    document_id = make_consent(app)
    doctor = signed_in(app, staff["doctor"])
    page = doctor.get(f"/course/{document_id}").get_data(as_text=True)
    assert "The US FDA warns that numbing creams spread over large areas" in page
    future = record_session(doctor, document_id, _now(app).date() + timedelta(days=1),
                            anaesthetic_applied_by="", anaesthetic_minutes="500").get_data(as_text=True)
    assert "the date cannot be in the future" in future and "Please enter minutes from 0 to 240." in future
    assert stored(app, document_id).sessions == []


def test_a_consent_with_unreviewed_flags_cannot_start_a_check_in(app: Flask, staff: dict[str, str]) -> None:
    document_id = make_consent(app, yes={"heart_disease": True})
    page = signed_in(app, staff["frontdesk"]).get(f"/course/{document_id}").get_data(as_text=True)
    assert 'data-reason="not_cleared"' in page and "Start a check-in" not in page


def test_the_validity_limit_is_configurable(db_url: str, staff: dict[str, str], app: Flask) -> None:
    document_id = make_consent(app, signed=_now(app) - timedelta(days=40))
    short = create_app({**_seal_config(app), "TESTING": True, "SECRET_KEY": "t", "DATABASE_URL": db_url,
                        "AUTO_MIGRATE": False,
                        "CONSENT_VALID_MONTHS": 1})
    assert 'data-reason="expired"' in signed_in(short, staff["frontdesk"]).get(f"/course/{document_id}").get_data(
        as_text=True)
    assert 'data-reason="ok"' in signed_in(app, staff["frontdesk"]).get(f"/course/{document_id}").get_data(
        as_text=True)


@pytest.mark.parametrize(("path", "old", "new", "message"), [
    ("es/checkin.yaml", "  checkin_pigment:\n", "  checkin_pigmnt:\n",
     "unknown check-in question 'checkin_pigmnt': it is not in rules.yaml under checkin"),
    ("en/checkin.yaml", "clean_notice: |", "clean_notes: |", 'missing field "clean_notice"'),
    ("rules.yaml", "    - id: checkin_sun\n", "    - id: pregnant\n", "pregnant is already a screening question"),
    ("rules.yaml", "    reason_expired: \"Re-consent: replaces {previous}", "    reason_expired: \"Re-consent: {patient}",
     "unknown placeholder {patient}"),
])
def test_broken_check_in_texts_are_named_with_file_and_line(tmp_path: Path, path: str, old: str, new: str,
                                                            message: str) -> None:
    copy = tmp_path / "consent_texts"
    shutil.copytree(ROOT / "consent_texts", copy)
    target = copy / path
    text = target.read_text(encoding="utf-8")
    assert old in text
    target.write_text(text.replace(old, new, 1), encoding="utf-8")
    with pytest.raises(TextsError) as caught:
        load_texts(copy)
    found = [e for e in caught.value.errors if message in e]
    assert found and re.match(rf"consent_texts/{re.escape(path)}:\d+:", found[0]), caught.value.errors


def test_every_language_folder_has_check_in_words_for_every_question(app: Flask) -> None:
    texts = app.extensions["kiosk_texts"]
    ids = {q.id for q in texts.rules.checkin_questions}
    assert set(texts.checkin) >= {"en", "es"}
    for words in texts.checkin.values():
        assert set(words.questions) == ids


def test_the_check_in_tablet_has_the_language_switch_text_size_and_idle_reset(app: Flask, staff: dict[str, str]) -> None:
    """A check-in is a patient's page like the wizard's: another language mid-way, and nothing left for the next one."""
    document_id = make_consent(app)
    code = start_checkin(signed_in(app, staff["frontdesk"]), document_id)
    tablet = app.test_client()
    post(tablet, "/", "/consent/start", {"code": code})
    page = tablet.get("/checkin").get_data(as_text=True)
    assert 'action="/language"' in page and 'id="idle-dialog"' in page and 'action="/tablet/text-size"' in page
    assert "Since your last session, have you started any new medicine?" in page
    # the intro's three lines stay three paragraphs, as the texts' blank lines say
    assert "<p>You have already signed a consent for this treatment.</p>" in page
    assert "<p>If you are not sure, answer yes and tell us more.</p>" in page

    switched = post(tablet, "/checkin", "/language", {"lang": "es", "next": "/checkin"})
    assert switched.headers["Location"] == "/checkin"
    page = tablet.get("/checkin").get_data(as_text=True)
    assert '<html lang="es"' in page
    assert "Desde la última sesión, ¿ha empezado a tomar algún medicamento nuevo?" in page

    assert post(tablet, "/checkin", "/tablet/reset").headers["Location"] == "/"
    assert "medicamento" not in tablet.get("/").get_data(as_text=True)
    assert tablet.get("/checkin").status_code == 302  # the token is gone from this tablet
    with app.extensions["kiosk_db"]() as session:  # the check-in itself waits on the server
        assert session.scalar(select(Draft.status).where(Draft.language == "es")) == "open"
