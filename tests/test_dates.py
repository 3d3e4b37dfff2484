"""Clinic days as UTC ranges: the conversion behind every date filter (audit log, doctor queue, desk)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from kiosk.core.dates import clinic_day_range

MADRID = ZoneInfo("Europe/Madrid")


def test_one_clinic_day_runs_from_local_midnight_to_the_next_in_utc() -> None:
    assert clinic_day_range(date(2026, 3, 11), date(2026, 3, 11), MADRID) == (
        datetime(2026, 3, 10, 23, 0, tzinfo=timezone.utc), datetime(2026, 3, 11, 23, 0, tzinfo=timezone.utc))


def test_a_day_across_the_summer_time_change_is_23_hours_long() -> None:
    start, end = clinic_day_range(date(2026, 3, 29), date(2026, 3, 29), MADRID)
    assert start is not None and end is not None
    assert (end - start).total_seconds() == 23 * 3600


def test_no_dates_means_no_limits() -> None:
    assert clinic_day_range(None, None, MADRID) == (None, None)


@pytest.mark.parametrize("zone", ["Europe/Madrid", "Asia/Tokyo", "Pacific/Kiritimati", "America/Los_Angeles", "UTC"])
def test_the_ends_of_the_calendar_mean_no_limit_instead_of_an_overflow(zone: str) -> None:
    start, end = clinic_day_range(date.min, date.max, ZoneInfo(zone))
    assert end is None
    assert start is None or start <= datetime(1, 1, 2, tzinfo=timezone.utc)
