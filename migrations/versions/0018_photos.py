"""Photo consent and treatment photos (issue 17)

Revision ID: 0018
Revises: 0017

- photo_consents: each choice of what a patient's photos may be used for, naming the sealed revision of the
  consent's document that carries it (the newest choice counts).
- photos: each treatment photo of a session, with its area, view, size and the SHA-256 of the stored bytes.
- photo_blobs: the database's photo store (bytes by key), behind kiosk.photos.storage.PhotoStore.

New tables only: no stored document is touched.
"""
import sqlalchemy as sa
from alembic import op

import kiosk.core.db

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "photo_consents",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("consent_id", sa.Integer(), sa.ForeignKey("consents.id"), nullable=False, index=True),
        sa.Column("uses", sa.JSON(), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("recorded_by", sa.String(254), nullable=False),
        sa.Column("document_revision", sa.Integer(), nullable=False),
        sa.Column("at", kiosk.core.db.UTCDateTime(), nullable=False),
    )
    op.create_table(
        "photos",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("consent_id", sa.Integer(), sa.ForeignKey("consents.id"), nullable=False, index=True),
        sa.Column("session_id", sa.Integer(), sa.ForeignKey("treatment_sessions.id"), nullable=False, index=True),
        sa.Column("area", sa.String(40), nullable=False),
        sa.Column("view", sa.String(16), nullable=False),
        sa.Column("storage_key", sa.String(80), nullable=False, unique=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("taken_by_id", sa.Integer(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("taken_by_name", sa.String(200), nullable=False),
        sa.Column("taken_at", kiosk.core.db.UTCDateTime(), nullable=False),
        sa.Column("deleted_at", kiosk.core.db.UTCDateTime(), nullable=True),
        sa.Column("deleted_by", sa.String(254), nullable=True),
    )
    op.create_table(
        "photo_blobs",
        sa.Column("key", sa.String(80), primary_key=True),
        sa.Column("data", sa.LargeBinary(), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("photo_blobs")
    op.drop_table("photos")
    op.drop_table("photo_consents")
