"""Every PDF the app makes names only fonts it embeds: no reader has to substitute a Helvetica it lacks.

Table cells that hold flowables still get a cell font from reportlab (Helvetica unless the table
style says otherwise), so each kind of PDF is listed font by font: the consent (drawn and typed,
flagged), the doctor's review revision, the check-in and the withdrawal, as stored (sealed).
"""

from __future__ import annotations

import hashlib
import io
from datetime import datetime
from pathlib import Path
from collections.abc import Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from kiosk.documents.pdf import render_consent_pdf
from kiosk.documents.pdf import render_withdrawal_appearance
from kiosk.documents.record import ConsentRecord, Review, Withdrawal
from kiosk.review.decisions import revised_pdf
from kiosk.documents.sealing import (REVIEW_FIELD_PREFIX, SealKey, add_signed_revision, load_seal_key, review_area,
                                     seal_pdf)
from kiosk.demo import demo_signature_png
from tests.factories.specimen import specimen_record
from tests.support import SIGNING_PASSPHRASE
from tests.helpers import signed_checkin

EMBEDDED_FONT = "DejaVuSans"


def font_dictionaries(pdf: bytes) -> Iterator[DictionaryObject]:
    """Every font dictionary reachable from the file's trailer, every revision's included, each once."""
    seen: set[int] = set()
    todo: list[Any] = [PdfReader(io.BytesIO(pdf)).trailer]
    while todo:
        obj = todo.pop()
        if isinstance(obj, IndirectObject):
            if obj.idnum in seen:
                continue
            seen.add(obj.idnum)
            obj = obj.get_object()
        if isinstance(obj, DictionaryObject):
            if obj.get("/Type") == "/Font":
                yield obj
            todo += list(obj.values())
        elif isinstance(obj, ArrayObject):
            todo += list(obj)


def fonts(pdf: bytes) -> dict[str, bool]:
    """Every font's /BaseFont and whether its program is in the file."""
    found: dict[str, bool] = {}
    for obj in font_dictionaries(pdf):
        font = obj["/DescendantFonts"][0].get_object() if "/DescendantFonts" in obj else obj
        descriptor = font.get("/FontDescriptor")
        descriptor = descriptor.get_object() if descriptor is not None else {}
        found[str(obj.get("/BaseFont"))] = any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    return found


def assert_only_embedded_fonts(pdf: bytes) -> None:
    listed = fonts(pdf)
    assert listed, "no fonts found: the lister is broken"
    assert all(listed.values()), f"fonts named but not embedded: {sorted(k for k, v in listed.items() if not v)}"
    assert all(EMBEDDED_FONT in name for name in listed), sorted(listed)


@pytest.fixture(scope="module")
def key(signing_key_file: Path) -> SealKey:
    return load_seal_key(signing_key_file, SIGNING_PASSPHRASE)


def _typed(record: ConsentRecord) -> ConsentRecord:
    record["signature"].update(method="typed", typed_name=record["patient"]["full_name"], image_sha256=None)
    return record


@pytest.fixture(scope="module")
def consent_pdf(key: SealKey) -> bytes:
    """The specimen: a drawn signature, a STOP and a REVIEW flag (the flags box), the verification QR table."""
    record = specimen_record()
    assert record["flags"] and record.get("verification")
    return seal_pdf(render_consent_pdf(record, demo_signature_png()), key, clinic_name="Test Clinic",
                    reason="test")


def test_a_consent_names_only_embedded_fonts(consent_pdf: bytes) -> None:
    assert_only_embedded_fonts(consent_pdf)


def test_a_consent_with_a_typed_signature_and_no_flags_names_only_embedded_fonts(key: SealKey) -> None:
    record = _typed(specimen_record(modality="microdermabrasion"))
    record["flags"], record["highest_severity"] = [], None
    assert_only_embedded_fonts(seal_pdf(render_consent_pdf(record, None), key, clinic_name="Test Clinic",
                                        reason="test"))


def test_a_review_revision_names_only_embedded_fonts(consent_pdf: bytes, key: SealKey) -> None:
    review: Review = {
        "doctor_name": "Dra. Łucja Ñáñez", "doctor_email": "lucja@clinic.test", "decision": "not_cleared",
        "note": "Pregnant: no laser until after the birth.", "decided_at": "2025-11-25T09:15:30+01:00",
        "timezone": "Europe/Madrid", "meaning": "I reviewed the answers.", "revision": 2,
        "original_sha256": hashlib.sha256(consent_pdf).hexdigest(),
    }
    revised = revised_pdf(consent_pdf, review, [], "en", key, "Test Clinic")
    assert revised.startswith(consent_pdf)
    assert_only_embedded_fonts(revised)


def test_a_withdrawal_names_only_embedded_fonts(consent_pdf: bytes, key: SealKey) -> None:
    withdrawal: Withdrawal = {
        "revision": 2, "at": "2025-11-26T10:00:00+01:00", "timezone": "Europe/Madrid",
        "recorded_by": "Front Desk (frontdesk@clinic.test)", "how": "In person", "reason": "Moving away.",
        "sessions_done": 1, "original_sha256": hashlib.sha256(consent_pdf).hexdigest()}
    area = review_area(consent_pdf)
    appearance = render_withdrawal_appearance(withdrawal, [], "en", area.right - area.left, area.top - area.bottom)
    revised = add_signed_revision(consent_pdf, key, appearance_pdf=appearance, area=area,
                                  field_name=f"{REVIEW_FIELD_PREFIX}2", signer_name="Front Desk", reason="test",
                                  location="Test Clinic")
    assert revised.startswith(consent_pdf)
    assert_only_embedded_fonts(revised)


def test_a_flagged_checkin_names_only_embedded_fonts(app) -> None:  # noqa: ANN001
    """Through the services the tablet uses, as stored; the first check-in question answered yes flags it."""
    question = app.extensions["kiosk_texts"].rules.checkin_for("microdermabrasion")[0].id
    checkin = signed_checkin(app, (question,), now=datetime(2025, 11, 25, 10, 0, tzinfo=ZoneInfo("Europe/Madrid")))
    assert checkin.pdf.startswith(b"%PDF") and checkin.record["flags"]
    assert_only_embedded_fonts(checkin.pdf)
