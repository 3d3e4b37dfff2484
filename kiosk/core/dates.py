"""Clinic-local calendar days as UTC instants: the one conversion every date filter uses."""

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
