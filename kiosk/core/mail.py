"""Sending one email through the clinic's own mail server (KIOSK_SMTP_*), so a patient can take their copy home."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from typing import Any


@dataclass(frozen=True)
class MailSettings:
    """Where and as whom mail is sent; built from the app's settings by `settings_from`."""

    host: str
    port: int
    username: str | None
    password: str | None
    starttls: bool
    sender: str  # the address mail comes from (KIOSK_SMTP_FROM); the display name is the clinic's
    timeout: float


class MailNotSent(Exception):
    """The mail server could not be reached or refused the message; nothing was delivered."""


def settings_from(config: dict[str, Any]) -> MailSettings | None:
    """The SMTP settings, or None when no mail server is configured (the patient asks at the desk instead)."""
    host = str(config.get("SMTP_HOST") or "").strip()
    if not host:
        return None
    return MailSettings(host=host, port=int(config.get("SMTP_PORT") or 25),
                        username=config.get("SMTP_USERNAME") or None, password=config.get("SMTP_PASSWORD") or None,
                        starttls=_truthy(config.get("SMTP_STARTTLS")),
                        sender=str(config.get("SMTP_FROM") or f"consent-kiosk@{host}"),
                        timeout=float(config.get("SMTP_TIMEOUT") or 20))


def _truthy(value: Any) -> bool:
    """A boolean setting given as an environment string ("true", "1", "yes") or as a bool."""
    return value is True or str(value).strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Attachment:
    """A file sent with the message."""

    filename: str
    content: bytes
    maintype: str = "application"
    subtype: str = "pdf"


def send(settings: MailSettings, *, to: str, sender_name: str, subject: str, body: str,
         attachments: tuple[Attachment, ...] = ()) -> str:
    """Send one plain-text message (with its attachments); returns its Message-ID; raises MailNotSent."""
    message = EmailMessage()
    message["From"] = formataddr((sender_name, settings.sender))
    message["To"] = to
    message["Subject"] = subject
    message["Message-ID"] = make_msgid(domain=settings.sender.rpartition("@")[2] or None)
    message.set_content(body)
    for attachment in attachments:
        message.add_attachment(attachment.content, maintype=attachment.maintype, subtype=attachment.subtype,
                               filename=attachment.filename)
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as server:
            if settings.starttls:
                server.starttls(context=ssl.create_default_context())
            if settings.username:
                server.login(settings.username, settings.password or "")
            server.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:  # refused, unreachable, timed out, rejected recipient
        raise MailNotSent(f"{type(exc).__name__}: {exc}") from exc
    return str(message["Message-ID"])
