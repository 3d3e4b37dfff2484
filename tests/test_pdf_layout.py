"""Where the consent PDF draws what its meaning depends on, read back from the PDF itself (tests.pdf_layout).

A decision belongs in the frame the original reserved for it and must hide the decisions before it (two
readable decisions on top of one another are unreadable on paper); the frame, the patient's signature and the
flags box must not cover one another or run off the page, where a printer would cut them.
"""

from __future__ import annotations

import copy
import io
from itertools import combinations
from pathlib import Path

import pytest
from pypdf import PdfReader

from kiosk.documents.pdf.style import SEVERITY_COLOURS
from kiosk.documents.sealing import REVIEW_FIELD_PREFIX
from tests.factories.specimen import specimen_record
from tests.pdf_layout import Box, drawn, drawn_in_form, inside, overlap, page_box, rectangle, review_frame, widgets
from tests.test_pdf_review import _review, _revise, _sealed

EDGE = 28.35  # 1 cm: what a printer may leave unprinted at each edge of the sheet
BACKGROUNDS = {tuple(round(c * 255) for c in background.rgb()) for _border, background in SEVERITY_COLOURS.values()}


def _close(one: Box, other: Box, tolerance: float = 0.01) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(one, other))


def _typed(record: dict) -> dict:
    record = copy.deepcopy(record)
    record["signature"].update(method="typed", typed_name=record["patient"]["full_name"], image_sha256=None)
    return record


@pytest.fixture(scope="module", params=["drawn", "typed"])
def decided_twice(request: pytest.FixtureRequest, signing_key_file: Path) -> tuple[bytes, bytes, int]:
    """A sealed consent with flags, the same file after two decisions (revisions 2 and 3), and its images."""
    record = specimen_record() if request.param == "drawn" else _typed(specimen_record())
    original = _sealed(signing_key_file, record)
    second = _revise(signing_key_file, original, _review(original))
    third = _revise(signing_key_file, second, _review(original, revision=3, decision="not_cleared",
                                                      note="Seen again: not this year."))
    return original, third, 1 if request.param == "drawn" else 0


def test_every_decision_covers_exactly_the_reserved_frame_and_hides_the_ones_before(
        decided_twice: tuple[bytes, bytes, int]) -> None:
    original, pdf, _images = decided_twice
    page, frame = review_frame(original)
    assert review_frame(pdf) == (page, frame)  # a decision never moves the frame
    assert inside(frame, page_box(pdf, page), EDGE)
    decisions = widgets(pdf, REVIEW_FIELD_PREFIX)
    assert [name for _page, name, _rect in decisions] == [f"{REVIEW_FIELD_PREFIX}2", f"{REVIEW_FIELD_PREFIX}3"]
    for on_page, name, rect in decisions:
        assert on_page == page and _close(rect, frame), (name, rect, frame)
    reader = PdfReader(io.BytesIO(pdf))
    for annotation in reader.pages[page]["/Annots"]:
        widget = annotation.get_object()
        if not str(widget.get("/T", "")).startswith(REVIEW_FIELD_PREFIX):
            continue
        appearance = widget["/AP"]["/N"].get_object()
        bbox = rectangle(appearance["/BBox"])
        painted = drawn_in_form(reader, appearance)
        # the first thing painted is an opaque white sheet over the whole appearance: earlier decisions vanish
        # under it (pyHanko writes the box in whole points, so the sheet may overhang it by less than one)
        assert painted, f"{widget['/T']} paints nothing opaque: the decisions before it would show through"
        first = painted[0]
        assert first.kind == "fill" and first.colour == (255, 255, 255), first
        assert inside(bbox, first.box) and inside(first.box, bbox, -1.0), (first.box, bbox)


def test_signature_flags_box_and_frame_stay_apart_and_on_the_page(decided_twice: tuple[bytes, bytes, int]) -> None:
    original, pdf, images = decided_twice
    reader = PdfReader(io.BytesIO(pdf))
    frame_page, frame = review_frame(original)
    placed: list[tuple[str, int, Box]] = [("reserved frame", frame_page, frame)]
    flags_box = None
    for index in range(len(reader.pages)):
        for item in drawn(reader, index):
            if item.kind == "image":
                placed.append(("signature", index, item.box))
            elif flags_box is None and item.colour in BACKGROUNDS:
                flags_box = ("flags box", index, item.box)  # the first severity-coloured box: the answers come after
    assert flags_box is not None
    placed.append(flags_box)
    assert len([p for p in placed if p[0] == "signature"]) == images  # the drawn signature is the only image
    for name, index, box in placed:
        assert inside(box, page_box(pdf, index), EDGE), (name, index, box)
    for (name, index, box), (other, other_index, other_box) in combinations(placed, 2):
        assert index != other_index or not overlap(box, other_box), (name, other, index, box, other_box)
