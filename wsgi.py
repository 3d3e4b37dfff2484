"""The production entry point: `gunicorn -c gunicorn.conf.py` serves `wsgi:app` (settings come from the environment)."""

from __future__ import annotations

from app import create_app
from kiosk.pdf.style import register_fonts

app = create_app()
# gunicorn loads this module once in its master (preload_app) and forks the workers from it, so the
# fonts are parsed once here and no patient's signature pays for loading them in a fresh worker
register_fonts()
