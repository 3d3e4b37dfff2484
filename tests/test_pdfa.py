"""Every PDF the clinic stores is PDF/A-1b as Apache PDFBox's Preflight judges it, and stays so revision by revision.

The PDFs are made once for the module through the app's own services, as a clinic makes them: a consent signed on
the tablet in English (flagged, reviewed twice by a doctor) and one in Spanish, a check-in, and a withdrawal. Then
one Preflight run (Debian's libpdfbox2-java on a headless JRE; a JVM takes seconds to start) checks them all, and
pyHanko and poppler's pdfsig check that the seals still hold after the doctor's decisions.
"""

from __future__ import annotations

import base64
import io
import re
import shutil
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from pyhanko.pdf_utils.generic import parse_pdf_date
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko_certvalidator import ValidationContext
from pypdf import PdfReader
from sqlalchemy import select

from app import create_app
from kiosk.consent.records import SignatureInput
from kiosk.core import audit
from kiosk.core.models import Consent, User
from kiosk.course import checkins, withdrawal
from kiosk.photos import choices as photos
from kiosk.documents.sealing import run_sync
from kiosk.review import decisions
from kiosk.staff import accounts
from tests.test_pdf_fonts import font_dictionaries
from tests.helpers import STAFF_PASSWORD, drawn_signature, seal_key_of, signed_checkin
from tests.support import SIGNING_PASSPHRASE, WizardDriver, need

JAVA_DIR = Path("/usr/share/java")
# Debian's preflight.jar names no class path of its own; its command-line validator also needs JavaBeans
# Activation and JAXB, which Java 11 and later no longer carry
PREFLIGHT_JARS = ("preflight.jar", "pdfbox2.jar", "fontbox2.jar", "xmpbox.jar", "commons-logging.jar",
                  "javax.activation.jar", "jaxb-api.jar")
INSTALL = ("Debian's PDFBox Preflight on a headless JRE (apt-get install libpdfbox2-java libactivation-java "
           "libjaxb-api-java default-jre-headless)")
TIMEZONE = "Europe/Madrid"
MEANING = "By signing I confirm that I reviewed the patient's answers and made this decision."


# --------------------------------------------------------------------------
# Preflight
# --------------------------------------------------------------------------


def preflight(paths: list[Path], listing: Path) -> dict[str, list[str]]:
    """Preflight's errors for each file, by file name: an empty list is a valid PDF/A-1b file.

    One JVM for all of them: Validator_A1b's batch mode reads the files to check from `listing`.
    """
    java = shutil.which("java")
    need(java is not None and all((JAVA_DIR / jar).is_file() for jar in PREFLIGHT_JARS), INSTALL)
    listing.write_text("".join(f"{path}\n" for path in paths))
    classpath = ":".join(str(JAVA_DIR / jar) for jar in PREFLIGHT_JARS)
    run = subprocess.run([str(java), "-cp", classpath, "org.apache.pdfbox.preflight.Validator_A1b", "batch",
                          str(listing)], capture_output=True, text=True, timeout=600)
    verdicts: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in run.stdout.splitlines():
        verdict = re.match(r"The file (.+) is (not )?a valid PDF/A-1b file", line)
        if verdict:
            current = verdicts.setdefault(verdict.group(1), [])
            if verdict.group(2):
                current.append("")  # invalid even should Preflight list no reason
        elif current is not None and line.strip():
            current.append(line.strip())
    missing = [path.name for path in paths if path.name not in verdicts]
    assert not missing, f"Preflight gave no verdict on {missing}:\n{run.stdout}\n{run.stderr[-3000:]}"
    return {name: [error for error in errors if error] or (["no reason given"] if errors else [])
            for name, errors in verdicts.items()}


# --------------------------------------------------------------------------
# The stored PDFs, made through the services
# --------------------------------------------------------------------------


def _png(data_url: str) -> bytes:
    return base64.b64decode(data_url.split(",", 1)[1])


def _newest_consent(app: Flask) -> Consent:
    session = app.extensions["kiosk_db"]()
    return session.scalars(select(Consent).order_by(Consent.id.desc())).first()


