"""Screening rules version 2 on the tablet: a choice question, a follow-up under its question, the plan.

What the patient sees (radio options in plain words; a follow-up once they answer yes, on the next page when
JavaScript is off), and what the signed record and its PDF keep (the option in words, the follow-up under its
question, the flags the engine raised).
"""

from __future__ import annotations

import re

from sqlalchemy import select

from kiosk.core.models import DocumentRevision
from tests.helpers import consents, pdf_text


def page(response) -> str:  # noqa: ANN001
    return response.get_data(as_text=True)


def to_screening(app, wizard, modality: str = "co2_laser", planned: str | None = None) -> None:  # noqa: ANN001
    wizard.start(modality=planned)
    assert wizard.identity().status_code == 302
    assert wizard.treatment(modality).status_code == 302
    assert wizard.explanation().status_code == 302
    wizard.risks(app, modality)
    assert wizard.comprehension(app, modality).status_code == 302


def screening_fields(app, modality: str, **overrides: str) -> dict[str, str]:  # noqa: ANN001
    """Every question on the page answered no (skin type I), follow-ups left out, then `overrides`."""
    data = {}
    for q in app.extensions["kiosk_texts"].rules.questions_for(modality):
        if not q.asked_if:
            data[f"q_{q.id}"] = q.options[0] if q.type == "choice" else "no"
    data.update(overrides)
    return data


def follow_up_block(html: str, qid: str) -> str:
    match = re.search(r'<div class="follow-up"[^>]*>\s*<div class="question" data-question="' + qid, html)
    assert match, f"no follow-up block for {qid}"
    return match.group(0)


def test_skin_type_is_a_set_of_radio_buttons_in_plain_words(app, wizard) -> None:  # noqa: ANN001
    to_screening(app, wizard)
    html = page(wizard.get("/consent/screening"))
    options = re.findall(r'<input[^>]*name="q_skin_type"[^>]*value="([^"]+)"', html)
    assert options == ["I", "II", "III", "IV", "V", "VI", "unsure"], options
    for words in ("It always burns and never tans.", "It never burns. My skin is dark brown or black.",
                  "I don&#39;t know."):
        assert words in html
    assert "Fitzpatrick" not in html, "the patient reads plain words, not the scale's name"


def test_the_follow_up_waits_under_its_question_until_a_yes(app, wizard) -> None:  # noqa: ANN001
    to_screening(app, wizard)
    html = page(wizard.get("/consent/screening"))
    block = follow_up_block(html, "cold_sores_now")
    assert " hidden" in block and 'data-show-if="q_cold_sores-0"' in block, block
    assert html.index('data-question="cold_sores"') < html.index('data-question="cold_sores_now"') < html.index(
        'data-question="recent_tan"'), "the follow-up sits right under its question"


def test_without_javascript_a_yes_shows_the_follow_up_on_the_next_page(app, wizard) -> None:  # noqa: ANN001
    to_screening(app, wizard)
    response = wizard.submit("/consent/screening", screening_fields(app, "co2_laser", q_cold_sores="yes"))
    assert response.status_code == 200, "the page comes back with the new question"
    html = page(response)
    assert " hidden" not in follow_up_block(html, "cold_sores_now")
    assert "Please answer this question too." in html
    response = wizard.submit("/consent/screening", screening_fields(
        app, "co2_laser", q_cold_sores="yes", q_cold_sores_now="yes", q_skin_type="V"))
    assert response.status_code == 302


def test_a_follow_up_sent_after_a_no_is_dropped(app, wizard) -> None:  # noqa: ANN001
    to_screening(app, wizard)
    # JavaScript hid the follow-up after the patient changed their yes to no; the browser still sends its radio
    fields = screening_fields(app, "co2_laser", q_cold_sores_now="yes")
    assert wizard.submit("/consent/screening", fields).status_code == 302
    assert wizard.review().status_code == 302
    assert wizard.sign(typed_signature="Zoë Ñúñez").status_code == 302
    (consent,) = consents(app)
    assert "cold_sores_now" not in [a["question"] for a in consent.record["answers"]]
    assert consent.record["flags"] == []


