"""The doctors' side: review queue, consent page, signed decision with its PDF revision, readiness, audit."""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from kiosk.core import vocabulary
from kiosk.review import queue as review_queue
from kiosk.rules.readiness import readiness
from kiosk.review import decisions as reviews
from kiosk.core.models import AuditEvent, Consent, Decision, Document, DocumentRevision, Draft, User
from kiosk.documents.record import Severity, severity_rank
from tests.support import csrf_token
from tests.helpers import STAFF_PASSWORD, staff_login

BASE = datetime(2026, 3, 10, 12, 0, tzinfo=timezone.utc)
ROW_NAME = re.compile(r'<a href="/doctor/consents/[^"]+">([^<]+)</a>')


# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def _session(app: Flask) -> Any:
    return app.extensions["kiosk_db"]()


def add_consent(app: Flask, name: str, *, severity: Severity | None = "review", modality: str = "co2_laser",
                created: datetime = BASE, status: str = "submitted", decision: str | None = None) -> str:
    """A bare queue row (no PDF, empty record) with a flag for a doctor: enough for the queue, faster than the wizard."""
    session = _session(app)
    draft = Draft(token=secrets.token_hex(16), status="submitted", data={}, trail={}, site_id=1)
    document_id = f"CK-TEST-{secrets.token_hex(4).upper()}"
    consent = Consent(document=Document(id=document_id, kind="consent", created_at=created), draft=draft, site_id=1, created_at=created, status=status, patient_name=name,
                      date_of_birth=date(1990, 1, 1), modality=modality, language="en", highest_severity=severity,
                      severity_rank=severity_rank(severity), texts_version="t", texts_sha256="0" * 64,
                      rules_version="r", record={}, signature_png=None)
    session.add(consent)
    if decision:
        doctor = session.scalar(select(User).where(User.role == "doctor"))
        consent.reviews.append(Decision(doctor_id=doctor.id, doctor_name=doctor.name, decision=decision,
                                        note=None, meaning="m", at=created, document_revision=2))
    session.commit()
    session.close()
    return document_id


def doctor_client(app: Flask, role: str = "doctor") -> FlaskClient:
    client = app.test_client()
    response = staff_login(client, f"{role}@x.test")
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    return client


def names(html: str) -> list[str]:
    return ROW_NAME.findall(html)


def queue_html(client: FlaskClient, **args: Any) -> str:
    response = client.get("/doctor/queue", query_string=args)
    assert response.status_code == 200
    return response.get_data(as_text=True)


def audit_rows(app: Flask, action: str) -> list[AuditEvent]:
    session = _session(app)
    rows = session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).all()
    session.close()
    return list(rows)


def load(app: Flask, document_id: str) -> Consent:
    """The stored consent with its revisions, reviews and events loaded, read through a fresh session."""
    session = _session(app)
    consent = session.scalar(select(Consent).where(Consent.document_id == document_id).options(
        selectinload(Consent.document).selectinload(Document.revisions),
        selectinload(Consent.document).selectinload(Document.decisions), selectinload(Consent.events)))
    session.close()
    return consent


def signed_consent(app: Flask, wizard: Any, *, yes: dict[str, str] | None = None, name: str = "Zoë Ñúñez") -> str:
    """A real consent through the tablet wizard (record, flags, PDF revision 1)."""
    response = wizard.complete(app, "co2_laser", name=name, yes=yes, typed_signature=name)
    assert response.status_code == 302
    session = _session(app)
    document_id = session.scalar(select(Consent.document_id).order_by(Consent.id.desc()))
    session.close()
    return document_id


STOP_AND_REVIEW = {"pregnant": "Twelve weeks, told the nurse", "heart_disease": "Takes ramipril"}


def decide(client: FlaskClient, document_id: str, **fields: Any):  # noqa: ANN201
    page = client.get(f"/doctor/consents/{document_id}").get_data(as_text=True)
    data = {"csrf_token": csrf_token(page), "decision": "cleared", "note": "", "meaning": "y",
            "password": STAFF_PASSWORD}
    data.update(fields)
    data = {k: v for k, v in data.items() if v is not None}
    return client.post(f"/doctor/consents/{document_id}", data=data)


