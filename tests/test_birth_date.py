"""The date of birth as day, month by name and year: nobody has to guess whether 07/03 is March or July."""

from __future__ import annotations

import html
import re

from flask import Flask

from tests.support import WizardDriver


def page(response) -> str:  # noqa: ANN001
    return html.unescape(response.get_data(as_text=True))


def post_parts(wizard: WizardDriver, day: str, month: str, year: str):  # noqa: ANN201
    return wizard.submit("/consent/identity", {"full_name": "Ana Ruiz", "date_of_birth-day": day,
                                               "date_of_birth-month": month, "date_of_birth-year": year,
                                               "phone": "", "email": ""})


def stored_identity(app: Flask) -> dict:
    from sqlalchemy import select

    from kiosk.core.models import Draft
    session = app.extensions["kiosk_db"]()
    try:
        return dict(session.scalars(select(Draft)).one().data.get("identity") or {})
    finally:
        session.close()


def test_the_date_of_birth_is_asked_as_day_month_by_name_and_year_with_the_desks_date_filled_in(
        app: Flask, wizard: WizardDriver) -> None:
    wizard.start(dob="1991-03-14")
    text = page(wizard.get("/consent/identity"))
    assert re.search(r'name="date_of_birth-day" value="14"', text)
    assert re.search(r'<option value="3" selected>March</option>', text)
    assert re.search(r'name="date_of_birth-year" value="1991"', text)
    assert 'type="date"' not in text.split('id="date_of_birth-field"')[1].split("</fieldset>")[0]


def test_the_three_parts_make_the_date_stored(app: Flask, wizard: WizardDriver) -> None:
    wizard.start()
    assert post_parts(wizard, "7", "3", "1985").status_code == 302
    assert stored_identity(app)["date_of_birth"] == "1985-03-07"


def test_the_31st_of_february_is_refused_with_a_message_that_names_it_and_keeps_what_was_typed(
        app: Flask, wizard: WizardDriver) -> None:
    wizard.start()
    response = post_parts(wizard, "31", "2", "1990")
    assert response.status_code == 200
    text = page(response)
    assert "February 1990 has no day 31. Please check the day." in text
    assert 'name="date_of_birth-day" value="31"' in text and '<option value="2" selected>' in text
    assert stored_identity(app) == {}


def test_each_missing_or_malformed_part_gets_its_own_message(app: Flask, wizard: WizardDriver) -> None:
    wizard.start()
    cases = [(("", "", ""), "Please enter your date of birth."),
             (("12", "", "1990"), "Please enter the day, choose the month and enter the year."),
             (("40", "5", "1990"), "Please enter the day as a number from 1 to 31."),
             (("12", "5", "90"), "Please enter the year with four digits, for example 1985."),
             (("12", "13", "1990"), "Please enter the day, choose the month and enter the year.")]
    for parts, message in cases:
        response = post_parts(wizard, *parts)
        assert response.status_code == 200 and message in page(response), parts


def test_in_spanish_the_months_and_the_message_are_spanish(app: Flask, wizard: WizardDriver) -> None:
    wizard.start()
    wizard.client.post("/language", data={"csrf_token": wizard.token, "lang": "es", "next": "/consent/identity"})
    text = page(wizard.get("/consent/identity"))
    assert ">Enero</option>" in text and ">Febrero</option>" in text and "Día" in text and "Año" in text
    response = post_parts(wizard, "30", "2", "2001")
    assert "Febrero de 2001 no tiene día 30. Compruebe el día, por favor." in page(response)


def test_the_review_page_writes_the_date_of_birth_as_the_pdf_does(app: Flask, wizard: WizardDriver) -> None:
    wizard.ready_to_sign(app)
    review_page = page(wizard.get("/consent/review"))
    assert "1990-05-17" in review_page and "May 17, 1990" not in review_page


def test_one_format_per_language_with_the_clinics_offset() -> None:
    from datetime import date, datetime, timezone
    from zoneinfo import ZoneInfo

    from kiosk.core.dates import format_day, format_moment
    madrid = ZoneInfo("Europe/Madrid")
    assert format_day(date(1991, 3, 14), "en") == "1991-03-14" and format_day("1991-03-14", "es") == "14/03/1991"
    sealed = datetime(2026, 12, 3, 21, 5, 9, tzinfo=timezone.utc)  # as a seal reports it, in UTC
    assert format_moment(sealed, "en", madrid) == "2026-12-03 22:05:09 UTC+01:00"
    assert format_moment(sealed.isoformat(), "es", madrid) == "03/12/2026 22:05:09 UTC+01:00"
    assert format_moment("2026-07-01T10:00:00+02:00", "en") == "2026-07-01 10:00:00 UTC+02:00"
