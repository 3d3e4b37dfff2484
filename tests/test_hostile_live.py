"""Hostile PDFs sent at once to gunicorn itself (issue 14, finding 1), where the attack was made.

Before the fix four or five such uploads at once took the machine: each ran inside a gthread worker for
minutes while the worker kept heartbeating, so gunicorn's timeout never fired. Now the files past the
screen are judged in forkserver children of the worker, one per request thread, each limited.
"""

from __future__ import annotations

import secrets
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests import hostile
from tests.live import HttpResponse, HttpTablet, gunicorn, server_env
from tests.support import csrf_token

ANSWER_WITHIN = 5.0


def upload(tablet: HttpTablet, pdf: bytes) -> tuple[HttpResponse, float]:
    """GET /verify for its CSRF token, then POST the file as a browser's form would; returns the POST's seconds."""
    token = csrf_token(tablet.get("/verify").get_data(as_text=True))
    boundary = secrets.token_hex(16)
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n{token}\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="document"; filename="x.pdf"\r\n'
            f"Content-Type: application/pdf\r\n\r\n").encode() + pdf + f"\r\n--{boundary}--\r\n".encode()
    started = time.monotonic()
    response = tablet.request("POST", "/verify", body, {"Content-Type": f"multipart/form-data; boundary={boundary}"})
    return response, time.monotonic() - started


def test_hostile_pdfs_at_once_are_each_too_complex_within_five_seconds_and_the_worker_keeps_serving(
        db_url: str, tmp_path: Path) -> None:
    files = {
        "xref claiming 3 million entries": (hostile.xref_claiming(3_000_000), "too_complex"),
        "40 signed revisions": (hostile.many_signed_revisions(40), "too_complex"),
        "400 KB of nested arrays": (hostile.deeply_nested(400), "too_complex"),
        "a cross-reference stream inflating to 16 MB": (hostile.xref_stream_bomb(16), "too_complex"),
        "12 signed revisions (inside the screen: judged in a child)": (hostile.many_signed_revisions(12), "unknown"),
    }
    with gunicorn(server_env(db_url), tmp_path / "gunicorn.log", workers=1, threads=len(files)) as server:
        def send(pdf: bytes) -> tuple[HttpResponse, float]:
            return upload(HttpTablet([server.address], application=None), pdf)  # type: ignore[arg-type]

        with ThreadPoolExecutor(len(files)) as pool:
            answers = dict(zip(files, pool.map(send, [pdf for pdf, _verdict in files.values()])))
        started = time.monotonic()
        still = HttpTablet([server.address], application=None).get("/")  # type: ignore[arg-type]
        after = time.monotonic() - started
        log = server.log_text()
    for name, (response, seconds) in answers.items():
        html = response.get_data(as_text=True)
        assert response.status_code == 200, f"{name}: HTTP {response.status_code}\n{log[-3000:]}"
        assert f"verdict-{files[name][1]}" in html, f"{name}: {html[:2000]}"
        assert seconds < ANSWER_WITHIN, f"{name}: {seconds:.1f} s"
    assert still.status_code == 200 and after < 2
    assert "Traceback" not in log and "WORKER TIMEOUT" not in log
