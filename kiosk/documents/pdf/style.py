"""Fonts, page geometry, colours and text styles shared by every part of the consent PDF."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont



# --------------------------------------------------------------------------
# Fonts: DejaVu Sans covers Latin (accents, ñ, ł, đ), Greek and Cyrillic.
# Parsing a TTF is the slowest part of a first render, so it happens once a process.
# --------------------------------------------------------------------------

FONT_DIR = Path(__file__).resolve().parent.parent / "fonts"
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
SIGNATURE_DPI = 300  # the drawn signature is embedded at most this fine for its printed size; never upscaled

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
    """Build a text style on the embedded font (used by TextBlock, not by Paragraph)."""
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


def header_row_table(padding: list[tuple[object, ...]]) -> list[tuple[object, ...]]:
    """Table commands for a grid of plain cells with a muted header row, plus the caller's padding."""
    return [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("FONTNAME", (0, 0), (-1, -1), FONT),
        ("FONTSIZE", (0, 0), (-1, -1), VALUE_SIZE),
        ("LEADING", (0, 0), (-1, -1), VALUE_LEADING),
        ("FONTSIZE", (0, 0), (-1, 0), KEY_SIZE),
        ("TEXTCOLOR", (0, 0), (-1, 0), MUTED),
        *padding,
    ]
