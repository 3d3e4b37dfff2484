"""Migration 0013 moves every stored PDF into the one document model byte for byte, and back on a downgrade.

The database is made at revision 0012 (the shape before) with consents, revisions, decisions, a
withdrawal and check-ins, written with plain SQL as the code of that time wrote them. The PDFs are
arbitrary bytes (every byte value, and sizes around a page of storage): the migration never reads a
PDF, it copies bytes and checks their SHA-256.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory

from kiosk.core.db import make_engine
from kiosk.core.migrate import alembic_config

AT = datetime(2026, 11, 2, 9, 30)  # naive UTC, as the UTC columns store it


def _pdf(tag: str, size: int) -> bytes:
    """Bytes that only survive a verbatim copy: every byte value, NULs and invalid UTF-8 included."""
    return b"%PDF-1.4\n" + tag.encode() + bytes(range(256)) * (size // 256)


PDFS = {
    ("CK-20261102-AAAA1111", 1): ("patient_signed", _pdf("a1", 9000)),
    ("CK-20261102-AAAA1111", 2): ("doctor_review", _pdf("a2", 12000)),
    ("CK-20261102-AAAA1111", 3): ("doctor_review", _pdf("a3", 15000)),
    ("CK-20261102-AAAA1111", 4): ("withdrawal", _pdf("a4", 70000)),
    ("CK-20261102-BBBB2222", 1): ("patient_signed", _pdf("b1", 4000)),
}
CHECKIN_PDF = _pdf("c1", 8000)


def _at_0012(url: str) -> sa.Engine:
    """A database at 0012 holding two consents (one decided twice, then withdrawn), a signed and an open check-in."""
    command.upgrade(alembic_config(url), "0012")
    engine = make_engine(url)
    with engine.begin() as c:
        c.execute(sa.text("INSERT INTO users (id, email, name, role, password_hash, active, created_at) VALUES "
                          "(1, 'doctor@x.test', 'Doctor Person', 'doctor', 'x', :t, :at)"), {"t": True, "at": AT})
        for draft in (1, 2, 3, 4):
            c.execute(sa.text("INSERT INTO drafts (id, token, status, language, data, trail, started_by, created_at, "
                              "updated_at) VALUES (:id, :token, 'submitted', 'en', '{}', '{}', 'tablet', :at, :at)"),
                      {"id": draft, "token": f"token-{draft}", "at": AT})
        for consent_id, document_id, code, status in ((1, "CK-20261102-AAAA1111", "AAAA-BBBB-CCCC", "withdrawn"),
                                                      (2, "CK-20261102-BBBB2222", None, "submitted")):
            c.execute(sa.text(
                "INSERT INTO consents (id, document_id, verification_code, draft_id, created_at, status, patient_name, "
                "date_of_birth, modality, language, severity_rank, texts_version, texts_sha256, rules_version, record) "
                "VALUES (:id, :doc, :code, :id, :at, :status, 'María José Núñez', '1990-03-14', 'co2_laser', 'es', 0, "
                "'t', :zero, 'r', '{}')"), {"id": consent_id, "doc": document_id, "code": code, "at": AT,
                                           "status": status, "zero": "0" * 64})
        for (document_id, revision), (kind, pdf) in PDFS.items():
            c.execute(sa.text("INSERT INTO consent_documents (consent_id, revision, kind, pdf, sha256, created_at) "
                              "VALUES (:consent, :revision, :kind, :pdf, :sha, :at)"),
                      {"consent": 1 if "AAAA" in document_id else 2, "revision": revision, "kind": kind, "pdf": pdf,
                       "sha": hashlib.sha256(pdf).hexdigest(), "at": AT})
        for revision, decision in ((2, "consultation"), (3, "cleared")):
            c.execute(sa.text("INSERT INTO consent_reviews (consent_id, doctor_id, doctor_name, decision, note, meaning, "
                              "at, document_revision) VALUES (1, 1, 'Doctor Person', :decision, 'ñ note', 'm', :at, "
                              ":revision)"), {"decision": decision, "revision": revision, "at": AT})
        for checkin_id, document_id, pdf in ((1, "CK-20261110-CCCC3333", CHECKIN_PDF),
                                             (2, "CK-20261111-DDDD4444", None)):
            c.execute(sa.text(
                "INSERT INTO checkins (id, document_id, consent_id, draft_id, status, modality, language, created_at, "
                "signed_at, severity_rank, pdf, pdf_sha256) VALUES (:id, :doc, 2, :draft, :status, 'co2_laser', 'es', "
                ":at, :signed, 1, :pdf, :sha)"),
                {"id": checkin_id, "doc": document_id, "draft": checkin_id + 2, "at": AT,
                 "status": "reviewed" if pdf else "open", "signed": AT if pdf else None, "pdf": pdf,
                 "sha": hashlib.sha256(pdf).hexdigest() if pdf else None})
        c.execute(sa.text("INSERT INTO checkin_reviews (checkin_id, doctor_id, doctor_name, decision, note, meaning, "
                          "at) VALUES (1, 1, 'Doctor Person', 'cleared', NULL, 'm', :at)"), {"at": AT})
    return engine


def _old_shape(engine: sa.Engine) -> dict[str, object]:
    """Everything the 0012 tables hold about documents, as plain values to compare."""
    with engine.connect() as c:
        return {
            "consent_documents": sorted((r.consent_id, r.revision, r.kind, bytes(r.pdf), r.sha256) for r in c.execute(
                sa.text("SELECT consent_id, revision, kind, pdf, sha256 FROM consent_documents"))),
            "consent_reviews": [tuple(r) for r in c.execute(sa.text(
                "SELECT consent_id, decision, note, document_revision FROM consent_reviews ORDER BY id"))],
            "checkins": [(r.document_id, bytes(r.pdf) if r.pdf is not None else None, r.pdf_sha256) for r in c.execute(
                sa.text("SELECT document_id, pdf, pdf_sha256 FROM checkins ORDER BY id"))],
            "checkin_reviews": [tuple(r) for r in c.execute(sa.text(
                "SELECT checkin_id, decision FROM checkin_reviews ORDER BY id"))],
            "codes": [tuple(r) for r in c.execute(sa.text(
                "SELECT document_id, verification_code FROM consents ORDER BY id"))],
        }


def test_the_upgrade_copies_every_pdf_byte_for_byte_and_the_downgrade_puts_everything_back(empty_db_url: str) -> None:
    engine = _at_0012(empty_db_url)
    before = _old_shape(engine)
    config = alembic_config(empty_db_url)
    command.upgrade(config, "head")

    with engine.connect() as c:
        documents = {r.id: (r.kind, r.verification_code) for r in c.execute(sa.text("SELECT * FROM documents"))}
        assert documents == {"CK-20261102-AAAA1111": ("consent", "AAAA-BBBB-CCCC"),
                             "CK-20261102-BBBB2222": ("consent", None),
                             "CK-20261110-CCCC3333": ("checkin", None), "CK-20261111-DDDD4444": ("checkin", None)}
        revisions = {(r.document_id, r.revision): (r.kind, bytes(r.pdf), r.sha256) for r in c.execute(
            sa.text("SELECT document_id, revision, kind, pdf, sha256 FROM document_revisions"))}
        expected = {key: (kind, pdf, hashlib.sha256(pdf).hexdigest()) for key, (kind, pdf) in PDFS.items()}
        expected[("CK-20261110-CCCC3333", 1)] = ("patient_signed", CHECKIN_PDF, hashlib.sha256(CHECKIN_PDF).hexdigest())
        assert revisions == expected
        decisions = [tuple(r) for r in c.execute(sa.text(
            "SELECT document_id, decision, note, document_revision FROM decisions ORDER BY id"))]
        assert decisions == [("CK-20261102-AAAA1111", "consultation", "ñ note", 2),
                             ("CK-20261102-AAAA1111", "cleared", "ñ note", 3),
                             ("CK-20261110-CCCC3333", "cleared", None, None)]
        tables = set(sa.inspect(c).get_table_names())
        assert not tables & {"consent_documents", "consent_reviews", "checkin_reviews"}

    command.downgrade(config, "0012")
    assert _old_shape(engine) == before
    command.upgrade(config, "head")  # and up again, from what the downgrade left
    with engine.connect() as c:
        assert c.execute(sa.text("SELECT count(*) FROM document_revisions")).scalar() == len(PDFS) + 1
    engine.dispose()


def test_an_upgrade_finding_a_pdf_that_does_not_match_its_hash_refuses_and_changes_nothing(empty_db_url: str) -> None:
    engine = _at_0012(empty_db_url)
    with engine.begin() as c:
        c.execute(sa.text("UPDATE consent_documents SET pdf = :pdf WHERE revision = 3"),
                  {"pdf": _pdf("a3", 15000)[:-1] + b"\x00"})  # one byte changed since it was stored
    before = _old_shape(engine)
    with pytest.raises(Exception, match="stored PDF's SHA-256 is .* nothing was migrated"):
        command.upgrade(alembic_config(empty_db_url), "head")
    assert _old_shape(engine) == before
    with engine.connect() as c:
        assert c.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "0012"
        assert "documents" not in set(sa.inspect(c).get_table_names())
    engine.dispose()


def test_a_downgrade_refuses_while_a_checkin_has_a_sealed_decision_revision(empty_db_url: str) -> None:
    engine = _at_0012(empty_db_url)
    config = alembic_config(empty_db_url)
    command.upgrade(config, "head")
    with engine.begin() as c:
        c.execute(sa.text("INSERT INTO document_revisions (document_id, revision, kind, pdf, sha256, created_at) "
                          "VALUES ('CK-20261110-CCCC3333', 2, 'doctor_review', :pdf, :sha, :at)"),
                  {"pdf": b"%PDF-2", "sha": hashlib.sha256(b"%PDF-2").hexdigest(),
                   "at": datetime.now(timezone.utc).replace(tzinfo=None)})
    head = ScriptDirectory.from_config(config).get_current_head()
    with pytest.raises(Exception, match="no place in the schema before 0013; nothing was changed"):
        command.downgrade(config, "0012")
    with engine.connect() as c:  # the later migrations' downgrades, run first, are undone with it (one transaction)
        assert c.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == head
        assert c.execute(sa.text("SELECT count(*) FROM document_revisions")).scalar() == len(PDFS) + 2
    engine.dispose()
