"""The consent PDF: what a person (or a court) reads must be there, legible and on the page.

Text is checked as extracted by pypdf (so it is real text, not boxes), and the
geometry of every text run is recomputed from the page content streams with
the fonts' own /Widths, so "nothing runs off the page" is measured, not guessed.
"""

from __future__ import annotations

import copy
import hashlib
import io
import re
from typing import Any

import pytest
from pypdf import PdfReader
from pypdf.generic import ContentStream

from kiosk.documents.pdf import LABELS, MARGIN_X, render_consent_pdf
from kiosk.documents.pdf.labels import labels_for
from kiosk.documents.pdf.text import step_name
from kiosk.documents.record import ConsentRecord
from kiosk.demo import demo_signature_png
from tests.factories.specimen import specimen_record

EN = LABELS["en"]

# --------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------


def _render(record: ConsentRecord, png: bytes | None = None, *, drawn: bool = True) -> PdfReader:
    """Render and parse a record, with the specimen signature when it is drawn."""
    if png is None and drawn and record["signature"]["method"] == "drawn":
        png = demo_signature_png()
    return PdfReader(io.BytesIO(render_consent_pdf(record, png)))


def _texts(reader: PdfReader) -> list[str]:
    return [page.extract_text() or "" for page in reader.pages]


def _squash(text: str) -> str:
    """Remove all whitespace, so a string wrapped over lines can still be found."""
    return re.sub(r"\s+", "", text)


def _typed(record: ConsentRecord, typed_name: str | None = None) -> ConsentRecord:
    record = copy.deepcopy(record)
    record["signature"]["method"] = "typed"
    record["signature"]["typed_name"] = typed_name or record["patient"]["full_name"]
    record["signature"]["image_sha256"] = None
    return record


Matrix = tuple[float, float, float, float, float, float]
IDENTITY: Matrix = (1.0, 0.0, 0.0, 1.0, 0.0, 0.0)


def _mul(m: Matrix, n: Matrix) -> Matrix:
    a, b, c, d, e, f = m
    A, B, C, D, E, F = n
    return (a * A + b * C, a * B + b * D, c * A + d * C, c * B + d * D, e * A + f * C + E, e * B + f * D + F)


def _apply(m: Matrix, x: float, y: float) -> tuple[float, float]:
    a, b, c, d, e, f = m
    return a * x + c * y + e, b * x + d * y + f


def _raw(obj: Any) -> bytes:
    return obj.get_original_bytes() if hasattr(obj, "get_original_bytes") else bytes(obj)


