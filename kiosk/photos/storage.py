"""Where treatment photos' bytes live: a small interface by key, so an S3-compatible store could take over later."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from kiosk.core.models import PhotoBlob


class PhotoNotStored(LookupError):
    """No bytes under this key (deleted, or never stored)."""


class PhotoStore(Protocol):
    """Bytes by key; nothing about patients. The photos table holds what a photo is and whose it is."""

    def put(self, key: str, data: bytes) -> None:
        """Store the bytes under a new key."""

    def get(self, key: str) -> bytes:
        """The bytes stored under the key; raises PhotoNotStored."""

    def delete(self, key: str) -> None:
        """Forget the key's bytes (a missing key is no error)."""


class DatabaseStore:
    """The photo store inside the app's own database (no new server): rows of photo_blobs in the caller's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def put(self, key: str, data: bytes) -> None:
        """Add the bytes; committed with the photo's row by the use case."""
        self.session.add(PhotoBlob(key=key, data=data))

    def get(self, key: str) -> bytes:
        """The stored bytes; raises PhotoNotStored."""
        data = self.session.scalar(select(PhotoBlob.data).where(PhotoBlob.key == key))
        if data is None:
            raise PhotoNotStored(key)
        return bytes(data)

    def delete(self, key: str) -> None:
        """Remove the bytes; committed with the photo's deletion by the use case."""
        self.session.execute(delete(PhotoBlob).where(PhotoBlob.key == key))
