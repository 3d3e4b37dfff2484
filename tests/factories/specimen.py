"""A realistic, self-contained sample consent record and signature image.

Used by the PDF tests, by ``bench/bench_pdf.py`` and by the "preview the PDF
layout" command, so that the layout can be checked without a database, a
tablet or the real consent texts. The words here are sample words only; the
real texts live in ``consent_texts/`` and are never read from this module.
"""

from __future__ import annotations

import hashlib
import json


from kiosk.demo import demo_signature_png
from kiosk.documents.record import (
    Answer,
    ConsentRecord,
    Flag,
    QuestionShown,
    Risk,
    RiskAck,
    Section,
    StepEvent,
    TextsShown,
    highest_severity,
)

SPECIMEN_DOCUMENT_ID = "CK-2025-11-24-7F3A9C2E"

_MODALITY_TITLES: dict[str, str] = {
    "co2_laser": "Fractional CO\u2082 laser for stretch marks",
    "microneedling": "Microneedling for stretch marks",
    "rf_microneedling": "Radiofrequency microneedling for stretch marks",
}

_MODALITY_WHAT: dict[str, str] = {
    "co2_laser": (
        "Fractional CO\u2082 laser treatment uses a laser beam divided into "
        "thousands of microscopic columns. Each column removes a tiny area of "
        "skin and heats the tissue around it, while the skin between the "
        "columns is left intact. As the skin heals over the following weeks, "
        "new collagen and elastin are produced, which can make stretch marks "
        "(striae) flatter, narrower and closer to the colour of the "
        "surrounding skin."
    ),
}


def _canonical_sha256(value: object) -> str:
    """Fingerprint the texts the same way every time so a reader can recompute it."""
    data = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def _initials(full_name: str) -> str:
    """Make the initials a patient would plausibly type for each risk."""
    parts = [p for p in full_name.replace("-", " ").split() if p[:1].isalpha()]
    return "".join(p[0].upper() for p in parts)[:4] or "XX"