def _layout(reader: PdfReader, page: Any) -> tuple[list[tuple[float, float, float]], list[tuple[float, ...]]]:
    """Return (text runs as (x0, x1, y), image boxes as (x0, y0, x1, y1)) in page space.

    A small interpreter of the PDF text operators: it tracks the CTM, the text
    matrix and font, and measures each shown string with the font's /Widths.
    """
    widths: dict[str, tuple[int, list[float]]] = {}
    for name, ref in (page["/Resources"].get("/Font") or {}).items():
        font = ref.get_object()
        if "/Widths" in font:  # base-14 fonts have none; show() refuses text in them
            widths[name] = (int(font["/FirstChar"]), [float(w) for w in font["/Widths"]])
    xobjects = page["/Resources"].get("/XObject") or {}

    runs: list[tuple[float, float, float]] = []
    images: list[tuple[float, ...]] = []
    ctm, tm, tlm = IDENTITY, IDENTITY, IDENTITY
    font_name, size, leading, tc, tw, tz = "", 0.0, 0.0, 0.0, 0.0, 100.0
    stack: list[tuple[Any, ...]] = []

    def show(data: bytes) -> None:
        nonlocal tm
        assert font_name in widths, f"text shown in {font_name}, which is not an embedded font"
        first, font_widths = widths[font_name]
        w = sum(font_widths[c - first] / 1000 * size + tc + (tw if c == 32 else 0) for c in data) * tz / 100
        m = _mul(tm, ctm)
        (x0, y0), (x1, _) = _apply(m, 0, 0), _apply(m, w, 0)
        runs.append((min(x0, x1), max(x0, x1), y0))
        tm = _mul((1, 0, 0, 1, w, 0), tm)

    def next_line(tx: float, ty: float) -> None:
        nonlocal tm, tlm
        tlm = _mul((1, 0, 0, 1, tx, ty), tlm)
        tm = tlm

    for operands, raw_op in ContentStream(page.get_contents(), reader).operations:
        op = raw_op.decode() if isinstance(raw_op, bytes) else str(raw_op)
        if op == "q":
            stack.append((ctm, font_name, size, leading, tc, tw, tz))
        elif op == "Q":
            ctm, font_name, size, leading, tc, tw, tz = stack.pop()
        elif op == "cm":
            ctm = _mul(tuple(float(v) for v in operands), ctm)  # type: ignore[arg-type]
        elif op == "BT":
            tm = tlm = IDENTITY
        elif op == "Tf":
            font_name, size = str(operands[0]), float(operands[1])
        elif op == "TL":
            leading = float(operands[0])
        elif op == "Tc":
            tc = float(operands[0])
        elif op == "Tw":
            tw = float(operands[0])
        elif op == "Tz":
            tz = float(operands[0])
        elif op == "Td":
            next_line(float(operands[0]), float(operands[1]))
        elif op == "TD":
            leading = -float(operands[1])
            next_line(float(operands[0]), float(operands[1]))
        elif op == "T*":
            next_line(0, -leading)
        elif op == "Tm":
            tlm = tuple(float(v) for v in operands)  # type: ignore[assignment]
            tm = tlm
        elif op == "Tj":
            show(_raw(operands[0]))
        elif op in ("'", '"'):
            if op == '"':
                tw, tc = float(operands[0]), float(operands[1])
            next_line(0, -leading)
            show(_raw(operands[-1]))
        elif op == "TJ":
            for item in operands[0]:
                if isinstance(item, (int, float)) or type(item).__name__ in ("NumberObject", "FloatObject"):
                    tm = _mul((1, 0, 0, 1, -float(item) / 1000 * size * tz / 100, 0), tm)
                else:
                    show(_raw(item))
        elif op == "Do":
            xobject = xobjects[operands[0]].get_object()
            if xobject.get("/Subtype") == "/Image":
                corners = [_apply(ctm, x, y) for x, y in ((0, 0), (1, 0), (0, 1), (1, 1))]
                xs, ys = [c[0] for c in corners], [c[1] for c in corners]
                images.append((min(xs), min(ys), max(xs), max(ys)))
    return runs, images


def _assert_on_page(reader: PdfReader) -> None:
    """Every text run and image lies inside its page's box, and text inside the side margins."""
    for number, page in enumerate(reader.pages, start=1):
        width, height = float(page.mediabox.width), float(page.mediabox.height)
        left, right = MARGIN_X - 0.5, width - MARGIN_X + 0.5
        runs, images = _layout(reader, page)
        assert runs, f"page {number} has no text"
        for x0, x1, y in runs:
            assert left <= x0 and x1 <= right, f"page {number}: text from x={x0:.1f} to {x1:.1f} (page {width:.1f})"
            assert 0 <= y <= height, f"page {number}: text at y={y:.1f}"
        for x0, y0, x1, y1 in images:
            assert 0 <= x0 and x1 <= width and 0 <= y0 and y1 <= height, f"page {number}: image off page"


def _image_pages(reader: PdfReader) -> list[int]:
    """Pages (1-based) that draw an image XObject."""
    return [n for n, page in enumerate(reader.pages, start=1) if _layout(reader, page)[1]]


# --------------------------------------------------------------------------
# the specimen: everything the spec asks for is printed
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def specimen() -> tuple[ConsentRecord, PdfReader, list[str]]:
    record = specimen_record()
    reader = _render(record)
    return record, reader, _texts(reader)


def test_every_page_has_clinic_document_id_and_page_n_of_m(specimen: Any) -> None:
    record, reader, pages = specimen
    total = len(reader.pages)
    assert total >= 3
    for number, text in enumerate(pages, start=1):
        assert record["clinic_name"] in text
        assert record["document_id"] in text
        assert f"Page {number} of {total}" in text


