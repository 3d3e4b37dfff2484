"""Every rate limit decides and records a try in one step (kiosk.core.throttle), so simultaneous tries can't
slip past it: tablet codes (10 wrong per address) and /verify checks (30 per address), on SQLite and PostgreSQL.
The sign-in lockout has its own test in test_login_security."""

from __future__ import annotations

import threading
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kiosk.core.models import Attempt
from kiosk.desk.sessions import MAX_FAILED_TRIES
from kiosk.verify.service import CHECK_LIMIT
from tests.support import csrf_token

AT_ONCE = 40


def _all_at_once(app: Flask, address: str, send: Callable[[FlaskClient, str], int]) -> list[int]:
    """AT_ONCE browsers at one address, each with its own form token, sending at the same instant."""
    barrier = threading.Barrier(AT_ONCE)
    statuses: list[int] = []

    def one() -> None:
        client = app.test_client()
        client.environ_base["REMOTE_ADDR"] = address
        token = csrf_token(client.get("/").get_data(as_text=True))
        barrier.wait()
        statuses.append(send(client, token))

    threads = [threading.Thread(target=one) for _ in range(AT_ONCE)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return statuses


def _kinds(app: Flask) -> list[str]:
    return list(app.extensions["kiosk_db"]().scalars(select(Attempt.kind)).all())


def test_forty_wrong_codes_at_once_get_exactly_ten_checked(app: Flask) -> None:
    statuses = _all_at_once(app, "198.51.100.20", lambda client, token: client.post(
        "/consent/start", data={"csrf_token": token, "code": "ZZZ-ZZZ"}).status_code)
    assert statuses.count(429) == AT_ONCE - MAX_FAILED_TRIES, statuses
    kinds = _kinds(app)
    assert kinds.count("code") == MAX_FAILED_TRIES and kinds.count("code_refused") == AT_ONCE - MAX_FAILED_TRIES


def test_forty_verify_checks_at_once_get_exactly_thirty_through(app: Flask) -> None:
    statuses = _all_at_once(app, "198.51.100.21", lambda client, token: client.get(
        "/verify", query_string={"code": "AAAA-BBBB-CCCC"}).status_code)
    assert statuses.count(429) == AT_ONCE - CHECK_LIMIT, statuses
    kinds = _kinds(app)
    assert kinds.count("verify") == CHECK_LIMIT and kinds.count("verify_refused") == AT_ONCE - CHECK_LIMIT
