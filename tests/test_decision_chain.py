"""Decisions without a limit: a consultation, a no-show, another consultation... each is a sealed revision.

Every decision's appearance covers the whole reserved frame on top of the earlier ones, so the twentieth
decision is recorded like the first. The patient's seal and every doctor's seal stay valid in every later
revision, for pyHanko and for poppler's `pdfsig`.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from flask import Flask
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from kiosk.documents.sealing import run_sync
from tests.helpers import pdf_text
from tests.test_pdfa import preflight
from tests.test_seal import run_verify, upload
from tests.support import need
from tests.test_doctor import STOP_AND_REVIEW, decide, doctor_client, load, signed_consent

DECISIONS = ("consultation", "not_cleared", "cleared")


def _pdfsig(pdf: bytes) -> str:
    """poppler's own verdict on every signature in the file."""
    need(shutil.which("pdfsig") is not None, "poppler's pdfsig (Debian package poppler-utils)")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "revision.pdf"
        path.write_bytes(pdf)
        return subprocess.run(["pdfsig", "-nocert", str(path)], capture_output=True, text=True, timeout=120).stdout


def _pyhanko(app: Flask, pdf: bytes) -> list[Any]:
    from kiosk.core.web import seal_key

    with app.app_context():
        context = ValidationContext(trust_roots=[seal_key().certificate], allow_fetching=False)
    reader = PdfFileReader(io.BytesIO(pdf))
    return [run_sync(async_validate_pdf_signature(sig, signer_validation_context=context))
            for sig in reader.embedded_signatures]


def _review_page_widgets(pdf: bytes) -> list[str]:
    """The signature widgets on the page holding the reserved frame, in painting order (last on top)."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    for index in range(int(reader.root["/Pages"]["/Count"])):
        page = reader.find_page_for_modification(index)[0].get_object()
        names = [str(a.get_object().get("/T")) for a in page.get("/Annots") or []
                 if a.get_object().get("/FT") == "/Sig" and str(a.get_object().get("/T")).startswith("DoctorReview")]
        if names:
            return names
    return []


def test_twenty_decisions_on_one_consent_are_all_stored_sealed_and_valid(app: Flask, wizard: Any, tmp_path: Path,
                                                                        staff: dict[str, str]) -> None:
    document_id = signed_consent(app, wizard, yes=STOP_AND_REVIEW, name="María José Fernández-Villalobos")
    client = doctor_client(app)
    long_note = ("Seen in person; the patient asked about downtime and scarring. " * 62)[:3960]
    for n in range(20):
        note = long_note if n in (1, 19) else f"Decision {n + 1}: see the notes."
        response = decide(client, document_id, decision=DECISIONS[n % 3], note=note)
        assert response.status_code == 302, response.get_data(as_text=True)[:400]

    consent = load(app, document_id)
    assert [d.revision for d in consent.documents] == list(range(1, 22))
    assert [d.kind for d in consent.documents] == ["patient_signed"] + ["doctor_review"] * 20
    assert [r.decision for r in consent.reviews] == [DECISIONS[n % 3] for n in range(20)]
    original = consent.documents[0].pdf
    for earlier, later in zip(consent.documents, consent.documents[1:]):
        assert later.pdf.startswith(earlier.pdf)  # every revision holds every earlier one byte for byte
        assert later.pdf.startswith(original)

    last = consent.documents[-1].pdf
    statuses = _pyhanko(app, last)
    assert len(statuses) == 21
    assert all(s.intact and s.valid and s.trusted for s in statuses)
    assert all(s.docmdp_ok for s in statuses[:-1])  # only signing happened after each seal
    report = _pdfsig(last)
    assert report.count("Signature Validation: Signature is Valid.") == 21, report
    for document in consent.documents[1:-1:5]:  # a sample of the intermediate revisions, for poppler too
        assert _pdfsig(document.pdf).count("Signature is Valid.") == document.revision

    # the twentieth revision is as archival as the first: PDF/A-1b for Preflight
    (tmp_path / "revision-21.pdf").write_bytes(last)
    assert preflight([tmp_path / "revision-21.pdf"], tmp_path / "files.txt") == {"revision-21.pdf": []}

    # the decision that counts is drawn last, over the whole frame, and reads as the one that counts
    assert _review_page_widgets(last) == [f"DoctorReview{n}" for n in range(2, 22)]
    text = pdf_text(last)
    assert "The decision that counts (revision 21" in text
    assert "Earlier entries in this frame, oldest first" in text
    assert "7 older entries (revisions 2 to 8)" in text

    # /verify and `flask verify` name each revision's kind and number, and whether a newer one exists; a stored
    # file is known by its SHA-256, so twenty decisions' seals cost nothing to check
    for document in (consent.documents[0], consent.documents[9], consent.documents[-1]):
        html = upload(app, document.pdf).get_data(as_text=True)
        kind = "signed by the patient" if document.revision == 1 else "with the doctor's review"
        assert f"<dd>{document.revision} ({kind})</dd>" in html
        newer = "No, this is the latest revision." if document.revision == 21 else "Yes: revision 21 (with the doctor's review) exists."
        assert newer in html
        (tmp_path / "copy.pdf").write_bytes(document.pdf)
        cli = run_verify(app, tmp_path / "copy.pdf")
        assert cli.returncode == 0 and f"revision: {document.revision} ({kind})" in cli.stdout, cli.stdout + cli.stderr


def test_a_long_note_on_a_second_decision_is_recorded(app: Flask, wizard: Any, staff: dict[str, str]) -> None:
    """The issue's case: a 3,960-character note (under the 4,000 limit) used to fill the frame."""
    document_id = signed_consent(app, wizard, yes=STOP_AND_REVIEW)
    client = doctor_client(app)
    note = ("Long consultation note. " * 200)[:3960]
    assert decide(client, document_id, decision="consultation", note=note).status_code == 302
    assert decide(client, document_id, decision="consultation", note=note).status_code == 302
    assert decide(client, document_id, decision="cleared", note="Final: go ahead.").status_code == 302
    consent = load(app, document_id)
    assert [r.decision for r in consent.reviews] == ["consultation", "consultation", "cleared"]
    text = pdf_text(consent.documents[-1].pdf)
    assert "Final: go ahead." in text and "The decision that counts (revision 4" in text
