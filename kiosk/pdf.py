"""Render a signed consent record as the PDF a person reads.

The PDF is built only from the stored ``ConsentRecord`` and the signature PNG,
so that the printed words can never drift from the stored ones. This module is
pure (no Flask, no database, no files written): record in, PDF bytes out.

Design notes:

- Every string from the record is printed as plain text by ``_TextBlock`` (a
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

import hashlib
import io
import re
import threading
from datetime import datetime
from pathlib import Path
from typing import Any, Callable, Iterable

from PIL import Image as PILImage
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    KeepTogether,
    PageBreak,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from kiosk.record import SEVERITY_ORDER, ConsentRecord, Review, describe_answer

__all__ = ["LABELS", "register_fonts", "render_consent_pdf", "format_datetime"]

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
        "language_names": (
            "en=English;es=Espa\u00f1ol;ca=Catal\u00e0;fr=Fran\u00e7ais;de=Deutsch;"
            "it=Italiano;pt=Portugu\u00eas"
        ),
    },
}

_labels_cache: dict[str, dict[str, str]] = {}


def _labels(language: str | None) -> dict[str, str]:
    """Merge a language's labels over English so a partial translation still prints."""
    key = (language or "en").lower()
    merged = _labels_cache.get(key)
    if merged is None:
        merged = dict(LABELS["en"])
        merged.update(LABELS.get(key) or LABELS.get(key.split("-")[0]) or {})
        _labels_cache[key] = merged
    return merged


# --------------------------------------------------------------------------
# Fonts: DejaVu Sans covers Latin (accents, ñ, ł, đ), Greek and Cyrillic.
# Parsing a TTF is the slowest part of a first render, so it happens once a process.
# --------------------------------------------------------------------------

FONT_DIR = Path(__file__).resolve().parent / "fonts"
FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"
FONT_OBLIQUE = "DejaVuSans-Oblique"
_FONT_FILES = {
    FONT: "DejaVuSans.ttf",
    FONT_BOLD: "DejaVuSans-Bold.ttf",
    FONT_OBLIQUE: "DejaVuSans-Oblique.ttf",
}
_fonts_lock = threading.Lock()
_fonts_ready = False


def register_fonts() -> None:
    """Register the embedded fonts once per process, so renders do not re-parse TTFs."""
    global _fonts_ready
    if _fonts_ready:
        return
    with _fonts_lock:
        if _fonts_ready:
            return
        registered = set(pdfmetrics.getRegisteredFontNames())
        for name, filename in _FONT_FILES.items():
            if name not in registered:
                pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / filename)))
        pdfmetrics.registerFontFamily(
            FONT, normal=FONT, bold=FONT_BOLD, italic=FONT_OBLIQUE, boldItalic=FONT_BOLD
        )
        _fonts_ready = True


# --------------------------------------------------------------------------
# Page geometry, colours and text styles
# --------------------------------------------------------------------------

PAGE_SIZE = A4
MARGIN_X = 2.0 * cm
MARGIN_TOP = 2.3 * cm
MARGIN_BOTTOM = 2.0 * cm
USABLE_W = PAGE_SIZE[0] - 2 * MARGIN_X
SIGNATURE_MAX_W = 8.0 * cm
SIGNATURE_MAX_H = 3.5 * cm
MAX_SIGNATURE_PIXELS = 20_000_000  # far above any tablet canvas; stops decompression bombs

KEY_W = 4.4 * cm
CELL_PAD = 6.0
KEY_SIZE, KEY_LEADING = 8.5, 12.0
VALUE_SIZE, VALUE_LEADING = 9.0, 12.0

INK = colors.HexColor("#1A1A1A")
MUTED = colors.HexColor("#5F6368")
RULE = colors.HexColor("#B8BEC6")
HEADING = colors.HexColor("#1D3557")
GREEN = colors.HexColor("#1B5E20")
SEVERITY_COLOURS: dict[str, tuple[colors.Color, colors.Color]] = {  # (text/border, background)
    "stop": (colors.HexColor("#B3261E"), colors.HexColor("#FCE8E6")),
    "review": (colors.HexColor("#8A5300"), colors.HexColor("#FFF3D6")),
    "info": (colors.HexColor("#1F5FAD"), colors.HexColor("#E8F0FB")),
}


def _style(name: str, **kw: Any) -> ParagraphStyle:
    """Build a text style on the embedded font (used by _TextBlock, not by Paragraph)."""
    base: dict[str, Any] = dict(fontName=FONT, fontSize=9.5, leading=13, textColor=INK, spaceAfter=0)
    base.update(kw)
    return ParagraphStyle(name, **base)


