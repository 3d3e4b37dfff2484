"""The administration commands: demo clinic, consent list, export, and the schema they rely on."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, select

from kiosk.core.db import Base


def run(app, *args: str):  # noqa: ANN001, ANN201
    return app.test_cli_runner().invoke(args=list(args), catch_exceptions=False)


def test_seed_demo_prints_working_logins_and_makes_consents_through_the_wizard(app, client):  # noqa: ANN001
    result = run(app, "seed-demo")
    assert result.exit_code == 0, result.output
    logins = dict(re.findall(r"(\S+@demo\.clinic)\s+password: (\S+)", result.output))
    assert set(logins) == {"doctor@demo.clinic", "frontdesk@demo.clinic", "admin@demo.clinic"}
    rows = json.loads(run(app, "consents", "--json").output)
    assert len(rows) == 5
    assert {r["highest_severity"] for r in rows} == {None, "stop", "review", "info"}
    assert {r["modality"] for r in rows} == {"co2_laser", "fractional_laser", "microdermabrasion",
                                             "chemical_peel", "vitamin_c_injection"}
    # the printed doctor password really logs in
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/login", data={"csrf_token": token, "email": "doctor@demo.clinic",
                                           "password": logins["doctor@demo.clinic"]})
    assert response.status_code == 302 and response.headers["Location"].endswith("/doctor/queue")
    staff = client.get("/staff").get_data(as_text=True)
    assert "Sofia Papadopoulou" in staff
    # running it again renews passwords but adds no consents
    again = run(app, "seed-demo")
    assert "0 new demo consents" in again.output
    assert len(json.loads(run(app, "consents", "--json").output)) == 5


def test_consents_json_has_the_documented_keys(app, wizard):  # noqa: ANN001
    assert json.loads(run(app, "consents", "--json").output) == []
    wizard.complete(app, "chemical_peel", yes={"blood_thinners": "aspirin"}, typed_signature="Zoë Ñúñez")
    [row] = json.loads(run(app, "consents", "--json").output)
    assert set(row) == {"id", "created_at", "patient_name", "modality", "highest_severity", "status"}
    assert row["patient_name"] == "Zoë Ñúñez" and row["modality"] == "chemical_peel"
    assert row["highest_severity"] == "info" and row["status"] == "submitted"
    assert row["id"].startswith("CK-")


def test_export_writes_the_stored_pdf_byte_for_byte_and_the_full_record(app, wizard, tmp_path: Path):  # noqa: ANN001
    wizard.complete(app, "co2_laser", yes={"heart_disease": "tablets for blood pressure"}, typed_signature="Zoë")
    [row] = json.loads(run(app, "consents", "--json").output)
    pdf_out, json_out = tmp_path / "out.pdf", tmp_path / "out.json"
    result = run(app, "export", row["id"], "--pdf", str(pdf_out), "--json", str(json_out))
    assert result.exit_code == 0, result.output
    exported = json.loads(json_out.read_text(encoding="utf-8"))
    assert exported["documents"][0]["sha256"] == hashlib.sha256(pdf_out.read_bytes()).hexdigest()
    record = exported["record"]
    assert record["document_id"] == row["id"]
    assert record["flags"] == [{"question": "heart_disease", "severity": "review",
                                "reason": "Heart disease or high blood pressure."}]
    assert record["texts"]["sha256"] and record["texts"]["shown"]["risks"]
    assert exported["status_history"][0]["status"] == "submitted"


def test_export_errors_are_one_line_and_non_zero(app, wizard, tmp_path: Path):  # noqa: ANN001
    result = app.test_cli_runner().invoke(args=["export", "CK-NOPE", "--pdf", str(tmp_path / "x.pdf")])
    assert result.exit_code != 0
    assert "no consent with document id 'CK-NOPE'" in result.output
    assert "Traceback" not in result.output
    wizard.complete(app, "microdermabrasion", typed_signature="Zoë")
    [row] = json.loads(run(app, "consents", "--json").output)
    result = app.test_cli_runner().invoke(args=["export", row["id"], "--pdf", str(tmp_path / "missing" / "x.pdf")])
    assert result.exit_code != 0 and "cannot write" in result.output
    result = app.test_cli_runner().invoke(args=["export", row["id"]])
    assert result.exit_code != 0 and "--pdf" in result.output


# Alembic cannot compare indexes with DESC expressions; test_queue_indexes_are_newest_first checks them.
_EXPRESSION_INDEXES = {"ix_consents_queue", "ix_consents_queue_modality"}


def test_migrations_build_exactly_the_models_from_an_empty_database(empty_db_url: str) -> None:
    """Alembic is the only way the schema is made: an empty database upgraded to head matches the models."""
    from kiosk.core.db import make_engine
    from kiosk.core.migrate import upgrade

    upgrade(empty_db_url)
    engine = make_engine(empty_db_url)

    def include(obj, name, type_, reflected, compare_to) -> bool:  # noqa: ANN001
        return not (type_ == "index" and name in _EXPRESSION_INDEXES)

    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"include_object": include, "compare_type": True})
        diff = compare_metadata(context, Base.metadata)
        tables = set(connection.dialect.get_table_names(connection))
    engine.dispose()
    assert diff == []
    assert {"consents", "drafts", "audit_events", "alembic_version"} <= tables


def test_queue_indexes_are_newest_first(db_url: str) -> None:
    from kiosk.core.db import make_engine

    engine = make_engine(db_url)
    with engine.connect() as connection:
        # newest first within each rank, then the folded name the searches check on the entry (migration 0020)
        for name, columns in (("ix_consents_queue", ["status", "severity_rank", "created_at", "patient_name_folded"]),
                              ("ix_consents_queue_modality",
                               ["status", "modality", "severity_rank", "created_at", "patient_name_folded"])):
            if engine.dialect.name == "sqlite":
                rows = connection.exec_driver_sql(f"PRAGMA index_xinfo({name})").fetchall()
                keys = [(row[2], row[3]) for row in rows if row[5]]  # (column, descending) of key columns
            else:
                definition = connection.exec_driver_sql(
                    "SELECT indexdef FROM pg_indexes WHERE indexname = %(name)s", {"name": name}).scalar()
                inside = definition[definition.index("(") + 1:definition.rindex(")")]
                keys = [(part.split()[0], 1 if part.endswith(" DESC") else 0) for part in inside.split(", ")]
            assert keys == [(c, 1 if c == "created_at" else 0) for c in columns], name
    engine.dispose()


def test_export_is_written_to_the_audit_log(app, wizard, tmp_path: Path):  # noqa: ANN001
    from sqlalchemy import select

    from kiosk.core.models import AuditEvent

    wizard.complete(app, "chemical_peel", typed_signature="Zoë")
    [row] = json.loads(run(app, "consents", "--json").output)
    run(app, "export", row["id"], "--json", str(tmp_path / "r.json"))
    session = app.extensions["kiosk_db"]()
    [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "export")).all()
    assert event.actor == "cli" and event.target == row["id"] and event.consent_id is not None


def test_a_migration_that_fails_half_way_leaves_the_database_as_it_was(tmp_path: Path) -> None:
    """A clinic's upgrade that breaks must not leave a half-built schema behind (SQLite DDL in one transaction)."""
    import shutil

    import pytest
    from alembic import command
    from sqlalchemy import inspect

    from kiosk.core.migrate import MIGRATIONS, alembic_config, upgrade

    from alembic.script import ScriptDirectory

    url = f"sqlite:///{tmp_path / 'clinic.sqlite3'}"
    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    scripts = tmp_path / "migrations"
    shutil.copytree(MIGRATIONS, scripts)
    (scripts / "versions" / "9999_broken.py").write_text(
        f'from alembic import op\nimport sqlalchemy as sa\nrevision = "9999"\ndown_revision = "{head}"\n'
        "def upgrade():\n"
        '    op.create_table("half_built", sa.Column("id", sa.Integer, primary_key=True))\n'
        '    op.execute("THIS IS NOT SQL")\n'
        "def downgrade():\n    pass\n"
    )
    upgrade(url)
    config = alembic_config(url)
    config.set_main_option("script_location", str(scripts))
    with pytest.raises(Exception, match="THIS IS NOT SQL"):
        command.upgrade(config, "head")
    engine = create_engine(url)
    assert "half_built" not in inspect(engine).get_table_names()
    with engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT version_num FROM alembic_version").scalar() == head


