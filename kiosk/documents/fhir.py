"""A signed consent as FHIR R4: what the clinic knows about it, as one Bundle another system can file.

The Bundle holds the Patient, the Consent (its status from the doctor's decisions and the consent's validity,
its provision's period the validity period, the patient-signed original as its source), one DetectedIssue per
screening flag (each doctor's decision a mitigation, by a Practitioner), one DocumentReference per stored PDF
revision (the chain linked with relatesTo "appends"), and a QuestionnaireResponse of everything the patient
answered, labelled in the consent's language. Whoever signed after the patient is a RelatedPerson: a representative
is a Consent.performer, and a Provenance of the signed original names each signer's part (the representative an
author on behalf of the patient, the interpreter an attester, the witness a witness).

No Flask, no database, no clock, no rules: kiosk.consent.export gathers the facts (readiness and validity come
from kiosk.rules through the use cases every page asks) and passes them in as a ConsentState. The resources are
written to FHIR R4 (4.0.1), the version most hospital systems exchange; the tests validate them with
fhir.resources' R4 models.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from kiosk.core.dates import format_day
from kiosk.documents.pdf.labels import labels_for
from kiosk.documents.pdf.people import people_labels
from kiosk.documents.pdf.text import language_name
from kiosk.documents.record import Answer, ComprehensionAnswer, ConsentRecord, Flag, describe_answer, flag_id

FHIR_VERSION = "4.0.1"
DOCUMENT_ID_SYSTEM = "urn:consent-kiosk:document-id"
REVISION_SYSTEM = "urn:consent-kiosk:document-revision"  # "<document id>/<revision number>"
SHA256_SYSTEM = "urn:consent-kiosk:sha256"  # a revision's SHA-256 in hex, as /verify and the PDFs print it
FLAG_SYSTEM = "urn:consent-kiosk:screening-flag"  # a flag's question or rule id
DECISION_SYSTEM = "urn:consent-kiosk:decision"  # cleared | not_cleared | consultation | representative
ANSWER_SYSTEM = "urn:consent-kiosk:answer"  # yes | no, for questions whose "yes" carries a date
COMPREHENSION_SYSTEM = "urn:consent-kiosk:comprehension"  # + ":<question id>", the options' ids as codes
LANGUAGE_SYSTEM = "urn:ietf:bcp:47"  # the language a risk was read and acknowledged in
OPTION_SYSTEM = "urn:consent-kiosk:option"  # + ":<question id>", a choice question's option ids as codes
QUESTIONNAIRE_BASE = "urn:consent-kiosk:questionnaire"

# Codes of HL7 and LOINC code systems, with each code system's own display (the validator compares them).
CONSENT_SCOPE = {"system": "http://terminology.hl7.org/CodeSystem/consentscope", "code": "treatment",
                 "display": "Treatment"}
PATIENT_CONSENT = {"system": "http://loinc.org", "code": "59284-0", "display": "Patient Consent"}
OPT_IN = {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code": "OPTIN", "display": "opt-in"}
# who signed after the patient (README "Representatives, interpreters and witnesses"): a representative's relationship
# where v3 RoleCode has one, and each signer's part in the Provenance of the signed original
ROLE_CODE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
RELATIONSHIP_CODES = {"parent": {"system": ROLE_CODE, "code": "PRN", "display": "parent"},
                      "legal_guardian": {"system": ROLE_CODE, "code": "GUARD", "display": "guardian"}}
RELATIONSHIP_SYSTEM = "urn:consent-kiosk:relationship"  # parent | legal_guardian | other_legal_representative
PARTICIPANT = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
AGENT_TYPES = {
    "patient": {"system": PARTICIPANT, "code": "author", "display": "Author"},
    "representative": {"system": PARTICIPANT, "code": "author", "display": "Author"},
    "interpreter": {"system": PARTICIPANT, "code": "attester", "display": "Attester"},
    "witness": {"system": "http://terminology.hl7.org/CodeSystem/v3-ParticipationType", "code": "WIT",
                "display": "witness"},
}

# kiosk.rules.readiness keys -> Consent.status (README "FHIR export"); validity can only make it inactive
STATUS_BY_READINESS = {
    "not_ready": "proposed",  # a stop or review flag awaits a doctor's decision
    "consultation": "proposed",  # the doctor wants to see the patient before deciding
    "not_cleared": "rejected",
    "representative": "proposed",  # a doctor recorded that the patient cannot decide alone: awaits a representative
    "cleared": "active",
    "ready": "active",  # no flag needs a doctor
    "withdrawn": "inactive",
}
ENDED = ("withdrawn", "expired")  # kiosk.rules.validity reasons that end a consent whatever the decisions say
SEVERITY = {"stop": "high", "review": "moderate", "info": "low"}  # flag severity -> DetectedIssue.severity


@dataclass(frozen=True)
class Staff:
    """A member of staff who signed something in the chain: a doctor's decision, a recorded withdrawal."""

    name: str
    email: str | None