STYLES: dict[str, ParagraphStyle] = {
    "title": _style("title", fontName=FONT_BOLD, fontSize=16, leading=20, spaceAfter=4),
    "h2": _style("h2", fontName=FONT_BOLD, fontSize=12.5, leading=16, spaceBefore=12, spaceAfter=5,
                 textColor=HEADING),
    "h3": _style("h3", fontName=FONT_BOLD, fontSize=10, leading=13.5, spaceBefore=7, spaceAfter=2),
    "body": _style("body", spaceAfter=4),
    "summary": _style("summary", fontName=FONT_OBLIQUE, spaceAfter=4),
    "cell": _style("cell", fontSize=VALUE_SIZE, leading=VALUE_LEADING),
    "cell_bold": _style("cell_bold", fontName=FONT_BOLD, fontSize=VALUE_SIZE, leading=VALUE_LEADING),
    "detail": _style("detail", fontName=FONT_OBLIQUE, fontSize=VALUE_SIZE, leading=VALUE_LEADING),
    "key": _style("key", fontSize=KEY_SIZE, leading=KEY_LEADING, textColor=MUTED),
    "small": _style("small", fontSize=8, leading=10.5, textColor=MUTED),
    "ack": _style("ack", fontSize=8.5, leading=11.5, textColor=GREEN, spaceAfter=3),
    "nack": _style("nack", fontName=FONT_BOLD, fontSize=9, leading=12,
                   textColor=SEVERITY_COLOURS["stop"][0], spaceAfter=3),
    "notice": _style("notice", fontName=FONT_BOLD, fontSize=9.5, leading=13,
                     textColor=SEVERITY_COLOURS["stop"][0], spaceBefore=2, spaceAfter=2),
    "typed_sig": _style("typed_sig", fontName=FONT_OBLIQUE, fontSize=20, leading=25),
    "revision": _style("revision", fontName=FONT_BOLD, fontSize=9.5, leading=13, textColor=HEADING,
                       spaceBefore=2, spaceAfter=2),
}
for _severity, (_ink, _) in SEVERITY_COLOURS.items():
    STYLES[f"marker_{_severity}"] = _style(f"marker_{_severity}", fontName=FONT_BOLD, fontSize=VALUE_SIZE,
                                           leading=VALUE_LEADING, textColor=_ink)
    STYLES[f"reason_{_severity}"] = _style(f"reason_{_severity}", fontSize=VALUE_SIZE,
                                           leading=VALUE_LEADING, textColor=_ink)


# --------------------------------------------------------------------------
# Plain text: cleaning, line breaking and the flowable that draws it
# --------------------------------------------------------------------------

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_BLANK_LINE = re.compile(r"\n[ \t]*\n+")
_LIST_PREFIX = re.compile(r"^\s*(?:[\u2022\u2023\u25e6\u2043\u2219*\-\u2013]|\d{1,2}[.)])\s+")


def _clean(value: object) -> str:
    """Make any record value printable: normalise newlines, show control characters as \ufffd."""
    text = "" if value is None else str(value)
    return _CONTROL_CHARS.sub("\ufffd", text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " "))


def _break_long(line: str, font: str, size: float, width: float, out: list[str]) -> None:
    """Append ``line``, cut inside words where one word alone is wider than ``width``."""
    string_width = pdfmetrics.stringWidth
    while len(line) > 1 and string_width(line, font, size) > width:
        lo, hi = 1, len(line) - 1  # longest prefix that fits (at least one character)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if string_width(line[:mid], font, size) <= width:
                lo = mid
            else:
                hi = mid - 1
        out.append(line[:lo])
        line = line[lo:]
    out.append(line)


def _wrap_lines(value: object, font: str, size: float, width: float) -> list[str]:
    """Break plain text into lines that fit ``width``; list items get a hanging indent."""
    lines: list[str] = []
    string_width = pdfmetrics.stringWidth
    for raw in _clean(value).split("\n"):
        raw = raw.rstrip()
        if string_width(raw, font, size) <= width:  # most lines and cells: one measurement
            lines.append(raw)
            continue
        prefix_match = _LIST_PREFIX.match(raw)
        indent, indent_w = "", 0.0
        if prefix_match and string_width(prefix_match.group(0), font, size) < width / 3:
            spaces = max(1, round(string_width(prefix_match.group(0), font, size)
                                  / string_width(" ", font, size)))
            indent = " " * spaces
            indent_w = string_width(indent, font, size)
        pieces: list[str] = []
        for line in simpleSplit(raw, font, size, width - indent_w) or [""]:
            if " " in line:  # simpleSplit overflows only with a lone over-long word
                pieces.append(line)
            else:
                _break_long(line, font, size, width - indent_w, pieces)
        # The first piece holds the bullet; only continuation lines are indented.
        lines += ([pieces[0]] + [indent + p for p in pieces[1:]]) if pieces else [""]
    return lines


def _wrap_plain(value: object, font: str, size: float, width: float) -> str:
    """Pre-break a table cell's text, since plain table cells do not wrap by themselves."""
    return "\n".join(_wrap_lines(value, font, size, width))


