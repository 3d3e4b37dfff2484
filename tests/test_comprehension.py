"""The comprehension check after the risks: a wrong answer shows the right one, goes on, and tells the doctor."""

from __future__ import annotations

import html as html_lib
import io
import re

from flask import Flask
from pypdf import PdfReader

from tests.support import WizardDriver
from tests.helpers import consents, staff_login


def text_of(response) -> str:  # noqa: ANN001
    return html_lib.unescape(response.get_data(as_text=True))


def checks(app: Flask, modality: str = "co2_laser"):  # noqa: ANN201
    return app.extensions["kiosk_texts"].modality("en", modality).comprehension


def through_risks(app: Flask, wizard: WizardDriver, modality: str = "co2_laser") -> None:
    wizard.start()
    wizard.identity()
    wizard.treatment(modality)
    wizard.explanation()
    wizard.risks(app, modality)


def pdf_text(pdf: bytes) -> str:
    return " ".join((page.extract_text() or "") for page in PdfReader(io.BytesIO(pdf)).pages)


def test_the_check_is_a_counted_step_after_the_risks(app, wizard) -> None:  # noqa: ANN001
    through_risks(app, wizard)
    page = text_of(wizard.get("/consent/comprehension"))
    assert "Step 5 of 8" in page
    for check in checks(app):
        assert check.text in page
        assert all(option.text in page for option in check.options)
    # the next step is not open before the check is answered
    assert wizard.client.get("/consent/screening").headers["Location"].endswith("/consent/comprehension")


def test_an_unanswered_question_is_asked_again_and_nothing_is_saved(app, wizard) -> None:  # noqa: ANN001
    through_risks(app, wizard)
    first = checks(app)[0]
    response = wizard.submit("/consent/comprehension", {f"c_{first.id}": first.answer})
    assert response.status_code == 200
    assert "Please choose an answer." in text_of(response)
    assert wizard.client.get("/consent/screening").status_code == 302


def test_right_answers_go_straight_on_and_raise_no_flag(app, wizard) -> None:  # noqa: ANN001
    through_risks(app, wizard)
    response = wizard.comprehension(app, "co2_laser")
    assert response.headers["Location"].endswith("/consent/screening")
    wizard.screening(app, "co2_laser")
    wizard.review()
    assert wizard.sign(typed_signature="Zoë Ñúñez").status_code == 302
    consent = consents(app)[-1]
    assert consent.flags == [] and consent.highest_severity is None
    stored = consent.record["comprehension"]
    assert [c["question"] for c in stored] == [c.id for c in checks(app)]
    assert all(c["correct"] and c["chosen"] == c["answer"] for c in stored)


def test_a_wrong_answer_shows_the_right_one_then_asks_the_same_question_again(app, wizard) -> None:  # noqa: ANN001
    through_risks(app, wizard)
    wrong_check = checks(app)[1]
    response = wizard.comprehension(app, "co2_laser", wrong=(wrong_check.id,))
    assert response.headers["Location"].endswith("/consent/comprehension")
    page = text_of(wizard.get("/consent/comprehension"))
    right = wrong_check.option(wrong_check.answer)
    assert "The right answer" in page and right.text in page
    assert wrong_check.explanation.split("\n")[0] in page
    # an explanation is shown only for the wrong answer, and only that question is asked again
    assert checks(app)[0].explanation.split("\n")[0] not in page
    assert f'name="c_{wrong_check.id}"' in page and f'name="c_{checks(app)[0].id}"' not in page
    # the next step stays closed until the question is answered again
    assert wizard.client.get("/consent/screening").headers["Location"].endswith("/consent/comprehension")
    unanswered = wizard.submit("/consent/comprehension", {})
    assert unanswered.status_code == 200 and "Please choose an answer." in text_of(unanswered)
    again = wizard.comprehension_again(app, "co2_laser", (wrong_check.id,))
    assert again.headers["Location"].endswith("/consent/screening")
    assert wizard.client.get("/consent/screening").status_code == 200


def radio_values(page: str, question: str) -> list[str]:
    return [re.search(r'value="([^"]*)"', tag).group(1)  # type: ignore[union-attr]
            for tag in re.findall(r"<input[^>]*>", page) if f'name="c_{question}"' in tag]


def test_the_options_are_shuffled_per_patient_and_the_right_one_is_not_always_first(app) -> None:  # noqa: ANN001
    firsts: set[str] = set()
    orders: set[tuple[str, ...]] = set()
    for _ in range(8):
        patient = WizardDriver(app.test_client())
        through_risks(app, patient)
        page = text_of(patient.get("/consent/comprehension"))
        for check in checks(app):
            shown = radio_values(page, check.id)
            assert sorted(shown) == sorted(o.id for o in check.options)
            orders.add(tuple(shown))
            firsts.add(str(shown[0] == check.answer))
        # a refresh shows the same order: the order is the patient's, not the page view's
        assert radio_values(text_of(patient.get("/consent/comprehension")), checks(app)[0].id) == \
            radio_values(page, checks(app)[0].id)
    assert firsts == {"True", "False"}
    assert len(orders) > len(checks(app))


