"""Something done for a patient at most once, claimed before it is done (kiosk.core.models.OneTimeSend).

Checking "was it sent?" and recording "it was sent" in two steps lets two taps at the same moment both pass the
check; an insert under a unique constraint lets exactly one of them through, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kiosk.core.models import OneTimeSend


def claim(session: Session, consent_id: int, kind: str, item: int, now: datetime) -> bool:
    """Claim the one send of `kind` for this consent (and item); False when another claim holds it already."""
    session.add(OneTimeSend(consent_id=consent_id, kind=kind, item=item, at=now))
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return False
    return True


def release(session: Session, consent_id: int, kind: str, item: int) -> None:
    """Give a claim back (the send failed), so staff or the patient may try again."""
    session.execute(delete(OneTimeSend).where(OneTimeSend.consent_id == consent_id, OneTimeSend.kind == kind,
                                              OneTimeSend.item == item))
    session.commit()
