"""Settings from the environment, so one code base serves a demo laptop and a clinic chain."""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def load_config(app: Flask, overrides: dict[str, Any] | None = None) -> None:
    """Defaults, then KIOSK_* and DATABASE_URL from the environment, then explicit overrides (tests)."""
    instance = Path(app.instance_path)
    private_folder(instance)
    app.config.update(
        SECRET_KEY=None,
        DATABASE_URL=f"sqlite:///{instance / 'consent-kiosk.sqlite3'}",
        CONSENT_TEXTS_DIR=str(PROJECT_ROOT / "consent_texts"),
        CLINIC_NAME="Demo Aesthetic Clinic",
        CLINIC_TIMEZONE="Europe/Madrid",
        CLINIC_ADDRESS=None,  # printed beside the name on every PDF page (a site of a chain gives its own)
        AUTO_MIGRATE=True,
        MAX_CONTENT_LENGTH=3 * 1024 * 1024,
        # a form's token outlives any page a person keeps open (staff sign out after 15 idle minutes, the tablet
        # resets after about two), yet a token copied from a screen is worthless by the next shift
        WTF_CSRF_TIME_LIMIT=4 * 3600,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        BABEL_DEFAULT_LOCALE="en",
        TRANSLATIONS_DIR=str(PROJECT_ROOT / "translations"),  # the .po sources; compiled at start (kiosk.core.i18n)
        STAFF_IDLE_MINUTES=15,
        IDLE_SECONDS=120,  # the tablet asks "Are you still there?" after this long without a touch or key
        IDLE_COUNTDOWN_SECONDS=20,  # ...and goes back to the start page this long after asking
        CONSENT_VALID_MONTHS=12,  # one consent covers a course of sessions for this long
        PHOTO_MAX_BYTES=15 * 1024 * 1024,  # a treatment photo as the camera sends it; larger ones are refused
        PHOTO_MAX_PIXELS=50_000_000,  # width x height; more is refused before decoding (a decompression bomb)
        PHOTO_ROLES="doctor",  # who takes, sees and deletes treatment photos (comma-separated roles; admins always)
        RETENTION_YEARS=5,  # records are kept this long after the last session or signature (Ley 41/2002 art. 17)
        PROXY_FIX_HOPS=0,
        ENV_NAME="development",  # KIOSK_ENV_NAME=production turns on the start-up checks below
        SIGNING_KEY_FILE=str(instance / "signing-key.p12"),  # the clinic's seal (PKCS#12); never committed
        SIGNING_KEY_PASSPHRASE=None,  # unset: read from SIGNING_KEY_FILE + ".passphrase" (demo keys)
        SIGNING_TRUSTED_CERTS="",  # comma-separated PEM files of earlier seals, still accepted by verify
        PUBLIC_URL="http://127.0.0.1:5000",  # printed on every PDF page: where /verify is reached
        # the clinic's mail server, for the patient's emailed copy; no host: the done page says to ask at the desk
        SMTP_HOST=None,
        SMTP_PORT=587,
        SMTP_USERNAME=None,
        SMTP_PASSWORD=None,
        SMTP_STARTTLS=True,
        SMTP_FROM=None,  # the sender address; the sender's name is the clinic's (its site's) name
        SMTP_TIMEOUT=20,
        TRUSTED_HOSTS=None,  # host names the app answers to (KIOSK_TRUSTED_HOSTS, comma-separated); required in production
    )
    app.config.from_prefixed_env("KIOSK")
    if os.environ.get("DATABASE_URL"):
        app.config["DATABASE_URL"] = os.environ["DATABASE_URL"]
    if overrides:
        app.config.update(overrides)
    app.config["TRUSTED_HOSTS"] = _host_list(app.config.get("TRUSTED_HOSTS"))
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", app.config["CLINIC_TIMEZONE"])
    _check_idle_timings(app.config)
    if app.config["ENV_NAME"] == "production":
        _check_production(app.config)
    elif app.config["ENV_NAME"] == "development":  # said by the server, not by every command (`screen`, `sites`)
        app.before_request(lambda: _warn_loopback_public_url(app))
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(instance)


