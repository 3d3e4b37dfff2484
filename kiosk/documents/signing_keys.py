"""Where the clinic's seal comes from: the configured PKCS#12, its passphrase, a demo key, earlier certificates."""

from __future__ import annotations

import fcntl
import os
from datetime import datetime
from pathlib import Path

from asn1crypto import pem, x509 as asn1_x509

from kiosk.documents.sealing import SealKey, SealKeyError, create_signing_key, load_seal_key, new_passphrase


def passphrase_path(key_file: str | os.PathLike[str]) -> Path:
    """Where a generated key's passphrase is kept when none is configured (next to the key, mode 0600)."""
    return Path(f"{key_file}.passphrase")


def resolve_passphrase(key_file: str | os.PathLike[str], configured: str | None) -> str | None:
    """The configured passphrase, else the one saved beside a generated key, else none."""
    if configured:
        return configured
    saved = passphrase_path(key_file)
    return saved.read_text(encoding="utf-8").strip() if saved.exists() else None


def init_key(key_file: str | os.PathLike[str], configured_passphrase: str | None, *, organisation: str,
             now: datetime) -> str:
    """Make a self-signed key; without a configured passphrase a random one is saved beside it. Returns the fingerprint."""
    passphrase = configured_passphrase
    if not passphrase:
        if Path(key_file).exists():
            raise SealKeyError(f"{key_file} already exists; move it away first if you really mean to replace it")
        passphrase = new_passphrase()
        target = passphrase_path(key_file)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.unlink(missing_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(passphrase)
    return create_signing_key(key_file, passphrase, organisation=organisation, now=now)


def signing_key(key_file: str | os.PathLike[str], configured_passphrase: str | None, *, create_if_missing: bool,
                organisation: str, now: datetime) -> SealKey:
    """The parsed seal (cached per process); a development install makes itself a demo key on first use."""
    if create_if_missing and not Path(key_file).exists():
        # workers starting together on a fresh install would each make a key and overwrite each other's
        # passphrase file; one makes it under the lock, the others wait and then load that one
        Path(key_file).parent.mkdir(parents=True, exist_ok=True)
        with open(f"{key_file}.lock", "a", encoding="utf-8") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not Path(key_file).exists():
                init_key(key_file, configured_passphrase, organisation=organisation, now=now)
    return load_seal_key(key_file, resolve_passphrase(key_file, configured_passphrase))


def trusted_certificates(current: SealKey, extra_pem_files: str) -> list[asn1_x509.Certificate]:
    """This installation's certificate plus earlier ones named in KIOSK_SIGNING_TRUSTED_CERTS (comma-separated PEM)."""
    certs = [current.certificate]
    for name in filter(None, (part.strip() for part in extra_pem_files.split(","))):
        try:
            data = Path(name).read_bytes()
        except OSError as exc:
            raise SealKeyError(f"cannot read trusted certificate {name}: {exc.strerror or exc}") from None
        if pem.detect(data):
            certs += [asn1_x509.Certificate.load(der) for kind, _, der in pem.unarmor(data, multiple=True)
                      if kind == "CERTIFICATE"]
        else:
            certs.append(asn1_x509.Certificate.load(data))
    return certs