@dataclass(frozen=True)
class DoctorDecision:
    """One signed decision (kiosk.rules.readiness.DECISIONS), oldest first; the newest one counts."""

    decision: str
    note: str | None
    decided_at: datetime
    doctor: Staff
    revision: int | None  # the PDF revision that carries it (None only for early check-in decisions)


@dataclass(frozen=True)
class Revision:
    """One stored PDF revision: kind patient_signed (number 1), doctor_review or withdrawal."""

    number: int
    kind: str
    pdf: bytes
    sha256: str
    created_at: datetime
    author: Staff | None  # None: the patient


@dataclass(frozen=True)
class ConsentState:
    """Everything the export says, as plain data: the signed record and what happened to it since."""

    record: ConsentRecord
    readiness: str  # a kiosk.rules.readiness key
    validity_reason: str | None  # kiosk.rules.validity: None while the consent covers another session
    valid_until: date  # the first day the consent no longer covers
    decisions: tuple[DoctorDecision, ...]
    revisions: tuple[Revision, ...]  # in order, revision 1 first
    withdrawn_at: datetime | None


def consent_status(readiness: str, validity_reason: str | None) -> str:
    """Consent.status from the app's own answers, so the export never says more than the course page does."""
    if validity_reason in ENDED:
        return "inactive"
    status = STATUS_BY_READINESS.get(readiness, "proposed")
    if status == "active" and validity_reason is not None:
        return "inactive"  # cleared, but signed on texts the clinic has replaced: the next session needs a new one
    return status


def consent_bundle(state: ConsentState, *, assembled_at: datetime) -> dict[str, Any]:
    """A collection Bundle of everything the clinic holds on one consent, as of `assembled_at`."""
    record = state.record
    document_id = record["document_id"]
    labels = labels_for(record["language"])
    refs = _Refs(document_id)
    staff = {_staff_key(person): person for person in
             [d.doctor for d in state.decisions] + [r.author for r in state.revisions if r.author is not None]}
    resources: list[dict[str, Any]] = [
        _patient(record, refs),
        _consent(state, refs, labels),
        _questionnaire_response(record, refs, labels),
        *[_detected_issue(record, flag, index, state.decisions, refs, labels)
          for index, flag in enumerate(record["flags"], start=1)],
        *[_document_reference(state, revision, refs, labels) for revision in state.revisions],
        *[_practitioner(person, refs) for person in staff.values()],
        *_signers(record, refs),
    ]
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "identifier": {"system": DOCUMENT_ID_SYSTEM, "value": document_id},
        "timestamp": assembled_at.isoformat(),
        "entry": [{"fullUrl": _full_url(r["resourceType"], r["id"]), "resource": r} for r in resources],
    }


# --------------------------------------------------------------------------
# Ids and references
# --------------------------------------------------------------------------


def _full_url(resource_type: str, resource_id: str) -> str:
    """A stable urn:uuid for a resource in the Bundle, so references inside it resolve without a server."""
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'consent-kiosk:{resource_type}/{resource_id}')}"


def _staff_key(person: Staff) -> str:
    return (person.email or person.name).lower()


