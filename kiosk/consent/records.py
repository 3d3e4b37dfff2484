"""A signed consent's record, as stored and printed: what the patient read, in which language, answered and signed.

Built from the finished draft by kiosk.consent.submission, which judges, stores and seals it; the review and
sign pages use the same wording helpers (area_names, signed_statement), so what the patient reads before signing
is what the record keeps.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal

from PIL import Image

from kiosk.rules import comprehension
from kiosk.consent import signers
from kiosk.consent import steps
from kiosk.rules import validity
from kiosk.core.folding import fold_name
from kiosk.core.models import Draft
from kiosk.documents.pdf.labels import labels_for
from kiosk.documents.pdf.people import people_labels
from kiosk.documents.pdf.text import identity_check
from kiosk.documents.record import (READ_STEPS, CheckedIdentity, Clinic, ConsentRecord, Correction, Countersignature,
                                    Flag, Patient, RiskAck, StepEvent, Treatment, answer_as_read, highest_severity)
from kiosk.rules import people as who_signs
from kiosk.rules.identity import identity_change_flags, same_person
from kiosk.rules import initials
from kiosk.rules.screening import Facts, Reading, derived_flags, screen
from kiosk.documents.wording import chosen_areas, statement_with_areas
from kiosk.texts.model import Rules, Texts

@dataclass(frozen=True)
class SignatureInput:
    """What the sign step collected, already validated by its form."""

    method: Literal["drawn", "typed"]
    png: bytes | None
    typed_name: str | None
    printed_name: str
    image: Image.Image | None = field(default=None, compare=False, repr=False)  # `png` as the form decoded it



def _countersignature(kept: dict[str, Any], statement: str, timezone: str) -> Countersignature:
    png = kept.get("png")
    return Countersignature(method=kept["method"], typed_name=kept.get("typed_name"),
                            printed_name=kept["printed_name"], signed_at=kept["signed_at"], timezone=timezone,
                            statement=statement, image_sha256=hashlib.sha256(png).hexdigest() if png else None)


def add_signers(record: ConsentRecord, draft: Draft, others: dict[str, dict[str, Any]], *, texts: Texts,
                 clinic: Clinic, local_now: datetime) -> None:
    """Who signed after the patient, each with the words they signed; the under_18 reason names the representative."""
    named = signers.people(draft)
    words = texts.people_text(draft.language)
    patient = record["patient"]
    title = record["treatment"]["modality_title"]
    patient_kept = signers.held(draft)["patient"]
    record["signature"]["signed_at"] = datetime.fromisoformat(patient_kept["signed_at"]).astimezone(
        local_now.tzinfo).isoformat()  # when the patient signed, before the others

    def statement(role: str) -> str:
        language = (named.get("interpreter") or {}).get("language", "")
        return words.statement(role, patient=patient["full_name"], treatment=title, language=language)

    if "representative" in others:
        rep = named["representative"]
        dob = date.fromisoformat(patient["date_of_birth"])
        record["representative"] = {
            "full_name": rep["full_name"], "relationship": rep["relationship"],
            "identity_check": rep.get("identity_check") or None,
            "reason": "minor" if who_signs.minor(texts.rules, dob, local_now.date()) else "cannot_decide_alone",
            "consents_for": {"full_name": patient["full_name"], "date_of_birth": patient["date_of_birth"]},
            "signature": _countersignature(others["representative"], statement("representative"), clinic.timezone),
        }
        record["assent_note"] = words.assent_note
        record["flags"] = who_signs.represented_flags(
            texts.rules_in(draft.language), record["flags"], date_of_birth=dob, as_of=local_now.date(),
            representative=rep["full_name"],
            relationship=people_labels(draft.language)[f"relationship_{rep['relationship']}"])
    if "interpreter" in others:
        person = named["interpreter"]
        record["interpreter"] = {"full_name": person["full_name"], "language": person["language"],
                                 "signature": _countersignature(others["interpreter"], statement("interpreter"),
                                                                clinic.timezone)}
    if "witness" in others:
        record["witness"] = {"full_name": named["witness"]["full_name"],
                             "signature": _countersignature(others["witness"], statement("witness"), clinic.timezone)}


def build_record(
    draft: Draft,
    signature: SignatureInput,
    *,
    texts: Texts,
    clinic: Clinic,
    local_now: datetime,
    document_id: str,
) -> ConsentRecord:
    """Everything consent-record.md asks of the stored record, gathered from the draft."""
    data = draft.data
    identity = data["identity"]
    treatment = data["treatment"]
    modality = treatment["modality"]
    ref = texts.reference(draft.language, modality)
    lang = texts.language(draft.language)
    screening_data = data["screening"]
    answers_in = screening_data["answers"]
    planned = (data.get("prefill") or {}).get("modality") or None  # the desk's or the doctor's plan, if any
    flags = screen(texts.rules_in(draft.language), modality, answers_in, identity["date_of_birth"], local_now.date(), planned)
    renews = (data.get("prefill") or {}).get("renews")
    flags += validity.renewal_flags(texts.rules_in(draft.language), data.get("prefill"))  # a re-consent is reviewed
    read_in = _languages_read(draft, texts)
    refs = {language: texts.reference(language, modality) for language in {draft.language, *read_in.values()}}
    shown_questions = {q["id"]: q for q in refs[read_in["screening"]]["shown"]["questions"]}
    answers = [answer_as_read(shown_questions[qid], answers_in[qid], screening_data.get("details") or {},
                              screening_data["saved_at"])
               for qid in shown_questions if qid in answers_in]  # a follow-up not asked has no answer
    risks = [_risk_ack(draft, risk["id"], risk["title"]) for risk in ref["shown"]["risks"]]
    checked = data.get("comprehension") or {}
    understood = comprehension.grade_saved(refs[read_in["comprehension"]]["shown"]["comprehension"], checked)
    flags += comprehension.wrong_answer_flags(understood, texts.rules_in(draft.language).comprehension_reason)
    prefill = data.get("prefill") or {}
    how_checked = identity.get("identity_check") or prefill.get("identity_check")
    signed_person: CheckedIdentity = {"full_name": identity["full_name"], "date_of_birth": identity["date_of_birth"]}
    desk_checked: CheckedIdentity | None = (
        {"full_name": prefill["full_name"], "date_of_birth": prefill["date_of_birth"]}
        if prefill.get("identity_check") and prefill.get("full_name") else None)
    worded = texts.rules_in(draft.language)  # flag reasons in the consent's language
    flags += identity_change_flags(worded, checked=desk_checked, signed=signed_person, language=draft.language,
                                   how=identity_check(how_checked, labels_for(draft.language)))
    flags += _initials_flags(worded, [r["initials"] for r in risks], identity["full_name"])
    flags += derived_flags(worded, Facts(reading=_reading(ref["shown"], risks, draft)))
    patient: Patient = {
        "full_name": identity["full_name"],
        "date_of_birth": identity["date_of_birth"],
        "phone": identity.get("phone") or None,
        "email": identity.get("email") or None,
        "identity_check": how_checked,
    }
    if desk_checked is not None and not same_person(desk_checked, signed_person):
        patient["identity_checked_for"] = desk_checked  # the check covered someone else's name or birth date
    chosen: Treatment = {
        "modality": modality,
        "modality_title": ref["shown"]["title"],
        "areas": [{"id": a, "label": lang.common.areas.get(a, a)} for a in treatment["areas"]],
        "area_other": treatment.get("area_other") or None,
        "planned_sessions": texts.modality(draft.language, modality).planned_sessions,
    }
    if planned:
        chosen["planned_modality"] = planned
    png = signature.png
    signed_at = local_now.isoformat()
    record = ConsentRecord(
        document_id=document_id,
        clinic_name=clinic.name,
        language=lang.language,
        created_at=signed_at,
        patient=patient,
        treatment=chosen,
        texts=ref,
        risks=risks,
        answers=answers,
        comprehension=understood,
        flags=flags,
        highest_severity=highest_severity(flags),
        esign_consent={"statement": refs[read_in["review"]]["shown"]["esign_statement"],
                       "agreed_at": data["review"]["saved_at"]},
        consent_statement=signed_statement(texts, draft),
        signature={
            "method": signature.method,
            "typed_name": signature.typed_name,
            "printed_name": signature.printed_name,
            "signed_at": signed_at,
            "timezone": clinic.timezone,
            "meaning": ref["shown"]["signature_meaning"],
            "image_sha256": hashlib.sha256(png).hexdigest() if png else None,
        },
        trail={
            "draft_started_at": draft.trail.get("started_at", ""),
            "started_by": draft.started_by,
            "opened_on": draft.trail.get("opened_on"),
            "opened_with_code": draft.trail.get("opened_with_code"),
            "opened_at": draft.trail.get("opened_at"),
            "device_label": draft.device_label,
            "ip_address": draft.ip_address,
            "user_agent": draft.user_agent,
            "steps": _step_events(draft, signed_at),
            "language_switches": [{"at": c.get("at", ""), "from_language": c.get("from", ""), "to_language": c.get("to", "")}
                                  for c in draft.trail.get("language_changes") or []],
            "corrections": _corrections(draft, identity["full_name"], signature.printed_name, signed_at),
        },
    )
    others = sorted(language for language in refs if language != draft.language)
    if others:  # a part read in another language: its words are kept as read, with their own fingerprint
        record["other_texts"] = [refs[language] for language in others]
    if renews:
        record["renews"] = renews
    return record


def _risk_ack(draft: Draft, risk_id: str, title: str) -> RiskAck:
    """One risk's initials, time and language, with how long its page was on screen before the tick."""
    ack = draft.data["risks"][risk_id]
    shown = ((draft.trail.get("steps") or {}).get(f"risk:{risk_id}") or {}).get("shown_at")
    return RiskAck(id=risk_id, title=title, initials=ack["initials"], acknowledged_at=ack["acknowledged_at"],
                   shown_at=shown, seconds=_seconds(shown, ack["acknowledged_at"]),
                   language=ack.get("language") or draft.language)


