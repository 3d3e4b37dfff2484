"""Small helpers every blueprint needs: the clinic's clock and the loaded texts."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import current_app, request
from flask_login import current_user

from kiosk.audit import Who
from kiosk.texts import Texts


def clinic_now() -> datetime:
    """Now in the clinic's time zone, so every stored time reads as the clinic's wall clock with its offset."""
    return datetime.now(ZoneInfo(current_app.config["CLINIC_TIMEZONE"]))


def current_texts() -> Texts:
    """The texts validated at start-up."""
    return current_app.extensions["kiosk_texts"]


def who(actor: str | None = None) -> Who:
    """The audit actor for this request: the signed-in staff member, or the label given (tablet, patient)."""
    user = current_user if current_user and current_user.is_authenticated else None
    return Who(
        actor=actor or (user.email if user else "anonymous"),
        actor_id=user.id if user and not actor else None,
        ip_address=request.remote_addr,
        user_agent=request.headers.get("User-Agent"),
    )


def safe_next(target: str | None) -> str | None:
    """Only same-site paths; an off-site `next` is ignored, so no form can be turned into an open redirect."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(ch) < 32 for ch in target):
        return None
    return target