class _TextBlock(Flowable):
    """Plain text drawn line by line, so record text is never read as markup.

    Cheaper than a Paragraph (no XML parse, one line-break pass per width) and
    prints any character literally. It splits across pages between lines and
    never leaves a single line alone at the foot or top of a page.
    """

    def __init__(self, text: object, style: ParagraphStyle, lines: list[str] | None = None,
                 space_before: float | None = None, space_after: float | None = None) -> None:
        super().__init__()
        self.text = text
        self.style = style
        self.spaceBefore = style.spaceBefore if space_before is None else space_before
        self.spaceAfter = style.spaceAfter if space_after is None else space_after
        self._lines = lines
        self._fixed = lines is not None  # a split part keeps the lines it was given
        self._wrapped_width: float | None = None
        self.width = 0.0
        self.height = 0.0

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        style = self.style
        if not self._fixed and self._wrapped_width != avail_width:
            self._lines = _wrap_lines(self.text, style.fontName, style.fontSize,
                                      avail_width - style.leftIndent)
            self._wrapped_width = avail_width
        self.width = avail_width
        self.height = len(self._lines or ()) * style.leading
        return self.width, self.height

    def split(self, avail_width: float, avail_height: float) -> list[Flowable]:
        self.wrap(avail_width, avail_height)
        lines = self._lines or []
        fit = min(int((avail_height + 1e-6) // self.style.leading), len(lines))
        if len(lines) - fit == 1:
            fit -= 1  # do not carry a single last line over
        if fit < 2:
            return []  # nor leave a single first line behind
        return [
            _TextBlock(self.text, self.style, lines[:fit], self.spaceBefore, 0),
            _TextBlock(self.text, self.style, lines[fit:], 0, self.spaceAfter),
        ]

    def draw(self) -> None:
        style = self.style
        text = self.canv.beginText(style.leftIndent, self.height - style.fontSize)
        text.setFont(style.fontName, style.fontSize, style.leading)
        text.setFillColor(style.textColor)
        for line in self._lines or ():
            text.textLine(line)
        self.canv.drawText(text)


def _blocks(text: str | None, style: ParagraphStyle) -> list[Flowable]:
    """Split a verbatim text at blank lines into blocks that print it literally."""
    if not text:
        return []
    blocks = _BLANK_LINE.split(_clean(text).strip("\n"))
    return [_TextBlock(block, style) for block in blocks if block.strip()]


def _heading(text: str, style: str, room: float) -> list[Flowable]:
    """A heading that moves to the next page unless ``room`` points of its content fit too."""
    return [CondPageBreak(room), _TextBlock(text, STYLES[style])]


def format_datetime(value: str | None) -> str:
    """Show an ISO time readably but keep its UTC offset, which the evidence needs."""
    if not value:
        return ""
    try:
        moment = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        return str(value)
    text = moment.strftime("%Y-%m-%d %H:%M:%S")
    offset = moment.utcoffset()
    if offset is not None:
        minutes = int(offset.total_seconds() // 60)
        sign = "+" if minutes >= 0 else "-"
        minutes = abs(minutes)
        text += f" UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"
    return text


def _language_name(code: str, labels: dict[str, str]) -> str:
    """Name the consent's language next to its code, for a reader who does not know ISO codes."""
    names = dict(pair.split("=", 1) for pair in labels["language_names"].split(";") if "=" in pair)
    name = names.get((code or "").lower())
    return f"{name} ({code})" if name else (code or "")


def _fit(text: str, font: str, size: float, width: float) -> str:
    """Shorten a header/footer string with an ellipsis so it never leaves the page."""
    text = _clean(text).replace("\n", " ")
    if pdfmetrics.stringWidth(text, font, size) <= width:
        return text
    ellipsis = "\u2026"
    lo, hi = 0, len(text)
    while lo < hi:  # longest prefix that fits with the ellipsis
        mid = (lo + hi + 1) // 2
        if pdfmetrics.stringWidth(text[:mid] + ellipsis, font, size) <= width:
            lo = mid
        else:
            hi = mid - 1
    return text[:lo] + ellipsis


# --------------------------------------------------------------------------
# Page furniture: header and footer drawn after layout, so "Page N of M" is known.
# --------------------------------------------------------------------------


class _NumberedCanvas(Canvas):
    """Hold each finished page until the end, then stamp header/footer with the page total."""

    def __init__(self, *args: Any, decorate: Callable[[Canvas, int, int], None],
                 timestamp: datetime | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._saved_pages: list[dict[str, Any]] = []
        self._decorate = decorate
        if timestamp is not None:
            _pin_timestamp(self, timestamp)

    def showPage(self) -> None:  # noqa: N802 (reportlab's name)
        self._saved_pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._saved_pages)
        for state in self._saved_pages:
            self.__dict__.update(state)
            self._decorate(self, self._pageNumber, total)
            Canvas.showPage(self)
        Canvas.save(self)


def _pin_timestamp(canvas: Canvas, moment: datetime) -> None:
    """Date the PDF by the record, not the clock, so re-rendering gives the same bytes."""
    stamp = getattr(getattr(canvas, "_doc", None), "_timeStamp", None)
    offset = moment.utcoffset()
    if stamp is None or offset is None:
        return
    offset_min = int(offset.total_seconds() // 60)
    stamp.t = moment.timestamp()
    stamp.lt = moment.timetuple()
    stamp.YMDhms = tuple(stamp.lt)[:6]
    stamp.dhh = int(offset_min / 60)
    stamp.dmm = abs(offset_min) % 60
    stamp.tzname = moment.tzname() or "UTC"


def _page_decorator(record: ConsentRecord, labels: dict[str, str]) -> Callable[[Canvas, int, int], None]:
    """Make the function that draws clinic, document id, patient and page N of M on a page."""
    width, height = PAGE_SIZE
    left, right = MARGIN_X, width - MARGIN_X
    doc_text = _fit(labels["document"].format(id=record.get("document_id", "")), FONT, 8, USABLE_W / 2)
    doc_w = pdfmetrics.stringWidth(doc_text, FONT, 8)
    clinic_text = _fit(str(record.get("clinic_name") or ""), FONT_BOLD, 9, USABLE_W - doc_w - 12)
    patient = record.get("patient") or {}
    footer_text = labels["footer_patient"].format(
        name=patient.get("full_name", ""), dob=patient.get("date_of_birth", ""))
    # Room for the widest "Page N of M" this document can have keeps the footer stable.
    page_room = pdfmetrics.stringWidth(labels["page_of"].format(page=999, pages=999), FONT, 8)
    footer_text = _fit(footer_text, FONT, 8, USABLE_W - page_room - 12)

    def decorate(canvas: Canvas, page: int, pages: int) -> None:
        canvas.saveState()
        top = height - 1.35 * cm
        canvas.setFillColor(INK)
        canvas.setFont(FONT_BOLD, 9)
        canvas.drawString(left, top, clinic_text)
        canvas.setFont(FONT, 8)
        canvas.setFillColor(MUTED)
        canvas.drawRightString(right, top, doc_text)
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.6)
        canvas.line(left, top - 5, right, top - 5)
        bottom = 1.15 * cm
        canvas.line(left, bottom + 10, right, bottom + 10)
        canvas.drawRightString(right, bottom, labels["page_of"].format(page=page, pages=pages))
        canvas.drawString(left, bottom, footer_text)
        canvas.restoreState()

    return decorate


# --------------------------------------------------------------------------
# Signature image
# --------------------------------------------------------------------------


class _SignatureImage(Flowable):
    """Draw an already-decoded image at a fixed size, so the PNG is decoded only once."""

    def __init__(self, reader: ImageReader, width: float, height: float) -> None:
        super().__init__()
        self._reader = reader
        self.width = width
        self.height = height
        self.hAlign = "LEFT"

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        self.canv.drawImage(self._reader, 0, 0, self.width, self.height, mask="auto")


class _Rule(Flowable):
    """The line a signature sits on."""

    def __init__(self, width: float) -> None:
        super().__init__()
        self.width, self.height = width, 6

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        self.canv.setStrokeColor(INK)
        self.canv.setLineWidth(0.8)
        self.canv.line(0, self.height - 1, self.width, self.height - 1)


def _load_signature(png: bytes, expected_sha256: str | None) -> tuple[ImageReader, int, int]:
    """Decode and check the signature PNG, refusing one that is not the record's image."""
    if expected_sha256:
        actual = hashlib.sha256(png).hexdigest()
        if actual.lower() != expected_sha256.lower():
            raise ValueError(
                f"signature PNG does not match the record: sha256 {actual} != {expected_sha256}")
    try:
        image = PILImage.open(io.BytesIO(png))
        if image.format != "PNG":
            raise ValueError(f"signature image is {image.format}, not PNG")
        w, h = image.size
        if w <= 0 or h <= 0 or w * h > MAX_SIGNATURE_PIXELS:
            raise ValueError(f"signature image has an unreasonable size {w}x{h}")
        image.load()
    except ValueError:
        raise
    except Exception as exc:  # PIL raises many kinds of error for a broken file
        raise ValueError(f"signature PNG cannot be read: {exc}") from exc
    decoded: PILImage.Image = image
    if decoded.mode not in ("RGB", "RGBA", "L"):  # palette, LA, 16-bit ...: normalise once
        decoded = decoded.convert("RGBA")
    return ImageReader(decoded), w, h


# --------------------------------------------------------------------------
# The story, section by section
# --------------------------------------------------------------------------

_KV_STYLE = TableStyle([
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("FONTNAME", (0, 0), (-1, -1), FONT),
    ("FONTSIZE", (0, 0), (0, -1), KEY_SIZE),
    ("LEADING", (0, 0), (0, -1), KEY_LEADING),
    ("TEXTCOLOR", (0, 0), (0, -1), MUTED),
    ("FONTSIZE", (1, 0), (1, -1), VALUE_SIZE),
    ("LEADING", (1, 0), (1, -1), VALUE_LEADING),
    ("TEXTCOLOR", (1, 0), (1, -1), INK),
    ("LEFTPADDING", (0, 0), (-1, -1), 0),
    ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PAD),
    ("TOPPADDING", (0, 0), (-1, -1), 1.5),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 3.5),
    ("LINEBELOW", (0, 0), (-1, -1), 0.3, RULE),
])


HASH_SIZE = 8.0  # a 64-digit SHA-256 fits one line of a value cell at this size


def _kv_table(rows: Iterable[tuple[str, object, str]], key_width: float = KEY_W) -> Table:
    """Lay out label/value pairs as plain, pre-wrapped text cells (printed literally).

    Each row's third item is "" (normal), "bold" (names, ids) or "hash" (fingerprints).
    """
    value_width = USABLE_W - key_width
    data: list[list[str]] = []
    extra: list[tuple[Any, ...]] = []
    for row, (key, value, kind) in enumerate(rows):
        font = FONT_BOLD if kind == "bold" else FONT
        size = HASH_SIZE if kind == "hash" else VALUE_SIZE
        data.append([
            _wrap_plain(key, FONT, KEY_SIZE, key_width - CELL_PAD),
            _wrap_plain(value, font, size, value_width - CELL_PAD),
        ])
        if font != FONT:
            extra.append(("FONTNAME", (1, row), (1, row), font))
        if size != VALUE_SIZE:
            extra.append(("FONTSIZE", (1, row), (1, row), size))
    table = Table(data, colWidths=[key_width, value_width], hAlign="LEFT", style=_KV_STYLE)
    if extra:
        table.setStyle(TableStyle(extra))
    return table


def _severity_counts(record: ConsentRecord) -> str:
    """Summarise flags as e.g. "1 STOP, 1 REVIEW" for the title block."""
    counts = {s: 0 for s in SEVERITY_ORDER}
    for flag in record.get("flags") or []:
        if flag.get("severity") in counts:
            counts[flag["severity"]] += 1
    return ", ".join(f"{n} {s.upper()}" for s, n in counts.items() if n)


def _identity(record: ConsentRecord, labels: dict[str, str]) -> list[Flowable]:
    """Title, patient identity, treatment and language: who agreed to what."""
    patient = record["patient"]
    treatment = record["treatment"]
    story: list[Flowable] = [
        _TextBlock(labels["title"].format(modality=treatment.get("modality_title", "")), STYLES["title"]),
    ]
    counts = _severity_counts(record)
    if counts:
        story.append(_TextBlock(labels["flags_notice"].format(counts=counts), STYLES["notice"]))
    story += _heading(labels["patient"], "h2", 3 * cm)
    rows: list[tuple[str, object, str]] = [
        (labels["full_name"], patient.get("full_name"), "bold"),
        (labels["date_of_birth"], patient.get("date_of_birth"), ""),
    ]
    rows += [(labels[key], patient.get(key), "")
             for key in ("phone", "email", "identity_check") if patient.get(key)]
    story.append(_kv_table(rows))

    story += _heading(labels["treatment"], "h2", 3 * cm)
    areas = ", ".join(str(a.get("label", "")) for a in treatment.get("areas") or [])
    rows = [
        (labels["modality"], treatment.get("modality_title"), "bold"),
        (labels["areas"], areas or labels["none"], ""),
    ]
    if treatment.get("area_other"):
        rows.append((labels["area_other"], treatment.get("area_other"), ""))
    rows.append((labels["planned_sessions"], treatment.get("planned_sessions"), ""))
    rows.append((labels["language"], _language_name(record.get("language", ""), labels), ""))
    story.append(_kv_table(rows))
    return story


def _texts(record: ConsentRecord, labels: dict[str, str]) -> list[Flowable]:
    """The words the patient was shown, verbatim, with each risk's acknowledgement."""
    shown = record["texts"]["shown"]
    story: list[Flowable] = _heading(labels["information"], "h2", 4 * cm)
    story += _blocks(shown.get("summary"), STYLES["summary"])
    for section in shown.get("sections") or []:
        story += _heading(str(section.get("title") or ""), "h3", 2.2 * cm)
        story += _blocks(section.get("text"), STYLES["body"])

    story += _heading(labels["risks"], "h2", 4.5 * cm)
    story.append(_TextBlock(labels["risks_intro"], STYLES["small"]))
    acks = {ack.get("id"): ack for ack in record.get("risks") or []}
    shown_ids = set()
    for number, risk in enumerate(shown.get("risks") or [], start=1):
        shown_ids.add(risk.get("id"))
        # Room for the title, two lines and the acknowledgement, so they stay together.
        story += _heading(f"{number}. {risk.get('title') or ''}", "h3", 3.0 * cm)
        story += _blocks(risk.get("text"), STYLES["body"])
        ack = acks.get(risk.get("id"))
        if ack:
            line = labels["acknowledged"].format(
                initials=ack.get("initials", ""), time=format_datetime(ack.get("acknowledged_at")))
            if isinstance(ack.get("seconds"), (int, float)):
                line += labels["read_for"].format(seconds=ack["seconds"])
            story.append(_TextBlock(line, STYLES["ack"]))
        else:
            story.append(_TextBlock(labels["not_acknowledged"], STYLES["nack"]))
    extra = [str(i) for i in acks if i not in shown_ids]
    if extra:
        story.append(_TextBlock(labels["unknown_acks"].format(ids=", ".join(extra)), STYLES["nack"]))
    return story


def _flag_order(flag: dict[str, Any]) -> int:
    """Sort flags stop, review, info so the worst is read first."""
    severity = flag.get("severity")
    return SEVERITY_ORDER.index(severity) if severity in SEVERITY_ORDER else len(SEVERITY_ORDER)


def _severity_key(severity: object) -> str:
    """Map an unknown severity to "info" styling rather than failing the whole PDF."""
    return severity if severity in SEVERITY_COLOURS else "info"  # type: ignore[return-value]


def _marker_text(severity: object, labels: dict[str, str]) -> str:
    """The bold marker a doctor scans for, e.g. "[STOP — doctor must review]"."""
    return f"[{labels.get(f'severity_{severity}', str(severity).upper())}]"


def _flags_box(flags: list[dict[str, Any]], highest: object, text_by_question: dict[Any, Any],
               labels: dict[str, str]) -> Table:
    """A coloured box listing every flag, so the doctor sees them before the answers."""
    border, background = SEVERITY_COLOURS[_severity_key(highest)]
    widest = max(pdfmetrics.stringWidth(_marker_text(f.get("severity"), labels), FONT_BOLD, VALUE_SIZE)
                 for f in flags)
    marker_w = min(widest + 2 * 7 + 4, USABLE_W * 0.4)  # text, cell padding, a little air
    title = labels["flags_box_title"].format(n=len(flags), highest=str(highest).upper())
    rows: list[list[Any]] = [[_TextBlock(title, STYLES["cell_bold"]), ""]]
    for flag in flags:
        key = _severity_key(flag.get("severity"))
        question = text_by_question.get(flag.get("question")) or labels["flag_question_unknown"].format(
            id=flag.get("question"))
        rows.append([
            _TextBlock(_marker_text(flag.get("severity"), labels), STYLES[f"marker_{key}"]),
            [_TextBlock(question, STYLES["cell"]), _TextBlock(flag.get("reason"), STYLES[f"reason_{key}"])],
        ])
    box = Table(rows, colWidths=[marker_w, USABLE_W - marker_w], hAlign="LEFT")
    box.setStyle(TableStyle([
        ("SPAN", (0, 0), (-1, 0)),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("BOX", (0, 0), (-1, -1), 1.2, border),
        ("BACKGROUND", (0, 0), (-1, -1), background),
        ("LINEBELOW", (0, 0), (-1, 0), 0.5, border),
        ("LEFTPADDING", (0, 0), (-1, -1), 7),
        ("RIGHTPADDING", (0, 0), (-1, -1), 7),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
    ]))
    return box


def _cells_height(row: list[Any], widths: list[float], pad: float) -> float:
    """Height of a table row's tallest cell, measured as the table will wrap it."""
    tallest = 0.0
    for cell, width in zip(row, widths):
        if isinstance(cell, list):
            tallest = max(tallest, sum(block.wrap(width - pad, 1e6)[1] for block in cell))
    return tallest


def _screening(record: ConsentRecord, labels: dict[str, str]) -> list[Flowable]:
    """The answers as given, flags summarised first and marked on each answer."""
    story: list[Flowable] = _heading(labels["screening"], "h2", 5 * cm)
    answers: list[dict[str, Any]] = list(record.get("answers") or [])  # type: ignore[arg-type]
    questions = record["texts"]["shown"].get("questions") or []
    flags: list[dict[str, Any]] = sorted(record.get("flags") or [], key=_flag_order)  # type: ignore[arg-type]
    text_by_question: dict[Any, Any] = {a.get("question"): a.get("text") for a in answers}
    for q in questions:
        text_by_question.setdefault(q.get("id"), q.get("text"))

    if flags:
        highest = record.get("highest_severity") or flags[0].get("severity")
        story += [_flags_box(flags, highest, text_by_question, labels), Spacer(0, 8)]
    else:
        story.append(_TextBlock(labels["no_flags"], STYLES["body"]))

    flags_by_question: dict[Any, list[dict[str, Any]]] = {}
    for flag in flags:
        flags_by_question.setdefault(flag.get("question"), []).append(flag)
    answered = {a.get("question") for a in answers}
    rows = list(answers)
    for q in questions:
        if q.get("id") not in answered:  # shown but not answered: say so, do not hide it
            rows.append({"question": q.get("id"), "text": q.get("text"), "type": q.get("type"),
                         "value": None, "detail": None, "answered_at": None, "_missing": True})

    number_w, answer_w = 0.8 * cm, 4.4 * cm
    data: list[list[Any]] = [[labels["col_no"], labels["col_question"], labels["col_answer"]]]
    commands: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTSIZE", (0, 0), (-1, -1), VALUE_SIZE),
        ("LEADING", (0, 0), (-1, -1), VALUE_LEADING),
        ("FONTSIZE", (0, 0), (-1, 0), KEY_SIZE),
        ("TEXTCOLOR", (0, 0), (-1, 0), MUTED),
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
        ("LINEBELOW", (0, 0), (-1, -1), 0.3, RULE),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, MUTED),
    ]
    for number, answer in enumerate(rows, start=1):
        cell: list[Flowable] = [_TextBlock(answer.get("text"), STYLES["cell"])]
        if answer.get("detail"):
            cell.append(_TextBlock(labels["detail"].format(detail=_clean(answer.get("detail"))),
                                   STYLES["detail"]))
        row_flags = flags_by_question.get(answer.get("question"), [])
        for flag in row_flags:
            key = _severity_key(flag.get("severity"))
            cell.append(_TextBlock(_marker_text(flag.get("severity"), labels), STYLES[f"marker_{key}"]))
            cell.append(_TextBlock(flag.get("reason"), STYLES[f"reason_{key}"]))
        value = labels["not_answered"] if answer.get("_missing") else describe_answer(answer, labels)
        answer_cell: list[Flowable] = [_TextBlock(value, STYLES["cell_bold"])]
        if answer.get("answered_at"):
            answer_cell.append(_TextBlock(
                labels["answered_at"].format(time=format_datetime(answer["answered_at"])), STYLES["small"]))
        data.append([str(number), cell, answer_cell])
        if row_flags:
            border, background = SEVERITY_COLOURS[_severity_key(row_flags[0].get("severity"))]
            commands += [("BACKGROUND", (0, number), (-1, number), background),
                         ("LINEBEFORE", (0, number), (0, number), 3, border)]
    col_widths = [number_w, USABLE_W - number_w - answer_w, answer_w]
    # Rows normally move whole to the next page (reportlab loses a split row's padding).
    # Only a row taller than a page (a very long free-text detail) must split inside itself.
    tallest = max((_cells_height(row, col_widths, pad=8) + 7 for row in data[1:]), default=0.0)
    frame_h = PAGE_SIZE[1] - MARGIN_TOP - MARGIN_BOTTOM - 12
    split_in_row = tallest > 0.8 * frame_h
    table = Table(data, colWidths=col_widths, hAlign="LEFT", splitInRow=int(split_in_row),
                  repeatRows=0 if split_in_row else 1)  # with splitInRow a repeat shows up mid-page
    table.setStyle(TableStyle(commands))
    story.append(table)
    return story


