"""Real servers for tests and benches: gunicorn started from gunicorn.conf.py, and a tablet speaking plain HTTP.

`HttpTablet` offers the few methods of Flask's test client that `WizardDriver` uses (get, post,
get_cookie, application), over a real socket with its own cookie jar, so the same driver walks
the wizard in process or against running servers, and new wizard steps are picked up in one place.
"""

from __future__ import annotations

import functools
import http.client
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")


@contextmanager
def bench_database(kind: str, workdir: Path, prefix: str, *, empty: bool) -> Iterator[str]:
    """A fresh database for a bench run: an SQLite file in `workdir`, or a PostgreSQL database dropped afterwards."""
    from kiosk.core.migrate import upgrade
    from tests.support import POSTGRES_URL, PostgresServer

    if kind == "sqlite":
        url = f"sqlite:///{workdir / 'clinic.sqlite3'}"
        if not empty:
            upgrade(url)
        yield url
        return
    server = PostgresServer(POSTGRES_URL)
    if not server.available():
        raise SystemExit(f"error: no PostgreSQL server at {POSTGRES_URL} (set KIOSK_TEST_POSTGRES_URL)")
    try:
        with server.database(prefix, empty=empty) as url:
            yield url
    finally:
        server.close()


def loopback_socket() -> socket.socket:
    """A TCP socket bound by the OS to a free loopback port, to hand to gunicorn as it is.

    Handing over the bound socket (instead of a port number probed and released) means no other test
    process or connection can take the port between choosing it and serving on it, so parallel runs never collide.
    """
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


LIVE_SIGNING_PASSPHRASE = "live test seal"


@functools.cache
def live_signing_key() -> Path:
    """One clinic seal per test or bench process, in a temporary folder (a production server needs one)."""
    from kiosk.documents.sealing import create_signing_key

    path = Path(tempfile.mkdtemp(prefix="kiosk-seal-")) / "signing-key.p12"
    create_signing_key(path, LIVE_SIGNING_PASSPHRASE, organisation="Live Clinic", now=datetime.now(timezone.utc))
    return path


def server_env(database_url: str, **settings: str) -> dict[str, str]:
    """The environment of a production-like app process (HTTPS-only cookies, shared secret key)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("KIOSK_")}
    env.update({
        "DATABASE_URL": database_url,
        "KIOSK_ENV_NAME": "production",
        "KIOSK_SECRET_KEY": "live-test-secret-" + "k" * 32,
        "KIOSK_SESSION_COOKIE_SECURE": "true",
        "KIOSK_TRUSTED_HOSTS": "127.0.0.1,localhost",
        "KIOSK_CLINIC_NAME": "Live Clinic",
        "KIOSK_PUBLIC_URL": "https://kiosk.clinic.example",
        "KIOSK_SIGNING_KEY_FILE": str(live_signing_key()),
        "KIOSK_SIGNING_KEY_PASSPHRASE": LIVE_SIGNING_PASSPHRASE,
        "PYTHONUNBUFFERED": "1",
    })
    env.update(settings)
    return env


@dataclass
class GunicornServer:
    """One gunicorn master (with its workers) on a loopback port; its log is kept in a file."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def worker_pids(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def wait_for_workers(self, count: int, timeout: float = 30) -> list[int]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pids = self.worker_pids()
            if len(pids) >= count:
                return pids
            time.sleep(0.05)
        raise TimeoutError(f"gunicorn did not have {count} workers within {timeout} s:\n{self.log_text()}")

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_gunicorn(env: dict[str, str], log: Path, *, workers: int = 1, threads: int = 2,
                   listener: socket.socket | None = None, app_module: str | None = None) -> subprocess.Popen[bytes]:
    """Start `gunicorn -c gunicorn.conf.py` as a clinic would, on a loopback socket (another app_module for benches).

    gunicorn serves on `listener` (inherited as fd://N); without one it gets a free port of its own.
    """
    sock = listener or loopback_socket()
    env = {**env, "KIOSK_BIND": f"fd://{sock.fileno()}", "KIOSK_WORKERS": str(workers),
           "KIOSK_THREADS": str(threads)}
    handle = log.open("wb")
    try:
        command = [str(GUNICORN), "-c", "gunicorn.conf.py", *([app_module] if app_module else [])]
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT,
                                pass_fds=(sock.fileno(),))
    finally:
        handle.close()
        if listener is None:
            sock.close()  # gunicorn holds its own copy


