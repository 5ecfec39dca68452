"""Business calendars: which real instants count as business time, and how much.

A calendar is read in one IANA zone. Its weekly opening hours are local wall-clock
intervals; holidays close whole local dates and ``closed`` ranges close parts of days.
All arithmetic is done on integer UTC epoch seconds.

A shift (an opening interval) belongs to the weekday it starts on, overnight or not,
and that holds for business days too: a business day is a local date on which one of
its own shifts is open before the next midnight. With Mon-Fri 22:00-06:00, Saturday is
no business day, so Fri 23:00 + 1 business day is Mon 23:00 and + 2 is Tue 23:00. A
holiday takes its date's shift away as a business day even though the shift's hours
after midnight stay business time. ``add_business_days`` keeps the wall-clock time
counted from the midnight of the start's shift date (Sat 02:00 in Friday's shift + 1
business day is Tue 02:00, in Monday's shift); see its docstring.

The calendar is compiled lazily: for a range of local dates it holds the sorted,
merged business spans as UTC seconds and a running sum of their lengths, so that the
business position ``B(t)`` (business seconds from a fixed origin up to ``t``) is one
binary search. ``elapsed(a, b)`` is ``B(b) - B(a)``; ``add(t, d)`` is a binary
search for the first span whose running sum passes ``B(t) + d``. The range grows a
year at a time, in either direction, when a question falls outside it.

One compiled calendar is shared by threads (the board's main thread and its
workers). The compiled spans are an immutable :class:`_Spans` snapshot: a question
reads ``self._spans`` once and answers from that snapshot alone; growth builds a new
snapshot under a lock and publishes it with one assignment. Positions already
handed out never move when the range grows, so answers from an older snapshot
agree with those from a newer one. Holiday names are published the same way.
"""

from __future__ import annotations

import math
import re
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAY = 86_400
WEEK = 7 * DAY
_CHUNK_DAYS = 366
# An interval owned by one date ends less than two days after that date's midnight;
# three days of margin cover that plus any DST shift.
_MARGIN_DAYS = 3
_TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_MIN_DATE = date(1, 1, 1) + timedelta(days=_CHUNK_DAYS + 10)
_MAX_DATE = date(9999, 12, 31) - timedelta(days=_CHUNK_DAYS + 10)
# The first and last instants a ``closed`` bound can mean. They lie outside every
# span the engine compiles (dates stay within a chunk and a margin of _MIN_DATE and
# _MAX_DATE) and are still datetimes in every zone (offsets are within a day), so a
# closure "until 9999-12-31" or "since 0001-01-01" is clamped to them: closed from
# then on, or closed since always.
_FIRST_INSTANT = math.floor(datetime(1, 1, 3, tzinfo=UTC).timestamp())
_LAST_INSTANT = math.floor(datetime(9999, 12, 29, tzinfo=UTC).timestamp())
# Later than any instant the engine answers for (its local date plus the margin must
# not pass _MAX_DATE), in any zone: the end of the business time a calendar holds.
_END_INSTANT = math.floor(datetime.combine(_MAX_DATE, dtime(), UTC).timestamp())
# How much longer than its wall-clock length one opening interval can be in real
# seconds (a DST change inside it; two hours is the largest in the tz database).
_DST_SLACK = 3 * 3600
_OUT_OF_RANGE = "business time is out of range (years 2 to 9998)"


@dataclass(frozen=True, slots=True)
class _Spans:
    """Compiled business spans for local dates [d0, d1); never changed once built.

    ``cum[i]`` is the business position at ``starts[i]``, ``cumend[i]`` at ``ends[i]``.
    Instants in [cover_lo, cover_hi) are answered exactly.
    """

    d0: date | None
    d1: date | None
    starts: list[int]
    ends: list[int]
    cum: list[int]
    cumend: list[int]
    cover_lo: int
    cover_hi: int

    def covers(self, lo: int, hi: int) -> bool:
        return self.cover_lo <= lo and hi < self.cover_hi

    def position(self, t: int) -> int:
        starts = self.starts
        i = bisect_right(starts, t) - 1
        if i < 0:  # before the first span: its running sum (not 0 once grown backwards)
            cum = self.cum
            return cum[0] if cum else 0
        s = starts[i]
        e = self.ends[i]
        return self.cum[i] + (t - s if t < e else e - s)


# Nothing compiled yet: covers no instant, so the first question compiles.
_NO_SPANS = _Spans(None, None, [], [], [], [], 0, 0)


class CalendarError(ValueError):
    """A calendar spec that cannot be used; the message names the field and value."""


Pause = tuple[datetime, datetime]


def to_epoch(t: datetime, what: str = "instant") -> int:
    """Whole UTC epoch seconds of an aware datetime (floored); naive ones are refused."""
    if not isinstance(t, datetime):
        raise TypeError(f"{what} must be a datetime, not {type(t).__name__}")
    if t.tzinfo is None:
        raise ValueError(
            f"{what} {t.isoformat()} has no time zone; give an aware datetime "
            "(for example with tzinfo=ZoneInfo('Europe/Amsterdam') or a UTC offset)"
        )
    return math.floor(t.timestamp())


