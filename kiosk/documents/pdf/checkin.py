"""PDFs of a treatment course: the signed pre-session check-in, and the revision that records a withdrawal.

Pure like the consent PDF (no Flask, no database, no clock): a stored record in,
PDF bytes out, built from the same styles, text blocks and sections. The services
seal what these functions render (kiosk.documents.sealing), like the consent PDF.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from PIL import Image as PILImage
from reportlab.lib.units import cm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, KeepTogether, SimpleDocTemplate, Spacer

from kiosk.documents.pdf.labels import labels_for
from kiosk.documents.pdf.pages import NumberedCanvas, Rule, page_decorator, signature_flowable
from kiosk.documents.pdf.sections import kv_table, screening_section
from kiosk.documents.pdf.style import (FONT, MARGIN_BOTTOM, MARGIN_TOP, MARGIN_X, PAGE_SIZE, SIGNATURE_MAX_W,
                             STYLES, USABLE_W, register_fonts)
from kiosk.documents.pdf.text import TextBlock, blocks, format_datetime, heading, language_name, printable

# Only what these two documents print beyond the consent's own labels (kiosk.documents.pdf.labels), by language.
COURSE_LABELS: dict[str, dict[str, str]] = {
    "en": {
        "checkin_title": "Check-in before a session \u2014 {modality}",
        "checkin_details": "Check-in",
        "consent_document": "Consent it belongs to",
        "session_number": "Session",
        "screening": "What changed since the last session",
        "checkin_statement": "Statement",
        "checkin_verify": (
            "This check-in belongs to the consent named above and does not replace it. The clinic keeps the "
            "SHA-256 of this PDF; compute the SHA-256 of a copy (for example: sha256sum checkin.pdf) and compare. "
            "The SHA-256 of the texts shown is a fingerprint of the exact questions and statement the patient read."
        ),
        "withdrawal_title": "Withdrawal of consent \u2014 {modality}",
        "withdrawal_notice": (
            "Revision {revision}: the patient withdrew this consent. No further session may take place under it. "
            "Earlier revisions, including the patient-signed original, stay unchanged."
        ),
        "withdrawal": "Withdrawal",
        "withdrawn_at": "Withdrawn at",
        "withdrawal_recorded_by": "Recorded by",
        "withdrawal_how": "How the patient told the clinic",
        "withdrawal_reason": "Reason given",
        "withdrawal_no_reason": "The patient gave no reason.",
        "consent_signed_at": "Consent signed at",
        "previous_sha256": "SHA-256 of the previous revision ({revision})",
        "sessions_done": "Sessions recorded under this consent",
        "how_in_person": "In person at the clinic",
        "how_phone": "By telephone",
        "how_writing": "In writing",
        "withdrawal_verify": (
            "This revision records the withdrawal only; the consent as signed is in revision 1, whose SHA-256 is "
            "printed above and can be checked against the clinic\u2019s copy. Nothing was deleted: the clinic "
            "keeps every revision and the consent\u2019s history for at least 5 years."
        ),
    },
    "es": {
        "checkin_title": "Control antes de una sesión \u2014 {modality}",
        "checkin_details": "Control",
        "consent_document": "Consentimiento al que pertenece",
        "session_number": "Sesión",
        "screening": "Qué ha cambiado desde la última sesión",
        "checkin_statement": "Declaración",
        "checkin_verify": (
            "Este control pertenece al consentimiento indicado arriba y no lo sustituye. La clínica guarda el "
            "SHA-256 de este PDF; calcule el SHA-256 de una copia (por ejemplo: sha256sum control.pdf) y compárelos. "
            "El SHA-256 de los textos mostrados es la huella de las preguntas y la declaración exactas que leyó "
            "el paciente."
        ),
        "withdrawal_title": "Revocación del consentimiento \u2014 {modality}",
        "withdrawal_notice": (
            "Revisión {revision}: el paciente revocó este consentimiento. No puede hacerse ninguna sesión más con él. "
            "Las revisiones anteriores, incluido el original firmado por el paciente, no cambian."
        ),
        "withdrawal": "Revocación",
        "withdrawn_at": "Revocado el",
        "withdrawal_recorded_by": "Registrado por",
        "withdrawal_how": "Cómo lo comunicó el paciente",
        "withdrawal_reason": "Motivo indicado",
        "withdrawal_no_reason": "El paciente no indicó ningún motivo.",
        "consent_signed_at": "Consentimiento firmado el",
        "previous_sha256": "SHA-256 de la revisión anterior ({revision})",
        "sessions_done": "Sesiones registradas con este consentimiento",
        "how_in_person": "En persona, en la clínica",
        "how_phone": "Por teléfono",
        "how_writing": "Por escrito",
        "withdrawal_verify": (
            "Esta revisión solo registra la revocación; el consentimiento tal como se firmó está en la revisión 1, "
            "cuyo SHA-256 figura arriba y puede compararse con la copia de la clínica. No se ha borrado nada: la "
            "clínica conserva todas las revisiones y el historial del consentimiento al menos 5 años."
        ),
    },
}


def course_labels(language: str | None) -> dict[str, str]:
    """The consent PDF's labels with this module's on top, English where a language lacks one."""
    key = (language or "en").lower().split("-")[0]
    return {**labels_for(language), **COURSE_LABELS["en"], **COURSE_LABELS.get(key, {})}


def render_checkin_pdf(record: dict[str, Any], signature_png: bytes | None,
                       signature_image: PILImage.Image | None = None) -> bytes:
    """The signed check-in as the patient and the doctor read it (the service seals it); `signature_image`: see
    render_consent_pdf."""
    labels = course_labels(record.get("language"))
    treatment = record.get("treatment") or {}
    patient = record.get("patient") or {}
    story: list[Flowable] = [
        TextBlock(labels["checkin_title"].format(modality=treatment.get("modality_title", "")), STYLES["title"])]
    story += heading(labels["checkin_details"], "h2", 3 * cm)
    story.append(kv_table([
        (labels["full_name"], patient.get("full_name"), "bold"),
        (labels["date_of_birth"], patient.get("date_of_birth"), ""),
        (labels["modality"], treatment.get("modality_title"), ""),
        (labels["consent_document"], record.get("consent_document_id"), "bold"),
        (labels["session_number"], record.get("session_number"), ""),
        (labels["language"], language_name(record.get("language", ""), labels), ""),
    ]))
    shown = record["texts"]["shown"]
    story += blocks(shown.get("intro"), STYLES["summary"])
    story += screening_section(record, labels)
    story += _signature(record, signature_png, labels, signature_image)
    story += heading(labels["audit"], "h2", 4 * cm)
    texts, signature, trail = record["texts"], record["signature"], record.get("trail") or {}
    story.append(kv_table([
        (labels["document_id"], record.get("document_id"), "bold"),
        (labels["texts_version"], texts.get("version"), ""),
        (labels["rules_version"], texts.get("rules_version"), ""),
        (labels["texts_sha256"], texts.get("sha256"), "hash"),
        (labels["signature_sha256"], signature.get("image_sha256") or labels["none"], "hash"),
        (labels["draft_started_at"], format_datetime(trail.get("started_at")), ""),
        (labels["started_by"], trail.get("started_by") or labels["none"], ""),
        (labels["device_label"], trail.get("device_label") or labels["none"], ""),
        (labels["ip_address"], trail.get("ip_address") or labels["none"], ""),
        (labels["user_agent"], trail.get("user_agent") or labels["none"], ""),
    ], 4.8 * cm))
    story += heading(labels["verify"], "h2", 2 * cm)
    story += blocks(labels["checkin_verify"], STYLES["body"])
    title = labels["checkin_title"].format(modality=treatment.get("modality_title", ""))
    return _build(story, record, labels, title, record.get("created_at"))


def _signature(record: dict[str, Any], png: bytes | None, labels: dict[str, str],
               image: PILImage.Image | None = None) -> list[Flowable]:
    """The statement and the patient's signature, kept together on one page."""
    signature = record["signature"]
    block: list[Flowable] = [TextBlock(labels["checkin_statement"], STYLES["h3"])]
    block += blocks(record["texts"]["shown"].get("statement"), STYLES["body"])
    block += [Spacer(0, 6), TextBlock(labels["signature"], STYLES["key"])]
    if png:
        block += [Spacer(0, 2), signature_flowable(png, signature.get("image_sha256"), image)]
    else:
        block += [TextBlock(signature.get("typed_name") or signature.get("printed_name"), STYLES["typed_sig"]),
                  TextBlock(labels["typed_signature"], STYLES["small"])]
    block.append(Rule(min(SIGNATURE_MAX_W + 1 * cm, USABLE_W)))
    block.append(kv_table([
        (labels["printed_name"], signature.get("printed_name"), "bold"),
        (labels["signed_at"], f"{format_datetime(signature.get('signed_at'))} ({signature.get('timezone')})", ""),
        (labels["meaning"], signature.get("meaning"), ""),
    ]))
    return heading(labels["consent"], "h2", 5 * cm) + [KeepTogether(block)]


