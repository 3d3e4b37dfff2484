"""A site's own consent texts folder

Revision ID: 0019
Revises: 0018

- sites.texts_dir: the folder of consent texts a site's patients read, when it is not the installation's
  (KIOSK_CONSENT_TEXTS_DIR). Empty for every existing site, so nothing anyone reads changes.

One new, empty column: no stored document is touched.
"""
import sqlalchemy as sa
from alembic import op

revision = "0019"
down_revision = "0018"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sites") as batch:
        batch.add_column(sa.Column("texts_dir", sa.String(500), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("sites") as batch:
        batch.drop_column("texts_dir")