def test_both_answers_and_both_orders_are_recorded_shown_to_the_doctor_and_printed(app, wizard, staff) -> None:  # noqa: ANN001
    wrong_check = checks(app)[0]
    through_risks(app, wizard)
    first_page = text_of(wizard.get("/consent/comprehension"))
    wizard.comprehension(app, "co2_laser", wrong=(wrong_check.id,))
    again_page = text_of(wizard.get("/consent/comprehension"))
    first_order, second_order = radio_values(first_page, wrong_check.id), radio_values(again_page, wrong_check.id)
    assert sorted(first_order) == sorted(second_order) and first_order != second_order  # a new order
    wizard.comprehension_again(app, "co2_laser", (wrong_check.id,))
    wizard.screening(app, "co2_laser")
    wizard.review()
    assert wizard.sign(typed_signature="Zoë Ñúñez").status_code == 302
    consent = consents(app)[-1]
    pdf = consent.documents[0].pdf
    stored = {c["question"]: c for c in consent.record["comprehension"]}
    assert stored[wrong_check.id]["order"] == first_order and not stored[wrong_check.id]["correct"]
    assert stored[wrong_check.id]["again"]["order"] == second_order
    assert stored[wrong_check.id]["again"]["chosen"] == wrong_check.answer and stored[wrong_check.id]["again"]["correct"]
    assert "again" not in stored[checks(app)[1].id]
    right = wrong_check.option(wrong_check.answer)

    doctor = app.test_client()
    assert staff_login(doctor, staff["doctor"]).status_code == 302
    section = text_of(doctor.get(f"/doctor/consents/{consent.document_id}")).split('id="comprehension-heading"')[1]
    section = section.split("</section>")[0]
    assert "Asked again" in section and right.text in section

    text = re.sub(r"\s+", " ", pdf_text(pdf))
    assert f"Asked again, options in a new order. Patient\u2019s answer: {right.text}" in text
    shown_first = [wrong_check.option(o).text for o in first_order]
    assert "Options as shown: " + " · ".join(f"{chr(65 + i)}. {t}" for i, t in enumerate(shown_first)) in text


def test_a_second_wrong_answer_is_recorded_and_the_patient_still_goes_on(app, wizard) -> None:  # noqa: ANN001
    wrong_check = checks(app)[0]
    through_risks(app, wizard)
    wizard.comprehension(app, "co2_laser", wrong=(wrong_check.id,))
    response = wizard.comprehension_again(app, "co2_laser", (wrong_check.id,), wrong=(wrong_check.id,))
    assert response.headers["Location"].endswith("/consent/screening")
    page = text_of(wizard.get("/consent/comprehension"))
    assert "Your answer when asked again" in page


def test_a_wrong_answer_is_an_info_flag_the_doctor_sees_on_the_page_and_in_the_pdf(app, wizard, staff) -> None:  # noqa: ANN001
    wrong_check = checks(app)[0]
    assert wizard.complete(app, "co2_laser", wrong=(wrong_check.id,), typed_signature="Zoë").status_code == 302
    consent = consents(app)[-1]
    assert [(f.question, f.severity) for f in consent.flags] == [(f"comprehension.{wrong_check.id}", "info")]
    assert consent.highest_severity == "info"
    chosen = next(o for o in wrong_check.options if o.id != wrong_check.answer)
    right = wrong_check.option(wrong_check.answer)
    reason = consent.flags[0].reason
    pdf = consent.documents[0].pdf
    assert chosen.text in reason and right.text in reason and wrong_check.text in reason

    doctor = app.test_client()
    assert staff_login(doctor, staff["doctor"]).status_code == 302
    page = text_of(doctor.get(f"/doctor/consents/{consent.document_id}"))
    flagged = page.split('id="flagged-heading"')[1].split('id="answers-heading"')[0]
    assert wrong_check.text in flagged and chosen.text in flagged and reason in flagged
    section = page.split('id="comprehension-heading"')[1].split("</section>")[0]
    assert all(c.text in section for c in checks(app)) and right.text in section

    text = re.sub(r"\s+", " ", pdf_text(pdf))
    assert "Comprehension check" in text
    assert "1 INFO" in text  # the title block's flag count
    assert f"The right answer: {right.text}" in text
    assert "For the doctor: 1 flagged answer(s)" in text


def test_a_wrong_answer_does_not_hold_up_the_consent_for_a_doctor(app, wizard, staff) -> None:  # noqa: ANN001
    wizard.complete(app, "vitamin_c_injection", wrong=tuple(c.id for c in checks(app, "vitamin_c_injection")),
                    typed_signature="Zoë")
    consent = consents(app)[-1]
    assert {f.severity for f in consent.flags} == {"info"} and len(consent.flags) == 2
    from kiosk.review.queue import consent_readiness

    assert consent_readiness(consent).key == "ready"


def test_changing_the_treatment_clears_the_answers(app, wizard) -> None:  # noqa: ANN001
    through_risks(app, wizard)
    wizard.comprehension(app, "co2_laser")
    wizard.treatment("chemical_peel")
    wizard.explanation()
    wizard.risks(app, "chemical_peel")
    page = text_of(wizard.get("/consent/comprehension"))
    assert "<dt>Your answer</dt>" not in page  # the form again, not the old results
    assert "<h1>Check your understanding</h1>" in page
    assert all(c.text in page for c in checks(app, "chemical_peel"))