def test_skin_type_v_and_a_cold_sore_now_on_co2_reach_the_record_and_the_pdf(app, wizard) -> None:  # noqa: ANN001
    to_screening(app, wizard, planned="fractional_laser")
    fields = screening_fields(app, "co2_laser", q_cold_sores="yes", q_cold_sores_now="yes", q_skin_type="V")
    assert wizard.submit("/consent/screening", fields).status_code == 302
    review = page(wizard.get("/consent/review"))
    assert "It almost never burns and tans to dark brown with ease." in review
    assert review.index("Have you ever had cold sores") < review.index("Do you have a cold sore now") < review.index(
        "In the last 4 weeks")
    assert wizard.review().status_code == 302
    assert wizard.sign(typed_signature="Zoë Ñúñez").status_code == 302
    (consent,) = consents(app)
    record = consent.record
    flags = {f["question"]: f["severity"] for f in record["flags"]}
    assert flags == {"cold_sores": "review", "cold_sores_now": "stop", "skin_type": "stop",
                     "treatment_differs_from_plan": "review"}
    assert record["highest_severity"] == "stop"
    assert record["treatment"]["planned_modality"] == "fractional_laser"
    by_id = {a["question"]: a for a in record["answers"]}
    assert by_id["skin_type"]["value"] == "V" and by_id["skin_type"]["option_text"].startswith("It almost never burns")
    assert by_id["cold_sores_now"]["asked_if"] == "cold_sores"
    ids = [a["question"] for a in record["answers"]]
    assert ids.index("cold_sores_now") == ids.index("cold_sores") + 1
    shown = {q["id"]: q for q in record["texts"]["shown"]["questions"]}
    assert [o["id"] for o in shown["skin_type"]["options"]] == ["I", "II", "III", "IV", "V", "VI", "unsure"]
    session = app.extensions["kiosk_db"]()
    pdf = session.scalars(select(DocumentRevision.pdf).where(DocumentRevision.document_id == consent.document_id)).one()
    text = pdf_text(pdf)
    assert "It almost never burns and tans to dark brown with ease." in text
    assert re.search(r"\b(\d+) Have you ever had cold sores.*\b\1a Do you have a cold sore now", text), (
        "the follow-up is printed right under its question, numbered after it")
    assert "Skin type V (Fitzpatrick" in text and "but the patient chose co2_laser" in text


def test_answers_saved_under_the_old_rules_are_asked_again_not_a_crash(app, wizard) -> None:  # noqa: ANN001
    """A draft that saved its health answers before version 2 (darker_skin_or_pigment_marks, no skin type)."""
    from kiosk.core.models import Draft

    to_screening(app, wizard)
    assert wizard.submit("/consent/screening", screening_fields(app, "co2_laser")).status_code == 302
    assert wizard.review().status_code == 302
    session = app.extensions["kiosk_db"]()
    draft = session.scalars(select(Draft)).one()
    screening = dict(draft.data["screening"])
    answers = {k: v for k, v in screening["answers"].items() if k not in ("skin_type", "pigment_marks")}
    draft.data = {**draft.data, "screening": {**screening, "answers": {**answers, "darker_skin_or_pigment_marks": False}}}
    session.commit()
    response = wizard.sign(typed_signature="Zoë Ñúñez")
    assert response.status_code == 302 and response.headers["Location"].endswith("/consent/screening")
    assert consents(app) == []
    html = page(wizard.get("/consent/screening"))
    assert 'name="q_skin_type"' in html
    session.expire_all()
    assert session.scalars(select(Draft)).one().status == "open", "the draft stays open for the patient"
    assert re.search(r'<input[^>]*checked[^>]*name="q_pregnant"[^>]*value="no"|<input[^>]*name="q_pregnant"[^>]*value="no"[^>]*checked', html), \
        "the answers still valid are kept"
