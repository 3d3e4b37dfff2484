"""Representatives, interpreters and witnesses: the desk names them, each signs on the tablet after the patient, and
the sealed record, its PDF and its FHIR export say who consented for whom and who translated or watched.

Sessions start through the desk's own form (/desk/) and the tablet pages are walked like a patient with the test
client; the PDF is read back with pypdf and the export validated with fhir.resources' R4 models (tests/test_fhir.py).
"""

from __future__ import annotations

import html
import json
from datetime import date, datetime
from zoneinfo import ZoneInfo
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kiosk.core.models import Consent
from tests.helpers import drawn_signature, pdf_text, staff_login
from tests.support import WizardDriver, csrf_token
from tests.test_fhir import _all, _one, _resolve, _validate

PATIENT = "Lucía Gómez Ortega"
PARENT = "María Ortega Ruiz"


def _age(years: int, app: Flask) -> str:
    """A birth date that makes the patient `years` old today (a birthday already passed this year)."""
    today = date.today()
    return date(today.year - years, 1, 1).isoformat() if today.month > 1 or today.day > 1 else \
        date(today.year - years - 1, 1, 1).isoformat()


def _desk(app: Flask) -> FlaskClient:
    client = app.test_client()
    assert staff_login(client, "frontdesk@x.test").status_code == 302
    return client


def _start(app: Flask, staff: dict[str, str], dob: str, *, name: str = PATIENT, **people: str) -> tuple[FlaskClient, str, Any]:
    """The desk fills in its start form (with whoever it names); returns its client, the code and the response."""
    desk = _desk(app)
    html = desk.get("/desk/").get_data(as_text=True)
    fields = {"csrf_token": csrf_token(html), "full_name": name, "date_of_birth": dob, "modality": "",
              "identity_check": "ID card shown at the front desk", "issue": "y", **people}
    response = desk.post("/desk/", data=fields)
    code = ""
    if response.status_code == 302:
        code_page = desk.get(response.headers["Location"]).get_data(as_text=True)
        code = code_page.split('id="tablet-code"', 1)[1].split(">", 1)[1].split("<", 1)[0].strip()
    return desk, code, response


def _patient_signs(app: Flask, client: FlaskClient, code: str, dob: str, *, language: str = "en") -> WizardDriver:
    """The patient redeems the code and answers every step, then signs (drawn)."""
    wizard = WizardDriver(client)
    wizard.get("/")
    if language != "en":  # the patient picks their language on the start page
        client.post("/language", data={"csrf_token": wizard.token, "lang": language, "next": "/"})
        wizard.get("/")
    assert wizard.post("/consent/start", {"code": code}).status_code == 302
    assert wizard.identity(name=PATIENT, dob=dob).status_code == 302
    assert wizard.treatment("microdermabrasion").status_code == 302
    assert wizard.explanation().status_code == 302
    wizard.risks(app, "microdermabrasion", initials="LG")
    assert wizard.comprehension(app, "microdermabrasion").status_code == 302
    assert wizard.screening(app, "microdermabrasion").status_code == 302
    assert wizard.review().status_code == 302
    response = wizard.sign(signature_data=drawn_signature(), printed_name=PATIENT)
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/consent/countersign"), response.headers["Location"]
    return wizard


def _countersign(wizard: WizardDriver, role: str, name: str, *, typed: bool = False) -> Any:
    page = wizard.get("/consent/countersign").get_data(as_text=True)
    assert f'action="/consent/countersign/{role}"' in page, page[:2000]
    fields = {"consent_agree": "y", "printed_name": name,
              "signature_data": "" if typed else drawn_signature(), "typed_signature": name if typed else ""}
    return wizard.post(f"/consent/countersign/{role}", fields)


def _consent(app: Flask) -> Consent:
    session = app.extensions["kiosk_db"]()
    consent = session.scalars(select(Consent).order_by(Consent.id.desc())).first()
    assert consent is not None
    consent.documents, consent.flags  # noqa: B018 - loaded before the session closes
    session.close()
    return consent


