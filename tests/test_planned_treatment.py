"""A patient who picks another treatment than the one the doctor planned is told so and asked to confirm;
the signed consent then carries the treatment_differs_from_plan review flag."""

from __future__ import annotations

import html as html_lib
import re

from flask import Flask

from tests.helpers import consents
from tests.support import WizardDriver


def _text(response) -> str:  # noqa: ANN001
    return html_lib.unescape(response.get_data(as_text=True))


def test_the_treatment_page_names_the_plan(app: Flask, wizard: WizardDriver) -> None:
    wizard.start(modality="microdermabrasion")
    assert wizard.identity().status_code == 302
    page = _text(wizard.get("/consent/treatment"))
    assert "The doctor planned: Mechanical microdermabrasion." in page
    assert "not the one the doctor planned" not in page  # no confirmation asked before a different choice


def test_another_treatment_is_refused_until_the_patient_confirms_it(app: Flask, wizard: WizardDriver) -> None:
    wizard.start(modality="microdermabrasion")
    assert wizard.identity().status_code == 302
    refused = wizard.treatment("co2_laser", confirm_other=False)
    assert refused.status_code == 200
    page = _text(refused)
    assert ("The doctor planned Mechanical microdermabrasion, but you chose Ablative CO2 laser resurfacing. "
            "Tick the box to confirm your choice, or choose the planned treatment.") in page
    assert "Yes, I want this treatment and not the one the doctor planned." in page
    assert re.search(r'<input(?=[^>]*\bchecked\b)(?=[^>]*value="co2_laser")[^>]*>', page)  # the choice stays on the page
    assert wizard.get("/consent/explanation").status_code == 302  # nothing saved: the step is still open
    assert wizard.treatment("co2_laser", confirm_other=True).status_code == 302
    assert wizard.get("/consent/treatment").status_code == 200
    page = _text(wizard.get("/consent/treatment"))
    assert "Yes, I want this treatment and not the one the doctor planned." in page  # the confirmation, kept


def _sign_through(app: Flask, wizard: WizardDriver, modality: str) -> dict[str, str]:
    assert wizard.explanation().status_code == 302
    wizard.risks(app, modality)
    assert wizard.comprehension(app, modality).status_code == 302
    assert wizard.screening(app, modality).status_code == 302
    assert wizard.review().status_code == 302
    assert wizard.sign(typed_signature="Zoë Ñúñez").status_code == 302
    [consent] = consents(app)
    return {f["question"]: f["severity"] for f in consent.record["flags"]}


def test_the_planned_treatment_needs_no_confirmation_and_raises_no_flag(app: Flask, wizard: WizardDriver) -> None:
    wizard.start(modality="microdermabrasion")
    assert wizard.identity().status_code == 302
    assert wizard.treatment("microdermabrasion", confirm_other=False).status_code == 302
    assert "treatment_differs_from_plan" not in _sign_through(app, wizard, "microdermabrasion")


def test_a_confirmed_other_treatment_is_signed_with_the_review_flag(app: Flask, wizard: WizardDriver) -> None:
    wizard.start(modality="microdermabrasion")
    assert wizard.identity().status_code == 302
    assert wizard.treatment("co2_laser", confirm_other=True).status_code == 302
    assert _sign_through(app, wizard, "co2_laser").get("treatment_differs_from_plan") == "review"
    [consent] = consents(app)
    assert consent.record["treatment"]["planned_modality"] == "microdermabrasion"
