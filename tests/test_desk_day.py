"""The front desk's day as the desk reads it: may each patient be treated, where a patient on a tablet is, the
treatment chosen against the one planned, check-ins marked, each row opening its course, and asking before
a cancel."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask

from tests.helpers import signed_checkin
from tests.support import WizardDriver
from tests.test_desk import desk_client, desk_post, page, stored
from tests.test_doctor import STOP_AND_REVIEW, decide, doctor_client

ROW = re.compile(r'<tr id="session-(\d+)"[^>]*>.*?</tr>', re.S)


def desk_rows(app: Flask) -> dict[str, str]:
    """Each row of today's list by the patient's name (text without tags, spaces collapsed)."""
    html = page(desk_client(app).get("/desk/"))
    rows = {}
    for match in ROW.finditer(html):
        words = " ".join(re.sub(r"<[^>]+>", " ", match.group(0)).split())
        rows[words.split(" ")[0]] = match.group(0) + "\n" + words
    return rows


def patient(app: Flask) -> WizardDriver:
    return WizardDriver(app.test_client())


def test_each_signed_patient_says_whether_they_may_be_treated(app: Flask, staff: dict[str, str]) -> None:
    clean, flagged = patient(app), patient(app)
    assert clean.complete(app, "chemical_peel", name="Clara Limpia", typed_signature="Clara").status_code == 302
    assert flagged.complete(app, "co2_laser", name="Flora Marcada", yes=STOP_AND_REVIEW,
                            typed_signature="Flora").status_code == 302
    rows = desk_rows(app)
    assert "Ready (no doctor review needed)" in rows["Clara"]
    assert "Not ready for treatment" in rows["Flora"]
    document_id = re.search(r'href="/course/([^"]+)"', rows["Flora"]).group(1)  # type: ignore[union-attr]
    assert decide(doctor_client(app), document_id, decision="consultation", note="Talk first.").status_code == 302
    assert "Needs a consultation" in desk_rows(app)["Flora"]
    assert decide(doctor_client(app), document_id, decision="cleared", note="Seen.").status_code == 302
    assert "Cleared for treatment" in desk_rows(app)["Flora"]


def test_a_patient_on_the_tablet_shows_the_step_they_are_on(app: Flask, staff: dict[str, str]) -> None:
    tablet = patient(app)
    tablet.start(name="Paula Paso")
    row = desk_rows(app)["Paula"]
    assert "in progress" in row and "step 1 of 8: checking their name and date of birth" in row
    tablet.identity(name="Paula Paso")
    tablet.treatment("chemical_peel")
    assert "step 3 of 8: reading about the treatment" in desk_rows(app)["Paula"]
    tablet.explanation()
    assert "step 4 of 8: reading the risks" in desk_rows(app)["Paula"]
    assert "not signed yet" in desk_rows(app)["Paula"]


def test_a_treatment_other_than_the_planned_one_is_named_next_to_it(app: Flask, staff: dict[str, str]) -> None:
    changed, kept, undecided = patient(app), patient(app), patient(app)
    changed.start(name="Carmen Cambio", modality="microdermabrasion")
    kept.start(name="Pilar Plan", modality="chemical_peel")
    undecided.start(name="Nora Nada")
    rows = desk_rows(app)
    assert "Mechanical microdermabrasion planned; not chosen yet" in rows["Carmen"]
    assert "not decided" in rows["Nora"]
    changed.identity(name="Carmen Cambio")
    changed.treatment("co2_laser")
    kept.identity(name="Pilar Plan")
    kept.treatment("chemical_peel")
    rows = desk_rows(app)
    assert "Ablative CO2 laser resurfacing Not the planned treatment (Mechanical microdermabrasion)" in rows["Carmen"]
    assert "Chemical peel" in rows["Pilar"] and "Not the planned treatment" not in rows["Pilar"]
    changed.explanation()
    changed.risks(app, "co2_laser")
    changed.comprehension(app, "co2_laser")
    changed.screening(app, "co2_laser")
    changed.review()
    assert changed.sign(typed_signature="Carmen").status_code == 302
    signed = desk_rows(app)["Carmen"]
    assert "signed" in signed and "Not the planned treatment (Mechanical microdermabrasion)" in signed


def test_check_ins_are_marked_and_every_signed_row_opens_its_course(app: Flask, staff: dict[str, str]) -> None:
    checkin = signed_checkin(app, name="Irene Vuelve")
    tablet = patient(app)
    assert tablet.complete(app, "chemical_peel", name="Sara Nueva", typed_signature="Sara").status_code == 302
    tablet_only = patient(app)
    tablet_only.start(name="Ana Empieza")
    rows = desk_rows(app)
    assert "Check-in before a session" in rows["Irene"]
    assert f'href="/course/{checkin.consent.document_id}"' in rows["Irene"]
    assert "Ready (no doctor review needed)" in rows["Irene"]
    assert "Check-in before a session" not in rows["Sara"]
    assert re.search(r'<a href="/course/CK-[^"]+">Sara Nueva</a>', rows["Sara"])
    assert "/course/" not in rows["Ana"]  # no consent yet, so no course to open


def test_cancel_asks_first_and_one_click_cancels_nothing(app: Flask, staff: dict[str, str]) -> None:
    tablet = patient(app)
    issued: Any = tablet.start(name="Rosa Duda")
    member = desk_client(app)
    row = desk_rows(app)["Rosa"]
    assert "<form" not in row.split("New code")[-1]  # the Cancel in the list is a link to a question, not an action
    asked = page(member.get(f"/desk/sessions/{issued.draft.id}/cancel"))
    assert "Cancel the session for Rosa Duda?" in asked and "cannot be undone" in asked
    assert "No, keep the session" in asked and "Yes, cancel the session" in asked
    assert stored(app, issued.draft.id).status == "open"
    response = desk_post(member, f"/desk/sessions/{issued.draft.id}/cancel", follow_redirects=True)
    assert "The session was cancelled." in page(response)
    assert stored(app, issued.draft.id).status == "cancelled"
    again = member.get(f"/desk/sessions/{issued.draft.id}/cancel", follow_redirects=True)
    assert "already cancelled" in page(again)
    assert member.get("/desk/sessions/999999/cancel").status_code == 404
