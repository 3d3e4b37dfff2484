"""Retention: legal holds, tombstones of removed documents, and audit events that outlive the consent they name

Revision ID: 0016
Revises: 0015

- legal_holds: an admin's hold on a consent (with its check-ins); while one is active, retention removes nothing of it.
- removed_documents: what is left of a document removed after the retention period: its id, kind, each
  revision's SHA-256 and the dates, no personal data.
- audit_events.consent_id loses its foreign key: the append-only log keeps the number of a consent that
  retention removed (the log can be neither updated nor deleted, so the key would forbid any removal).
  On SQLite the table is rebuilt (a new table, the rows copied by INSERT ... SELECT, the old one dropped,
  then its indexes and append-only triggers made again from their own stored SQL); no audit row is changed.

No stored document is touched. The downgrade puts the key back and refuses while any document has been
removed (an audit event would then name a consent that no longer exists).
"""
import re
from collections.abc import Callable

import sqlalchemy as sa
from alembic import op

import kiosk.core.db

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

FK_CLAUSE = "FOREIGN KEY(consent_id) REFERENCES consents (id)"


def upgrade() -> None:
    op.create_table(
        "legal_holds",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("document_id", sa.String(32), sa.ForeignKey("documents.id"), nullable=False, index=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("set_by", sa.String(254), nullable=False),
        sa.Column("set_at", kiosk.core.db.UTCDateTime(), nullable=False),
        sa.Column("lifted_by", sa.String(254), nullable=True),
        sa.Column("lifted_at", kiosk.core.db.UTCDateTime(), nullable=True),
    )
    op.create_table(
        "removed_documents",
        sa.Column("document_id", sa.String(32), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("consent_document_id", sa.String(32), nullable=False),
        sa.Column("sha256s", sa.JSON(), nullable=False),
        sa.Column("signed_at", kiosk.core.db.UTCDateTime(), nullable=True),
        sa.Column("last_activity_at", kiosk.core.db.UTCDateTime(), nullable=False),
        sa.Column("removed_at", kiosk.core.db.UTCDateTime(), nullable=False),
        sa.Column("removed_by", sa.String(254), nullable=False),
    )
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for key in sa.inspect(bind).get_foreign_keys("audit_events"):
            if key["constrained_columns"] == ["consent_id"]:
                op.drop_constraint(key["name"], "audit_events", type_="foreignkey")
        return
    _rebuild_audit_events(lambda sql: re.sub(r",\s*" + re.escape(FK_CLAUSE), "", sql))


def downgrade() -> None:
    bind = op.get_bind()
    removed = bind.execute(sa.text("SELECT count(*) FROM removed_documents")).scalar()
    if removed:
        raise RuntimeError(f"{removed} documents were removed after their retention period; their audit events "
                           "name consents that no longer exist, so the foreign key cannot come back")
    if bind.dialect.name == "postgresql":
        op.create_foreign_key("audit_events_consent_id_fkey", "audit_events", "consents", ["consent_id"], ["id"])
    else:
        _rebuild_audit_events(lambda sql: re.sub(r"\s*\)\s*$", f", \n\t{FK_CLAUSE}\n)", sql))
    op.drop_table("removed_documents")
    op.drop_table("legal_holds")


def _rebuild_audit_events(new_sql: Callable[[str], str]) -> None:
    """SQLite: remake audit_events from its own CREATE statement changed by `new_sql`, rows copied as they are."""
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT type, sql FROM sqlite_master WHERE tbl_name = 'audit_events' "
                                "AND sql IS NOT NULL")).all()
    table_sql = next(sql for kind, sql in rows if kind == "table")
    others = [sql for kind, sql in rows if kind in ("index", "trigger")]
    before = bind.execute(sa.text("SELECT count(*) FROM audit_events")).scalar()
    create = re.sub(r'^CREATE TABLE\s+("?)audit_events\1', "CREATE TABLE audit_events_rebuilt", new_sql(table_sql))
    op.execute(create)
    op.execute("INSERT INTO audit_events_rebuilt SELECT * FROM audit_events")
    op.execute("DROP TABLE audit_events")
    op.execute("ALTER TABLE audit_events_rebuilt RENAME TO audit_events")
    for sql in others:
        op.execute(sql)
    after = bind.execute(sa.text("SELECT count(*) FROM audit_events")).scalar()
    if after != before:
        raise RuntimeError(f"audit_events had {before} rows and has {after} after the rebuild")