# --------------------------------------------------------------------------
# readiness: one function, every case
# --------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "severity", "decision", "key", "label"), [
    ("submitted", "stop", None, "not_ready", "Not ready for treatment"),
    ("submitted", "review", None, "not_ready", "Not ready for treatment"),
    ("submitted", "info", None, "ready", "Ready (no doctor review needed)"),
    ("submitted", None, None, "ready", "Ready (no doctor review needed)"),
    ("reviewed", "stop", "cleared", "cleared", "Cleared for treatment"),
    ("reviewed", "review", "not_cleared", "not_cleared", "Not cleared"),
    ("reviewed", None, "consultation", "consultation", "Needs a consultation"),
    ("withdrawn", "stop", "cleared", "withdrawn", "Withdrawn"),
])
def test_readiness(app: Flask, status: str, severity: Severity | None, decision: str | None, key: str,
                   label: str) -> None:
    with app.test_request_context():
        result = readiness(status, severity_rank(severity), decision)
        assert (result.key, str(vocabulary.label(vocabulary.READINESS_LABELS, result.key))) == (key, label)


# --------------------------------------------------------------------------
# the queue
# --------------------------------------------------------------------------


def test_the_working_list_holds_stop_then_review_newest_first_and_any_status_adds_the_rest(
        app: Flask, staff: dict[str, str]) -> None:
    add_consent(app, "Info Old", severity="info", created=BASE - timedelta(days=3))
    add_consent(app, "None Newest", severity=None, created=BASE + timedelta(days=5))
    add_consent(app, "Stop Old", severity="stop", created=BASE - timedelta(days=9))
    add_consent(app, "Review Mid", severity="review", created=BASE)
    add_consent(app, "Stop New", severity="stop", created=BASE + timedelta(days=1))
    add_consent(app, "Review New", severity="review", created=BASE + timedelta(days=2))
    add_consent(app, "Info New", severity="info", created=BASE + timedelta(days=4))
    client = doctor_client(app)
    html = queue_html(client)
    assert names(html) == ["Stop New", "Stop Old", "Review New", "Review Mid"]  # what needs a doctor, nothing else
    assert "Not ready for treatment" in html and "Ready (no doctor review needed)" not in html
    everything = queue_html(client, status="any")
    assert names(everything) == ["Stop New", "Stop Old", "Review New", "Review Mid", "Info New", "Info Old",
                                 "None Newest"]
    assert "Ready (no doctor review needed)" in everything


def test_queue_status_filter_shows_submitted_by_default(app: Flask, staff: dict[str, str]) -> None:
    add_consent(app, "Waiting", severity="stop")
    add_consent(app, "Done Already", severity="stop", status="reviewed", decision="not_cleared")
    client = doctor_client(app)
    assert names(queue_html(client)) == ["Waiting"]
    html = queue_html(client, status="reviewed")
    assert names(html) == ["Done Already"]
    assert "Not cleared" in html


def test_queue_modality_filter(app: Flask, staff: dict[str, str]) -> None:
    add_consent(app, "Laser", modality="co2_laser")
    add_consent(app, "Peel", modality="chemical_peel")
    assert names(queue_html(doctor_client(app), modality="chemical_peel")) == ["Peel"]


def test_queue_date_filter_uses_the_clinic_day(app: Flask, staff: dict[str, str]) -> None:
    # 23:30 UTC on 10 March is 00:30 on 11 March in Madrid (UTC+1)
    add_consent(app, "Late Night", created=datetime(2026, 3, 10, 23, 30, tzinfo=timezone.utc))
    add_consent(app, "Tenth", created=datetime(2026, 3, 10, 9, 0, tzinfo=timezone.utc))
    add_consent(app, "Twelfth", created=datetime(2026, 3, 12, 9, 0, tzinfo=timezone.utc))
    client = doctor_client(app)
    assert names(queue_html(client, date_from="2026-03-11", date_to="2026-03-11")) == ["Late Night"]
    assert names(queue_html(client, date_to="2026-03-10")) == ["Tenth"]
    assert names(queue_html(client, date_from="2026-03-11")) == ["Twelfth", "Late Night"]
    assert names(queue_html(client, date_from="0001-01-01", date_to="9999-12-31")) == ["Twelfth", "Late Night",
                                                                                      "Tenth"]
    assert names(queue_html(client, date_to="9999-12-31")) == ["Twelfth", "Late Night", "Tenth"]
    assert names(queue_html(client, date_from="0001-01-01")) == ["Twelfth", "Late Night", "Tenth"]
    assert names(queue_html(client, date_from="0001-01-01", date_to="2026-03-10")) == ["Tenth"]
    assert names(queue_html(client, date_from="2026-03-11", date_to="9999-12-31")) == ["Twelfth", "Late Night"]


