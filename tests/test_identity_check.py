"""The desk's identity check is bound to the identity it checked: a patient who signs for another name or date of
birth gets a review flag naming both, the PDF says whom the desk checked, and the desk's list shows the signed name."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.helpers import consents, pdf_text, staff_login
from tests.support import WizardDriver

ID_CARD = "ID card shown at the front desk"


def _sign_as(app: Flask, wizard: WizardDriver, *, checked: tuple[str, str], signed: tuple[str, str],
             identity_check: str | None = ID_CARD, language: str = "en") -> Any:
    wizard.start(name=checked[0], dob=checked[1], identity_check=identity_check)
    if language != "en":
        wizard.switch_language(language)
    assert wizard.identity(name=signed[0], dob=signed[1]).status_code == 302
    assert wizard.treatment("microdermabrasion").status_code == 302
    assert wizard.explanation().status_code == 302
    wizard.risks(app, "microdermabrasion")
    assert wizard.comprehension(app, "microdermabrasion").status_code == 302
    assert wizard.screening(app, "microdermabrasion").status_code == 302
    assert wizard.review().status_code == 302
    assert wizard.sign(typed_signature=signed[0]).status_code == 302
    [consent] = consents(app)
    return consent


def test_signing_for_someone_else_after_the_desk_checked_an_id_is_flagged_and_printed(
        app: Flask, wizard: WizardDriver, client: Any, staff: dict[str, str]) -> None:
    consent = _sign_as(app, wizard, checked=("Alice Checked", "1984-11-02"), signed=("Mallory Other", "1999-09-09"))
    flags = {f.question: f for f in consent.flags}
    assert flags["identity_changed_after_check"].severity == "review"
    assert ("Alice Checked (1984-11-02)" in flags["identity_changed_after_check"].reason
            and "Mallory Other (1999-09-09)" in flags["identity_changed_after_check"].reason)
    assert consent.record["patient"]["identity_checked_for"] == {"full_name": "Alice Checked",
                                                                 "date_of_birth": "1984-11-02"}
    text = pdf_text(consent.documents[0].pdf)
    assert "Identity the front desk checked" in text and "Alice Checked" in text
    assert "the check does not cover the patient named above" in " ".join(text.split())

    staff_login(client, staff["frontdesk"])
    desk = client.get("/desk/").get_data(as_text=True)
    assert "Mallory Other" in desk
    assert "The desk entered Alice Checked; the name or date of birth was changed on the tablet" in desk


def test_a_spanish_consent_names_the_check_and_both_birth_dates_in_spanish(app: Flask, wizard: WizardDriver) -> None:
    consent = _sign_as(app, wizard, checked=("Alice Checked", "1984-11-02"), signed=("Mallory Other", "1999-09-09"),
                       language="es")
    [reason] = [f.reason for f in consent.flags if f.question == "identity_changed_after_check"]
    assert reason.startswith("Recepción comprobó la identidad de Alice Checked (02/11/1984) (DNI mostrado en "
                             "recepción), pero el consentimiento se firmó a nombre de Mallory Other (09/09/1999)")
    assert "ID card" not in reason and "1984-11-02" not in reason


@pytest.mark.parametrize("signed", [("alice   CHECKED", "1984-11-02"), ("Alice Checked", "1984-11-02")])
def test_the_same_person_written_differently_is_not_flagged(app: Flask, wizard: WizardDriver,
                                                            signed: tuple[str, str]) -> None:
    consent = _sign_as(app, wizard, checked=("Alice Checked", "1984-11-02"), signed=signed)
    assert "identity_changed_after_check" not in {f.question for f in consent.flags}
    assert "identity_checked_for" not in consent.record["patient"]


def test_a_correction_without_a_desk_check_is_not_flagged_but_the_desk_sees_the_signed_name(
        app: Flask, wizard: WizardDriver, client: Any, staff: dict[str, str]) -> None:
    consent = _sign_as(app, wizard, checked=("Ana Garcia", "1990-01-01"), signed=("Ana García López", "1990-01-01"),
                       identity_check=None)
    assert "identity_changed_after_check" not in {f.question for f in consent.flags}
    staff_login(client, staff["frontdesk"])
    desk = client.get("/desk/").get_data(as_text=True)
    assert "Ana García López" in desk and "The desk entered Ana Garcia" in desk


def test_the_doctor_reads_the_identity_flag_in_words(app: Flask, wizard: WizardDriver, staff: dict[str, str]) -> None:
    consent = _sign_as(app, wizard, checked=("Alice Checked", "1984-11-02"), signed=("Mallory Other", "1999-09-09"))
    doctor = app.test_client()
    staff_login(doctor, staff["doctor"])
    html = doctor.get(f"/doctor/consents/{consent.document_id}").get_data(as_text=True)
    assert "Identity changed after the front desk's check" in html.replace("&#39;", "'")
    assert "Rule “identity_changed_after_check”" not in html and ">identity_changed_after_check<" not in html