def _languages_read(draft: Draft, texts: Texts) -> dict[str, str]:
    """The language each read step and each risk was completed in (the draft's where the draft does not say, or
    where the texts no longer offer that language), keyed by step id and by "risk:<id>"."""
    offered = set(texts.languages)

    def known(language: object) -> str:
        return language if isinstance(language, str) and language in offered else draft.language

    trail_steps = draft.trail.get("steps") or {}
    read = {step: known((trail_steps.get(step) or {}).get("language")) for step in READ_STEPS}
    read.update({f"risk:{rid}": known(ack.get("language")) for rid, ack in (draft.data.get("risks") or {}).items()})
    return read


def _initials_flags(rules: Rules, used: list[str], name: str) -> list[Flag]:
    """An `info` flag for initials the patient confirmed although they do not fit the name signed for."""
    odd = sorted({i for i in used if i and not initials.fit(i, name)})
    return derived_flags(rules, Facts(initials=", ".join(odd), name=name)) if odd else []


def _reading(shown: Mapping[str, Any], risks: list[RiskAck], draft: Draft) -> dict[str, Reading] | None:
    """Words shown and seconds on screen for the explanation and for the risks together, from the trail's times."""
    explained = ((draft.trail.get("steps") or {}).get("explanation") or {})
    explanation_seconds = _seconds(explained.get("shown_at"), explained.get("completed_at"))
    risk_seconds = [r["seconds"] for r in risks]
    if explanation_seconds is None or any(s is None for s in risk_seconds):
        return None
    return {
        "explanation": Reading(words=sum(_words(s["title"]) + _words(s["text"]) for s in shown["sections"]),
                               seconds=explanation_seconds),
        "risks": Reading(words=sum(_words(r["title"]) + _words(r["text"]) for r in shown["risks"]),
                         seconds=sum(s or 0.0 for s in risk_seconds)),
    }