class _Refs:
    """The ids of one Bundle's resources (letters, digits, '-' and '.' only) and references to them."""

    def __init__(self, document_id: str) -> None:
        self.document_id = document_id
        self.patient_id = f"patient-{document_id}"
        self.consent_id = f"consent-{document_id}"
        self.answers_id = f"answers-{document_id}"

    def patient(self) -> dict[str, str]:
        return {"reference": _full_url("Patient", self.patient_id)}

    def consent(self) -> dict[str, str]:
        return {"reference": _full_url("Consent", self.consent_id)}

    def answers(self) -> dict[str, str]:
        return {"reference": _full_url("QuestionnaireResponse", self.answers_id)}

    @staticmethod
    def practitioner_id(person: Staff) -> str:
        return f"practitioner-{uuid.uuid5(uuid.NAMESPACE_URL, 'consent-kiosk:staff/' + _staff_key(person)).hex[:16]}"

    def practitioner(self, person: Staff) -> dict[str, str]:
        return {"reference": _full_url("Practitioner", self.practitioner_id(person)), "display": person.name}

    def signer_id(self, role: str) -> str:
        return f"{role}-{self.document_id}"

    def signer(self, role: str) -> dict[str, str]:
        return {"reference": _full_url("RelatedPerson", self.signer_id(role))}

    def revision_id(self, number: int) -> str:
        return f"revision-{self.document_id}-{number}"

    def revision(self, number: int) -> dict[str, str]:
        return {"reference": _full_url("DocumentReference", self.revision_id(number))}


# --------------------------------------------------------------------------
# Resources
# --------------------------------------------------------------------------


def _patient(record: ConsentRecord, refs: _Refs) -> dict[str, Any]:
    patient = record["patient"]
    telecom = [{"system": system, "value": value}
               for system, value in (("phone", patient.get("phone")), ("email", patient.get("email"))) if value]
    resource: dict[str, Any] = {"resourceType": "Patient", "id": refs.patient_id,
                                "name": [{"text": patient["full_name"]}], "birthDate": patient["date_of_birth"]}
    if telecom:
        resource["telecom"] = telecom
    return resource


def _signers(record: ConsentRecord, refs: _Refs) -> list[dict[str, Any]]:
    """A RelatedPerson for each who signed after the patient, and a Provenance of the signed original naming them all:
    the representative an author on behalf of the patient, the interpreter an attester, the witness a witness."""
    words = people_labels(record["language"])
    found: list[tuple[str, Mapping[str, Any] | None]] = [
        ("representative", record.get("representative")), ("interpreter", record.get("interpreter")),
        ("witness", record.get("witness"))]
    people = [(role, person) for role, person in found if person]
    if not people:
        return []
    resources: list[dict[str, Any]] = []
    agents: list[dict[str, Any]] = [{"type": {"coding": [AGENT_TYPES["patient"]]}, "who": refs.patient()}]
    for role, person in people:
        relationship: dict[str, Any] = {"text": words[f"role_{role}"]}
        if role == "representative":
            code = person["relationship"]
            relationship = {"coding": [*([RELATIONSHIP_CODES[code]] if code in RELATIONSHIP_CODES else []),
                                       {"system": RELATIONSHIP_SYSTEM, "code": code}],
                            "text": words.get(f"relationship_{code}", code)}
        resources.append({"resourceType": "RelatedPerson", "id": refs.signer_id(role), "patient": refs.patient(),
                          "relationship": [relationship], "name": [{"text": person["full_name"]}]})
        agent: dict[str, Any] = {"type": {"coding": [AGENT_TYPES[role]]}, "role": [{"text": words[f"role_{role}"]}],
                                 "who": refs.signer(role)}
        if role == "representative":
            agent["onBehalfOf"] = refs.patient()
        agents.append(agent)
    resources.append({
        "resourceType": "Provenance", "id": f"provenance-{refs.document_id}",
        "target": [refs.consent(), refs.revision(1)],
        "occurredDateTime": record["signature"]["signed_at"],
        "recorded": record["created_at"],
        "agent": agents,
    })
    return resources


def _practitioner(person: Staff, refs: _Refs) -> dict[str, Any]:
    resource: dict[str, Any] = {"resourceType": "Practitioner", "id": refs.practitioner_id(person),
                                "name": [{"text": person.name}]}
    if person.email:
        resource["telecom"] = [{"system": "email", "value": person.email}]
    return resource


