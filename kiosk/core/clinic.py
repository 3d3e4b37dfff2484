"""The running clinic as every feature asks for it: its clock, its identity and its seal.

create_app sets one ClinicServices on the app; views and commands reach it through
kiosk.core.web, and a test that needs another time replaces `clock` here, in one place.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from flask import Flask

if TYPE_CHECKING:
    from asn1crypto.x509 import Certificate

    from kiosk.documents.record import Clinic
    from kiosk.documents.sealing import SealKey

EXTENSION = "kiosk_clinic"


@dataclass
class ClinicServices:
    """What the installation provides, as callables so settings changed after start-up still count."""

    clock: Callable[[], datetime]  # now, in the clinic's time zone
    identity: Callable[..., Clinic]  # (site=None): name, address, time zone, public verification address
    seal_key: Callable[[datetime], SealKey]  # the clinic's seal, parsed once per process
    trusted_certificates: Callable[[SealKey], list[Certificate]]  # whose seals count as this clinic's


def install(app: Flask, services: ClinicServices) -> None:
    """Give the app its clinic services (create_app does this once)."""
    app.extensions[EXTENSION] = services


def services_of(app: Flask) -> ClinicServices:
    """The app's clinic services, for views, commands and tests that set the clock."""
    services: ClinicServices = app.extensions[EXTENSION]
    return services