def _sign_on_the_tablet(app: Flask, language: str) -> Consent:
    """A patient signs a flagged CO2-laser consent on the tablet, with a drawn (transparent PNG) signature."""
    wizard = WizardDriver(app.test_client())
    wizard.start(name="Zoë Ñúñez-Łukasiewicz")
    if language != "en":
        wizard.client.post("/language", data={"csrf_token": wizard.token, "lang": language, "next": "/"})
    assert wizard.identity(name="Zoë Ñúñez-Łukasiewicz").status_code == 302
    assert wizard.treatment("co2_laser").status_code == 302
    assert wizard.explanation().status_code == 302
    wizard.risks(app, "co2_laser")
    assert wizard.comprehension(app, "co2_laser").status_code == 302
    yes = {"pregnant": "Doce semanas" if language == "es" else "Twelve weeks", "heart_disease": "Ramipril"}
    assert wizard.screening(app, "co2_laser", yes).status_code == 302
    assert wizard.review().status_code == 302
    assert wizard.sign(signature_data=drawn_signature((1400, 480)), printed_name="ZOË ÑÚÑEZ").status_code == 302
    consent = _newest_consent(app)
    assert consent.language == language
    return consent


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory, template_db: Path, signing_key_file: Path) -> Any:
    """The app on its own SQLite database for the module: PDF/A does not depend on the database."""
    folder = tmp_path_factory.mktemp("pdfa-db")
    shutil.copyfile(template_db, folder / "test.sqlite3")
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret", "DATABASE_URL": f"sqlite:///{folder}/test.sqlite3",
                      "AUTO_MIGRATE": False, "CLINIC_NAME": "Test Clinic", "SIGNING_KEY_FILE": str(signing_key_file),
                      "SIGNING_KEY_PASSPHRASE": SIGNING_PASSPHRASE, "ENV_NAME": "test"})
    session = app.extensions["kiosk_db"]()
    for role, name in (("doctor", "Dra. Łucja Ñáñez-O'Brien"), ("frontdesk", "Front Desk")):
        accounts.create_user(session, email=f"{role}@x.test", role=role, name=name, password=STAFF_PASSWORD)
    session.close()
    yield app
    app.extensions["kiosk_db"].kw["bind"].dispose()


@pytest.fixture(scope="module")
def decided() -> list[datetime]:
    """When the doctor decides, twice: a day and a week after the patient signs (now)."""
    now = datetime.now(ZoneInfo(TIMEZONE)).replace(microsecond=0)
    return [now + timedelta(days=1, hours=2, seconds=7), now + timedelta(days=8, minutes=25)]


@pytest.fixture(scope="module")
def stored(app: Flask, decided: list[datetime]) -> dict[str, bytes]:
    """Every kind of PDF the clinic stores, by file name, as stored."""
    key = seal_key_of(app)
    session = app.extensions["kiosk_db"]()
    who = audit.Who(actor="tests")
    doctor = session.scalar(select(User).where(User.role == "doctor"))
    desk = session.scalar(select(User).where(User.role == "frontdesk"))
    pdfs: dict[str, bytes] = {}

    english = _sign_on_the_tablet(app, "en")
    pdfs["consent-en.pdf"] = english.documents[0].pdf
    for moment, (decision, note) in zip(decided, [("consultation", "Please come in first."),
                                                  ("cleared", "Seen in person: the pregnancy test was negative.")]):
        decisions.decide(session, who, doctor, english.document_id, decision=decision, note=note,
                         password=STAFF_PASSWORD, meaning=MEANING, now=moment, timezone_name=TIMEZONE, seal_key=key,
                         clinic_name="Test Clinic")
    session.expire_all()
    english = session.scalar(select(Consent).where(Consent.document_id == english.document_id))
    pdfs["consent-en-decision-2.pdf"] = english.documents[1].pdf
    pdfs["consent-en-decision-3.pdf"] = english.documents[2].pdf
    texts = app.extensions["kiosk_texts"]
    photos.record_choice(session, who, english, ["record", "teaching"], staff=None, texts=texts,
                         now=decided[1] + timedelta(minutes=5), timezone_name=TIMEZONE, seal_key=key,
                         clinic_name="Test Clinic")
    photos.record_choice(session, who, english, [], staff=desk, texts=texts, now=decided[1] + timedelta(minutes=9),
                         timezone_name=TIMEZONE, seal_key=key, clinic_name="Test Clinic")
    session.expire_all()
    english = session.scalar(select(Consent).where(Consent.document_id == english.document_id))
    pdfs["consent-en-photos-4.pdf"] = english.documents[3].pdf
    pdfs["consent-en-photos-5.pdf"] = english.documents[4].pdf

    spanish = _sign_on_the_tablet(app, "es")
    pdfs["consent-es.pdf"] = spanish.documents[0].pdf
    spanish = session.scalar(select(Consent).where(Consent.document_id == spanish.document_id))
    photos.record_choice(session, who, spanish, ["record", "publicity"], staff=None, texts=texts, now=decided[0],
                         timezone_name=TIMEZONE, seal_key=key, clinic_name="Test Clinic")
    session.expire_all()
    spanish = session.scalar(select(Consent).where(Consent.document_id == spanish.document_id))
    pdfs["consent-es-photos-2.pdf"] = spanish.documents[1].pdf
    withdrawn = withdrawal.withdraw(session, who, desk, spanish.document_id, how="in_person",
                                    reason="Se muda a otra ciudad.", now=decided[1], timezone_name=TIMEZONE,
                                    seal_key=key, clinic_name="Test Clinic")
    pdfs["withdrawal-es.pdf"] = withdrawn.pdf

    question = app.extensions["kiosk_texts"].rules.checkin_for("microdermabrasion")[0].id
    checkin = signed_checkin(app, (question,), signature=SignatureInput(
        method="drawn", png=_png(drawn_signature()), typed_name=None, printed_name="Course Patient"))
    assert checkin.record["flags"]
    pdfs["checkin.pdf"] = checkin.pdf
    checkins.decide(session, who, doctor, checkin.document_id, decision="cleared", note="Seen: go ahead.",
                    password=STAFF_PASSWORD, meaning=MEANING, now=decided[1], timezone_name=TIMEZONE, seal_key=key,
                    clinic_name="Test Clinic")
    session.expire_all()
    pdfs["checkin-decision-2.pdf"] = checkins.get_checkin(session, checkin.document_id).pdf
    session.close()
    return pdfs


