"""Staff sign-ins held on the server (staff_sessions), so the server can end every copy of a session cookie

Revision ID: 0011
Revises: 0010

Signing out used to clear only the browser's own cookie: a copy taken before kept working, and each use
refreshed its idle clock. A sign-in now has a row; the cookie carries a random token whose SHA-256 the
row keeps, and a cookie whose row has ended signs nobody in. Rows start empty: whoever is signed in when
this runs signs in again.
"""
import sqlalchemy as sa
from alembic import op

import kiosk.core.db

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_sha256", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("started_at", kiosk.core.db.UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", kiosk.core.db.UTCDateTime(), nullable=False),
        sa.Column("ended_at", kiosk.core.db.UTCDateTime(), nullable=True),
        sa.Column("end_reason", sa.String(length=24), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_sha256"),
    )
    with op.batch_alter_table("staff_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_staff_sessions_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("staff_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_staff_sessions_user_id"))
    op.drop_table("staff_sessions")
