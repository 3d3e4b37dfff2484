"""One document model: every consent and check-in is a document with an ordered chain of sealed revisions

Revision ID: 0013
Revises: 0012

Before: consent PDFs in consent_documents rows, a check-in's one PDF in two columns of checkins, the
verification code in a column of consents, and decisions in two tables (consent_reviews, checkin_reviews)
repeating the same columns. After: `documents` (one row per consent or check-in, keyed by the public
document id, with its verification code), `document_revisions` (every PDF revision, its bytes and SHA-256)
and `decisions` (every doctor's decision, on either kind, naming the revision that carries it).

Stored PDFs are copied inside the database (INSERT ... SELECT), byte for byte. Every SHA-256 is checked
before the copy (the stored bytes must match their stored hash) and after it (the copy must match the
same hash, and every source row must have arrived); on any mismatch the migration raises, and the whole
upgrade rolls back (SQLite and PostgreSQL both run it in one transaction: kiosk.core.db.make_engine).

The downgrade puts everything back, and refuses (changing nothing) if a check-in has a sealed revision
after the patient's, which the old shape had no place for.
"""
import hashlib

import sqlalchemy as sa
from alembic import op

import kiosk.core.db

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


class MigrationRefused(RuntimeError):
    """A stored PDF does not match its SHA-256, or the copy lost a row: nothing is changed."""


def _check_hashes(rows: sa.CursorResult, where: str) -> dict[str, int]:
    """Every (key, pdf, sha256) row's bytes must hash to its stored SHA-256; returns a count per SHA-256."""
    seen: dict[str, int] = {}
    for key, pdf, sha256 in rows:
        actual = hashlib.sha256(bytes(pdf)).hexdigest()
        if actual != sha256:
            raise MigrationRefused(f"{where} {key}: the stored PDF's SHA-256 is {actual}, the stored hash says "
                                   f"{sha256}; nothing was migrated")
        seen[sha256] = seen.get(sha256, 0) + 1
    return seen


def _recreate_queue_indexes() -> None:
    """SQLite's table rebuild loses the DESC order of the queue indexes (0003): make them again as they were."""
    if op.get_bind().dialect.name != "sqlite":
        return
    for name, columns in (("ix_consents_queue", ["status", "severity_rank"]),
                          ("ix_consents_queue_modality", ["status", "modality", "severity_rank"])):
        op.drop_index(name, table_name="consents")
        op.create_index(name, "consents", [*columns, sa.text("created_at DESC")])


def _rebuild() -> str:
    """SQLite changes these tables by rebuilding them; PostgreSQL alters them in place."""
    return "always" if op.get_bind().dialect.name == "sqlite" else "never"