def _parse_clock(value: object, field: str, *, is_close: bool) -> int:
    if not isinstance(value, str):
        raise CalendarError(f"{field}: {value!r} is not a time; write it as 'HH:MM'")
    m = _TIME_RE.match(value.strip())
    if not m:
        raise CalendarError(f"{field}: {value!r} is not a time; write it as 'HH:MM'")
    h, mi, s = int(m[1]), int(m[2]), int(m[3] or 0)
    if mi > 59 or s > 59 or h > 24 or (h == 24 and (mi or s)):
        raise CalendarError(f"{field}: {value!r} is not a valid time of day (00:00 to 24:00)")
    if h == 24 and not is_close:
        raise CalendarError(f"{field}: {value!r} cannot open an interval; 24:00 is only a closing time")
    return h * 3600 + mi * 60 + s


@dataclass(frozen=True, slots=True)
class OpeningInterval:
    """One weekly opening interval, in seconds from its weekday's local midnight.

    ``end`` may exceed one day: an overnight shift belongs to the weekday it starts on.
    """

    weekday: int
    start: int
    end: int

    def label(self) -> str:
        def hm(s: int) -> str:
            s %= DAY
            return f"{s // 3600:02d}:{s % 3600 // 60:02d}"

        close = "24:00" if self.end == DAY else hm(self.end)
        return f"{WEEKDAYS[self.weekday]} {hm(self.start)}-{close}"


def _parse_hours(hours: object) -> list[OpeningInterval]:
    if not isinstance(hours, Mapping):
        raise CalendarError(f"hours: {hours!r} must be a table of weekdays (mon..sun) to intervals")
    intervals: list[OpeningInterval] = []
    for key, day_intervals in hours.items():
        day = str(key).lower()[:3]
        if day not in WEEKDAYS or len(str(key)) not in (3, len(_full_day(day))):
            raise CalendarError(f"hours: {key!r} is not a weekday; use mon, tue, wed, thu, fri, sat, sun")
        wd = WEEKDAYS.index(day)
        if not isinstance(day_intervals, Sequence) or isinstance(day_intervals, str):
            raise CalendarError(f"hours.{day}: {day_intervals!r} must be a list of [open, close] pairs")
        for n, pair in enumerate(day_intervals):
            field = f"hours.{day}[{n}]"
            if not isinstance(pair, Sequence) or isinstance(pair, str) or len(pair) != 2:
                raise CalendarError(f"{field}: {pair!r} must be an [open, close] pair like ['09:00', '17:00']")
            start = _parse_clock(pair[0], field, is_close=False)
            close = _parse_clock(pair[1], field, is_close=True)
            if close == start:
                raise CalendarError(
                    f"{field}: {list(pair)!r} has zero length; use '00:00'-'24:00' for a whole day"
                )
            end = close if close > start else close + DAY
            intervals.append(OpeningInterval(wd, start, end))
    _check_overlaps(intervals)
    return intervals


def _full_day(day: str) -> str:
    return {
        "mon": "monday", "tue": "tuesday", "wed": "wednesday", "thu": "thursday",
        "fri": "friday", "sat": "saturday", "sun": "sunday",
    }[day]


def _check_overlaps(intervals: list[OpeningInterval]) -> None:
    """Refuse intervals that overlap on the weekly timeline (overnight shifts included)."""
    spans = sorted((iv.weekday * DAY + iv.start, iv.weekday * DAY + iv.end, iv) for iv in intervals)
    # Unroll the week once more so that a Sunday night shift is checked against Monday.
    unrolled = spans + [(s + WEEK, e + WEEK, iv) for s, e, iv in spans]
    for (s1, e1, a), (s2, e2, b) in zip(unrolled, unrolled[1:]):
        if s2 < e1 and a is not b:
            raise CalendarError(
                f"hours: {a.label()} overlaps {b.label()}; opening intervals must not overlap"
            )


def _parse_local(value: object, field: str) -> tuple[datetime, bool]:
    """A closed-range bound: naive local ISO datetime or date, or an aware ISO instant."""
    if isinstance(value, datetime):
        return value, True
    if isinstance(value, date):
        return datetime.combine(value, dtime()), False
    if not isinstance(value, str):
        raise CalendarError(f"{field}: {value!r} is not a date-time like '2026-12-24T12:00'")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise CalendarError(f"{field}: {value!r} is not a date-time like '2026-12-24T12:00'") from None
    return parsed, len(value.strip()) <= 10


def _parse_date(value: object, field: str) -> date:
    if isinstance(value, datetime):
        raise CalendarError(f"{field}: {value!r} must be a date like '2026-12-25', not a date-time")
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise CalendarError(f"{field}: {value!r} is not a date like '2026-12-25'")


def load_zone(name: object, field: str = "tz") -> ZoneInfo:
    """The IANA zone called ``name``, or a CalendarError naming the field."""
    if isinstance(name, ZoneInfo):
        return name
    if not isinstance(name, str) or not name.strip():
        raise CalendarError(f"{field}: {name!r} is not a time zone; use an IANA name like 'Europe/Amsterdam'")
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise CalendarError(
            f"{field}: unknown time zone {name!r}; use an IANA name like 'Europe/Amsterdam'"
        ) from None


