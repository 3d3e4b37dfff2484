"""Backing up an SQLite installation while it runs, and restoring one into an empty instance, proven by re-checking it.

The copy is SQLite's online backup (sqlite3.Connection.backup): a consistent snapshot taken page by page
while tablets keep signing. Beside it go what a restore needs and the database does not hold: the signing
key (PKCS#12) and the earlier certificates `verify` trusts. Never the passphrase: it lives elsewhere
(README "Keeping records"), so a stolen backup is no seal.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from asn1crypto import x509 as asn1_x509

from kiosk.core.db import SQLITE_FILE_PREFIX
from kiosk.documents import keeping
from kiosk.documents.keeping import Manifest, ManifestError, StoredRevision
from kiosk.documents.sealing import SealKey, SealKeyError
from kiosk.documents.verification import verify_pdf

DATABASE_FILE = "consent-kiosk.sqlite3"
KEY_FILE = "keys/signing-key.p12"
TRUSTED_DIR = "keys/trusted"
PG_POINTER = ("this installation runs on PostgreSQL: back it up with pg_dump as the README's "
              "\"Keeping records\" section says (this command copies SQLite only)")
PAGES_PER_STEP = 256  # the online backup copies this many pages, then lets writers in


class KeepingError(Exception):
    """A backup or restore refused, with one line saying why (a file named when one is at fault)."""


def sqlite_path(url: str) -> Path:
    """The database file behind an SQLite URL; refuses PostgreSQL with the pointer to pg_dump."""
    if not url.startswith(SQLITE_FILE_PREFIX) or ":memory:" in url:
        raise KeepingError(PG_POINTER if url.startswith("postgresql") else f"not an SQLite file database: {url}")
    return Path(url[len(SQLITE_FILE_PREFIX):].split("?", 1)[0])


@contextmanager
def _read_only(path: Path) -> Iterator[sqlite3.Connection]:
    """Open a backup's database without ever writing to it (no journal, no WAL file beside it)."""
    with closing(sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)) as connection:
        yield connection


