"""PostgreSQL stores PDF bytes out of line without trying to compress them (they are compressed already)

Revision ID: 0009
Revises: 0008

With the default EXTENDED storage every insert of a ~100 KB PDF runs pglz over it, which gives up
without saving anything; EXTERNAL skips that attempt. Rows already stored keep their bytes as they are.
Storage is not part of the models, so autogenerate sees no difference; SQLite has no such setting.
"""
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

PDF_COLUMNS = (("consent_documents", "pdf"), ("checkins", "pdf"))


def _set_storage(storage: str) -> None:
    """Set the storage of every PDF column, on PostgreSQL only (elsewhere there is no such setting)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column in PDF_COLUMNS:
        op.execute(f"ALTER TABLE {table} ALTER COLUMN {column} SET STORAGE {storage}")


def upgrade() -> None:
    _set_storage("EXTERNAL")


def downgrade() -> None:
    _set_storage("EXTENDED")  # bytea's default