def render_withdrawal_pdf(consent_record: dict[str, Any], withdrawal: dict[str, Any]) -> bytes:
    """The revision that records a withdrawal: who, when, how and why, and the revisions it follows."""
    labels = course_labels(consent_record.get("language"))
    treatment = consent_record.get("treatment") or {}
    patient = consent_record.get("patient") or {}
    title = labels["withdrawal_title"].format(modality=treatment.get("modality_title", ""))
    story: list[Flowable] = [TextBlock(title, STYLES["title"]),
                             TextBlock(labels["withdrawal_notice"].format(revision=withdrawal["revision"]),
                                       STYLES["notice"])]
    story += heading(labels["withdrawal"], "h2", 4 * cm)
    story.append(kv_table([
        (labels["full_name"], patient.get("full_name"), "bold"),
        (labels["date_of_birth"], patient.get("date_of_birth"), ""),
        (labels["modality"], treatment.get("modality_title"), ""),
        (labels["document_id"], consent_record.get("document_id"), "bold"),
        (labels["consent_signed_at"], format_datetime(consent_record.get("created_at")), ""),
        (labels["withdrawn_at"], f"{format_datetime(withdrawal['at'])} ({withdrawal['timezone']})", "bold"),
        (labels["withdrawal_recorded_by"], withdrawal["recorded_by"], ""),
        (labels["withdrawal_how"], withdrawal["how"], ""),
        (labels["sessions_done"], withdrawal["sessions_done"], ""),
    ]))
    story += heading(labels["withdrawal_reason"], "h3", 2 * cm)
    story += blocks(withdrawal.get("reason"), STYLES["body"]) or [
        TextBlock(labels["withdrawal_no_reason"], STYLES["body"])]
    story += heading(labels["audit"], "h2", 3 * cm)
    story.append(kv_table([
        (labels["review_revision"], withdrawal["revision"], "bold"),
        (labels["review_original_sha256"], withdrawal["original_sha256"], "hash"),
        (labels["previous_sha256"].format(revision=withdrawal["revision"] - 1), withdrawal["previous_sha256"], "hash"),
    ], 4.8 * cm))
    story += heading(labels["verify"], "h2", 2 * cm)
    story += blocks(labels["withdrawal_verify"], STYLES["body"])
    return _build(story, consent_record, labels, title, withdrawal["at"])


def _build(story: list[Flowable], record: dict[str, Any], labels: dict[str, str], title: str,
           dated: str | None) -> bytes:
    """Lay the story out on the consent PDF's pages (header, footer, page N of M), dated by the record."""
    register_fonts()
    try:
        created: datetime | None = datetime.fromisoformat(dated or "")
    except ValueError:
        created = None
    buffer = io.BytesIO()
    doc = SimpleDocTemplate(buffer, pagesize=PAGE_SIZE, leftMargin=MARGIN_X, rightMargin=MARGIN_X,
                            topMargin=MARGIN_TOP, bottomMargin=MARGIN_BOTTOM, title=title,
                            author=printable(record.get("clinic_name")), subject=printable(record.get("document_id")),
                            creator="consent-kiosk", invariant=1, lang=record.get("language") or "en",
                            initialFontName=FONT, initialFontSize=9.5)
    decorate = page_decorator(record, labels)

    def make_canvas(*args: Any, **kwargs: Any) -> Canvas:
        return NumberedCanvas(*args, decorate=decorate, timestamp=created, **kwargs)

    doc.build(story, canvasmaker=make_canvas)
    return buffer.getvalue()
