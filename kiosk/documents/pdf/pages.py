"""Page furniture (header, footer, "Page N of M") and the signature image flowables."""

from __future__ import annotations

import hashlib
import io
import math
from collections.abc import Mapping
from datetime import datetime
from typing import Any, Callable

from PIL import Image as PILImage
from reportlab.lib.units import cm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Flowable

from kiosk.documents.pdf.archival import ArchivalCanvas
from kiosk.documents.pdf.style import (FONT, FONT_BOLD, INK, MARGIN_X, MAX_SIGNATURE_PIXELS, MUTED, PAGE_SIZE, RULE, SIGNATURE_DPI,
                             SIGNATURE_MAX_H, SIGNATURE_MAX_W, USABLE_W)
from kiosk.documents.pdf.text import fit_line, format_date


# --------------------------------------------------------------------------
# Page furniture: header and footer drawn after layout, so "Page N of M" is known.
# --------------------------------------------------------------------------


REVIEW_AREA = "doctor_review_area"  # the outline entry whose /FitR rectangle is where a signed review goes
_MARKS_ATTR = "_kiosk_marks"  # outline entries noted while a page is laid out, written when it is final


class NumberedCanvas(ArchivalCanvas):
    """Hold each finished page until the end, then stamp header/footer with the page total (saved as PDF/A-1b)."""

    def __init__(self, *args: Any, decorate: Callable[[Canvas, int, int], None],
                 timestamp: datetime | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._saved_pages: list[dict[str, Any]] = []
        self._decorate = decorate
        if timestamp is not None:
            pin_timestamp(self, timestamp)

    def showPage(self) -> None:  # noqa: N802 (reportlab's name)
        self._saved_pages.append(dict(self.__dict__))
        self.__dict__.pop(_MARKS_ATTR, None)
        self._startPage()

    def save(self) -> None:
        total = len(self._saved_pages)
        for state in self._saved_pages:
            self.__dict__.pop(_MARKS_ATTR, None)
            self.__dict__.update(state)
            self._decorate(self, self._pageNumber, total)
            # only now is the page's reference final, so its outline entries are written here
            for key, title, rect in self.__dict__.get(_MARKS_ATTR) or ():
                if len(rect) == 4:
                    left, bottom, right, top = rect
                    self.bookmarkPage(key, fit="FitR", left=left, bottom=bottom, right=right, top=top)
                else:
                    self.bookmarkPage(key, fit="XYZ", left=0, top=rect[0])
                self.addOutlineEntry(title, key, level=0)
            Canvas.showPage(self)
        super().save()


def add_mark(canvas: Canvas, key: str, title: str, rect: tuple[float, ...]) -> None:
    """Note an outline entry for the page being laid out: a top y, or a rectangle (left, bottom, right, top)."""
    marks = list(getattr(canvas, _MARKS_ATTR, None) or [])
    marks.append((key, title, rect))
    setattr(canvas, _MARKS_ATTR, marks)


class OutlineMark(Flowable):
    """A zero-size flowable before a heading, so a reader's bookmarks panel lists the document's sections."""

    def __init__(self, key: str, title: str) -> None:
        super().__init__()
        self.key, self.title = key, title
        self.width = self.height = 0.0

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return 0.0, 0.0

    def draw(self) -> None:
        add_mark(self.canv, self.key, self.title, (self.canv.absolutePosition(0, 0)[1] + 16,))


def document_moment(value: str | None) -> datetime | None:
    """The moment a PDF is dated by, read from its record (never the clock); None when missing or unreadable."""
    try:
        return datetime.fromisoformat(value or "")
    except ValueError:
        return None


def pin_timestamp(canvas: Canvas, moment: datetime) -> None:
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


def page_decorator(record: Mapping[str, Any], labels: dict[str, str]) -> Callable[[Canvas, int, int], None]:
    """Make the function that draws clinic, document id, patient and page N of M on a page (consent, check-in or
    withdrawal: any record with those keys)."""
    width, height = PAGE_SIZE
    left, right = MARGIN_X, width - MARGIN_X
    doc_text = fit_line(labels["document"].format(id=record.get("document_id", "")), FONT, 8, USABLE_W / 2)
    doc_w = pdfmetrics.stringWidth(doc_text, FONT, 8)
    clinic = " \u00b7 ".join(str(part) for part in (record.get("clinic_name"), record.get("clinic_address")) if part)
    clinic_text = fit_line(clinic, FONT_BOLD, 9, USABLE_W - doc_w - 12)
    patient = record.get("patient") or {}
    footer_text = labels["footer_patient"].format(
        name=patient.get("full_name", ""), dob=format_date(patient.get("date_of_birth", ""), labels))
    # Room for the widest "Page N of M" this document can have keeps the footer stable.
    page_room = pdfmetrics.stringWidth(labels["page_of"].format(page=999, pages=999), FONT, 8)
    footer_text = fit_line(footer_text, FONT, 8, USABLE_W - page_room - 12)
    verification = record.get("verification") or {}
    verify_text = ""
    if verification.get("code"):
        verify_text = fit_line(labels["verify_footer"].format(
            code=verification["code"], url=f"{verification.get('url') or ''}?code={verification['code']}"),
            FONT, 7.5, USABLE_W)

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
        if verify_text:
            canvas.setFont(FONT, 7.5)
            canvas.drawString(left, bottom - 10, verify_text)
        canvas.restoreState()

    return decorate


# --------------------------------------------------------------------------
# Signature image
# --------------------------------------------------------------------------


class SignatureImage(Flowable):
    """Draw an already-decoded image at a fixed size, so the PNG is decoded only once."""

    def __init__(self, reader: ImageReader, width: float, height: float,
                 part: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0)) -> None:
        super().__init__()
        self._reader = reader
        self._part = part  # (left, top, right, bottom) of the box the pixels cover, in fractions: see printable_signature
        self.width = width
        self.height = height
        self.hAlign = "LEFT"

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        return self.width, self.height

    def draw(self) -> None:
        left, top, right, bottom = self._part
        self.canv.drawImage(self._reader, self.width * left, self.height * (1 - bottom),
                            self.width * (right - left), self.height * (bottom - top), mask="auto")