def _period(state: ConsentState) -> dict[str, str]:
    """From the signature to the last day the consent covers, or to the withdrawal if that came first.

    A date-only end includes the whole day (FHIR Period), so it is the day before validity's first day not covered.
    """
    end: str = (state.valid_until - timedelta(days=1)).isoformat()
    if state.withdrawn_at is not None and state.withdrawn_at.date() < state.valid_until:
        end = state.withdrawn_at.isoformat()
    return {"start": state.record["signature"]["signed_at"], "end": end}


def _revision_title(state: ConsentState, revision: Revision, labels: dict[str, str]) -> str:
    """A revision named as a person reads it, in the consent's language (e.g. "..., revision 2: the doctor's
    decision \u2014 Needs a consultation"), so a receiving system can list the chain without opening the PDFs."""
    if revision.kind == "doctor_review":
        decided = next((d for d in state.decisions if d.revision == revision.number), None)
        words = labels.get(f"decision_{decided.decision}", decided.decision) if decided else labels["none"]
        kind = labels["fhir_kind_doctor_review"].format(decision=words)
    else:
        kind = labels.get(f"fhir_kind_{revision.kind}", revision.kind)
    return labels["fhir_revision_title"].format(document_id=state.record["document_id"], revision=revision.number,
                                                kind=kind)


def _attachment(state: ConsentState, revision: Revision, labels: dict[str, str]) -> dict[str, Any]:
    """The sealed PDF itself; Attachment.hash is SHA-1 in base64 as R4 defines it (the SHA-256 is an identifier)."""
    record = state.record
    return {
        "contentType": "application/pdf",
        "language": record["language"],
        "data": base64.b64encode(revision.pdf).decode("ascii"),
        "size": len(revision.pdf),
        "hash": base64.b64encode(hashlib.sha1(revision.pdf, usedforsecurity=False).digest()).decode("ascii"),
        "title": _revision_title(state, revision, labels),
        "creation": revision.created_at.isoformat(),
    }


def _consent(state: ConsentState, refs: _Refs, labels: dict[str, str]) -> dict[str, Any]:
    record = state.record
    treatment = record["treatment"]
    other = treatment.get("area_other")
    areas = [a["label"] for a in treatment["areas"]] + ([other] if other else [])
    original = next(r for r in state.revisions if r.number == 1)
    return {
        "resourceType": "Consent",
        "id": refs.consent_id,
        "language": record["language"],
        "identifier": [{"system": DOCUMENT_ID_SYSTEM, "value": record["document_id"]}],
        "status": consent_status(state.readiness, state.validity_reason),
        "scope": {"coding": [CONSENT_SCOPE]},
        "category": [{"coding": [PATIENT_CONSENT]}],
        "patient": refs.patient(),
        "dateTime": record["signature"]["signed_at"],
        "performer": [refs.patient()] + ([refs.signer("representative")] if record.get("representative") else []),
        "organization": [{"display": record["clinic_name"]}],
        "sourceAttachment": _attachment(state, original, labels),  # always what the patient signed
        "policyRule": {"coding": [OPT_IN], "text": record["consent_statement"]},
        "provision": {"type": "permit", "period": _period(state),
                      "code": [{"text": f"{treatment['modality_title']}: {', '.join(areas)}; "
                                        f"{labels['planned_sessions']}: {treatment['planned_sessions']}"}]},
    }


def _flag_text(record: ConsentRecord, flag: Flag) -> str:
    """The question a flag is about, as the patient read it; a rule on the patient's details keeps its id."""
    for answer in record["answers"]:
        if answer["question"] == flag["question"]:
            return answer["text"]
    for check in record.get("comprehension") or []:
        if flag_id(check["question"]) == flag["question"]:
            return check["text"]
    return flag["question"]


def _mitigation(decision: DoctorDecision, refs: _Refs, labels: dict[str, str]) -> dict[str, Any]:
    words = labels.get(f"decision_{decision.decision}", decision.decision)
    text = labels["fhir_decision_note"].format(decision=words, note=decision.note) if decision.note else words
    return {"action": {"coding": [{"system": DECISION_SYSTEM, "code": decision.decision, "display": words}],
                       "text": text},
            "date": decision.decided_at.isoformat(),
            "author": refs.practitioner(decision.doctor)}


