"""Gunicorn settings for production, read from the environment so every clinic host uses the same file.

    gunicorn -c gunicorn.conf.py

The app is loaded once in the master (schema upgrade and texts check happen once, and a broken
setting stops the server before any worker starts); each worker then gets its own database pool.
"""

from __future__ import annotations

import multiprocessing
import os
from typing import Any

wsgi_app = "wsgi:app"
bind = os.environ.get("KIOSK_BIND", "127.0.0.1:8000").split(",")
workers = int(os.environ.get("KIOSK_WORKERS", min(2 * multiprocessing.cpu_count() + 1, 9)))
# threads let one worker wait on a slow tablet upload or the database while another request runs
worker_class = "gthread"
threads = int(os.environ.get("KIOSK_THREADS", "4"))
timeout = int(os.environ.get("KIOSK_WORKER_TIMEOUT", "60"))
graceful_timeout = 30
keepalive = 5
preload_app = True
# recycle workers now and then so a slow leak can never take a clinic down; jitter avoids all at once
max_requests = int(os.environ.get("KIOSK_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10
accesslog = os.environ.get("KIOSK_ACCESS_LOG") or None  # "-" for stdout; URLs hold no patient data
errorlog = "-"
loglevel = os.environ.get("KIOSK_LOG_LEVEL", "info")
# request size limits: the app itself answers 413 above MAX_CONTENT_LENGTH (3 MB)
limit_request_line = 8190
limit_request_fields = 100


def post_fork(server: Any, worker: Any) -> None:
    """A forked worker must not share the master's database connections: start its pool empty."""
    import sys

    wsgi = sys.modules.get("wsgi")  # absent when another app module is served with these settings (bench floor)
    if wsgi is not None:
        wsgi.app.extensions["kiosk_db"].kw["bind"].dispose(close=False)