def test_queue_name_search_ignores_accents_case_and_punctuation_as_a_spanish_desk_types(
        app: Flask, staff: dict[str, str]) -> None:
    add_consent(app, "Zoë Ñúñez", created=BASE)
    add_consent(app, "Aleksandra Wiśniewska", created=BASE - timedelta(hours=1))
    add_consent(app, "Noah O'Connor", created=BASE - timedelta(hours=2))
    add_consent(app, "María-José Fernández Ortega", created=BASE - timedelta(hours=3))
    add_consent(app, "Begoña Núñez Ruiz", created=BASE - timedelta(hours=4))
    add_consent(app, "Łukasz Søren", created=BASE - timedelta(hours=5))
    client = doctor_client(app)
    assert names(queue_html(client, q="fernandez")) == ["María-José Fernández Ortega"]
    assert names(queue_html(client, q="maria jose")) == ["María-José Fernández Ortega"]
    assert names(queue_html(client, q="MARÍA JOSÉ")) == ["María-José Fernández Ortega"]
    assert names(queue_html(client, q="begona nunez")) == ["Begoña Núñez Ruiz"]
    assert names(queue_html(client, q="nunez")) == ["Zoë Ñúñez", "Begoña Núñez Ruiz"]
    assert names(queue_html(client, q="wisniewska")) == ["Aleksandra Wiśniewska"]
    assert names(queue_html(client, q="oconnor")) == ["Noah O&#39;Connor"]
    assert names(queue_html(client, q="o'connor")) == ["Noah O&#39;Connor"]
    assert names(queue_html(client, q="lukasz soren")) == ["Łukasz Søren"]
    assert names(queue_html(client, q="zoe")) == ["Zoë Ñúñez"]
    assert names(queue_html(client, q="%")) == []  # no letter or digit: nobody, not everybody
    assert "No consents match." in queue_html(client, q="nobody")


def test_bad_filter_values_are_ignored_with_a_message(app: Flask, staff: dict[str, str]) -> None:
    add_consent(app, "Laser", modality="co2_laser")
    add_consent(app, "Peel", modality="chemical_peel", created=BASE - timedelta(hours=1))
    client = doctor_client(app)
    html = queue_html(client, status="bogus", modality="x-ray", date_from="2026-13-45", date_to="yesterday",
                      page="abc")
    assert names(html) == ["Laser", "Peel"]
    for value in ("bogus", "x-ray", "2026-13-45", "yesterday", "abc"):
        assert f"“{value}”" in html, value
    html = queue_html(client, date_from="2026-03-12", date_to="2026-03-01")
    assert "“Signed from” is after “Signed to”" in html and names(html) == ["Laser", "Peel"]
    html = queue_html(client, q="x" * 500)
    assert "is not a valid value" in html and names(html) == ["Laser", "Peel"]


def test_pagination_25_per_page_and_out_of_range_pages(app: Flask, staff: dict[str, str]) -> None:
    for n in range(27):
        add_consent(app, f"Patient {n:02d}", created=BASE - timedelta(minutes=n))
    client = doctor_client(app)
    first = queue_html(client)
    assert names(first) == [f"Patient {n:02d}" for n in range(25)]
    assert "27 consents" in first and "page 1 of 2" in first
    assert 'rel="next" href="/doctor/queue?page=2&amp;status=submitted"' in first
    second = queue_html(client, page=2)
    assert names(second) == ["Patient 25", "Patient 26"]
    for asked in ("3", "99", str(10**30)):
        html = queue_html(client, page=asked)
        assert names(html) == ["Patient 25", "Patient 26"], asked
        assert f"There is no page {asked}" in html
    for asked in ("0", "-4"):
        assert names(queue_html(client, page=asked))[0] == "Patient 00"
    # page links keep the filters
    html = queue_html(client, q="patient", modality="co2_laser")
    match = re.search(r'rel="next" href="([^"]+)"', html)
    assert match
    link = match.group(1).replace("&amp;", "&")
    assert "q=patient" in link and "modality=co2_laser" in link and "status=submitted" in link


