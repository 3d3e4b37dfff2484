"""Time the consent PDF renderer against the floor of drawing the same text by hand.

Run from the repository root:  .venv/bin/python bench/bench_pdf.py [--runs N] [--profile]

(a) ``render_consent_pdf(specimen)``: the real renderer (platypus layout).
(b) the floor: reportlab's pdfgen canvas alone drawing the same strings in the
    same fonts, line by line with ``drawString`` and simple line breaking,
    plus the same signature image (the pixels the renderer embeds, prepared by
    its own printable_signature) and the same verification QR code (encoded
    and drawn the way the renderer does it: one path of row runs). No layout
    engine can beat this by much, so the ratio (a)/(b) says what the layout
    costs. Target: ratio <= 1.5.

The two are timed in alternation (a, b, a, b, ...) so that load from other
processes on the machine falls on both alike; the medians are printed.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from PIL import Image as PILImage  # noqa: E402
from reportlab.lib.units import cm  # noqa: E402
from reportlab.lib.utils import ImageReader, simpleSplit  # noqa: E402
from reportlab.pdfgen.canvas import Canvas  # noqa: E402

from kiosk.documents.pdf import format_datetime, register_fonts, render_consent_pdf  # noqa: E402
from kiosk.documents.pdf.pages import printable_signature  # noqa: E402
from kiosk.documents.pdf.qr import QrCode, qr_matrix  # noqa: E402
from kiosk.documents.pdf.style import (  # noqa: E402
    FONT,
    FONT_BOLD,
    FONT_OBLIQUE,
    MARGIN_BOTTOM,
    MARGIN_TOP,
    MARGIN_X,
    PAGE_SIZE,
    SIGNATURE_MAX_H,
    SIGNATURE_MAX_W,
)
from kiosk.documents.record import ConsentRecord  # noqa: E402
from kiosk.demo import demo_signature_png  # noqa: E402
from tests.factories.specimen import specimen_record  # noqa: E402

Line = tuple[str, float, str]  # font, size, text
QR_SIZE = 2.6 * cm  # as printed on the audit page


def _floor_lines(record: ConsentRecord) -> list[Line]:
    """List the same strings the renderer prints, with the font each is printed in."""
    p, t, texts, sig = record["patient"], record["treatment"], record["texts"], record["signature"]
    shown = texts["shown"]
    out: list[Line] = [(FONT_BOLD, 16, f"Informed consent \u2014 {t['modality_title']}"), (FONT_BOLD, 12.5, "Patient")]
    for k, v in (("Full name", p["full_name"]), ("Date of birth", p["date_of_birth"]), ("Phone", p["phone"]),
                 ("Email", p["email"]), ("Identity check", p["identity_check"])):
        if v:
            out.append((FONT, 9.5, f"{k}: {v}"))
    out.append((FONT_BOLD, 12.5, "Treatment"))
    out += [(FONT, 9.5, f"Treatment: {t['modality_title']}"),
            (FONT, 9.5, "Treatment areas: " + ", ".join(a["label"] for a in t["areas"])),
            (FONT, 9.5, f"Other area: {t['area_other']}"), (FONT, 9.5, f"Planned sessions: {t['planned_sessions']}"),
            (FONT, 9.5, f"Language of this consent: {record['language']}"),
            (FONT_BOLD, 12.5, "Information given to the patient"), (FONT_OBLIQUE, 9.5, shown["summary"])]
    for section in shown["sections"]:
        out += [(FONT_BOLD, 10, section["title"]), (FONT, 9.5, section["text"])]
    out.append((FONT_BOLD, 12.5, "Risks"))
    acks = {a["id"]: a for a in record["risks"]}
    for risk in shown["risks"]:
        ack = acks[risk["id"]]
        out += [(FONT_BOLD, 10, risk["title"]), (FONT, 9.5, risk["text"]),
                (FONT, 8.5, f"\u2714 Acknowledged \u2014 initials {ack['initials']} \u2014 "
                            f"{format_datetime(ack['acknowledged_at'])}")]
    out.append((FONT_BOLD, 12.5, "Screening answers"))
    for flag in record["flags"]:
        out.append((FONT, 9, f"[{flag['severity'].upper()}] {flag['question']} {flag['reason']}"))
    for answer in record["answers"]:
        value = answer["value"]
        shown_value = {True: "Yes", False: "No", None: "Not in the last 12 months"}.get(value, value)  # type: ignore[arg-type]
        out.append((FONT, 9, answer["text"]))
        if answer["detail"]:
            out.append((FONT, 9, f"Detail: {answer['detail']}"))
        out += [(FONT_BOLD, 9, str(shown_value)), (FONT, 8, f"answered {format_datetime(answer['answered_at'])}")]
    out += [(FONT_BOLD, 12.5, "Consent and signature"), (FONT, 9.5, record["esign_consent"]["statement"]),
            (FONT, 9.5, f"Agreed at: {format_datetime(record['esign_consent']['agreed_at'])}"),
            (FONT, 9.5, record["consent_statement"]), ("IMAGE", 0, ""),
            (FONT_BOLD, 9, f"Printed name: {sig['printed_name']}"),
            (FONT, 9, f"Date and time signed: {format_datetime(sig['signed_at'])} ({sig['timezone']})"),
            (FONT, 9, f"Meaning of the signature: {sig['meaning']}"), ("PAGE", 0, ""),
            (FONT_BOLD, 16, "Audit page")]
    trail = record["trail"]
    for k, v in (("Document id", record["document_id"]), ("Stored at", record["created_at"]),
                 ("Texts version", texts["version"]), ("Common texts version", texts["common_version"]),
                 ("Screening rules version", texts["rules_version"]), ("SHA-256 of the texts shown", texts["sha256"]),
                 ("SHA-256 of the signature image", sig["image_sha256"]), ("Session started", trail["draft_started_at"]),
                 ("Started by", trail["started_by"]), ("Device", trail["device_label"]),
                 ("IP address", trail["ip_address"]), ("User agent", trail["user_agent"])):
        out.append((FONT, 9, f"{k}: {v}"))
    for step in trail["steps"]:
        out.append((FONT, 9, f"{step['step']}  {step['shown_at']}  {step['completed_at']}  {step['seconds']}"))
    out.append((FONT_BOLD, 12.5, "How to verify this document"))
    verification = record.get("verification") or {}
    if verification.get("code") and verification.get("url"):
        out.append(("QR", 0, f"{verification['url']}?code={verification['code']}"))
    out.append((FONT, 9.5, "The clinic keeps the SHA-256 of this PDF file as it was stored. To check that a copy has "
                           "not been changed, compute its SHA-256 (for example sha256sum file.pdf) and compare it with "
                           "the value the clinic holds: any change to the file, however small, gives a different value. "
                           "The SHA-256 of the texts shown (above) is a fingerprint of the exact words the patient was "
                           "shown; it can be recomputed from the texts stored with the record, and the signature "
                           "image's SHA-256 from the stored image."))
    return out


def render_floor(record: ConsentRecord, signature_png: bytes) -> bytes:
    """Draw the same strings and image with the bare canvas: the cheapest possible PDF."""
    buffer = io.BytesIO()
    width, height = PAGE_SIZE
    usable = width - 2 * MARGIN_X
    canvas = Canvas(buffer, pagesize=PAGE_SIZE, invariant=1, initialFontName=FONT, initialFontSize=9.5)
    page = 1

    def furniture() -> None:
        canvas.setFont(FONT_BOLD, 9)
        canvas.drawString(MARGIN_X, height - 38, record["clinic_name"])
        canvas.setFont(FONT, 8)
        canvas.drawRightString(width - MARGIN_X, height - 38, f"Document {record['document_id']}")
        canvas.drawString(MARGIN_X, 32, f"Patient: {record['patient']['full_name']}")
        canvas.drawRightString(width - MARGIN_X, 32, f"Page {page}")

    def new_page() -> float:
        nonlocal page
        canvas.showPage()
        page += 1
        furniture()
        return height - MARGIN_TOP

    furniture()
    y = height - MARGIN_TOP
    decoded = PILImage.open(io.BytesIO(signature_png))
    iw, ih = decoded.size
    scale = min(SIGNATURE_MAX_W / iw, SIGNATURE_MAX_H / ih)
    pixels, (left, top, right, bottom) = printable_signature(decoded, iw * scale, ih * scale)  # what the renderer embeds
    image = ImageReader(pixels)
    for font, size, text in _floor_lines(record):
        if font == "PAGE":
            y = new_page()
            continue
        if font == "IMAGE":
            if y - ih * scale < MARGIN_BOTTOM:
                y = new_page()
            y -= ih * scale
            canvas.drawImage(image, MARGIN_X + iw * scale * left, y + ih * scale * (1 - bottom),
                             iw * scale * (right - left), ih * scale * (bottom - top), mask="auto")
            continue
        if font == "QR":  # the renderer's own encoder and path drawing: no cheaper way to print the same code
            if y - QR_SIZE < MARGIN_BOTTOM:
                y = new_page()
            y -= QR_SIZE
            QrCode(qr_matrix(text, "M"), QR_SIZE).drawOn(canvas, MARGIN_X, y)
            continue
        leading = size * 1.35
        canvas.setFont(font, size)
        for line in simpleSplit(text, font, size, usable):
            if y - leading < MARGIN_BOTTOM:
                y = new_page()
                canvas.setFont(font, size)
            y -= leading
            canvas.drawString(MARGIN_X, y, line)
        y -= 3
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def _median_ms(fns: list[Callable[[], bytes]], runs: int) -> list[float]:
    """Median wall time (ms) of each function, interleaved so machine noise hits all alike."""
    times: list[list[float]] = [[] for _ in fns]
    for _ in range(runs):
        for fn, bucket in zip(fns, times):
            start = time.perf_counter()
            fn()
            bucket.append((time.perf_counter() - start) * 1000)
    return [statistics.median(bucket) for bucket in times]


def main(argv: list[str] | None = None) -> int:
    """Print both medians and their ratio; exit 1 when over the 1.5 target."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50, help="timed runs of each (default 50)")
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of the renderer")
    args = parser.parse_args(argv)

    register_fonts()  # both sides use the process-wide registered fonts
    record = specimen_record()
    png = demo_signature_png()
    renderer = lambda: render_consent_pdf(record, png)  # noqa: E731
    floor = lambda: render_floor(record, png)  # noqa: E731
    for _ in range(3):  # warm up caches (glyph widths, imports) on both sides
        renderer()
        floor()

    renderer_ms, floor_ms = _median_ms([renderer, floor], args.runs)
    ratio = renderer_ms / floor_ms
    print(f"runs per side:           {args.runs}")
    print(f"render_consent_pdf:      {renderer_ms:8.2f} ms median  ({len(renderer()) / 1024:.0f} KiB)")
    print(f"canvas floor:            {floor_ms:8.2f} ms median  ({len(floor()) / 1024:.0f} KiB)")
    print(f"ratio renderer/floor:    {ratio:8.2f}  (target <= 1.50: {'OK' if ratio <= 1.5 else 'OVER'})")

    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(max(5, args.runs // 5)):
            renderer()
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)
    return 0 if ratio <= 1.5 else 1


if __name__ == "__main__":
    raise SystemExit(main())
