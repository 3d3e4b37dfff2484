"""Keeping records, the pure parts: a backup's manifest and its check, the archive's layout, the retention decision.

No database and no clock here: the services read the rows and pass `now` in.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

MANIFEST_NAME = "manifest.json"
MANIFEST_FORMAT = 1
CHUNK = 1024 * 1024


def sha256_of_file(path: Path) -> str:
    """A file's SHA-256 read in chunks, so a large database never sits in memory whole."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class StoredRevision:
    """One stored revision as a manifest lists it: which document, which revision, its kind and SHA-256."""

    document_id: str
    revision: int
    kind: str
    sha256: str


@dataclass
class Manifest:
    """What a backup holds: its files' SHA-256s, the rows per table, every revision's SHA-256, the schema revision."""

    created_at: str
    schema_revision: str | None
    tables: dict[str, int]
    revisions: list[StoredRevision]
    files: dict[str, str] = field(default_factory=dict)  # path inside the backup -> SHA-256

    def to_json(self) -> str:
        """The manifest as written beside the backup (sorted keys, so two backups of one state compare equal)."""
        body = {"format": MANIFEST_FORMAT, "created_at": self.created_at, "schema_revision": self.schema_revision,
                "tables": self.tables, "files": self.files,
                "revisions": [vars(r) for r in self.revisions]}
        return json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        """Read a manifest; raises ManifestError naming what is wrong with it."""
        try:
            body = json.loads(text)
            if body.get("format") != MANIFEST_FORMAT:
                raise ManifestError(f"{MANIFEST_NAME}: format {body.get('format')!r}, expected {MANIFEST_FORMAT}")
            return cls(created_at=str(body["created_at"]), schema_revision=body["schema_revision"],
                       tables={str(k): int(v) for k, v in body["tables"].items()},
                       revisions=[StoredRevision(str(r["document_id"]), int(r["revision"]), str(r["kind"]),
                                                 str(r["sha256"])) for r in body["revisions"]],
                       files={str(k): str(v) for k, v in body["files"].items()})
        except ManifestError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ManifestError(f"{MANIFEST_NAME}: cannot be read ({exc.__class__.__name__}: {exc})") from None

    def newest_revisions(self) -> dict[str, StoredRevision]:
        """Each document's newest revision: the one whose seal a restore re-verifies (it holds all earlier ones)."""
        newest: dict[str, StoredRevision] = {}
        for rev in self.revisions:
            if rev.document_id not in newest or rev.revision > newest[rev.document_id].revision:
                newest[rev.document_id] = rev
        return newest


class ManifestError(Exception):
    """The manifest itself is missing or unreadable."""


def file_problems(folder: Path, manifest: Manifest) -> list[str]:
    """Every file the manifest lists that is missing or whose bytes differ (a flipped byte, a truncated copy)."""
    problems = []
    for name, expected in sorted(manifest.files.items()):
        path = folder / name
        if not path.is_file():
            problems.append(f"{name}: missing from the backup")
        elif sha256_of_file(path) != expected:
            problems.append(f"{name}: its SHA-256 differs from the manifest (changed or truncated)")
    return problems


def revision_problems(expected: Iterable[StoredRevision], found: Iterable[tuple[str, int, bytes]]) -> list[str]:
    """Compare stored revisions' bytes with the manifest: each one missing, extra or with other bytes is named."""
    wanted = {(r.document_id, r.revision): r.sha256 for r in expected}
    problems = []
    seen = set()
    for document_id, revision, pdf in found:
        seen.add((document_id, revision))
        sha = hashlib.sha256(pdf).hexdigest()
        if (document_id, revision) not in wanted:
            problems.append(f"document {document_id} revision {revision}: not in the manifest")
        elif wanted[(document_id, revision)] != sha:
            problems.append(f"document {document_id} revision {revision}: its PDF's SHA-256 differs from the manifest")
    for document_id, revision in sorted(set(wanted) - seen):
        problems.append(f"document {document_id} revision {revision}: in the manifest but not in the database")
    return problems


def count_problems(expected: dict[str, int], found: dict[str, int]) -> list[str]:
    """Tables whose row count differs from the manifest's."""
    return [f"table {name}: {found.get(name, 0)} rows, the manifest says {count}"
            for name, count in sorted(expected.items()) if found.get(name, 0) != count]


# --- the archive's layout -------------------------------------------------------------------------------------------

def folder_name(text: str) -> str:
    """A name made safe for any file system: ASCII letters, digits and hyphens (accents folded, nothing else kept)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^A-Za-z0-9]+", "-", ascii_text).strip("-").lower()[:60] or "patient"


def patient_folder(patient_name: str, date_of_birth: date) -> str:
    """One folder per patient: the folded name and the date of birth, so two namesakes stay apart."""
    return f"{folder_name(patient_name)}_{date_of_birth.isoformat()}"


@dataclass(frozen=True)
class ArchiveEntry:
    """One file of the archive: its path inside it and its bytes."""

    path: str
    data: bytes


def document_entries(folder: str, document_id: str, revisions: Iterable[tuple[int, str, bytes]],
                     record: dict[str, Any], fhir: dict[str, Any] | None) -> Iterator[ArchiveEntry]:
    """A document's files: every revision's PDF byte for byte, the record as JSON, the FHIR Bundle when there is one."""
    base = f"{folder}/{document_id}"
    for number, kind, pdf in revisions:
        yield ArchiveEntry(f"{base}/revision-{number:02d}-{kind}.pdf", pdf)
    yield ArchiveEntry(f"{base}/record.json", _json_bytes(record))
    if fhir is not None:
        yield ArchiveEntry(f"{base}/fhir-bundle.json", _json_bytes(fhir))


def photo_path(folder: str, document_id: str, session_number: int, area: str, view: str, photo_id: int) -> str:
    """Where a treatment photo's JPEG goes in an archive: beside its consent's revisions, named by session and label."""
    return f"{folder}/{document_id}/photos/session-{session_number:02d}-{folder_name(area)}-{folder_name(view)}-{photo_id}.jpg"


def photos_entry(folder: str, document_id: str, listing: dict[str, Any]) -> ArchiveEntry:
    """photos.json: every photo of the consent (with its SHA-256 and file, or why its bytes are not there)."""
    return ArchiveEntry(f"{folder}/{document_id}/photos.json",
                        json.dumps(listing, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8"))


def _json_bytes(body: Any) -> bytes:
    """Compact JSON: without `indent` Python's C encoder runs, several times faster on a Bundle holding PDFs."""
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def manifest_lines(entries: Iterable[tuple[str, str]]) -> bytes:
    """The archive's SHA256SUMS: `sha256  path` per file, the format `sha256sum -c` checks."""
    return "".join(f"{sha}  {path}\n" for path, sha in entries).encode("utf-8")


# --- retention ------------------------------------------------------------------------------------------------------

def _shift_years(moment: datetime, years: int) -> datetime:
    """The same calendar day `years` later (or earlier, when negative); 29 February becomes the 28th."""
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:
        return moment.replace(year=moment.year + years, day=28)


def retention_ends(last_activity: datetime, years: int) -> datetime:
    """The moment a record passes retention: the same calendar day `years` after its last activity."""
    return _shift_years(last_activity, years)


def retention_cutoff(now: datetime, years: int) -> datetime:
    """Records whose last activity is at or before this moment have passed retention at `now`."""
    return _shift_years(now, -years)


def past_retention(last_activity: datetime, years: int, now: datetime) -> bool:
    """Whether a record whose last session or signature was at `last_activity` may be removed at `now`."""
    return now >= retention_ends(last_activity, years)
