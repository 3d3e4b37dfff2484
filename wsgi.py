"""The production entry point: `gunicorn -c gunicorn.conf.py` serves `wsgi:app` (settings come from the environment)."""

from __future__ import annotations

from datetime import datetime, timezone

from flask import Flask

from app import create_app
from kiosk.documents import signing_keys
from kiosk.documents.pdf.style import register_fonts
from kiosk.documents.sealing import SealKeyError


def _load_seal(app: Flask) -> None:
    """Refuse to serve before any patient reaches the last step and finds that nothing can be sealed."""
    config = app.config
    try:
        signing_keys.signing_key(config["SIGNING_KEY_FILE"], config["SIGNING_KEY_PASSPHRASE"],
                                 create_if_missing=config["ENV_NAME"] == "development",
                                 organisation=config["CLINIC_NAME"], now=datetime.now(timezone.utc))
    except SealKeyError as exc:
        raise SystemExit(f"consent-kiosk will not start: {exc} "
                         "(settings: KIOSK_SIGNING_KEY_FILE, KIOSK_SIGNING_KEY_PASSPHRASE)") from None


def _compile_templates(app: Flask) -> None:
    """Compile every template before the workers fork: a recycled worker (max_requests) starts warm, not compiling."""
    for name in app.jinja_env.list_templates():
        app.jinja_env.get_template(name)


app = create_app()
# gunicorn loads this module once in its master (preload_app) and forks the workers from it, so the
# fonts, the templates and the clinic's seal are loaded once here and no patient's request pays for them
register_fonts()
_compile_templates(app)
_load_seal(app)
