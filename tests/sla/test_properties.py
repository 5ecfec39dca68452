"""Properties of the business-time engine over random calendars, plus bad input.

Calendars: office hours, split shifts (sometimes touching), overnight shifts, 24x7
and random weekly patterns, in zones with and without DST (including half-hour
offsets), with random holidays and closed ranges, anchored near DST transitions
as often as not. Instants are minute-aligned and handed over in assorted zones.
The reference in ``reference.py`` is the oracle; the algebraic laws (additivity,
monotony, ...) do not depend on it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .reference import (
    ref_add,
    ref_add_business_days,
    ref_boundaries,
    ref_elapsed,
    ref_elapsed_by_minutes,
    ref_is_open,
    resolve,
    wall,
)

UTC = timezone.utc
MINUTE = timedelta(minutes=1)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ZONES = (
    "Europe/Amsterdam",
    "America/New_York",
    "Australia/Sydney",
    "Asia/Kolkata",
    "Etc/UTC",
    "America/St_Johns",
)
# Zones the caller may hand instants in; None means the calendar's own zone.
INPUT_ZONES = (None, UTC, ZoneInfo("Asia/Tokyo"), timezone(timedelta(hours=-7, minutes=-30)))

# SLABOARD_HYPOTHESIS_EXAMPLES=5000 for a long soak; the default keeps CI quick.
EXAMPLES = int(os.environ.get("SLABOARD_HYPOTHESIS_EXAMPLES", "100"))
PROPERTY = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FEWER = settings(PROPERTY, max_examples=max(1, EXAMPLES * 3 // 5))


# ----------------------------------------------------------------- the engine


def engine():
    import slaboard.sla as sla

    return sla


def calendar_of(scn: Scenario):
    """A fresh engine calendar: the engine compiles lazily, so a shared one would
    make each example depend on the questions earlier examples asked (that is
    tested on purpose, in test_answers_do_not_depend_on_earlier_questions)."""
    return engine().BusinessCalendar.from_spec(scn.spec, tz=scn.tz)


def utc(t: datetime) -> datetime:
    assert t.tzinfo is not None and t.utcoffset() is not None, f"naive result {t!r}"
    return t.astimezone(UTC)


# ----------------------------------------------------------------- strategies


@dataclass(frozen=True)
class Scenario:
    spec: dict
    tz: str | None  # given to from_spec when the spec is a template without tz
    zone: str
    anchor: datetime  # UTC; instants, holidays, closures and pauses cluster around it
    weekly_open_s: int

    def __repr__(self) -> str:  # one line that can be pasted into a reproduction
        return f"Scenario(spec={json.dumps(self.spec)}, tz={self.tz!r}, anchor={self.anchor.isoformat()})"


@lru_cache(maxsize=None)
def dst_transitions(zone_name: str) -> tuple[datetime, ...]:
    """Offset changes of a zone in 2024-2026, to the minute."""
    zone = ZoneInfo(zone_name)
    found = []
    t, end, step = datetime(2024, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC), timedelta(hours=6)
    while t < end:
        if t.astimezone(zone).utcoffset() != (t + step).astimezone(zone).utcoffset():
            low, high = t, t + step
            while high - low > MINUTE:
                middle = low + MINUTE * ((high - low) // MINUTE // 2)
                if middle.astimezone(zone).utcoffset() == low.astimezone(zone).utcoffset():
                    low = middle
                else:
                    high = middle
            found.append(high)
        t += step
    return tuple(found)


NICE_MINUTES = (0, 60, 90, 120, 135, 150, 180, 210, 240, 360, 480, 540, 720, 780, 1020, 1080, 1200, 1320, 1410)
minute_of_day = st.one_of(st.sampled_from(NICE_MINUTES), st.integers(0, 95).map(lambda q: q * 15))


def hhmm(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    week = 7 * 1440
    return any(max(a[0], b[0] + k) < min(a[1], b[1] + k) for k in (-week, 0, week))


@st.composite
def weekly_hours(draw) -> tuple[dict, int]:
    """(hours spec, open minutes per week), built as intervals on the week's circle."""
    kind = draw(st.sampled_from(["office", "split", "overnight", "24x7", "random"]))
    days = sorted(draw(st.sets(st.integers(0, 6), min_size=1)))
    spans: list[tuple[int, int]] = []  # minutes from Monday 00:00, end may pass Sunday
    if kind == "24x7":
        spans = [(d * 1440, d * 1440 + 1440) for d in range(7)]
    elif kind == "office":
        opening = draw(st.sampled_from([420, 480, 510, 540, 150]))
        closing = draw(st.sampled_from([960, 1020, 1050, 1080, 1440]))
        spans = [(d * 1440 + opening, d * 1440 + closing) for d in days]
    elif kind == "split":
        a, b, c, d_ = sorted(draw(st.lists(minute_of_day, min_size=4, max_size=4, unique=True)))
        touching = draw(st.booleans())
        pieces = [(a, b), (b, d_)] if touching else [(a, b), (c, d_)]
        spans = [(d * 1440 + o, d * 1440 + e) for d in days for o, e in pieces]
    elif kind == "overnight":
        opening = draw(st.sampled_from([1200, 1260, 1320, 1380, 1410, 1425]))
        closing = draw(st.sampled_from([1440, 1500, 1560, 1590, 1620, 1800]))
        spans = [(d * 1440 + opening, d * 1440 + closing) for d in days]
    else:
        raw = draw(
            st.lists(
                st.tuples(
                    st.integers(0, 6),
                    minute_of_day,
                    st.one_of(st.integers(1, 8).map(lambda q: q * 15), st.integers(1, 95).map(lambda q: q * 15)),
                ),
                min_size=1,
                max_size=8,
            )
        )
        for day, start, length in sorted(raw):
            span = (day * 1440 + start, day * 1440 + start + length)
            if not any(_overlaps(span, kept) for kept in spans):
                spans.append(span)
    hours: dict[str, list[list[str]]] = {}
    for start, end in spans:
        day, opening = divmod(start, 1440)
        closing = end - day * 1440
        if closing == 1440:
            # "00:00" closes at the next midnight too (close <= open), unless it
            # would equal the opening time.
            close_text = "24:00" if opening == 0 or draw(st.booleans()) else "00:00"
        else:
            close_text = hhmm(closing % 1440)
        hours.setdefault(WEEKDAYS[day % 7], []).append([hhmm(opening), close_text])
    return hours, sum(end - start for start, end in spans)


