"""verification code printed on every page of a consent's sealed PDF

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


# No batch mode: on SQLite it would rebuild the table and lose the DESC order of the queue indexes (0003).
def upgrade() -> None:
    op.add_column("consents", sa.Column("verification_code", sa.String(length=16), nullable=True))
    op.create_index("ix_consents_verification_code", "consents", ["verification_code"], unique=True)


def downgrade() -> None:
    op.drop_index("ix_consents_verification_code", table_name="consents")
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.drop_column("verification_code")
