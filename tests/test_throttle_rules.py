"""The rule every limit (sign-in, tablet codes, /verify) is decided by, on its own: kiosk.core.throttle.take.

Straight against a migrated database of each backend, with the clock an argument: what is counted (this
address, this kind, this subject, failures only or every try, inside the window), when a refused try may try
again, and that a refusal is stored apart so it never extends a lock. The pages that use these rules are
tested in test_login_security.py and test_rate_limits.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker

from kiosk.core import throttle

T0 = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
WINDOW = timedelta(minutes=15)
RULE = throttle.Rule("probe", 3, WINDOW)


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = create_engine(db_url)
    yield sessionmaker(engine)
    engine.dispose()


@pytest.fixture
def session(sessions: sessionmaker[Session]) -> Iterator[Session]:
    with sessions() as opened:
        yield opened


def _take(session: Session, rule: throttle.Rule = RULE, *, at: timedelta = timedelta(0), ip: str | None = "10.0.0.1",
          subject: str | None = None) -> throttle.Try:
    return throttle.take(session, rule, ip_address=ip, subject=subject, now=T0 + at)


def test_the_limit_lets_that_many_failures_through_then_says_how_long_to_wait(session: Session) -> None:
    tries = [_take(session, at=timedelta(minutes=minute)) for minute in (0, 1, 2)]
    assert [t.refused for t in tries] == [False, False, False] and all(t.wait is None for t in tries)
    refused = _take(session, at=timedelta(minutes=5))
    assert refused.refused and refused.wait == WINDOW - timedelta(minutes=5)  # until the oldest is 15 minutes old
    assert refused.attempt.kind == "probe_refused" and tries[0].attempt.kind == "probe"
    assert refused.attempt.succeeded is False


def test_a_refusal_never_extends_the_lock(session: Session) -> None:
    for minute in (0, 1, 2):
        _take(session, at=timedelta(minutes=minute))
    for minute in (3, 8, 14):
        assert _take(session, at=timedelta(minutes=minute)).refused
    # the oldest failure leaves the window at 15 minutes exactly: one place is free, not more
    assert _take(session, at=WINDOW - timedelta(seconds=1)).refused
    assert not _take(session, at=WINDOW).refused
    assert _take(session, at=WINDOW + timedelta(seconds=1)).refused  # three failures again: 1, 2 and 15 minutes


def test_the_wait_is_at_least_a_second(session: Session) -> None:
    for minute in (0, 1, 2):
        _take(session, at=timedelta(minutes=minute))
    almost = _take(session, at=WINDOW - timedelta(milliseconds=300))
    assert almost.refused and almost.wait == timedelta(seconds=1)


def test_a_try_that_went_well_is_not_counted_as_a_failure(session: Session) -> None:
    for minute in (0, 1, 2, 3, 4):
        tried = _take(session, at=timedelta(minutes=minute))
        assert not tried.refused
        throttle.succeeded(session, tried)
        assert tried.attempt.succeeded is True
        session.commit()
    # a plain rate limit counts every try, failed or not
    every = throttle.Rule("probe", 3, WINDOW, failures_only=False)
    assert _take(session, every, at=timedelta(minutes=5)).refused


def test_the_limit_of_one_lets_the_first_try_through(session: Session) -> None:
    once = throttle.Rule("probe", 1, WINDOW)
    assert not _take(session, once).refused  # its own try is never counted against it
    assert _take(session, once, at=timedelta(seconds=1)).refused


def test_other_addresses_kinds_and_old_tries_are_not_counted(session: Session) -> None:
    for minute in (0, 1, 2):
        _take(session, at=timedelta(minutes=minute))
    assert not _take(session, at=timedelta(minutes=3), ip="10.0.0.2").refused
    assert not _take(session, throttle.Rule("other", 3, WINDOW), at=timedelta(minutes=3)).refused
    assert not _take(session, at=timedelta(minutes=3), ip=None).refused  # an unknown address is its own
    assert _take(session, at=timedelta(minutes=4)).refused
    assert not _take(session, at=timedelta(hours=1)).refused


def test_tries_without_an_address_are_counted_together(session: Session) -> None:
    for second in (0, 1, 2):
        assert not _take(session, at=timedelta(seconds=second), ip=None).refused
    assert _take(session, at=timedelta(seconds=3), ip=None).refused


def test_a_rule_per_subject_counts_only_that_subject_at_that_address(session: Session) -> None:
    per_account = throttle.Rule("probe", 2, WINDOW, per_subject=True)
    for second in (0, 1):
        _take(session, per_account, at=timedelta(seconds=second), subject="doctor@x.test")
    assert not _take(session, per_account, at=timedelta(seconds=2), subject="other@x.test").refused
    assert _take(session, per_account, at=timedelta(seconds=3), subject="doctor@x.test").refused
    assert not _take(session, per_account, at=timedelta(seconds=4), ip="10.9.9.9", subject="doctor@x.test").refused
    # without a subject, only tries without one count
    for second in (5, 6):
        assert not _take(session, per_account, at=timedelta(seconds=second), ip="10.7.7.7").refused
    assert _take(session, per_account, at=timedelta(seconds=7), ip="10.7.7.7").refused
    # the address rule (not per subject) counts every subject's failures there: two for one account, one for the
    # other (the refused try is not counted)
    assert _take(session, throttle.Rule("probe", 3, WINDOW), at=timedelta(seconds=8)).refused


def test_each_try_is_decided_and_stored_at_once_for_every_other_process(sessions: sessionmaker[Session]) -> None:
    """Another connection (another worker) sees the try as soon as it is decided: take() commits."""
    once = throttle.Rule("probe", 1, WINDOW)
    with sessions() as first, sessions() as second:
        assert not _take(first, once).refused
        assert _take(second, once, at=timedelta(seconds=1)).refused