def _texts_shown(modality: str, modality_title: str) -> TextsShown:
    """Build sample texts with the same shape the real consent texts have."""
    sections: list[Section] = [
        {
            "id": "what",
            "title": "What the treatment is",
            "text": _MODALITY_WHAT.get(modality, _MODALITY_WHAT["co2_laser"]),
        },
        {
            "id": "session",
            "title": "How a session goes",
            "text": (
                "A numbing cream is applied to the area about 45 minutes before "
                "the session. The skin is cleaned, and you and the staff wear "
                "protective eyewear. The treatment itself takes 15 to 40 "
                "minutes depending on the size of the area. You may feel heat "
                "and a pricking sensation.\n\n"
                "Afterwards the area is cooled and a soothing cream is applied. "
                "You can go home straight away."
            ),
        },
        {
            "id": "benefits",
            "title": "Expected benefits",
            "text": (
                "Most patients see stretch marks become flatter, softer and less "
                "noticeable. Improvement develops gradually over 3 to 6 months "
                "after each session as new collagen forms."
            ),
        },
        {
            "id": "alternatives",
            "title": "Alternatives, including no treatment",
            "text": (
                "Alternatives include topical creams (for example retinoids, not "
                "suitable during pregnancy), microneedling, radiofrequency, "
                "other lasers and camouflage make-up.\n"
                "You may also choose not to have any treatment: stretch marks "
                "are not harmful to health and often fade naturally over time."
            ),
        },
        {
            "id": "aftercare",
            "title": "Aftercare",
            "text": (
                "\u2022 Keep the area clean and apply the recommended repair cream "
                "twice a day for 7 days.\n"
                "\u2022 Do not expose the area to the sun or sunbeds for 4 weeks, "
                "and use SPF 50 afterwards.\n"
                "\u2022 Avoid swimming pools, saunas and intense exercise for 48 "
                "hours.\n"
                "\u2022 Do not scratch or pick at any crusts."
            ),
        },
        {
            "id": "limits",
            "title": "Limits of the treatment",
            "text": (
                "Results are not guaranteed and vary from person to person. "
                "Stretch marks can be improved but rarely disappear completely. "
                "Several sessions, usually 3 to 5, spaced 4 to 8 weeks apart, are "
                "normally needed."
            ),
        },
    ]
    risks: list[Risk] = [
        {
            "id": "pain",
            "title": "Pain and discomfort",
            "text": (
                "You may feel heat, stinging or pain during the session and for "
                "a few hours afterwards, despite the numbing cream."
            ),
        },
        {
            "id": "redness_swelling",
            "title": "Redness and swelling",
            "text": (
                "The treated skin is usually red and swollen for 3 to 7 days, "
                "and pinkness can last several weeks."
            ),
        },
        {
            "id": "hyperpigmentation",
            "title": "Darker patches (post-inflammatory hyperpigmentation)",
            "text": (
                "The treated skin can become darker than the skin around it, "
                "especially in darker skin types or after sun exposure. This "
                "usually fades over months but may need treatment."
            ),
        },
        {
            "id": "hypopigmentation",
            "title": "Lighter patches (hypopigmentation)",
            "text": (
                "Rarely, the treated skin can become permanently lighter than "
                "the skin around it."
            ),
        },
        {
            "id": "infection",
            "title": "Infection, including cold sores",
            "text": (
                "Bacterial, fungal or viral infection of the treated skin is "
                "uncommon. If you have had cold sores (herpes simplex), the "
                "treatment can trigger an outbreak."
            ),
        },
        {
            "id": "burns_scarring",
            "title": "Burns, blisters and scarring",
            "text": (
                "Rarely, blisters, burns or new scars, including raised "
                "(hypertrophic or keloid) scars, can occur."
            ),
        },
    ]
    questions: list[QuestionShown] = [
        {"id": "pregnant", "type": "bool",
         "text": "Are you pregnant, trying to become pregnant, or breastfeeding?"},
        {"id": "isotretinoin_last_dose", "type": "date",
         "text": "When did you last take isotretinoin (Roaccutane, Isdiben)?"},
        {"id": "keloids", "type": "bool",
         "text": "Have you ever had raised, thick scars (keloid or hypertrophic scars)?"},
        {"id": "cold_sores", "type": "bool",
         "text": "Do you get cold sores (herpes simplex) in or near the areas to treat?"},
        {"id": "blood_thinners", "type": "bool",
         "text": "Do you take blood thinners (for example warfarin, apixaban or daily aspirin)?"},
        {"id": "photosensitising_medication", "type": "bool",
         "text": "Do you take any medicine that makes your skin sensitive to light?"},
        {"id": "recent_tan", "type": "bool",
         "text": "In the last 4 weeks, have you sunbathed, used a sunbed or a self-tanner?"},
        {"id": "wounds_or_burns_in_area", "type": "bool",
         "text": "Do you have an infection, wound or rash in the areas to treat right now?"},
        {"id": "systemic_disease", "type": "bool",
         "text": "Do you have an autoimmune disease, such as lupus or scleroderma?"},
    ]
    return {
        "language": "en",
        "modality": modality,
        "title": modality_title,
        "summary": (
            "This document explains the treatment you are about to consent to, "
            "what to expect, its risks and the alternatives. Please read it "
            "carefully and ask the doctor or nurse about anything that is not "
            "clear before you sign."
        ),
        "sections": sections,
        "risks": risks,
        "questions": questions,
        "esign_statement": (
            "I agree to sign this consent electronically. I understand that my "
            "electronic signature has the same value as a handwritten signature, "
            "and that a paper form is available on request."
        ),
        "consent_statement": (
            "I have read and understood the information above, I have been able "
            "to ask questions and have had them answered, and I freely consent "
            f"to the treatment described ({modality_title}) in the "
            "areas listed. I know that I can withdraw this consent at any time "
            "before a session."
        ),
        "signature_meaning": (
            "By signing, I confirm that I give my informed consent to the "
            "treatment described in this document."
        ),
    }


