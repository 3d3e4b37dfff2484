"""The one-page aftercare sheet handed to a patient after a treatment session, in the consent's language.

Pure like the consent PDF (no Flask, no database, no clock): a sheet (a dict built by kiosk.course.aftercare) in,
PDF bytes out, on the same fonts, page header (the clinic's name and address), footer, text blocks and
paragraph reflow as the consent and check-in PDFs. It is a handout, not evidence: nobody signs it, so it is
not sealed; it is PDF/A-1b like every PDF the clinic makes (NumberedCanvas), dated by the session's record
so the same session gives the same bytes.

It is always one page: a long advice text or a long area note is set in smaller type, step by step, until
the whole sheet fits.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, SimpleDocTemplate, Spacer, Table

from kiosk.documents.pdf.labels import course_labels
from kiosk.documents.pdf.pages import NumberedCanvas, Rule, document_moment, page_decorator
from kiosk.documents.pdf.sections import KV_STYLE
from kiosk.documents.pdf.style import (FONT, KEY_W, MARGIN_BOTTOM, MARGIN_TOP, MARGIN_X, PAGE_SIZE, STYLES, USABLE_W,
                                       register_fonts)
from kiosk.documents.pdf.text import TextBlock, blocks, format_date, printable

# each try sets the whole sheet this much smaller than the consent PDF's type, until it fits one page
SCALES = (1.0, 0.92, 0.84, 0.76, 0.68, 0.6, 0.52, 0.45)


def _scaled(name: str, scale: float) -> ParagraphStyle:
    """One of the consent PDF's styles, its type, leading and spacing multiplied by `scale`."""
    base = STYLES[name]
    return ParagraphStyle(f"{name}@{scale}", parent=base, fontSize=base.fontSize * scale,
                          leading=base.leading * scale, spaceBefore=base.spaceBefore * scale,
                          spaceAfter=base.spaceAfter * scale)


def _story(sheet: Mapping[str, Any], scale: float) -> list[Flowable]:
    """The sheet's content at one type size: title, the session's details, the advice, when to call, a note."""
    words: Mapping[str, str] = sheet["words"]
    style = {name: _scaled(name, scale) for name in ("title", "h2", "body", "cell", "cell_bold", "key", "small")}
    patient = sheet.get("patient") or {}
    rows = [
        (words["patient"], patient.get("full_name"), "cell_bold"),
        (words["treatment"], f"{sheet.get('treatment_title', '')} \u00b7 "
                             f"{words['session'].format(number=sheet.get('session_number', ''))}", "cell"),
        (words["session_date"], format_date(sheet.get("session_date"), {"lang": sheet.get("language", "en")}),
         "cell_bold"),
        (words["areas"], sheet.get("areas"), "cell"),
    ]
    details = Table([[TextBlock(key, style["key"]), TextBlock(printable(value), style[kind])]
                     for key, value, kind in rows],
                    colWidths=[KEY_W * max(scale, 0.7), USABLE_W - KEY_W * max(scale, 0.7)], hAlign="LEFT",
                    style=KV_STYLE)
    story: list[Flowable] = [TextBlock(words["title"], style["title"]), Spacer(0, 4 * scale), details]
    story.append(TextBlock(words["advice"], style["h2"]))
    story += blocks(sheet.get("advice"), style["body"])
    story.append(TextBlock(words["when_to_call_title"], style["h2"]))
    story += blocks(words["when_to_call"], style["body"])
    story += [Spacer(0, 8 * scale), Rule(USABLE_W), TextBlock(words["handout"], style["small"])]
    return story


def render_aftercare_pdf(sheet: Mapping[str, Any]) -> bytes:
    """The aftercare sheet as one A4 page; the type shrinks only as far as a long text needs."""
    register_fonts()
    words: Mapping[str, str] = sheet["words"]
    language = sheet.get("language") or "en"
    # the page header and footer of every PDF the clinic makes, with the sheet's own reference at the right
    labels = {**course_labels(language), "document": words["reference"]}
    record = {"document_id": sheet.get("document_id"), "clinic_name": sheet.get("clinic_name"),
              "clinic_address": sheet.get("clinic_address"), "patient": sheet.get("patient") or {}}
    decorate = page_decorator(record, labels)
    created = document_moment(sheet.get("created_at"))  # dated by the session's record, never by the clock
    pdf = b""
    for scale in SCALES:
        buffer = io.BytesIO()
        doc = SimpleDocTemplate(buffer, pagesize=PAGE_SIZE, leftMargin=MARGIN_X, rightMargin=MARGIN_X,
                                topMargin=MARGIN_TOP - 0.3 * cm, bottomMargin=MARGIN_BOTTOM, title=words["title"],
                                author=printable(sheet.get("clinic_name")), subject=printable(sheet.get("document_id")),
                                creator="consent-kiosk", invariant=1, lang=language, initialFontName=FONT,
                                initialFontSize=9.5)

        def make_canvas(*args: Any, **kwargs: Any) -> Canvas:
            return NumberedCanvas(*args, decorate=decorate, timestamp=created, **kwargs)

        doc.build(_story(sheet, scale), canvasmaker=make_canvas)
        pdf = buffer.getvalue()
        if doc.page <= 1:
            break
    return pdf
