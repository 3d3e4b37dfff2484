"""The words staff and patients read for each coded value (statuses, decisions, readiness, revision kinds ...).

One home, so a page, a message and a form never name the same code differently. Each table is lazily
translated (shown in the reader's language) and is a Jinja filter (`{{ row.status|consent_status_label }}`);
a code a table does not know is shown as itself, never an error. The PDF keeps its own per-language words
(kiosk.documents.pdf.labels), as it is drawn without Flask.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from typing import Any, NamedTuple

from flask import Flask

from kiosk.core.translation import lazy_gettext as _l

Words = Mapping[str, Any]  # code -> lazy translated string

# A consent's statuses as its history names them (what happened).
CONSENT_STATUS_LABELS: Words = {
    "submitted": _l("Signed by the patient"),
    "consultation": _l("A doctor asked for a consultation"),
    "reviewed": _l("Reviewed by a doctor"),
    "withdrawn": _l("Withdrawn"),
}
# The same statuses as the doctor's review queue offers them to filter by (what is waiting).
QUEUE_STATUS_LABELS: Words = {
    "submitted": _l("Awaiting review"),  # new consents and those after a consultation (kiosk.review.queue)
    "reviewed": _l("Reviewed"),
    "withdrawn": _l("Withdrawn"),
    "any": _l("Any status"),  # a filter only: finds a patient by name whatever became of their consent
}
# A session the front desk started today (kiosk.desk.sessions).
DESK_SESSION_STATUS_LABELS: Words = {
    "waiting": _l("waiting"),
    "in_progress": _l("in progress"),
    "signed": _l("signed"),
    "expired": _l("expired"),
    "cancelled": _l("cancelled"),
}
# The page a patient is on, as the desk's list says it (kiosk.consent.steps.STEPS, and a check-in's two pages).
PATIENT_STEP_LABELS: Words = {
    "identity": _l("checking their name and date of birth"),
    "treatment": _l("choosing the treatment"),
    "explanation": _l("reading about the treatment"),
    "risks": _l("reading the risks"),
    "comprehension": _l("answering the questions on the risks"),
    "screening": _l("answering the health questions"),
    "review": _l("checking their answers"),
    "sign": _l("signing"),
    "questions": _l("answering the check-in questions"),
}
# A check-in before a later session of a course.
CHECKIN_STATUS_LABELS: Words = {
    "open": _l("not signed yet"),
    "submitted": _l("Signed by the patient"),
    "reviewed": _l("Reviewed by a doctor"),
}
# A doctor's signed decision (kiosk.rules.readiness.DECISIONS).
DECISION_LABELS: Words = {
    "cleared": _l("Cleared for treatment"),
    "not_cleared": _l("Not cleared"),
    "consultation": _l("Needs a consultation"),
    "representative": _l("Cannot decide alone: needs a representative"),
}
# May this patient be treated? (kiosk.rules.readiness)
READINESS_LABELS: Words = {
    "not_ready": _l("Not ready for treatment"),
    **DECISION_LABELS,
    "ready": _l("Ready (no doctor review needed)"),
    "withdrawn": _l("Withdrawn"),
}
# What a stored PDF revision of a consent or check-in is: "Revision 2 (with the doctor's review)".
REVISION_KIND_LABELS: Words = {
    "patient_signed": _l("signed by the patient"),
    "doctor_review": _l("with the doctor's review"),
    "withdrawal": _l("with the withdrawal of consent"),
    "photo_consent": _l("with the patient's photo consent"),
}
# The rules that read the patient's details or the consent's history rather than one answer (rules.yaml `derived`,
# the renewal flag), as a doctor reads their flag's heading.
DETAIL_RULE_LABELS: Words = {
    "under_18": _l("Age, from the date of birth"),
    "identity_changed_after_check": _l("Identity changed after the front desk's check"),
    "treatment_differs_from_plan": _l("Treatment chosen differs from the one planned"),
    "initials_not_matching_name": _l("Initials that do not match the name"),
    "rushed_reading": _l("Read in less time than the texts take"),
    "renewal": _l("Re-consent replacing an earlier consent"),
    "comprehension": _l("A wrong answer in the comprehension check"),
}
# What kind of sealed document a verified file is.
DOCUMENT_KIND_LABELS: Words = {
    "consent": _l("consent"),
    "checkin": _l("treatment-day check-in"),
}
# What each audit action means, in the words a doctor or an auditor reads (kiosk.core.audit.ACTIONS).
AUDIT_ACTION_LABELS: Words = {
    "login": _l("Signed in"), "login_failed": _l("Sign-in failed"), "login_locked": _l("Sign-in refused (locked)"),
    "logout": _l("Signed out"), "session_expired": _l("Signed out after inactivity"),
    "consent_viewed": _l("Consent viewed"), "pdf_downloaded": _l("PDF opened"),
    "consent_decided": _l("Decision signed"), "export": _l("Exported"),
    "code_issued": _l("Tablet code issued"), "code_used": _l("Tablet code used by the patient"),
    "code_refused": _l("Tablet code refused"), "session_opened_here": _l("Session opened on the desk's device"),
    "session_cancelled": _l("Session cancelled"), "user_created": _l("Account created"),
    "audit_viewed": _l("Audit log viewed"),
    "checkin_started": _l("Check-in started at the desk"), "checkin_signed": _l("Check-in signed by the patient"),
    "checkin_decided": _l("Decision on a check-in signed"), "session_recorded": _l("Session recorded"),
    "consent_withdrawn": _l("Consent withdrawn"),
    "site_created": _l("Clinic added to the chain"), "site_changed": _l("Clinic details changed"),
    "site_assigned": _l("Staff member assigned to a clinic"),
    "site_unassigned": _l("Staff member removed from a clinic"),
    "backup_made": _l("Backup made"), "restored": _l("Backup restored"), "archive_exported": _l("Archive exported"),
    "patient_data_requested": _l("Patient's data requested"), "patient_data_delivered": _l("Patient's data delivered"),
    "retention_removed": _l("Removed after the retention period"), "legal_hold_set": _l("Legal hold set"),
    "legal_hold_lifted": _l("Legal hold lifted"),
    "people_named": _l("Representative, interpreter or witness named at the desk"),
    "countersigned": _l("Signed after the patient (representative, interpreter or witness)"),
    "photo_consent_recorded": _l("Photo consent recorded"),
    "photo_uploaded": _l("Treatment photo taken"),
    "photo_refused": _l("Treatment photo refused"),
    "photo_viewed": _l("Treatment photo viewed"),
    "photo_deleted": _l("Treatment photo deleted"),
    "copy_emailed": _l("Patient's copy emailed"), "copy_email_failed": _l("Patient's copy: email failed"),
    "copy_printed": _l("Patient's copy printed at the desk"),
    "aftercare_printed": _l("Aftercare sheet printed"), "aftercare_emailed": _l("Aftercare sheet emailed"),
    "aftercare_email_failed": _l("Aftercare sheet: email failed"),
}
# A screening flag's severity ("none": no flag at all).
SEVERITY_LABELS: Words = {
    "stop": _l("Stop"),
    "review": _l("Review"),
    "info": _l("Info"),
    "none": _l("None"),
}
# How a patient told the clinic they withdraw their consent.
WITHDRAWAL_METHOD_LABELS: Words = {
    "in_person": _l("In person at the clinic"),
    "phone": _l("By telephone"),
    "writing": _l("In writing"),
}
# Why a consent no longer covers a session (kiosk.rules.validity reasons), said inside a sentence.
VALIDITY_REASON_LABELS: Words = {
    "withdrawn": _l("the patient withdrew this consent"),
    "expired": _l("the consent has expired"),
    "new_version": _l("the treatment's texts changed since the patient signed: a new consent is needed"),
    "not_cleared": _l("the consent's flagged answers are not cleared by a doctor"),
    "representative": _l("a doctor recorded that the patient cannot decide alone: a new consent, signed with a "
                         "representative, is needed"),
}
# A screening answer in words, the same on screen as on paper (kiosk.documents.record.describe_answer).
ANSWER_LABELS: Words = {
    "yes": _l("Yes"),
    "no": _l("No"),
    "not_in_12_months": _l("Not in the last 12 months"),
    "not_answered": _l("Not answered"),
    "yes_last_dose": _l("Yes, last dose on %(day)s"),
}
# What a treatment photo may be used for (the patient's photo consent), as staff read it beside each photo.
PHOTO_USE_LABELS: Words = {
    "record": _l("clinical record"),
    "teaching": _l("teaching, face and identifying marks hidden"),
    "publicity": _l("the clinic's publicity"),
}
# From where a treatment photo was taken.
PHOTO_VIEW_LABELS: Words = {
    "front": _l("front"), "left": _l("left side"), "right": _l("right side"), "back": _l("back"),
    "close_up": _l("close-up"),
}
# A staff member's role, as the staff bar names it.
ROLE_LABELS: Words = {"frontdesk": _l("front desk"), "doctor": _l("doctor"), "admin": _l("administrator")}
# The language a consent was signed in, named for staff in their own language.
LANGUAGE_LABELS: Words = {"en": _l("English"), "es": _l("Spanish")}

# Who signs a consent after the patient (kiosk.rules.people.ROLES).
SIGNER_ROLE_LABELS: Words = {"representative": _l("representative"), "interpreter": _l("interpreter"),
                             "witness": _l("witness")}
# A representative's relationship to the patient (kiosk.rules.people.RELATIONSHIPS).
RELATIONSHIP_LABELS: Words = {"parent": _l("Parent"), "legal_guardian": _l("Legal guardian"),
                              "other_legal_representative": _l("Other legal representative")}
# Why a representative consented for the patient (kiosk.documents.record.Representative's reason).
REPRESENT_REASON_LABELS: Words = {"minor": _l("The patient is a minor"),
                                  "cannot_decide_alone": _l("The patient cannot decide alone")}

# Each table as the Jinja filter that shows it.
FILTERS: dict[str, Words] = {
    "consent_status_label": CONSENT_STATUS_LABELS,
    "queue_status_label": QUEUE_STATUS_LABELS,
    "desk_status_label": DESK_SESSION_STATUS_LABELS,
    "patient_step_label": PATIENT_STEP_LABELS,
    "checkin_status_label": CHECKIN_STATUS_LABELS,
    "decision_label": DECISION_LABELS,
    "readiness_label": READINESS_LABELS,
    "revision_kind_label": REVISION_KIND_LABELS,
    "document_kind_label": DOCUMENT_KIND_LABELS,
    "detail_rule_label": DETAIL_RULE_LABELS,
    "audit_action_label": AUDIT_ACTION_LABELS,
    "severity_label": SEVERITY_LABELS,
    "withdrawal_method_label": WITHDRAWAL_METHOD_LABELS,
    "validity_reason_label": VALIDITY_REASON_LABELS,
    "answer_label": ANSWER_LABELS,
    "role_label": ROLE_LABELS,
    "language_label": LANGUAGE_LABELS,
    "signer_role_label": SIGNER_ROLE_LABELS,
    "relationship_label": RELATIONSHIP_LABELS,
    "represent_reason_label": REPRESENT_REASON_LABELS,
    "photo_use_label": PHOTO_USE_LABELS,
    "photo_view_label": PHOTO_VIEW_LABELS,
}


# The facts an audit event keeps (kiosk.core.audit.record's detail), named as a doctor or an auditor reads them.
AUDIT_DETAIL_LABELS: Words = {
    "decision": _l("decision"), "revision": _l("revision"), "kind": _l("kind"), "sha256": _l("SHA-256"),
    "original_sha256": _l("SHA-256 of the original"), "how": _l("how"), "checkin": _l("check-in"),
    "highest_severity": _l("highest flag"), "number": _l("session"), "session_date": _l("session date"),
    "replaced": _l("earlier codes replaced"), "reason": _l("reason"), "note": _l("note"),
    "files": _l("files"), "documents": _l("documents"), "sha256s": _l("SHA-256 of each revision"),
    "signed_at": _l("signed"), "last_activity": _l("last session or signature"), "retained_until": _l("kept until"),
    "role": _l("role"), "roles": _l("roles"),
    "uses": _l("allowed uses"), "photo": _l("photo"), "session": _l("session"), "area": _l("area"),
    "view": _l("view"), "bytes": _l("bytes sent"),
}
# Row ids kept for the database's own joins; they mean nothing to a reader.
AUDIT_DETAIL_HIDDEN = frozenset({"draft_id", "code_id"})
# Detail values that are codes, shown in words.
AUDIT_DETAIL_VALUES: dict[str, Words] = {
    "decision": DECISION_LABELS, "kind": REVISION_KIND_LABELS, "how": WITHDRAWAL_METHOD_LABELS,
    "highest_severity": SEVERITY_LABELS, "role": SIGNER_ROLE_LABELS, "view": PHOTO_VIEW_LABELS,
}


# Detail values that are file fingerprints: shown as one, which may break anywhere in a narrow card.
AUDIT_DETAIL_FINGERPRINTS = frozenset({"sha256", "original_sha256", "sha256s"})


class DetailInWords(NamedTuple):
    name: Any
    value: Any
    fingerprint: bool


def detail_in_words(detail: dict[str, Any] | None) -> list[DetailInWords]:
    """An audit event's detail as (name, value) pairs in words, without internal row ids, in a stable order."""
    return [DetailInWords(label(AUDIT_DETAIL_LABELS, key), label(AUDIT_DETAIL_VALUES.get(key, {}), value),
                          key in AUDIT_DETAIL_FINGERPRINTS)
            for key, value in sorted((detail or {}).items())
            if key not in AUDIT_DETAIL_HIDDEN and value not in (None, "")]


def label(words: Words, code: object) -> Any:
    """The words for a code (lazy, translated when shown); a code the table does not know is shown as itself."""
    if code is None:
        return ""
    return words.get(code, str(code)) if isinstance(code, str) else str(code)


def register_filters(app: Flask) -> None:
    """Make every table a Jinja filter (create_app calls this once)."""
    for name, words in FILTERS.items():
        app.add_template_filter(partial(label, words), name)
    app.add_template_filter(detail_in_words, "audit_detail")
