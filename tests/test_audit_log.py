"""The audit log: append-only in the database itself, and readable by admins with filters."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DatabaseError

from kiosk.core import audit
from tests.helpers import staff_login


def _log(app, n: int = 3) -> None:  # noqa: ANN001
    session = app.extensions["kiosk_db"]()
    for i in range(n):
        audit.record(session, audit.Who(actor=f"user{i}@x.test", ip_address="10.0.0.9"), "code_issued",
                     target=f"session {i}")
    audit.record(session, audit.Who(actor="cli"), "export", target="CK-20261125-AAAA")
    session.close()


@pytest.mark.parametrize("statement", ["UPDATE audit_events SET actor = 'someone else'", "DELETE FROM audit_events"])
def test_the_database_refuses_to_change_or_remove_audit_rows(app, statement):  # noqa: ANN001
    _log(app, 1)
    session = app.extensions["kiosk_db"]()
    with pytest.raises(DatabaseError, match="append-only"):
        session.execute(text(statement))
    session.rollback()
    assert session.execute(text("SELECT count(*) FROM audit_events")).scalar() == 2


@pytest.mark.parametrize("db_backend", ["sqlite"])  # REPLACE is SQLite's; PostgreSQL's ON CONFLICT is below
@pytest.mark.parametrize("verb", ["INSERT OR REPLACE", "REPLACE"])
def test_sqlite_refuses_to_replace_an_audit_row(app, verb):  # noqa: ANN001
    """REPLACE deletes the old row without firing DELETE triggers: it once turned a sign-in into a sign-out."""
    _log(app, 2)
    session = app.extensions["kiosk_db"]()
    before = session.execute(text("SELECT id, actor, action FROM audit_events ORDER BY id")).all()
    first = before[0].id
    with pytest.raises(DatabaseError, match="append-only"):
        session.execute(text(f"{verb} INTO audit_events (id, at, actor, action) "
                             f"VALUES ({first}, '2026-01-01 00:00:00', 'mallory', 'logout')"))
    session.rollback()
    assert session.execute(text("SELECT id, actor, action FROM audit_events ORDER BY id")).all() == before
    session.execute(text("INSERT INTO audit_events (at, actor, action) VALUES ('2026-01-01 00:00:00', 'cli', 'export')"))
    session.commit()  # an ordinary new row is still welcome
    assert session.execute(text("SELECT count(*) FROM audit_events")).scalar() == len(before) + 1


def test_the_append_only_rule_holds_on_postgresql(pg_url):  # noqa: ANN001
    from kiosk.core.db import make_engine

    engine = make_engine(pg_url)
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO audit_events (at, actor, action) VALUES (now(), 'cli', 'export')"))
    upsert = ("INSERT INTO audit_events (id, at, actor, action) SELECT id, now(), 'mallory', 'logout' "
              "FROM audit_events ON CONFLICT (id) DO UPDATE SET actor = excluded.actor")
    for statement in ("UPDATE audit_events SET actor = 'x'", "DELETE FROM audit_events", "TRUNCATE audit_events",
                      upsert):
        with pytest.raises(DatabaseError, match="append-only"), engine.begin() as connection:
            connection.execute(text(statement))
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM audit_events")).scalar() == 1
    engine.dispose()


def test_admins_read_and_filter_the_log_and_their_reading_is_logged(app, client, staff):  # noqa: ANN001
    _log(app)
    staff_login(client, staff["admin"])
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "user0@x.test" in page and "session 2" in page and "10.0.0.9" in page
    filtered = client.get("/admin/audit?action=export").get_data(as_text=True)
    assert "CK-20261125-AAAA" in filtered and "user0@x.test" not in filtered
    by_actor = client.get("/admin/audit?actor=user1").get_data(as_text=True)
    assert "session 1" in by_actor and "session 2" not in by_actor
    assert "audit_viewed" in client.get("/admin/audit?action=audit_viewed").get_data(as_text=True)


@pytest.mark.parametrize(("query", "message"), [
    ("since=yesterday", "Not a valid date value"), ("action=drop_tables", "Not a valid choice"),
    ("document=CK-NOPE", "No consent with document id"), ("until=2026-02-30", "Not a valid date value"),
    ("page=-3", "Page 1 of"), ("page=99999999999", "Page 1 of"),
])
def test_bad_filters_get_a_message_not_an_error_page(app, client, staff, query, message):  # noqa: ANN001
    _log(app, 60)
    staff_login(client, staff["admin"])
    response = client.get(f"/admin/audit?{query}")
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)


def _log_at(app, *events: tuple[str, datetime]) -> None:  # noqa: ANN001
    session = app.extensions["kiosk_db"]()
    for target, at in events:
        audit.record(session, audit.Who(actor="desk@x.test"), "code_issued", target=target, at=at)
    session.close()


@pytest.mark.parametrize(("query", "shown", "hidden"), [
    ("until=9999-12-31", ["late-night", "tenth", "twelfth"], []),
    ("since=0001-01-01", ["late-night", "tenth", "twelfth"], []),
    ("since=0001-01-01&until=9999-12-31", ["late-night", "tenth", "twelfth"], []),
    ("since=0001-01-01&until=2026-03-10", ["tenth"], ["late-night", "twelfth"]),
    ("since=2026-03-11&until=9999-12-31", ["late-night", "twelfth"], ["tenth"]),
])
def test_an_admin_filtering_the_audit_log_to_the_ends_of_the_calendar_gets_the_page_not_an_error(
        app, client, staff, query, shown, hidden):  # noqa: ANN001
    # 23:30 UTC on 10 March is 00:30 on 11 March in Madrid, the clinic's day
    _log_at(app, ("late-night", datetime(2026, 3, 10, 23, 30, tzinfo=timezone.utc)),
            ("tenth", datetime(2026, 3, 10, 9, 0, tzinfo=timezone.utc)),
            ("twelfth", datetime(2026, 3, 12, 9, 0, tzinfo=timezone.utc)))
    staff_login(client, staff["admin"])
    response = client.get(f"/admin/audit?{query}")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert [t for t in shown if t in page] == shown
    assert [t for t in hidden if t in page] == []


@pytest.mark.parametrize("role", ["frontdesk", "doctor"])
def test_only_admins_see_the_audit_log(app, client, staff, role):  # noqa: ANN001
    staff_login(client, staff[role])
    assert client.get("/admin/audit").status_code == 403
    assert app.test_client().get("/admin/audit").headers["Location"].startswith("/login")
