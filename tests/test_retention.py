"""Retention: what passed its keeping period is listed, then removed with a tombstone; holds and the period protect."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from flask import Flask
from sqlalchemy import select

from kiosk.core import audit
from kiosk.core.models import (AuditEvent, Checkin, Consent, Document, DocumentRevision, Draft, LegalHold,
                               RemovedDocument)
from kiosk.keeping import retention
from tests.helpers import signed_checkin
from tests.test_backup_restore import run, sign

MADRID = ZoneInfo("Europe/Madrid")


def years_ago(years: int, days: int = 0) -> datetime:
    now = datetime.now(MADRID)
    return now.replace(year=now.year - years) - timedelta(days=days)


def rows(app: Flask, model: type) -> list:
    session = app.extensions["kiosk_db"]()
    try:
        return list(session.scalars(select(model)))
    finally:
        session.close()


def test_the_dry_run_lists_only_what_passed_five_years_after_its_last_activity_and_changes_nothing(
        app: Flask) -> None:
    old, _ = sign(app, "Old Patient", years_ago(5, days=2))
    recent, _ = sign(app, "Recent Patient", years_ago(4, days=360))
    result = run(app, "retention", "--dry-run")
    assert result.exit_code == 0, result.output
    assert f"would remove: {old}" in result.output and recent not in result.output
    assert "Old Patient" not in result.output  # ids and dates only: the output may be mailed by cron
    assert "dry run: 1 would be removed, 0 held; nothing was changed" in result.output
    assert len(rows(app, Consent)) == 2 and rows(app, RemovedDocument) == []


def test_the_real_run_removes_the_patient_data_and_keeps_a_tombstone_and_the_audit_trail(
        app: Flask, staff: dict[str, str]) -> None:
    checkin = signed_checkin(app, name="Old Patient", now=years_ago(6))
    old = checkin.consent.document_id
    kept, kept_pdf = sign(app, "Recent Patient")
    session = app.extensions["kiosk_db"]()
    sha256s = {r.document_id: r.sha256 for r in session.scalars(select(DocumentRevision))}
    before = len(session.scalars(select(AuditEvent)).all())
    session.close()
    result = run(app, "retention")
    assert result.exit_code == 0, result.output
    assert f"removed: {old} (check-ins: {checkin.document_id})" in result.output and "1 removed, 0 held" in result.output
    assert [c.document_id for c in rows(app, Consent)] == [kept]
    assert rows(app, Checkin) == []
    assert {d.id for d in rows(app, Document)} == {kept}
    assert [r.pdf for r in rows(app, DocumentRevision)] == [kept_pdf]
    assert all("Old Patient" not in str(d.data) + str(d.desk_name) for d in rows(app, Draft))
    tombstones = {t.document_id: t for t in rows(app, RemovedDocument)}
    assert set(tombstones) == {old, checkin.document_id}
    assert tombstones[old].sha256s == [sha256s[old]] and tombstones[old].kind == "consent"
    assert tombstones[checkin.document_id].consent_document_id == old
    events = rows(app, AuditEvent)
    assert len(events) == before + 1  # the trail about the consent stays, and one event says what went
    removal = events[-1]
    assert removal.action == "retention_removed" and removal.target == old
    assert removal.detail["sha256s"][old] == [sha256s[old]]
    assert "Old Patient" not in str(removal.detail)
    assert run(app, "retention", "--dry-run").output.startswith("nothing has passed the retention period")


def test_a_check_in_two_years_ago_keeps_a_consent_signed_six_years_ago(app: Flask) -> None:
    checkin = signed_checkin(app, name="Course Patient", now=years_ago(6))
    session = app.extensions["kiosk_db"]()
    revision = session.scalars(select(DocumentRevision).where(
        DocumentRevision.document_id == checkin.document_id)).one()
    revision.created_at = years_ago(2)  # the check-in's signature: the course's last activity
    session.commit()
    session.close()
    assert "nothing has passed" in run(app, "retention").output
    assert len(rows(app, Consent)) == 1


def test_nothing_inside_the_retention_period_can_be_removed_even_one_day_before_it_ends(app: Flask) -> None:
    inside, _ = sign(app, "Inside Patient", years_ago(5, days=-1))
    session = app.extensions["kiosk_db"]()
    with pytest.raises(retention.RetentionRefused, match="is kept until"):
        retention.remove_consent(session, inside, years=5, now=datetime.now(MADRID), who=audit.Who(actor="tests"))
    session.rollback()
    session.close()
    assert [c.document_id for c in rows(app, Consent)] == [inside]
    assert "nothing has passed" in run(app, "retention").output
    assert rows(app, RemovedDocument) == []


def test_a_shorter_retention_than_the_law_asks_is_refused(app: Flask) -> None:
    app.config["RETENTION_YEARS"] = 2
    result = run(app, "retention", "--dry-run")
    assert result.exit_code == 2 and "at least 5 years" in result.output


def test_no_route_deletes_and_only_the_retention_command_calls_the_removal() -> None:
    from app import create_app  # noqa: F401 - the url map is read from a fresh app below

    root = Path(__file__).resolve().parent.parent
    callers = [p.relative_to(root).as_posix() for p in (root / "kiosk").rglob("*.py")
               if "remove_consent(" in p.read_text(encoding="utf-8")]
    assert sorted(callers) == ["kiosk/commands.py", "kiosk/keeping/retention.py"]


def test_no_route_answers_delete(app: Flask) -> None:
    assert [rule.rule for rule in app.url_map.iter_rules() if "DELETE" in (rule.methods or ())] == []


def test_a_legal_hold_set_by_an_admin_keeps_a_consent_past_retention_until_it_is_lifted(
        app: Flask, staff: dict[str, str]) -> None:
    old, _ = sign(app, "Held Patient", years_ago(7))
    refused = run(app, "legal-hold", old, "--by", staff["doctor"], "--reason", "Court case 12/2031")
    assert refused.exit_code == 1 and "not an active administrator account" in refused.output
    assert run(app, "legal-hold", old, "--by", staff["admin"]).exit_code == 1  # a hold needs its reason
    result = run(app, "legal-hold", old, "--by", staff["admin"], "--reason", "Court case 12/2031")
    assert result.exit_code == 0, result.output
    kept = run(app, "retention")
    assert f"held: {old}" in kept.output and "under a legal hold set by admin@x.test" in kept.output
    assert "0 removed, 1 held" in kept.output
    session = app.extensions["kiosk_db"]()
    with pytest.raises(retention.RetentionRefused, match="legal hold"):
        retention.remove_consent(session, old, years=5, now=datetime.now(MADRID), who=audit.Who(actor="tests"))
    session.rollback()
    session.close()
    assert len(rows(app, Consent)) == 1
    assert run(app, "legal-hold", old, "--by", staff["admin"], "--lift").exit_code == 0
    assert "1 removed, 0 held" in run(app, "retention").output
    actions = [e.action for e in rows(app, AuditEvent)]
    assert actions[-3:] == ["legal_hold_set", "legal_hold_lifted", "retention_removed"]
    assert rows(app, LegalHold) == []


def test_a_hold_on_an_unknown_document_or_lifting_none_is_refused_with_a_message(
        app: Flask, staff: dict[str, str]) -> None:
    result = run(app, "legal-hold", "CK-NOPE", "--by", staff["admin"], "--reason", "x")
    assert result.exit_code == 1 and "no consent or check-in with document id 'CK-NOPE'" in result.output
    document_id, _ = sign(app)
    result = run(app, "legal-hold", document_id, "--by", staff["admin"], "--lift")
    assert result.exit_code == 1 and "is not under a legal hold" in result.output


def test_sessions_never_signed_go_after_the_period_and_recent_ones_stay(app: Flask) -> None:
    from kiosk.consent import drafts

    session = app.extensions["kiosk_db"]()
    old = drafts.start_draft(session, language="en", device_label=None, ip_address=None, user_agent=None,
                             now=years_ago(6), started_by="tests")
    drafts.save_step(session, old, "identity", {"full_name": "Abandoned Patient", "date_of_birth": "1980-02-02",
                                                "phone": None, "email": None}, years_ago(6))
    old.updated_at = years_ago(6)
    recent = drafts.start_draft(session, language="en", device_label=None, ip_address=None, user_agent=None,
                                now=years_ago(1), started_by="tests")
    session.commit()
    old_id, recent_id = old.id, recent.id
    session.close()
    signed, _ = sign(app, "Signed Patient")  # its draft is the consent's, kept with it
    assert "would remove: 1 sessions never signed" in run(app, "retention", "--dry-run").output
    result = run(app, "retention")
    assert "removed: 1 sessions never signed" in result.output
    remaining = {d.id for d in rows(app, Draft)}
    assert old_id not in remaining and recent_id in remaining and len(remaining) == 2
    assert [c.document_id for c in rows(app, Consent)] == [signed]


def test_migration_0016_goes_down_and_up_keeping_the_audit_log_append_only_and_refuses_after_a_removal(
        app: Flask, db_url: str) -> None:
    from alembic import command
    from alembic.script import ScriptDirectory
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from kiosk.core.db import make_engine
    from kiosk.core.migrate import alembic_config

    sign(app, "Some Patient")
    session = app.extensions["kiosk_db"]()
    audit.record(session, audit.Who(actor="tests"), "export", target="before the migration")
    session.close()
    app.extensions["kiosk_db"].kw["bind"].dispose()
    config = alembic_config(db_url)
    command.downgrade(config, "0015")
    command.upgrade(config, "head")
    engine = make_engine(db_url)
    with engine.connect() as connection:
        events = connection.execute(text("SELECT count(*) FROM audit_events")).scalar()
        with pytest.raises(DBAPIError, match="append-only"):
            connection.execute(text("UPDATE audit_events SET actor = 'someone else'"))
    engine.dispose()
    old, _ = sign(app, "Old Patient", years_ago(6))
    assert "1 removed" in run(app, "retention").output
    app.extensions["kiosk_db"].kw["bind"].dispose()
    with pytest.raises(RuntimeError, match="1 documents were removed after their retention period"):
        command.downgrade(config, "0015")
    engine = make_engine(db_url)
    with engine.connect() as connection:
        # the refused run is one transaction: the schema stays at head, whatever migrations come after 0016
        head = ScriptDirectory.from_config(config).get_current_head()
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == head
        assert connection.execute(text("SELECT count(*) FROM audit_events")).scalar() > events
    engine.dispose()