def test_a_16_year_old_signs_her_assent_and_her_mother_consents_for_her(app: Flask, staff: dict[str, str]) -> None:
    dob = _age(16, app)
    _desk_client, code, _ = _start(app, staff, dob, representative_name=PARENT, representative_relationship="parent",
                                   representative_identity_check="ID card shown at the front desk")
    wizard = _patient_signs(app, app.test_client(), code, dob)
    page = wizard.get("/consent/countersign").get_data(as_text=True)
    assert "Please hand the tablet to María Ortega Ruiz" in page
    assert f"I am the representative of {PATIENT} for this consent." in page
    response = _countersign(wizard, "representative", PARENT)
    assert response.headers["Location"].endswith("/consent/done")

    consent = _consent(app)
    record = consent.record
    rep = record["representative"]
    assert (rep["full_name"], rep["relationship"], rep["reason"]) == (PARENT, "parent", "minor")
    assert rep["consents_for"] == {"full_name": PATIENT, "date_of_birth": dob}
    assert rep["identity_check"] == "ID card shown at the front desk"
    assert rep["signature"]["image_sha256"] and rep["signature"]["statement"].startswith("I am the representative")
    assert record["signature"]["signed_at"] <= rep["signature"]["signed_at"]  # the patient first
    [flag] = [f for f in record["flags"] if f["question"] == "under_18"]
    assert f"{PARENT} (parent) consented as the patient's representative" in flag["reason"]
    assert [f.reason for f in consent.flags if f.question == "under_18"] == [flag["reason"]]
    text = " ".join(pdf_text(consent.documents[0].pdf).split())
    assert "The patient's signature above is their assent" in " ".join(text.split()) or "assent" in text
    assert "Representative's consent" in text and PARENT in text and "parent" in text


def test_the_desk_cannot_start_a_minors_session_without_a_representative(app: Flask, staff: dict[str, str]) -> None:
    _desk_client, code, response = _start(app, staff, _age(16, app))
    assert response.status_code == 200 and not code
    assert "This patient is under 18: please enter a parent or legal guardian" in response.get_data(as_text=True)


def test_a_minor_without_a_representative_waits_and_the_desk_is_told_what_is_missing(
        app: Flask, staff: dict[str, str]) -> None:
    adult, minor = _age(30, app), _age(15, app)
    desk, code, _ = _start(app, staff, adult)
    wizard = WizardDriver(app.test_client())
    wizard.get("/")
    wizard.post("/consent/start", {"code": code})
    wizard.identity(name=PATIENT, dob=minor)  # the patient corrects the birth date on the tablet: a minor
    wizard.treatment("microdermabrasion")
    wizard.explanation()
    wizard.risks(app, "microdermabrasion", initials="LG")
    wizard.comprehension(app, "microdermabrasion")
    wizard.screening(app, "microdermabrasion")
    wizard.review()
    response = wizard.sign(signature_data=drawn_signature(), printed_name=PATIENT)
    assert response.headers["Location"].endswith("/consent/countersign")
    page = wizard.get("/consent/countersign").get_data(as_text=True)
    assert "Please ask the front desk" in page and "has not named one yet" in page
    assert _consent_count(app) == 0  # nothing sealed without the representative

    home = desk.get("/desk/").get_data(as_text=True)
    assert "Needs a representative: the session does not name one." in home
    people_url = home.split('href="/desk/sessions/', 1)[1].split('"', 1)[0]
    people_page = desk.get(f"/desk/sessions/{people_url}").get_data(as_text=True)
    assert "is waiting for a representative" in people_page
    saved = desk.post(f"/desk/sessions/{people_url}", data={
        "csrf_token": csrf_token(people_page), "representative_name": PARENT,
        "representative_relationship": "legal_guardian", "representative_identity_check": ""})
    assert saved.status_code == 302
    assert _countersign(wizard, "representative", PARENT, typed=True).headers["Location"].endswith("/consent/done")
    assert _consent(app).record["representative"]["relationship"] == "legal_guardian"


def _consent_count(app: Flask) -> int:
    session = app.extensions["kiosk_db"]()
    try:
        return len(session.scalars(select(Consent.id)).all())
    finally:
        session.close()


