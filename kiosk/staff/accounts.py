"""Staff accounts: creation, the password policy, sign-in with its lockout, and lookup."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Literal

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from kiosk.core import audit, throttle
from kiosk.core.audit import Who
from kiosk.core.models import User
from kiosk.staff import sessions as staff_sessions
from kiosk.staff import sites

ROLES = ("frontdesk", "doctor", "admin")

PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 256  # what the login form accepts
COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent / "data" / "common_passwords.txt"

# Five failed sign-ins from one address within the window lock that address (for every account) until the
# oldest of those five is a window old. An account is never locked as such: a stranger elsewhere on the
# network cannot lock a doctor out. A signed-in user's password before a signature (confirm_password) is
# judged on that user's own failures at their own address. Refused tries never extend a lock (kiosk.core.throttle).
LOGIN_FAILURE_LIMIT = 5
LOGIN_WINDOW = timedelta(minutes=15)
LOGIN_KIND = "login"
LOGIN_RULE = throttle.Rule(LOGIN_KIND, LOGIN_FAILURE_LIMIT, LOGIN_WINDOW)
CONFIRM_RULE = throttle.Rule(LOGIN_KIND, LOGIN_FAILURE_LIMIT, LOGIN_WINDOW, per_subject=True)  # and they lock sign-in there too


class AccountError(ValueError):
    """A refused account change, with a message fit for the command line or a form."""


# --- password policy -------------------------------------------------------------------------------

@cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, lower-cased, read once."""
    lines = COMMON_PASSWORDS_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip() and not line.startswith("#"))


def _email_names(email: str) -> set[str]:
    """The parts of an address's local part a password must not contain ("elena.ruiz" → elena.ruiz, elena, ruiz)."""
    local = email.strip().lower().partition("@")[0]
    names = {local} if len(local) >= 3 else set()
    names.update(piece for piece in re.split(r"[._+\-]", local) if len(piece) >= 4)
    return names


def password_problem(password: str, email: str = "") -> str | None:
    """Why the policy refuses this password, or None when it is acceptable; shown to whoever chose it."""
    if len(password) < PASSWORD_MIN_LENGTH:
        return _("The password must be at least %(num)d characters long.", num=PASSWORD_MIN_LENGTH)
    if len(password) > PASSWORD_MAX_LENGTH:
        return _("The password must be at most %(num)d characters long.", num=PASSWORD_MAX_LENGTH)
    if len(set(password)) == 1:
        return _("The password must not be one character repeated.")
    lowered = password.lower()
    if lowered in common_passwords():
        return _("That password is one of the most commonly used passwords. Please choose another.")
    for name in sorted(_email_names(email), key=len, reverse=True):
        if name in lowered:
            return _("The password must not contain the name from the email address (%(name)s).", name=name)
    return None


def check_password_policy(password: str, email: str = "") -> None:
    """Raise AccountError with the policy's reason when the password is too weak."""
    problem = password_problem(password, email)
    if problem is not None:
        raise AccountError(problem)


# --- creating accounts -----------------------------------------------------------------------------

def normalize_email(email: str) -> str:
    """The stored, lower-cased form of an address; AccountError says what is wrong with a bad one."""
    try:
        # test_environment allows the reserved .test domain the test suite uses; no DNS look-ups
        result = validate_email(email.strip(), check_deliverability=False, test_environment=True)
    except EmailNotValidError as exc:
        raise AccountError(_("%(email)s is not a valid email address: %(reason)s", email=repr(email), reason=str(exc))) from exc
    return result.normalized.lower()


def find_user(session: Session, email: str) -> User | None:
    """The login with this address (as typed, any case), for commands that act on one."""
    return session.scalar(select(User).where(User.email == normalize_email(email)))


def check_new_user(session: Session, *, email: str, role: str, name: str) -> str:
    """Everything about a new account except its password, checked before anyone is asked for one; returns the email to store."""
    if role not in ROLES:
        raise AccountError(_("unknown role %(role)s (choose one of: %(roles)s)", role=repr(role), roles=", ".join(ROLES)))
    if not name.strip():
        raise AccountError(_("the name must not be empty"))
    if len(name.strip()) > 200:
        raise AccountError(_("the name must be at most %(num)d characters long", num=200))
    email = normalize_email(email)
    if session.scalar(select(User).where(User.email == email)) is not None:
        raise AccountError(_("a user with email %(email)s already exists", email=email))
    return email