@st.composite
def anchors(draw, zone_name: str) -> datetime:
    transitions = dst_transitions(zone_name)
    if transitions and draw(st.booleans()):
        base = draw(st.sampled_from(transitions))
        return base + MINUTE * draw(st.integers(-3 * 1440, 3 * 1440))
    return datetime(2024, 1, 1, tzinfo=UTC) + MINUTE * draw(st.integers(0, 3 * 365 * 1440))


@st.composite
def scenarios(draw) -> Scenario:
    zone_name = draw(st.sampled_from(ZONES))
    hours, weekly_open_min = draw(weekly_hours())
    anchor = draw(anchors(zone_name))
    spec: dict = {"hours": hours}
    template = draw(st.booleans())
    if not template:
        spec["tz"] = zone_name
    zone = ZoneInfo(zone_name)
    local_day = wall(zone, anchor).date()
    offsets = draw(st.lists(st.integers(-3, 12), max_size=3, unique=True))
    spec["holidays"] = sorted((local_day + timedelta(days=k)).isoformat() for k in offsets)
    closed = []
    for _ in range(draw(st.integers(0, 2))):
        local_start = datetime.combine(local_day, datetime.min.time()) + MINUTE * draw(
            st.integers(-1440, 5 * 1440).map(lambda m: m - m % 15)
        )
        length = MINUTE * draw(st.sampled_from([15, 30, 60, 90, 180, 480, 1440, 1800]))
        if resolve(zone, local_start) == resolve(zone, local_start + length):
            continue  # wholly inside a DST gap: see test_closed_range_inside_dst_gap_is_empty
        closed.append([local_start.isoformat(timespec="minutes"), (local_start + length).isoformat(timespec="minutes")])
    if closed:
        spec["closed"] = closed
    return Scenario(spec, zone_name if template else None, zone_name, anchor, weekly_open_min * 60)


def in_some_zone(draw, scn: Scenario, t: datetime) -> datetime:
    zone = draw(st.sampled_from(INPUT_ZONES)) or ZoneInfo(scn.zone)
    return t.astimezone(zone)


