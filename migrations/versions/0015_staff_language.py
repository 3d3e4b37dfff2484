"""Each member of staff reads the staff pages in their own language, remembered with their account

Revision ID: 0015
Revises: 0014

A new nullable column users.language; empty means the clinic's default language, as before.
"""
import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("users", sa.Column("language", sa.String(length=8), nullable=True))


def downgrade() -> None:
    op.drop_column("users", "language")  # a plain DROP COLUMN (SQLite 3.35+), no rebuild
