"""The doctors' working list holds what still needs a doctor: a consultation is open work, not a finished review."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import text

from kiosk.core.migrate import alembic_config
from tests.test_doctor import STOP_AND_REVIEW, decide, doctor_client, load, queue_html, signed_consent


def test_a_consultation_stays_in_the_list_with_its_date_and_note_until_a_closing_decision(
        app: Flask, wizard: Any, staff: dict[str, str]) -> None:
    document_id = signed_consent(app, wizard, yes=STOP_AND_REVIEW, name="Begoña Núñez")
    client = doctor_client(app)
    assert decide(client, document_id, decision="consultation", note="Come in to talk about the pregnancy.")\
        .status_code == 302
    assert load(app, document_id).status == "consultation"
    waiting = queue_html(client)
    assert "Begoña Núñez" in waiting and "Needs a consultation" in waiting
    assert "Come in to talk about the pregnancy." in waiting and "asked 20" in waiting
    assert "Begoña Núñez" not in queue_html(client, status="reviewed")

    # a no-show: the doctor asks again, still open; then the closing decision takes it out of the list
    assert decide(client, document_id, decision="consultation", note="No-show; asked again.").status_code == 302
    assert "No-show; asked again." in queue_html(client)
    assert decide(client, document_id, decision="not_cleared", note="Seen: no laser this year.").status_code == 302
    assert load(app, document_id).status == "reviewed"
    assert "Begoña Núñez" not in queue_html(client)
    assert "Begoña Núñez" in queue_html(client, status="reviewed")


def _statuses(app: Flask, *document_ids: str) -> list[str]:
    with app.extensions["kiosk_db"]() as session:
        return [session.execute(text("SELECT status FROM consents WHERE document_id = :id"), {"id": d}).scalar_one()
                for d in document_ids]


def test_the_migration_moves_open_consultations_into_the_list_and_back(app: Flask, wizard: Any,
                                                                        staff: dict[str, str]) -> None:
    from alembic import command

    consulted = signed_consent(app, wizard, yes=STOP_AND_REVIEW, name="Ana Consulta")
    cleared = signed_consent(app, wizard, yes=STOP_AND_REVIEW, name="Ana Clear")
    client = doctor_client(app)
    assert decide(client, consulted, decision="consultation").status_code == 302
    assert decide(client, cleared, decision="consultation").status_code == 302
    assert decide(client, cleared, decision="cleared", note="Fine after the talk.").status_code == 302
    config = alembic_config(app.config["DATABASE_URL"])
    app.extensions["kiosk_db"].kw["bind"].dispose()
    command.downgrade(config, "0011")
    assert _statuses(app, consulted, cleared) == ["reviewed", "reviewed"]  # read with SQL: the models are at head
    app.extensions["kiosk_db"].kw["bind"].dispose()
    command.upgrade(config, "head")
    assert (load(app, consulted).status, load(app, cleared).status) == ("consultation", "reviewed")


def test_a_spanish_doctor_reads_when_the_consultation_was_asked_as_spanish_writes_a_day(
        app: Flask, wizard: Any, staff: dict[str, str]) -> None:
    import re

    from tests.support import csrf_token

    document_id = signed_consent(app, wizard, yes=STOP_AND_REVIEW, name="Begoña Núñez")
    client = doctor_client(app)
    assert decide(client, document_id, decision="consultation", note="Venga antes.").status_code == 302
    token = csrf_token(client.get("/doctor/queue").get_data(as_text=True))
    client.post("/staff/language", data={"csrf_token": token, "lang": "es", "next": "/doctor/queue"})
    waiting = queue_html(client)
    assert re.search(r"\d{2}/\d{2}/\d{4} \d{2}:\d{2}: Venga antes\.", waiting), waiting[:3000]
