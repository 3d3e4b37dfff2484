"""Real-browser fixtures: the app on a local port, Debian's Chromium as a 10-inch portrait tablet, screenshots.

Only Debian's Chromium is used (`apt-get install chromium`); no browser is ever downloaded. All traffic stays on
127.0.0.1, and Chromium's own background connections are switched off because the clinic network refuses them.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from app import create_app
from tests.support import need

try:
    from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright
except ImportError:  # the skip (or CI failure) happens in the fixtures, with what to install
    sync_playwright = None  # type: ignore[assignment]

ROOT = Path(__file__).resolve().parents[2]
# Debian installs it as /usr/bin/chromium; found on PATH (as .ci/run looks for it), or named by KIOSK_CHROMIUM
CHROMIUM = os.environ.get("KIOSK_CHROMIUM") or shutil.which("chromium") or ""
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# A 10-inch tablet held upright, driven by a finger.
TABLET: dict[str, Any] = {
    "viewport": {"width": 800, "height": 1280},
    "screen": {"width": 800, "height": 1280},
    "has_touch": True,
    "is_mobile": False,
    "device_scale_factor": 1,
    "locale": "en-GB",
}
TIMEOUT_MS = 5_000


@dataclass
class LiveServer:
    url: str
    app: Flask


@pytest.fixture
def db_backend() -> str:
    """Browser tests check the pages, not the database: SQLite only, so the suite stays fast."""
    return "sqlite"


@pytest.fixture
def live_server(db_url: str) -> Iterator[LiveServer]:
    """The real app on 127.0.0.1 and a free port, served from a daemon thread for one test."""
    app = create_app({
        "DATABASE_URL": db_url,
        "AUTO_MIGRATE": False,
        "SECRET_KEY": "test",
        "TESTING": True,
    })
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """One headless Chromium per test module (launching costs about a second).

    Not per session: Playwright's sync API keeps an asyncio loop running in the main thread while it is open,
    and pyHanko's signing (asyncio.run) refuses to run inside one, so every later test that seals a PDF in
    process would fail.
    """
    need(sync_playwright is not None, "the playwright Python package: pip install -r requirements-dev.txt")
    need(bool(CHROMIUM) and Path(CHROMIUM).is_file() and os.access(CHROMIUM, os.X_OK),
         f"Chromium ({CHROMIUM or 'chromium on PATH'}): apt-get install chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def tablet_context(browser: Browser) -> Iterator[Callable[..., BrowserContext]]:
    """Factory for fresh tablet contexts (own cookies); pass overrides such as java_script_enabled=False."""
    contexts: list[BrowserContext] = []

    def make(**overrides: Any) -> BrowserContext:
        context = browser.new_context(**{**TABLET, **overrides})
        context.set_default_timeout(TIMEOUT_MS)
        context.set_default_navigation_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def open_page(browser: Browser) -> Iterator[Callable[..., Page]]:
    """Factory for pages in fresh contexts (a desk computer, a tablet, a phone each), problems watched, closed after."""
    contexts: list[BrowserContext] = []

    def make(settings: dict[str, Any], timeout_ms: int = TIMEOUT_MS) -> Page:
        context = browser.new_context(**settings)
        context.set_default_timeout(timeout_ms)
        context.set_default_navigation_timeout(timeout_ms)
        contexts.append(context)
        page = context.new_page()
        watch_problems(page)
        return page

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def browser_page(tablet_context: Callable[..., BrowserContext]) -> Iterator[Page]:
    """A page in a fresh portrait tablet context; `page.problems` collects script errors and failed loads."""
    page = tablet_context().new_page()
    watch_problems(page)
    yield page
    page.close()


def watch_problems(page: Page) -> list[str]:
    problems: list[str] = []
    page.problems = problems  # type: ignore[attr-defined]
    page.on("pageerror", lambda exc: problems.append(f"script error: {exc}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico") else None)
    return problems


def screenshots_dir() -> Path:
    return Path(os.environ.get("KIOSK_SCREENSHOTS_DIR") or ROOT / "test-artifacts" / "screenshots")


class Screenshots:
    """Saves NNN-step.png, numbered across the session, so a reviewer can page through a whole walk.

    Under pytest-xdist each worker numbers its own shots behind its name (gw0-NNN-step.png), so a walk stays
    in order and workers never overwrite each other; the shots of an earlier run are removed once per run.
    """

    def __init__(self, folder: Path, worker: str = "", run_id: str = "") -> None:
        self.folder = folder
        self.prefix = f"{worker}-" if worker else ""
        self.count = 0
        folder.mkdir(parents=True, exist_ok=True)
        with (folder / ".lock").open("a") as lock:  # the first worker of a run clears; later ones see its run id
            fcntl.flock(lock, fcntl.LOCK_EX)
            stamp = folder / ".run"
            if not run_id or not stamp.exists() or stamp.read_text() != run_id:
                # only our own earlier shots (NNN-*.png, gwN-NNN-*.png), so no stale pages mislead
                for old in [*folder.glob("[0-9][0-9]*-*.png"), *folder.glob("gw[0-9]*-[0-9][0-9]*-*.png")]:
                    old.unlink()
                stamp.write_text(run_id)

    def __call__(self, page: Page, step: str, *, full_page: bool = True) -> Path:
        self.count += 1
        name = re.sub(r"[^a-z0-9]+", "-", step.lower()).strip("-")
        path = self.folder / f"{self.prefix}{self.count:03d}-{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path


@pytest.fixture(scope="session")
def _screenshots() -> Screenshots:
    # pytest-xdist names its workers in the environment; without it there is one process, cleared at its start
    return Screenshots(screenshots_dir(), worker=os.environ.get("PYTEST_XDIST_WORKER", ""),
                       run_id=os.environ.get("PYTEST_XDIST_TESTRUNUID", ""))


@pytest.fixture
def screenshot(_screenshots: Screenshots) -> Screenshots:
    return _screenshots



def set_staff_language(app: Flask, language: str) -> None:
    """Every staff account reads the staff pages in `language`, as if each had pressed the switch once."""
    from kiosk.core.models import User

    session = app.extensions["kiosk_db"]()
    for user in session.query(User):
        user.language = language
    session.commit()
    session.close()