class HolidaySource:
    """Public holidays of one country (and subdivision), resolved year by year."""

    def __init__(self, country: str, subdivision: str | None = None) -> None:
        import holidays as holidays_pkg

        supported = holidays_pkg.utils.list_supported_countries()
        code = country.strip().upper() if isinstance(country, str) else country
        if code not in supported:
            raise CalendarError(
                f"holiday_country: unknown country {country!r}; use an ISO 3166 code such as 'NL' or 'US'"
            )
        if subdivision is not None:
            subdivisions = supported[code]
            if subdivision not in subdivisions:
                shown = ", ".join(subdivisions[:12]) + (" ..." if len(subdivisions) > 12 else "")
                raise CalendarError(
                    f"holiday_subdivision: {subdivision!r} is not a subdivision of {code}"
                    + (f"; known: {shown}" if shown else "")
                )
        self.country = code
        self.subdivision = subdivision
        self._module = holidays_pkg

    def dates(self, year: int) -> dict[date, str]:
        found = self._module.country_holidays(self.country, subdiv=self.subdivision, years=year)
        return {d: str(name) for d, name in found.items() if d.year == year}


class BusinessCalendar:
    """Business time in one zone. Build with :meth:`from_spec`.

    ``add`` and ``elapsed`` follow the rules of DESIGN.md ("Business-time
    arithmetic"); every instant argument must be an aware datetime, in any zone.
    """

    def __init__(
        self,
        tz: ZoneInfo,
        intervals: Sequence[OpeningInterval],
        holidays: Iterable[date] = (),
        closed: Sequence[tuple[datetime, datetime]] = (),
        holiday_source: HolidaySource | None = None,
        name: str = "",
        always_open: bool = False,
    ) -> None:
        if not intervals:
            raise CalendarError("hours: the calendar has no opening time at all; give at least one interval")
        self.tz = tz
        self.name = name
        self.always_open = always_open
        self.intervals = tuple(sorted(intervals, key=lambda iv: (iv.weekday, iv.start)))
        self._by_weekday: list[list[tuple[int, int]]] = [[] for _ in range(7)]
        for iv in self.intervals:
            self._by_weekday[iv.weekday].append((iv.start, iv.end))
        # Replaced whole, never changed in place: readers may iterate it while a
        # year of holidays is being added.
        self.holiday_names: dict[date, str] = {d: "holiday" for d in holidays}
        self._listed_holidays = frozenset(self.holiday_names)
        self._holiday_source = holiday_source
        self._holiday_years: frozenset[int] = frozenset()
        self._closed_local = tuple(closed)
        self._closed_ts: list[tuple[int, int]] = []
        for i, (lo, hi) in enumerate(closed):
            try:
                a, b = self._resolve_bound(lo), self._resolve_bound(hi)
            except (OverflowError, ValueError) as err:
                raise CalendarError(
                    f"closed[{i}]: [{lo.isoformat()}, {hi.isoformat()}] cannot be read in {tz.key} ({err})"
                ) from None
            if b < a or (b == a and lo.tzinfo is None and hi <= lo):
                raise CalendarError(
                    f"closed[{i}]: [{lo.isoformat()}, {hi.isoformat()}] ends before it starts"
                )
            if b > a:  # a range inside a DST gap closes nothing
                self._closed_ts.append((a, b))
        self._closed_ts.sort()
        # Where business time ends for good: the start of a closure that reaches the
        # engine's last instant (None if the calendar stays open to the end).
        final = _merge(list(self._closed_ts))[-1:]
        self._closed_from = final[0][0] if final and final[0][1] >= _LAST_INSTANT else None
        self._weekly_seconds = sum(iv.end - iv.start + _DST_SLACK for iv in self.intervals)
        self._midnights: dict[date, int] = {}
        self._bd_cache: dict[tuple[int, int], int] = {}
        self._business_dates: dict[date, bool] = {}
        self._owned: dict[date, tuple[tuple[int, int], ...]] = {}
        # Per weekday: whether one of its shifts runs past midnight into the next.
        self._overnight = [any(end > DAY for _, end in day) for day in self._by_weekday]
        self._spans = _NO_SPANS
        # Reentrant: compiling spans loads holiday years, which takes it again.
        self._grow_lock = threading.RLock()
        # (snapshot, t, position): the last answer of position(), one tuple so that
        # a thread never pairs one thread's t with another's position.
        self._last_pos: tuple[_Spans, int, int] = (_NO_SPANS, 0, 0)

    # ------------------------------------------------------------------ building

    @classmethod
    def from_spec(cls, spec: Mapping[str, object], tz: str | ZoneInfo | None = None, name: str = "") -> BusinessCalendar:
        """Build a calendar from the contract-file shape.

        ``spec`` may hold ``tz``, ``hours``, ``always_open``, ``holidays``,
        ``holiday_country``, ``holiday_subdivision`` and ``closed``. A spec without
        ``tz`` is a template: ``tz`` gives the zone it is read in (UTC if neither).
        Raises :class:`CalendarError` naming the field and value on bad input.

        A ``closed`` bound past the years the engine counts (2 to 9998) is clamped to
        its edge: ``["2027-01-01", "9999-12-31"]`` closes the calendar from 2027 on,
        ``["0001-01-01T00:00", ...]`` closes it since always, in every zone.
        """
        if not isinstance(spec, Mapping):
            raise CalendarError(f"calendar: {spec!r} must be a table")
        known = {"tz", "hours", "always_open", "holidays", "holiday_country",
                 "holiday_subdivision", "closed", "name", "description"}
        unknown = sorted(set(map(str, spec)) - known)
        if unknown:
            raise CalendarError(
                f"{unknown[0]}: unknown calendar field; expected one of {', '.join(sorted(known))}"
            )
        zone_name = spec.get("tz") if spec.get("tz") is not None else tz
        zone = load_zone(zone_name if zone_name is not None else "Etc/UTC")
        always = spec.get("always_open", False)
        if not isinstance(always, bool):
            raise CalendarError(f"always_open: {always!r} must be true or false")
        hours = spec.get("hours")
        if always:
            if hours:
                raise CalendarError("hours: give either always_open = true or hours, not both")
            intervals = [OpeningInterval(wd, 0, DAY) for wd in range(7)]
        else:
            if hours is None:
                raise CalendarError("hours: missing; give opening hours per weekday or always_open = true")
            intervals = _parse_hours(hours)
        raw_holidays = spec.get("holidays") or []
        if not isinstance(raw_holidays, Sequence) or isinstance(raw_holidays, str):
            raise CalendarError(f"holidays: {raw_holidays!r} must be a list of dates")
        holidays = [_parse_date(h, f"holidays[{i}]") for i, h in enumerate(raw_holidays)]
        source = None
        country = spec.get("holiday_country")
        subdivision = spec.get("holiday_subdivision")
        if country is not None:
            if not isinstance(country, str):
                raise CalendarError(f"holiday_country: {country!r} must be a country code like 'NL'")
            if subdivision is not None and not isinstance(subdivision, str):
                raise CalendarError(f"holiday_subdivision: {subdivision!r} must be a code like 'BY'")
            source = HolidaySource(country, subdivision)
        elif subdivision is not None:
            raise CalendarError("holiday_subdivision: needs holiday_country as well")
        raw_closed = spec.get("closed") or []
        if not isinstance(raw_closed, Sequence) or isinstance(raw_closed, str):
            raise CalendarError(f"closed: {raw_closed!r} must be a list of [from, to] pairs")
        closed = []
        for i, pair in enumerate(raw_closed):
            field = f"closed[{i}]"
            if not isinstance(pair, Sequence) or isinstance(pair, str) or len(pair) != 2:
                raise CalendarError(f"{field}: {pair!r} must be a [from, to] pair of local date-times")
            lo, _ = _parse_local(pair[0], field)
            hi, hi_is_date = _parse_local(pair[1], field)
            if hi_is_date:  # a closing date includes that whole day
                # 9999-12-31 has no next day; its last instant is past the engine's
                # range all the same, so the range is closed from ``lo`` on.
                hi = hi + timedelta(days=1) if hi.date() < date.max else datetime.max
            closed.append((lo, hi))
        label = name or str(spec.get("name") or "")
        return cls(zone, intervals, holidays, closed, source, name=label, always_open=always)

    def _resolve_bound(self, t: datetime) -> int:
        """UTC seconds of a ``closed`` bound, clamped to [_FIRST_INSTANT, _LAST_INSTANT]."""
        if t.tzinfo is not None:
            ts = to_epoch(t)
        else:
            try:
                ts = self.resolve_local(t)
            except (OverflowError, ValueError):
                # A wall-clock time in year 1 or 9999 that this zone's offset moves
                # out of the years a datetime can hold: it is past either end.
                ts = _FIRST_INSTANT if t.year < 5000 else _LAST_INSTANT
        return min(max(ts, _FIRST_INSTANT), _LAST_INSTANT)

    def resolve_local(self, naive: datetime) -> int:
        """UTC seconds of a local wall-clock time: a time in a DST gap gives the
        transition instant, a time that occurs twice its first occurrence."""
        first = naive.replace(tzinfo=self.tz, fold=0)
        ts = math.floor(first.timestamp())
        if datetime.fromtimestamp(ts, self.tz).replace(tzinfo=None) == naive.replace(microsecond=0):
            return ts  # fold=0 is the first occurrence of a repeated time
        # In a gap: the two folds straddle the transition; find its instant.
        a = math.floor(naive.replace(tzinfo=self.tz, fold=1).timestamp())
        lo, hi = min(ts, a), max(ts, a)
        after = datetime.fromtimestamp(hi, self.tz).utcoffset()
        while lo < hi:
            mid = (lo + hi) // 2
            if datetime.fromtimestamp(mid, self.tz).utcoffset() == after:
                hi = mid
            else:
                lo = mid + 1
        return lo

    def _midnight(self, d: date) -> int:
        ts = self._midnights.get(d)
        if ts is None:
            ts = self.resolve_local(datetime(d.year, d.month, d.day))
            self._midnights[d] = ts
        return ts

    def _ensure_holiday_years(self, first: int, last: int) -> None:
        if self._holiday_source is None:
            return
        if all(year in self._holiday_years for year in range(first, last + 1)):
            return
        with self._grow_lock:
            missing = [y for y in range(first, last + 1) if y not in self._holiday_years]
            if not missing:
                return
            names = dict(self.holiday_names)
            for year in missing:
                for d, label in self._holiday_source.dates(year).items():
                    names.setdefault(d, label)
            # Names first: a reader that sees the year loaded must see its names.
            self.holiday_names = names
            self._holiday_years = self._holiday_years | set(missing)

    def is_holiday(self, d: date) -> bool:
        self._ensure_holiday_years(d.year, d.year)
        return d in self.holiday_names

    def _generate(self, d0: date, d1: date) -> list[tuple[int, int]]:
        """Merged business spans of the intervals owned by local dates [d0, d1)."""
        raw: list[tuple[int, int]] = []
        d = d0
        one = timedelta(days=1)
        while d < d1:
            for start, end in self._by_weekday[d.weekday()]:
                base = datetime(d.year, d.month, d.day)
                s = self.resolve_local(base + timedelta(seconds=start))
                e = self.resolve_local(base + timedelta(seconds=end))
                if e > s:
                    raw.append((s, e))
            d += one
        raw.sort()
        closures = self._closures(d0 - timedelta(days=_MARGIN_DAYS), d1 + timedelta(days=_MARGIN_DAYS))
        return _subtract(_merge(raw), closures)

    def _closures(self, d0: date, d1: date) -> list[tuple[int, int]]:
        self._ensure_holiday_years(d0.year, d1.year)
        out = [
            (self._midnight(d), self._midnight(d + timedelta(days=1)))
            for d in self.holiday_names  # one snapshot: the name is rebound, not grown
            if d0 <= d <= d1
        ]
        out.extend(self._closed_ts)
        out.sort()
        return _merge(out)

    def _ensure(self, lo: int, hi: int) -> _Spans:
        """A snapshot of the compiled spans that is complete for instants in [lo, hi]."""
        spans = self._spans
        if spans.covers(lo, hi):
            return spans
        return self._grow(lo, hi)

    def _grow(self, lo: int, hi: int) -> _Spans:
        lo_date = datetime.fromtimestamp(lo, self.tz).date() - timedelta(days=_MARGIN_DAYS)
        hi_date = datetime.fromtimestamp(hi, self.tz).date() + timedelta(days=_MARGIN_DAYS)
        if lo_date < _MIN_DATE or hi_date > _MAX_DATE:
            raise CalendarError("business time is out of range (years 2 to 9998)")
        with self._grow_lock:
            spans = self._spans  # another thread may have grown it while we waited
            if spans.covers(lo, hi):
                return spans
            if spans.d0 is None:
                start = lo_date
                end = max(hi_date, lo_date + timedelta(days=_CHUNK_DAYS))
                spans = self._compiled(start, end, self._generate(start, end))
                self._spans = spans
                return spans
            d0, d1 = spans.d0, spans.d1
            assert d1 is not None  # both are set once anything is compiled
            while lo_date < d0:
                spans = self._grown_back(spans, min(lo_date, d0 - timedelta(days=_CHUNK_DAYS)))
                self._spans = spans
                assert spans.d0 is not None
                d0 = spans.d0
            while hi_date >= d1:
                new_d1 = max(hi_date + timedelta(days=1), d1 + timedelta(days=_CHUNK_DAYS))
                spans = self._compiled(d0, new_d1, self._generate(d1, new_d1), spans)
                self._spans = spans
                d1 = new_d1
            return spans

    def _grown_back(self, spans: _Spans, new_d0: date) -> _Spans:
        """``spans`` rebuilt from ``new_d0``, with the running sums shifted so that an
        instant inside the old range keeps its position (clocks cache positions)."""
        anchor = spans.cover_lo
        before = spans.position(anchor)
        assert spans.d0 is not None and spans.d1 is not None  # only a compiled snapshot grows back
        merged = _merge(self._generate(new_d0, spans.d0) + list(zip(spans.starts, spans.ends)))
        grown = self._compiled(new_d0, spans.d1, merged)
        shift = before - grown.position(anchor)
        if not shift:
            return grown
        return _Spans(
            grown.d0, grown.d1, grown.starts, grown.ends,
            [c + shift for c in grown.cum], [c + shift for c in grown.cumend],
            grown.cover_lo, grown.cover_hi,
        )

    def _compiled(self, d0: date, d1: date, spans: list[tuple[int, int]], after: _Spans | None = None) -> _Spans:
        """A new snapshot for local dates [d0, d1): ``after``'s spans (copied, not
        changed) followed by ``spans``, which start no earlier than its last one."""
        if after is None:
            starts: list[int] = []
            ends: list[int] = []
            cum: list[int] = []
            cumend: list[int] = []
        else:
            starts, ends, cum, cumend = list(after.starts), list(after.ends), list(after.cum), list(after.cumend)
        for s, e in spans:
            if ends and s <= ends[-1]:  # touches or overlaps the last span: extend it
                if e > ends[-1]:
                    cumend[-1] += e - ends[-1]
                    ends[-1] = e
                continue
            total = cumend[-1] if cumend else 0
            starts.append(s)
            ends.append(e)
            cum.append(total)
            cumend.append(total + e - s)
        return _Spans(
            d0, d1, starts, ends, cum, cumend,
            self._midnight(d0 + timedelta(days=_MARGIN_DAYS)), self._midnight(d1),
        )

    # ------------------------------------------------------------- arithmetic

    def position(self, t: int) -> int:
        """Business seconds from the calendar's origin up to UTC second ``t``."""
        spans = self._spans
        last = self._last_pos
        if last[1] == t and last[0] is spans:
            return last[2]
        if not spans.covers(t, t):
            spans = self._grow(t, t)
        pos = spans.position(t)
        self._last_pos = (spans, t, pos)
        return pos

    def add_seconds(self, t: int, seconds: int) -> int:
        """:meth:`add` on UTC seconds, without pauses."""
        if seconds < 0:
            raise ValueError(f"business seconds to add must not be negative, got {seconds}")
        self._refuse_impossible(t, seconds)
        return self.at_position(self.position(t) + seconds)

    def _refuse_impossible(self, t: int, seconds: int) -> None:
        """Refuse at once, without compiling spans, a budget that cannot fit in the
        business time left after ``t``: none at all once the calendar is closed for
        good, else at most a week's opening hours (and some DST slack) per week
        until the end of the range the engine counts."""
        end = _END_INSTANT
        if self._closed_from is not None:
            if t >= self._closed_from:
                raise self._closed_for_good()
            end = min(end, self._closed_from)
        if t < end:
            weeks = (end - t) // WEEK + 2  # the part weeks at either end
            capacity = min(end - t, weeks * self._weekly_seconds)
        else:
            capacity = 0
        if seconds > capacity:
            raise self._closed_for_good() if end != _END_INSTANT else CalendarError(_OUT_OF_RANGE)

    def _closed_for_good(self) -> CalendarError:
        assert self._closed_from is not None
        since = datetime.fromtimestamp(self._closed_from, self.tz).strftime("%Y-%m-%d %H:%M")
        return CalendarError(f"business time is out of range: the calendar is closed from {since} on")

    def _refuse_past_closure(self, spans: _Spans) -> None:
        """Called when the compiled ``spans`` hold no answer: growing further is
        useless once they reach past the closure that never ends."""
        if self._closed_from is not None and spans.cover_hi > self._closed_from:
            raise self._closed_for_good()

    def at_position(self, target: int) -> int:
        """The first business instant whose position reaches ``target`` (a position
        at a closing time gives the next opening)."""
        spans = self._spans
        while True:
            cumend = spans.cumend
            i = bisect_right(cumend, target)
            if i < len(cumend):
                return spans.starts[i] + max(0, target - spans.cum[i])
            self._refuse_past_closure(spans)
            # Grow forward; positions already handed out stay valid.
            spans = self._ensure(spans.cover_lo, spans.cover_hi + DAY)

    def reach(self, target: int) -> int:
        """The first instant whose position is at least ``target`` (a position at a
        closing time gives that closing time: the moment the budget ran out)."""
        spans = self._spans
        while True:
            cumend = spans.cumend
            i = bisect_left(cumend, target)
            if i < len(cumend):
                return spans.starts[i] + max(0, target - spans.cum[i])
            self._refuse_past_closure(spans)
            spans = self._ensure(spans.cover_lo, spans.cover_hi + DAY)

    def business_days_budget(self, t: int, days: int) -> int:
        """Business seconds from ``t`` to :meth:`add_business_days` (cached: the
        board recomputes clocks with the same start many times)."""
        key = (t, days)
        budget = self._bd_cache.get(key)
        if budget is None:
            budget = self.elapsed_seconds(t, self.add_business_days(t, days))
            if len(self._bd_cache) > 100_000:
                self._bd_cache.clear()
            self._bd_cache[key] = budget
        return budget

    def add_seconds_paused(self, t: int, seconds: int, pauses: Sequence[tuple[int, int]]) -> int:
        """:meth:`add` on UTC seconds; ``pauses`` merged and sorted."""
        cur, rest = t, seconds
        for p0, p1 in pauses:
            if p1 <= cur:
                continue
            if p0 > cur:
                span = self.position(p0) - self.position(cur)
                if span > rest:
                    return self.add_seconds(cur, rest)
                rest -= span
            cur = p1
        return self.add_seconds(cur, rest)

    def elapsed_seconds(self, a: int, b: int, pauses: Sequence[tuple[int, int]] = ()) -> int:
        """:meth:`elapsed` on UTC seconds; ``pauses`` merged and sorted."""
        if b < a:
            return -self.elapsed_seconds(b, a, pauses)
        spans = self._ensure(a, b)
        total = spans.position(b) - spans.position(a)
        for p0, p1 in pauses:
            lo, hi = max(p0, a), min(p1, b)
            if lo < hi:
                total -= spans.position(hi) - spans.position(lo)
        return total

    def add(self, start: datetime, seconds: int, pauses: Iterable[Pause] = ()) -> datetime:
        """The earliest business instant at which ``seconds`` of business time from
        ``start`` are used up (not counting ``pauses``). A budget that ends exactly at
        a closing time gives the next opening; ``add(t, 0)`` is the first business
        instant at or after ``t``."""
        t = to_epoch(start, "start")
        seconds = _whole_seconds(seconds)
        p = merge_pauses(pauses)
        due = self.add_seconds_paused(t, seconds, p) if p else self.add_seconds(t, seconds)
        return datetime.fromtimestamp(due, self.tz)

    def elapsed(self, start: datetime, end: datetime, pauses: Iterable[Pause] = ()) -> int:
        """Business seconds from ``start`` to ``end`` outside ``pauses``; negative when
        ``end`` is before ``start``."""
        return self.elapsed_seconds(to_epoch(start, "start"), to_epoch(end, "end"), merge_pauses(pauses))

    def is_open(self, t: datetime) -> bool:
        """Whether the instant ``t`` is business time."""
        ts = to_epoch(t, "t")
        spans = self._ensure(ts, ts)
        i = bisect_right(spans.starts, ts) - 1
        return i >= 0 and ts < spans.ends[i]

    def next_open(self, t: datetime) -> datetime:
        """The first business instant at or after ``t``."""
        return datetime.fromtimestamp(self.add_seconds(to_epoch(t, "t"), 0), self.tz)

    # ---------------------------------------------------------- business days
    #
    # A business day is a local date on which a shift starts. A shift (an opening
    # interval) belongs to the weekday it starts on, for business days as for hours,
    # so the hours an overnight shift runs past midnight do not make the next date a
    # business day: with Mon-Fri 22:00-06:00, Saturday is not one. A date counts when
    # one of its own shifts is open for a moment before the next midnight; a holiday,
    # or a closed range that covers that part of every shift it owns, takes the day
    # away (the shift's hours after midnight are still business time, rule 6, but no
    # business day).

    def _owned_intervals(self, d: date) -> tuple[tuple[int, int], ...]:
        """The opening intervals the local date ``d`` owns, as UTC seconds (before
        holidays and closed ranges are cut out)."""
        known = self._owned.get(d)
        if known is not None:
            return known
        base = datetime(d.year, d.month, d.day)
        out = []
        for start, end in self._by_weekday[d.weekday()]:
            s = self.resolve_local(base + timedelta(seconds=start))
            e = self.resolve_local(base + timedelta(seconds=end))
            if e > s:
                out.append((s, e))
        if len(self._owned) > 100_000:
            self._owned = {}
        self._owned[d] = answer = tuple(out)
        return answer

    def is_business_date(self, d: date) -> bool:
        """Whether a shift starts on the local date ``d``: one of the intervals it
        owns has business time before the next local midnight."""
        known = self._business_dates.get(d)
        if known is not None:
            return known
        midnight = self._midnight(d + timedelta(days=1))
        answer = False
        if not self._overnight[(d.weekday() - 1) % 7]:
            # Nothing runs into ``d`` from the day before: all its business time is
            # its own shifts'.
            lo = self._midnight(d)
            spans = self._ensure(lo, midnight)
            answer = spans.position(midnight) > spans.position(lo)
        else:
            for s, e in self._owned_intervals(d):
                hi = min(e, midnight)
                if hi > s:
                    spans = self._ensure(s, hi)
                    if spans.position(hi) > spans.position(s):
                        answer = True
                        break
        if len(self._business_dates) > 100_000:
            self._business_dates = {}
        self._business_dates[d] = answer
        return answer

    def shift_day(self, t: int) -> tuple[date, timedelta]:
        """The local date that owns the shift holding the business instant ``t``,
        and ``t``'s wall-clock time counted from that date's midnight (past 24 hours
        in the part of an overnight shift after midnight). An instant in no shift
        gets its own date."""
        local = datetime.fromtimestamp(t, self.tz).replace(tzinfo=None)
        today = local.date()
        # An interval is shorter than a day on the wall clock, so only the day
        # before can own an instant of ``today``, and only by an overnight shift.
        if self._overnight[(today.weekday() - 1) % 7]:
            yesterday = today - timedelta(days=1)
            if any(s <= t < e for s, e in self._owned_intervals(yesterday)):
                return yesterday, local - datetime(yesterday.year, yesterday.month, yesterday.day)
        return today, local - datetime(today.year, today.month, today.day)

    def add_business_days(self, t: int, days: int) -> int:
        """``days`` business days after UTC second ``t``.

        From the first business instant at or after ``t``, take the date whose shift
        it is in (:meth:`shift_day`) and the wall-clock time since that date's
        midnight; the answer is that wall-clock time on the ``days``-th following
        business date (:meth:`is_business_date`), or the first business instant at
        or after it should the calendar be closed then. A wall-clock time that does
        not exist or occurs twice resolves as an opening time does (rule 7). Zero
        days is the first business instant at or after ``t``, as ``add(t, 0)`` is.
        """
        if days < 0:
            raise ValueError(f"business days must not be negative, got {days}")
        first = self.add_seconds(t, 0)
        if days == 0:
            return first
        d, since_midnight = self.shift_day(first)
        last = _MAX_DATE
        if self._closed_from is not None:
            last = min(last, datetime.fromtimestamp(self._closed_from, self.tz).date())
        if days > (last - d).days:  # not that many dates left, business or not
            raise self._closed_for_good() if last != _MAX_DATE else CalendarError(
                "business days run past the end of the calendar"
            )
        one = timedelta(days=1)
        count = 0
        while count < days:
            d += one
            if d > last:
                raise self._closed_for_good() if last != _MAX_DATE else CalendarError(
                    "business days run past the end of the calendar"
                )
            if self.is_business_date(d):
                count += 1
        return self.add_seconds(self.resolve_local(datetime(d.year, d.month, d.day) + since_midnight), 0)

    # ------------------------------------------------------------ explanation

    def spans_between(self, a: int, b: int, pauses: Sequence[tuple[int, int]] = ()) -> list[tuple[int, int]]:
        """The business spans (UTC seconds) inside [a, b), with ``pauses`` cut out."""
        if b <= a:
            return []
        spans = self._ensure(a, b)
        starts, ends = spans.starts, spans.ends
        i = max(0, bisect_right(starts, a) - 1)
        out = []
        while i < len(starts) and starts[i] < b:
            s, e = max(starts[i], a), min(ends[i], b)
            if s < e:
                out.append((s, e))
            i += 1
        return _subtract(out, list(pauses))

    def holidays_between(self, a: int, b: int) -> list[tuple[date, str]]:
        """Holidays on local dates from ``a`` to ``b`` whose weekday has opening hours."""
        if b < a:
            return []
        d0 = datetime.fromtimestamp(a, self.tz).date()
        d1 = datetime.fromtimestamp(b, self.tz).date()
        self._ensure_holiday_years(d0.year, d1.year)
        return sorted(
            (d, name)
            for d, name in self.holiday_names.items()
            if d0 <= d <= d1 and self._by_weekday[d.weekday()]
        )

    def closed_between(self, a: int, b: int) -> list[tuple[int, int]]:
        """The extra closed ranges (UTC seconds) that overlap [a, b)."""
        i = bisect_left(self._closed_ts, (a,))
        start = max(0, i - 1)
        return [(lo, hi) for lo, hi in self._closed_ts[start:] if lo < b and hi > a]

    def describe(self) -> str:
        """One line: name, zone and opening hours."""
        if self.always_open:
            hours = "24x7"
        else:
            hours = "; ".join(_grouped_hours(self._by_weekday))
        return f"{hours}, {self.tz.key}"

    def __repr__(self) -> str:
        return f"<BusinessCalendar {self.name} {self.describe()}>"


