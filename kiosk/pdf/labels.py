"""Every string the PDF itself prints, by language; a missing language or key falls back to English."""

from __future__ import annotations





# --------------------------------------------------------------------------
# Labels: every string the PDF itself prints, by language. Only "en" for now;
# a missing language or a missing key falls back to English.
# --------------------------------------------------------------------------

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Informed consent \u2014 {modality}",
        "page_of": "Page {page} of {pages}",
        "document": "Document {id}",
        "footer_patient": "Patient: {name} \u00b7 born {dob}",
        "flags_notice": "Screening flags for the doctor: {counts}. See \u201cScreening answers\u201d.",
        "patient": "Patient",
        "full_name": "Full name",
        "date_of_birth": "Date of birth",
        "phone": "Phone",
        "email": "Email",
        "identity_check": "Identity check",
        "treatment": "Treatment",
        "modality": "Treatment",
        "areas": "Treatment areas",
        "area_other": "Other area",
        "planned_sessions": "Planned sessions",
        "language": "Language of this consent",
        "information": "Information given to the patient",
        "risks": "Risks",
        "risks_intro": "The patient acknowledged each risk separately by ticking it and typing their initials.",
        "acknowledged": "\u2714 Acknowledged \u2014 initials {initials} \u2014 {time}",
        "read_for": " \u2014 on screen {seconds:.0f} s",
        "not_acknowledged": "\u2718 NOT ACKNOWLEDGED",
        "unknown_acks": "Acknowledgements recorded for risks that are not in the texts shown: {ids}",
        "screening": "Screening answers",
        "flags_box_title": "For the doctor: {n} flagged answer(s) \u2014 highest: {highest}",
        "no_flags": "No answer raised a flag for the doctor.",
        "flag_question_unknown": "(question {id})",
        "col_no": "#",
        "col_question": "Question",
        "col_answer": "Answer",
        "yes": "Yes",
        "no": "No",
        "not_in_12_months": "Not in the last 12 months",
        "not_answered": "Not answered",
        "detail": "Detail: {detail}",
        "answered_at": "answered {time}",
        "severity_stop": "STOP \u2014 doctor must review",
        "severity_review": "REVIEW",
        "severity_info": "INFO",
        "esign": "Consent to sign electronically",
        "agreed_at": "Agreed at: {time}",
        "consent": "Consent and signature",
        "consent_statement": "Consent statement",
        "signature": "Signature",
        "typed_signature": "(typed signature)",
        "missing_signature": "No signature image was supplied.",
        "printed_name": "Printed name",
        "signed_at": "Date and time signed",
        "meaning": "Meaning of the signature",
        "audit": "Audit page",
        "audit_record": "Record",
        "document_id": "Document id",
        "created_at": "Stored at",
        "texts_version": "Texts version",
        "common_version": "Common texts version",
        "rules_version": "Screening rules version",
        "texts_sha256": "SHA-256 of the texts shown",
        "signature_method": "Signature method",
        "signature_sha256": "SHA-256 of the signature image",
        "method_drawn": "drawn on the tablet",
        "method_typed": "typed name",
        "trail": "Process trail",
        "draft_started_at": "Session started",
        "started_by": "Started by",
        "device_label": "Device",
        "ip_address": "IP address",
        "user_agent": "User agent",
        "col_step": "Step",
        "col_shown": "Shown",
        "col_completed": "Completed",
        "col_seconds": "Seconds",
        "none": "\u2014",
        "verify": "How to verify this document",
        "verify_text": (
            "The clinic keeps the SHA-256 of this PDF file as it was stored. To check "
            "that a copy has not been changed, compute the SHA-256 of the file (for "
            "example with the command: sha256sum consent.pdf) and compare it with the "
            "value the clinic holds; any change to the file, however small, gives a "
            "different value.\n\n"
            "The SHA-256 of the texts shown (above) is a fingerprint of the exact words "
            "the patient was shown: it can be recomputed from the texts stored with the "
            "record and must match. The signature image's SHA-256 can be recomputed "
            "from the stored image in the same way."
        ),
        "review_notice": (
            "Revision {revision}: the consent as the patient signed it, with the doctor\u2019s review added "
            "(see \u201cDoctor\u2019s review\u201d). The patient-signed original is revision 1."
        ),
        "review": "Doctor\u2019s review",
        "review_doctor": "Doctor",
        "review_decision": "Decision",
        "decision_cleared": "Cleared for treatment",
        "decision_not_cleared": "Not cleared for treatment",
        "decision_consultation": "Needs a consultation",
        "review_decided_at": "Date and time of the decision",
        "review_note": "Doctor\u2019s note",
        "review_no_note": "The doctor left no note.",
        "review_signature": "Doctor\u2019s signature",
        "review_signed": (
            "Signed electronically by {name} ({email}), who confirmed their identity with their password "
            "and ticked the statement below."
        ),
        "review_meaning": "Meaning of the doctor\u2019s signature",
        "review_revision": "Document revision",
        "review_original_sha256": "SHA-256 of the patient-signed original (revision 1)",
        "audit_review": "Doctor\u2019s review (this revision)",
        "review_verify": (
            "This file is revision {revision}. It was made when the doctor recorded the review above; the "
            "patient\u2019s answers, texts and signature are printed from the same stored record as the "
            "original. The patient-signed original (revision 1) is kept unchanged: its SHA-256, printed "
            "above, can be checked against the clinic\u2019s copy in the same way. The clinic also keeps "
            "the SHA-256 of this revision."
        ),
        "verify_footer": "Verification code {code} \u00b7 {url}",
        "verification": "Verification",
        "verification_code": "Verification code",
        "verification_url": "Check online at",
        "verify_seal": (
            "This PDF is sealed with the clinic\u2019s certificate (a PAdES electronic signature). A PDF reader "
            "shows the seal in its signature panel, and any change to the file, however small, breaks it. "
            "To check a copy, open the address above (or scan the QR code) and upload the file, or type the "
            "verification code printed at the foot of every page. The check says whether the file is intact, "
            "which document and revision it is, and whether a newer revision exists."
        ),
        "opened_with": "Opened on the tablet with",
        "opened_at": "Opened on the tablet at",
        "opened_with_code": "one-time tablet code {code}",
        "opened_on_desk": "the front desk\u2019s own device",
        "risk_step": "risk: {title}",
        "review_area_intro": (
            "Reserved for the doctor\u2019s review. When a doctor reviews this consent, the review and the "
            "doctor\u2019s signature appear in the frame below as a separately signed revision of this file; "
            "everything above stays exactly as the patient signed it, and the patient\u2019s seal stays valid."
        ),
        "review_verify_sealed": (
            "This review is revision {revision} of the document, added to the sealed file as an incremental "
            "update with its own seal. The pages the patient signed are unchanged inside this file, and their "
            "seal still verifies; the SHA-256 of the patient-signed original (revision 1) is printed above."
        ),
        "language_names": (
            "en=English;es=Espa\u00f1ol;ca=Catal\u00e0;fr=Fran\u00e7ais;de=Deutsch;"
            "it=Italiano;pt=Portugu\u00eas"
        ),
    },
}

_labels_cache: dict[str, dict[str, str]] = {}


def labels_for(language: str | None) -> dict[str, str]:
    """Merge a language's labels over English so a partial translation still prints."""
    key = (language or "en").lower()
    merged = _labels_cache.get(key)
    if merged is None:
        merged = dict(LABELS["en"])
        merged.update(LABELS.get(key) or LABELS.get(key.split("-")[0]) or {})
        _labels_cache[key] = merged
    return merged