def table_counts(connection: sqlite3.Connection) -> dict[str, int]:
    """Rows per table (SQLite's own tables left out)."""
    names = [row[0] for row in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    # the names come from sqlite_master itself, quoted as identifiers
    return {name: connection.execute(f'SELECT count(*) FROM "{name}"').fetchone()[0] for name in names}  # nosec B608


def _revisions(connection: sqlite3.Connection) -> Iterator[tuple[str, int, str, bytes]]:
    """Every stored revision's document, number, kind and bytes, one row at a time."""
    yield from connection.execute(
        "SELECT document_id, revision, kind, pdf FROM document_revisions ORDER BY document_id, revision")


def _schema_revision(connection: sqlite3.Connection) -> str | None:
    try:
        row = connection.execute("SELECT version_num FROM alembic_version").fetchone()
    except sqlite3.Error:
        return None
    return row[0] if row else None


@dataclass
class BackupResult:
    folder: Path
    manifest: Manifest


def backup(database_url: str, dest: Path, *, key_file: Path, trusted_cert_files: list[Path],
           now: datetime) -> BackupResult:
    """Copy the running database, the key and the trusted certificates into `dest`, with a manifest of all of it."""
    source = sqlite_path(database_url)
    if not source.is_file():
        raise KeepingError(f"no database at {source}")
    if dest.exists() and any(dest.iterdir()):
        raise KeepingError(f"{dest} is not empty; give a new folder for each backup")
    dest.mkdir(parents=True, exist_ok=True, mode=0o700)
    dest.chmod(0o700)
    copy = dest / DATABASE_FILE
    os.close(os.open(copy, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    with closing(sqlite3.connect(source, timeout=30)) as live, closing(sqlite3.connect(copy)) as target:
        live.backup(target, pages=PAGES_PER_STEP)
        target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
    with _read_only(copy) as connection:
        revisions = []
        for document_id, number, kind, pdf in _revisions(connection):
            revisions.append(StoredRevision(document_id, number, kind, hashlib.sha256(pdf).hexdigest()))
        stored = dict(((d, n), s) for d, n, s in connection.execute(
            "SELECT document_id, revision, sha256 FROM document_revisions"))
        manifest = Manifest(created_at=now.isoformat(), schema_revision=_schema_revision(connection),
                            tables=table_counts(connection), revisions=revisions)
    differing = [r for r in revisions if stored[(r.document_id, r.revision)] != r.sha256]
    if differing:
        first = differing[0]
        raise KeepingError(f"document {first.document_id} revision {first.revision}: its bytes no longer match the "
                           f"SHA-256 stored with it ({len(differing)} such revisions); the live database is damaged")
    files = [(DATABASE_FILE, copy)]
    if not key_file.is_file():
        raise KeepingError(f"no signing key at {key_file} (KIOSK_SIGNING_KEY_FILE)")
    files.append((KEY_FILE, _copy_private(key_file, dest / KEY_FILE)))
    for number, cert in enumerate(trusted_cert_files, start=1):
        files.append((f"{TRUSTED_DIR}/{number:02d}-{cert.name}", _copy_private(cert, dest / TRUSTED_DIR /
                                                                               f"{number:02d}-{cert.name}")))
    manifest.files = {name: keeping.sha256_of_file(path) for name, path in files}
    (dest / keeping.MANIFEST_NAME).write_text(manifest.to_json(), encoding="utf-8")
    return BackupResult(dest, manifest)


def _copy_private(source: Path, target: Path) -> Path:
    """Copy a key or certificate readable by this account only."""
    target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        shutil.copyfile(source, target)
    except OSError as exc:
        raise KeepingError(f"cannot copy {source}: {exc.strerror or exc}") from None
    return target


# --- restore --------------------------------------------------------------------------------------------------------

@dataclass
class RestoreReport:
    """What a restore checked, line by line, and every problem it found (any problem means exit non-zero)."""

    checked: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def read_manifest(src: Path) -> Manifest:
    """The backup's manifest, or KeepingError naming what is wrong with it."""
    try:
        return Manifest.from_json((src / keeping.MANIFEST_NAME).read_text(encoding="utf-8"))
    except OSError as exc:
        raise KeepingError(f"{src / keeping.MANIFEST_NAME}: cannot be read ({exc.strerror or exc})") from None
    except (ManifestError, UnicodeDecodeError) as exc:
        raise KeepingError(str(exc)) from None


def check_backup(src: Path, manifest: Manifest, *,
                 load_key: Callable[[Path], SealKey]) -> RestoreReport:
    """Check a backup folder before anything is written: files, revisions, counts, and every newest seal."""
    report = RestoreReport()
    report.problems += keeping.file_problems(src, manifest)
    report.checked.append(f"{len(manifest.files)} files against the manifest's SHA-256")
    database = src / DATABASE_FILE
    if not database.is_file():
        return report
    try:
        with _read_only(database) as connection:
            found = ((d, n, pdf) for d, n, _kind, pdf in _revisions(connection))
            report.problems += keeping.revision_problems(manifest.revisions, found)
            report.checked.append(f"{len(manifest.revisions)} stored revisions byte for byte (SHA-256)")
            report.problems += keeping.count_problems(manifest.tables, table_counts(connection))
            report.checked.append(f"row counts of {len(manifest.tables)} tables")
            schema = _schema_revision(connection)
            if schema != manifest.schema_revision:
                report.problems.append(f"schema revision {schema}, the manifest says {manifest.schema_revision}")
            report.checked.append(f"schema revision {schema}")
            if report.problems:
                return report
            report.problems += _verify_seals(connection, src, manifest, load_key, report)
    except sqlite3.DatabaseError as exc:
        report.problems.append(f"{DATABASE_FILE}: not a readable SQLite database ({exc})")
    return report


def _verify_seals(connection: sqlite3.Connection, src: Path, manifest: Manifest,
                  load_key: Callable[[Path], SealKey], report: RestoreReport) -> list[str]:
    """Re-verify each document's newest revision with the backed-up key and certificates, as `verify` would."""
    try:
        key = load_key(src / KEY_FILE)
    except SealKeyError as exc:
        return [f"{KEY_FILE}: {exc}"]
    trusted = [key.certificate] + [_certificate(src / name) for name in sorted(manifest.files)
                                   if name.startswith(TRUSTED_DIR + "/")]
    problems = []
    for rev in manifest.newest_revisions().values():
        row = connection.execute("SELECT pdf FROM document_revisions WHERE document_id = ? AND revision = ?",
                                 (rev.document_id, rev.revision)).fetchone()
        verdict = verify_pdf(row[0], trusted)
        line = f"document {rev.document_id} revision {rev.revision} ({rev.kind}): seal {verdict.status}"
        report.checked.append(line)
        if not verdict.intact:
            problems.append(f"{line}: {verdict.reason}")
    return problems


def _certificate(path: Path) -> asn1_x509.Certificate:
    from asn1crypto import pem

    data = path.read_bytes()
    if pem.detect(data):
        return asn1_x509.Certificate.load(pem.unarmor(data)[2])
    return asn1_x509.Certificate.load(data)


def target_holds_records(database_url: str) -> int:
    """How many consents and check-ins the target database holds (0 for a new or empty one)."""
    path = sqlite_path(database_url)
    if not path.is_file():
        return 0
    with closing(sqlite3.connect(path, timeout=30)) as connection:
        total = 0
        for table in ("consents", "checkins"):
            try:
                total += connection.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # nosec B608
            except sqlite3.OperationalError:  # no such table: a database never migrated
                pass
        return total


def restore(src: Path, database_url: str, *, key_file: Path, load_key: Callable[[Path], SealKey]) -> RestoreReport:
    """Check the backup, then copy it into an empty instance; refuses before writing anything on any problem."""
    manifest = read_manifest(src)
    held = target_holds_records(database_url)
    if held:
        raise KeepingError(f"the target database holds {held} consents and check-ins; restore only into an "
                           "empty instance (a new DATABASE_URL)")
    if key_file.exists() and keeping.sha256_of_file(key_file) != manifest.files.get(KEY_FILE):
        raise KeepingError(f"a different signing key is already at {key_file}; move it away or point "
                           "KIOSK_SIGNING_KEY_FILE at a new path")
    report = check_backup(src, manifest, load_key=load_key)
    if report.problems:
        return report
    target = sqlite_path(database_url)
    target.parent.mkdir(parents=True, exist_ok=True)
    with closing(sqlite3.connect(src / DATABASE_FILE)) as backup_db, \
            closing(sqlite3.connect(target, timeout=30)) as live:
        backup_db.backup(live)
        live.execute("PRAGMA journal_mode=WAL")
    if not key_file.exists():
        _copy_private(src / KEY_FILE, key_file)
    for name in sorted(n for n in manifest.files if n.startswith(TRUSTED_DIR + "/")):
        copied = key_file.parent / "trusted-certs" / Path(name).name
        if not copied.exists():
            _copy_private(src / name, copied)
        report.checked.append(f"earlier certificate {copied}: list it in KIOSK_SIGNING_TRUSTED_CERTS")
    with closing(sqlite3.connect(target, timeout=30)) as restored:
        found = ((d, n, pdf) for d, n, _kind, pdf in _revisions(restored))
        report.problems += keeping.revision_problems(manifest.revisions, found)
        report.problems += keeping.count_problems(manifest.tables, table_counts(restored))
    report.checked.append(f"restored into {target}: revisions and row counts match the manifest")
    report.checked.append(f"signing key at {key_file}")
    return report
