"""The FHIR export says what the clinic knows: validated as FHIR R4, with the status a doctor and the calendar give,
the flags and decisions, every stored revision (the patient's original always the source), the comprehension
answers, the consent's language, and one answer type per question.

Consents are made through the services the tablet, the doctor and the desk use; the export runs through
`flask --app app export DOC_ID --fhir OUT.json`, and every Bundle is parsed by fhir.resources' R4 models.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import select

from kiosk import demo
from kiosk.consent import queries as consents
from kiosk.core.audit import Who
from kiosk.core.models import Consent, User
from kiosk.course import withdrawal
from kiosk.documents import fhir
from kiosk.documents.pdf.labels import LABELS
from kiosk.documents.record import Clinic
from kiosk.review import decisions
from kiosk.rules import validity
from tests.helpers import STAFF_PASSWORD, drawn_signature, seal_key_of
from tests.support import WizardDriver

NAME = "Zoë Ñúñez-Łukasiewicz"
MEANING = "I have read the flagged answers and this is my decision."


# --------------------------------------------------------------------------
# helpers: each acts through the services a person's action goes through
# --------------------------------------------------------------------------


def _now(app: Flask) -> datetime:
    return datetime.now(ZoneInfo(app.config["CLINIC_TIMEZONE"]))


def _clinic(app: Flask) -> Clinic:
    return Clinic(name="Test Clinic", timezone=app.config["CLINIC_TIMEZONE"])


def _sign(app: Flask, *, yes: dict[str, Any] | None = None, modality: str = "co2_laser",
          signed: datetime | None = None) -> str:
    """A consent signed through the wizard's own services (as seed-demo does); returns its document id.

    seed-demo's patient takes some minutes over the wizard from `signed` on: by default that was half an hour
    ago, so the doctor and the desk act after the signature, as they would.
    """
    session = app.extensions["kiosk_db"]()
    consent = demo.sign_demo_consent(session, (NAME, "1990-05-17", modality, ["abdomen"], yes or {}),
                                     texts=app.extensions["kiosk_texts"], clinic=_clinic(app),
                                     seal_key=seal_key_of(app), now=signed or _now(app) - timedelta(minutes=30))
    session.close()
    return consent.document_id


def _decide(app: Flask, email: str, document_id: str, decision: str, note: str | None = None) -> None:
    """A doctor's signed decision, confirmed with their password, as the decision form records it."""
    session = app.extensions["kiosk_db"]()
    doctor = session.scalar(select(User).where(User.email == email))
    decisions.decide(session, Who(actor=email), doctor, document_id, decision=decision, note=note,
                     password=STAFF_PASSWORD, meaning=MEANING, now=_now(app),
                     timezone_name=app.config["CLINIC_TIMEZONE"], seal_key=seal_key_of(app), clinic_name="Test Clinic")
    session.close()


def _withdraw(app: Flask, email: str, document_id: str) -> None:
    """The desk records that the patient withdrew their consent."""
    session = app.extensions["kiosk_db"]()
    staff = session.scalar(select(User).where(User.email == email))
    withdrawal.withdraw(session, Who(actor=email), staff, document_id, how="phone", reason="Moving abroad.",
                        now=_now(app), timezone_name=app.config["CLINIC_TIMEZONE"], seal_key=seal_key_of(app),
                        clinic_name="Test Clinic")
    session.close()


def _stored(app: Flask, document_id: str) -> Consent:
    """The stored consent with its revisions, read through a session of our own."""
    session = app.extensions["kiosk_db"]()
    try:
        consent = consents.get_consent(session, document_id)
        assert consent.documents  # loaded now, to be read after the session closes
        return consent
    finally:
        session.close()


def _export(app: Flask, document_id: str, tmp_path: Path) -> dict[str, Any]:
    """`export DOC_ID --fhir OUT.json`, read back and validated as a whole against FHIR R4."""
    out = tmp_path / f"{document_id}.fhir.json"
    result = app.test_cli_runner().invoke(args=["export", document_id, "--fhir", str(out)])
    assert result.exit_code == 0, result.output
    bundle = json.loads(out.read_text(encoding="utf-8"))
    _validate(bundle)
    return bundle