def _check_production(config: dict[str, Any]) -> None:
    """Refuse to serve patients with settings that are only safe on a demo laptop."""
    problems = []
    secret = config.get("SECRET_KEY") or ""
    if len(secret) < 32:
        problems.append("set KIOSK_SECRET_KEY to a random value of at least 32 characters, the same on every "
                        "app process (e.g. python3 -c 'import secrets; print(secrets.token_hex(32))')")
    if not config.get("SESSION_COOKIE_SECURE"):
        problems.append("set KIOSK_SESSION_COOKIE_SECURE=true and serve the app over HTTPS only")
    exposed = [address for address in str(config.get("BIND") or DEFAULT_BIND).split(",") if not _loopback(address)]
    if exposed and not int(config.get("PROXY_FIX_HOPS") or 0):
        problems.append(f"serve gunicorn on a loopback address (KIOSK_BIND={DEFAULT_BIND}) behind a reverse proxy "
                        "that buffers whole requests (nginx does by default), and set KIOSK_PROXY_FIX_HOPS; "
                        f"listening on {', '.join(exposed)} directly, a few clients sending a byte at a time "
                        "hold every worker thread")
    if not config.get("TRUSTED_HOSTS"):
        problems.append("set KIOSK_TRUSTED_HOSTS to the host names the app is reached under, comma-separated "
                        "(e.g. kiosk.clinic.example), so no request can make it build links to another host")
    public_url = str(config.get("PUBLIC_URL") or "")
    if loopback_url(public_url):
        problems.append(f"set KIOSK_PUBLIC_URL to the https:// address patients and staff reach this app under "
                        f"(e.g. https://kiosk.clinic.example): every PDF prints it as where to verify the document, "
                        f"and {public_url or 'an empty address'} only works on this machine")
    if problems:
        raise SystemExit("consent-kiosk will not start in production:\n" + "\n".join(f"- {p}" for p in problems))


_warned_public_urls: set[str] = set()  # the development warning is printed once per process and address


def _warn_loopback_public_url(app: Flask) -> None:
    """On a demo laptop, say once (at the first request) that PDFs will print an address only this machine opens."""
    public_url = str(app.config.get("PUBLIC_URL") or "")
    if loopback_url(public_url) and public_url not in _warned_public_urls:
        _warned_public_urls.add(public_url)
        app.logger.warning("KIOSK_PUBLIC_URL is %s: every PDF signed here will print that loopback address as "
                           "where to verify it; set KIOSK_PUBLIC_URL to the clinic's real address before patients "
                           "sign", public_url or "empty")


def loopback_url(url: str) -> bool:
    """An address only this machine can reach (localhost, 127.x, ::1, 0.0.0.0), or none at all."""
    try:
        host = urlsplit(url.strip()).hostname
    except ValueError:
        return True
    if not host or host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    return address.is_loopback or address.is_unspecified


def _check_idle_timings(config: dict[str, Any]) -> None:
    """The tablet's idle timings must be whole seconds, or the reset would never (or always) fire."""
    for key in ("IDLE_SECONDS", "IDLE_COUNTDOWN_SECONDS"):
        value = config[key]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise SystemExit(f"consent-kiosk will not start: KIOSK_{key} must be a whole number of seconds, "
                             f"at least 1 (got {value!r})")


DEFAULT_BIND = "127.0.0.1:8000"  # gunicorn.conf.py's default for KIOSK_BIND


def _loopback(address: str) -> bool:
    """A gunicorn bind only this machine can reach: a loopback host, a unix socket, or a socket handed over (fd://)."""
    address = address.strip()
    if address.startswith(("unix:", "fd://")):
        return True
    host = address.rsplit(":", 1)[0] if address.count(":") == 1 or address.startswith("[") else address
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _host_list(value: Any) -> list[str] | None:
    """KIOSK_TRUSTED_HOSTS as a list: the environment gives "a,b" (or a JSON list); None or empty means unchecked."""
    if isinstance(value, str):
        value = [part.strip() for part in value.split(",")]
    hosts = [str(host) for host in value or [] if str(host)]
    return hosts or None


def private_folder(folder: Path) -> None:
    """Make (or tighten) a folder only this account can enter: it holds the database, keys and secrets."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    if folder.stat().st_mode & 0o077:
        try:
            folder.chmod(0o700)
        except OSError:  # not ours to change (a read-only or shared mount): the operator's choice stands
            pass


def _instance_secret(instance: Path) -> str:
    """A random key kept in the instance folder, so sessions survive restarts and are shared by workers."""
    private_folder(instance)
    path = instance / "secret_key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return path.read_text().strip()
