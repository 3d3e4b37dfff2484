"""The floor for bench_http.py: the smallest Flask page, served by gunicorn with the kiosk's own settings."""

from __future__ import annotations

from flask import Flask

app = Flask(__name__)


@app.get("/")
def page() -> str:
    return "<!doctype html><title>floor</title><p>ok</p>"
