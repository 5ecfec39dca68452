"""The calendar at the edges of the years it can count: closures that reach the
first or last representable day, and requests no calendar can answer."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from slaboard.sla import BusinessCalendar, CalendarError

AMS = ZoneInfo("Europe/Amsterdam")
WEEKDAYS = {day: [["09:00", "17:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
THURSDAY = datetime(2026, 11, 26, 10, 0, tzinfo=AMS)


def calendar(tz: str = "Europe/Amsterdam", closed=()) -> BusinessCalendar:
    return BusinessCalendar.from_spec({"tz": tz, "hours": WEEKDAYS, "closed": [list(c) for c in closed]})


# ------------------------------------------------------------------ closures to the edge


@pytest.mark.parametrize(
    ("tz", "closed"),
    [
        ("Europe/Amsterdam", ("2027-01-01", "9999-12-31")),  # date-only: through 31 December 9999
        ("Etc/GMT+12", ("2027-01-01T00:00", "9999-12-31T23:00")),  # local time past year 9999 in UTC
        ("Etc/GMT-14", ("2027-01-01T00:00", "9999-12-31T23:59:59")),
        ("Etc/GMT+12", ("2027-01-01", "9999-12-31T23:59:59+00:00")),  # an aware bound
    ],
)
def test_a_closure_to_the_end_of_9999_closes_the_calendar_from_then_on(tz, closed):
    cal = calendar(tz, [closed])
    last_day = datetime(2026, 12, 31, 16, 0, tzinfo=ZoneInfo(tz))  # a Thursday
    assert cal.add(last_day, 30 * 60) == last_day + timedelta(minutes=30)
    assert not cal.is_open(datetime(2027, 1, 4, 10, 0, tzinfo=ZoneInfo(tz)))
    assert not cal.is_open(datetime(2030, 6, 5, 10, 0, tzinfo=ZoneInfo(tz)))


@pytest.mark.parametrize(
    ("tz", "closed"),
    [
        ("Etc/GMT-14", ("0001-01-01T00:00", "2026-01-01T00:00")),  # local time before year 1 in UTC
        ("Etc/GMT-14", ("0001-01-01", "2025-12-31")),
        ("Etc/GMT+12", ("0001-01-01T00:00", "2026-01-01T00:00")),
    ],
)
def test_a_closure_from_year_1_closes_the_calendar_until_its_end(tz, closed):
    cal = calendar(tz, [closed])
    zone = ZoneInfo(tz)
    assert not cal.is_open(datetime(2020, 6, 5, 10, 0, tzinfo=zone))
    assert not cal.is_open(datetime(2025, 12, 31, 10, 0, tzinfo=zone))
    assert cal.is_open(datetime(2026, 1, 1, 10, 0, tzinfo=zone))  # a Thursday
    assert cal.next_open(datetime(2020, 1, 1, tzinfo=zone)) == datetime(2026, 1, 1, 9, 0, tzinfo=zone)


def test_a_clamped_closure_is_still_shown_as_datetimes():
    cal = calendar("Etc/GMT-14", [("2027-01-01", "9999-12-31")])
    (lo, hi), = cal.closed_between(0, 2**40)
    assert datetime.fromtimestamp(hi, cal.tz).year == 9999
    assert datetime.fromtimestamp(lo, cal.tz) == datetime(2027, 1, 1, tzinfo=cal.tz)


def test_a_closure_wholly_past_the_counted_years_closes_nothing_that_can_be_asked():
    cal = calendar("Etc/GMT+12", [("9999-12-31T00:00", "9999-12-31T23:00")])
    assert cal.closed_between(0, 2**40) == []
    assert cal.is_open(datetime(2026, 11, 26, 10, 0, tzinfo=ZoneInfo("Etc/GMT+12")))


def test_a_closure_past_the_end_of_the_years_is_refused_naming_the_field():
    with pytest.raises(CalendarError, match=r"^closed\[0\]: '10000-01-01' is not a date-time"):
        calendar(closed=[("2026-01-01", "10000-01-01")])
