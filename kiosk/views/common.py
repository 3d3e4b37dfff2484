"""Small helpers every blueprint needs: the clinic's clock and the loaded texts."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app, request
from flask_login import current_user

from asn1crypto.x509 import Certificate

from kiosk import signing_keys
from kiosk.audit import Who
from kiosk.sealing import SealKey
from kiosk.submission import Clinic
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
