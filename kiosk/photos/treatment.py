"""Treatment photos: taken at a session, stored clean behind a PhotoStore, listed by session and compared across them.

Every upload, view and deletion is audited. A photo is reached only through its consent, so the site guard
(kiosk.core.sites) hides another clinic's photos as it hides its consents. A photo may be taken only while the
newest photo consent allows the clinical record; its allowed uses are always the newest choice's.
"""

from __future__ import annotations

import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, tzinfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from kiosk.consent import queries as consents
from kiosk.core import audit
from kiosk.core.audit import Who
from kiosk.core.models import Consent, Photo, TreatmentSession, User
from kiosk.course import checkins
from kiosk.photos.choices import CurrentChoice, current_choice
from kiosk.photos.images import PhotoRefused, clean_photo
from kiosk.photos.storage import PhotoStore

VIEWS = ("front", "left", "right", "back", "close_up")


class SessionNotFound(LookupError):
    """No such session on a consent this member of staff may see."""


class PhotoNotFound(LookupError):
    """No such photo (or it was deleted), on a consent this member of staff may see."""


class PhotoAlreadyDeleted(PhotoNotFound):
    """The photo was deleted before (a second tap, or two people at once); `session_id` is where it was."""

    def __init__(self, photo_id: int, session_id: int) -> None:
        super().__init__(photo_id)
        self.session_id = session_id


@dataclass(frozen=True)
class SessionPhotos:
    """One session's page: the consent, the session, its photos (deleted ones kept as a line) and the current choice."""

    consent: Consent
    session: TreatmentSession
    photos: list[Photo]
    choice: CurrentChoice | None
    areas: list[tuple[str, str]]  # the consent's areas: (id, the words the patient chose)

    @property
    def may_take(self) -> bool:
        """New photos need the newest photo consent to allow the clinical record."""
        return self.choice is not None and "record" in self.choice.uses and self.consent.status != "withdrawn"


@dataclass(frozen=True)
class Comparison:
    """Before and after: for each area and view, the photo of each session that has one (None where it has not)."""

    consent: Consent
    sessions: list[TreatmentSession]
    rows: list[tuple[str, str, list[Photo | None]]]  # (area, view, one cell per session)
    choice: CurrentChoice | None
    areas: dict[str, str]


def consent_areas(consent: Consent) -> list[tuple[str, str]]:
    """The treated areas as the consent records them (id and the label the patient read)."""
    return [(a["id"], a["label"]) for a in (consent.record.get("treatment") or {}).get("areas") or []]


def session_photos(session: Session, session_id: int, tz: tzinfo | None = None) -> SessionPhotos:
    """A session with its photos; raises SessionNotFound (another site's session is not there)."""
    found = checkins.visible_session(session, session_id)  # None too for another site's (the guard)
    if found is None:
        raise SessionNotFound(session_id)
    row, consent = found
    photos = list(session.scalars(select(Photo).where(Photo.session_id == row.id).order_by(Photo.id)))
    return SessionPhotos(consent, row, photos, current_choice(session, consent, tz), consent_areas(consent))


def take_photo(session: Session, store: PhotoStore, who: Who, staff: User, session_id: int, raw: bytes, *,
               area: str, view: str, now: datetime, max_bytes: int, max_pixels: int) -> Photo:
    """Clean and store one photo of a session with its audit event; raises PhotoRefused (nothing stored)."""
    page = session_photos(session, session_id)
    if not page.may_take:
        raise PhotoRefused("no_consent")
    if area not in {a for a, _label in page.areas} or view not in VIEWS:
        raise PhotoRefused("label")
    try:
        clean = clean_photo(raw, max_bytes=max_bytes, max_pixels=max_pixels)
    except PhotoRefused as exc:
        audit.record(session, who, "photo_refused", consent_id=page.consent.id, target=page.consent.document_id,
                     at=now, detail={"session": page.session.number, "reason": exc.reason, "bytes": len(raw)})
        raise
    key = f"photo/{page.consent.document_id}/{secrets.token_hex(16)}"
    store.put(key, clean.data)
    photo = Photo(consent_id=page.consent.id, session_id=page.session.id, area=area, view=view, storage_key=key,
                  sha256=clean.sha256, width=clean.width, height=clean.height, size=len(clean.data),
                  taken_by_id=staff.id, taken_by_name=staff.name, taken_at=now)
    session.add(photo)
    session.flush()
    audit.record(session, who, "photo_uploaded", consent_id=page.consent.id, target=page.consent.document_id, at=now,
                 detail={"photo": photo.id, "session": page.session.number, "area": area, "view": view,
                         "sha256": clean.sha256}, commit=False)
    session.commit()
    return photo


def _photo(session: Session, photo_id: int) -> tuple[Photo, Consent]:
    """A photo that still has its bytes, through its consent (the site guard applies); raises PhotoNotFound."""
    photo = session.get(Photo, photo_id)
    consent = None if photo is None else session.scalar(select(Consent).where(Consent.id == photo.consent_id))
    if photo is None or consent is None:  # no consent: another site's photo, hidden by the site guard
        raise PhotoNotFound(photo_id)
    if photo.deleted_at is not None:
        raise PhotoAlreadyDeleted(photo_id, photo.session_id)
    return photo, consent


def open_photo(session: Session, store: PhotoStore, who: Who, photo_id: int, *, now: datetime) -> bytes:
    """A photo's stored JPEG for a member of staff, audited; raises PhotoNotFound."""
    photo, consent = _photo(session, photo_id)
    data = store.get(photo.storage_key)
    audit.record(session, who, "photo_viewed", consent_id=consent.id, target=consent.document_id, at=now,
                 detail={"photo": photo.id})
    return data


def delete_photo(session: Session, store: PhotoStore, who: Who, staff: User, photo_id: int, *,
                 now: datetime) -> Photo:
    """Remove a photo's bytes, keeping its row (area, view, SHA-256) as the session's record says; audited."""
    photo, consent = _photo(session, photo_id)
    store.delete(photo.storage_key)
    photo.deleted_at = now
    photo.deleted_by = staff.email
    audit.record(session, who, "photo_deleted", consent_id=consent.id, target=consent.document_id, at=now,
                 detail={"photo": photo.id, "sha256": photo.sha256}, commit=False)
    session.commit()
    return photo


def compare(session: Session, document_id: str, tz: tzinfo | None = None) -> Comparison:
    """Every area and view photographed, with each session's photo side by side (the newest of a session's takes)."""
    consent = consents.get_consent(session, document_id)
    photos = session.scalars(select(Photo).where(Photo.consent_id == consent.id, Photo.deleted_at.is_(None))
                             .order_by(Photo.id)).all()
    sessions = sorted({p.session for p in photos}, key=lambda s: s.number)
    cells: dict[tuple[str, str], dict[int, Photo]] = defaultdict(dict)
    for p in photos:
        cells[(p.area, p.view)][p.session_id] = p  # a later take of the same session replaces an earlier one
    areas = dict(consent_areas(consent))
    order = {a: i for i, a in enumerate(areas)}
    rows = [(area, view, [cells[(area, view)].get(s.id) for s in sessions])
            for area, view in sorted(cells, key=lambda k: (order.get(k[0], 99), VIEWS.index(k[1])
                                                          if k[1] in VIEWS else 99))]
    return Comparison(consent, sessions, rows, current_choice(session, consent, tz), areas)