def test_empty_queue_is_a_page_not_an_error(app: Flask, staff: dict[str, str]) -> None:
    html = queue_html(doctor_client(app), page="5")
    assert "No consents match." in html and "0 consents" in html


def test_page_window() -> None:
    from kiosk.review.views import page_window

    assert page_window(1, 1) == [1]
    assert page_window(1, 4) == [1, 2, 3, 4]
    assert page_window(10, 40) == [1, None, 8, 9, 10, 11, 12, None, 40]


# --------------------------------------------------------------------------
# roles
# --------------------------------------------------------------------------


def test_roles(app: Flask, client: FlaskClient, wizard: Any, staff: dict[str, str]) -> None:
    document_id = signed_consent(app, wizard)
    urls = ["/doctor/queue", f"/doctor/consents/{document_id}", f"/doctor/consents/{document_id}/revisions/1.pdf"]
    anonymous = app.test_client()
    frontdesk = doctor_client(app, "frontdesk")
    admin = doctor_client(app, "admin")
    for url in urls:
        assert anonymous.get(url).headers["Location"].startswith("/login"), url
        assert frontdesk.get(url).status_code == 403, url
        assert admin.get(url).status_code == 200, url
    # a decision posted by someone not signed in: without a form token it is refused as an expired page, and with
    # one (from the public sign-in page) it is sent to sign in; neither records anything
    expired = anonymous.post(urls[1], data={})
    assert expired.status_code == 400 and "This page had expired, so nothing was saved" in expired.get_data(as_text=True)
    token = csrf_token(anonymous.get("/login").get_data(as_text=True))
    to_login = anonymous.post(urls[1], data={"csrf_token": token, "decision": "cleared", "note": "x", "meaning": "y"})
    assert to_login.status_code == 302 and to_login.headers["Location"].startswith("/login?next=")
    assert frontdesk.post(urls[1], data={"csrf_token": csrf_token(frontdesk.get("/staff").get_data(as_text=True))}
                          ).status_code == 403
    assert load(app, document_id).status == "submitted"


def test_unknown_consent_and_revision_are_404(app: Flask, wizard: Any, staff: dict[str, str]) -> None:
    document_id = signed_consent(app, wizard)
    client = doctor_client(app)
    assert client.get("/doctor/consents/CK-NOPE").status_code == 404
    token = csrf_token(client.get(f"/doctor/consents/{document_id}").get_data(as_text=True))
    assert client.post("/doctor/consents/CK-NOPE", data={"csrf_token": token, "decision": "cleared", "meaning": "y",
                                                         "password": STAFF_PASSWORD}).status_code == 404
    assert client.get(f"/doctor/consents/{document_id}/revisions/2.pdf").status_code == 404


# --------------------------------------------------------------------------
# the consent page
# --------------------------------------------------------------------------


def test_the_doctor_reads_a_last_dose_as_yes_with_its_date(app: Flask, wizard: Any, staff: dict[str, str]) -> None:
    recent = (date.today() - timedelta(days=30)).isoformat()
    document_id = signed_consent(app, wizard, yes={"isotretinoin_last_dose": recent})
    html = doctor_client(app).get(f"/doctor/consents/{document_id}").get_data(as_text=True)
    block = html[html.index('id="flag-isotretinoin_last_dose"'):]
    assert f"Yes, last dose on {recent}" in block[:block.index("</article>")]


