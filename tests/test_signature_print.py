"""The drawn signature is embedded only as fine as print needs, and still shows the patient's strokes.

A tablet sends ~1400x480 pixels for a box of at most SIGNATURE_MAX_W x SIGNATURE_MAX_H points; the PDF
embeds at most SIGNATURE_DPI of the printed size, flattened onto the white page, and the stored PNG is
the patient's original.
"""

from __future__ import annotations

import base64
import hashlib
import io
import math

import pytest
from PIL import Image, ImageChops
from pypdf import PdfReader

from forms.consent import decode_signature
from kiosk.documents.pdf import render_consent_pdf
from kiosk.documents.pdf.pages import printable_signature
from kiosk.documents.pdf.style import SIGNATURE_DPI, SIGNATURE_MAX_H, SIGNATURE_MAX_W
from kiosk.demo import demo_signature_png
from tests.factories.specimen import specimen_record
from kiosk.consent.records import SignatureInput
from tests.helpers import drawn_signature, signed_checkin

TABLET = (1400, 480)  # a 700x240 CSS pixel canvas at devicePixelRatio 2


def _png(size: tuple[int, int]) -> bytes:
    return base64.b64decode(drawn_signature(size).split(",", 1)[1])


def _printed_size(size: tuple[int, int]) -> tuple[float, float]:
    """The signature's printed size in points, as the renderer fits it into its box."""
    scale = min(SIGNATURE_MAX_W / size[0], SIGNATURE_MAX_H / size[1])
    return size[0] * scale, size[1] * scale


def _embedded_images(pdf: bytes) -> list[tuple[int, int, Image.Image]]:
    """Every image XObject of the PDF: its /Width, /Height and decoded pixels."""
    found = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        xobjects = page.get("/Resources", {}).get("/XObject", {})
        for name in xobjects:
            stream = xobjects[name].get_object()
            if stream.get("/Subtype") == "/Image":
                width, height = int(stream["/Width"]), int(stream["/Height"])
                mode = {"/DeviceGray": "L", "/DeviceRGB": "RGB"}[stream["/ColorSpace"]]
                found.append((width, height, Image.frombytes(mode, (width, height), stream.get_data())))
    return found


def _assert_printed_at_most_dpi(pdf: bytes) -> None:
    """One image, no finer than SIGNATURE_DPI for its printed size, with dark strokes on it."""
    [(width, height, pixels)] = _embedded_images(pdf)
    printed_w, printed_h = _printed_size(TABLET)
    assert width <= math.ceil(printed_w / 72 * SIGNATURE_DPI) < TABLET[0]
    assert height <= math.ceil(printed_h / 72 * SIGNATURE_DPI) < TABLET[1]
    low, high = pixels.convert("L").getextrema()
    assert low < 64 and high == 255  # the ink is there, on white


def test_a_tablet_signature_is_embedded_at_print_resolution_with_its_strokes() -> None:
    png = _png(TABLET)
    record = specimen_record()
    record["signature"]["image_sha256"] = hashlib.sha256(png).hexdigest()
    _assert_printed_at_most_dpi(render_consent_pdf(record, png))


def test_a_drawn_checkin_embeds_its_signature_the_same_way(app) -> None:  # noqa: ANN001
    png, image = decode_signature(drawn_signature(TABLET))
    signature = SignatureInput(method="drawn", png=png, typed_name=None, printed_name="COURSE PATIENT", image=image)
    checkin = signed_checkin(app, signature=signature)
    _assert_printed_at_most_dpi(checkin.pdf)


def _whole_canvas_on_white(image: Image.Image, printed: tuple[float, float]) -> Image.Image:
    """The reference: the whole canvas composited over white and shrunk (if at all) to SIGNATURE_DPI."""
    flat = Image.alpha_composite(Image.new("RGBA", image.size, "white"), image.convert("RGBA")).convert("RGB")
    factor = min(1.0, SIGNATURE_DPI / 72 * printed[0] / image.width)
    size = (round(image.width * factor), round(image.height * factor))
    return flat.resize(size, Image.Resampling.LANCZOS) if size != image.size else flat


@pytest.mark.parametrize("source", ["tablet", "small", "colour"])
def test_the_embedded_pixels_are_the_whole_canvas_on_white_where_the_ink_is(source: str) -> None:
    """Cut to the ink and its filter's reach: the same pixels there (±1 for rounding), white everywhere else."""
    png = {"tablet": _png(TABLET), "small": _png((700, 240)), "colour": demo_signature_png()}[source]
    image = Image.open(io.BytesIO(png))
    image.load()
    before = image.tobytes()
    printed = _printed_size(image.size)
    pixels, (left, top, right, bottom) = printable_signature(image, *printed)
    assert image.tobytes() == before  # the caller's pixels are not touched
    assert pixels.mode == ("RGB" if source == "colour" else "L")  # grey only when the ink is grey
    whole = _whole_canvas_on_white(image, printed).convert(pixels.mode)
    assert whole.size[0] <= image.size[0]  # never upscaled
    box = (round(left * whole.width), round(top * whole.height), round(right * whole.width),
           round(bottom * whole.height))
    assert (box[2] - box[0], box[3] - box[1]) == pixels.size
    differences = ImageChops.difference(whole.crop(box), pixels).convert("L")
    assert differences.getextrema()[1] <= 1
    outside = whole.copy()
    outside.paste(Image.new(pixels.mode, pixels.size, "white"), box[:2])
    assert outside.convert("L").getextrema() == (255, 255)
