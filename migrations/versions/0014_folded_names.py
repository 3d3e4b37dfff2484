"""Name search ignores accents, case and punctuation: consents get a stored folded name with its own index

Revision ID: 0014
Revises: 0013

A Spanish desk types "fernandez", "maria jose" or "oconnor"; the stored names read "Fernández",
"María-José", "O'Connor". The new column patient_name_folded holds kiosk.core.folding.fold_name of the
patient's name ("mariajosefernandez"); the app folds the searched text the same way and compares the two,
the same on SQLite and PostgreSQL. The upgrade fills the column for existing consents (names are never
edited, so it never goes stale). SQLite cannot drop a column default without rebuilding the table, so
there the column keeps the empty default it was added with; the app always writes it. The downgrade drops
the index and the column.
"""
import sqlalchemy as sa
from alembic import op

from kiosk.core.folding import fold_name

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade() -> None:
    op.add_column("consents", sa.Column("patient_name_folded", sa.String(200), nullable=False, server_default=""))
    connection = op.get_bind()
    consents = sa.table("consents", sa.column("id", sa.Integer), sa.column("patient_name", sa.String),
                        sa.column("patient_name_folded", sa.String))
    last = 0
    while True:
        rows = connection.execute(sa.select(consents.c.id, consents.c.patient_name).where(consents.c.id > last)
                                  .order_by(consents.c.id).limit(BATCH)).all()
        if not rows:
            break
        connection.execute(consents.update().where(consents.c.id == sa.bindparam("row_id"))
                           .values(patient_name_folded=sa.bindparam("folded")),
                           [{"row_id": row_id, "folded": fold_name(name)} for row_id, name in rows])
        last = rows[-1][0]
    if connection.dialect.name == "postgresql":
        op.alter_column("consents", "patient_name_folded", server_default=None)
    # INCLUDE id: PostgreSQL answers the name subquery from this index alone (SQLite's indexes hold the row id)
    op.create_index("ix_consents_patient_name_folded", "consents", ["patient_name_folded"], postgresql_include=["id"])


def downgrade() -> None:
    op.drop_index("ix_consents_patient_name_folded", table_name="consents")
    # a plain DROP COLUMN (SQLite 3.35+): a batch rebuild would drop the consents table other tables point at
    op.drop_column("consents", "patient_name_folded")