def test_hostile_representative_inputs_get_clear_messages(app: Flask, staff: dict[str, str]) -> None:
    dob = _age(16, app)
    _d, code, response = _start(app, staff, dob, representative_name="A" * 10_000,
                                representative_relationship="parent")
    assert response.status_code == 200 and not code
    assert "Please use at most 200 characters." in response.get_data(as_text=True)
    _d, code, response = _start(app, staff, dob, representative_name=PARENT, representative_relationship="")
    assert response.status_code == 200 and not code
    assert "Please choose the representative's relationship to the patient." in response.get_data(as_text=True)
    _d, code, response = _start(app, staff, dob, representative_name=PARENT, representative_relationship="uncle")
    assert response.status_code == 200 and not code
    assert "Not a valid choice" in response.get_data(as_text=True)


def test_a_representative_signing_twice_is_told_so_and_the_first_signature_kept(
        app: Flask, staff: dict[str, str]) -> None:
    dob = _age(16, app)
    _d, code, _ = _start(app, staff, dob, representative_name=PARENT, representative_relationship="parent",
                         witness_name="Pedro Sanz")
    wizard = _patient_signs(app, app.test_client(), code, dob)
    first = _countersign(wizard, "representative", PARENT)
    assert first.headers["Location"].endswith("/consent/countersign")
    again = wizard.post("/consent/countersign/representative", {
        "consent_agree": "y", "printed_name": "Someone Else", "signature_data": "", "typed_signature": "Someone Else"})
    assert again.status_code == 302
    page = wizard.get("/consent/countersign").get_data(as_text=True)
    assert "The representative has already signed this consent. Their first signature is kept." in page
    assert 'action="/consent/countersign/witness"' in page
    assert _countersign(wizard, "witness", "Pedro Sanz").headers["Location"].endswith("/consent/done")
    record = _consent(app).record
    assert record["representative"]["signature"]["printed_name"] == PARENT
    assert record["witness"]["full_name"] == "Pedro Sanz"


def test_an_interpreter_attested_spanish_consent_prints_and_exports_the_attestation(
        app: Flask, staff: dict[str, str], tmp_path: Path) -> None:
    dob = _age(40, app)
    _d, code, _ = _start(app, staff, dob, interpreter_name="Ioana Popescu",
                         interpreter_language="rumano")
    client = app.test_client()
    wizard = _patient_signs(app, client, code, dob, language="es")
    page = wizard.get("/consent/countersign").get_data(as_text=True)
    assert "Firma del intérprete" in page
    assert "He traducido fielmente este consentimiento al idioma rumano" in page
    assert _countersign(wizard, "interpreter", "Ioana Popescu").headers["Location"].endswith("/consent/done")

    consent = _consent(app)
    assert consent.language == "es"
    assert consent.record["interpreter"]["language"] == "rumano"
    text = " ".join(pdf_text(consent.documents[0].pdf).split())
    assert "Declaración del intérprete" in text
    assert "He traducido fielmente este consentimiento al idioma rumano, y el paciente ha podido hacer preguntas." in text
    assert "Ioana Popescu" in text and "Idioma de la interpretación" in text

    out = tmp_path / "export.json"
    result = app.test_cli_runner().invoke(args=["export", consent.document_id, "--fhir", str(out)])
    assert result.exit_code == 0, result.output
    bundle = json.loads(out.read_text(encoding="utf-8"))
    _validate(bundle)
    provenance = _one(bundle, "Provenance")
    interpreter = next(a for a in provenance["agent"] if a["type"]["coding"][0]["code"] == "attester")
    person = _resolve(bundle, interpreter["who"])
    assert person["resourceType"] == "RelatedPerson" and person["name"] == [{"text": "Ioana Popescu"}]
    assert interpreter["role"] == [{"text": "intérprete"}]
    assert _resolve(bundle, provenance["target"][0])["resourceType"] == "Consent"
    assert len(_one(bundle, "Consent")["performer"]) == 1  # no representative: the patient alone consented
    assert len(_all(bundle, "RelatedPerson")) == 1


