"""SQLAlchemy base, engine and time helpers, kept free of Flask so services and scripts can share them."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, cast

from sqlalchemy import ColumnElement, CursorResult, DateTime, Engine, Update, create_engine, event
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement
from sqlalchemy.orm import DeclarativeBase, InstrumentedAttribute, Session
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


SQLITE_FILE_PREFIX = "sqlite:///"


def private_sqlite_file(url: str) -> None:
    """Create an SQLite database file readable by this account only (0600), and tighten one made wider.

    SQLite creates its file with the process umask (usually 0644: world-readable patient data) and gives the
    -wal and -shm files the database file's own mode, so setting the main file's mode is enough for new ones.
    """
    if not url.startswith(SQLITE_FILE_PREFIX) or ":memory:" in url:
        return
    path = Path(url[len(SQLITE_FILE_PREFIX):].split("?", 1)[0])
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        pass
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            if file.stat().st_mode & 0o077:
                file.chmod(0o600)
        except OSError:  # absent (no -wal yet) or not ours to change
            pass


def make_engine(url: str, *, transactional_ddl: bool = False) -> Engine:
    """SQLite gets WAL and a busy timeout so concurrent tablets wait instead of failing.

    transactional_ddl (for migrations): Python's sqlite3 commits each CREATE/ALTER as it
    goes, so a migration failing half-way would leave a half-built schema; with this flag
    the whole upgrade is one real transaction and a failure leaves nothing behind.
    """
    if url.startswith("sqlite"):
        private_sqlite_file(url)
        engine = create_engine(url, connect_args={"timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            # a migration rebuilds tables (drop, then rename a copy), which SQLite allows only with foreign keys
            # off; migrations/env.py runs PRAGMA foreign_key_check before committing instead
            cursor.execute("PRAGMA foreign_keys=OFF" if transactional_ddl else "PRAGMA foreign_keys=ON")
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


class NotForSeeking(FunctionElement[Any]):
    """A column compared as a filter only: SQLite then picks its index from the other conditions.

    SQLite's planner (without STAT4) guesses that a two-sided range on a nearly unique column such as
    consents.created_at keeps one row in 64, so it reads a year of wide rows through ix_consents_created_at
    instead of the queue index the status condition names. The unary `+` (a no-op on any value) hides the
    column from the planner; PostgreSQL weighs the range from its statistics and gets the column as it is.
    """

    inherit_cache = True
    name = "not_for_seeking"

    def __init__(self, column: ColumnElement[Any] | InstrumentedAttribute[Any]) -> None:
        super().__init__(column)
        self.type = column.type


@compiles(NotForSeeking)
def _as_it_is(element: NotForSeeking, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(NotForSeeking, "sqlite")
def _with_unary_plus(element: NotForSeeking, compiler: Any, **kw: Any) -> str:
    return "+" + str(compiler.process(element.clauses, **kw))
