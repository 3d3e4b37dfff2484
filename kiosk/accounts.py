"""Staff accounts: creation, password checks and lookup."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from kiosk.models import User

ROLES = ("frontdesk", "doctor", "admin")


class AccountError(ValueError):
    """A refused account change, with a message fit for the command line or a form."""


def create_user(session: Session, *, email: str, role: str, name: str, password: str) -> User:
    """A new staff login with a scrypt-hashed password."""
    email = email.strip().lower()
    if role not in ROLES:
        raise AccountError(f"unknown role {role!r} (choose one of: {', '.join(ROLES)})")
    if session.scalar(select(User).where(User.email == email)) is not None:
        raise AccountError(f"a user with email {email} already exists")
    user = User(email=email, role=role, name=name.strip(), password_hash=generate_password_hash(password))
    session.add(user)
    session.commit()
    return user


def set_password(session: Session, user: User, password: str) -> None:
    user.password_hash = generate_password_hash(password)
    session.commit()


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with these credentials, or None; the hash is checked even for unknown emails."""
    user = session.scalar(select(User).where(User.email == email.strip().lower()))
    if user is None:
        check_password_hash(generate_password_hash("timing-equaliser"), password)
        return None
    if not user.active or not check_password_hash(user.password_hash, password):
        return None
    return user


def get_user(session: Session, user_id: str) -> User | None:
    if not user_id.isdigit():
        return None
    return session.get(User, int(user_id))