def _signature(record: ConsentRecord, signature_png: bytes | None,
               labels: dict[str, str]) -> list[Flowable]:
    """E-sign consent first, then statement and signature kept together on one page."""
    signature = record["signature"]
    shown = record["texts"]["shown"]
    esign = record.get("esign_consent") or {}
    story: list[Flowable] = _heading(labels["consent"], "h2", 5 * cm)
    story += _heading(labels["esign"], "h3", 3 * cm)
    story += _blocks(esign.get("statement") or shown.get("esign_statement"), STYLES["body"])
    story.append(_TextBlock(labels["agreed_at"].format(time=format_datetime(esign.get("agreed_at"))),
                            STYLES["ack"]))

    block: list[Flowable] = [_TextBlock(labels["consent_statement"], STYLES["h3"])]
    block += _blocks(record.get("consent_statement") or shown.get("consent_statement"), STYLES["body"])
    block += [Spacer(0, 6), _TextBlock(labels["signature"], STYLES["key"])]
    if signature.get("method") == "typed":
        block.append(_TextBlock(signature.get("typed_name") or signature.get("printed_name"),
                                STYLES["typed_sig"]))
        block.append(_TextBlock(labels["typed_signature"], STYLES["small"]))
    elif signature_png:
        reader, w, h = _load_signature(signature_png, signature.get("image_sha256"))
        scale = min(SIGNATURE_MAX_W / w, SIGNATURE_MAX_H / h)
        block += [Spacer(0, 2), _SignatureImage(reader, w * scale, h * scale)]
    elif signature.get("image_sha256"):
        raise ValueError("the record has a drawn signature (image_sha256 set) but no PNG was given")
    else:  # e.g. a layout preview: say so on the page rather than leave a silent gap
        block.append(_TextBlock(labels["missing_signature"], STYLES["nack"]))
    block.append(_Rule(min(SIGNATURE_MAX_W + 1 * cm, USABLE_W)))
    when = format_datetime(signature.get("signed_at"))
    if signature.get("timezone"):
        when = f"{when} ({signature.get('timezone')})"
    block.append(_kv_table([
        (labels["printed_name"], signature.get("printed_name"), "bold"),
        (labels["signed_at"], when, ""),
        (labels["meaning"], signature.get("meaning"), ""),
    ]))
    story.append(KeepTogether(block))
    return story


