"""Helpers shared by test modules: a drawn signature and a look at what was stored."""

from __future__ import annotations

import base64
import io

from flask import Flask
from PIL import Image, ImageDraw
from sqlalchemy import select

from kiosk.models import Consent


def drawn_signature(size: tuple[int, int] = (600, 200)) -> str:
    """A PNG data URL with a stroke on it, as the signature canvas sends."""
    image = Image.new("RGBA", size, (255, 255, 255, 0))
    ImageDraw.Draw(image).line([(20, 150), (200, 40), (380, 160), (560, 50)], fill=(0, 0, 0, 255), width=5)
    out = io.BytesIO()
    image.save(out, "PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def consents(app: Flask) -> list[Consent]:
    """Read what was stored, through a session of our own that stays open for lazy loads."""
    session = app.extensions["kiosk_db"]()
    return session.scalars(select(Consent).order_by(Consent.id)).all()
