"""One-time sends: a copy emailed to a patient is claimed before it goes

Revision ID: 0021
Revises: 0020

- one_time_sends (consent_id, kind, item) unique: the patient's emailed copy (kind copy_email, item 0) and each
  session's emailed aftercare sheet (kind aftercare_email, item = the session's number). Filled from the audit
  log's copy_emailed and aftercare_emailed events, so nothing already sent can be sent again.

A new table only: no stored document is touched.
"""
import json
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

import kiosk.core.db

revision = "0021"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "one_time_sends",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("consent_id", sa.Integer(), sa.ForeignKey("consents.id"), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("item", sa.Integer(), nullable=False),
        sa.Column("at", kiosk.core.db.UTCDateTime(), nullable=False),
        sa.UniqueConstraint("consent_id", "kind", "item"),
    )
    sent: dict[tuple[int, str, int], datetime] = {}
    rows = op.get_bind().execute(sa.text(
        "SELECT consent_id, action, detail, at FROM audit_events "
        "WHERE action IN ('copy_emailed', 'aftercare_emailed') AND consent_id IS NOT NULL"))
    for consent_id, action, detail, at in rows:
        if isinstance(detail, str):
            detail = json.loads(detail or "{}")
        item = 0 if action == "copy_emailed" else int((detail or {}).get("session") or 0)
        kind = "copy_email" if action == "copy_emailed" else "aftercare_email"
        if isinstance(at, str):
            at = datetime.fromisoformat(at)
        sent.setdefault((consent_id, kind, item), at if at.tzinfo else at.replace(tzinfo=timezone.utc))
    if sent:
        op.bulk_insert(table, [{"consent_id": c, "kind": k, "item": i, "at": at} for (c, k, i), at in sent.items()])


def downgrade() -> None:
    op.drop_table("one_time_sends")
