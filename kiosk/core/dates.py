"""Dates and times as the clinic writes them, and clinic-local calendar days as UTC instants.

The one home of how a date or a time is written, per language, on the patient's pages, in the PDFs, the FHIR
export and on /verify: English writes 1991-03-14 (ISO, which nobody misreads), Spanish 14/03/1991 (the only
order a Spanish reader uses). A time always carries the clinic's UTC offset: 2025-11-24 10:42:29 UTC+01:00.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone, tzinfo

from babel.dates import get_month_names


def _day_start_utc(day: date, tz: tzinfo) -> datetime | None:
    """Midnight of a clinic-local day in UTC; None when that instant is beyond what datetimes hold."""
    try:
        return datetime.combine(day, time(0), tz).astimezone(timezone.utc)
    except (OverflowError, ValueError):
        return None


def clinic_day_range(since: date | None, until: date | None, tz: tzinfo) -> tuple[datetime | None, datetime | None]:
    """[start, end) in UTC covering the clinic days since..until inclusive, so filters agree on what a day is.

    A missing bound, or one at the edge of the calendar (0001-01-01, 9999-12-31) whose instant a
    datetime cannot hold, comes back as None: no limit on that side, which is what such a date means.
    """
    start = _day_start_utc(since, tz) if since is not None else None
    end = None
    if until is not None and until < date.max:
        end = _day_start_utc(until + timedelta(days=1), tz)
    return start, end


def month_names(locale: str) -> list[str]:
    """January to December as a list reads them in `locale` ("Enero", ...): the month of a date is chosen by name,
    so nobody has to guess whether 07/03 is March or July."""
    names = get_month_names("wide", context="stand-alone", locale=locale or "en")
    return [names[m][:1].upper() + names[m][1:] for m in range(1, 13)]


DAY_FORMATS = {"en": "%Y-%m-%d", "es": "%d/%m/%Y"}  # strftime patterns, by language; English for any other
MOMENT_FORMATS = {"en": "%Y-%m-%d %H:%M:%S", "es": "%d/%m/%Y %H:%M:%S"}


def _language(language: str | None) -> str:
    code = (language or "en").replace("_", "-").split("-")[0].lower()
    return code if code in DAY_FORMATS else "en"


def format_day(day: date | str | None, language: str | None) -> str:
    """A calendar day (a birth date, a last dose) the way `language` writes it; a value that is no date as it is."""
    if day is None:
        return ""
    if not isinstance(day, date):
        try:
            day = date.fromisoformat(str(day))
        except ValueError:
            return str(day)
    return day.strftime(DAY_FORMATS[_language(language)])


def utc_offset(moment: datetime) -> str:
    """A moment's offset as printed after its time, " UTC+01:00"; empty for a time without one."""
    offset = moment.utcoffset()
    if offset is None:
        return ""
    minutes = int(offset.total_seconds() // 60)
    sign = "+" if minutes >= 0 else "-"
    minutes = abs(minutes)
    return f" UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def format_moment(moment: datetime | str | None, language: str | None, tz: tzinfo | None = None) -> str:
    """A time the way `language` writes it with its UTC offset; in the clinic's zone `tz` when given, so a page never
    mixes +00:00 and +01:00. A stored ISO string is read first; anything else is shown as it is."""
    if moment is None or moment == "":
        return ""
    if not isinstance(moment, datetime):
        try:
            moment = datetime.fromisoformat(str(moment))
        except ValueError:
            return str(moment)
    if tz is not None:
        moment = (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(tz)
    return moment.strftime(MOMENT_FORMATS[_language(language)]) + utc_offset(moment)
