"""A chain of clinics on one database: sites, the staff who work at each, and the site of every session

Revision ID: 0017
Revises: 0016

Everything already stored belongs to one site, `main`, made from the settings the app runs with: its name,
address, time zone and public address stay empty, which means "as KIOSK_CLINIC_NAME, KIOSK_CLINIC_ADDRESS,
KIOSK_CLINIC_TIMEZONE and KIOSK_PUBLIC_URL say", so a single clinic's settings keep working as before.
Every draft (a desk session and its codes), consent and check-in gets that site, and every staff account
works there. A single clinic keeps that one site and never sees the word.
"""
from datetime import datetime, timezone

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

TABLES = ("drafts", "consents", "checkins")


def _first_site() -> dict[str, object]:
    return {
        "id": 1,
        "code": "main",
        # name, time zone and public address left empty: this site follows KIOSK_CLINIC_NAME, KIOSK_CLINIC_TIMEZONE,
        # KIOSK_CLINIC_ADDRESS and KIOSK_PUBLIC_URL as the clinic did before sites (kiosk.core.web.clinic)
        "name": None, "address": None, "timezone": None, "public_url": None,
        "created_at": datetime.now(timezone.utc).replace(tzinfo=None),  # naive UTC, as kiosk.core.db stores it
    }


def _queue_indexes_again() -> None:
    """SQLite rebuilt `consents` and lost the DESC of its queue indexes (as in 0013): make them as 0003 did."""
    if op.get_bind().dialect.name != "sqlite":
        return
    for name, columns in (("ix_consents_queue", ["status", "severity_rank"]),
                          ("ix_consents_queue_modality", ["status", "modality", "severity_rank"])):
        op.drop_index(name, table_name="consents")
        op.create_index(name, "consents", [*columns, sa.text("created_at DESC")])


def upgrade() -> None:
    sites = op.create_table(
        "sites",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("code", sa.String(length=40), nullable=False, unique=True),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("address", sa.String(length=400), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=True),
        sa.Column("public_url", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
    )
    op.bulk_insert(sites, [_first_site()])
    if op.get_bind().dialect.name == "postgresql":  # the explicit id 1 leaves the sequence behind
        op.execute("SELECT setval(pg_get_serial_sequence('sites', 'id'), (SELECT max(id) FROM sites))")
    op.create_table(
        "staff_sites",
        sa.Column("user_id", sa.Integer(), sa.ForeignKey("users.id"), primary_key=True),
        sa.Column("site_id", sa.Integer(), sa.ForeignKey("sites.id"), primary_key=True),
    )
    op.create_index("ix_staff_sites_site_id", "staff_sites", ["site_id"])
    op.execute("INSERT INTO staff_sites (user_id, site_id) SELECT id, 1 FROM users")
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("site_id", sa.Integer(), nullable=True))
        op.execute(sa.table(table, sa.column("site_id")).update().values(site_id=1))
        with op.batch_alter_table(table) as batch:
            batch.alter_column("site_id", existing_type=sa.Integer(), nullable=False)
            batch.create_foreign_key(f"fk_{table}_site_id", "sites", ["site_id"], ["id"])
            batch.create_index(f"ix_{table}_site_id", ["site_id"])
    _queue_indexes_again()


def downgrade() -> None:
    bind = op.get_bind()
    others = bind.execute(sa.text("SELECT count(*) FROM sites WHERE id <> 1")).scalar()
    if others:
        raise RuntimeError("refusing to downgrade: this database holds more than one site, and the schema "
                           "before sites cannot tell their patients apart")
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_index(f"ix_{table}_site_id")
            batch.drop_constraint(f"fk_{table}_site_id", type_="foreignkey")
            batch.drop_column("site_id")
    _queue_indexes_again()
    op.drop_index("ix_staff_sites_site_id", table_name="staff_sites")
    op.drop_table("staff_sites")
    op.drop_table("sites")
