"""Render a signed consent record as the PDF a person reads.

The PDF is built only from the stored ``ConsentRecord`` and the signature PNG,
so that the printed words can never drift from the stored ones. This module is
pure (no Flask, no database, no files written): record in, PDF bytes out.

Design notes:

- Every string from the record is printed as plain text by ``TextBlock`` (a
  small platypus flowable) or by plain table cells, never through reportlab's
  Paragraph markup parser. A name such as ``<b>O'Brien & Sons`` therefore
  prints literally by construction, with nothing to escape or forget to
  escape. It is also what keeps layout within ~1.5x of bare canvas drawing.
- Lines are broken at spaces and, for a word wider than the column (a
  200-character name with no spaces), inside the word: no text leaves the page.
- DejaVu Sans is embedded, so Latin with any accents, Greek and Cyrillic print
  as text. Scripts it lacks (CJK, Arabic, Hebrew, Indic) would print as boxes.
- The same record and PNG give the same PDF bytes (for one version of this
  module, reportlab and the fonts): the PDF's dates come from the record, not
  from the clock.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

from PIL import Image as PILImage
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable, SimpleDocTemplate

from kiosk.documents.pdf.labels import LABELS, labels_for
from kiosk.documents.pdf.pages import NumberedCanvas, document_moment, page_decorator
from kiosk.documents.pdf.frame import render_review_appearance, render_withdrawal_appearance, review_area_section
from kiosk.documents.pdf.sections import (audit_section, comprehension_section, identity_section, people_section,
                                          screening_section, signature_section, texts_section)
from kiosk.documents.pdf.style import FONT, MARGIN_BOTTOM, MARGIN_TOP, MARGIN_X, PAGE_SIZE, register_fonts
from kiosk.documents.pdf.text import format_datetime, printable
from kiosk.documents.record import ConsentRecord

__all__ = ["LABELS", "MARGIN_X", "format_datetime", "register_fonts", "render_consent_pdf",
           "render_review_appearance", "render_withdrawal_appearance"]


# --------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------


def render_consent_pdf(record: ConsentRecord, signature_png: bytes | None,
                       signature_image: PILImage.Image | None = None, *,
                       other_signatures: Mapping[str, bytes | None] | None = None) -> bytes:
    """Render the stored record (and drawn signature) as the PDF a person reads and keeps.

    It ends with a frame reserved for the doctor's review (added later as a signed revision) and the audit page.
    `signature_image` is the PNG already decoded by whoever checked it, so it is not decoded twice;
    `other_signatures` the drawn PNGs of the representative, interpreter and witness, by role.
    """
    register_fonts()
    labels = labels_for(record.get("language"))
    story: list[Flowable] = []
    story += identity_section(record, labels)
    story += texts_section(record, labels)
    story += comprehension_section(record, labels)
    story += screening_section(record, labels)
    story += signature_section(record, signature_png, labels, signature_image)
    story += people_section(record, labels, other_signatures or {})
    story += review_area_section(labels)
    story += audit_section(record, labels)

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=PAGE_SIZE,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=labels["title"].format(modality=record["treatment"].get("modality_title", "")),
        author=printable(record.get("clinic_name")),
        subject=printable(record.get("document_id")),
        creator="consent-kiosk",
        invariant=1,
        lang=record.get("language") or "en",
        initialFontName=FONT,  # so no base-14 (non-embedded) font is referenced at all
        initialFontSize=9.5,
    )
    decorate = page_decorator(record, labels)
    created = document_moment(record.get("created_at"))  # dated by the record, never by the clock

    def make_canvas(*args: Any, **kwargs: Any) -> Canvas:
        return NumberedCanvas(*args, decorate=decorate, timestamp=created, **kwargs)

    doc.build(story, canvasmaker=make_canvas)
    return buffer.getvalue()
