"""What the wizard refuses and what it keeps: validation messages, step order, double taps, drafts."""

from __future__ import annotations

import base64
import io
import json
import os
import re
from datetime import date, timedelta

import pytest
from flask.sessions import SecureCookieSessionInterface
from PIL import Image
from sqlalchemy import func, select

from kiosk.core.models import Consent, Draft
from tests.helpers import consents, tap_sign_at_once


def page(response) -> str:  # noqa: ANN001
    return response.get_data(as_text=True)


def stored_draft(app) -> Draft:  # noqa: ANN001
    session = app.extensions["kiosk_db"]()
    return session.scalars(select(Draft)).one()


@pytest.mark.parametrize(
    ("name", "dob", "message"),
    [
        ("", "1990-01-01", "Please enter your full name."),
        ("   ", "1990-01-01", "Please enter your full name."),
        ("A" * 201, "1990-01-01", "at most 200 characters"),
        ("Ana", (date.today() + timedelta(days=2)).isoformat(), "cannot be in the future"),
        ("Ana", "1899-12-31", "more than 120 years ago"),
        ("Ana", "not-a-date", "Please enter the day, choose the month and enter the year."),
        ("Ana", "", "Please enter your date of birth."),
    ],
)
def test_identity_errors_are_shown_next_to_the_field(app, wizard, name, dob, message):  # noqa: ANN001
    wizard.start()
    response = wizard.identity(name=name, dob=dob)
    assert response.status_code == 200
    html = page(response)
    assert message in html
    assert 'aria-invalid="true"' in html
    assert stored_draft(app).data["completed"] == []


def test_identity_rejects_bad_email_and_phone(app, wizard):  # noqa: ANN001
    wizard.start()
    html = page(wizard.identity(email="not-an-email", phone="call me"))
    assert "valid email address" in html and "phone number" in html


def test_name_at_the_longest_length_is_accepted(app, wizard):  # noqa: ANN001
    wizard.start()
    assert wizard.identity(name="Ł" * 200).status_code == 302
    assert stored_draft(app).data["identity"]["full_name"] == "Ł" * 200


def test_treatment_requires_a_known_modality_and_areas(app, wizard):  # noqa: ANN001
    wizard.start()
    wizard.identity()
    html = page(wizard.submit("/consent/treatment", {"modality": "botox", "areas": []}))
    assert "Not a valid choice" in html and "Please choose at least one area." in html
    html = page(wizard.treatment(areas=("other",), other=""))
    assert "Please say which other area." in html


def test_a_step_reached_out_of_order_redirects_to_the_first_open_one(app, wizard):  # noqa: ANN001
    wizard.start()
    for url in ("/consent/treatment", "/consent/risks/3", "/consent/screening", "/consent/review", "/consent/sign"):
        response = wizard.client.get(url)
        assert response.status_code == 302 and response.headers["Location"].endswith("/consent/identity"), url
    wizard.identity()
    # a forged POST to a later step saves nothing
    response = wizard.post("/consent/screening", {"q_pregnant": "no"})
    assert response.headers["Location"].endswith("/consent/treatment")
    assert "screening" not in stored_draft(app).data


def test_risks_cannot_be_skipped(app, wizard):  # noqa: ANN001
    wizard.start()
    wizard.identity()
    wizard.treatment("microdermabrasion")
    wizard.explanation()
    response = wizard.client.get("/consent/risks/4")
    assert response.headers["Location"].endswith("/consent/risks/1")
    html = page(wizard.submit("/consent/risks/1", {"acknowledged": "y", "initials": ""}))
    assert "Please write your initials." in html
    html = page(wizard.submit("/consent/risks/1", {"initials": "AB"}))  # not Zoë Ñúñez's: asked to confirm first
    assert "These initials do not match your name" in html
    html = page(wizard.submit("/consent/risks/1", {"acknowledged": "y", "initials": "12<script>"}))
    assert "first letters of your names" in html
    assert wizard.client.get("/consent/screening").headers["Location"].endswith("/consent/risks")
    assert wizard.client.get("/consent/risks").headers["Location"].endswith("/consent/risks/1")


def test_screening_needs_every_answer_and_the_isotretinoin_date(app, wizard):  # noqa: ANN001
    wizard.start()
    wizard.identity()
    wizard.treatment("co2_laser")
    wizard.explanation()
    wizard.risks(app, "co2_laser")
    wizard.comprehension(app, "co2_laser")
    html = page(wizard.submit("/consent/screening", {"q_pregnant": "no"}))
    assert html.count("Please answer yes or no.") >= 10
    html = page(wizard.screening(app, "co2_laser", yes={"isotretinoin_last_dose": ""}))
    assert "Please enter the date of the last dose." in html
    future = (date.today() + timedelta(days=5)).isoformat()
    html = page(wizard.screening(app, "co2_laser", yes={"isotretinoin_last_dose": future}))
    assert "cannot be in the future" in html
    recent = (date.today() - timedelta(days=30)).isoformat()
    assert wizard.screening(app, "co2_laser", yes={"isotretinoin_last_dose": recent}).status_code == 302
    assert stored_draft(app).data["screening"]["answers"]["isotretinoin_last_dose"] == recent