def wait_until_serving(server: GunicornServer, workers: int, timeout: float = 60) -> None:
    """Wait until the port answers and every worker is up; raise with the server's log if it died."""
    deadline = time.monotonic() + timeout
    while True:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.process.returncode}:\n{server.log_text()}")
        try:
            with socket.create_connection(("127.0.0.1", server.port), timeout=1):
                break
        except OSError:
            if time.monotonic() > deadline:
                raise TimeoutError(f"gunicorn did not answer within {timeout} s:\n{server.log_text()}") from None
            time.sleep(0.05)
    server.wait_for_workers(workers)


@contextmanager
def gunicorn_servers(env: dict[str, str], logs: list[Path], *, workers: int = 1, threads: int = 2,
                     timeout: float = 60, app_module: str | None = None) -> Iterator[list[GunicornServer]]:
    """Several servers started at the same moment (as hosts of one clinic chain), answering, stopped afterwards."""
    servers = []
    try:
        for log in logs:
            with loopback_socket() as listener:  # closed here once gunicorn has its own copy
                process = start_gunicorn(env, log, workers=workers, threads=threads, listener=listener,
                                         app_module=app_module)
                servers.append(GunicornServer(process, listener.getsockname()[1], log))
        for server in servers:
            wait_until_serving(server, workers, timeout)
        yield servers
    finally:
        for server in servers:
            server.stop()


@contextmanager
def gunicorn(env: dict[str, str], log: Path, *, workers: int = 1, threads: int = 2,
             timeout: float = 60, app_module: str | None = None) -> Iterator[GunicornServer]:
    """One running server, answering on its port, stopped afterwards."""
    with gunicorn_servers(env, [log], workers=workers, threads=threads, timeout=timeout,
                          app_module=app_module) as [server]:
        yield server


@dataclass
class HttpResponse:
    """The parts of a Flask test response the tests read."""

    status_code: int
    headers: http.client.HTTPMessage
    body: bytes

    def get_data(self, as_text: bool = False) -> Any:
        return self.body.decode("utf-8", "replace") if as_text else self.body


@dataclass
class Cookie:
    value: str


@dataclass
class HttpTablet:
    """A tablet with its own cookie jar; each request may go to a different server of the same clinic."""

    servers: list[str]
    application: Flask
    timeout: float = 60
    cookies: dict[str, str] = field(default_factory=dict)
    requests: int = 0
    sent: Callable[[str, str], None] | None = None  # (method, url): lets a test act the moment a request has left
    timings: list[tuple[str, str, int, float]] = field(default_factory=list)  # (method, url, status, seconds)

    def _server(self) -> str:
        server = self.servers[self.requests % len(self.servers)]
        self.requests += 1
        return server

    def request(self, method: str, url: str, body: bytes | None = None,
                headers: dict[str, str] | None = None, server: str | None = None) -> HttpResponse:
        host, port = (server or self._server()).split(":")
        connection = http.client.HTTPConnection(host, int(port), timeout=self.timeout)
        try:
            sent = dict(headers or {})
            if self.cookies:
                sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            started = time.perf_counter()
            connection.request(method, url, body=body, headers=sent)
            if self.sent is not None:
                self.sent(method, url)
            raw = connection.getresponse()
            response = HttpResponse(raw.status, raw.headers, raw.read())
            self.timings.append((method, url, response.status_code, time.perf_counter() - started))
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                expired = morsel["max-age"] == "0" or (morsel["expires"] and "1970" in morsel["expires"])
                if expired or not morsel.value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        return response

    def get(self, url: str, **_: Any) -> HttpResponse:
        return self.request("GET", url)

    def post(self, url: str, data: dict[str, Any] | None = None, follow_redirects: bool = False,
             **_: Any) -> HttpResponse:
        body = urlencode(data or {}, doseq=True).encode()
        response = self.request("POST", url, body, {"Content-Type": "application/x-www-form-urlencoded"})
        if follow_redirects and response.status_code in (301, 302, 303):
            return self.get(urlsplit(response.headers["Location"]).path)
        return response

    def get_cookie(self, name: str) -> Cookie | None:
        return Cookie(self.cookies[name]) if name in self.cookies else None