def _validate(bundle: dict[str, Any]) -> None:
    """What an R4 validator checks: the models (structure, cardinality, types), each coded element's required
    value set, and that every reference inside the collection resolves to one of its entries."""
    from fhir.resources import __fhir_version__ as fhir_version
    from fhir.resources.bundle import Bundle

    assert fhir_version == "4.0.1"  # validated against R4 itself
    parsed = Bundle.parse_obj(bundle)  # raises on anything R4 does not allow
    _assert_required_codes(parsed, "Bundle")
    full_urls = [entry["fullUrl"] for entry in bundle["entry"]]
    assert len(set(full_urls)) == len(full_urls)
    assert _references(bundle) <= set(full_urls), _references(bundle) - set(full_urls)


def _assert_required_codes(model: Any, path: str) -> None:
    """Every code bound to a required value set (fhir.resources lists it as enum_values) is one of its codes."""
    from fhir.resources.core.fhirabstractmodel import FHIRAbstractModel

    for name, field in model.__fields__.items():
        value = getattr(model, name, None)
        allowed = field.field_info.extra.get("enum_values")
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, FHIRAbstractModel):
                _assert_required_codes(item, f"{path}.{name}")
            elif item is not None and allowed and "+" not in allowed:
                assert item in allowed, f"{path}.{name} = {item!r}, R4 allows {allowed}"