_STEPS_STYLE = TableStyle([
    ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ("FONTNAME", (0, 0), (-1, -1), FONT),
    ("FONTSIZE", (0, 0), (-1, -1), VALUE_SIZE),
    ("LEADING", (0, 0), (-1, -1), VALUE_LEADING),
    ("FONTSIZE", (0, 0), (-1, 0), KEY_SIZE),
    ("TEXTCOLOR", (0, 0), (-1, 0), MUTED),
    ("ALIGN", (3, 0), (3, -1), "RIGHT"),
    ("LEFTPADDING", (0, 0), (-1, -1), 0),
    ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PAD),
    ("TOPPADDING", (0, 0), (-1, -1), 1.5),
    ("BOTTOMPADDING", (0, 0), (-1, -1), 3.5),
    ("LINEBELOW", (0, 0), (-1, -1), 0.3, RULE),
    ("LINEBELOW", (0, 0), (-1, 0), 0.8, MUTED),
])


def _decision_label(review: Review, labels: dict[str, str]) -> str:
    """The decision in words; an unknown value prints as itself rather than failing the PDF."""
    return labels.get(f"decision_{review.get('decision')}", str(review.get("decision")))


def _review_when(review: Review) -> str:
    """Date and time with offset, and the IANA zone name when known."""
    when = format_datetime(review.get("decided_at"))
    return f"{when} ({review.get('timezone')})" if review.get("timezone") else when


