"""The archive a clinic can take away, and the one a patient asks for: every document, byte for byte, with SHA-256s.

Both write the same layout (kiosk.documents.keeping): a folder per patient, in it a folder per document
(a consent or a check-in) with every revision's PDF, the record as JSON and, for a consent, the FHIR Bundle,
its treatment photos (photos/*.jpg, the stored metadata-free bytes) and photos.json listing each with its SHA-256.
The clinic's archive is a folder streamed one batch of consents at a time, so memory stays flat however
many consents there are (bench/bench_archive.py); a patient's archive is one zip.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Protocol

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from kiosk.consent import queries as consents
from kiosk.consent.export import fhir_bundle
from kiosk.core import audit
from kiosk.staff import sites
from kiosk.core.models import AuditEvent, Checkin, Consent, DocumentRevision, Photo
from kiosk.course.history import patient_consents
from kiosk.documents.keeping import (ArchiveEntry, document_entries, manifest_lines, patient_folder, photo_path,
                                     photos_entry)
from kiosk.keeping.backup import KeepingError
from kiosk.photos.choices import current_choice
from kiosk.photos.storage import DatabaseStore, PhotoNotStored
from kiosk.texts.model import Texts

SUMS_NAME = "SHA256SUMS"
BATCH = 50  # consents read per query; the session is emptied after each batch


class UnknownSite(KeepingError):
    """--site named a site this installation does not know."""


def site_id(session: Session, code: str | None) -> int | None:
    """The id of the site an archive is limited to (--site, by its code), or None for every site."""
    if code is None:
        return None
    try:
        return sites.get_site(session, code).id
    except sites.SiteError as exc:
        raise UnknownSite(str(exc)) from None


class Sink(Protocol):
    def add(self, entry: ArchiveEntry) -> None: ...


class FolderSink:
    """Files under a new folder, each SHA-256 appended to SHA256SUMS as it is written (nothing kept in memory)."""

    def __init__(self, root: Path) -> None:
        if root.exists() and any(root.iterdir()):
            raise KeepingError(f"{root} is not empty; give a new folder for the archive")
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.root = root
        self.files = 0
        self._sums: IO[bytes] = (root / SUMS_NAME).open("wb")

    def add(self, entry: ArchiveEntry) -> None:
        path = self.root / entry.path
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(entry.data)
        self._sums.write(manifest_lines([(entry.path, hashlib.sha256(entry.data).hexdigest())]))
        self.files += 1

    def close(self) -> None:
        self._sums.close()


class ZipSink:
    """One zip for one patient (small), with SHA256SUMS as its last member."""

    def __init__(self, out: IO[bytes]) -> None:
        self.zip = zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED)
        self.sums: list[tuple[str, str]] = []

    def add(self, entry: ArchiveEntry) -> None:
        # PDFs and JPEGs are compressed already: stored as they are, byte for byte
        kind = zipfile.ZIP_STORED if entry.path.endswith((".pdf", ".jpg")) else zipfile.ZIP_DEFLATED
        self.zip.writestr(entry.path, entry.data, compress_type=kind)
        self.sums.append((entry.path, hashlib.sha256(entry.data).hexdigest()))

    def close(self) -> None:
        self.zip.writestr(SUMS_NAME, manifest_lines(self.sums))
        self.zip.close()


@dataclass(frozen=True)
class Context:
    """What the FHIR Bundle is judged by: the clinic's texts, its clock and the consents' validity."""

    texts: Texts
    now: datetime
    months: int


def _revisions(revisions: list[DocumentRevision]) -> list[tuple[int, str, bytes]]:
    return [(r.revision, r.kind, r.pdf) for r in revisions]


def consent_entries(session: Session, consent: Consent, context: Context, *,
                    every_photo: bool = False) -> Iterator[ArchiveEntry]:
    """A consent's folder (with its treatment photos) and one per signed check-in, under the patient's folder.

    every_photo: the patient's own copy holds every stored photo; the clinic's archive only those the photo
    consent in force lets the clinic keep in the clinical record (README "Photos in the archives").
    """
    folder = patient_folder(consent.patient_name, consent.date_of_birth)
    bundle = fhir_bundle(session, consent.document_id, texts=context.texts, now=context.now, months=context.months)
    yield from document_entries(folder, consent.document_id, _revisions(consent.documents),
                                consents.export_record(consent), bundle)
    yield from photo_entries(session, consent, folder, every_photo=every_photo)
    for checkin in consent.checkins:
        if checkin.revisions:
            yield from document_entries(folder, checkin.document_id, _revisions(checkin.revisions),
                                        consents.export_checkin(checkin), None)


LEFT_OUT_DELETED = "deleted"  # the clinic deleted the photo: only its row (and SHA-256) is kept
LEFT_OUT_NOT_CONSENTED = "photo_consent_does_not_allow_the_clinical_record"
LEFT_OUT_MISSING = "bytes_missing_from_the_photo_store"


def photo_entries(session: Session, consent: Consent, folder: str, *, every_photo: bool) -> Iterator[ArchiveEntry]:
    """Each stored photo's JPEG byte for byte, then photos.json listing every photo with its SHA-256 (none: nothing)."""
    photos = list(session.scalars(select(Photo).where(Photo.consent_id == consent.id).order_by(Photo.id)))
    if not photos:
        return
    choice = current_choice(session, consent)
    keeps_record = choice is not None and "record" in choice.uses
    store = DatabaseStore(session)
    listed: list[dict[str, Any]] = []
    for photo in photos:
        path = photo_path(folder, consent.document_id, photo.session.number, photo.area, photo.view, photo.id)
        left_out: str | None = None
        if photo.deleted_at is not None:
            left_out = LEFT_OUT_DELETED
        elif not (every_photo or keeps_record):
            left_out = LEFT_OUT_NOT_CONSENTED
        else:
            try:
                data = store.get(photo.storage_key)
            except PhotoNotStored:
                left_out = LEFT_OUT_MISSING
            else:
                yield ArchiveEntry(path, data)
        listed.append({
            "id": photo.id, "session": photo.session.number, "session_date": photo.session.session_date.isoformat(),
            "area": photo.area, "view": photo.view, "taken_at": photo.taken_at.isoformat(),
            "taken_by": photo.taken_by_name, "width": photo.width, "height": photo.height, "size": photo.size,
            "sha256": photo.sha256, "file": None if left_out else path, "left_out": left_out,
            "deleted_at": photo.deleted_at.isoformat() if photo.deleted_at else None,
        })
    yield photos_entry(folder, consent.document_id, {
        "photo_consent": None if choice is None else {
            "uses": list(choice.uses), "revision": choice.revision, "at": choice.at.isoformat(),
            "source": choice.source},
        "copy": "patient" if every_photo else "clinic",
        "photos": listed,
    })


