"""The queue index carries the folded patient name

Revision ID: 0020
Revises: 0019

ix_consents_queue (status, severity_rank, created_at DESC), ix_consents_queue_modality (status, modality,
severity_rank, created_at DESC) and ix_consents_created_at gain patient_name_folded as their last column, so a
name search in the doctors' queue or the desk's find is answered from the range it lists, in its order, without
reading the whole name index and then each matching row (README "Name search"). On PostgreSQL, statistics on status and severity_rank together
(CREATE STATISTICS ... mcv) let the planner see that few submitted consents carry a flag, so the working
list reads those index ranges instead of scanning the table. No stored document is touched.
"""
import sqlalchemy as sa
from alembic import op

revision = "0020"
down_revision = "0019"
branch_labels = None
depends_on = None


INDEXES = {"ix_consents_queue": ["status", "severity_rank", sa.text("created_at DESC")],
           "ix_consents_queue_modality": ["status", "modality", "severity_rank", sa.text("created_at DESC")],
           "ix_consents_created_at": ["created_at"]}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.drop_index(name, table_name="consents")
        op.create_index(name, "consents", [*columns, "patient_name_folded"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE STATISTICS IF NOT EXISTS consents_status_severity (mcv) ON status, severity_rank "
                   "FROM consents")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP STATISTICS IF EXISTS consents_status_severity")
    for name, columns in INDEXES.items():
        op.drop_index(name, table_name="consents")
        op.create_index(name, "consents", columns)