def _words(text: str) -> int:
    return len(text.split())


def _corrections(draft: Draft, full_name: str, printed_name: str, signed_at: str) -> list[Correction]:
    """Each correction of a name, birth date or initials, in order; a printed name other than the name is one too."""
    kept: list[Correction] = list((draft.trail or {}).get("corrections") or [])
    if fold_name(printed_name) != fold_name(full_name):  # capitals or accents left out are no correction
        kept.append(Correction({"at": signed_at, "what": "printed_name", "from": full_name, "to": printed_name}))
    return kept


def _seconds(start: str | None, end: str | None) -> float | None:
    if not (start and end):
        return None
    return round((datetime.fromisoformat(end) - datetime.fromisoformat(start)).total_seconds(), 1)


def _step_events(draft: Draft, signed_at: str) -> list[StepEvent]:
    events: list[StepEvent] = []
    for step in steps.STEPS:
        entry = (draft.trail.get("steps") or {}).get(step, {})
        shown = entry.get("shown_at")
        done = signed_at if step == "sign" else entry.get("completed_at")
        event = StepEvent(step=step, shown_at=shown, completed_at=done, seconds=_seconds(shown, done))
        if entry.get("shown_language"):
            event["shown_language"] = entry["shown_language"]
        language = draft.language if step == "sign" else entry.get("language")
        if language:
            event["language"] = language
        events.append(event)
    return events




def area_names(texts: Texts, draft: Draft) -> list[str]:
    """The areas this patient chose, as they read them back ("somewhere else" as their own words)."""
    treatment = draft.data["treatment"]
    labels = texts.language(draft.language).common.areas
    return chosen_areas([(a, labels.get(a, a)) for a in treatment["areas"]], treatment.get("area_other"))


def signed_statement(texts: Texts, draft: Draft) -> str:
    """The consent statement beside the signature, naming the treatment and the areas this patient chose."""
    treatment = draft.data["treatment"]
    labels = texts.language(draft.language).common.areas
    shown = texts.reference(draft.language, treatment["modality"])["shown"]
    return statement_with_areas(shown["consent_statement"], [(a, labels.get(a, a)) for a in treatment["areas"]],
                                treatment.get("area_other"), draft.language)
