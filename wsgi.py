"""The production entry point: `gunicorn -c gunicorn.conf.py` serves `wsgi:app` (settings come from the environment)."""

from __future__ import annotations

from app import create_app

app = create_app()