def _references(value: Any) -> set[str]:
    if isinstance(value, dict):
        found = {value["reference"]} if isinstance(value.get("reference"), str) else set()
        return found.union(*(_references(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_references(v) for v in value))
    return set()


def _all(bundle: dict[str, Any], resource_type: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == resource_type]


def _one(bundle: dict[str, Any], resource_type: str) -> dict[str, Any]:
    [resource] = _all(bundle, resource_type)
    return resource


def _resolve(bundle: dict[str, Any], reference: dict[str, str]) -> dict[str, Any]:
    return next(e["resource"] for e in bundle["entry"] if e["fullUrl"] == reference["reference"])


def _items(response: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["linkId"]: item for item in response["item"]}


def _revisions(bundle: dict[str, Any]) -> dict[int, dict[str, Any]]:
    return {int(d["masterIdentifier"]["value"].rsplit("/", 1)[1]): d for d in _all(bundle, "DocumentReference")}


def _pdf(attachment: dict[str, Any]) -> bytes:
    return base64.b64decode(attachment["data"])


# --------------------------------------------------------------------------
# the whole Bundle
# --------------------------------------------------------------------------


def test_the_export_validates_and_carries_the_patient_the_answers_and_the_revisions(
        app: Flask, staff: dict[str, str], tmp_path: Path) -> None:
    document_id = _sign(app, yes={"pregnant": True})
    _decide(app, staff["doctor"], document_id, "consultation", note="Pregnant: wait until after.")
    consent = _stored(app, document_id)
    record = consent.record

    bundle = _export(app, document_id, tmp_path)
    assert {e["resource"]["resourceType"] for e in bundle["entry"]} == {
        "Patient", "Consent", "QuestionnaireResponse", "DetectedIssue", "DocumentReference", "Practitioner"}
    patient = _one(bundle, "Patient")
    assert patient["name"][0]["text"] == NAME and patient["birthDate"] == "1990-05-17"
    answers = _one(bundle, "QuestionnaireResponse")
    assert answers["status"] == "completed" and answers["language"] == "en"
    items = _items(answers)
    assert items["pregnant"]["answer"][0]["valueBoolean"] is True
    detail = items["pregnant"]["answer"][0]["item"][0]
    assert (detail["text"], detail["answer"][0]["valueString"]) == ("Detail", "Told the desk on arrival.")
    assert {f"risk:{r['id']}" for r in record["risks"]} <= set(items)
    initials = items[f"risk:{record['risks'][0]['id']}"]["answer"][0]["item"][0]
    assert (initials["text"], initials["answer"][0]["valueString"]) == ("Initials", record["risks"][0]["initials"])

    # every stored revision, byte for byte, with the hash R4 defines (SHA-1) and the SHA-256 the clinic prints
    revisions = _revisions(bundle)
    assert sorted(revisions) == [d.revision for d in consent.documents] == [1, 2]
    for stored in consent.documents:
        reference = revisions[stored.revision]
        attachment = reference["content"][0]["attachment"]
        assert _pdf(attachment) == stored.pdf and attachment["size"] == len(stored.pdf)
        assert attachment["hash"] == base64.b64encode(hashlib.sha1(stored.pdf).digest()).decode()
        assert {"system": fhir.SHA256_SYSTEM, "value": stored.sha256} in reference["identifier"]
        assert _resolve(bundle, reference["context"]["related"][0])["resourceType"] == "Consent"
    assert "relatesTo" not in revisions[1]
    assert [(r["code"], _resolve(bundle, r["target"])["id"]) for r in revisions[2]["relatesTo"]] == [
        ("appends", revisions[1]["id"])]
    assert revisions[1]["description"] == f"{document_id}, revision 1: the consent as the patient signed it"
    assert revisions[2]["description"] == (
        f"{document_id}, revision 2: the doctor\u2019s decision \u2014 Needs a consultation")
    assert _resolve(bundle, revisions[1]["author"][0])["resourceType"] == "Patient"
    doctor = _resolve(bundle, revisions[2]["author"][0])
    assert doctor["resourceType"] == "Practitioner" and doctor["name"][0]["text"] == "Doctor Person"
    assert doctor["telecom"] == [{"system": "email", "value": staff["doctor"]}]

    # the Consent: what the patient signed is its source, whatever came after
    resource = _one(bundle, "Consent")
    assert resource["identifier"][0]["value"] == document_id
    assert _pdf(resource["sourceAttachment"]) == consent.documents[0].pdf
    assert resource["sourceAttachment"]["title"] == revisions[1]["description"]


def test_each_flag_is_a_detected_issue_and_each_decision_its_mitigation(
        app: Flask, staff: dict[str, str], tmp_path: Path) -> None:
    document_id = _sign(app, yes={"pregnant": True, "heart_disease": True})
    _decide(app, staff["doctor"], document_id, "consultation")
    _decide(app, staff["doctor"], document_id, "cleared", note="Not pregnant after all: test negative.")
    record = _stored(app, document_id).record

    bundle = _export(app, document_id, tmp_path)
    issues = {i["code"]["coding"][0]["code"]: i for i in _all(bundle, "DetectedIssue")}
    assert set(issues) == {f["question"] for f in record["flags"]} >= {"pregnant", "heart_disease"}
    pregnant, heart = issues["pregnant"], issues["heart_disease"]
    assert (pregnant["severity"], heart["severity"]) == ("high", "moderate")  # stop, review
    flag = next(f for f in record["flags"] if f["question"] == "pregnant")
    assert pregnant["detail"] == flag["reason"]
    assert pregnant["code"]["text"] == next(a["text"] for a in record["answers"] if a["question"] == "pregnant")
    assert [_resolve(bundle, r)["resourceType"] for r in pregnant["implicated"]] == ["Consent", "QuestionnaireResponse"]
    mitigations = pregnant["mitigation"]
    assert [m["action"]["coding"][0]["code"] for m in mitigations] == ["consultation", "cleared"]  # the last counts
    assert mitigations[1]["action"]["text"] == (
        "Cleared for treatment. Doctor\u2019s note: Not pregnant after all: test negative.")
    assert mitigations[0]["action"]["text"] == "Needs a consultation"
    assert all(_resolve(bundle, m["author"])["telecom"][0]["value"] == staff["doctor"] for m in mitigations)
    assert len(_all(bundle, "Practitioner")) == 1  # one doctor, two decisions
    assert _one(bundle, "Consent")["status"] == "active"


# --------------------------------------------------------------------------
# the status: what the doctor decided and what the calendar says
# --------------------------------------------------------------------------

STATUS_CASES = {
    "awaiting a decision": ({"pregnant": True}, [], False, 0, "proposed"),
    "needs a consultation": ({"pregnant": True}, ["consultation"], False, 0, "proposed"),
    "cleared": ({"pregnant": True}, ["cleared"], False, 0, "active"),
    "not cleared": ({"pregnant": True}, ["not_cleared"], False, 0, "rejected"),
    "no review needed": ({}, [], False, 0, "active"),
    "withdrawn": ({"pregnant": True}, ["cleared"], True, 0, "inactive"),
    "expired": ({}, [], False, 400, "inactive"),
}


@pytest.mark.parametrize("case", list(STATUS_CASES))
def test_the_consent_status_follows_the_doctor_and_the_calendar(
        app: Flask, staff: dict[str, str], tmp_path: Path, case: str) -> None:
    yes, decided, withdrawn, days_ago, expected = STATUS_CASES[case]
    signed = _now(app) - timedelta(days=days_ago, minutes=30)
    document_id = _sign(app, yes=yes, modality="microdermabrasion", signed=signed)
    for decision in decided:
        _decide(app, staff["doctor"], document_id, decision, note="Seen in person.")
    if withdrawn:
        _withdraw(app, staff["frontdesk"], document_id)

    bundle = _export(app, document_id, tmp_path)
    consent = _one(bundle, "Consent")
    assert consent["status"] == expected
    period = consent["provision"]["period"]
    signed_at = _stored(app, document_id).record["signature"]["signed_at"]
    assert period["start"] == signed_at
    # the validity period: 12 months, through the day before the same calendar day a year on
    last_day = validity.valid_until(datetime.fromisoformat(signed_at).date(), 12) - timedelta(days=1)
    if withdrawn:
        withdrawal_revision = _revisions(bundle)[len(decided) + 2]
        assert period["end"] == withdrawal_revision["date"]  # the consent ended when it was withdrawn
        assert datetime.fromisoformat(period["start"]) < datetime.fromisoformat(period["end"])
        recorder = _resolve(bundle, withdrawal_revision["author"][0])
        assert recorder["telecom"][0]["value"] == staff["frontdesk"]
        assert withdrawal_revision["description"].endswith("the withdrawal of consent")
    else:
        assert period["end"] == last_day.isoformat()
    assert len(_all(bundle, "DetectedIssue")) == len(yes)


def test_a_cleared_consent_on_texts_since_replaced_is_no_longer_active() -> None:
    assert fhir.consent_status("cleared", "new_version") == "inactive"
    assert fhir.consent_status("not_cleared", "new_version") == "rejected"
    assert fhir.consent_status("not_ready", "expired") == "inactive"


def test_a_withdrawn_consent_keeps_the_patients_signed_original_as_its_source(
        app: Flask, staff: dict[str, str], tmp_path: Path) -> None:
    document_id = _sign(app, yes={"pregnant": True})
    _decide(app, staff["doctor"], document_id, "not_cleared", note="Pregnant.")
    _withdraw(app, staff["frontdesk"], document_id)
    consent = _stored(app, document_id)
    assert [d.kind for d in consent.documents] == ["patient_signed", "doctor_review", "withdrawal"]

    bundle = _export(app, document_id, tmp_path)
    source = _one(bundle, "Consent")["sourceAttachment"]
    assert _pdf(source) == consent.documents[0].pdf  # not the withdrawal's PDF
    assert source["hash"] == base64.b64encode(hashlib.sha1(consent.documents[0].pdf).digest()).decode()
    revisions = _revisions(bundle)
    assert {n: _pdf(r["content"][0]["attachment"]) for n, r in revisions.items()} == {
        d.revision: d.pdf for d in consent.documents}
    # the withdrawal is an incremental revision of the file, appended to the decision before it
    assert [(r["code"], _resolve(bundle, r["target"])["id"]) for r in revisions[3]["relatesTo"]] == [
        ("appends", revisions[2]["id"])]
    assert _one(bundle, "Consent")["status"] == "inactive"


# --------------------------------------------------------------------------
# the answers: comprehension, one type per question, the consent's language
# --------------------------------------------------------------------------


def test_the_comprehension_answers_are_in_the_questionnaire_response(
        app: Flask, wizard: WizardDriver, tmp_path: Path) -> None:
    checks = app.extensions["kiosk_texts"].modality("en", "co2_laser").comprehension
    wrong = checks[0]
    assert wizard.complete(app, "co2_laser", wrong=(wrong.id,), typed_signature="Zoë").status_code == 302
    [consent] = consents.list_consents(app.extensions["kiosk_db"]())

    items = _items(_one(_export(app, consent["id"], tmp_path), "QuestionnaireResponse"))
    for check in checks:
        item = items[f"comprehension:{check.id}"]
        assert item["text"] == check.text
        [answer] = item["answer"]
        chosen = answer["valueCoding"]
        nested = {i["linkId"].rsplit(":", 1)[1]: i for i in answer["item"]}
        right = nested["right_answer"]["answer"][0]["valueCoding"]
        assert (right["code"], right["display"]) == (check.answer, check.option(check.answer).text)
        if check.id == wrong.id:
            assert chosen["code"] != check.answer and nested["correct"]["answer"][0]["valueBoolean"] is False
            # asked again after the right answer was shown: the second answer too
            assert nested["again"]["answer"][0]["valueCoding"]["code"] == check.answer
        else:
            assert "again" not in nested
            assert chosen["code"] == check.answer and nested["correct"]["answer"][0]["valueBoolean"] is True
        assert chosen["display"] == check.option(chosen["code"]).text
    assert list(items).index(f"comprehension:{checks[0].id}") < list(items).index("pregnant")  # in the order asked
    risk = {i["linkId"]: i for i in items[f"risk:{consent_risk_id(app)}"]["answer"][0]["item"]}
    assert risk[f"risk:{consent_risk_id(app)}:language"]["answer"][0]["valueCoding"]["code"] == "en"


def consent_risk_id(app: Flask) -> str:
    return app.extensions["kiosk_texts"].modality("en", "co2_laser").risks[0].id


def test_the_isotretinoin_question_answers_the_same_type_for_yes_and_no(app: Flask, tmp_path: Path) -> None:
    last_dose = (_now(app) - timedelta(days=60)).date().isoformat()
    took = _export(app, _sign(app, yes={"isotretinoin_last_dose": last_dose}), tmp_path)
    never = _export(app, _sign(app), tmp_path)

    yes_item = _items(_one(took, "QuestionnaireResponse"))["isotretinoin_last_dose"]
    no_item = _items(_one(never, "QuestionnaireResponse"))["isotretinoin_last_dose"]
    [yes], [no] = yes_item["answer"], no_item["answer"]
    assert {k for k in yes if k.startswith("value")} == {k for k in no if k.startswith("value")} == {"valueCoding"}
    assert (yes["valueCoding"]["code"], no["valueCoding"]["code"]) == ("yes", "no")
    assert yes["valueCoding"]["display"] == f"Yes, last dose on {last_dose}"
    assert no["valueCoding"]["display"] == "Not in the last 12 months"
    dose = next(i for i in yes["item"] if i["linkId"] == "isotretinoin_last_dose:date")
    assert (dose["text"], dose["answer"][0]["valueDate"]) == ("Date of the last dose", last_dose)
    assert not any(i["linkId"].endswith(":date") for i in no.get("item", []))
    # every yes/no question answers a boolean, yes or no
    answered = _items(_one(never, "QuestionnaireResponse"))
    assert answered["pregnant"]["answer"][0] == {"valueBoolean": False}


def _strings(value: Any, skip: tuple[str, ...] = ("data",)) -> list[str]:
    """Every string a person could read in the Bundle (not the PDFs' base64)."""
    if isinstance(value, dict):
        return [s for k, v in value.items() if k not in skip for s in _strings(v, skip)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v, skip)]
    return [value] if isinstance(value, str) else []