def test_identity_treatment_and_language(specimen: Any) -> None:
    record, _, pages = specimen
    first = pages[0]
    patient, treatment = record["patient"], record["treatment"]
    assert f"Informed consent \u2014 {treatment['modality_title']}" in _squash_keep_spaces(first)
    for value in (patient["full_name"], patient["date_of_birth"], patient["phone"], patient["email"],
                  treatment["area_other"], str(treatment["planned_sessions"]), "English (en)"):
        assert value in first, value
    for area in treatment["areas"]:
        assert area["label"] in first


def _squash_keep_spaces(text: str) -> str:
    return re.sub(r"\s+", " ", text)


def test_texts_are_verbatim(specimen: Any) -> None:
    record, _, pages = specimen
    whole = _squash("".join(pages))
    shown = record["texts"]["shown"]
    assert _squash(shown["summary"]) in whole
    for section in shown["sections"]:
        assert _squash(section["title"]) in whole
        assert _squash(section["text"]) in whole, section["id"]
    for risk in shown["risks"]:
        assert _squash(risk["text"]) in whole, risk["id"]


def test_each_risk_has_title_initials_and_time(specimen: Any) -> None:
    record, _, pages = specimen
    whole = _squash_keep_spaces(" ".join(pages))
    for number, risk in enumerate(record["texts"]["shown"]["risks"], start=1):
        ack = next(a for a in record["risks"] if a["id"] == risk["id"])
        assert f"{number}. {risk['title']}" in whole
        time = ack["acknowledged_at"].replace("T", " ").replace("+01:00", " UTC+01:00")
        assert f"initials {ack['initials']} \u2014 {time}" in whole


def test_every_answer_and_the_flags_are_marked(specimen: Any) -> None:
    record, _, pages = specimen
    whole = _squash("".join(pages))
    for answer in record["answers"]:
        assert _squash(answer["text"]) in whole
        if answer["detail"]:
            assert _squash(answer["detail"]) in whole
    assert _squash("Yes, last dose on 2025-08-15") in whole  # the date question answered with a date
    never = copy.deepcopy(record)
    for answer in never["answers"]:
        if answer["type"] == "date":
            answer["value"] = None
    assert _squash(EN["not_in_12_months"]) in _squash("".join(_texts(_render(never))))  # ... and answered "never"
    for flag in record["flags"]:
        assert _squash(flag["reason"]) in whole
    # The summary box and the answer row both carry the marker; the title block counts them.
    assert whole.count(_squash("[STOP \u2014 doctor must review]")) >= 2
    assert whole.count("[REVIEW]") >= 2
    assert _squash("1 STOP, 1 REVIEW") in whole
    # The summary box comes before the answers (the first answer is not flagged, so its
    # question appears only in the answers table).
    assert not any(f["question"] == record["answers"][0]["question"] for f in record["flags"])
    box_at = whole.index(_squash("For the doctor: 2 flagged answer(s) \u2014 highest: STOP"))
    assert box_at < whole.index(_squash(record["answers"][0]["text"]))


def test_consent_and_signature_block(specimen: Any) -> None:
    record, reader, pages = specimen
    whole = _squash_keep_spaces(" ".join(pages))
    squashed = _squash(whole)
    assert _squash(record["esign_consent"]["statement"]) in squashed
    assert "Agreed at: 2025-11-24 10:42:29 UTC+01:00" in whole
    assert _squash(record["consent_statement"]) in squashed
    assert _squash(record["signature"]["meaning"]) in squashed
    assert "2025-11-24 10:43:01 UTC+01:00 (Europe/Madrid)" in whole
    signature_page = next(n for n, p in enumerate(pages, start=1) if "Printed name" in p)
    assert record["signature"]["printed_name"] in pages[signature_page - 1]
    assert _image_pages(reader) == [signature_page]