def upgrade() -> None:
    bind = op.get_bind()
    before = _check_hashes(bind.execute(sa.text("SELECT id, pdf, sha256 FROM consent_documents")), "consent PDF row")
    for sha256, count in _check_hashes(bind.execute(sa.text(
            "SELECT document_id, pdf, pdf_sha256 FROM checkins WHERE pdf IS NOT NULL")), "check-in").items():
        before[sha256] = before.get(sha256, 0) + count

    op.create_table(
        "documents",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("verification_code", sa.String(length=16), nullable=True),
        sa.Column("created_at", kiosk.core.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("verification_code"),
    )
    op.create_table(
        "document_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.String(length=32), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", kiosk.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("document_id", "revision"),
    )
    op.create_index("ix_document_revisions_document_id", "document_revisions", ["document_id"])
    op.create_index("ix_document_revisions_sha256", "document_revisions", ["sha256"])
    op.create_table(
        "decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.String(length=32), nullable=False),
        sa.Column("doctor_id", sa.Integer(), nullable=False),
        sa.Column("doctor_name", sa.String(length=200), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("meaning", sa.Text(), nullable=False),
        sa.Column("at", kiosk.core.db.UTCDateTime(), nullable=False),
        sa.Column("document_revision", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["doctor_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["document_id"], ["documents.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_decisions_document_id", "decisions", ["document_id"])
    if bind.dialect.name == "postgresql":  # as 0009: PDFs are compressed already
        op.execute("ALTER TABLE document_revisions ALTER COLUMN pdf SET STORAGE EXTERNAL")

    op.execute("INSERT INTO documents (id, kind, verification_code, created_at) "
               "SELECT document_id, 'consent', verification_code, created_at FROM consents")
    op.execute("INSERT INTO documents (id, kind, verification_code, created_at) "
               "SELECT document_id, 'checkin', NULL, created_at FROM checkins")
    op.execute("INSERT INTO document_revisions (document_id, revision, kind, pdf, sha256, created_at) "
               "SELECT c.document_id, d.revision, d.kind, d.pdf, d.sha256, d.created_at "
               "FROM consent_documents d JOIN consents c ON c.id = d.consent_id ORDER BY d.id")
    op.execute("INSERT INTO document_revisions (document_id, revision, kind, pdf, sha256, created_at) "
               "SELECT document_id, 1, 'patient_signed', pdf, pdf_sha256, COALESCE(signed_at, created_at) "
               "FROM checkins WHERE pdf IS NOT NULL ORDER BY id")
    after = _check_hashes(bind.execute(sa.text("SELECT id, pdf, sha256 FROM document_revisions")), "copied revision")
    if after != before:
        raise MigrationRefused(f"{sum(before.values())} PDFs to copy, {sum(after.values())} copied with matching "
                               "hashes; nothing was migrated")
    op.execute("INSERT INTO decisions (document_id, doctor_id, doctor_name, decision, note, meaning, at, "
               "document_revision) SELECT c.document_id, r.doctor_id, r.doctor_name, r.decision, r.note, r.meaning, "
               "r.at, r.document_revision FROM consent_reviews r JOIN consents c ON c.id = r.consent_id ORDER BY r.id")
    op.execute("INSERT INTO decisions (document_id, doctor_id, doctor_name, decision, note, meaning, at, "
               "document_revision) SELECT c.document_id, r.doctor_id, r.doctor_name, r.decision, r.note, r.meaning, "
               "r.at, NULL FROM checkin_reviews r JOIN checkins c ON c.id = r.checkin_id ORDER BY r.id")

    op.drop_table("consent_reviews")
    op.drop_table("checkin_reviews")
    op.drop_table("consent_documents")
    op.drop_index("ix_consents_verification_code", table_name="consents")
    with op.batch_alter_table("consents", schema=None, recreate=_rebuild()) as batch_op:
        batch_op.drop_column("verification_code")
        batch_op.create_foreign_key("fk_consents_document_id_documents", "documents", ["document_id"], ["id"])
    _recreate_queue_indexes()
    with op.batch_alter_table("checkins", schema=None, recreate=_rebuild()) as batch_op:
        batch_op.drop_column("pdf")
        batch_op.drop_column("pdf_sha256")
        batch_op.create_foreign_key("fk_checkins_document_id_documents", "documents", ["document_id"], ["id"])


def downgrade() -> None:
    bind = op.get_bind()
    later = bind.execute(sa.text("SELECT count(*) FROM document_revisions r JOIN documents d ON d.id = r.document_id "
                                 "WHERE d.kind = 'checkin' AND r.revision > 1")).scalar()
    if later:
        raise MigrationRefused(f"{later} sealed check-in revision(s) after the patient's signature have no place "
                               "in the schema before 0013; nothing was changed")
    before = _check_hashes(bind.execute(sa.text("SELECT id, pdf, sha256 FROM document_revisions")), "revision")

    with op.batch_alter_table("checkins", schema=None, recreate=_rebuild()) as batch_op:
        batch_op.drop_constraint("fk_checkins_document_id_documents", type_="foreignkey")
        batch_op.add_column(sa.Column("pdf", sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column("pdf_sha256", sa.String(length=64), nullable=True))
    with op.batch_alter_table("consents", schema=None, recreate=_rebuild()) as batch_op:
        batch_op.drop_constraint("fk_consents_document_id_documents", type_="foreignkey")
        batch_op.add_column(sa.Column("verification_code", sa.String(length=16), nullable=True))
    _recreate_queue_indexes()
    op.create_index("ix_consents_verification_code", "consents", ["verification_code"], unique=True)
    op.create_table(
        "consent_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consent_id", sa.Integer(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("pdf", sa.LargeBinary(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("created_at", kiosk.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["consent_id"], ["consents.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("consent_id", "revision"),
    )
    op.create_index("ix_consent_documents_consent_id", "consent_documents", ["consent_id"])
    def review_columns() -> list[sa.schema.SchemaItem]:
        return [
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("doctor_id", sa.Integer(), nullable=False),
        sa.Column("doctor_name", sa.String(length=200), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("meaning", sa.Text(), nullable=False),
        sa.Column("at", kiosk.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["doctor_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        ]

    op.create_table("consent_reviews", sa.Column("consent_id", sa.Integer(), nullable=False),
                    sa.Column("document_revision", sa.Integer(), nullable=False),
                    sa.ForeignKeyConstraint(["consent_id"], ["consents.id"]),
                    *review_columns())
    op.create_index("ix_consent_reviews_consent_id", "consent_reviews", ["consent_id"])
    op.create_table("checkin_reviews", sa.Column("checkin_id", sa.Integer(), nullable=False),
                    sa.ForeignKeyConstraint(["checkin_id"], ["checkins.id"]),
                    *review_columns())
    op.create_index("ix_checkin_reviews_checkin_id", "checkin_reviews", ["checkin_id"])
    if bind.dialect.name == "postgresql":
        for table, column in (("consent_documents", "pdf"), ("checkins", "pdf")):
            op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET STORAGE EXTERNAL")

    op.execute("UPDATE consents SET verification_code = "
               "(SELECT d.verification_code FROM documents d WHERE d.id = consents.document_id)")
    op.execute("INSERT INTO consent_documents (consent_id, revision, kind, pdf, sha256, created_at) "
               "SELECT c.id, r.revision, r.kind, r.pdf, r.sha256, r.created_at FROM document_revisions r "
               "JOIN consents c ON c.document_id = r.document_id ORDER BY r.id")
    op.execute("UPDATE checkins SET "
               "pdf = (SELECT r.pdf FROM document_revisions r WHERE r.document_id = checkins.document_id "
               "AND r.revision = 1), "
               "pdf_sha256 = (SELECT r.sha256 FROM document_revisions r WHERE r.document_id = checkins.document_id "
               "AND r.revision = 1)")
    after = _check_hashes(bind.execute(sa.text("SELECT id, pdf, sha256 FROM consent_documents")), "consent PDF row")
    for sha256, count in _check_hashes(bind.execute(sa.text(
            "SELECT document_id, pdf, pdf_sha256 FROM checkins WHERE pdf IS NOT NULL")), "check-in").items():
        after[sha256] = after.get(sha256, 0) + count
    if after != before:
        raise MigrationRefused("the PDFs copied back do not match the stored revisions; nothing was changed")
    op.execute("INSERT INTO consent_reviews (consent_id, document_revision, doctor_id, doctor_name, decision, "
               "note, meaning, at) SELECT c.id, r.document_revision, r.doctor_id, r.doctor_name, r.decision, "
               "r.note, r.meaning, r.at FROM decisions r JOIN consents c ON c.document_id = r.document_id ORDER BY r.id")
    op.execute("INSERT INTO checkin_reviews (checkin_id, doctor_id, doctor_name, decision, note, meaning, at) "
               "SELECT c.id, r.doctor_id, r.doctor_name, r.decision, r.note, r.meaning, r.at "
               "FROM decisions r JOIN checkins c ON c.document_id = r.document_id ORDER BY r.id")
    op.drop_table("decisions")
    op.drop_table("document_revisions")
    op.drop_table("documents")