@pytest.fixture(scope="module")
def verdicts(stored: dict[str, bytes], tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    folder = tmp_path_factory.mktemp("pdfa")
    paths = []
    for name, pdf in stored.items():
        (folder / name).write_bytes(pdf)
        paths.append(folder / name)
    return preflight(paths, folder / "files.txt")


# --------------------------------------------------------------------------
# Preflight passes on every kind of stored PDF
# --------------------------------------------------------------------------


def test_a_consent_signed_in_english_is_pdf_a_1b(verdicts: dict[str, list[str]]) -> None:
    assert verdicts["consent-en.pdf"] == []


def test_a_consent_signed_in_spanish_is_pdf_a_1b(verdicts: dict[str, list[str]]) -> None:
    assert verdicts["consent-es.pdf"] == []


def test_each_doctors_decision_revision_is_pdf_a_1b(verdicts: dict[str, list[str]]) -> None:
    assert verdicts["consent-en-decision-2.pdf"] == []
    assert verdicts["consent-en-decision-3.pdf"] == []


def test_a_check_in_is_pdf_a_1b(verdicts: dict[str, list[str]]) -> None:
    assert verdicts["checkin.pdf"] == []


def test_a_doctors_decision_on_a_check_in_is_pdf_a_1b(verdicts: dict[str, list[str]]) -> None:
    assert verdicts["checkin-decision-2.pdf"] == []


def test_each_photo_consent_revision_is_pdf_a_1b(verdicts: dict[str, list[str]]) -> None:
    for name in ("consent-en-photos-4.pdf", "consent-en-photos-5.pdf", "consent-es-photos-2.pdf"):
        assert verdicts[name] == [], (name, verdicts[name])


def test_a_withdrawal_is_pdf_a_1b(verdicts: dict[str, list[str]]) -> None:
    assert verdicts["withdrawal-es.pdf"] == []


# --------------------------------------------------------------------------
# What an archive reads, and the seals
# --------------------------------------------------------------------------


def test_the_metadata_names_the_document_its_title_the_clinic_and_the_language(stored: dict[str, bytes]) -> None:
    for name, language in (("consent-en.pdf", "en"), ("consent-es.pdf", "es"), ("checkin.pdf", "en")):
        reader = PdfReader(io.BytesIO(stored[name]))
        xmp, info = reader.xmp_metadata, reader.metadata
        assert xmp is not None and info is not None
        assert re.fullmatch(r"CK-[\w-]+", info["/Subject"]) and xmp.dc_description == {"x-default": info["/Subject"]}
        assert xmp.dc_title == {"x-default": info["/Title"]} and xmp.dc_creator == ["Test Clinic"] == [info["/Author"]]
        assert xmp.dc_language == [language] and reader.trailer["/Root"]["/Lang"] == language
        assert (xmp.pdfaid_part, xmp.pdfaid_conformance) == ("1", "B")
    assert "consentimiento" in PdfReader(io.BytesIO(stored["consent-es.pdf"])).metadata["/Title"].lower()


def test_a_decision_revision_is_dated_by_the_decision(stored: dict[str, bytes], decided: list[datetime]) -> None:
    for name, moment in (("consent-en-decision-2.pdf", decided[0]), ("consent-en-decision-3.pdf", decided[1])):
        reader = PdfReader(io.BytesIO(stored[name]))
        assert parse_pdf_date(reader.metadata["/ModDate"]) == moment
        assert reader.xmp_metadata.xmp_modify_date.replace(tzinfo=timezone.utc) == moment  # pypdf reads it as UTC
    assert parse_pdf_date(PdfReader(io.BytesIO(stored["consent-en.pdf"])).metadata["/ModDate"]) < decided[0]


def _subset_names(pdf: bytes) -> list[str]:
    """The /BaseFont of every font dictionary in the file, every revision's included."""
    return [str(font["/BaseFont"]).lstrip("/") for font in font_dictionaries(pdf)]


def test_every_font_subset_in_a_reviewed_consent_has_a_name_of_its_own(stored: dict[str, bytes]) -> None:
    """ISO 32000-1 9.6.4: the two reviews drawn into the consent bring their own DejaVu subsets."""
    names = _subset_names(stored["consent-en-decision-3.pdf"])
    assert len(names) > len(_subset_names(stored["consent-en.pdf"]))
    assert all(re.fullmatch(r"[A-Z]{6}\+DejaVuSans(-Bold|-Oblique)?", name) for name in names), names
    assert len({name[:6] for name in names}) == len(names), sorted(names)


def _pdfsig(pdf: bytes, folder: Path) -> list[dict[str, str]]:
    """poppler's pdfsig's report of each signature, as "field: value" pairs."""
    need(shutil.which("pdfsig") is not None, "poppler's pdfsig (apt-get install poppler-utils)")
    path = folder / "signed.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, timeout=60, check=True).stdout
    signatures: list[dict[str, str]] = []
    for line in out.splitlines():
        if re.match(r"Signature #\d+:", line):
            signatures.append({})
        elif signatures and line.strip().startswith("- "):
            field, _, value = line.strip()[2:].partition(": ")
            signatures[-1][field] = value
    return signatures


def test_after_two_decisions_every_seal_validates_with_pyhanko_and_pdfsig(app: Flask, stored: dict[str, bytes],
                                                                         tmp_path: Path) -> None:
    original, revised = stored["consent-en.pdf"], stored["consent-en-decision-3.pdf"]
    assert revised.startswith(original) and stored["consent-en-decision-2.pdf"].startswith(original)
    context = ValidationContext(trust_roots=[seal_key_of(app).certificate], allow_fetching=False)
    statuses = [run_sync(async_validate_pdf_signature(signature, signer_validation_context=context))
                for signature in PdfFileReader(io.BytesIO(revised)).embedded_signatures]
    assert [s.bottom_line for s in statuses] == [True, True, True]
    assert statuses[0].modification_level == ModificationLevel.FORM_FILLING and statuses[0].docmdp_ok

    signatures = _pdfsig(revised, tmp_path)
    assert [s["Signature Field Name"] for s in signatures] == ["ClinicSeal", "DoctorReview2", "DoctorReview3"]
    assert all(s["Signature Validation"] == "Signature is Valid." for s in signatures), signatures
    # the patient's seal covers exactly the file as the patient signed it
    assert signatures[0]["Signed Ranges"].endswith(f"- {len(original)}]")


def test_after_decisions_and_two_photo_consents_every_seal_validates_with_pyhanko_and_pdfsig(
        app: Flask, stored: dict[str, bytes], tmp_path: Path) -> None:
    original, revised = stored["consent-en.pdf"], stored["consent-en-photos-5.pdf"]
    assert revised.startswith(stored["consent-en-photos-4.pdf"]) and revised.startswith(original)
    context = ValidationContext(trust_roots=[seal_key_of(app).certificate], allow_fetching=False)
    statuses = [run_sync(async_validate_pdf_signature(signature, signer_validation_context=context))
                for signature in PdfFileReader(io.BytesIO(revised)).embedded_signatures]
    assert [s.bottom_line for s in statuses] == [True] * 5
    assert statuses[0].modification_level == ModificationLevel.FORM_FILLING and statuses[0].docmdp_ok
    signatures = _pdfsig(revised, tmp_path)
    assert [s["Signature Field Name"] for s in signatures] == [
        "ClinicSeal", "DoctorReview2", "DoctorReview3", "DoctorReview4", "DoctorReview5"]
    assert all(s["Signature Validation"] == "Signature is Valid." for s in signatures), signatures
    assert signatures[0]["Signed Ranges"].endswith(f"- {len(original)}]")
