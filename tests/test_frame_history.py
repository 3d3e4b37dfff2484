"""Every entry in a consent's reserved frame keeps its own space: a doctor's decision drawn after a photo consent
shows that photo consent (still in force) and lists it, a photo consent changed after decisions lists them, a
withdrawal shows both, each in revision order, and every revision's seals stay valid for pyHanko."""

from __future__ import annotations

import io
from typing import Any

from flask import Flask
from pypdf import PageObject, PdfReader
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

from tests.test_decision_chain import _pyhanko, _review_page_widgets
from tests.test_doctor import decide, doctor_client, load, signed_consent
from tests.test_photos import desk_choice, post, signed_in

Line = tuple[str, float, float]  # text, its baseline's y, its font size (points, in the appearance's own space)


def top_appearance_lines(pdf: bytes) -> list[Line]:
    """The text lines the frame shows now: those of the widget painted last over it, with where each is drawn."""
    reader = PdfReader(io.BytesIO(pdf))
    widgets = [a.get_object() for page in reader.pages for a in page.get("/Annots") or []
               if str(a.get_object().get("/T", "")).startswith("DoctorReview")]
    top = widgets[-1]
    holder = PageObject.create_blank_page(width=1000, height=1000)
    holder[NameObject("/Resources")] = DictionaryObject({NameObject("/XObject"): DictionaryObject(
        {NameObject("/Ap"): top["/AP"].raw_get("/N")})})
    content = DecodedStreamObject()
    content.set_data(b"/Ap Do")
    holder.replace_contents(content)
    lines: list[Line] = []

    def visit(text: str, cm: list[float], tm: list[float], _font: Any, size: float) -> None:
        if text.strip():
            lines.append((text.strip(), tm[5] * cm[3] + cm[5], size * abs(tm[3] * cm[3])))

    holder.extract_text(visitor_text=visit)
    return lines


def _matches(text: str, start: str) -> bool:
    """A revision number names its own history cell exactly; any other start begins its line."""
    return text == start if start.isdigit() else text.startswith(start)


def in_order_without_overlap(lines: list[Line], starts: list[str]) -> None:
    """Each named line sits wholly below the one before it: its own space, in the order given."""
    boxes: list[tuple[str, float, float]] = []
    for start in starts:
        hits = [(y, size) for text, y, size in lines if _matches(text, start)
                and (not boxes or y < boxes[-1][1])]
        assert hits, f"{start!r} is not in the frame below {boxes[-1:]}: {[t for t, _y, _s in lines]}"
        y, size = max(hits)  # the first such line below the one before
        boxes.append((start, y - 0.25 * size, y + size))
    for (name_above, above_bottom, _top), (name_below, _bottom, below_top) in zip(boxes, boxes[1:]):
        assert below_top <= above_bottom, f"{name_below!r} overlaps {name_above!r}: {boxes}"


def test_a_decision_after_a_photo_consent_keeps_the_photo_consent_in_view_and_in_order(
        app: Flask, wizard: Any, staff: dict[str, str]) -> None:
    document_id = signed_consent(app, wizard)
    desk = signed_in(app, staff["frontdesk"])
    assert desk_choice(app, desk, document_id, ["record", "teaching"]).status_code == 302  # revision 2
    doctor = doctor_client(app)
    assert decide(doctor, document_id, decision="consultation", note="Come in first").status_code == 302  # 3
    assert decide(doctor, document_id, decision="cleared", note="Fine").status_code == 302  # 4
    assert desk_choice(app, desk, document_id, []).status_code == 302  # 5: no photos after all
    consent = load(app, document_id)
    assert [d.kind for d in consent.documents] == ["patient_signed", "photo_consent", "doctor_review",
                                                   "doctor_review", "photo_consent"]

    third = top_appearance_lines(consent.documents[2].pdf)
    in_order_without_overlap(third, ["The decision that counts (revision 3", "Photo consent in force (revision 2)",
                                     "My health record only", "Earlier entries in this frame", "2"])

    fourth = top_appearance_lines(consent.documents[3].pdf)
    in_order_without_overlap(fourth, ["The decision that counts (revision 4", "Photo consent in force (revision 2)",
                                      "Earlier entries in this frame", "2", "3"])
    assert any(text.startswith("Photo consent. Allowed: My") for text, _y, _s in fourth)
    assert any(text == "Needs a consultation" for text, _y, _s in fourth)

    fifth = top_appearance_lines(consent.documents[4].pdf)
    in_order_without_overlap(fifth, ["Photo consent (revision 5", "No photos may be taken or used.",
                                     "Earlier entries in this frame", "2", "3", "4"])
    assert any(text == "Cleared for treatment" for text, _y, _s in fifth)
    assert not any(text.startswith("Photo consent in force") for text, _y, _s in fifth)  # it is the newest itself

    # a withdrawal keeps the photo consent in view too (photos already taken still follow it)
    withdrawn = post(desk, f"/course/{document_id}", f"/course/{document_id}/withdraw",
                     {"how": "phone", "reason": "Moved abroad", "confirmed": "yes"})
    assert withdrawn.status_code == 302
    consent = load(app, document_id)
    sixth = top_appearance_lines(consent.documents[5].pdf)
    in_order_without_overlap(sixth, ["Consent withdrawn (revision 6", "Photo consent in force (revision 5)",
                                     "No photos may be taken or used.", "Earlier entries in this frame",
                                     "2", "3", "4", "5"])

    # every entry is its own signed revision, painted over the same frame, and every seal holds in every revision
    assert _review_page_widgets(consent.documents[-1].pdf) == [f"DoctorReview{n}" for n in range(2, 7)]
    for document in consent.documents[1:]:
        statuses = _pyhanko(app, document.pdf)
        assert len(statuses) == document.revision
        assert all(s.intact and s.valid and s.trusted for s in statuses)
        assert all(s.docmdp_ok for s in statuses[:-1])


def test_a_long_history_still_fits_the_frame_listing_the_newest_entries_in_order(
        app: Flask, wizard: Any, staff: dict[str, str]) -> None:
    document_id = signed_consent(app, wizard)
    desk = signed_in(app, staff["frontdesk"])
    doctor = doctor_client(app)
    for n in range(8):
        assert desk_choice(app, desk, document_id, ["record"] if n % 2 else ["teaching"]).status_code == 302
        assert decide(doctor, document_id, decision="consultation", note=f"Visit {n + 1}").status_code == 302
    consent = load(app, document_id)
    assert consent.documents[-1].revision == 17
    lines = top_appearance_lines(consent.documents[-1].pdf)
    in_order_without_overlap(lines, ["The decision that counts (revision 17", "Photo consent in force (revision 16)",
                                     "Earlier entries in this frame", "3 older entries (revisions 2 to 4)",
                                     *[str(n) for n in range(5, 17)]])
