"""a treatment course: pre-session check-ins, their reviews, and the sessions that took place

Revision ID: 0008
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa
import kiosk.core.db

revision = "0008"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "checkins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.String(length=32), nullable=False),
        sa.Column("consent_id", sa.Integer(), nullable=False),
        sa.Column("draft_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("modality", sa.String(length=40), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=False),
        sa.Column("created_at", kiosk.core.db.UTCDateTime(), nullable=False),
        sa.Column("signed_at", kiosk.core.db.UTCDateTime(), nullable=True),
        sa.Column("highest_severity", sa.String(length=8), nullable=True),
        sa.Column("severity_rank", sa.Integer(), nullable=False),
        sa.Column("texts_version", sa.String(length=40), nullable=True),
        sa.Column("texts_sha256", sa.String(length=64), nullable=True),
        sa.Column("rules_version", sa.String(length=40), nullable=True),
        sa.Column("record", sa.JSON(), nullable=True),
        sa.Column("signature_png", sa.LargeBinary(), nullable=True),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=True),
        sa.Column("issued_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["consent_id"], ["consents.id"]),
        sa.ForeignKeyConstraint(["draft_id"], ["drafts.id"]),
        sa.ForeignKeyConstraint(["issued_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("document_id"),
        sa.UniqueConstraint("draft_id"),
    )
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_checkins_consent_id"), ["consent_id"], unique=False)
        batch_op.create_index("ix_checkins_queue", ["status", "severity_rank"], unique=False)

    op.create_table(
        "checkin_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("checkin_id", sa.Integer(), nullable=False),
        sa.Column("doctor_id", sa.Integer(), nullable=False),
        sa.Column("doctor_name", sa.String(length=200), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("meaning", sa.Text(), nullable=False),
        sa.Column("at", kiosk.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["checkin_id"], ["checkins.id"]),
        sa.ForeignKeyConstraint(["doctor_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("checkin_reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_checkin_reviews_checkin_id"), ["checkin_id"], unique=False)

    op.create_table(
        "treatment_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consent_id", sa.Integer(), nullable=False),
        sa.Column("checkin_id", sa.Integer(), nullable=True),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("session_date", sa.Date(), nullable=False),
        sa.Column("area", sa.Text(), nullable=False),
        sa.Column("settings", sa.Text(), nullable=False),
        sa.Column("anaesthetic_applied_by", sa.String(length=200), nullable=True),
        sa.Column("anaesthetic_minutes", sa.Integer(), nullable=True),
        sa.Column("anaesthetic_product", sa.String(length=200), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=False),
        sa.Column("recorded_by_name", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", kiosk.core.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["checkin_id"], ["checkins.id"]),
        sa.ForeignKeyConstraint(["consent_id"], ["consents.id"]),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("checkin_id"),
    )
    with op.batch_alter_table("treatment_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_treatment_sessions_consent_id"), ["consent_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("treatment_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_treatment_sessions_consent_id"))
    op.drop_table("treatment_sessions")
    with op.batch_alter_table("checkin_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_checkin_reviews_checkin_id"))
    op.drop_table("checkin_reviews")
    with op.batch_alter_table("checkins", schema=None) as batch_op:
        batch_op.drop_index("ix_checkins_queue")
        batch_op.drop_index(batch_op.f("ix_checkins_consent_id"))
    op.drop_table("checkins")