def test_a_representatives_consent_is_a_performer_acting_for_the_patient_in_fhir(
        app: Flask, staff: dict[str, str], tmp_path: Path) -> None:
    dob = _age(16, app)
    _d, code, _ = _start(app, staff, dob, representative_name=PARENT, representative_relationship="parent",
                         witness_name="Pedro Sanz")
    wizard = _patient_signs(app, app.test_client(), code, dob)
    _countersign(wizard, "representative", PARENT)
    _countersign(wizard, "witness", "Pedro Sanz", typed=True)
    consent = _consent(app)
    out = tmp_path / "export.json"
    assert app.test_cli_runner().invoke(args=["export", consent.document_id, "--fhir", str(out)]).exit_code == 0
    bundle = json.loads(out.read_text(encoding="utf-8"))
    _validate(bundle)
    performers = [_resolve(bundle, ref) for ref in _one(bundle, "Consent")["performer"]]
    assert [p["resourceType"] for p in performers] == ["Patient", "RelatedPerson"]
    assert performers[1]["relationship"][0]["coding"][0]["code"] == "PRN"
    agents = {a["type"]["coding"][0]["code"]: a for a in _one(bundle, "Provenance")["agent"]}
    assert _resolve(bundle, agents["WIT"]["who"])["name"] == [{"text": "Pedro Sanz"}]
    representative = next(a for a in _one(bundle, "Provenance")["agent"] if "onBehalfOf" in a)
    assert _resolve(bundle, representative["onBehalfOf"])["resourceType"] == "Patient"


def test_a_consent_with_all_three_signers_is_pdf_a_and_its_seal_holds_after_a_decision(
        app: Flask, staff: dict[str, str], tmp_path: Path) -> None:
    from kiosk.core.audit import Who
    from kiosk.core.models import User
    from kiosk.review import decisions
    from tests.helpers import STAFF_PASSWORD, seal_key_of
    from tests.test_decision_chain import _pdfsig, _pyhanko
    from tests.test_pdfa import preflight

    dob = _age(16, app)
    _d, code, _ = _start(app, staff, dob, representative_name=PARENT, representative_relationship="parent",
                         interpreter_name="Ioana Popescu", interpreter_language="rumano", witness_name="Pedro Sanz")
    wizard = _patient_signs(app, app.test_client(), code, dob, language="es")
    _countersign(wizard, "representative", PARENT)
    _countersign(wizard, "interpreter", "Ioana Popescu", typed=True)
    assert _countersign(wizard, "witness", "Pedro Sanz").headers["Location"].endswith("/consent/done")
    consent = _consent(app)
    original = consent.documents[0].pdf
    text = " ".join(pdf_text(original).split())
    for words in ("Consentimiento del representante", "Declaración del intérprete", "Declaración del testigo",
                  "padre o madre", "el paciente es menor de edad", "(firma escrita)"):
        assert words in text, words

    session = app.extensions["kiosk_db"]()
    doctor = session.scalar(select(User).where(User.role == "doctor"))
    decisions.decide(session, Who(actor="tests"), doctor, consent.document_id, decision="cleared",
                     note="Visto con su madre.", password=STAFF_PASSWORD, meaning="Revisado.",
                     now=datetime.now(ZoneInfo(app.config["CLINIC_TIMEZONE"])),
                     timezone_name=app.config["CLINIC_TIMEZONE"], seal_key=seal_key_of(app),
                     clinic_name="Test Clinic")
    session.close()
    revised = _consent(app).documents[-1].pdf
    assert revised.startswith(original)
    assert [s.bottom_line for s in _pyhanko(app, revised)] == [True, True]
    assert _pdfsig(revised).count("Signature is Valid.") == 2
    (tmp_path / "people.pdf").write_bytes(original)
    (tmp_path / "people-decided.pdf").write_bytes(revised)
    verdicts = preflight([tmp_path / "people.pdf", tmp_path / "people-decided.pdf"], tmp_path / "files.txt")
    assert verdicts == {"people.pdf": [], "people-decided.pdf": []}, verdicts


def _doctor_page(app: Flask, document_id: str, language: str = "en") -> tuple[str, str]:
    """The doctor's consent page and the queue (every status), as a doctor reading `language` sees them."""
    import html as markup
    import re

    doctor = app.test_client()
    assert staff_login(doctor, "doctor@x.test").status_code == 302
    if language != "en":
        token = csrf_token(doctor.get("/doctor/queue").get_data(as_text=True))
        doctor.post("/staff/language", data={"csrf_token": token, "lang": language, "next": "/doctor/queue"})

    def text(url: str) -> str:
        return markup.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", doctor.get(url).get_data(as_text=True))))

    return text(f"/doctor/consents/{document_id}"), text("/doctor/queue?status=any")