class ReservedArea(Flowable):
    """Empty space kept for a later signed revision; it takes the rest of the page, at least `min_height`.

    It draws a faint frame and notes its rectangle, which NumberedCanvas writes into the PDF as the
    outline entry REVIEW_AREA (a /FitR destination), so the sealing code knows where a review may go.
    """

    def __init__(self, min_height: float, title: str) -> None:
        super().__init__()
        self.min_height = min_height
        self.title = title
        self.width = self.height = 0.0

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        self.width = avail_width
        self.height = max(avail_height - 1, self.min_height)
        return self.width, self.height

    def split(self, avail_width: float, avail_height: float) -> list[Flowable]:
        return []  # never split: on a page with too little room it moves whole to the next one

    def draw(self) -> None:
        canvas = self.canv
        canvas.saveState()
        canvas.setStrokeColor(RULE)
        canvas.setDash(2, 3)
        canvas.setLineWidth(0.5)
        canvas.rect(0, 0, self.width, self.height)
        canvas.restoreState()
        left, bottom = canvas.absolutePosition(0, 0)
        right, top = canvas.absolutePosition(self.width, self.height)
        add_mark(canvas, REVIEW_AREA, self.title, (left, bottom, right, top))


class Rule(Flowable):
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


def load_signature(png: bytes, expected_sha256: str | None,
                   decoded: PILImage.Image | None = None) -> PILImage.Image:
    """Decode and check the signature PNG, refusing one that is not the record's image.

    `decoded` is this PNG as the sign form already decoded it (kiosk.consent.submission.SignatureInput.image),
    so a submission inflates its pixels once; the PDF is the same either way.
    """
    if expected_sha256:
        actual = hashlib.sha256(png).hexdigest()
        if actual.lower() != expected_sha256.lower():
            raise ValueError(
                f"signature PNG does not match the record: sha256 {actual} != {expected_sha256}")
    try:
        image = decoded if decoded is not None else PILImage.open(io.BytesIO(png))
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
    return image