def _review(review: Review, labels: dict[str, str]) -> list[Flowable]:
    """The doctor's decision, note and signature, after the patient's signature and before the audit page."""
    story: list[Flowable] = _heading(labels["review"], "h2", 6 * cm)
    story.append(_kv_table([
        (labels["review_doctor"], review.get("doctor_name"), "bold"),
        (labels["review_decision"], _decision_label(review, labels), "bold"),
        (labels["review_decided_at"], _review_when(review), ""),
    ]))
    story += _heading(labels["review_note"], "h3", 2 * cm)
    # a note may be long: printed as splittable text blocks, never as one table cell taller than a page
    story += _blocks(review.get("note"), STYLES["body"]) or [_TextBlock(labels["review_no_note"], STYLES["body"])]
    block: list[Flowable] = [
        _TextBlock(labels["review_signature"], STYLES["h3"]),
        _TextBlock(labels["review_signed"].format(name=_clean(review.get("doctor_name")),
                                                  email=_clean(review.get("doctor_email"))), STYLES["body"]),
        _kv_table([
            (labels["printed_name"], review.get("doctor_name"), "bold"),
            (labels["signed_at"], _review_when(review), ""),
            (labels["review_meaning"], review.get("meaning"), ""),
        ]),
    ]
    story.append(KeepTogether(block))
    return story