def test_the_doctor_sees_who_signed_for_with_and_after_the_patient_and_the_queue_says_a_representative_signed(
        app: Flask, staff: dict[str, str]) -> None:
    dob = _age(16, app)
    _d, code, _ = _start(app, staff, dob, representative_name=PARENT, representative_relationship="parent",
                         representative_identity_check="Passport shown at the front desk",
                         interpreter_name="Ioana Popescu", interpreter_language="rumano", witness_name="Pedro Sanz")
    wizard = _patient_signs(app, app.test_client(), code, dob)
    _countersign(wizard, "representative", PARENT)
    _countersign(wizard, "interpreter", "Ioana Popescu", typed=True)
    _countersign(wizard, "witness", "Pedro Sanz")
    consent = _consent(app)
    signed_at = consent.record["witness"]["signature"]["signed_at"][:10]

    page, queue = _doctor_page(app, consent.document_id)
    people = page.split("People who signed", 1)[1].split("Flagged answers", 1)[0]
    assert f"Representative: {PARENT}" in people
    assert "Relationship to the patient Parent" in people
    assert "Why a representative consented The patient is a minor" in people
    assert "Identity check of the representative at the front desk Passport shown at the front desk" in people
    assert "Interpreter: Ioana Popescu" in people and "Interpreted into rumano" in people
    assert "(typed signature)" in people.split("Witness")[0]  # the interpreter typed; the witness drew
    assert "Witness: Pedro Sanz" in people and people.count(f"Signed at {signed_at}") == 3
    row = queue.split(PATIENT, 1)[1][:60]
    assert row.lstrip().startswith("signed by a representative")

    page, queue = _doctor_page(app, consent.document_id, "es")
    people = page.split("Personas que firmaron", 1)[1]
    assert f"Representante: {PARENT}" in people and "Relación con el paciente Padre o madre" in people
    assert "Por qué consintió un representante El paciente es menor de edad" in people
    assert "Intérprete: Ioana Popescu" in people and "Testigo: Pedro Sanz" in people
    assert "Pasaporte mostrado en recepción" in people and "Passport shown" not in people
    assert "firmado por un representante" in queue


def test_a_consent_the_patient_signed_alone_shows_no_people_and_no_representative_in_the_queue(
        app: Flask, wizard: WizardDriver, staff: dict[str, str]) -> None:
    from tests.test_doctor import signed_consent

    document_id = signed_consent(app, wizard, name=PATIENT)
    page, queue = _doctor_page(app, document_id)
    assert "People who signed" not in page
    assert PATIENT in queue and "signed by a representative" not in queue


def test_a_doctor_records_that_the_patient_cannot_decide_alone_and_the_consent_waits_for_a_representative(
        app: Flask, staff: dict[str, str], tmp_path: Path) -> None:
    from tests.helpers import signed_checkin
    from tests.test_course import decide as decide_checkin
    from tests.test_doctor import decide, doctor_client

    checkin = signed_checkin(app, name=PATIENT)  # a signed consent with a signed check-in, both by the patient alone
    document_id = checkin.consent.document_id
    doctor = doctor_client(app)
    # a check-in cannot carry it: the consent itself must be signed again, with a representative
    refused = decide_checkin(doctor, checkin.document_id, decision="representative").get_data(as_text=True)
    assert "Not a valid choice." in refused and 'value="representative"' not in refused

    assert decide(doctor, document_id, decision="representative", note="Confused today; her son manages her "
                  "affairs.").status_code == 302
    page, _queue = _doctor_page(app, document_id)
    assert "Readiness Cannot decide alone: needs a representative" in page
    course = html.unescape(doctor.get(f"/course/{document_id}").get_data(as_text=True))
    assert ("A check-in cannot start: a doctor recorded that the patient cannot decide alone: a new consent, signed "
            "with a representative, is needed.") in " ".join(course.split())
    consent = _consent(app)
    assert consent.documents[-1].kind == "doctor_review"
    assert "The patient cannot decide alone: a representative must consent" in pdf_text(consent.documents[-1].pdf)
    out = tmp_path / "export.json"  # FHIR: proposed, awaiting the representative's consent; still valid R4
    assert app.test_cli_runner().invoke(args=["export", document_id, "--fhir", str(out)]).exit_code == 0
    bundle = json.loads(out.read_text(encoding="utf-8"))
    _validate(bundle)
    assert _one(bundle, "Consent")["status"] == "proposed"
