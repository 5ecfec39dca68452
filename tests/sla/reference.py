"""A brute-force reference for the business-time contract (DESIGN.md, 8 rules).

Written independently of ``slaboard.sla``: it imports nothing from the engine.
Openness of an instant is decided by reading the local wall clock and checking
the few opening intervals, holidays and closed ranges that could contain it.
``ref_elapsed`` and ``ref_add`` then walk the real timeline between consecutive
"boundary" instants (every resolved opening, closing, holiday edge, closed-range
edge and pause edge): between two consecutive boundaries nothing can change, so
asking ``ref_is_open`` once per piece is exact, for any second-aligned input.

Public functions take a calendar ``spec`` (the ``from_spec`` dict), the zone
``tz`` for template specs without their own ``tz`` (``None`` otherwise) and aware
datetimes; they return aware UTC datetimes or int seconds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache
from typing import Iterable, Sequence
from zoneinfo import ZoneInfo

import holidays as holidays_package

UTC = timezone.utc
DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

Pause = tuple[datetime, datetime]


# --------------------------------------------------------------------------- spec


@dataclass(frozen=True)
class RefCalendar:
    zone: ZoneInfo
    # weekday (0 = Monday) -> ((open_minute, close_minute), ...), both counted from
    # the start of the owning local date; close_minute may exceed 1440 (overnight).
    week: tuple[tuple[tuple[int, int], ...], ...]
    holiday_dates: frozenset[date]
    holiday_country: object | None  # a holidays.HolidayBase, or None
    closed: tuple[tuple[datetime, datetime], ...]  # naive local wall-clock ranges

    def is_holiday(self, day: date) -> bool:
        if day in self.holiday_dates:
            return True
        return self.holiday_country is not None and day in self.holiday_country


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def _parse(spec: dict, tz: str | None) -> RefCalendar:
    zone = ZoneInfo(spec.get("tz") or tz)
    if spec.get("always_open"):
        week = tuple(((0, 1440),) for _ in WEEKDAYS)
    else:
        days = []
        for name in WEEKDAYS:
            intervals = []
            for open_text, close_text in spec.get("hours", {}).get(name, []):
                opening, closing = _minutes(open_text), _minutes(close_text)
                if closing <= opening:  # overnight: owned by the day it starts on
                    closing += 1440
                intervals.append((opening, closing))
            days.append(tuple(intervals))
        week = tuple(days)
    country = None
    if spec.get("holiday_country"):
        country = holidays_package.country_holidays(
            spec["holiday_country"], subdiv=spec.get("holiday_subdivision")
        )
    closed = tuple(
        (datetime.fromisoformat(a), datetime.fromisoformat(b))
        for a, b in spec.get("closed", [])
    )
    return RefCalendar(
        zone=zone,
        week=week,
        holiday_dates=frozenset(date.fromisoformat(d) for d in spec.get("holidays", [])),
        holiday_country=country,
        closed=closed,
    )


_PARSED: dict[str, RefCalendar] = {}


def parse(spec: dict, tz: str | None = None) -> RefCalendar:
    key = json.dumps([spec, tz], sort_keys=True)
    if key not in _PARSED:
        _PARSED[key] = _parse(spec, tz)
    return _PARSED[key]


# ------------------------------------------------------------ wall clock <-> instant


def wall(zone: ZoneInfo, instant: datetime) -> datetime:
    """The naive local wall-clock reading of ``instant`` in ``zone``."""
    return instant.astimezone(zone).replace(tzinfo=None)


@lru_cache(maxsize=None)
def resolve(zone: ZoneInfo, local: datetime) -> datetime:
    """The instant a local wall-clock time stands for (rule 7).

    Try every UTC offset the zone uses within a day and a half of ``local``: each
    offset whose instant reads ``local`` on the wall clock is an occurrence, and
    the earliest occurrence wins (DST overlap). With no occurrence, ``local`` is in
    a DST gap: bisect for the first instant whose wall clock reads ``local`` or
    later, which is the transition instant.
    """
    as_if_utc = local.replace(tzinfo=UTC)
    offsets = {
        (as_if_utc + timedelta(hours=h)).astimezone(zone).utcoffset()
        for h in range(-36, 37, 2)
    }
    occurrences = [as_if_utc - off for off in offsets if wall(zone, as_if_utc - off) == local]
    if occurrences:
        return min(occurrences)
    low = min(as_if_utc - off for off in offsets)  # reads earlier than local
    high = max(as_if_utc - off for off in offsets)  # reads later than local
    assert wall(zone, low) < local < wall(zone, high), (zone, local)
    while high - low > SECOND:
        middle = low + SECOND * ((high - low) // SECOND // 2)
        if wall(zone, middle) >= local:
            high = middle
        else:
            low = middle
    return high


def _at(day: date, minute: int) -> datetime:
    return datetime.combine(day, time()) + timedelta(minutes=minute)


def _utc(instant: datetime) -> datetime:
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("reference needs aware datetimes")
    return instant.astimezone(UTC)


# ------------------------------------------------------------------- the ranges


def _opening_ranges(cal: RefCalendar, day: date):
    for opening, closing in cal.week[day.weekday()]:
        yield resolve(cal.zone, _at(day, opening)), resolve(cal.zone, _at(day, closing))


def _holiday_range(cal: RefCalendar, day: date):
    return resolve(cal.zone, _at(day, 0)), resolve(cal.zone, _at(day + DAY, 0))


def _closed_ranges(cal: RefCalendar):
    for start, end in cal.closed:
        yield resolve(cal.zone, start), resolve(cal.zone, end)


def _is_open(cal: RefCalendar, t: datetime) -> bool:
    today = wall(cal.zone, t).date()
    nearby = [today + DAY * k for k in (-2, -1, 0, 1)]
    if not any(a <= t < b for day in nearby for a, b in _opening_ranges(cal, day)):
        return False
    for day in nearby:
        if cal.is_holiday(day):
            a, b = _holiday_range(cal, day)
            if a <= t < b:
                return False
    return not any(a <= t < b for a, b in _closed_ranges(cal))


def _paused(t: datetime, pauses: Sequence[Pause]) -> bool:
    return any(a <= t < b for a, b in pauses)


def _boundaries(cal: RefCalendar, low: datetime, high: datetime, pauses: Sequence[Pause]):
    """Every instant in [low, high] at which openness or pausing may change."""
    points = {low, high}
    day = wall(cal.zone, low).date() - 2 * DAY
    last = wall(cal.zone, high).date() + 2 * DAY
    while day <= last:
        for a, b in _opening_ranges(cal, day):
            points.update((a, b))
        if cal.is_holiday(day):
            points.update(_holiday_range(cal, day))
        day += DAY
    for a, b in _closed_ranges(cal):
        points.update((a, b))
    for a, b in pauses:
        points.update((a, b))
    return sorted(p for p in points if low <= p <= high)


def _pieces(cal: RefCalendar, low: datetime, high: datetime, pauses: Sequence[Pause]):
    """(start, end, counts) for consecutive pieces of [low, high)."""
    points = _boundaries(cal, low, high, pauses)
    for start, end in zip(points, points[1:]):
        yield start, end, _is_open(cal, start) and not _paused(start, pauses)


def _norm_pauses(pauses: Iterable[Pause]) -> list[Pause]:
    return [(_utc(a), _utc(b)) for a, b in pauses]


def _seconds(delta: timedelta) -> int:
    whole, rest = divmod(delta, SECOND)
    assert not rest, "reference expects whole-second inputs"
    return whole


# ------------------------------------------------------------------- public API


def ref_is_open(spec: dict, tz: str | None, t: datetime) -> bool:
    return _is_open(parse(spec, tz), _utc(t))


def ref_elapsed(
    spec: dict, tz: str | None, a: datetime, b: datetime, pauses: Iterable[Pause] = ()
) -> int:
    cal, a, b, pauses = parse(spec, tz), _utc(a), _utc(b), _norm_pauses(pauses)
    if b < a:
        return -ref_elapsed(spec, tz, b, a, pauses)
    total = timedelta(0)
    for start, end, counts in _pieces(cal, a, b, pauses):
        if counts:
            total += end - start
    return _seconds(total)


def ref_add(
    spec: dict,
    tz: str | None,
    a: datetime,
    seconds: int,
    pauses: Iterable[Pause] = (),
    give_up_after: timedelta = timedelta(days=3 * 366),
) -> datetime:
    """Earliest business instant T >= a with ref_elapsed(a, T) == seconds (rule 3)."""
    cal, a, pauses = parse(spec, tz), _utc(a), _norm_pauses(pauses)
    remaining = timedelta(seconds=seconds)
    low = a
    while low - a < give_up_after:
        high = low + 7 * DAY
        for start, end, counts in _pieces(cal, low, high, pauses):
            if not counts:
                continue
            # Strictly less: a budget used up exactly at the end of a piece is
            # answered by the next business instant (the next counting piece).
            if remaining < end - start:
                return start + remaining
            remaining -= end - start
        low = high
    raise AssertionError(f"reference found no answer within {give_up_after}")


def ref_next_open(spec: dict, tz: str | None, t: datetime) -> datetime:
    return ref_add(spec, tz, t, 0)


def ref_boundaries(
    spec: dict, tz: str | None, low: datetime, high: datetime, pauses: Iterable[Pause] = ()
) -> list[datetime]:
    """Instants in [low, high] where the calendar may open or close (for probing)."""
    return _boundaries(parse(spec, tz), _utc(low), _utc(high), _norm_pauses(pauses))


def ref_elapsed_by_minutes(
    spec: dict, tz: str | None, a: datetime, b: datetime, pauses: Iterable[Pause] = ()
) -> int:
    """The dumbest possible elapsed: ask every minute. Minute-aligned inputs only.

    Used to check the piecewise walk above on short ranges.
    """
    cal, a, b, pauses = parse(spec, tz), _utc(a), _utc(b), _norm_pauses(pauses)
    if b < a:
        return -ref_elapsed_by_minutes(spec, tz, b, a, pauses)
    minute = timedelta(minutes=1)
    assert not (b - a) % minute
    total, t = 0, a
    while t < b:
        if _is_open(cal, t) and not _paused(t, pauses):
            total += 60
        t += minute
    return total


def _owned_ranges(cal: RefCalendar, day: date):
    """Opening ranges owned by ``day`` (a shift belongs to the date it starts on)."""
    return list(_opening_ranges(cal, day))


def ref_is_business_date(spec: dict, tz: str | None, day: date) -> bool:
    """A business day is a date on which a shift starts: one of the shifts it owns is
    open at some instant before the next local midnight."""
    cal = parse(spec, tz)
    midnight = resolve(cal.zone, _at(day + DAY, 0))
    for opening, closing in _owned_ranges(cal, day):
        end = min(closing, midnight)
        if opening < end and any(counts for _, _, counts in _pieces(cal, opening, end, [])):
            return True
    return False


def ref_add_business_days(spec: dict, tz: str | None, a: datetime, days: int) -> datetime:
    """The wall-clock time of the first business instant at or after ``a``, counted
    from the midnight of the date whose shift holds it, on the ``days``-th following
    business date; then the first business instant at or after that."""
    cal = parse(spec, tz)
    first = ref_next_open(spec, tz, a)
    if days == 0:
        return first
    local = wall(cal.zone, first)
    owner = next(
        day
        for day in (local.date(), local.date() - DAY, local.date() - 2 * DAY)
        if any(o <= first < c for o, c in _owned_ranges(cal, day))
    )
    since_midnight = local - _at(owner, 0)
    day, count = owner, 0
    while count < days:
        day += DAY
        if ref_is_business_date(spec, tz, day):
            count += 1
    return ref_next_open(spec, tz, resolve(cal.zone, _at(day, 0) + since_midnight))
