"""Rate limits and lockouts, each decided in one atomic step: count the recent tries and record this one together.

Checking the count and then recording the try, as two steps, let 40 simultaneous sign-ins get 17 to 20
passwords checked against a limit of 5. Here the try is written first, as a failure until the caller says
it went well, and the tries before it are counted inside the same transaction while no other try with the
same key can be written: on PostgreSQL a transaction-scoped advisory lock on the key, on SQLite the write
lock the insert itself takes (SQLite lets one writer in at a time). So of N simultaneous tries exactly
`limit` get through. A refused try is stored under its own kind, so refusals never extend a lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from kiosk.core.models import Attempt

REFUSED = "_refused"  # suffix of the kind a refused try is stored under (never counted)


@dataclass(frozen=True)
class Rule:
    """At most `limit` counted tries of `kind` from one address within `window`."""

    kind: str
    limit: int
    window: timedelta
    per_subject: bool = False  # count only this address's tries for the same subject (an account's email)
    failures_only: bool = True  # count failed tries only; False counts every try (a plain rate limit)


@dataclass(frozen=True)
class Try:
    """One recorded try: refused (with how long to wait), or let through to be marked as it turns out."""

    attempt: Attempt
    wait: timedelta | None

    @property
    def refused(self) -> bool:
        return self.wait is not None


def take(session: Session, rule: Rule, *, ip_address: str | None, subject: str | None, now: datetime) -> Try:
    """Record one try under `rule` and decide it against the tries before it, atomically; commits."""
    _serialise(session, rule, ip_address, subject)
    attempt = Attempt(kind=rule.kind, subject=subject, ip_address=ip_address, succeeded=False, at=now)
    session.add(attempt)
    session.flush()  # on SQLite this takes the database's write lock, held until the commit below
    conditions: list[ColumnElement[bool]] = [
        Attempt.kind == rule.kind, Attempt.at > now - rule.window, Attempt.id != attempt.id,
        Attempt.ip_address == ip_address if ip_address is not None else Attempt.ip_address.is_(None)]
    if rule.per_subject:
        conditions.append(Attempt.subject == subject if subject is not None else Attempt.subject.is_(None))
    if rule.failures_only:
        conditions.append(Attempt.succeeded.is_(False))
    recent = session.scalars(select(Attempt.at).where(*conditions).order_by(Attempt.at.desc())
                             .limit(rule.limit)).all()
    wait = None
    if len(recent) >= rule.limit:
        attempt.kind = rule.kind + REFUSED
        wait = max(recent[-1] + rule.window - now, timedelta(seconds=1))
    session.commit()
    return Try(attempt, wait)


def succeeded(session: Session, tried: Try) -> None:
    """The try went well (the right password, a valid code): it no longer counts as a failure. Not committed."""
    tried.attempt.succeeded = True


def _serialise(session: Session, rule: Rule, ip_address: str | None, subject: str | None) -> None:
    """On PostgreSQL, hold a lock on this rule's key until the commit; SQLite's insert lock does the same there."""
    if session.get_bind().dialect.name != "postgresql":
        return
    key = "|".join((rule.kind, ip_address or "", subject or "" if rule.per_subject else ""))
    session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))