def test_a_spanish_consent_is_exported_with_spanish_labels(
        app: Flask, wizard: WizardDriver, staff: dict[str, str], tmp_path: Path) -> None:
    last_dose = (_now(app) - timedelta(days=30)).date()
    wizard.start(name=NAME)
    switched = wizard.client.post("/language", data={"csrf_token": wizard.token, "lang": "es",
                                                     "next": "/consent/identity"})
    assert switched.status_code == 302
    assert wizard.identity(name=NAME).status_code == 302
    assert wizard.treatment("co2_laser").status_code == 302
    assert wizard.explanation().status_code == 302
    wizard.risks(app, "co2_laser", initials="ZÑ")
    assert wizard.comprehension(app, "co2_laser").status_code == 302
    assert wizard.screening(app, "co2_laser", yes={"pregnant": "Doce semanas",
                                                   "isotretinoin_last_dose": last_dose.isoformat()}).status_code == 302
    assert wizard.review().status_code == 302
    assert wizard.sign(signature_data=drawn_signature(), printed_name=NAME).status_code == 302
    document_id = consents.list_consents(app.extensions["kiosk_db"]())[0]["id"]
    assert _stored(app, document_id).language == "es"
    _decide(app, staff["doctor"], document_id, "consultation", note="Esperar al parto.")

    bundle = _export(app, document_id, tmp_path)
    es = LABELS["es"]
    answers = _one(bundle, "QuestionnaireResponse")
    assert answers["language"] == "es"
    items = _items(answers)
    risk = next(i for link, i in items.items() if link.startswith("risk:"))
    assert [i["text"] for i in risk["answer"][0]["item"]] == ["Iniciales", "Confirmado el",
                                                               "Idioma en que se leyó y confirmó"]
    assert risk["answer"][0]["item"][2]["answer"][0]["valueCoding"] == {
        "system": "urn:ietf:bcp:47", "code": "es", "display": "Español (es)"}
    assert items["pregnant"]["answer"][0]["item"][0]["text"] == "Detalle"
    isotretinoin = items["isotretinoin_last_dose"]["answer"][0]
    assert isotretinoin["valueCoding"]["display"] == f"Sí, última dosis el {last_dose.strftime('%d/%m/%Y')}"
    assert isotretinoin["item"][0]["text"] == "Fecha de la última dosis"
    check = next(i for link, i in items.items() if link.startswith("comprehension:"))
    assert [i["text"] for i in check["answer"][0]["item"]] == ["Eligió la respuesta correcta", "La respuesta correcta"]
    assert check["text"] == _stored(app, document_id).record["comprehension"][0]["text"]  # as the patient read it
    revisions = _revisions(bundle)
    assert revisions[1]["description"] == f"{document_id}, revisión 1: {es['fhir_kind_patient_signed']}"
    assert revisions[2]["description"] == f"{document_id}, revisión 2: la decisión del médico — Requiere consulta médica"
    mitigation = _all(bundle, "DetectedIssue")[0]["mitigation"][0]
    assert mitigation["action"]["text"] == "Requiere consulta médica. Nota del médico: Esperar al parto."
    consent = _one(bundle, "Consent")
    assert "Sesiones previstas" in consent["provision"]["code"][0]["text"]
    # no English label of the export anywhere a person reads
    readable = " | ".join(_strings(bundle))
    for key, english in LABELS["en"].items():
        if key.startswith(("fhir_", "decision_")) or key in ("yes", "not_in_12_months", "planned_sessions"):
            for part in english.split("{"):
                fixed = part.split("}")[-1].strip(" .:\u2014")
                if len(fixed) >= 6 and fixed not in es.get(key, ""):
                    assert fixed not in readable, (key, fixed)
