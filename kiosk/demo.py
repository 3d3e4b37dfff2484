"""The demo clinic: staff logins and a few consents made through the same services the tablet uses."""

from __future__ import annotations

import io
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from PIL import Image, ImageDraw
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kiosk.staff import accounts
from kiosk.consent import drafts
from kiosk.consent import submission
from kiosk.core.models import Consent, User
from kiosk.documents.record import Clinic
from kiosk.documents.sealing import SealKey
from kiosk.texts.model import Texts

DEMO_STAFF = (
    ("doctor@demo.clinic", "doctor", "Dr. Elena Ruiz"),
    ("frontdesk@demo.clinic", "frontdesk", "Marta Gómez"),
    ("admin@demo.clinic", "admin", "Clinic Administrator"),
)

# (name, date of birth, modality, areas, the answers that are not "no": a yes, a follow-up, a skin type)
DEMO_PATIENTS: tuple[tuple[str, str, str, list[str], dict[str, Any]], ...] = (
    ("Lucía Fernández Ortega", "1991-04-12", "fractional_laser", ["abdomen"], {}),
    ("Sofia Papadopoulou", "1988-09-30", "co2_laser", ["thighs_legs", "buttocks"], {"pregnant": True, "skin_type": "IV"}),
    ("Aleksandra Wiśniewska", "1995-01-07", "chemical_peel", ["arms"], {"blood_thinners": True}),
    ("Анна Смирнова", "1999-06-21", "microdermabrasion", ["breasts"], {"cold_sores": True, "cold_sores_now": False}),
    ("Noah O'Brien", "1984-11-02", "vitamin_c_injection", ["abdomen", "other"], {"heart_disease": True}),
)


DEMO_SIGNED_BEFORE_NOW = timedelta(minutes=1)  # the newest demo consent is signed this long before seed-demo runs
DEMO_PATIENT_GAP = timedelta(minutes=40)  # between two demo patients' signatures (a whole visit fits in it)
DEMO_TICK = timedelta(seconds=25)  # between two steps of a demo patient on the tablet
EXPLANATION_TICKS = 9  # the explanation read for 9 ticks (3 min 45 s), as rules.yaml's reading_time expects


@dataclass(frozen=True)
class DemoLogin:
    email: str
    role: str
    password: str


def seed_demo(session: Session, *, texts: Texts, clinic: Clinic, seal_key: SealKey,
              now: datetime) -> tuple[list[DemoLogin], int]:
    """Create or refresh the demo logins (new passwords each time) and add demo consents once."""
    logins: list[DemoLogin] = []
    for email, role, name in DEMO_STAFF:
        password = secrets.token_urlsafe(12)
        user = session.scalar(select(User).where(User.email == email))
        if user is None:
            accounts.create_user(session, email=email, role=role, name=name, password=password)
        else:
            accounts.set_password(session, user, password, now=now)
        logins.append(DemoLogin(email, role, password))
    created = 0
    if not session.scalar(select(func.count()).select_from(Consent)):
        # oldest first, 40 minutes apart, the newest signed a minute before `now`: every time in the past, in order
        for offset, patient in enumerate(DEMO_PATIENTS):
            signed_at = now - DEMO_SIGNED_BEFORE_NOW - DEMO_PATIENT_GAP * (len(DEMO_PATIENTS) - 1 - offset)
            sign_demo_consent(session, patient, texts=texts, clinic=clinic, seal_key=seal_key, now=signed_at)
            created += 1
    return logins, created