def test_the_review_page_reads_back_each_answer_in_the_words_the_record_prints(app, wizard):  # noqa: ANN001
    recent = date.today() - timedelta(days=30)
    wizard.start()
    wizard.identity()
    wizard.treatment("co2_laser")
    wizard.explanation()
    wizard.risks(app, "co2_laser")
    wizard.comprehension(app, "co2_laser")
    wizard.screening(app, "co2_laser", yes={"isotretinoin_last_dose": recent.isoformat()})
    html = page(wizard.get("/consent/review"))
    from kiosk.core.dates import format_day

    # the one way English writes a day, on pages as in the PDF (kiosk.core.dates)
    assert f'class="answer-yes">Yes, last dose on {format_day(recent, "en")}<' in html
    asked = app.extensions["kiosk_texts"].rules.questions_for("co2_laser")
    yes_no = [q for q in asked if q.type != "choice" and not q.asked_if]  # follow-ups are asked only after a yes
    assert html.count(">No<") == len(yes_no) - 1
    assert ">It always burns and never tans.<" in html, "a choice reads back in the words of its option"
    wizard.screening(app, "co2_laser")
    html = page(wizard.get("/consent/review"))
    assert ">Not in the last 12 months<" in html and "last dose" not in html


def _png_data_url(image: Image.Image) -> str:
    out = io.BytesIO()
    image.save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"signature_data": "", "typed_signature": ""}, "Please sign in the box"),
        ({"signature_data": "data:image/jpeg;base64,/9j/4AAQ"}, "not received as an image"),
        ({"signature_data": "data:image/png;base64," + base64.b64encode(b"GIF89a not a png").decode()}, "damaged"),
        ({"signature_data": "data:image/png;base64,%%%notbase64"}, "damaged"),
        ({"signature_data": _png_data_url(Image.new("RGBA", (600, 200), (0, 0, 0, 0)))}, "signature box is empty"),
        ({"consent_agree": ""}, "Please give your consent with the button below."),
        ({"printed_name": ""}, "Please write your name."),
    ],
)
def test_sign_step_refuses_bad_signatures_and_saves_nothing(app, wizard, fields, message):  # noqa: ANN001
    wizard.ready_to_sign(app, "chemical_peel")
    response = wizard.sign(**fields)
    assert response.status_code == 200
    assert message in page(response)
    assert consents(app) == []
    assert stored_draft(app).status == "open"


def test_signature_over_one_megabyte_is_refused(app, wizard):  # noqa: ANN001
    wizard.ready_to_sign(app, "chemical_peel")
    noisy = Image.frombytes("RGBA", (600, 600), os.urandom(600 * 600 * 4))  # random pixels do not compress
    data_url = _png_data_url(noisy)
    assert len(data_url) > 1024 * 1024
    html = page(wizard.sign(signature_data=data_url))
    assert "too large" in html
    assert consents(app) == []


def test_a_body_over_the_size_limit_gets_413(app, wizard):  # noqa: ANN001
    wizard.ready_to_sign(app, "chemical_peel")
    response = wizard.sign(signature_data="data:image/png;base64," + "A" * (4 * 1024 * 1024))
    assert response.status_code == 413
    assert "too large" in page(response)


def test_double_submission_makes_one_consent(app, wizard):  # noqa: ANN001
    wizard.ready_to_sign(app, "chemical_peel")
    first = wizard.sign(typed_signature="Zoë Ñúñez")
    second = wizard.post("/consent/sign", {"consent_agree": "y", "typed_signature": "Zoë Ñúñez",
                                           "printed_name": "ZOË"})
    assert first.headers["Location"].endswith("/consent/done")
    assert second.headers["Location"].endswith("/consent/done")
    assert len(consents(app)) == 1


def test_concurrent_submissions_of_one_draft_make_one_consent(app, wizard):  # noqa: ANN001
    wizard.ready_to_sign(app, "chemical_peel")
    statuses = tap_sign_at_once(app, wizard)
    assert statuses == [302] * 4
    session = app.extensions["kiosk_db"]()
    assert session.scalar(select(func.count()).select_from(Consent)) == 1


def test_the_database_itself_refuses_a_second_consent_for_one_draft(app, wizard):  # noqa: ANN001
    """Not only the guarded update: the schema holds one consent per draft, on SQLite and PostgreSQL."""
    from sqlalchemy.exc import IntegrityError

    from tests.support import WizardDriver

    assert wizard.complete(app, "chemical_peel", typed_signature="Z. Ñ.").status_code == 302
    assert WizardDriver(app.test_client()).complete(app, "chemical_peel", name="Other Patient",
                                                    typed_signature="O. P.").status_code == 302
    unused_draft = WizardDriver(app.test_client()).start(name="Third Patient").draft.id
    session = app.extensions["kiosk_db"]()
    first, second = session.scalars(select(Consent).order_by(Consent.id)).all()
    second.draft_id = unused_draft  # a draft no consent has yet: accepted, so what follows is about sharing one
    session.commit()
    second.draft_id = first.draft_id
    with pytest.raises(IntegrityError):
        session.commit()
    session.rollback()
    session.close()