def _since_condition(since: datetime) -> Any:
    """Consents with a revision of their own, or of one of their check-ins, made at or after `since`."""
    own = exists(select(DocumentRevision.id).where(DocumentRevision.document_id == Consent.document_id,
                                                   DocumentRevision.created_at >= since))
    checkin = exists(select(DocumentRevision.id).join(Checkin, Checkin.document_id == DocumentRevision.document_id)
                     .where(Checkin.consent_id == Consent.id, DocumentRevision.created_at >= since))
    return or_(own, checkin)


@dataclass(frozen=True)
class ArchiveSummary:
    consents: int
    files: int


def write_archive(session: Session, root: Path, context: Context, *, since: datetime | None,
                  site: int | None = None) -> ArchiveSummary:
    """Every consent (with its check-ins) into `root`, a batch at a time; returns what was written.

    `site`: only the consents signed at that site of a chain (with their check-ins).
    """
    sink = FolderSink(root)
    written = 0
    last_id = 0
    try:
        while True:
            query = select(Consent).where(Consent.id > last_id).order_by(Consent.id).limit(BATCH)
            if since is not None:
                query = query.where(_since_condition(since))
            if site is not None:
                query = query.where(Consent.site_id == site)
            batch = list(session.scalars(query))
            if not batch:
                break
            for consent in batch:
                for entry in consent_entries(session, consent, context):
                    sink.add(entry)
                written += 1
            last_id = batch[-1].id
            session.expunge_all()  # let this batch's PDFs go before the next is read
    finally:
        sink.close()
    return ArchiveSummary(written, sink.files + 1)


def patient_archive(session: Session, document_id: str, context: Context, who: audit.Who) -> bytes:
    """Everything held about the patient who signed this consent, as one zip; the request and delivery are audited.

    All their consents (any treatment), each check-in, every revision, and the audit events about them.
    Raises consents.ConsentNotFound.
    """
    found = patient_consents(session, document_id)
    audit.record(session, who, "patient_data_requested", consent_id=found[0].id if found else None,
                 target=document_id, at=context.now, detail={"documents": [c.document_id for c in found]},
                 commit=True)
    out = io.BytesIO()
    sink = ZipSink(out)
    for consent in found:
        for entry in consent_entries(session, consent, context, every_photo=True):
            sink.add(entry)
        events = audit.trail(session, consent.id, consent.draft_id)
        sink.add(ArchiveEntry(f"{patient_folder(consent.patient_name, consent.date_of_birth)}/"
                              f"{consent.document_id}/audit-events.json", _events_json(events)))
    sink.close()
    data = out.getvalue()
    audit.record(session, who, "patient_data_delivered", consent_id=found[0].id if found else None,
                 target=document_id, at=context.now,
                 detail={"documents": [c.document_id for c in found], "sha256": hashlib.sha256(data).hexdigest()})
    return data


def _events_json(events: list[AuditEvent]) -> bytes:
    rows = [{"at": e.at.isoformat(), "actor": e.actor, "action": e.action, "target": e.target,
             "ip_address": e.ip_address, "detail": e.detail} for e in events]
    return json.dumps(rows, ensure_ascii=False, indent=2).encode("utf-8")
