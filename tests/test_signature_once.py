"""The drawn signature is decoded once per submission: the form's check and the PDF share the pixels.

The blank check no longer copies the canvas, and the PDF drawn from the form's decoded image
must be the same bytes as the PDF drawn from the PNG alone.
"""

from __future__ import annotations

import base64
import hashlib
import io
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image, ImageDraw
from wtforms.validators import ValidationError

from forms.consent import _blank, decode_signature
from kiosk.documents.pdf import render_consent_pdf
from kiosk.documents.pdf.checkin import render_checkin_pdf
from kiosk.consent.records import SignatureInput
from tests.factories.specimen import specimen_record
from tests.helpers import consents, drawn_signature, signed_checkin


def blank_as_specified(image: Image.Image) -> bool:
    """The rule spelt out: nothing drawn means fully transparent, or every channel one flat value."""
    rgba = image.convert("RGBA")
    if rgba.getchannel("A").getbbox() is None:
        return True
    return all(low == high for low, high in rgba.getextrema())


MODES = ("RGBA", "RGB", "LA", "L", "P")


@st.composite
def canvases(draw: Any) -> Image.Image:
    """Small images in the modes a PNG may arrive in: flat, with strokes, with ink up to every edge."""
    mode = draw(st.sampled_from(MODES))
    size = (draw(st.integers(1, 40)), draw(st.integers(1, 30)))
    bands = len(Image.new(mode, (1, 1)).getbands())
    colour = st.tuples(*[st.integers(0, 255)] * bands) if mode != "P" else st.integers(0, 255)
    image = Image.new(mode, size, draw(colour))
    pen = ImageDraw.Draw(image)
    for _ in range(draw(st.integers(0, 3))):
        xs = sorted(draw(st.integers(0, size[0] - 1)) for _ in range(2))
        ys = sorted(draw(st.integers(0, size[1] - 1)) for _ in range(2))
        pen.rectangle([xs[0], ys[0], xs[1], ys[1]], fill=draw(colour))
    return image


@given(canvases())
def test_the_blank_check_says_what_the_rule_says(image: Image.Image) -> None:
    assert _blank(image) is blank_as_specified(image)


@pytest.mark.parametrize("image, blank", [
    (Image.new("RGBA", (600, 200), (0, 0, 0, 0)), True),  # the untouched tablet canvas
    (Image.new("RGBA", (600, 200), (255, 255, 255, 255)), True),  # an opaque white one
    (Image.new("RGBA", (600, 200), (17, 17, 17, 128)), True),  # one flat translucent colour
    (Image.new("RGB", (600, 200), (255, 255, 255)), True),
])
def test_flat_canvases_are_blank(image: Image.Image, blank: bool) -> None:
    assert _blank(image) is blank


def test_ink_to_every_edge_is_not_blank() -> None:
    """The alpha's bounding box is the whole canvas, so the check goes on to the colours."""
    image = Image.new("RGBA", (60, 20), (0, 0, 0, 255))
    ImageDraw.Draw(image).line([(0, 10), (59, 10)], fill=(200, 0, 0, 255), width=3)
    assert not _blank(image)


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _signatures() -> list[Image.Image]:
    """A stroke like the tablet's, saved in each mode a PNG may use."""
    stroke = Image.open(io.BytesIO(base64.b64decode(drawn_signature((700, 240)).split(",", 1)[1])))
    stroke.load()
    return [stroke, stroke.convert("RGB"), stroke.convert("LA"), stroke.convert("L"),
            stroke.convert("RGB").convert("P", palette=Image.Palette.ADAPTIVE)]


@pytest.mark.parametrize("index", range(5), ids=["RGBA", "RGB", "LA", "L", "P"])
def test_the_pdf_from_the_forms_pixels_is_the_pdf_from_the_png(index: int) -> None:
    png = _png(_signatures()[index])
    checked, image = decode_signature("data:image/png;base64," + base64.b64encode(png).decode())
    assert checked == png
    record = specimen_record()
    record["signature"]["image_sha256"] = hashlib.sha256(png).hexdigest()
    assert render_consent_pdf(record, png, image) == render_consent_pdf(record, png)


def test_a_blank_png_is_still_refused() -> None:
    png = _png(Image.new("RGBA", (700, 240), (0, 0, 0, 0)))
    with pytest.raises(ValidationError, match="empty"):
        decode_signature("data:image/png;base64," + base64.b64encode(png).decode())


def test_a_signed_consent_stores_the_pdf_its_record_and_png_render(app, wizard) -> None:  # noqa: ANN001
    """The seal is an incremental update, so the stored file begins with the rendered PDF, byte for byte."""
    response = wizard.complete(app, "co2_laser", signature_data=drawn_signature((1400, 480)))
    assert response.status_code == 302 and response.headers["Location"].endswith("/consent/done")
    [consent] = consents(app)
    [original] = consent.documents
    assert consent.record["signature"]["image_sha256"] == hashlib.sha256(consent.signature_png).hexdigest()
    assert original.pdf.startswith(render_consent_pdf(consent.record, consent.signature_png))  # type: ignore[arg-type]


def test_a_drawn_checkin_stores_the_pdf_its_record_and_png_render(app) -> None:  # noqa: ANN001
    png, image = decode_signature(drawn_signature((1400, 480)))
    signature = SignatureInput(method="drawn", png=png, typed_name=None, printed_name="COURSE PATIENT", image=image)
    checkin = signed_checkin(app, signature=signature)
    assert checkin.record["signature"]["image_sha256"] == hashlib.sha256(png).hexdigest()
    assert checkin.pdf.startswith(render_checkin_pdf(checkin.record, png))
