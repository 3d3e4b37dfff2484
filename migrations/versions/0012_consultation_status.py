"""A consent whose newest decision is "needs a consultation" has its own status, so it stays in the doctors' work

Revision ID: 0012
Revises: 0011

A consultation is open work: the doctor will decide again after seeing the patient. Its consents used to
take the status "reviewed" and left the queue's "Awaiting a decision" list for good. They now keep the
status "consultation" until a decision that closes the question (cleared or not cleared) or a withdrawal.
The upgrade gives that status to consents whose newest decision is a consultation; the downgrade puts
"reviewed" back. No other row changes.
"""
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "UPDATE consents SET status = 'consultation' WHERE status = 'reviewed' AND ("
        "SELECT r.decision FROM consent_reviews r WHERE r.consent_id = consents.id ORDER BY r.id DESC LIMIT 1"
        ") = 'consultation'"
    )


def downgrade() -> None:
    op.execute("UPDATE consents SET status = 'reviewed' WHERE status = 'consultation'")
