"""Staff sign-ins held on the server: when a sign-in ends, every copy of its session cookie ends with it.

The browser's signed cookie carries a random token; the database keeps only its SHA-256, the account and
the idle clock. Signing out, going idle, a new password or a deactivated account end the row, and a cookie
whose row has ended (a copy taken before sign-out, replayed from elsewhere) signs nobody in.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kiosk.core.models import StaffSession, User

TOUCH_EVERY = timedelta(seconds=30)  # the idle clock is written at most this often, not on every request


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def start(session: Session, user: User, now: datetime) -> str:
    """A new sign-in for `user`; returns the token the browser keeps (only its SHA-256 is stored)."""
    token = secrets.token_urlsafe(32)
    session.add(StaffSession(token_sha256=_digest(token), user_id=user.id, started_at=now, last_seen_at=now))
    session.commit()
    return token


def _open_row(session: Session, token: str | None) -> StaffSession | None:
    if not token or not isinstance(token, str):
        return None
    return session.scalar(select(StaffSession).where(StaffSession.token_sha256 == _digest(token),
                                                     StaffSession.ended_at.is_(None)))


def signed_in_user(session: Session, user_id: str, token: str | None) -> User | None:
    """The active account behind a cookie, only while that cookie's sign-in has not ended (for Flask-Login)."""
    if not user_id.isdigit():
        return None
    row = _open_row(session, token)
    if row is None or row.user_id != int(user_id):
        return None
    user = session.get(User, row.user_id)
    return user if user is not None and user.active else None


def still_active(session: Session, token: str | None, *, now: datetime, idle: timedelta) -> bool:
    """Note activity on this sign-in; False (and the sign-in ended) when it was idle longer than `idle`."""
    row = _open_row(session, token)
    if row is None:
        return False
    if now - row.last_seen_at > idle:
        row.ended_at, row.end_reason = now, "idle"
        session.commit()
        return False
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
        session.commit()
    return True


def idle_for(session: Session, token: str | None, now: datetime) -> timedelta | None:
    """How long this sign-in had been idle when it ended or now (for the audit log's detail)."""
    if not token:
        return None
    row = session.scalar(select(StaffSession).where(StaffSession.token_sha256 == _digest(token)))
    return (row.ended_at or now) - row.last_seen_at if row is not None else None


def end(session: Session, token: str | None, *, reason: str, now: datetime) -> None:
    """End the sign-in this token belongs to (signing out), for this browser and every copy of its cookie."""
    row = _open_row(session, token)
    if row is not None:
        row.ended_at, row.end_reason = now, reason
        session.commit()


def end_all(session: Session, user: User, *, reason: str, now: datetime) -> None:
    """End every open sign-in of an account (a new password, a deactivation), wherever its cookies are."""
    session.execute(update(StaffSession).where(StaffSession.user_id == user.id, StaffSession.ended_at.is_(None))
                    .values(ended_at=now, end_reason=reason))
    session.commit()
