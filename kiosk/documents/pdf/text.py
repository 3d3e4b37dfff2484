"""Plain text for the PDF: cleaning, line breaking, and the flowable that draws it literally."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date

from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.utils import simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import CondPageBreak, Flowable

from kiosk.core.dates import format_day, format_moment
from kiosk.documents.pdf.style import STYLES
from kiosk.documents.paragraphs import paragraphs


# --------------------------------------------------------------------------
# Plain text: cleaning, line breaking and the flowable that draws it
# --------------------------------------------------------------------------

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_LIST_PREFIX = re.compile(r"^\s*(?:[\u2022\u2023\u25e6\u2043\u2219*\-\u2013]|\d{1,2}[.)])\s+")


def printable(value: object) -> str:
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
    for raw in printable(value).split("\n"):
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


def wrap_plain(value: object, font: str, size: float, width: float) -> str:
    """Pre-break a table cell's text, since plain table cells do not wrap by themselves."""
    return "\n".join(_wrap_lines(value, font, size, width))


class TextBlock(Flowable):
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
            TextBlock(self.text, self.style, lines[:fit], self.spaceBefore, 0),
            TextBlock(self.text, self.style, lines[fit:], 0, self.spaceAfter),
        ]

    def draw(self) -> None:
        style = self.style
        text = self.canv.beginText(style.leftIndent, self.height - style.fontSize)
        text.setFont(style.fontName, style.fontSize, style.leading)
        text.setFillColor(style.textColor)
        for line in self._lines or ():
            text.textLine(line)
        self.canv.drawText(text)


def blocks(text: str | None, style: ParagraphStyle, *, reflow: bool = True) -> list[Flowable]:
    """A text's paragraphs (kiosk.documents.paragraphs) as blocks; reflow=False keeps a typed note's line breaks."""
    return [TextBlock(block, style) for block in paragraphs(printable(text), reflow=reflow)]


def heading(text: str, style: str, room: float) -> list[Flowable]:
    """A heading that moves to the next page unless ``room`` points of its content fit too."""
    return [CondPageBreak(room), TextBlock(text, STYLES[style])]


def format_datetime(value: str | None, labels: Mapping[str, str] | None = None) -> str:
    """Show an ISO time the way the consent's language writes it, keeping its UTC offset, which the evidence needs."""
    return format_moment(value, (labels or {}).get("lang"))


def format_date(value: object, labels: Mapping[str, str]) -> str:
    """An ISO date (a birth date, a last dose) the way the consent's language writes it; anything else as it is."""
    return format_day(value if isinstance(value, (str, date)) or value is None else str(value), labels.get("lang"))


def language_name(code: str, labels: dict[str, str], *, alone: bool = False) -> str:
    """Name a language next to its code, for a reader who does not know ISO codes.

    Mid-sentence it is written as the PDF's language writes it ("en inglés (en)"); `alone` (a table's value, a
    display) starts it with a capital.
    """
    names = dict(pair.split("=", 1) for pair in labels["language_names"].split(";") if "=" in pair)
    name = names.get((code or "").lower())
    if name and alone:
        name = name[:1].upper() + name[1:]
    return f"{name} ({code})" if name else (code or "")


def step_name(step: str, labels: dict[str, str]) -> str:
    """A step of the process trail in the PDF's language ("screening" reads "Health questions"); unknown: as stored."""
    names = dict(pair.split("=", 1) for pair in labels["step_names"].split(";") if "=" in pair)
    return names.get(step, step)


def identity_check(value: str | None, labels: dict[str, str]) -> str | None:
    """How the desk checked identity, as stored in English ("Passport shown at the front desk"), in the PDF's language."""
    known = dict(pair.split("=", 1) for pair in labels["identity_checks"].split(";") if "=" in pair)
    return known.get(value or "", value)


def started_by(value: str | None, labels: dict[str, str]) -> str | None:
    """Who started the session, as the trail stores it ("front desk (email)"), in the PDF's language."""
    prefix = "front desk"
    if value and value.startswith(prefix):
        return labels["front_desk"] + value[len(prefix):]
    return value


def fit_line(text: str, font: str, size: float, width: float) -> str:
    """Shorten a header/footer string with an ellipsis so it never leaves the page."""
    text = printable(text).replace("\n", " ")
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
