"""Small helpers every blueprint needs: the clinic's clock and the loaded texts."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import current_app

from kiosk.texts import Texts


def clinic_now() -> datetime:
    """Now in the clinic's time zone, so every stored time reads as the clinic's wall clock with its offset."""
    return datetime.now(ZoneInfo(current_app.config["CLINIC_TIMEZONE"]))


def current_texts() -> Texts:
    """The texts validated at start-up."""
    return current_app.extensions["kiosk_texts"]