def signature_flowable(png: bytes, expected_sha256: str | None,
                       decoded: PILImage.Image | None = None) -> SignatureImage:
    """The checked signature sized to fit SIGNATURE_MAX_W x SIGNATURE_MAX_H, embedded only as fine as print needs."""
    image = load_signature(png, expected_sha256, decoded)
    scale = min(SIGNATURE_MAX_W / image.width, SIGNATURE_MAX_H / image.height)
    width, height = image.width * scale, image.height * scale
    pixels, part = printable_signature(image, width, height)
    return SignatureImage(ImageReader(pixels), width, height, part)


_LANCZOS_REACH = 4  # output pixels around the ink a shrinking Lanczos filter can darken (its support is 3)


def printable_signature(image: PILImage.Image, width: float,
                        height: float) -> tuple[PILImage.Image, tuple[float, float, float, float]]:
    """Only the pixels print needs: reportlab converting, hashing and zipping a whole tablet canvas was most of a render.

    Returns the image and the part of the width x height box it covers, (left, top, right, bottom) in
    fractions: flattened onto the white page as a viewer composites the soft mask, grey when the ink is,
    cut to the ink plus the filter's reach (white beyond it either way), at most SIGNATURE_DPI, never
    upscaled. The caller's image is never modified.
    """
    if image.mode not in ("L", "LA", "RGB", "RGBA") or "transparency" in image.info:
        image = image.convert("RGBA")  # palette, 16-bit, a tRNS colour key ...: one alpha channel to flatten with
    w, h = image.size
    factor = min(1.0, SIGNATURE_DPI / 72 * min(width / w, height / h))
    out_w, out_h = max(1, round(w * factor)), max(1, round(h * factor))
    sx, sy = w / out_w, h / out_h  # source pixels per embedded pixel
    ink = (image.getbbox(alpha_only=True) if image.mode in ("LA", "RGBA") else None) or (0, 0, w, h)
    reach = _LANCZOS_REACH if (out_w, out_h) != (w, h) else 0
    # the embedded pixels the ink can reach, then the source pixels the filter reads for them
    ox0, oy0 = max(0, math.floor(ink[0] / sx) - reach), max(0, math.floor(ink[1] / sy) - reach)
    ox1, oy1 = min(out_w, math.ceil(ink[2] / sx) + reach), min(out_h, math.ceil(ink[3] / sy) + reach)
    src = (max(0, math.floor((ox0 - reach) * sx)), max(0, math.floor((oy0 - reach) * sy)),
           min(w, math.ceil((ox1 + reach) * sx)), min(h, math.ceil((oy1 + reach) * sy)))
    page = _flatten(image.crop(src))
    if reach:  # the same sampling grid as shrinking the whole canvas, so the same pixels where the ink is
        box = (ox0 * sx - src[0], oy0 * sy - src[1],
               min(ox1 * sx, src[2]) - src[0], min(oy1 * sy, src[3]) - src[1])
        page = page.resize((ox1 - ox0, oy1 - oy0), PILImage.Resampling.LANCZOS, box=box)
    page.info = {}  # a new image: no colour key or other PNG leftovers for reportlab to act on
    return page, (ox0 / out_w, oy0 / out_h, ox1 / out_w, oy1 / out_h)


def _flatten(image: PILImage.Image) -> PILImage.Image:
    """`image` (our own copy) composited over white, as one grey channel when red, green and blue agree."""
    if image.mode in ("LA", "RGBA"):
        bands = image.split()
        if image.mode == "LA" or bands[0].tobytes() == bands[1].tobytes() == bands[2].tobytes():
            page = PILImage.new("L", image.size, 255)
            page.paste(bands[0], mask=bands[-1])
            return page
        page = PILImage.new("RGB", image.size, "white")
        page.paste(image, mask=bands[-1])
        image = page  # colour where it is transparent need not mean colour on the page: checked below
    if image.mode == "RGB":
        red, green, blue = image.split()
        if red.tobytes() == green.tobytes() == blue.tobytes():
            return red
    return image
