"""Small helpers every blueprint needs: the clinic's clock, the loaded texts and languages, safe redirects."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import current_app, request, url_for
from flask_login import current_user

from kiosk.audit import Who
from kiosk.texts import Texts


def clinic_now() -> datetime:
    """Now in the clinic's time zone, so every stored time reads as the clinic's wall clock with its offset."""
    return datetime.now(ZoneInfo(current_app.config["CLINIC_TIMEZONE"]))


def current_texts() -> Texts:
    """The texts validated at start-up."""
    return current_app.extensions["kiosk_texts"]


def offered_languages() -> list[str]:
    """The languages a patient may choose: a catalogue and consent texts for each (see app.register_languages)."""
    return current_app.extensions["kiosk_languages"]


def safe_next(target: str | None) -> str | None:
    """Only a path on this site; an off-site or malformed `next` (//host, a scheme, \\, control characters) is None."""
    if not target or any(ord(ch) < 33 or ord(ch) == 127 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


def this_page() -> str:
    """Where a header form (language, text size) comes back to: this page, or the start when it only takes POSTs."""
    if request.method == "GET":
        return request.full_path.rstrip("?")
    rule = request.url_rule
    return request.path if rule is not None and "GET" in (rule.methods or ()) else url_for("wizard.start")


def who(actor: str | None = None) -> Who:
    """The audit actor for this request: the signed-in staff member, or the label given (tablet, patient)."""
    user = current_user if current_user and current_user.is_authenticated else None
    return Who(
        actor=actor or (user.email if user else "anonymous"),
        actor_id=user.id if user and not actor else None,
        ip_address=request.remote_addr,
        user_agent=request.headers.get("User-Agent"),
    )

