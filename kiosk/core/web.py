"""Small helpers every blueprint needs: the clinic's clock, the loaded texts and languages, safe redirects."""

from __future__ import annotations

from datetime import datetime
from typing import Any, NamedTuple
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import current_app, request, url_for
from flask_login import current_user

from asn1crypto.x509 import Certificate

from kiosk.documents import signing_keys
from kiosk.core.audit import Who
from kiosk.documents.sealing import SealKey
from kiosk.consent.submission import Clinic
from kiosk.texts.loader import Texts


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


class Progress(NamedTuple):
    """"Step N of M" in a patient page's header (attributes, so the template reads them without a dict fallback)."""

    number: int
    total: int


def template_url_for(endpoint: str, **values: Any) -> str:
    """url_for for templates, remembering the address of an endpoint without arguments or of a static file.

    Those addresses depend only on the URL map, fixed once the app is built, and on where the app is
    mounted; every patient page draws seven of them (stylesheet, scripts, header and idle-dialog forms).
    """
    if values and (endpoint != "static" or len(values) != 1 or "filename" not in values):
        return url_for(endpoint, **values)
    known: dict[tuple[str, str, str | None], str] = current_app.extensions.setdefault("kiosk_template_urls", {})
    key = (request.script_root, endpoint, values.get("filename"))
    address = known.get(key)
    if address is None:
        address = known[key] = url_for(endpoint, **values)
    return address


def this_page() -> str:
    """Where a header form (language, text size) comes back to: this page, or the start when it only takes POSTs."""
    if request.method == "GET":
        try:
            return request.full_path.rstrip("?")
        except UnicodeDecodeError:  # the "could not be read" page for a query string that is not UTF-8
            return request.path
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


def seal_key() -> SealKey:
    """The clinic's seal from the configuration, parsed once per process; development makes a demo key."""
    config = current_app.config
    return signing_keys.signing_key(config["SIGNING_KEY_FILE"], config["SIGNING_KEY_PASSPHRASE"],
                                    create_if_missing=config["ENV_NAME"] == "development",
                                    organisation=config["CLINIC_NAME"], now=clinic_now())


def trusted_certificates() -> list[Certificate]:
    """The certificates whose seals count as this installation's."""
    return signing_keys.trusted_certificates(seal_key(), current_app.config["SIGNING_TRUSTED_CERTS"] or "")


def clinic() -> Clinic:
    """The clinic's name, clock and public verification address, as the services take them."""
    config = current_app.config
    return Clinic(name=config["CLINIC_NAME"], timezone=config["CLINIC_TIMEZONE"],
                  verify_url=config["PUBLIC_URL"].rstrip("/") + "/verify")