def _grouped_hours(by_weekday: list[list[tuple[int, int]]]) -> list[str]:
    """Weekly hours with runs of days that share them: ``mon-fri 08:30-17:30``."""

    def hm(s: int) -> str:
        if s == DAY:
            return "24:00"
        s %= DAY
        return f"{s // 3600:02d}:{s % 3600 // 60:02d}"

    out = []
    day = 0
    while day < 7:
        hours = by_weekday[day]
        end = day
        while end + 1 < 7 and by_weekday[end + 1] == hours:
            end += 1
        if hours:
            days = WEEKDAYS[day] if end == day else f"{WEEKDAYS[day]}-{WEEKDAYS[end]}"
            out.append(f"{days} " + ", ".join(f"{hm(a)}-{hm(b)}" for a, b in hours))
        day = end + 1
    return out


def _whole_seconds(seconds: object) -> int:
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        if isinstance(seconds, float) and seconds.is_integer():
            return int(seconds)
        if isinstance(seconds, timedelta):
            return math.floor(seconds.total_seconds())
        raise TypeError(f"seconds must be a whole number of seconds, not {seconds!r}")
    if seconds < 0:
        raise ValueError(f"business seconds to add must not be negative, got {seconds}")
    return seconds


def merge_pauses(pauses: Iterable[Pause] | Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Pauses as sorted, merged UTC-second ranges; empty ranges dropped."""
    out = []
    for pair in pauses:
        lo, hi = pair[0], pair[1]
        a = lo if isinstance(lo, int) else to_epoch(lo, "pause start")
        b = hi if isinstance(hi, int) else to_epoch(hi, "pause end")
        if b > a:
            out.append((a, b))
    out.sort()
    return _merge(out)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Union of sorted spans; touching spans join (no seam at midnight in 24x7)."""
    out: list[tuple[int, int]] = []
    for s, e in spans:
        if out and s <= out[-1][1]:
            if e > out[-1][1]:
                out[-1] = (out[-1][0], e)
        else:
            out.append((s, e))
    return out


def _subtract(spans: list[tuple[int, int]], cuts: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sorted disjoint ``spans`` minus sorted merged ``cuts``."""
    if not cuts:
        return spans
    out = []
    j = 0
    for s, e in spans:
        while j < len(cuts) and cuts[j][1] <= s:
            j += 1
        k = j
        cur = s
        while k < len(cuts) and cuts[k][0] < e:
            c0, c1 = cuts[k]
            if c0 > cur:
                out.append((cur, c0))
            cur = max(cur, c1)
            if cur >= e:
                break
            k += 1
        if cur < e:
            out.append((cur, e))
    return out


def epoch_to_datetime(ts: int, tz: ZoneInfo = UTC) -> datetime:  # type: ignore[assignment]
    """An aware datetime for UTC seconds ``ts`` in zone ``tz``."""
    return datetime.fromtimestamp(ts, tz)
