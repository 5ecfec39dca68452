from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from slaboard.sla import BusinessCalendar, Duration, DurationError, parse_duration

AMS = ZoneInfo("Europe/Amsterdam")
WEEKDAYS_9_17 = {
    "tz": "Europe/Amsterdam",
    "hours": {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
    "holidays": ["2026-12-25", "2026-12-28"],
}


@pytest.mark.parametrize(
    ("text", "seconds", "days", "canonical"),
    [
        ("45m", 2700, 0, "45m"),
        ("4h", 14400, 0, "4h"),
        ("1h30m", 5400, 0, "1h30m"),
        ("1h 30m", 5400, 0, "1h30m"),
        ("90m", 5400, 0, "1h30m"),
        ("30s", 30, 0, "30s"),
        ("3bd", 0, 3, "3bd"),
        (" 2BD ", 0, 2, "2bd"),
    ],
)
def test_parse_valid(text, seconds, days, canonical):
    d = parse_duration(text)
    assert (d.seconds, d.business_days) == (seconds, days)
    assert d.text == canonical
    assert parse_duration(d.text) == d


@pytest.mark.parametrize("text", ["", "abc", "4", "4x", "0m", "0bd", "-1h", "1.5h", "2d", "30m1h", "1h1h", "3bd4h"])
def test_parse_invalid_names_field_and_value(text):
    with pytest.raises(DurationError) as err:
        parse_duration(text, field="levels.gold.resolution.P1")
    message = str(err.value)
    assert "levels.gold.resolution.P1" in message
    assert repr(text) in message


def test_parse_refuses_non_strings():
    with pytest.raises(DurationError, match="not a duration"):
        parse_duration(3600)


def test_d_suffix_gets_a_hint():
    with pytest.raises(DurationError, match="bd"):
        parse_duration("2d")


def test_describe_in_words():
    assert parse_duration("1h30m").describe() == "1 hour 30 minutes of business time"
    assert parse_duration("1bd").describe() == "1 business day"


def cal() -> BusinessCalendar:
    return BusinessCalendar.from_spec(WEEKDAYS_9_17)


def due_of(duration: str, start: datetime) -> datetime:
    c = cal()
    s = int(start.timestamp())
    budget = parse_duration(duration).business_seconds(c, s)
    return c.add(start, budget)


def test_business_days_same_time_of_day():
    # Monday 10:15 + 3 business days = Thursday 10:15.
    assert due_of("3bd", datetime(2026, 6, 1, 10, 15, tzinfo=AMS)) == datetime(2026, 6, 4, 10, 15, tzinfo=AMS)


def test_business_days_skip_weekend():
    # Friday 14:00 + 1bd = Monday 14:00.
    assert due_of("1bd", datetime(2026, 6, 5, 14, 0, tzinfo=AMS)) == datetime(2026, 6, 8, 14, 0, tzinfo=AMS)


def test_business_days_skip_holidays():
    # Thu 24 Dec 11:00 + 2bd: Fri 25 and Mon 28 are holidays -> Tue 29, Wed 30 11:00.
    assert due_of("2bd", datetime(2026, 12, 24, 11, 0, tzinfo=AMS)) == datetime(2026, 12, 30, 11, 0, tzinfo=AMS)


def test_business_days_start_outside_hours_counts_from_next_opening():
    # Saturday 20:00 -> next opening Monday 09:00 -> +2bd = Wednesday 09:00.
    assert due_of("2bd", datetime(2026, 6, 6, 20, 0, tzinfo=AMS)) == datetime(2026, 6, 10, 9, 0, tzinfo=AMS)


def test_business_days_across_dst_keep_local_time():
    # Friday 27 March 2026 10:00 CET + 1bd = Monday 30 March 10:00 CEST (one real hour less).
    due = due_of("1bd", datetime(2026, 3, 27, 10, 0, tzinfo=AMS))
    assert due == datetime(2026, 3, 30, 10, 0, tzinfo=AMS)
    assert due.utcoffset().total_seconds() == 7200


def test_business_days_on_24x7_is_whole_days():
    c = BusinessCalendar.from_spec({"always_open": True, "tz": "Europe/Amsterdam"})
    start = datetime(2026, 3, 28, 12, 0, tzinfo=AMS)
    budget = Duration(business_days=2).business_seconds(c, int(start.timestamp()))
    assert c.add(start, budget) == datetime(2026, 3, 30, 12, 0, tzinfo=AMS)
    assert budget == 47 * 3600  # the DST night has 23 hours