def test_audit_page_is_last_and_complete(specimen: Any) -> None:
    record, _, pages = specimen
    start = next(n for n, page in enumerate(pages) if "Audit page" in page)
    audit = "\n".join(pages[start:])  # the audit section runs from its own page to the end
    texts, trail = record["texts"], record["trail"]
    for value in (record["document_id"], record["created_at"].replace("T", " ").replace("+01:00", " UTC+01:00"), texts["version"], texts["common_version"],
                  texts["rules_version"], texts["sha256"], record["signature"]["image_sha256"],
                  trail["started_by"], trail["device_label"], trail["ip_address"]):
        assert value in audit, value
    assert _squash(trail["user_agent"]) in _squash(audit)
    for step in trail["steps"]:
        # "screening" reads "Health questions" (a name may wrap inside its cell)
        assert step_name(step["step"], labels_for("en")) in " ".join(audit.split())
        for moment in (step["shown_at"], step["completed_at"]):
            assert moment.replace("T", " ").replace("+01:00", " UTC+01:00") in audit
        assert f"{step['seconds']:.1f}" in audit
    assert "How to verify this document" in audit and "sha256sum" in audit
    assert "Audit page" not in "".join(pages[:start])


def test_signature_image_hash_in_record_matches_the_specimen_png() -> None:
    record = specimen_record()
    assert record["signature"]["image_sha256"] == hashlib.sha256(demo_signature_png()).hexdigest()


def test_same_record_gives_the_same_bytes() -> None:
    record, png = specimen_record(), demo_signature_png()
    assert render_consent_pdf(record, png) == render_consent_pdf(copy.deepcopy(record), png)


def test_specimen_stays_on_the_page(specimen: Any) -> None:
    _, reader, _ = specimen
    _assert_on_page(reader)


# --------------------------------------------------------------------------
# names in any script a patient may use
# --------------------------------------------------------------------------


@pytest.mark.parametrize("name", [
    "Zo\u00eb \u00d1\u00fa\u00f1ez-\u0141ukasiewicz \u0110or\u0111evi\u0107",
    "\u0391\u03bb\u03b5\u03be\u03ac\u03bd\u03b4\u03c1\u03b1 \u03a0\u03b1\u03c0\u03b1\u03b4\u03bf\u03c0\u03bf\u03cd\u03bb\u03bf\u03c5",
    "\u0410\u043d\u0430\u0441\u0442\u0430\u0441\u0438\u044f \u041a\u0443\u0437\u043d\u0435\u0446\u043e\u0432\u0430",
])
@pytest.mark.parametrize("method", ["drawn", "typed"])
def test_names_in_any_script_are_real_text(name: str, method: str) -> None:
    record = specimen_record(full_name=name)
    if method == "typed":
        record = _typed(record)
    pages = _texts(_render(record))
    # Identity table and the footer on page 1, printed name (and typed signature) later.
    assert pages[0].count(name) >= 2
    signature_page = next(p for p in pages if "Printed name" in p)
    assert signature_page.count(name) >= (3 if method == "typed" else 2)
    assert "\ufffd" not in "".join(pages) and "?" * 3 not in "".join(pages)


# --------------------------------------------------------------------------
# typed versus drawn signature
# --------------------------------------------------------------------------


def test_typed_signature_has_no_image_and_prints_the_name() -> None:
    record = _typed(specimen_record(), typed_name="M. J. N\u00fa\u00f1ez")
    reader = _render(record, drawn=False)
    pages = _texts(reader)
    assert _image_pages(reader) == []
    signature_page = next(p for p in pages if "Printed name" in p)
    assert "M. J. N\u00fa\u00f1ez" in signature_page
    assert EN["typed_signature"] in signature_page
    assert EN["method_typed"] in "".join(pages[next(n for n, p in enumerate(pages) if "Audit page" in p):])


def test_drawn_signature_png_must_match_the_record() -> None:
    record = specimen_record()
    other = demo_signature_png()[:-12] + b"\x00" * 12
    with pytest.raises(ValueError, match="does not match"):
        render_consent_pdf(record, other)


def test_drawn_signature_without_its_png_is_refused() -> None:
    with pytest.raises(ValueError, match="no PNG"):
        render_consent_pdf(specimen_record(), None)


def test_broken_png_is_refused() -> None:
    record = specimen_record()
    record["signature"]["image_sha256"] = None
    with pytest.raises(ValueError, match="cannot be read|not PNG"):
        render_consent_pdf(record, b"\x89PNG\r\n\x1a\nnot really a png")


# --------------------------------------------------------------------------
# hostile and extreme input
# --------------------------------------------------------------------------


