"""A signed consent as FHIR: a Bundle with the Patient, the Consent and a QuestionnaireResponse of the answers.

No Flask, no database: record and stored revisions in, plain JSON-ready dicts
out. The resources are written to FHIR R4 (4.0.1), the version most hospital
systems exchange; the tests validate them with fhir.resources' R4 models.
"""

from __future__ import annotations

import base64
import uuid
from typing import Any

from kiosk.documents.pdf.labels import LABELS
from kiosk.documents.record import Answer, ConsentRecord, describe_answer

DOCUMENT_ID_SYSTEM = "urn:consent-kiosk:document-id"
QUESTIONNAIRE_BASE = "urn:consent-kiosk:questionnaire"
FHIR_VERSION = "4.0.1"
_ANSWER_WORDS = LABELS["en"]  # the export is in English, in the words the English PDF prints


def consent_bundle(record: ConsentRecord, *, status: str, latest_pdf: bytes, latest_revision: int) -> dict[str, Any]:
    """A collection Bundle: Patient, Consent (with the newest sealed PDF attached) and QuestionnaireResponse."""
    document_id = record["document_id"]
    patient_id, consent_id, answers_id = (f"{kind}-{document_id}" for kind in ("patient", "consent", "answers"))
    patient_ref = _full_url("Patient", patient_id)
    resources = [
        _patient(record, patient_id),
        _consent(record, consent_id, patient_ref, status, latest_pdf, latest_revision),
        _questionnaire_response(record, answers_id, patient_ref),
    ]
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "identifier": {"system": DOCUMENT_ID_SYSTEM, "value": document_id},
        "timestamp": record["created_at"],
        "entry": [{"fullUrl": _full_url(r["resourceType"], r["id"]), "resource": r} for r in resources],
    }


def _full_url(resource_type: str, resource_id: str) -> str:
    """A stable urn:uuid for a resource in the Bundle, so references inside it resolve without a server."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'consent-kiosk:{resource_type}/{resource_id}')}"


def _patient(record: ConsentRecord, patient_id: str) -> dict[str, Any]:
    patient = record["patient"]
    telecom = [{"system": system, "value": value}
               for system, value in (("phone", patient.get("phone")), ("email", patient.get("email"))) if value]
    resource: dict[str, Any] = {"resourceType": "Patient", "id": patient_id,
                                "name": [{"text": patient["full_name"]}], "birthDate": patient["date_of_birth"]}
    if telecom:
        resource["telecom"] = telecom
    return resource


def _consent(record: ConsentRecord, consent_id: str, patient_ref: str, status: str, pdf: bytes,
             revision: int) -> dict[str, Any]:
    treatment = record["treatment"]
    other = treatment.get("area_other")
    areas = [a["label"] for a in treatment["areas"]] + ([other] if other else [])
    return {
        "resourceType": "Consent",
        "id": consent_id,
        "identifier": [{"system": DOCUMENT_ID_SYSTEM, "value": record["document_id"]}],
        "status": "inactive" if status == "withdrawn" else "active",
        "scope": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "treatment",
                              "display": "Treatment"}]},
        "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0", "display": "Patient Consent"}]}],
        "patient": {"reference": patient_ref},
        "dateTime": record["signature"]["signed_at"],
        "performer": [{"reference": patient_ref}],
        "organization": [{"display": record["clinic_name"]}],
        "sourceAttachment": {"contentType": "application/pdf", "language": record["language"],
                             "data": base64.b64encode(pdf).decode("ascii"), "size": len(pdf),
                             "title": f"{record['document_id']} revision {revision} (sealed PDF)",
                             "creation": record["created_at"]},
        "policyRule": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTIN",
                                   "display": "opt-in"}],
                       "text": record["consent_statement"]},
        "provision": {"type": "permit",
                      "code": [{"text": f"{treatment['modality_title']}: {', '.join(areas)}; "
                                        f"{treatment['planned_sessions']} sessions planned"}]},
    }


def _answer_value(answer: Answer) -> dict[str, Any]:
    value = answer.get("value")
    if answer.get("type") == "bool" and isinstance(value, bool):
        return {"valueBoolean": value}
    if answer.get("type") == "date" and isinstance(value, str) and value:
        return {"valueDate": value}
    return {"valueString": str(describe_answer(answer, _ANSWER_WORDS))}


def _questionnaire_response(record: ConsentRecord, answers_id: str, patient_ref: str) -> dict[str, Any]:
    texts = record["texts"]
    items: list[dict[str, Any]] = []
    for risk in record["risks"]:
        items.append({"linkId": f"risk:{risk['id']}", "text": risk["title"], "answer": [{
            "valueBoolean": True,
            "item": [{"linkId": f"risk:{risk['id']}:initials", "text": "Initials",
                      "answer": [{"valueString": risk["initials"]}]},
                     {"linkId": f"risk:{risk['id']}:acknowledged_at", "text": "Acknowledged at",
                      "answer": [{"valueDateTime": risk["acknowledged_at"]}]}]}]})
    for answer in record["answers"]:
        entry = _answer_value(answer)
        if answer.get("detail"):
            entry["item"] = [{"linkId": f"{answer['question']}:detail", "text": "Detail",
                              "answer": [{"valueString": answer["detail"]}]}]
        items.append({"linkId": answer["question"], "text": answer["text"], "answer": [entry]})
    return {
        "resourceType": "QuestionnaireResponse",
        "id": answers_id,
        "identifier": {"system": DOCUMENT_ID_SYSTEM, "value": record["document_id"]},
        "questionnaire": f"{QUESTIONNAIRE_BASE}:{record['treatment']['modality']}|{texts['version']}",
        "status": "completed",
        "subject": {"reference": patient_ref},
        "authored": record["signature"]["signed_at"],
        "author": {"reference": patient_ref},
        "item": items,
    }
