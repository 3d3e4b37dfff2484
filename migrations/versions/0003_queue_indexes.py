"""queue indexes in the queue's own order (newest first within a severity), and one per treatment

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.drop_index("ix_consents_queue")
        batch_op.create_index("ix_consents_queue", ["status", "severity_rank", sa.text("created_at DESC")])
        batch_op.create_index("ix_consents_queue_modality",
                              ["status", "modality", "severity_rank", sa.text("created_at DESC")])


def downgrade() -> None:
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.drop_index("ix_consents_queue_modality")
        batch_op.drop_index("ix_consents_queue")
        batch_op.create_index("ix_consents_queue", ["status", "severity_rank", "created_at"])