ISO_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d")


def _times(value: object) -> list[datetime]:
    """Every timestamp written anywhere in a stored record or process trail."""
    if isinstance(value, dict):
        return [t for item in value.values() for t in _times(item)]
    if isinstance(value, list):
        return [t for item in value for t in _times(item)]
    if isinstance(value, str) and ISO_TIME.match(value):
        return [datetime.fromisoformat(value)]
    return []


def test_seed_demo_dates_everything_in_the_past_and_in_order(app, staff) -> None:  # noqa: ANN001
    """A doctor reviewing a demo consent at once must see it submitted before reviewed, never the other way."""
    from kiosk.core.clinic import services_of
    from kiosk.core.models import Consent
    from tests.test_doctor import decide, doctor_client

    assert run(app, "seed-demo").exit_code == 0
    seeded = services_of(app).clock()
    session = app.extensions["kiosk_db"]()
    consents = list(session.scalars(select(Consent).order_by(Consent.id)))
    assert len(consents) == 5
    signed = [c.created_at for c in consents]
    assert signed == sorted(signed) and len(set(signed)) == 5 and signed[-1] < seeded  # oldest first, all past
    for consent in consents:
        times = _times(consent.record) + _times(consent.draft.trail)
        assert times and max(times) <= consent.created_at < seeded, consent.patient_name
        assert consent.draft.created_at <= min(times)
        assert all(r.created_at <= consent.created_at for r in consent.documents)
    newest = consents[-1].document_id
    session.close()
    assert decide(doctor_client(app), newest, note="Seen at once.").status_code == 302
    session = app.extensions["kiosk_db"]()
    events = session.scalar(select(Consent).where(Consent.document_id == newest)).events
    assert [e.status for e in sorted(events, key=lambda e: e.at)] == ["submitted", "reviewed"]
    assert events[0].at < events[1].at