def create_user(session: Session, *, email: str, role: str, name: str, password: str, who: Who | None = None,
                now: datetime | None = None, site_codes: tuple[str, ...] = ()) -> User:
    """A new staff login with a scrypt-hashed password that meets the policy; audited as user_created when `who` is given.

    It works at the sites named (a chain), or at the only site of a single clinic.
    """
    email = check_new_user(session, email=email, role=role, name=name)
    try:
        works_at = sites.sites_for_new_user(session, site_codes, role)
    except sites.SiteError as exc:
        raise AccountError(str(exc)) from None
    check_password_policy(password, email)
    user = User(email=email, role=role, name=name.strip(), password_hash=generate_password_hash(password),
                sites=works_at)
    session.add(user)
    if who is not None:
        detail = {"role": role, "name": name.strip(), **({"sites": [s.code for s in works_at]} if site_codes else {})}
        audit.record(session, who, "user_created", target=email, detail=detail, at=now, commit=False)
    session.commit()
    return user


def set_language(session: Session, user: User, language: str) -> None:
    """Remember the language this member of staff reads the staff pages in, on every device they sign in on."""
    user.language = language
    session.commit()


def set_password(session: Session, user: User, password: str, *, now: datetime) -> None:
    """Replace a user's password with one that meets the policy; every open sign-in of the account ends."""
    check_password_policy(password, user.email)
    user.password_hash = generate_password_hash(password)
    session.commit()
    staff_sessions.end_all(session, user, reason="password_changed", now=now)


# --- signing in ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class LoginResult:
    """What a sign-in try came to: ok (with the user), wrong credentials, or refused while locked."""

    outcome: Literal["ok", "wrong", "locked"]
    user: User | None = None
    retry_in: timedelta | None = None

    @property
    def retry_minutes(self) -> int:
        """Whole minutes until a locked sign-in may be tried again, rounded up, at least 1."""
        seconds = self.retry_in.total_seconds() if self.retry_in else 0
        return max(1, math.ceil(seconds / 60))


@cache
def _timing_hash() -> str:
    """A hash to check unknown emails against, so they take as long as known ones."""
    return generate_password_hash("timing-equaliser")


def authenticate(session: Session, email: str, password: str, *, ip_address: str | None, user_agent: str | None,
                 now: datetime) -> LoginResult:
    """Check one sign-in try against the lockout and the password; every try is stored as an Attempt and audited."""
    email = email.strip().lower()[:254]
    client = Who(actor=email or "anonymous", ip_address=ip_address, user_agent=user_agent)
    tried = throttle.take(session, LOGIN_RULE, ip_address=ip_address, subject=email or None, now=now)
    if tried.wait is not None:
        result = LoginResult("locked", retry_in=tried.wait)
        _audit_try(session, client, email, now, action="login_locked", detail={"retry_in_minutes": result.retry_minutes})
        return result
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        check_password_hash(_timing_hash(), password)
        reason = "unknown_email"
    elif not check_password_hash(user.password_hash, password):
        reason = "wrong_password"
    elif not user.active:
        reason = "inactive"
    else:
        throttle.succeeded(session, tried)
        _audit_try(session, Who(actor=user.email, actor_id=user.id, ip_address=ip_address, user_agent=user_agent),
                   email, now, action="login")
        return LoginResult("ok", user=user)
    _audit_try(session, client, email, now, action="login_failed", detail={"reason": reason})
    return LoginResult("wrong")


def confirm_password(session: Session, user: User, password: str, *, who: Who, now: datetime,
                     purpose: str) -> str:
    """Re-check a signed-in user's password before a signature ("ok", "wrong" or "locked").

    Wrong tries count toward a lockout of that user at that address, so a signing form cannot be used to
    guess a password, and nobody else's wrong tries can stop a doctor from signing.
    """
    tried = throttle.take(session, CONFIRM_RULE, ip_address=who.ip_address, subject=user.email, now=now)
    if tried.refused:
        _audit_try(session, who, user.email, now, action="login_locked", detail={"during": purpose})
        return "locked"
    if user.active and check_password_hash(user.password_hash, password or ""):
        throttle.succeeded(session, tried)
        session.commit()
        return "ok"
    _audit_try(session, who, user.email, now, action="login_failed",
               detail={"reason": "wrong_password", "during": purpose})
    return "wrong"


def _audit_try(session: Session, who: Who, email: str, now: datetime, *, action: str,
               detail: dict[str, object] | None = None) -> None:
    """The try's audit event (its Attempt row is kiosk.core.throttle's), committed with the try's outcome."""
    audit.record(session, who, action, target=email or None, detail=detail, at=now, commit=False)
    session.commit()
