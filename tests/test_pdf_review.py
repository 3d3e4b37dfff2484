"""The doctor's review on a later PDF revision: printed before the audit page, named on it, original untouched."""

from __future__ import annotations

import copy
import hashlib
import io
import re

import pytest
from pypdf import PdfReader

from kiosk.pdf import LABELS, render_consent_pdf
from kiosk.record import Review
from kiosk.specimen import specimen_record, specimen_signature_png

EN = LABELS["en"]
SECTION = f"{EN['review']} {EN['review_doctor']} "  # the section's heading and its first row, nowhere else
MEANING = "By signing I confirm that I reviewed the patient's answers and made this decision."


def _review(**changes: object) -> Review:
    original = render_consent_pdf(specimen_record(), specimen_signature_png())
    review: Review = {
        "doctor_name": "Dra. Łucja Ñáñez-O'Brien",
        "doctor_email": "lucja@clinic.test",
        "decision": "cleared",
        "note": "Isotretinoin stopped in August; skin healed well.\n\nProceed at low density.",
        "decided_at": "2025-11-25T09:15:30+01:00",
        "timezone": "Europe/Madrid",
        "meaning": MEANING,
        "revision": 2,
        "original_sha256": hashlib.sha256(original).hexdigest(),
    }
    review.update(changes)  # type: ignore[typeddict-item]
    return review


def _pages(pdf: bytes) -> list[str]:
    return [re.sub(r"\s+", " ", page.extract_text() or "") for page in PdfReader(io.BytesIO(pdf)).pages]


def _page_of(pages: list[str], text: str) -> int:
    return next(i for i, page in enumerate(pages) if text in page)


@pytest.fixture(scope="module")
def reviewed() -> tuple[Review, list[str]]:
    review = _review()
    return review, _pages(render_consent_pdf(specimen_record(), specimen_signature_png(), review))


def test_without_a_review_the_pdf_is_unchanged() -> None:
    record, png = specimen_record(), specimen_signature_png()
    assert render_consent_pdf(record, png) == render_consent_pdf(record, png, None)
    assert EN["review"] not in " ".join(_pages(render_consent_pdf(record, png)))


def test_review_section_has_doctor_decision_note_time_and_meaning(reviewed: tuple[Review, list[str]]) -> None:
    review, pages = reviewed
    text = " ".join(pages)
    section = text[text.index(SECTION):text.index(EN["audit"])]
    for expected in ("Dra. Łucja Ñáñez-O'Brien", "Cleared for treatment", "Isotretinoin stopped in August",
                     "Proceed at low density.", "2025-11-25 09:15:30 UTC+01:00 (Europe/Madrid)", MEANING,
                     "lucja@clinic.test", "confirmed their identity with their password"):
        assert expected in section, expected


def test_review_comes_after_the_signature_and_before_the_audit_page(reviewed: tuple[Review, list[str]]) -> None:
    _review_, pages = reviewed
    text = " ".join(pages)
    assert text.count(SECTION) == 1
    assert text.index(EN["meaning"]) < text.index(SECTION) < text.index(EN["audit"])
    assert _page_of(pages, SECTION.strip()) < _page_of(pages, EN["audit"])


def test_audit_page_names_the_revision_and_the_original_hash(reviewed: tuple[Review, list[str]]) -> None:
    review, pages = reviewed
    audit = " ".join(pages[_page_of(pages, EN["audit"]):])
    for expected in (EN["audit_review"], review["original_sha256"], "Cleared for treatment", "This file is revision 2",
                     "Dra. Łucja Ñáñez-O'Brien (lucja@clinic.test)"):
        assert expected in audit, expected
    assert "Revision 2" in pages[0]  # said on the first page too


@pytest.mark.parametrize(("decision", "label"), [("not_cleared", "Not cleared for treatment"),
                                                 ("consultation", "Needs a consultation")])
def test_each_decision_prints_in_words(decision: str, label: str) -> None:
    pdf = render_consent_pdf(specimen_record(), specimen_signature_png(), _review(decision=decision, note=None))
    text = " ".join(_pages(pdf))
    assert label in text and EN["review_no_note"] in text


def test_same_review_gives_the_same_bytes_dated_by_the_decision() -> None:
    record, png = specimen_record(), specimen_signature_png()
    first = render_consent_pdf(record, png, _review())
    assert first == render_consent_pdf(record, png, _review())
    reader = PdfReader(io.BytesIO(first))
    assert str(reader.metadata.get("/CreationDate", "")).startswith("D:20251125091530")


def test_a_very_long_note_splits_across_pages() -> None:
    note = "\n".join(f"Line {n}: checked." for n in range(400))
    pages = _pages(render_consent_pdf(specimen_record(), specimen_signature_png(), _review(note=note)))
    text = " ".join(pages)
    assert "Line 0: checked." in text and "Line 399: checked." in text


def test_markup_in_the_note_prints_literally() -> None:
    note = "<b>bold?</b> & <font color=red>x</font>"
    text = " ".join(_pages(render_consent_pdf(specimen_record(), specimen_signature_png(), _review(note=note))))
    assert note in text


def test_a_typed_signature_record_also_takes_a_review() -> None:
    record = copy.deepcopy(specimen_record())
    record["signature"]["method"] = "typed"
    record["signature"]["typed_name"] = record["patient"]["full_name"]
    record["signature"]["image_sha256"] = None
    text = " ".join(_pages(render_consent_pdf(record, None, _review())))
    assert EN["review"] in text and "Cleared for treatment" in text