def _audit_review(review: Review, labels: dict[str, str]) -> list[Flowable]:
    """On the audit page: which revision this is and the fingerprint of the untouched original."""
    story = _heading(labels["audit_review"], "h2", 3 * cm)
    story.append(_kv_table([
        (labels["review_revision"], review.get("revision"), "bold"),
        (labels["review_doctor"], f"{_clean(review.get('doctor_name'))} ({_clean(review.get('doctor_email'))})", ""),
        (labels["review_decision"], _decision_label(review, labels), ""),
        (labels["review_decided_at"], _review_when(review), ""),
        (labels["review_original_sha256"], review.get("original_sha256"), "hash"),
    ], 4.8 * cm))
    return story


def _audit(record: ConsentRecord, labels: dict[str, str], review: Review | None = None) -> list[Flowable]:
    """The last page: versions, fingerprints and the process trail, for a later check."""
    texts = record["texts"]
    signature = record["signature"]
    trail = record.get("trail") or {}
    none = labels["none"]

    def val(value: object) -> object:
        return value if value not in (None, "") else none

    story: list[Flowable] = [PageBreak(), _TextBlock(labels["audit"], STYLES["title"])]
    story += _heading(labels["audit_record"], "h2", 3 * cm)
    method = signature.get("method")
    story.append(_kv_table([
        (labels["document_id"], val(record.get("document_id")), "bold"),
        (labels["created_at"], val(record.get("created_at")), ""),
        (labels["language"], val(_language_name(record.get("language", ""), labels)), ""),
        (labels["texts_version"], val(texts.get("version")), ""),
        (labels["common_version"], val(texts.get("common_version")), ""),
        (labels["rules_version"], val(texts.get("rules_version")), ""),
        (labels["texts_sha256"], val(texts.get("sha256")), "hash"),
        (labels["signature_method"], val(labels.get(f"method_{method}", method)), ""),
        (labels["signature_sha256"], val(signature.get("image_sha256")), "hash"),
    ], 4.8 * cm))

    story += _heading(labels["trail"], "h2", 3 * cm)
    story.append(_kv_table([
        (labels["draft_started_at"], val(trail.get("draft_started_at")), ""),
        (labels["started_by"], val(trail.get("started_by")), ""),
        (labels["device_label"], val(trail.get("device_label")), ""),
        (labels["ip_address"], val(trail.get("ip_address")), ""),
        (labels["user_agent"], val(trail.get("user_agent")), ""),
    ], 4.8 * cm))
    steps = trail.get("steps") or []
    if steps:
        widths = [3.4 * cm, 5.8 * cm, 5.8 * cm, USABLE_W - 3.4 * cm - 2 * 5.8 * cm]
        data: list[list[str]] = [[labels[k] for k in ("col_step", "col_shown", "col_completed", "col_seconds")]]
        for step in steps:
            seconds = step.get("seconds")
            cells = [val(step.get("step")), val(format_datetime(step.get("shown_at"))),
                     val(format_datetime(step.get("completed_at"))),
                     f"{seconds:.1f}" if isinstance(seconds, (int, float)) else none]
            data.append([_wrap_plain(c, FONT, VALUE_SIZE, w - CELL_PAD) for c, w in zip(cells, widths)])
        story += [Spacer(0, 8), Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT", style=_STEPS_STYLE)]

    if review is not None:
        story += _audit_review(review, labels)

    story += _heading(labels["verify"], "h2", 3 * cm)
    story += _blocks(labels["verify_text"], STYLES["body"])
    if review is not None:
        story += _blocks(labels["review_verify"].format(revision=review.get("revision")), STYLES["body"])
    return story


# --------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------


def render_consent_pdf(record: ConsentRecord, signature_png: bytes | None, review: Review | None = None) -> bytes:
    """Render the stored record (and drawn signature) as the PDF a person reads and keeps.

    With ``review`` it is a later revision: the same pages plus the doctor's review, before the audit page.
    """
    register_fonts()
    labels = _labels(record.get("language"))
    # a revision is dated by the doctor's decision, the original by the record: never by the clock
    dated = (review.get("decided_at") if review else None) or record.get("created_at") or ""
    try:
        created: datetime | None = datetime.fromisoformat(dated)
    except ValueError:
        created = None

    story: list[Flowable] = []
    story += _identity(record, labels)
    if review is not None:
        story.insert(1, _TextBlock(labels["review_notice"].format(revision=review.get("revision")),
                                   STYLES["revision"]))
    story += _texts(record, labels)
    story += _screening(record, labels)
    story += _signature(record, signature_png, labels)
    if review is not None:
        story += _review(review, labels)
    story += _audit(record, labels, review)

    buffer = io.BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=PAGE_SIZE,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=labels["title"].format(modality=record["treatment"].get("modality_title", "")),
        author=_clean(record.get("clinic_name")),
        subject=_clean(record.get("document_id")),
        creator="consent-kiosk",
        invariant=1,
        lang=record.get("language") or "en",
        initialFontName=FONT,  # so no base-14 (non-embedded) font is referenced at all
        initialFontSize=9.5,
    )
    decorate = _page_decorator(record, labels)

    def make_canvas(*args: Any, **kwargs: Any) -> Canvas:
        return _NumberedCanvas(*args, decorate=decorate, timestamp=created, **kwargs)

    doc.build(story, canvasmaker=make_canvas)
    return buffer.getvalue()
