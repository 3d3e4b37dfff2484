"""Helpers shared by test modules: a drawn signature and a look at what was stored."""

from __future__ import annotations

import base64
import io

from flask import Flask
from PIL import Image, ImageDraw
from sqlalchemy import select

from kiosk.core.models import Consent


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


def tap_sign_at_once(app: Flask, wizard, times: int = 4) -> list[int]:  # noqa: ANN001
    """Post the sign form from `times` threads at once with the same session, like a frantic double tap."""
    import threading

    wizard.get("/consent/sign")
    cookie = wizard.client.get_cookie("session").value
    statuses: list[int] = []

    def tap() -> None:
        other = app.test_client()
        other.set_cookie("session", cookie)
        response = other.post("/consent/sign", data={"csrf_token": wizard.token, "consent_agree": "y",
                                                     "signature_data": drawn_signature(), "printed_name": "A. P."})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=tap) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


STAFF_PASSWORD = "correct horse battery staple 42"


def staff_login(client, email: str, password: str = STAFF_PASSWORD, next_url: str | None = None):  # noqa: ANN001, ANN201
    """Sign in through the real login form (with its CSRF token); returns the POST response."""
    import re

    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    url = "/login" + (f"?next={next_url}" if next_url else "")
    return client.post(url, data={"csrf_token": token, "email": email, "password": password})


def signed_checkin(app: Flask, yes: tuple[str, ...] = (), *, name: str = "Course Patient",
                   modality: str = "microdermabrasion", now=None, signature=None):  # noqa: ANN001, ANN201
    """A consent with no flags and a check-in signed on it (typed, unless `signature` is given), through the services."""
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from kiosk.core import audit
    from kiosk.course import checkins
    from kiosk import demo
    from kiosk.consent.records import SignatureInput
    from kiosk.documents.record import Clinic

    texts = app.extensions["kiosk_texts"]
    clinic = Clinic(name="Test Clinic", timezone=app.config["CLINIC_TIMEZONE"])
    now = now or datetime.now(ZoneInfo(clinic.timezone))
    session = app.extensions["kiosk_db"]()
    key = seal_key_of(app)
    consent = demo.sign_demo_consent(session, (name, "1990-01-01", modality, ["abdomen"], {}), texts=texts,
                                 clinic=clinic, seal_key=key, now=now)
    issued = checkins.start_checkin(session, consent.document_id, texts=texts, issued_by=None,
                                    who=audit.Who(actor="tests"), now=now, months=12)
    checkin = checkins.find_by_token(session, issued.draft.token)
    answers = {q.id: q.id in yes for q in texts.rules.checkin_for(modality)}
    checkins.save_answers(session, checkin, {"answers": answers, "details": {}}, now)
    signature = signature or SignatureInput(method="typed", png=None, typed_name=name, printed_name=name)
    return checkins.submit(session, checkin, signature, texts=texts, clinic=clinic, seal_key=key, now=now)


def pdf_text(pdf: bytes) -> str:
    """Every page's text plus the text drawn in annotation appearances (a signed review lives there), via pypdf."""
    import re

    from pypdf import PageObject, PdfReader
    from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

    parts: list[str] = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        parts.append(page.extract_text() or "")
        for annot in page.get("/Annots") or []:
            annot = annot.get_object()
            if (annot.get("/AP") or {}).get("/N") is None:
                continue
            holder = PageObject.create_blank_page(width=1000, height=1000)  # a page that only draws the appearance
            holder[NameObject("/Resources")] = DictionaryObject({NameObject("/XObject"): DictionaryObject(
                {NameObject("/Ap"): annot["/AP"].raw_get("/N")})})
            content = DecodedStreamObject()
            content.set_data(b"/Ap Do")
            holder.replace_contents(content)
            parts.append(holder.extract_text() or "")
    return re.sub(r"\s+", " ", " ".join(parts))


def seal_key_of(app: Flask):  # noqa: ANN201
    """The app's configured seal, as its views load it."""
    from kiosk.core.web import seal_key

    with app.app_context():
        return seal_key()


def english_interface_strings(lang: str) -> list[str]:
    """The interface's English strings whose `lang` translation differs, long enough not to match inside other words."""
    import re

    from babel.messages.pofile import read_po

    from tests.support import ROOT

    with (ROOT / "translations" / lang / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        catalog = read_po(handle)
    found = []
    for message in catalog:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        for text in ids:
            fixed = re.split(r"%\(\w+\)\w", text)  # the parts around a placeholder
            found += [part.strip() for part in fixed if len(part.strip()) >= 8 and text not in ("", message.string)]
    return sorted(set(found))
