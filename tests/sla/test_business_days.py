"""Business days on calendars with night shifts: a business day is a date on which a
shift starts, and a shift belongs to the date it starts on (as it does for hours)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from slaboard.sla import BusinessCalendar, Duration

from .reference import ref_add_business_days

AMS = ZoneInfo("Europe/Amsterdam")
NIGHTS = [["22:00", "06:00"]]
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri")
# Friday 4 December 2026 is a Friday.
FRIDAY = date(2026, 12, 4)


def nights(**extra) -> dict:
    return {"tz": "Europe/Amsterdam", "hours": {d: NIGHTS for d in WEEKDAYS}, **extra}


def at(y, mo, d, h, mi=0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=AMS)


def plus_bd(spec: dict, start: datetime, days: int) -> datetime:
    """The engine's answer, checked against the reference's on the way."""
    cal = BusinessCalendar.from_spec(spec)
    due = datetime.fromtimestamp(cal.add_business_days(int(start.timestamp()), days), AMS)
    assert due.astimezone(UTC) == ref_add_business_days(spec, None, start, days)
    return due


def test_the_friday_night_shift_does_not_make_saturday_a_business_day():
    spec = nights()
    assert plus_bd(spec, at(2026, 12, 4, 23), 1) == at(2026, 12, 7, 23)
    assert plus_bd(spec, at(2026, 12, 4, 23), 2) == at(2026, 12, 8, 23)
    cal = BusinessCalendar.from_spec(spec)
    assert cal.is_business_date(FRIDAY)
    assert not cal.is_business_date(date(2026, 12, 5))  # open 00:00-06:00, but no shift starts
    assert not cal.is_business_date(date(2026, 12, 6))


def test_one_business_day_of_night_shifts_is_one_shift_of_business_time():
    cal = BusinessCalendar.from_spec(nights())
    start = int(at(2026, 12, 4, 23).timestamp())
    # Fri 23:00-06:00 and Mon 22:00-23:00: eight hours, a whole shift.
    assert Duration(business_days=1).business_seconds(cal, start) == 8 * 3600
    assert Duration(business_days=2).business_seconds(cal, start) == 16 * 3600


def test_a_start_after_midnight_counts_from_the_day_its_shift_started():
    # Sat 02:00 is four hours into Friday's shift: one business day later is four
    # hours into Monday's shift, Tue 02:00 (not Mon 02:00, when nothing is open).
    assert plus_bd(nights(), at(2026, 12, 5, 2), 1) == at(2026, 12, 8, 2)
    assert plus_bd(nights(), at(2026, 12, 5, 2), 3) == at(2026, 12, 10, 2)


def test_a_start_outside_hours_counts_from_the_next_shift():
    # Sat 07:00: the next opening is Mon 22:00, so +1bd is Tue 22:00.
    assert plus_bd(nights(), at(2026, 12, 5, 7), 1) == at(2026, 12, 8, 22)


def test_zero_business_days_is_the_first_business_instant():
    assert plus_bd(nights(), at(2026, 12, 5, 7), 0) == at(2026, 12, 7, 22)
    assert plus_bd(nights(), at(2026, 12, 4, 23), 0) == at(2026, 12, 4, 23)


def test_negative_business_days_are_refused():
    cal = BusinessCalendar.from_spec(nights())
    with pytest.raises(ValueError, match="must not be negative"):
        cal.add_business_days(int(at(2026, 12, 4, 23).timestamp()), -1)


def test_a_holiday_takes_the_day_of_its_shift_away_but_not_the_hours_after_midnight():
    # Friday is a holiday: its shift keeps only Sat 00:00-06:00 (business time), and
    # Friday is no business day, so Thu 23:00 + 1bd is Mon 23:00.
    spec = nights(holidays=["2026-12-04"])
    cal = BusinessCalendar.from_spec(spec)
    assert cal.is_open(at(2026, 12, 5, 2))
    assert not cal.is_business_date(FRIDAY)
    assert plus_bd(spec, at(2026, 12, 3, 23), 1) == at(2026, 12, 7, 23)
    # A call in those hours after midnight still belongs to Friday's shift.
    assert plus_bd(spec, at(2026, 12, 5, 2), 1) == at(2026, 12, 8, 2)


def test_a_closure_that_covers_part_of_a_shift_before_midnight_keeps_the_day():
    # Closed Fri 21:00-23:30: Friday's shift still starts at 23:30, on Friday.
    spec = nights(closed=[["2026-12-04T21:00", "2026-12-04T23:30"]])
    assert BusinessCalendar.from_spec(spec).is_business_date(FRIDAY)
    # Thu 23:00 + 1bd is Fri 23:00, closed: the first business instant after it.
    assert plus_bd(spec, at(2026, 12, 3, 23), 1) == at(2026, 12, 4, 23, 30)


def test_a_closure_until_after_midnight_takes_the_day_away():
    # Closed Fri 22:00 - Sat 01:00: Friday's shift runs only on Saturday.
    spec = nights(closed=[["2026-12-04T22:00", "2026-12-05T01:00"]])
    cal = BusinessCalendar.from_spec(spec)
    assert not cal.is_business_date(FRIDAY)
    assert not cal.is_business_date(date(2026, 12, 5))
    assert plus_bd(spec, at(2026, 12, 3, 23), 1) == at(2026, 12, 7, 23)


def test_a_date_with_the_end_of_one_shift_and_the_start_of_another():
    # Tuesday holds the end of Monday's night shift and its own 14:00-20:00 shift.
    spec = {"tz": "Europe/Amsterdam", "hours": {"mon": NIGHTS, "tue": [["14:00", "20:00"]], "thu": NIGHTS}}
    # Mon 23:00 + 1bd: Tuesday is a business day, but Tue 23:00 is closed, so the
    # answer is the next opening, Thu 22:00.
    assert plus_bd(spec, at(2026, 11, 30, 23), 1) == at(2026, 12, 3, 22)
    cal = BusinessCalendar.from_spec(spec)
    assert cal.is_business_date(date(2026, 12, 1))
    # With Tuesday's own shift closed, the early hours of Monday's shift do not
    # make Tuesday a business day.
    shut = dict(spec, closed=[["2026-12-01T14:00", "2026-12-01T20:00"]])
    assert not BusinessCalendar.from_spec(shut).is_business_date(date(2026, 12, 1))
    assert plus_bd(shut, at(2026, 11, 30, 23), 1) == at(2026, 12, 3, 23)


# Saturday and Monday nights; Europe/Amsterdam changes its clocks on a Sunday night.
WEEKEND_AND_MONDAY_NIGHTS = {"tz": "Europe/Amsterdam", "hours": {"sat": NIGHTS, "mon": NIGHTS}}


def test_a_night_shift_over_the_spring_forward_keeps_the_wall_clock_time():
    spec = WEEKEND_AND_MONDAY_NIGHTS
    # Sun 29 Mar 2026 01:30 CET is in Saturday's shift, which loses an hour at 02:00;
    # one business day later is 01:30 in Monday's shift, Tue 31 Mar 01:30 CEST.
    start = at(2026, 3, 29, 1, 30)
    assert plus_bd(spec, start, 1) == at(2026, 3, 31, 1, 30)
    cal = BusinessCalendar.from_spec(spec)
    # 01:30-06:00 less the lost hour, then 22:00-01:30: seven real hours.
    assert Duration(business_days=1).business_seconds(cal, int(start.timestamp())) == 7 * 3600
    # Tue 24 Mar 02:30 (Monday's shift) + 1bd is 02:30 in Saturday's shift, which
    # does not exist on 29 March: the transition instant, 03:00 CEST (rule 7).
    due = plus_bd(spec, at(2026, 3, 24, 2, 30), 1)
    assert due.astimezone(UTC) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)


def test_a_night_shift_over_the_fall_back_takes_the_first_occurrence():
    # Tue 20 Oct 2026 02:30 (Monday's shift) + 1bd is 02:30 in Saturday's shift,
    # which happens twice on 25 October: the first time, 02:30 CEST.
    due = plus_bd(WEEKEND_AND_MONDAY_NIGHTS, at(2026, 10, 20, 2, 30), 1)
    assert due.astimezone(UTC) == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)


def test_office_hours_and_24x7_are_unchanged():
    office = {"tz": "Europe/Amsterdam", "hours": {d: [["09:00", "17:00"]] for d in WEEKDAYS}}
    assert plus_bd(office, at(2026, 12, 4, 14), 1) == at(2026, 12, 7, 14)
    always = {"tz": "Europe/Amsterdam", "always_open": True}
    assert plus_bd(always, at(2026, 12, 4, 14), 1) == at(2026, 12, 5, 14)