def specimen_record(
    full_name: str = "Mar\u00eda Jos\u00e9 N\u00fa\u00f1ez-\u0141ukasiewicz",
    modality: str = "co2_laser",
) -> ConsentRecord:
    """Return a complete sample record so the PDF can be built and checked offline."""
    modality_title = _MODALITY_TITLES.get(modality, modality.replace("_", " ").capitalize())
    shown = _texts_shown(modality, modality_title)
    initials = _initials(full_name)
    signature_png = demo_signature_png()

    risk_times = ["10:38:02", "10:38:19", "10:38:47", "10:39:05", "10:39:31", "10:39:58"]
    risks: list[RiskAck] = [
        {
            "id": risk["id"],
            "title": risk["title"],
            "initials": initials,
            "acknowledged_at": f"2025-11-24T{when}+01:00",
            "shown_at": None,
            "seconds": 17.0,
        }
        for risk, when in zip(shown["risks"], risk_times)
    ]

    values: dict[str, tuple[bool | str | None, str | None, str]] = {
        "pregnant": (False, None, "10:40:41"),
        "isotretinoin_last_dose": ("2025-08-15", "Finished a 6-month course for acne in August.", "10:40:58"),
        "keloids": (True, "Raised scar after an appendix operation in 2015.", "10:41:20"),
        "cold_sores": (False, None, "10:41:29"),
        "blood_thinners": (False, None, "10:41:36"),
        "photosensitising_medication": (False, None, "10:41:44"),
        "recent_tan": (False, None, "10:41:57"),
        "wounds_or_burns_in_area": (False, None, "10:42:03"),
        "systemic_disease": (False, None, "10:42:10"),
    }
    answers: list[Answer] = []
    for question in shown["questions"]:
        value, detail, when = values[question["id"]]
        answers.append(
            {
                "question": question["id"],
                "text": question["text"],
                "type": question["type"],
                "value": value,
                "detail": detail,
                "answered_at": f"2025-11-24T{when}+01:00",
            }
        )
    flags: list[Flag] = [
        {
            "question": "isotretinoin_last_dose",
            "severity": "stop",
            "reason": (
                "Isotretinoin taken within the last 6 months: laser resurfacing "
                "must be postponed (risk of poor healing and scarring)."
            ),
        },
        {
            "question": "keloids",
            "severity": "review",
            "reason": "History of raised scars: the doctor should assess the risk of keloid formation.",
        },
    ]
    steps: list[StepEvent] = [
        {"step": "welcome", "shown_at": "2025-11-24T10:31:05+01:00",
         "completed_at": "2025-11-24T10:31:19+01:00", "seconds": 14.0},
        {"step": "identity", "shown_at": "2025-11-24T10:31:19+01:00",
         "completed_at": "2025-11-24T10:32:47+01:00", "seconds": 88.2},
        {"step": "treatment", "shown_at": "2025-11-24T10:32:47+01:00",
         "completed_at": "2025-11-24T10:33:30+01:00", "seconds": 43.1},
        {"step": "information", "shown_at": "2025-11-24T10:33:30+01:00",
         "completed_at": "2025-11-24T10:37:44+01:00", "seconds": 254.6},
        {"step": "risks", "shown_at": "2025-11-24T10:37:44+01:00",
         "completed_at": "2025-11-24T10:40:12+01:00", "seconds": 148.0},
        {"step": "screening", "shown_at": "2025-11-24T10:40:12+01:00",
         "completed_at": "2025-11-24T10:42:15+01:00", "seconds": 123.4},
        {"step": "esign_consent", "shown_at": "2025-11-24T10:42:15+01:00",
         "completed_at": "2025-11-24T10:42:31+01:00", "seconds": 16.3},
        {"step": "signature", "shown_at": "2025-11-24T10:42:31+01:00",
         "completed_at": "2025-11-24T10:43:02+01:00", "seconds": 31.0},
    ]

    return {
        "document_id": SPECIMEN_DOCUMENT_ID,
        "clinic_name": "Clínica Dermoestética Alameda",
        "language": "en",
        "created_at": "2025-11-24T10:43:03+01:00",
        "patient": {
            "full_name": full_name,
            "date_of_birth": "1991-03-17",
            "phone": "+34 612 345 678",
            "email": "maria.nunez@example.com",
            "identity_check": "DNI shown at the front desk (checked by reception)",
        },
        "treatment": {
            "modality": modality,
            "modality_title": modality_title,
            "areas": [
                {"id": "abdomen", "label": "Abdomen"},
                {"id": "hips", "label": "Hips"},
                {"id": "thighs", "label": "Outer thighs"},
            ],
            "area_other": "Lower back, just above the waistline",
            "planned_sessions": 4,
        },
        "texts": {
            "version": f"{modality}-en-2025.11.1",
            "common_version": "common-en-2025.11.0",
            "rules_version": "rules-2025.10.2",
            "sha256": _canonical_sha256(shown),
            "shown": shown,
        },
        "risks": risks,
        "answers": answers,
        "flags": flags,
        "highest_severity": highest_severity(flags),
        "esign_consent": {
            "statement": shown["esign_statement"],
            "agreed_at": "2025-11-24T10:42:29+01:00",
        },
        "consent_statement": shown["consent_statement"],
        "verification": {"code": "Q7RT-M2KX-9HCP", "url": "https://consent.clinica-alameda.example/verify"},
        "signature": {
            "method": "drawn",
            "typed_name": None,
            "printed_name": full_name,
            "signed_at": "2025-11-24T10:43:01+01:00",
            "timezone": "Europe/Madrid",
            "meaning": shown["signature_meaning"],
            "image_sha256": hashlib.sha256(signature_png).hexdigest(),
        },
        "trail": {
            "draft_started_at": "2025-11-24T10:31:05+01:00",
            "started_by": "front desk (reception@clinica-alameda.example)",
            "opened_on": "tablet code",
            "opened_with_code": "K7P-M2Q",
            "opened_at": "2025-11-24T10:31:05+01:00",
            "device_label": "Tablet 2 (treatment room B)",
            "ip_address": "192.168.10.42",
            "user_agent": (
                "Mozilla/5.0 (Linux; Android 14; SM-X710) AppleWebKit/537.36 "
                "(KHTML, like Gecko) Chrome/130.0.6723.107 Safari/537.36"
            ),
            "steps": steps,
        },
    }
