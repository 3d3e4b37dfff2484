"""Alembic environment: runs against a URL given by kiosk.core.migrate, or DATABASE_URL for the alembic CLI."""

import os
from pathlib import Path

from alembic import context

from kiosk.core import models  # noqa: F401  (registers the tables)
from kiosk.core.db import Base, make_engine

config = context.config
url = config.attributes.get("url") or os.environ.get("DATABASE_URL") or (
    f"sqlite:///{Path(__file__).resolve().parent.parent / 'instance' / 'consent-kiosk.sqlite3'}"
)
# Several app processes (or hosts) may start at once against a new database: only one may migrate,
# the others wait and then find the schema current. SQLite's BEGIN IMMEDIATE (see make_engine)
# already serialises them; PostgreSQL takes a transaction-level advisory lock.
MIGRATION_LOCK_ID = 0x6B696F736B  # "kiosk"

engine = make_engine(url, transactional_ddl=True)
with engine.connect() as connection:
    # transactional_ddl: Alembic thinks SQLite's DDL is not transactional and would commit after each migration;
    # on this connection (kiosk.core.db.make_engine) it is, so a whole run (up or down) is one transaction there too
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=url.startswith("sqlite"),
                      transactional_ddl=True)
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK_ID})")
        context.run_migrations()
        if connection.dialect.name == "sqlite":  # foreign keys are off while migrating (kiosk.core.db.make_engine)
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"the migration would leave rows pointing at nothing: {broken[:5]}")
engine.dispose()