def _detected_issue(record: ConsentRecord, flag: Flag, index: int, decisions: tuple[DoctorDecision, ...],
                    refs: _Refs, labels: dict[str, str]) -> dict[str, Any]:
    """A screening flag; every decision on the consent answers all its flags, so each is a mitigation here."""
    resource: dict[str, Any] = {
        "resourceType": "DetectedIssue",
        "id": f"issue-{record['document_id']}-{index}",
        "language": record["language"],
        "identifier": [{"system": FLAG_SYSTEM, "value": f"{record['document_id']}/{flag['question']}"}],
        "status": "final",
        "code": {"coding": [{"system": FLAG_SYSTEM, "code": flag["question"]}], "text": _flag_text(record, flag)},
        "severity": SEVERITY.get(flag["severity"], "low"),
        "patient": refs.patient(),
        "identifiedDateTime": record["signature"]["signed_at"],
        "implicated": [refs.consent(), refs.answers()],
        "detail": flag["reason"],
    }
    if decisions:
        resource["mitigation"] = [_mitigation(d, refs, labels) for d in decisions]
    return resource


def _document_reference(state: ConsentState, revision: Revision, refs: _Refs,
                        labels: dict[str, str]) -> dict[str, Any]:
    """One stored revision: the PDF, its SHA-256, who added it, and the revisions it builds on."""
    record = state.record
    resource: dict[str, Any] = {
        "resourceType": "DocumentReference",
        "id": refs.revision_id(revision.number),
        "language": record["language"],
        "masterIdentifier": {"system": REVISION_SYSTEM, "value": f"{record['document_id']}/{revision.number}"},
        "identifier": [{"system": SHA256_SYSTEM, "value": revision.sha256},
                       {"system": DOCUMENT_ID_SYSTEM, "value": record["document_id"]}],
        "status": "current",  # no revision replaces another: each adds to the ones before it
        "docStatus": "final",
        "type": {"coding": [PATIENT_CONSENT]},
        "subject": refs.patient(),
        "date": revision.created_at.isoformat(),
        "author": [refs.practitioner(revision.author) if revision.author is not None else refs.patient()],
        "custodian": {"display": record["clinic_name"]},
        "description": _revision_title(state, revision, labels),
        "content": [{"attachment": _attachment(state, revision, labels)}],
        "context": {"related": [refs.consent()]},
    }
    earlier = [r for r in state.revisions if r.number < revision.number]
    if earlier:
        # a decision or a withdrawal is the previous revision plus an incremental update; a withdrawal recorded
        # before migration 0013 is its own sealed file naming the SHA-256s of the original and of the one before it
        previous = earlier[-1]
        targets = sorted({previous.number} if revision.pdf.startswith(previous.pdf) else {previous.number, 1})
        resource["relatesTo"] = [{"code": "appends", "target": refs.revision(n)} for n in targets]
    return resource


# --------------------------------------------------------------------------
# The answers
# --------------------------------------------------------------------------


def _day(labels: dict[str, str]) -> Callable[[str], str]:
    """Writes a date answer's day the way the consent's PDF writes dates."""
    def day(iso: str) -> str:
        try:
            return format_day(date.fromisoformat(iso), labels["lang"])
        except ValueError:
            return iso
    return day


def _coding(system: str, code: str, display: str | None) -> dict[str, str]:
    """A Coding; FHIR allows no empty string, so a missing display is left out rather than sent blank."""
    return {"system": system, "code": code, **({"display": display} if display else {})}


def _item(link_id: str, text: str, answers: list[dict[str, Any]]) -> dict[str, Any]:
    item: dict[str, Any] = {"linkId": link_id, "text": text}
    if answers:
        item["answer"] = answers
    return item


