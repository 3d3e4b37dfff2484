"""The PDF of a treatment course's pre-session check-in, signed by the patient.

Pure like the consent PDF (no Flask, no database, no clock): a stored record in,
PDF bytes out, built from the same styles, text blocks and sections. The service
seals what this renders (kiosk.documents.sealing), like the consent PDF, and it ends
with the same frame (kiosk.documents.pdf.frame) where a doctor's decision is added
later as a sealed revision.
"""

from __future__ import annotations

import io
from typing import Any

from PIL import Image as PILImage
from reportlab.lib.units import cm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, KeepTogether, SimpleDocTemplate, Spacer

from kiosk.documents.paragraphs import paragraphs
from kiosk.documents.pdf.frame import review_area_section
from kiosk.documents.pdf.labels import course_labels
from kiosk.documents.pdf.pages import NumberedCanvas, Rule, document_moment, page_decorator, signature_flowable
from kiosk.documents.pdf.sections import kv_table, language_switches_section, screening_section, verification_section
from kiosk.documents.pdf.style import (FONT, MARGIN_BOTTOM, MARGIN_TOP, MARGIN_X, PAGE_SIZE, SIGNATURE_MAX_W,
                             STYLES, USABLE_W, register_fonts)
from kiosk.documents.pdf.text import (TextBlock, blocks, format_date, format_datetime, heading, language_name, printable,
                                      started_by)

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
        (labels["date_of_birth"], format_date(patient.get("date_of_birth"), labels), ""),
        (labels["modality"], treatment.get("modality_title"), ""),
        (labels["consent_document"], record.get("consent_document_id"), "bold"),
        (labels["session_number"], record.get("session_number"), ""),
        (labels["language"], language_name(record.get("language", ""), labels, alone=True), ""),
    ]))
    shown = record["texts"]["shown"]
    story += blocks(shown.get("intro"), STYLES["summary"])
    story += screening_section(record, labels)
    story += _signature(record, signature_png, labels, signature_image)
    story += review_area_section(labels, "checkin_area_intro")
    story += heading(labels["audit"], "h2", 4 * cm)
    texts, signature, trail = record["texts"], record["signature"], record.get("trail") or {}
    story.append(kv_table([
        (labels["document_id"], record.get("document_id"), "bold"),
        (labels["texts_version"], texts.get("version"), ""),
        (labels["rules_version"], texts.get("rules_version"), ""),
        (labels["texts_sha256"], texts.get("sha256"), "hash"),
        (labels["signature_sha256"], signature.get("image_sha256") or labels["none"], "hash"),
        (labels["draft_started_at"], format_datetime(trail.get("started_at"), labels), ""),
        (labels["started_by"], started_by(trail.get("started_by"), labels) or labels["none"], ""),
        (labels["device_label"], trail.get("device_label") or labels["none"], ""),
        (labels["ip_address"], trail.get("ip_address") or labels["none"], ""),
        (labels["user_agent"], trail.get("user_agent") or labels["none"], ""),
    ], 4.8 * cm))
    story += language_switches_section(trail, labels)
    story += verification_section(record, labels, "checkin_verify")
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
        (labels["signed_at"], f"{format_datetime(signature.get('signed_at'), labels)} ({signature.get('timezone')})", ""),
        (labels["meaning"], "\n".join(paragraphs(signature.get("meaning"))), ""),  # reflowed as on the tablet
    ]))
    return heading(labels["consent"], "h2", 5 * cm) + [KeepTogether(block)]


def _build(story: list[Flowable], record: dict[str, Any], labels: dict[str, str], title: str,
           dated: str | None) -> bytes:
    """Lay the story out on the consent PDF's pages (header, footer, page N of M), dated by the record."""
    register_fonts()
    created = document_moment(dated)
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
