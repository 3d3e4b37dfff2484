"""The doctor's review as a signed revision: drawn in the frame the original reserves, before the audit page.

Text is extracted with pypdf, including the review's signature appearance (tests.helpers.pdf_text).
"""

from __future__ import annotations

import copy
import hashlib
import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from kiosk.documents.pdf import LABELS, render_consent_pdf, render_review_appearance
from kiosk.documents.record import ConsentRecord, EarlierDecision, Review
from kiosk.documents.sealing import REVIEW_FIELD_PREFIX, SealError, add_signed_revision, load_seal_key, review_area, seal_pdf
from kiosk.demo import demo_signature_png
from tests.factories.specimen import specimen_record
from tests.support import SIGNING_PASSPHRASE
from tests.helpers import pdf_text

EN = LABELS["en"]
MEANING = "By signing I confirm that I reviewed the patient's answers and made this decision."


def _review(original: bytes, **changes: object) -> Review:
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


def _revise(signing_key_file: Path, pdf: bytes, review: Review, earlier: list[EarlierDecision] | None = None,
            language: str = "en") -> bytes:
    key = load_seal_key(signing_key_file, SIGNING_PASSPHRASE)
    area = review_area(pdf)
    appearance = render_review_appearance(review, earlier or [], language, area.right - area.left,
                                          area.top - area.bottom)
    return add_signed_revision(pdf, key, appearance_pdf=appearance, area=area,
                               field_name=f"{REVIEW_FIELD_PREFIX}{review['revision']}",
                               signer_name=review["doctor_name"], reason="review", location="Test Clinic")


def _sealed(signing_key_file: Path, record: ConsentRecord | None = None, png: bytes | None = None) -> bytes:
    record = record or specimen_record()
    png = demo_signature_png() if png is None and record["signature"]["method"] == "drawn" else png
    return seal_pdf(render_consent_pdf(record, png), load_seal_key(signing_key_file, SIGNING_PASSPHRASE),
                    clinic_name="Test Clinic", reason="test")


@pytest.fixture(scope="module")
def reviewed(signing_key_file: Path) -> tuple[Review, bytes, bytes]:
    original = _sealed(signing_key_file)
    review = _review(original)
    return review, original, _revise(signing_key_file, original, review)


def test_the_original_reserves_a_frame_and_holds_no_review(reviewed: tuple[Review, bytes, bytes]) -> None:
    review, original, _revised = reviewed
    text = pdf_text(original)
    assert EN["review"] in text and "Reserved for the doctor’s review" in text
    assert review["doctor_name"] not in text and "Cleared for treatment" not in text


def test_review_has_doctor_decision_note_time_meaning_revision_and_original_hash(
        reviewed: tuple[Review, bytes, bytes]) -> None:
    review, original, revised = reviewed
    assert revised.startswith(original)
    text = pdf_text(revised)
    section = text[text.index("Reserved for the doctor’s review"):]
    for expected in ("Dra. Łucja Ñáñez-O'Brien", "Cleared for treatment", "Isotretinoin stopped in August",
                     "Proceed at low density.", "2025-11-25 09:15:30 UTC+01:00 (Europe/Madrid)", MEANING,
                     "lucja@clinic.test", "confirmed their identity with their password", "Document revision 2",
                     review["original_sha256"], "incremental update with its own seal"):
        assert expected in section, expected


def test_review_is_after_the_signature_and_before_the_audit_page(reviewed: tuple[Review, bytes, bytes]) -> None:
    _review_, _original, revised = reviewed
    reader = PdfReader(io.BytesIO(revised))
    pages = [page.extract_text() for page in reader.pages]
    review_page = next(n for n, page in enumerate(pages) if "Reserved for the doctor’s review" in page)
    signature_page = next(n for n, page in enumerate(pages) if EN["meaning"] in page)
    audit_page = next(n for n, page in enumerate(pages) if EN["audit"] in page)
    assert signature_page <= review_page < audit_page
    widgets = [a.get_object() for a in reader.pages[review_page].get("/Annots") or []]
    assert [w["/T"] for w in widgets] == ["DoctorReview2"]  # the review is drawn by its own signature


@pytest.mark.parametrize(("decision", "label"), [("not_cleared", "Not cleared for treatment"),
                                                 ("consultation", "Needs a consultation")])
def test_each_decision_prints_in_words(signing_key_file: Path, decision: str, label: str) -> None:
    original = _sealed(signing_key_file)
    text = pdf_text(_revise(signing_key_file, original, _review(original, decision=decision, note=None)))
    assert label in text and EN["review_no_note"] in text


def test_same_review_gives_the_same_appearance_dated_by_the_decision() -> None:
    review = _review(b"original")
    first = render_review_appearance(review, [], "en", 470, 480)
    assert first == render_review_appearance(review, [], "en", 470, 480)
    reader = PdfReader(io.BytesIO(first))
    assert len(reader.pages) == 1
    assert str(reader.metadata.get("/CreationDate", "")).startswith("D:20251125091530")


def test_a_very_long_note_is_all_there(signing_key_file: Path) -> None:
    original = _sealed(signing_key_file)
    note = "\n".join(f"Line {n}: checked." for n in range(400))
    text = pdf_text(_revise(signing_key_file, original, _review(original, note=note)))
    assert "Line 0: checked." in text and "Line 399: checked." in text


def test_markup_in_the_note_prints_literally(signing_key_file: Path) -> None:
    original = _sealed(signing_key_file)
    note = "<b>bold?</b> & <font color=red>x</font>"
    assert note in pdf_text(_revise(signing_key_file, original, _review(original, note=note)))


def test_a_typed_signature_record_also_takes_a_review(signing_key_file: Path) -> None:
    record = copy.deepcopy(specimen_record())
    record["signature"]["method"] = "typed"
    record["signature"]["typed_name"] = record["patient"]["full_name"]
    record["signature"]["image_sha256"] = None
    original = _sealed(signing_key_file, record)
    text = pdf_text(_revise(signing_key_file, original, _review(original)))
    assert "Cleared for treatment" in text


def test_a_pdf_without_a_reserved_frame_is_refused_with_a_reason() -> None:
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    canvas.drawString(100, 100, "not a consent")
    canvas.save()
    with pytest.raises(SealError, match="no area reserved"):
        review_area(buffer.getvalue())