def sign_demo_consent(session: Session, patient: tuple[str, str, str, list[str], dict[str, Any]], *, texts: Texts,
                  clinic: Clinic, seal_key: SealKey, now: datetime) -> Consent:
    """One demo patient's whole visit on the tablet, each step DEMO_TICK after the last, signed exactly at `now`."""
    name, dob, modality, areas, yes = patient
    risk_ids = [r.id for r in texts.modality("en", modality).risks]
    # every step saved below, in order: identity, treatment, explanation (shown, then read through), each risk
    # (shown, acknowledged), comprehension (shown, saved), screening, review, and the signature last
    steps = 4 + 2 * len(risk_ids) + 5 + EXPLANATION_TICKS - 1
    started = now - DEMO_TICK * steps
    draft = drafts.start_draft(session, language="en", device_label="Demo tablet", ip_address="127.0.0.1",
                               user_agent="seed-demo", now=started, started_by="seed-demo")
    tick = iter(range(1, steps + 1))

    def at(reading: int = 1) -> datetime:
        """Each step DEMO_TICK after the last; `reading` ticks for a page read through (no rushed_reading flag)."""
        for _ in range(reading - 1):
            next(tick)
        return started + DEMO_TICK * next(tick)  # StopIteration if a step is added here but not counted above

    drafts.save_step(session, draft, "identity", {"full_name": name, "date_of_birth": dob, "phone": None,
                                                  "email": None}, at())
    drafts.save_step(session, draft, "treatment", {"modality": modality, "areas": areas,
                                                   "area_other": "Lower back" if "other" in areas else None}, at())
    drafts.mark_shown(session, draft, "explanation", at())
    drafts.save_step(session, draft, "explanation", {"understood": True}, at(reading=EXPLANATION_TICKS))
    initials = "".join(part[0] for part in name.split()[:3]).upper()
    for rid in risk_ids:
        drafts.mark_shown(session, draft, f"risk:{rid}", at())
        drafts.acknowledge_risk(session, draft, rid, initials, risk_ids, at())
    checks = texts.modality("en", modality).comprehension  # the demo patients understood the risks
    drafts.mark_shown(session, draft, "comprehension", at())
    drafts.save_step(session, draft, "comprehension", {"answers": {c.id: c.answer for c in checks}}, at())
    answers: dict[str, Any] = {q.id: {"date": None, "choice": q.options[0] if q.options else None}.get(q.type, False)
                               for q in texts.rules.questions_for(modality) if not q.asked_if}
    answers.update(yes)
    details = {qid: "Told the desk on arrival." for qid, value in yes.items() if value is True}
    drafts.save_step(session, draft, "screening", {"answers": answers, "details": details}, at())
    drafts.save_step(session, draft, "review", {"esign_agree": True}, at())
    signature = submission.SignatureInput(method="drawn", png=demo_signature_png(), typed_name=None,
                                          printed_name=name)
    return submission.submit(session, draft, signature, texts=texts, clinic=clinic, seal_key=seal_key, now=at())


@lru_cache(maxsize=1)
def demo_signature_png() -> bytes:
    """Draw a handwriting-like squiggle so the PDF has a real PNG to embed."""
    width, height = 600, 200
    image = Image.new("RGBA", (width, height), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    ink = (20, 30, 90, 255)

    # A looping stroke made of a slow baseline drift plus a faster loop, like
    # a cursive first name, then a separate underline flourish.
    points: list[tuple[float, float]] = []
    steps = 420
    for i in range(steps + 1):
        t = i / steps
        x = 40 + 470 * t + 28 * math.sin(t * math.pi * 14)
        y = (
            110
            - 18 * math.sin(t * math.pi * 2.2)
            - 42 * math.cos(t * math.pi * 14) * (0.55 + 0.45 * math.sin(t * math.pi))
        )
        points.append((x, y))
    draw.line(points, fill=ink, width=5, joint="curve")

    flourish = [
        (70 + 480 * t, 168 - 14 * math.sin(t * math.pi) + 6 * math.sin(t * math.pi * 5))
        for t in (i / 120 for i in range(121))
    ]
    draw.line(flourish, fill=ink, width=4, joint="curve")
    draw.ellipse((548, 62, 558, 72), fill=ink)  # the dot over an "i"

    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()