def test_changing_the_treatment_asks_for_its_risks_again(app, wizard):  # noqa: ANN001
    wizard.ready_to_sign(app, "chemical_peel")
    assert wizard.treatment("co2_laser").headers["Location"].endswith("/consent/explanation")
    draft = stored_draft(app)
    assert "risks" not in draft.data and "screening" not in draft.data
    assert draft.data["completed"] == ["identity", "treatment"]


def test_editing_from_review_returns_to_review(app, wizard):  # noqa: ANN001
    wizard.ready_to_sign(app, "chemical_peel")
    html = page(wizard.client.get("/consent/review"))
    assert "Zoë Ñúñez" in html and 'href="/consent/identity"' in html
    response = wizard.identity(name="Zoë Ñúñez García")
    # review must be confirmed again after a change; everything else is still done
    assert response.headers["Location"].endswith("/consent/review")
    assert "Zoë Ñúñez García" in page(wizard.client.get("/consent/review"))


def test_progress_survives_a_lost_connection(app, wizard):  # noqa: ANN001
    wizard.start()
    wizard.identity(name="Ana Lima")
    wizard.treatment("fractional_laser", areas=("thighs_legs", "buttocks"))
    # a new browser tab with the same cookie (a refresh, a dropped connection) resumes where it was
    resumed = wizard.client.get("/consent/identity")
    assert 'value="Ana Lima"' in page(resumed)
    response = wizard.client.get("/consent/risks/1")
    assert response.headers["Location"].endswith("/consent/explanation")
    html = page(wizard.client.get("/consent/treatment"))
    assert checked_values(html, "modality") == ["fractional_laser"]
    assert sorted(checked_values(html, "areas")) == ["buttocks", "thighs_legs"]


def checked_values(html: str, name: str) -> list[str]:
    """The values of the ticked inputs called `name`, whatever the order of their attributes."""
    inputs = re.findall(r"<input\b[^>]*>", html)
    named = [tag for tag in inputs if f'name="{name}"' in tag]
    assert named, f"no input named {name}"
    return [re.search(r'value="([^"]*)"', tag).group(1) for tag in named if re.search(r"\schecked\b", tag)]


def test_the_cookie_holds_only_the_draft_token(app, wizard):  # noqa: ANN001
    wizard.start()
    wizard.identity(name="Secretname Patient", email="secret@example.com")
    raw = wizard.client.get_cookie("session").value
    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    data = serializer.loads(raw)
    # besides the token: the tablet's own settings and the time of its last request (for the idle reset)
    assert set(data) <= {"draft", "csrf_token", "device_label", "lang", "text_size", "patient_seen", "_fresh"}
    assert "Secretname" not in json.dumps(data)
    assert len(data["draft"]) >= 43  # 256 random bits


def test_a_forged_draft_token_opens_nothing(app, wizard, client):  # noqa: ANN001
    wizard.start()
    wizard.identity(name="Private Person")
    with client.session_transaction() as session:
        session["draft"] = "forged-token-" + "x" * 30
    response = client.get("/consent/identity")
    assert response.status_code == 302 and response.headers["Location"].endswith("/")


def test_every_form_needs_a_csrf_token(app, wizard, client):  # noqa: ANN001
    wizard.start()
    response = client.post("/consent/identity", data={"full_name": "Ana", "date_of_birth": "1990-01-01"})
    assert response.status_code == 400
    assert "expired" in page(response)
    assert "identity" not in stored_draft(app).data


def test_after_signing_the_back_button_shows_nothing_of_the_patient(app, wizard):  # noqa: ANN001
    wizard.ready_to_sign(app, "chemical_peel")
    wizard.sign(typed_signature="Zoë Ñúñez")
    wizard.client.get("/consent/done")
    for url in ("/consent/review", "/consent/identity", "/consent/sign"):
        response = wizard.client.get(url, follow_redirects=True)
        assert "Zoë" not in page(response), url


def test_a_health_detail_longer_than_its_limit_is_refused_and_one_at_the_limit_kept(app, wizard):  # noqa: ANN001
    """500 characters: the limit the doctor's page and the PDF are laid out for."""
    wizard.start()
    wizard.identity()
    wizard.treatment("co2_laser")
    wizard.explanation()
    wizard.risks(app, "co2_laser")
    wizard.comprehension(app, "co2_laser")
    question = next(q for q in app.extensions["kiosk_texts"].rules.questions_for("co2_laser") if q.type == "bool")
    refused = wizard.screening(app, "co2_laser", yes={question.id: "x" * 501})
    assert refused.status_code == 200 and "Field cannot be longer than 500 characters." in page(refused)
    assert "screening" not in stored_draft(app).data["completed"]
    kept = wizard.screening(app, "co2_laser", yes={question.id: "y" * 500})
    assert kept.status_code == 302 and "screening" in stored_draft(app).data["completed"]
    assert "y" * 500 in json.dumps(stored_draft(app).data)