def _screening_item(answer: Answer, labels: dict[str, str]) -> dict[str, Any]:
    """One answer type per question: a yes/no question answers valueBoolean; a date question answers a yes/no
    valueCoding, with the date as a nested item when there is one; a choice answers its option as a valueCoding;
    a detail is a nested item of the answer."""
    qid, value = answer["question"], answer.get("value")
    entry: dict[str, Any] | None
    nested: list[dict[str, Any]] = []
    if answer.get("type") == "date":
        given = isinstance(value, str) and bool(value)
        entry = {"valueCoding": {"system": ANSWER_SYSTEM, "code": "yes" if given else "no",
                                 "display": str(describe_answer(answer, labels, _day(labels)))}}
        if given:
            nested.append(_item(f"{qid}:date", labels["fhir_last_dose"], [{"valueDate": value}]))
    elif answer.get("type") == "choice" and isinstance(value, str):
        entry = {"valueCoding": _coding(f"{OPTION_SYSTEM}:{qid}", value, answer.get("option_text"))}
    elif isinstance(value, bool):
        entry = {"valueBoolean": value}
    elif value is None:
        entry = None  # not answered
    else:
        entry = {"valueString": str(describe_answer(answer, labels, _day(labels)))}
    if answer.get("detail"):
        nested.append(_item(f"{qid}:detail", labels["fhir_detail"], [{"valueString": answer["detail"]}]))
    if entry is None:
        return _item(qid, answer["text"], [])
    if nested:
        entry["item"] = nested
    return _item(qid, answer["text"], [entry])


def _comprehension_item(check: ComprehensionAnswer, labels: dict[str, str]) -> dict[str, Any]:
    """A check question after the risks: the option chosen, whether it was right, and the right one."""
    link_id = f"comprehension:{check['question']}"
    system = f"{COMPREHENSION_SYSTEM}:{check['question']}"
    if not check.get("chosen"):
        return _item(link_id, check["text"], [])
    return _item(link_id, check["text"], [{
        "valueCoding": _coding(system, check["chosen"], check["chosen_text"]),
        "item": [
            _item(f"{link_id}:correct", labels["fhir_comprehension_correct"], [{"valueBoolean": check["correct"]}]),
            _item(f"{link_id}:right_answer", labels["fhir_comprehension_right_answer"],
                  [{"valueCoding": _coding(system, check["answer"], check["answer_text"])}]),
            *_asked_again(check, link_id, system, labels),
        ]}])


def _asked_again(check: ComprehensionAnswer, link_id: str, system: str, labels: dict[str, str]) -> list[dict[str, Any]]:
    """After a wrong answer the question was asked again (teach-back): the second answer, if the record holds one."""
    again = check.get("again")
    if not again or not again.get("chosen"):
        return []
    return [_item(f"{link_id}:again", labels["fhir_comprehension_again"],
                  [{"valueCoding": _coding(system, again["chosen"], again["chosen_text"])}])]


def _questionnaire_response(record: ConsentRecord, refs: _Refs, labels: dict[str, str]) -> dict[str, Any]:
    """Every risk with its initials and time, every check question, every screening answer, in the order asked."""
    items: list[dict[str, Any]] = []
    for risk in record["risks"]:
        items.append(_item(f"risk:{risk['id']}", risk["title"], [{"valueBoolean": True, "item": [
            _item(f"risk:{risk['id']}:initials", labels["fhir_initials"], [{"valueString": risk["initials"]}]),
            _item(f"risk:{risk['id']}:acknowledged_at", labels["fhir_acknowledged_at"],
                  [{"valueDateTime": risk["acknowledged_at"]}]),
            *([_item(f"risk:{risk['id']}:language", labels["fhir_read_in"], [{"valueCoding": _coding(
                LANGUAGE_SYSTEM, risk["language"], language_name(risk["language"], labels, alone=True))}])]
              if risk.get("language") else []),
        ]}]))
    items += [_comprehension_item(check, labels) for check in record.get("comprehension") or []]
    items += [_screening_item(answer, labels) for answer in record["answers"]]
    return {
        "resourceType": "QuestionnaireResponse",
        "id": refs.answers_id,
        "language": record["language"],
        "identifier": {"system": DOCUMENT_ID_SYSTEM, "value": record["document_id"]},
        "questionnaire": f"{QUESTIONNAIRE_BASE}:{record['treatment']['modality']}|{record['texts']['version']}",
        "status": "completed",
        "subject": refs.patient(),
        "authored": record["signature"]["signed_at"],
        "author": refs.patient(),
        "item": items,
    }
