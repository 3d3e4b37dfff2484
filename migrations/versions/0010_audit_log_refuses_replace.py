"""SQLite's audit log also refuses REPLACE and INSERT OR REPLACE

Revision ID: 0010
Revises: 0009

On a conflict, SQLite's REPLACE deletes the old row without firing DELETE triggers (unless a connection
turns recursive_triggers on), so `INSERT OR REPLACE INTO audit_events` with an existing id rewrote or
removed audit rows past the append-only triggers of 0002. A BEFORE INSERT trigger refuses any insert that
names an id already taken; it fires before conflict resolution, whatever the connection's settings.
PostgreSQL needs nothing: its ON CONFLICT DO UPDATE fires the statement-level UPDATE trigger of 0002.
"""
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE TRIGGER audit_events_no_replace BEFORE INSERT ON audit_events "
            "WHEN EXISTS (SELECT 1 FROM audit_events WHERE id = NEW.id) "
            "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_replace")