def test_markup_in_user_text_prints_literally() -> None:
    name = "<b>O'Brien & Sons</b> <font color=\"red\">&amp;</font> <br/>"
    record = specimen_record(full_name=name)
    record["answers"][1]["detail"] = "<i>not italic</i> & <para>x</para> 5 < 6 > 4"
    record["patient"]["identity_check"] = "<img src=\"x\"/>"
    pages = _texts(_render(_typed(record)))
    whole = "\n".join(pages)
    assert whole.count(name) >= 3  # identity table, footer, printed name, typed signature
    assert "<i>not italic</i> & <para>x</para> 5 < 6 > 4" in whole
    assert "<img src=\"x\"/>" in whole


LONG_NO_SPACES = ("\u0141ukasiewicz\u00d1\u00fa\u00f1ez" * 20)[:200]
LONG_WITH_SPACES = " ".join(["Mar\u00eda Jos\u00e9 N\u00fa\u00f1ez-\u0141ukasiewicz"] * 8)[:200].strip()


@pytest.mark.parametrize("name", [LONG_NO_SPACES, LONG_WITH_SPACES], ids=["no-spaces", "with-spaces"])
@pytest.mark.parametrize("method", ["drawn", "typed"])
def test_200_character_names_wrap_inside_the_page(name: str, method: str) -> None:
    assert len(name) == 200
    record = specimen_record(full_name=name)
    if method == "typed":
        record = _typed(record)
    reader = _render(record)
    _assert_on_page(reader)
    pages = _texts(reader)
    # All 200 characters are printed (over several lines) in the identity table...
    assert _squash(name) in _squash(pages[0])
    # ...and as the printed name (and typed signature) on the signature page.
    signature_page = next(p for p in pages if "Printed name" in p)
    assert _squash(signature_page).count(_squash(name)) >= (2 if method == "typed" else 1)


def test_long_free_text_detail_splits_across_pages() -> None:
    record = specimen_record()
    sentence = "A very long explanation of the scar history."
    record["answers"][2]["detail"] = " ".join([sentence] * 120)
    reader = _render(record)
    _assert_on_page(reader)
    pages = _texts(reader)
    assert sum(1 for page in pages if sentence in page) >= 2  # it did split
    # Between the two halves the extracted text has the answer cell, the page's footer
    # and header and the repeated table header; take those out and the detail reads whole.
    whole = _squash("".join(pages))
    answered = record["answers"][2]["answered_at"].replace("T", " ").replace("+01:00", " UTC+01:00")
    interleaved = [EN["yes"], f"answered {answered}", record["clinic_name"], f"Document {record['document_id']}",
                   f"Patient: {record['patient']['full_name']} \u00b7 born {record['patient']['date_of_birth']}"]
    interleaved += [f"Page {n} of {len(pages)}" for n in range(1, len(pages) + 1)]
    code, url = record["verification"]["code"], record["verification"]["url"]
    interleaved.append(EN["verify_footer"].format(code=code, url=f"{url}?code={code}"))
    interleaved.append(EN["col_no"] + EN["col_question"] + EN["col_answer"])  # repeated table header
    for text in interleaved:
        whole = whole.replace(_squash(text), "")
    assert _squash(f"Detail: {record['answers'][2]['detail']}") in whole


def test_unacknowledged_risk_is_called_out() -> None:
    record = specimen_record()
    missing = record["risks"].pop(2)
    pages = _texts(_render(record))
    whole = "\n".join(pages)
    assert EN["not_acknowledged"] in whole
    assert missing["title"] in whole


def test_no_flags_says_so_and_unknown_language_falls_back_to_english() -> None:
    record = specimen_record()
    record["flags"] = []
    record["highest_severity"] = None
    record["language"] = "xx"
    whole = "\n".join(_texts(_render(record)))
    assert EN["no_flags"] in whole
    assert "Screening answers" in whole and "[STOP" not in whole


def test_long_clinic_name_is_shortened_in_the_header() -> None:
    record = specimen_record()
    record["clinic_name"] = "Cl\u00ednica " + "Muy Larga " * 30
    reader = _render(record)
    _assert_on_page(reader)
    assert record["document_id"] in _texts(reader)[0]
