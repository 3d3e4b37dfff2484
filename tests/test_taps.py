"""Issue 16: initials adopted once and one tap per risk, names typed once and checked, corrections kept, and a
flag for the doctor when the texts were on screen for less time than they take to read."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from kiosk.rules.initials import fit, propose
from tests.helpers import consents, pdf_text, staff_login
from tests.support import WizardDriver

MODALITY = "microdermabrasion"
LONG_NAME = "María José Fernández-Villalobos"


@pytest.mark.parametrize(("initials", "name"), [
    ("MJFV", LONG_NAME), ("fvmj", LONG_NAME), ("MF", LONG_NAME), ("ZN", "Zoë Ñúñez"), ("CV", "Carmen de la Vega"),
    ("CdlV", "Carmen de la Vega"), ("LB", "Ludwig van Beethoven"),
])
def test_initials_in_any_order_without_particles_or_accents_fit_the_name(initials: str, name: str) -> None:
    assert fit(initials, name)


@pytest.mark.parametrize(("initials", "name"), [("XQ", LONG_NAME), ("CC", "Carmen Vega"), ("CPX", "Carmen P. M.")])
def test_initials_with_a_letter_no_word_starts_with_do_not_fit(initials: str, name: str) -> None:
    assert not fit(initials, name)


def test_the_proposed_initials_leave_out_numbers_and_signs_the_form_would_refuse() -> None:
    assert propose("Patient 3 Kill") == "PK"
    assert propose("Ana (Anita) Ruiz") == "AR"


def test_the_proposed_initials_are_the_first_letters_of_the_name_without_particles() -> None:
    assert propose(LONG_NAME) == "MJFV"
    assert propose("Carmen de la Vega y Ruiz") == "CVR"
    assert propose("Zoë Ñúñez") == "ZÑ"


def _to_risks(app: Flask, wizard: WizardDriver, name: str = "Zoë Ñúñez") -> list[str]:
    wizard.start(name=name)
    assert wizard.identity(name=name).status_code == 302
    assert wizard.treatment(MODALITY).status_code == 302
    assert wizard.explanation().status_code == 302
    return [r.id for r in app.extensions["kiosk_texts"].modality("en", MODALITY).risks]


def _finish(app: Flask, wizard: WizardDriver, **sign: Any) -> Any:
    assert wizard.comprehension(app, MODALITY).status_code == 302
    assert wizard.screening(app, MODALITY).status_code == 302
    assert wizard.review().status_code == 302
    assert wizard.sign(**sign).status_code == 302
    [consent] = consents(app)
    return consent


def _printed_and_shown_to_the_doctor(app: Flask, consent: Any, staff: dict[str, str]) -> tuple[str, str]:
    """The consent's PDF text (spaces folded) and the doctor's page of it."""
    printed = " ".join(pdf_text(consent.documents[0].pdf).split())  # read before a request ends the session
    doctor = app.test_client()
    staff_login(doctor, staff["doctor"])
    html = doctor.get(f"/doctor/consents/{consent.document_id}").get_data(as_text=True)
    return printed, html


def test_the_first_risk_proposes_initials_and_each_later_risk_takes_one_tap_with_its_own_time(
        app: Flask, wizard: WizardDriver) -> None:
    ids = _to_risks(app, wizard, LONG_NAME)
    first = wizard.get("/consent/risks/1").get_data(as_text=True)
    assert re.search(r'name="initials"[^>]*value="MJFV"', first)
    assert "I understand this risk" in first
    assert wizard.post("/consent/risks/1", {}).status_code == 302  # the proposal, taken as it is: one tap
    second = wizard.get("/consent/risks/2").get_data(as_text=True)
    assert 'name="initials"' not in second and "Your initials: MJFV" in second
    assert '<progress max="8" value="3.' in second  # the bar moves within the risks step
    for index in range(2, len(ids) + 1):
        wizard.get(f"/consent/risks/{index}")
        wizard.read_for(40)
        assert wizard.post(f"/consent/risks/{index}", {}).status_code == 302
    consent = _finish(app, wizard, typed_signature="y", printed_name=LONG_NAME)
    acks = consent.record["risks"]
    assert [a["id"] for a in acks] == ids and {a["initials"] for a in acks} == {"MJFV"}
    assert len({a["acknowledged_at"] for a in acks}) == len(ids)  # one acknowledgement per risk, each its own time
    assert not [f for f in consent.flags if f.question == "initials_not_matching_name"]


def test_the_initials_proposed_for_a_long_spanish_name_are_accepted_as_they_are(
        app: Flask, wizard: WizardDriver) -> None:
    """Seven words that are not particles: the tablet must not refuse the initials it proposed itself."""
    name = "Inmaculada Concepción de la Santísima Trinidad Fernández de Córdoba y Figueroa"
    _to_risks(app, wizard, name)
    first = wizard.get("/consent/risks/1").get_data(as_text=True)
    assert re.search(r'name="initials"[^>]*value="ICSTFCF"', first)
    assert wizard.post("/consent/risks/1", {}).status_code == 302


def test_initials_that_do_not_fit_the_name_are_asked_again_and_once_confirmed_flagged_for_the_doctor_and_printed(
        app: Flask, wizard: WizardDriver, staff: dict[str, str]) -> None:
    ids = _to_risks(app, wizard, LONG_NAME)
    asked = wizard.submit("/consent/risks/1", {"initials": "XQ"})
    page = asked.get_data(as_text=True)
    assert asked.status_code == 200 and "These initials do not match your name, María José Fernández-Villalobos" in page
    assert 'name="initials_confirmed"' in page
    assert wizard.post("/consent/risks/1", {"initials": "XQ", "initials_confirmed": "y"}).status_code == 302
    for index in range(2, len(ids) + 1):
        wizard.get(f"/consent/risks/{index}")
        wizard.read_for(40)
        assert wizard.post(f"/consent/risks/{index}", {}).status_code == 302
    consent = _finish(app, wizard, typed_signature="y", printed_name=LONG_NAME)
    [flag] = [f for f in consent.flags if f.question == "initials_not_matching_name"]
    assert flag.severity == "info" and "XQ" in flag.reason and LONG_NAME in flag.reason
    pdf, html = _printed_and_shown_to_the_doctor(app, consent, staff)
    assert "initialled XQ, which do not match the name" in pdf
    assert "Initials that do not match the name" in html and "initialled XQ" in html


def test_every_correction_of_the_name_or_initials_is_kept_in_the_trail_and_printed_on_the_audit_page(
        app: Flask, wizard: WizardDriver) -> None:
    wizard.start(name="Carmen Planned")
    assert wizard.identity(name="Carmen Planned Mismatch").status_code == 302  # the desk's entry corrected
    assert wizard.treatment(MODALITY).status_code == 302
    assert wizard.explanation().status_code == 302
    ids = [r.id for r in app.extensions["kiosk_texts"].modality("en", MODALITY).risks]
    assert wizard.submit("/consent/risks/1", {}).status_code == 302  # CPM, proposed
    assert wizard.submit("/consent/risks/2?change=1", {"initials": "CP"}).status_code == 302  # changed at risk 2
    for index in range(3, len(ids) + 1):
        assert wizard.submit(f"/consent/risks/{index}", {}).status_code == 302
    consent = _finish(app, wizard, typed_signature="y", printed_name="Carmen P. M.")
    corrections = [(c["what"], c["from"], c["to"]) for c in consent.record["trail"]["corrections"]]
    assert corrections == [("full_name", "Carmen Planned", "Carmen Planned Mismatch"), ("initials", "CPM", "CP"),
                           ("printed_name", "Carmen Planned Mismatch", "Carmen P. M.")]
    assert consent.record["signature"]["typed_name"] == "Carmen P. M."  # the typed signature is the printed name
    assert [a["initials"] for a in consent.record["risks"]][:2] == ["CPM", "CP"]
    text = " ".join(pdf_text(consent.documents[0].pdf).split())
    assert "Corrections by the patient" in text and "Carmen Planned Mismatch" in text and "CPM" in text


def test_the_sign_page_proposes_the_name_from_about_you_and_a_typed_signature_needs_no_second_typing(
        app: Flask, wizard: WizardDriver) -> None:
    wizard.ready_to_sign(app, MODALITY)
    page = wizard.get("/consent/sign").get_data(as_text=True)
    assert re.search(r'name="printed_name"[^>]*value="Zoë Ñúñez"', page)
    assert 'type="checkbox"' in page and 'name="typed_signature"' in page
    unsigned = wizard.post("/consent/sign", {"consent_agree": "y", "printed_name": "Zoë Ñúñez"})
    assert "tick the box below to sign with your printed name" in unsigned.get_data(as_text=True)
    assert wizard.post("/consent/sign", {"consent_agree": "y", "printed_name": "Zoë Ñúñez",
                                         "typed_signature": "y"}).status_code == 302
    [consent] = consents(app)
    assert consent.record["signature"]["method"] == "typed"
    assert consent.record["signature"]["typed_name"] == "Zoë Ñúñez"
    assert "corrections" not in consent.record["trail"] or not consent.record["trail"]["corrections"]


def test_texts_rushed_through_raise_an_info_flag_with_the_seconds_spent_and_expected(
        app: Flask, wizard: WizardDriver, staff: dict[str, str]) -> None:
    wizard.start()
    assert wizard.identity().status_code == 302
    assert wizard.treatment(MODALITY).status_code == 302
    assert wizard.explanation(read_seconds=3).status_code == 302
    wizard.risks(app, MODALITY, read_seconds=1)
    consent = _finish(app, wizard, typed_signature="y", printed_name="Zoë Ñúñez")
    [flag] = [f for f in consent.flags if f.question == "rushed_reading"]
    assert flag.severity == "info"
    assert re.search(r"the explanation was on screen 3 s \(about \d+ s to read at 200 words a minute\)", flag.reason)
    spent = re.search(r"the risks (\d+) s \(about (\d+) s\)", flag.reason)
    assert spent and len(consent.record["risks"]) <= int(spent[1]) < int(spent[2]) / 2  # a second each, and real time
    pdf, html = _printed_and_shown_to_the_doctor(app, consent, staff)
    assert "Read quickly: the explanation was on screen 3 s" in pdf
    assert "Read in less time than the texts take" in html and "the explanation was on screen 3 s" in html


def test_texts_read_at_a_reading_pace_raise_no_rushed_reading_flag(app: Flask, wizard: WizardDriver) -> None:
    consent_response = wizard.complete(app, MODALITY, typed_signature="y")
    assert consent_response.status_code == 302
    [consent] = consents(app)
    assert not [f for f in consent.flags if f.question == "rushed_reading"]


def test_check_texts_refuses_a_reading_speed_out_of_range(tmp_path: Any) -> None:
    import shutil

    from kiosk.texts.loader import load_texts
    from kiosk.texts.model import TextsError

    root = tmp_path / "consent_texts"
    shutil.copytree(Path(__file__).resolve().parents[1] / "consent_texts", root)
    rules = root / "rules.yaml"
    rules.write_text(rules.read_text().replace("{words_per_minute: 200, percent: 50}",
                                               "{words_per_minute: 0, percent: 50}"))
    with pytest.raises(TextsError, match="words_per_minute must be a whole number from 1 to 1000"):
        load_texts(root)