def test_consent_page_shows_flagged_answers_first_and_writes_consent_viewed(
        app: Flask, wizard: Any, staff: dict[str, str]) -> None:
    document_id = signed_consent(app, wizard, yes=STOP_AND_REVIEW)
    consent = load(app, document_id)
    questions = {a["question"]: a["text"] for a in consent.record["answers"]}
    client = doctor_client(app)
    response = client.get(f"/doctor/consents/{document_id}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    flagged = html[html.index('id="flagged-heading"'):html.index('id="answers-heading"')]
    others = html[html.index('id="answers-heading"'):html.index('id="risks-heading"')]
    # stop first, then review; each with the question as read, the answer, the detail, severity and reason
    assert flagged.index('id="flag-pregnant"') < flagged.index('id="flag-heart_disease"')
    for qid, detail, severity, reason in (
            ("pregnant", "Twelve weeks, told the nurse", "Stop", "Patient is pregnant or could be pregnant."),
            ("heart_disease", "Takes ramipril", "Review", "Heart disease or high blood pressure.")):
        block = flagged[flagged.index(f'id="flag-{qid}"'):]
        block = block[:block.index("</article>")]
        assert questions[qid] in block.replace("&#39;", "'")
        for expected in ("Yes", detail, severity, reason):
            assert expected in block, (qid, expected)
    assert questions["pregnant"] not in others.replace("&#39;", "'")
    assert questions["breastfeeding"] in others.replace("&#39;", "'")
    # risks with initials, the revision link, readiness, the trail
    for risk in consent.record["risks"]:
        assert risk["title"] in html
    assert "ZÑ" in html
    assert f"/doctor/consents/{document_id}/revisions/1.pdf" in html
    assert "Not ready for treatment" in html
    [viewed] = audit_rows(app, "consent_viewed")
    assert (viewed.actor, viewed.consent_id, viewed.target) == ("doctor@x.test", consent.id, document_id)
    assert "Consent viewed" in client.get(f"/doctor/consents/{document_id}").get_data(as_text=True)  # the trail


def test_pdf_downloads_are_audited(app: Flask, wizard: Any, staff: dict[str, str]) -> None:
    document_id = signed_consent(app, wizard)
    consent = load(app, document_id)
    client = doctor_client(app)
    response = client.get(f"/doctor/consents/{document_id}/revisions/1.pdf")
    assert response.data == consent.documents[0].pdf and response.mimetype == "application/pdf"
    assert client.get(f"/staff/consents/{document_id}.pdf").data == consent.documents[0].pdf
    rows = audit_rows(app, "pdf_downloaded")
    assert [(r.actor, r.consent_id, r.detail["revision"], r.detail["sha256"]) for r in rows] == [
        ("doctor@x.test", consent.id, 1, consent.documents[0].sha256)] * 2


# --------------------------------------------------------------------------
# the decision
# --------------------------------------------------------------------------


def _nothing_saved(app: Flask, document_id: str) -> None:
    consent = load(app, document_id)
    assert consent.status == "submitted"
    assert consent.reviews == [] and [d.revision for d in consent.documents] == [1]
    assert [e.status for e in consent.events] == ["submitted"]
    assert audit_rows(app, "consent_decided") == []


def test_wrong_password_saves_nothing(app: Flask, wizard: Any, staff: dict[str, str]) -> None:
    document_id = signed_consent(app, wizard, yes=STOP_AND_REVIEW)
    response = decide(doctor_client(app), document_id, note="Seen in person", password="not my password")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "That password is not correct. Nothing was saved" in html
    assert "not my password" not in html
    _nothing_saved(app, document_id)


def test_another_staff_members_password_does_not_sign(app: Flask, wizard: Any, staff: dict[str, str]) -> None:
    from kiosk.staff import accounts

    session = _session(app)
    admin = session.scalar(select(User).where(User.email == "admin@x.test"))
    accounts.set_password(session, admin, "a different secret 8421", now=BASE)
    session.close()
    document_id = signed_consent(app, wizard, yes=STOP_AND_REVIEW)
    response = decide(doctor_client(app), document_id, note="x", password="a different secret 8421")
    assert "That password is not correct" in response.get_data(as_text=True)
    _nothing_saved(app, document_id)


def test_clearing_a_stop_flag_needs_a_note(app: Flask, wizard: Any, staff: dict[str, str]) -> None:
    document_id = signed_consent(app, wizard, yes=STOP_AND_REVIEW)
    client = doctor_client(app)
    response = decide(client, document_id, note="   ")
    assert "A note is required to clear answers with a stop flag" in response.get_data(as_text=True)
    _nothing_saved(app, document_id)
    # not clearing it needs no note
    assert decide(client, document_id, decision="not_cleared").status_code == 302


def test_clearing_review_flags_needs_no_note(app: Flask, wizard: Any, staff: dict[str, str]) -> None:
    document_id = signed_consent(app, wizard, yes={"heart_disease": "Takes ramipril"})
    assert decide(doctor_client(app), document_id).status_code == 302
    assert load(app, document_id).reviews[0].note is None


@pytest.mark.parametrize(("fields", "message"), [
    ({"meaning": None}, "Please tick the statement to sign your decision."),
    ({"password": None}, "Please enter your password to sign the decision."),
    ({"decision": None}, "Please choose a decision."),
    ({"decision": "maybe"}, "Not a valid choice"),
])
def test_incomplete_decisions_save_nothing(app: Flask, wizard: Any, staff: dict[str, str], fields: dict[str, Any],
                                           message: str) -> None:
    document_id = signed_consent(app, wizard, yes=STOP_AND_REVIEW)
    response = decide(doctor_client(app), document_id, note="Seen", **fields)
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    _nothing_saved(app, document_id)


def _pdf_text(pdf: bytes) -> str:
    from tests.helpers import pdf_text

    return pdf_text(pdf)


def test_cleared_with_a_note_adds_revision_2_and_keeps_the_original(
        app: Flask, wizard: Any, staff: dict[str, str]) -> None:
    document_id = signed_consent(app, wizard, yes=STOP_AND_REVIEW)
    before = load(app, document_id)
    original_pdf, original_sha = before.documents[0].pdf, before.documents[0].sha256
    client = doctor_client(app)
    assert "Not ready for treatment" in client.get("/staff").get_data(as_text=True)
    assert "Not ready for treatment" in queue_html(client)

    response = decide(client, document_id, note="Not pregnant: negative test today.\nOK to proceed.")
    assert response.status_code == 302 and response.headers["Location"] == f"/doctor/consents/{document_id}"

    consent = load(app, document_id)
    assert consent.status == "reviewed"
    first, second = consent.documents
    assert (first.revision, first.kind, second.revision, second.kind) == (1, "patient_signed", 2, "doctor_review")
    assert first.pdf == original_pdf and first.sha256 == original_sha == hashlib.sha256(first.pdf).hexdigest()
    assert second.sha256 == hashlib.sha256(second.pdf).hexdigest() != first.sha256
    [review] = consent.reviews
    assert (review.decision, review.doctor_name, review.document_revision) == ("cleared", "Doctor Person", 2)
    assert review.note == "Not pregnant: negative test today.\nOK to proceed."
    assert review.meaning == "By signing I confirm that I reviewed the patient's answers and made this decision."
    assert [(e.status, e.actor) for e in consent.events] == [("submitted", "patient"), ("reviewed", "doctor@x.test")]

    text = _pdf_text(second.pdf)
    for expected in ("Doctor’s review", "Doctor Person", "Cleared for treatment", "Not pregnant: negative test today.",
                     "OK to proceed.", "By signing I confirm that I reviewed the patient's answers", "Europe/Madrid",
                     original_sha, "Document revision 2"):
        assert expected in text, expected
    assert text.index("Reserved for the doctor’s review") < text.index("Doctor Doctor Person") < text.index("Audit page")
    assert "Reserved for the doctor’s review" in _pdf_text(first.pdf) and "Doctor Person" not in _pdf_text(first.pdf)
    assert second.pdf.startswith(first.pdf)  # an incremental update: the signed original is inside, byte for byte

    [decided] = audit_rows(app, "consent_decided")
    assert (decided.actor, decided.consent_id) == ("doctor@x.test", consent.id)
    assert decided.detail == {"decision": "cleared", "revision": 2, "sha256": second.sha256,
                              "original_sha256": original_sha}

    page = client.get(f"/doctor/consents/{document_id}").get_data(as_text=True)
    assert "Decision saved and signed" in page and 'readiness-cleared">Cleared for treatment' in page
    assert f"/doctor/consents/{document_id}/revisions/2.pdf" in page
    assert 'readiness-cleared">Cleared for treatment' in client.get("/staff").get_data(as_text=True)
    assert document_id not in queue_html(client)
    assert "Cleared for treatment" in queue_html(client, status="reviewed")
    assert client.get(f"/staff/consents/{document_id}.pdf").data == second.pdf  # the newest revision
    assert client.get(f"/doctor/consents/{document_id}/revisions/1.pdf").data == original_pdf


@pytest.mark.parametrize(("decision", "label"), [("not_cleared", "Not cleared"),
                                                 ("consultation", "Needs a consultation")])
def test_not_cleared_and_consultation(app: Flask, wizard: Any, staff: dict[str, str], decision: str,
                                      label: str) -> None:
    document_id = signed_consent(app, wizard, yes=STOP_AND_REVIEW)
    client = doctor_client(app)
    assert decide(client, document_id, decision=decision).status_code == 302
    consent = load(app, document_id)
    assert consent.status == ("consultation" if decision == "consultation" else "reviewed")
    assert consent.reviews[0].decision == decision
    assert f'readiness-{decision}">{label}' in client.get("/staff").get_data(as_text=True)
    pdf_label = {"not_cleared": "Not cleared for treatment", "consultation": "Needs a consultation"}[decision]
    assert pdf_label in _pdf_text(consent.documents[1].pdf)


def test_a_later_decision_adds_another_revision_and_counts(app: Flask, wizard: Any, staff: dict[str, str]) -> None:
    document_id = signed_consent(app, wizard, yes=STOP_AND_REVIEW)
    client = doctor_client(app)
    assert decide(client, document_id, decision="consultation").status_code == 302
    admin = doctor_client(app, "admin")
    assert decide(admin, document_id, decision="cleared", note="Consultation done, fine.").status_code == 302
    consent = load(app, document_id)
    assert [d.revision for d in consent.documents] == [1, 2, 3]
    assert [r.decision for r in consent.reviews] == ["consultation", "cleared"]
    assert "Admin Person" in _pdf_text(consent.documents[2].pdf)
    assert consent.documents[0].sha256 in _pdf_text(consent.documents[2].pdf)
    assert review_queue.consent_readiness(consent).key == "cleared"
    assert [r.detail["revision"] for r in audit_rows(app, "consent_decided")] == [2, 3]


def test_no_flags_is_ready_without_review(app: Flask, wizard: Any, staff: dict[str, str]) -> None:
    document_id = signed_consent(app, wizard)
    client = doctor_client(app)
    assert 'readiness-ready">Ready (no doctor review needed)' in client.get("/staff").get_data(as_text=True)
    html = client.get(f"/doctor/consents/{document_id}").get_data(as_text=True)
    assert "No answer raised a flag." in html


def test_decision_rolls_back_when_the_revision_number_was_taken(app: Flask, wizard: Any,
                                                                staff: dict[str, str]) -> None:
    """Two doctors deciding at once: the second commit hits the (consent, revision) unique key."""
    document_id = signed_consent(app, wizard, yes=STOP_AND_REVIEW)
    session = _session(app)
    doctor = session.scalar(select(User).where(User.email == "doctor@x.test"))
    consent = session.scalar(select(Consent).where(Consent.document_id == document_id))
    _ = consent.documents  # loaded before the other doctor's revision arrives
    other = _session(app)
    other.add(DocumentRevision(document_id=document_id, revision=2, kind="doctor_review", pdf=b"x", sha256="0" * 64))
    other.commit()
    other.close()
    from kiosk.core.audit import Who

    from kiosk.core.web import seal_key

    with app.test_request_context(), pytest.raises(reviews.DecisionRefused) as refused:
        reviews.decide(session, Who("doctor@x.test", doctor.id), doctor, document_id, decision="not_cleared",
                       note=None, password=STAFF_PASSWORD, meaning="m", now=datetime.now(timezone.utc),
                       timezone_name="Europe/Madrid", seal_key=seal_key(), clinic_name="Test Clinic")
    assert "saved at the same moment" in str(refused.value.errors["decision"])
    session.close()
    assert audit_rows(app, "consent_decided") == []
    assert load(app, document_id).reviews == []


def test_queue_search_and_decision_on_postgresql(pg_url: str) -> None:
    """The same queue SQL (the folded-name subquery, the page-ids subquery) and the decision on PostgreSQL."""
    from app import create_app
    from kiosk.staff import accounts
    from tests.support import WizardDriver

    app = create_app({"TESTING": True, "SECRET_KEY": "pg", "DATABASE_URL": pg_url, "AUTO_MIGRATE": False})
    session = _session(app)
    accounts.create_user(session, email="doctor@x.test", role="doctor", name="Doctor Person", password=STAFF_PASSWORD)
    session.close()
    add_consent(app, "Zoë Ñúñez", severity="review", created=BASE)
    add_consent(app, "María-José O'Connor", severity="stop", created=BASE - timedelta(days=1))
    add_consent(app, "Other Person", severity=None, created=BASE + timedelta(days=1))
    wizard = WizardDriver(app.test_client())
    assert wizard.complete(app, "co2_laser", name="Łucja Wiśniewska", yes=STOP_AND_REVIEW,
                           typed_signature="Łucja").status_code == 302
    client = doctor_client(app)
    assert names(queue_html(client)) == ["Łucja Wiśniewska", "María-José O&#39;Connor", "Zoë Ñúñez"]  # flagged only
    assert "Other Person" in queue_html(client, status="any")
    assert names(queue_html(client, q="ÑÚÑ")) == ["Zoë Ñúñez"]
    assert names(queue_html(client, q="wisniewska")) == ["Łucja Wiśniewska"]
    assert names(queue_html(client, q="maria jose oconnor")) == ["María-José O&#39;Connor"]
    assert names(queue_html(client, q="%")) == []
    session = _session(app)
    document_id = session.scalar(select(Consent.document_id).where(Consent.patient_name.like("Łucja%")))
    session.close()
    assert decide(client, document_id, note="Seen on PostgreSQL").status_code == 302
    consent = load(app, document_id)
    assert consent.status == "reviewed" and [d.revision for d in consent.documents] == [1, 2]
    assert "Cleared for treatment" in queue_html(client, status="reviewed")
    app.extensions["kiosk_db"].kw["bind"].dispose()


def test_the_consent_trail_includes_the_desk_code_issued_and_used_before_signing(app, client, wizard, staff):  # noqa: ANN001
    from tests.helpers import consents, staff_login

    wizard.complete(app, "chemical_peel", typed_signature="Zoë")
    [consent] = consents(app)
    staff_login(client, staff["doctor"])
    page = client.get(f"/doctor/consents/{consent.document_id}").get_data(as_text=True)
    assert "Tablet code issued" in page and "Tablet code used by the patient" in page and "Consent viewed" in page


def test_wrong_passwords_on_the_decision_form_count_toward_the_account_lock(app, client, wizard, staff):  # noqa: ANN001
    """The signing form must not be a way around the sign-in lockout."""
    import re

    from sqlalchemy import select

    from kiosk.core.models import AuditEvent
    from tests.helpers import STAFF_PASSWORD, consents, staff_login

    wizard.complete(app, "chemical_peel", typed_signature="Zoë")
    [consent] = consents(app)
    staff_login(client, staff["doctor"])
    url = f"/doctor/consents/{consent.document_id}"
    for _attempt in range(6):
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get(url).get_data(as_text=True))
        response = client.post(url, data={"csrf_token": token.group(1), "decision": "cleared", "note": "ok",
                                          "meaning": "y", "password": "not my password"})
        assert response.status_code == 200
    assert "Too many wrong passwords" in response.get_data(as_text=True)
    session = app.extensions["kiosk_db"]()
    failures = session.scalars(select(AuditEvent).where(AuditEvent.action == "login_failed")).all()
    assert len(failures) == 5 and all("decision" in (f.detail or {}).get("during", "") for f in failures)
    # the account is now locked at the sign-in form too, even with the right password
    assert "Too many attempts" in staff_login(app.test_client(), staff["doctor"], STAFF_PASSWORD).get_data(as_text=True)
