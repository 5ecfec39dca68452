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


# ------------------------------------------------------------------ impossible requests


OUT_OF_RANGE = "business time is out of range (years 2 to 9998)"


@pytest.mark.parametrize("seconds", [10**12, 10**11])
def test_a_budget_larger_than_the_calendar_can_hold_is_refused(seconds):
    with pytest.raises(CalendarError, match=r"^business time is out of range \(years 2 to 9998\)$"):
        calendar().add(THURSDAY, seconds)


def test_a_budget_larger_than_the_calendar_can_hold_is_refused_with_pauses():
    pause = (THURSDAY + timedelta(hours=1), THURSDAY + timedelta(days=3))
    with pytest.raises(CalendarError, match=r"^business time is out of range \(years 2 to 9998\)$"):
        calendar().add(THURSDAY, 10**12, pauses=[pause])


def test_too_many_business_days_are_refused():
    with pytest.raises(CalendarError, match="^business days run past the end of the calendar$"):
        calendar().add_business_days(int(THURSDAY.timestamp()), 10**7)


CLOSED_FOR_GOOD = r"^business time is out of range: the calendar is closed from 2026-01-01 00:00 on$"


def test_a_calendar_closed_until_the_end_refuses_add():
    cal = calendar(closed=[("2026-01-01", "9999-12-31")])
    for seconds in (0, 3600):
        with pytest.raises(CalendarError, match=CLOSED_FOR_GOOD):
            cal.add(THURSDAY, seconds)
    with pytest.raises(CalendarError, match=CLOSED_FOR_GOOD):
        cal.next_open(THURSDAY)


def test_a_calendar_closed_until_the_end_refuses_business_days():
    cal = calendar(closed=[("2026-01-01", "9999-12-31")])
    with pytest.raises(CalendarError, match=CLOSED_FOR_GOOD):
        cal.add_business_days(int(THURSDAY.timestamp()), 2)


def test_closures_that_join_up_to_the_end_count_as_closed_for_good():
    cal = calendar(closed=[("2026-01-01", "2030-12-31"), ("2031-01-01", "9999-12-31")])
    with pytest.raises(CalendarError, match=CLOSED_FOR_GOOD):
        cal.add(THURSDAY, 60)


# Thursday 26 November 2026 10:00 to the closure on 1 January 2027: 7 + 8 hours this
# week, four full weeks, Monday to Thursday of the last: 207 business hours.
LEFT_IN_2026 = 207 * 3600
CLOSED_FROM_2027 = r"^business time is out of range: the calendar is closed from 2027-01-01 00:00 on$"


def test_a_budget_that_fits_before_a_final_closure_is_answered():
    cal = calendar(closed=[("2027-01-01", "9999-12-31")])
    assert cal.elapsed(THURSDAY, datetime(2027, 6, 1, tzinfo=AMS)) == LEFT_IN_2026
    assert cal.add(THURSDAY, LEFT_IN_2026 - 3600) == datetime(2026, 12, 31, 16, 0, tzinfo=AMS)


@pytest.mark.parametrize("seconds", [LEFT_IN_2026, LEFT_IN_2026 + 1, 250 * 3600, 10**9])
def test_a_budget_that_runs_into_a_final_closure_is_refused(seconds):
    # LEFT_IN_2026 itself runs out at a closing time, whose next opening never comes.
    with pytest.raises(CalendarError, match=CLOSED_FROM_2027):
        calendar(closed=[("2027-01-01", "9999-12-31")]).add(THURSDAY, seconds)


def test_business_days_that_run_into_a_final_closure_are_refused():
    cal = calendar(closed=[("2027-01-01", "9999-12-31")])
    t = int(THURSDAY.timestamp())
    assert datetime.fromtimestamp(cal.add_business_days(t, 25), AMS) == datetime(2026, 12, 31, 10, 0, tzinfo=AMS)
    for days in (26, 30, 10**6):
        with pytest.raises(CalendarError, match=CLOSED_FROM_2027):
            cal.add_business_days(t, days)


def test_a_start_after_a_final_closure_is_refused_at_once():
    cal = calendar(closed=[("2027-01-01", "9999-12-31")])
    with pytest.raises(CalendarError, match=CLOSED_FROM_2027):
        cal.add(datetime(2027, 3, 1, 10, 0, tzinfo=AMS), 0)