def near(draw, scn: Scenario, days: int = 2) -> datetime:
    t = scn.anchor + MINUTE * draw(st.integers(-days * 1440, days * 1440))
    return in_some_zone(draw, scn, t)


def pauses_for(draw, scn: Scenario) -> list[tuple[datetime, datetime]]:
    count = draw(st.integers(0, 3))
    result = []
    for _ in range(count):
        start = scn.anchor + MINUTE * draw(st.integers(-1440, 4 * 1440))
        length = MINUTE * draw(st.one_of(st.integers(1, 120), st.integers(1, 1800)))
        result.append((in_some_zone(draw, scn, start), in_some_zone(draw, scn, start + length)))
    return result


def budget(draw, scn: Scenario) -> int:
    cap = max(3600, min(72 * 3600, 3 * scn.weekly_open_s))
    return draw(st.one_of(st.integers(0, cap // 60).map(lambda m: m * 60), st.integers(0, cap)))


def show(**values) -> str:
    return "; ".join(f"{k}={v!r}" for k, v in values.items())


# ----------------------------------------------------- agreement with the reference


@PROPERTY
@given(scn=scenarios(), data=st.data())
def test_add_agrees_with_reference(scn, data):
    a = near(data.draw, scn)
    seconds = budget(data.draw, scn)
    pauses = pauses_for(data.draw, scn)
    due = calendar_of(scn).add(a, seconds, pauses=pauses)
    expected = ref_add(scn.spec, scn.tz, a, seconds, pauses)
    assert utc(due) == expected, show(start=a, seconds=seconds, pauses=pauses, due=due)


@PROPERTY
@given(scn=scenarios(), data=st.data())
def test_elapsed_agrees_with_reference(scn, data):
    a, b = near(data.draw, scn, days=4), near(data.draw, scn, days=4)
    pauses = pauses_for(data.draw, scn)
    spent = calendar_of(scn).elapsed(a, b, pauses=pauses)
    assert isinstance(spent, int) and not isinstance(spent, bool), type(spent)
    assert spent == ref_elapsed(scn.spec, scn.tz, a, b, pauses), show(a=a, b=b, pauses=pauses)


@PROPERTY
@given(scn=scenarios(), data=st.data())
def test_is_open_agrees_with_reference(scn, data):
    calendar = calendar_of(scn)
    low, high = scn.anchor - timedelta(days=2), scn.anchor + timedelta(days=2)
    # Every instant where the reference sees an edge, a second either side of it,
    # and a few random instants.
    probes = set()
    for edge in ref_boundaries(scn.spec, scn.tz, low, high):
        probes.update((edge - timedelta(seconds=1), edge, edge + timedelta(seconds=1)))
    probes.update(near(data.draw, scn) for _ in range(5))
    zone = data.draw(st.sampled_from(INPUT_ZONES)) or ZoneInfo(scn.zone)
    for t in sorted(probes, key=utc):
        t = t.astimezone(zone)
        assert calendar.is_open(t) == ref_is_open(scn.spec, scn.tz, t), show(t=t, utc=utc(t))


@PROPERTY
@given(scn=scenarios(), data=st.data())
def test_add_zero_is_next_open(scn, data):
    a = near(data.draw, scn)
    calendar = calendar_of(scn)
    first = utc(calendar.next_open(a))
    assert utc(calendar.add(a, 0)) == first, show(start=a)
    assert first == ref_add(scn.spec, scn.tz, a, 0), show(start=a)
    assert calendar.is_open(first)
    assert (first == utc(a)) == calendar.is_open(a), show(start=a)


# ------------------------------------------------------------- algebraic laws


@PROPERTY
@given(scn=scenarios(), data=st.data())
def test_add_spends_exactly_the_budget(scn, data):
    a = near(data.draw, scn)
    seconds = budget(data.draw, scn)
    pauses = pauses_for(data.draw, scn)
    calendar = calendar_of(scn)
    due = calendar.add(a, seconds, pauses=pauses)
    assert utc(due) >= utc(a)
    assert calendar.elapsed(a, due, pauses=pauses) == seconds, show(start=a, seconds=seconds, pauses=pauses, due=due)


@PROPERTY
@given(scn=scenarios(), data=st.data())
def test_add_lands_on_an_open_unpaused_instant(scn, data):
    a = near(data.draw, scn)
    seconds = budget(data.draw, scn)
    pauses = pauses_for(data.draw, scn)
    calendar = calendar_of(scn)
    due = utc(calendar.add(a, seconds, pauses=pauses))
    assert calendar.is_open(due), show(start=a, seconds=seconds, due=due)
    assert not any(utc(p) <= due < utc(q) for p, q in pauses), show(start=a, seconds=seconds, pauses=pauses, due=due)


@PROPERTY
@given(scn=scenarios(), data=st.data())
def test_elapsed_is_additive(scn, data):
    a, b, c = (near(data.draw, scn, days=3) for _ in range(3))
    pauses = pauses_for(data.draw, scn)
    calendar = calendar_of(scn)
    ab = calendar.elapsed(a, b, pauses=pauses)
    bc = calendar.elapsed(b, c, pauses=pauses)
    ac = calendar.elapsed(a, c, pauses=pauses)
    assert ab + bc == ac, show(a=a, b=b, c=c, pauses=pauses, ab=ab, bc=bc, ac=ac)


@PROPERTY
@given(scn=scenarios(), data=st.data())
def test_elapsed_is_antisymmetric(scn, data):
    a, b = near(data.draw, scn, days=3), near(data.draw, scn, days=3)
    pauses = pauses_for(data.draw, scn)
    calendar = calendar_of(scn)
    assert calendar.elapsed(b, a, pauses=pauses) == -calendar.elapsed(a, b, pauses=pauses)
    assert calendar.elapsed(a, a, pauses=pauses) == 0


@PROPERTY
@given(scn=scenarios(), data=st.data())
def test_add_is_monotone_in_budget(scn, data):
    a = near(data.draw, scn)
    d1, d2 = sorted((budget(data.draw, scn), budget(data.draw, scn)))
    pauses = pauses_for(data.draw, scn)
    calendar = calendar_of(scn)
    first, second = calendar.add(a, d1, pauses=pauses), calendar.add(a, d2, pauses=pauses)
    assert utc(first) <= utc(second), show(start=a, d1=d1, d2=d2, pauses=pauses)
    if d1 < d2:
        assert utc(first) < utc(second)


@PROPERTY
@given(scn=scenarios(), data=st.data())
def test_add_is_monotone_in_start(scn, data):
    a1, a2 = sorted((near(data.draw, scn), near(data.draw, scn)), key=utc)
    seconds = budget(data.draw, scn)
    pauses = pauses_for(data.draw, scn)
    calendar = calendar_of(scn)
    first, second = calendar.add(a1, seconds, pauses=pauses), calendar.add(a2, seconds, pauses=pauses)
    assert utc(first) <= utc(second), show(a1=a1, a2=a2, seconds=seconds, pauses=pauses)


# ------------------------------------------------------------- business days


def business_days(calendar, a: datetime, days: int) -> datetime:
    return datetime.fromtimestamp(calendar.add_business_days(int(utc(a).timestamp()), days), UTC)


@PROPERTY
@given(scn=scenarios(), data=st.data())
def test_add_business_days_agrees_with_reference(scn, data):
    """A business day is a date on which a shift starts; a start counts from the date
    whose shift it is in (overnight shifts included)."""
    a = near(data.draw, scn)
    days = data.draw(st.integers(0, 4))
    due = business_days(calendar_of(scn), a, days)
    assert due == ref_add_business_days(scn.spec, scn.tz, a, days), show(start=a, days=days, due=due)


@FEWER
@given(scn=scenarios(), data=st.data())
def test_add_business_days_is_monotone_and_lands_on_business_time(scn, data):
    a = near(data.draw, scn)
    calendar = calendar_of(scn)
    answers = [business_days(calendar, a, days) for days in range(4)]
    assert answers == sorted(answers), show(start=a, answers=answers)
    assert all(calendar.is_open(t) for t in answers), show(start=a, answers=answers)


@PROPERTY
@given(scn=scenarios(), data=st.data())
def test_answers_do_not_depend_on_earlier_questions(scn, data):
    """One calendar object serves a board for months: a question about last year
    asked after one about today (or the other way round) gets the same answer."""
    calendar = calendar_of(scn)
    for _ in range(data.draw(st.integers(1, 3))):
        # Often more than a year later: the engine compiles a year at a time.
        days = data.draw(st.one_of(st.integers(370, 900), st.integers(-900, 900)))
        other = scn.anchor + timedelta(days=days, minutes=data.draw(st.integers(0, 1439)))
        if data.draw(st.booleans()):
            calendar.add(other, data.draw(st.integers(0, 86400)))
        else:
            calendar.elapsed(other, other + timedelta(days=1))
    a, b = near(data.draw, scn), near(data.draw, scn)
    seconds = budget(data.draw, scn)
    pauses = pauses_for(data.draw, scn)
    due = calendar.add(a, seconds, pauses=pauses)
    assert utc(due) == ref_add(scn.spec, scn.tz, a, seconds, pauses), show(start=a, seconds=seconds, pauses=pauses, due=due)
    assert calendar.elapsed(a, b, pauses=pauses) == ref_elapsed(scn.spec, scn.tz, a, b, pauses), show(a=a, b=b, pauses=pauses)
    assert calendar.is_open(a) == ref_is_open(scn.spec, scn.tz, a), show(t=a)


@FEWER
@given(zone=st.sampled_from(ZONES), data=st.data())
def test_24x7_is_real_time(zone, data):
    """Adjacent intervals merge (no seam at midnight) and DST days count real hours."""
    spec = {"tz": zone, "hours": {day: [["00:00", "24:00"]] for day in WEEKDAYS}}
    calendar = engine().BusinessCalendar.from_spec(spec)
    scn = Scenario(spec, None, zone, data.draw(anchors(zone)), 7 * 86400)
    a, b = near(data.draw, scn), near(data.draw, scn)
    seconds = data.draw(st.integers(0, 10 * 86400))
    assert utc(calendar.add(a, seconds)) == utc(a) + timedelta(seconds=seconds)
    assert calendar.elapsed(a, b) == int((utc(b) - utc(a)).total_seconds())


@FEWER
@given(scn=scenarios(), data=st.data())
def test_reference_walk_matches_minute_by_minute(scn, data):
    """Self-check of the reference: its piecewise walk against asking every minute."""
    a = near(data.draw, scn, days=1)
    b = a + MINUTE * data.draw(st.integers(-1440, 1440))
    pauses = pauses_for(data.draw, scn)
    assert ref_elapsed(scn.spec, scn.tz, a, b, pauses) == ref_elapsed_by_minutes(scn.spec, scn.tz, a, b, pauses)


# ------------------------------------------------------------------ plain cases

OFFICE = {"tz": "Europe/Amsterdam", "hours": {day: [["09:00", "17:00"]] for day in WEEKDAYS[:5]}}
MONDAY_9 = datetime(2024, 6, 3, 9, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))


def test_long_budget_on_a_short_week_has_no_search_cap():
    calendar = engine().BusinessCalendar.from_spec(OFFICE)
    due = calendar.add(MONDAY_9, 200 * 3600)
    # 25 working days of 8 hours end exactly at Friday 17:00 -> next opening.
    assert utc(due) == datetime(2024, 7, 8, 9, 0, tzinfo=ZoneInfo("Europe/Amsterdam")).astimezone(UTC)
    assert utc(due) == ref_add(OFFICE, None, MONDAY_9, 200 * 3600)


def test_template_reads_hours_in_the_given_zone():
    template = {"hours": OFFICE["hours"]}
    calendar = engine().BusinessCalendar.from_spec(template, tz="America/New_York")
    start = datetime(2024, 6, 3, 9, 0, tzinfo=ZoneInfo("America/New_York"))
    assert utc(calendar.add(start, 3600)) == utc(start + timedelta(hours=1))
    assert calendar.is_open(datetime(2024, 6, 3, 13, 30, tzinfo=UTC)) is True
    assert calendar.is_open(datetime(2024, 6, 3, 12, 30, tzinfo=UTC)) is False


def test_instants_in_any_zone_are_the_same_instants():
    calendar = engine().BusinessCalendar.from_spec(OFFICE)
    results = {
        utc(calendar.add(MONDAY_9.astimezone(zone), 5400))
        for zone in (UTC, ZoneInfo("Asia/Tokyo"), ZoneInfo("America/St_Johns"), timezone(timedelta(hours=5)))
    }
    assert results == {utc(MONDAY_9 + timedelta(minutes=90))}


def test_always_open_counts_every_second():
    calendar = engine().BusinessCalendar.from_spec({"tz": "Europe/Amsterdam", "always_open": True})
    start = datetime(2024, 10, 26, 12, 0, tzinfo=UTC)
    assert utc(calendar.add(start, 86400)) == start + timedelta(days=1)
    assert calendar.elapsed(start, start + timedelta(days=2)) == 2 * 86400
    assert calendar.is_open(start)


def test_holiday_country_closes_its_dates():
    spec = dict(OFFICE, holiday_country="NL")
    calendar = engine().BusinessCalendar.from_spec(spec)
    christmas = datetime(2024, 12, 25, 10, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
    assert not calendar.is_open(christmas)
    assert not ref_is_open(spec, None, christmas)
    start = datetime(2024, 12, 20, 13, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
    for seconds in (3600, 8 * 3600, 30 * 3600, 60 * 3600):
        assert utc(calendar.add(start, seconds)) == ref_add(spec, None, start, seconds)
    end = datetime(2025, 1, 10, tzinfo=UTC)
    assert calendar.elapsed(start, end) == ref_elapsed(spec, None, start, end)


@pytest.mark.parametrize(("subdivision", "is_holiday"), [("BY", True), ("BE", False)])
def test_holiday_subdivision_is_used(subdivision, is_holiday):
    spec = {"tz": "Europe/Berlin", "hours": OFFICE["hours"], "holiday_country": "DE", "holiday_subdivision": subdivision}
    epiphany = datetime(2025, 1, 6, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))  # a Monday
    assert engine().BusinessCalendar.from_spec(spec).is_open(epiphany) is not is_holiday
    assert ref_is_open(spec, None, epiphany) is not is_holiday


AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def _sunday(opening: str, closing: str) -> dict:
    return {"tz": "Europe/Amsterdam", "hours": {"sun": [[opening, closing]]}}


@pytest.mark.parametrize(
    ("spec", "day", "expect_s", "first_open_utc"),
    [
        # 02:30 does not exist on 2024-03-31: it opens at the jump, 01:00Z (03:00 CEST).
        pytest.param(_sunday("02:30", "05:00"), date(2024, 3, 31), 2 * 3600, datetime(2024, 3, 31, 1, 0), id="open-in-gap"),
        pytest.param(_sunday("00:00", "02:30"), date(2024, 3, 31), 2 * 3600, datetime(2024, 3, 30, 23, 0), id="close-in-gap"),
        # 02:30 occurs twice on 2024-10-27: the first one, 00:30Z (CEST), counts.
        pytest.param(_sunday("02:30", "05:00"), date(2024, 10, 27), 3 * 3600 + 1800, datetime(2024, 10, 27, 0, 30), id="open-in-overlap"),
        pytest.param(_sunday("00:00", "02:30"), date(2024, 10, 27), 2 * 3600 + 1800, datetime(2024, 10, 26, 22, 0), id="close-in-overlap"),
    ],
)
def test_dst_gap_and_overlap_resolution(spec, day, expect_s, first_open_utc):
    calendar = engine().BusinessCalendar.from_spec(spec)
    start = datetime.combine(day - timedelta(days=1), datetime.min.time(), tzinfo=AMSTERDAM)
    end = start + timedelta(days=3)
    assert calendar.elapsed(start, end) == expect_s == ref_elapsed(spec, None, start, end)
    first_open = first_open_utc.replace(tzinfo=UTC)
    assert utc(calendar.next_open(start)) == first_open == ref_add(spec, None, start, 0)


NAIVE = datetime(2024, 6, 3, 10, 0)
AWARE = datetime(2024, 6, 3, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "call",
    [
        lambda c: c.add(NAIVE, 60),
        lambda c: c.elapsed(NAIVE, AWARE),
        lambda c: c.elapsed(AWARE, NAIVE),
        lambda c: c.is_open(NAIVE),
        lambda c: c.next_open(NAIVE),
        lambda c: c.add(AWARE, 60, pauses=[(NAIVE, AWARE + timedelta(hours=1))]),
        lambda c: c.elapsed(AWARE, AWARE + timedelta(hours=5), pauses=[(AWARE, NAIVE + timedelta(hours=1))]),
    ],
    ids=["add", "elapsed-start", "elapsed-end", "is_open", "next_open", "add-pause", "elapsed-pause"],
)
def test_naive_datetimes_are_refused(call):
    calendar = engine().BusinessCalendar.from_spec(OFFICE)
    with pytest.raises(ValueError):
        call(calendar)


def test_calendar_error_is_a_value_error():
    assert issubclass(engine().CalendarError, ValueError)


def _monday(*intervals):
    return {"tz": "Etc/UTC", "hours": {"mon": [list(i) for i in intervals]}}


@pytest.mark.parametrize(
    ("spec", "fields", "values"),
    [
        pytest.param(_monday(("09:00", "25:00")), ("mon", "hours"), ("25:00",), id="hour-25"),
        pytest.param(_monday(("25:00", "26:00")), ("mon", "hours"), ("25:00",), id="open-25"),
        pytest.param(_monday(("09:00", "09:00")), ("mon", "hours"), ("09:00",), id="zero-length"),
        pytest.param(
            _monday(("09:00", "12:00"), ("11:00", "17:00")),
            ("mon", "hours"),
            ("09:00", "11:00", "12:00", "17:00"),
            id="overlap",
        ),
        pytest.param({"tz": "Etc/UTC", "hours": {}}, ("hours", "open"), ("",), id="no-hours"),
        pytest.param(
            {"tz": "Etc/UTC", "hours": {day: [] for day in WEEKDAYS}}, ("hours", "open"), ("",), id="empty-days"
        ),
        pytest.param(dict(OFFICE, tz="Mars/Olympus"), ("tz", "zone"), ("Mars/Olympus",), id="zone"),
        pytest.param(dict(OFFICE, holiday_country="XX"), ("holiday_country",), ("XX",), id="country"),
        pytest.param(
            dict(OFFICE, holiday_country="DE", holiday_subdivision="ZZ"), ("holiday_subdivision",), ("ZZ",), id="subdivision"
        ),
    ],
)
def test_bad_specs_are_refused_with_a_message_naming_field_and_value(spec, fields, values):
    with pytest.raises(engine().CalendarError) as caught:
        engine().BusinessCalendar.from_spec(spec)
    message = str(caught.value)
    assert any(field in message for field in fields), message
    assert any(value in message for value in values), message


def test_template_zone_argument_is_checked_too():
    with pytest.raises(engine().CalendarError, match="Mars/Olympus"):
        engine().BusinessCalendar.from_spec({"hours": OFFICE["hours"]}, tz="Mars/Olympus")


def test_closed_range_inside_dst_gap_is_empty():
    """Rule 7 resolves both ends of a closure inside the gap to the transition
    instant: an empty closure, not a malformed spec."""
    spec = {
        "tz": "Europe/Amsterdam",
        "hours": {day: [["00:00", "24:00"]] for day in WEEKDAYS},
        "closed": [["2024-03-31T02:00", "2024-03-31T02:30"]],
    }
    calendar = engine().BusinessCalendar.from_spec(spec)
    start = datetime(2024, 3, 31, 0, 0, tzinfo=UTC)
    assert calendar.elapsed(start, start + timedelta(hours=3)) == 3 * 3600


def test_question_about_last_year_after_one_about_today():
    """Found by the property above: a calendar that first answered for 2025 then
    gave negative elapsed time for 2024 (the Tuesday after Easter Monday)."""
    spec = dict(OFFICE, holidays=["2024-03-29", "2024-04-01"])
    amsterdam = ZoneInfo("Europe/Amsterdam")
    calendar = engine().BusinessCalendar.from_spec(spec)
    calendar.elapsed(datetime(2025, 6, 2, 9, tzinfo=amsterdam), datetime(2025, 6, 2, 10, tzinfo=amsterdam))
    a, b = datetime(2024, 4, 2, 8, tzinfo=amsterdam), datetime(2024, 4, 2, 12, tzinfo=amsterdam)
    assert calendar.elapsed(a, b) == 3 * 3600
    assert utc(calendar.add(a, 3600)) == utc(datetime(2024, 4, 2, 10, tzinfo=amsterdam))
