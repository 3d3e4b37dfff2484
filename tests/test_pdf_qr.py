"""The verification QR code on the consent PDF: a phone that scans it opens exactly the document's /verify address.

The page is read back as a scanner would see it: every black filled rectangle the page's content
stream paints is rasterised (text is not painted, so only the code remains) and the picture is
decoded with zxing-cpp, a barcode reader independent of the encoder that made the code.
"""

from __future__ import annotations

import copy
import importlib.util
import io
from typing import Any

import pytest
from PIL import Image, ImageDraw
from pypdf import PdfReader
from pypdf.generic import ContentStream
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.lib.units import cm
from reportlab.pdfgen.canvas import Canvas

from kiosk.documents.pdf import render_consent_pdf
from kiosk.documents.pdf.qr import QUIET_ZONE, QrCode, qr_matrix
from kiosk.demo import demo_signature_png
from tests.factories.specimen import specimen_record
from tests.support import need

Matrix = tuple[float, float, float, float, float, float]
Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in page space
SCALE = 6  # pixels per point of the rasterised page: a module of ~1.6 pt is ~10 pixels


def _mul(m: Matrix, n: Matrix) -> Matrix:
    a, b, c, d, e, f = m
    A, B, C, D, E, F = n
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def _black_boxes(pdf: bytes, page_index: int) -> list[Box]:
    """The rectangles a page fills in black, in page space (a small interpreter of q/Q/cm/rg/re/f)."""
    reader = PdfReader(io.BytesIO(pdf))
    page = reader.pages[page_index]
    ctm: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)
    black = True  # the PDF default fill colour
    stack: list[tuple[Matrix, bool]] = []
    path: list[Box] = []
    boxes: list[Box] = []
    for operands, raw_op in ContentStream(page.get_contents(), reader).operations:
        op = raw_op.decode() if isinstance(raw_op, bytes) else str(raw_op)
        if op == "q":
            stack.append((ctm, black))
        elif op == "Q":
            ctm, black = stack.pop()
        elif op == "cm":
            ctm = _mul(tuple(float(v) for v in operands), ctm)  # type: ignore[arg-type]
        elif op in ("rg", "g", "k"):
            values = [float(v) for v in operands]
            black = values == ([0.0, 0.0, 0.0, 1.0] if op == "k" else [0.0] * len(values))
        elif op == "re":
            x, y, w, h = (float(v) for v in operands)
            a, b, c, d, e, f = ctm
            xs = [a * px + c * py + e for px, py in ((x, y), (x + w, y + h))]
            ys = [b * px + d * py + f for px, py in ((x, y), (x + w, y + h))]
            path.append((min(xs), min(ys), max(xs), max(ys)))
        elif op in ("f", "f*", "F", "B", "B*", "b", "b*"):
            if black:
                boxes += path
            path = []
        elif op in ("n", "S", "s"):
            path = []
    return boxes


def _raster(boxes: list[Box], width: float, height: float) -> Image.Image:
    """Paint the boxes black on white, top-down, as a scanner's camera would see the page."""
    image = Image.new("L", (int(width * SCALE), int(height * SCALE)), 255)
    draw = ImageDraw.Draw(image)
    for x0, y0, x1, y1 in boxes:
        draw.rectangle((round(x0 * SCALE), round((height - y1) * SCALE),
                        round(x1 * SCALE) - 1, round((height - y0) * SCALE) - 1), fill=0)
    return image


def _decode(image: Image.Image) -> list[str]:
    need(importlib.util.find_spec("zxingcpp") is not None, "zxing-cpp (pip install -r requirements-dev.txt)")
    import zxingcpp

    return [result.text for result in zxingcpp.read_barcodes(image) if result.format == zxingcpp.BarcodeFormat.QRCode]


@pytest.fixture(scope="module")
def specimen_pdf() -> tuple[dict[str, Any], bytes]:
    record = specimen_record()
    return record, render_consent_pdf(record, demo_signature_png())  # type: ignore[return-value]


def test_the_qr_code_on_the_last_page_scans_to_the_documents_verify_address(specimen_pdf: Any) -> None:
    record, pdf = specimen_pdf
    verification = record["verification"]
    reader = PdfReader(io.BytesIO(pdf))
    width, height = (float(v) for v in reader.pages[-1].mediabox.upper_right)
    boxes = _black_boxes(pdf, len(reader.pages) - 1)
    assert boxes, "no QR code drawn on the last page"
    assert _decode(_raster(boxes, width, height)) == [f"{verification['url']}?code={verification['code']}"]


def test_another_code_gives_another_qr_code(specimen_pdf: Any) -> None:
    record = copy.deepcopy(specimen_pdf[0])
    record["verification"]["code"] = "ZZ9Z-ZZ9Z-ZZ9Z"
    pdf = render_consent_pdf(record, demo_signature_png())
    reader = PdfReader(io.BytesIO(pdf))
    width, height = (float(v) for v in reader.pages[-1].mediabox.upper_right)
    decoded = _decode(_raster(_black_boxes(pdf, len(reader.pages) - 1), width, height))
    assert decoded == [f"{record['verification']['url']}?code=ZZ9Z-ZZ9Z-ZZ9Z"]


def test_no_verification_code_means_no_qr_code(specimen_pdf: Any) -> None:
    record = copy.deepcopy(specimen_pdf[0])
    record["verification"] = {}
    pdf = render_consent_pdf(record, demo_signature_png())
    assert _black_boxes(pdf, len(PdfReader(io.BytesIO(pdf)).pages) - 1) == []


def test_same_modules_as_reportlabs_qr_widget() -> None:
    """The code looks as it did when reportlab's QrCodeWidget drew it: the same modules, dark for dark."""
    url = specimen_record()["verification"]["url"] + "?code=Q7RT-M2KX-9HCP"
    widget = QrCodeWidget(url, barLevel="M")
    widget.draw()
    assert qr_matrix(url, "M") == [[bool(m) for m in row] for row in widget.qr.modules]


def test_drawn_modules_match_the_matrix_inside_a_four_module_quiet_zone() -> None:
    url = "https://consent.clinica-alameda.example/verify?code=Q7RT-M2KX-9HCP"
    matrix = qr_matrix(url, "M")
    count = len(matrix)
    assert count == 37  # version 5: 4 * 5 + 17 modules a side
    size = 2.6 * cm
    flowable = QrCode(matrix, size)
    assert flowable.wrap(500, 500) == (size, size)  # the layout keeps room for the quiet zone too

    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(size, size))
    flowable.drawOn(canvas, 0, 0)
    canvas.showPage()
    canvas.save()
    boxes = _black_boxes(buffer.getvalue(), 0)

    module = size / (count + 2 * QUIET_ZONE)
    drawn = [[False] * count for _ in range(count)]
    for x0, y0, x1, y1 in boxes:
        assert x0 >= QUIET_ZONE * module - 1e-3 and x1 <= size - QUIET_ZONE * module + 1e-3
        assert y0 >= QUIET_ZONE * module - 1e-3 and y1 <= size - QUIET_ZONE * module + 1e-3
        assert y1 - y0 == pytest.approx(module, abs=1e-3)  # one row per rectangle, rows never overlap
        row = round((size - y1) / module) - QUIET_ZONE
        first, last = round(x0 / module) - QUIET_ZONE, round(x1 / module) - QUIET_ZONE
        for column in range(first, last):
            assert not drawn[row][column], "a module painted twice"
            drawn[row][column] = True
    assert drawn == matrix
    assert _decode(_raster(boxes, size, size)) == [url]
