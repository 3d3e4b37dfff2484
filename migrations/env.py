"""Alembic environment: runs against a URL given by kiosk.migrate, or DATABASE_URL for the alembic CLI."""

import os
from pathlib import Path

from alembic import context

from kiosk import models  # noqa: F401  (registers the tables)
from kiosk.db import Base, make_engine

config = context.config
url = config.attributes.get("url") or os.environ.get("DATABASE_URL") or (
    f"sqlite:///{Path(__file__).resolve().parent.parent / 'instance' / 'consent-kiosk.sqlite3'}"
)
engine = make_engine(url, transactional_ddl=True)
with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=url.startswith("sqlite"))
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
