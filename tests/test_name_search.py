"""Name search as a Spanish front desk types: no accents, any case, no punctuation, at the desk and in the queue."""

from __future__ import annotations

import re

from alembic import command
from flask import Flask
from sqlalchemy import text

from kiosk.core.folding import fold_name
from kiosk.core.migrate import alembic_config
from tests.helpers import staff_login
from tests.test_course import make_consent

FOUND_NAME = re.compile(r'<a href="/course/[^"]+">([^<]+)</a>')


def desk_finds(app: Flask, typed: str) -> list[str]:
    """The names the desk's "find the patient" page lists for what was typed."""
    client = app.test_client()
    assert staff_login(client, "frontdesk@x.test").status_code == 302
    html = client.get("/course/find", query_string={"q": typed}).get_data(as_text=True)
    return FOUND_NAME.findall(html)


def test_names_fold_to_what_a_desk_types_without_accents_or_punctuation() -> None:
    assert fold_name("María-José Fernández") == "mariajosefernandez"
    assert fold_name("maria jose fernandez") == "mariajosefernandez"
    assert fold_name("Begoña NÚÑEZ") == "begonanunez"
    assert fold_name("Noah O'Connor") == "noahoconnor"
    assert fold_name("Aleksandra Wiśniewska") == "aleksandrawisniewska"
    assert fold_name("Łukasz Søren Đorđević") == "lukaszsorendordevic"
    assert fold_name("Jürgen Straße") == "jurgenstrasse"
    assert fold_name("Αλεξάνδρα Παπαδοπούλου") == "αλεξανδραπαπαδοπουλου"  # other scripts keep their letters
    assert fold_name("' - .") == ""


def test_the_desk_finds_patients_typed_without_accents(app: Flask, staff: dict[str, str]) -> None:
    for name in ("María José Fernández Ortega", "Begoña Núñez Ruiz", "Aleksandra Wiśniewska", "Siobhán O'Connor"):
        make_consent(app, name=name)
    assert desk_finds(app, "fernandez") == ["María José Fernández Ortega"]
    assert desk_finds(app, "maria jose") == ["María José Fernández Ortega"]
    assert desk_finds(app, "begona nunez") == ["Begoña Núñez Ruiz"]
    assert desk_finds(app, "wisniewska") == ["Aleksandra Wiśniewska"]
    assert desk_finds(app, "oconnor") == ["Siobhán O&#39;Connor"]
    assert desk_finds(app, "SIOBHAN") == ["Siobhán O&#39;Connor"]
    assert desk_finds(app, "gomez") == []


def test_consents_signed_before_the_upgrade_are_found_without_accents(app: Flask, staff: dict[str, str]) -> None:
    """Migration 0014 folds the names of consents already stored; its downgrade drops the column."""
    make_consent(app, name="Begoña Núñez Ruiz")
    config = alembic_config(app.config["DATABASE_URL"])
    engine = app.extensions["kiosk_db"].kw["bind"]
    engine.dispose()
    command.downgrade(config, "0012")
    with engine.begin() as connection:  # a consent stored by the old schema, with no folded name
        connection.execute(text("INSERT INTO drafts (token, status, language, data, trail, started_by, created_at, "
                                "updated_at) VALUES ('old-draft', 'submitted', 'es', '{}', '{}', 'tablet', "
                                "'2026-03-01 10:00:00.000000', '2026-03-01 10:00:00.000000')"))
        connection.execute(text(
            "INSERT INTO consents (document_id, draft_id, created_at, status, patient_name, date_of_birth, modality, "
            "language, severity_rank, texts_version, texts_sha256, rules_version, record) SELECT 'CK-OLD-1', id, "
            "'2026-03-01 10:05:00.000000', 'submitted', 'María-José Fernández', '1980-02-03', 'co2_laser', 'es', 3, "
            "'t', :sha, 'r', (SELECT record FROM consents LIMIT 1) FROM drafts WHERE token = 'old-draft'"),
            {"sha": "0" * 64})
    engine.dispose()
    command.upgrade(config, "head")
    assert desk_finds(app, "maria jose fernandez") == ["María-José Fernández"]
    assert desk_finds(app, "begona") == ["Begoña Núñez Ruiz"]
