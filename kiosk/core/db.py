"""SQLAlchemy base, engine and time helpers, kept free of Flask so services and scripts can share them."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, cast

from sqlalchemy import CursorResult, DateTime, Engine, Update, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """Called per row, never at import, so timestamps are the moment of writing."""
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator[datetime]):
    """Store naive UTC and hand back aware UTC, the same on SQLite and PostgreSQL."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return value.replace(tzinfo=timezone.utc) if value is not None else None


class Base(DeclarativeBase):
    pass


def rows_updated(session: Session, statement: Update) -> int:
    """Run a conditional UPDATE and say how many rows it changed, so exactly one of two racing writers wins.

    Session.execute is typed as returning a plain Result, but for an UPDATE without RETURNING SQLAlchemy returns
    a CursorResult; the cast is the one SQLAlchemy documents for reading its rowcount.
    """
    return cast(CursorResult[Any], session.execute(statement)).rowcount


def make_engine(url: str, *, transactional_ddl: bool = False) -> Engine:
    """SQLite gets WAL and a busy timeout so concurrent tablets wait instead of failing.

    transactional_ddl (for migrations): Python's sqlite3 commits each CREATE/ALTER as it
    goes, so a migration failing half-way would leave a half-built schema; with this flag
    the whole upgrade is one real transaction and a failure leaves nothing behind.
    """
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()
            if transactional_ddl:
                dbapi_connection.isolation_level = None  # let SQLAlchemy, not sqlite3, open transactions

        if transactional_ddl:
            @event.listens_for(engine, "begin")
            def _begin(connection: Any) -> None:
                connection.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return create_engine(url, pool_pre_ping=True)
