"""The whole patient wizard through the Flask test client, one walk per treatment."""

from __future__ import annotations

import pytest

from tests.helpers import consents, drawn_signature

MODALITIES = ["co2_laser", "fractional_laser", "microdermabrasion", "chemical_peel", "vitamin_c_injection"]


@pytest.mark.parametrize("modality", MODALITIES)
def test_each_treatment_can_be_consented_end_to_end(app, wizard, modality):  # noqa: ANN001
    response = wizard.complete(app, modality, signature_data=drawn_signature())
    assert response.status_code == 302 and response.headers["Location"].endswith("/consent/done")
    done = wizard.client.get("/consent/done").get_data(as_text=True)
    assert "Thank you" in done
    assert "Zoë" not in done  # the done page shows no patient data
    [consent] = consents(app)
    assert consent.modality == modality
    assert consent.patient_name == "Zoë Ñúñez"
    assert consent.highest_severity is None
    assert consent.documents[0].pdf.startswith(b"%PDF")
    record = consent.record
    assert [r["id"] for r in record["risks"]] == [r["id"] for r in record["texts"]["shown"]["risks"]]
    assert all(r["initials"] == "ZÑ" and r["acknowledged_at"] for r in record["risks"])
    assert record["signature"]["method"] == "drawn"
    assert record["esign_consent"]["agreed_at"] <= record["signature"]["signed_at"]
    assert {s["step"] for s in record["trail"]["steps"] if s["completed_at"]} >= {"identity", "treatment", "sign"}


def test_flagged_answers_tell_the_patient_without_naming_them(app, wizard):  # noqa: ANN001
    wizard.complete(app, "co2_laser", yes={"pregnant": "12 weeks"}, typed_signature="Zoë Ñúñez")
    done = wizard.client.get("/consent/done").get_data(as_text=True)
    notice = app.extensions["kiosk_texts"].language("en").common.flagged_notice
    assert notice.split("\n")[0][:40] in done
    assert "pregnan" not in done.lower() and "stop" not in done.lower()
    [consent] = consents(app)
    assert consent.highest_severity == "stop"
    assert [(f.question, f.severity) for f in consent.flags] == [("pregnant", "stop")]
    answer = next(a for a in consent.record["answers"] if a["question"] == "pregnant")
    assert answer["value"] is True and answer["detail"] == "12 weeks"


def test_clean_consent_done_page_has_no_doctor_notice(app, wizard):  # noqa: ANN001
    wizard.complete(app, "microdermabrasion", typed_signature="Zoë Ñúñez")
    done = wizard.client.get("/consent/done").get_data(as_text=True)
    notice = app.extensions["kiosk_texts"].language("en").common.flagged_notice
    assert notice.split("\n")[0][:40] not in done


def test_each_risk_records_when_it_was_shown_and_how_long_it_was_read(app, wizard):  # noqa: ANN001
    wizard.complete(app, "microdermabrasion", typed_signature="Zoë Ñúñez")
    [consent] = consents(app)
    for ack in consent.record["risks"]:
        assert ack["shown_at"] and ack["shown_at"] <= ack["acknowledged_at"]
        assert ack["seconds"] is not None and ack["seconds"] >= 0
    explanation = next(s for s in consent.record["trail"]["steps"] if s["step"] == "explanation")
    assert explanation["shown_at"] and explanation["seconds"] is not None
