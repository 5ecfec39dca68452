"""Benchmark of the SLA engine (``slaboard.sla``) against the brute-force reference.

Run from the repository root with ``python bench/sla.py``. It prints one table and
always exits 0 (it is a report); a missed target is printed as ``MISSED``.

Not a test module: the file name does not match ``test_*.py``, nothing here is
called ``test*``, and pytest's ``testpaths`` is ``["tests"]``.
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from common import emit  # noqa: E402

for _path in (ROOT / "src", ROOT):  # the engine, and ``tests.sla.reference``
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from slaboard.sla import (  # noqa: E402
    BusinessCalendar,
    CalendarError,
    StatusChange,
    Target,
    TargetChange,
    Timeline,
    compute_clocks,
    parse_duration,
)

try:
    from tests.sla import reference as _reference  # noqa: E402
    from tests.sla.reference import ref_add, ref_add_business_days, ref_elapsed, ref_is_open  # noqa: E402
except ImportError as exc:  # pragma: no cover - the reference is part of the repo
    raise SystemExit(f"cannot import tests.sla.reference ({exc}); run from the repo root") from exc

SEED = 20260329
TZ_NAME = "Europe/Amsterdam"
TZ = ZoneInfo(TZ_NAME)
MINUTE = 60

# Split shifts on weekdays, a Saturday morning, NL public holidays, two listed
# holidays and two partial closures (naive local wall-clock times).
WEEKDAY_SHIFTS = [["08:00", "12:00"], ["13:00", "17:30"]]
SPEC = {
    "tz": TZ_NAME,
    "hours": {
        "mon": WEEKDAY_SHIFTS,
        "tue": WEEKDAY_SHIFTS,
        "wed": WEEKDAY_SHIFTS,
        "thu": WEEKDAY_SHIFTS,
        "fri": WEEKDAY_SHIFTS,
        "sat": [["09:00", "12:00"]],
    },
    "holiday_country": "NL",
    "holidays": ["2026-05-15", "2026-12-28"],  # bridge day after Ascension; year-end
    "closed": [
        ["2026-06-19T15:00", "2026-06-19T17:30"],  # company outing
        ["2026-12-24T12:00", "2026-12-24T17:30"],  # Christmas Eve afternoon
    ],
}
BUSINESS_DAY = 8 * 3600 + 30 * 60  # a weekday: 4h + 4h30m

YEAR_START = datetime(2026, 1, 1, tzinfo=TZ)
YEAR_END = datetime(2027, 1, 1, tzinfo=TZ)
# The weeks around the 2026 DST changes in Europe (29 March, 25 October).
DST_WEEKS = [
    (datetime(2026, 3, 25, tzinfo=TZ), datetime(2026, 4, 2, tzinfo=TZ)),
    (datetime(2026, 10, 21, tzinfo=TZ), datetime(2026, 10, 29, tzinfo=TZ)),
]

ENGINE_CALLS = 5000
REFERENCE_CALLS = 40
CLOCK_TICKETS = 5000
CLOCK_RUNS = 5
TICK_RUNS = 9
NOW = datetime(2026, 10, 27, 10, 17, 0, tzinfo=TZ)  # a Tuesday, two days after DST ends

TARGET_ADD_US = 20.0
TARGET_ELAPSED_US = 20.0
TARGET_CLOCKS_MS = 50.0
TARGET_REFUSAL_MS = 10.0
TARGET_BUSINESS_DAYS_US = 50.0
MAX_BUSINESS_DAYS = 5
# Night shifts Mon-Fri 22:00-06:00 (a business day is a date on which a shift starts).
NIGHT_SPEC = {
    "tz": TZ_NAME,
    "hours": {day: [["22:00", "06:00"]] for day in ("mon", "tue", "wed", "thu", "fri")},
    "holiday_country": "NL",
}
REFUSAL_RUNS = 5
# A calendar closed from 2026 to the end of the years the engine counts.
CLOSED_FOR_GOOD = {**SPEC, "closed": [["2026-01-01", "9999-12-31"]]}


# ------------------------------------------------------------------ samples


def random_start(rng: random.Random) -> datetime:
    """A minute-aligned instant in 2026, one in four inside a DST week."""
    if rng.random() < 0.25:
        lo, hi = rng.choice(DST_WEEKS)
    else:
        lo, hi = YEAR_START, YEAR_END
    a, b = int(lo.timestamp()) // MINUTE, int(hi.timestamp()) // MINUTE
    return datetime.fromtimestamp(rng.randrange(a, b) * MINUTE, TZ)


def add_samples(rng: random.Random, n: int, max_seconds: int) -> list[tuple[datetime, int]]:
    """(start, business seconds) pairs, durations from 15 minutes to ``max_seconds``."""
    return [
        (random_start(rng), rng.randrange(15, max_seconds // MINUTE + 1) * MINUTE) for _ in range(n)
    ]


def elapsed_samples(rng: random.Random, n: int, max_wall: int) -> list[tuple[datetime, datetime]]:
    """(a, b) pairs with b 15 minutes to ``max_wall`` seconds of wall time after a."""
    out = []
    for _ in range(n):
        a = random_start(rng)
        out.append((a, a + timedelta(minutes=rng.randrange(15, max_wall // MINUTE + 1))))
    return out


# ------------------------------------------------------------------ timing


def per_call_us(fn, args_list, before=None) -> tuple[float, list]:
    """Median microseconds of ``fn(*args)``, each call timed on its own (``before()``,
    if given, runs untimed ahead of each call); and the results."""
    pc = time.perf_counter
    times, results = [], []
    for args in args_list:
        if before is not None:
            before()
        t0 = pc()
        r = fn(*args)
        t1 = pc()
        times.append(t1 - t0)
        results.append(r)
    return statistics.median(times) * 1e6, results


def median_run_ms(fn, runs: int) -> tuple[float, object]:
    pc = time.perf_counter
    times, result = [], None
    for _ in range(runs):
        t0 = pc()
        result = fn()
        times.append(pc() - t0)
    return statistics.median(times) * 1e3, result


def timer_overhead_us() -> float:
    pc = time.perf_counter
    samples = []
    for _ in range(2000):
        t0 = pc()
        t1 = pc()
        samples.append(t1 - t0)
    return statistics.median(samples) * 1e6


# ------------------------------------------------------------------ tickets

PRIORITIES = {
    # priority: (share, {clock: target})
    "P1": (0.10, {"response": "15m", "plan": "1h", "resolution": "4h"}),
    "P2": (0.25, {"response": "30m", "plan": "4h", "resolution": "8h"}),
    "P3": (0.45, {"response": "2h", "resolution": "2bd"}),
    "P4": (0.20, {"response": "4h", "resolution": "5bd"}),
}


def targets_of(priority: str) -> list[Target]:
    return [Target(clock, parse_duration(text)) for clock, text in PRIORITIES[priority][1].items()]


def make_ticket(rng: random.Random, now: datetime) -> tuple[Timeline, list[Target | TargetChange]]:
    """One open ticket reported before ``now``: 60% in the last two days, the rest
    in the three weeks before."""
    now_ts = int(now.timestamp())
    age_days = 2 if rng.random() < 0.6 else 21
    reported_ts = rng.randrange(now_ts - age_days * 86400, now_ts - MINUTE) // MINUTE * MINUTE
    reported = datetime.fromtimestamp(reported_ts, TZ)
    names = list(PRIORITIES)
    priority = rng.choices(names, weights=[PRIORITIES[p][0] for p in names])[0]
    targets: list[Target | TargetChange] = list(targets_of(priority))

    def later(t: int, lo_min: int, hi_min: int) -> int:
        return t + rng.randrange(lo_min, hi_min + 1) * MINUTE

    statuses = [StatusChange(reported, "new")]
    responded_at = None
    planned_at = None
    t = reported_ts
    if rng.random() < 0.75:  # responded, by a message or by starting work
        t = later(t, 5, 180)
        if t < now_ts:
            if rng.random() < 0.4:
                responded_at = datetime.fromtimestamp(t, TZ)
                t = later(t, 1, 60)
            if t < now_ts:
                statuses.append(StatusChange(datetime.fromtimestamp(t, TZ), "in_progress"))
    if len(statuses) > 1 and priority in ("P1", "P2") and rng.random() < 0.3:
        planned_at = datetime.fromtimestamp(later(t, 10, 240), TZ)
    # Pauses: waiting on the customer (always pauses) or a third party (sometimes).
    for _ in range(rng.choice((0, 0, 1, 1, 2))):
        if len(statuses) == 1:
            break
        status = "waiting_customer" if rng.random() < 0.75 else "waiting_third_party"
        t = later(t, 30, 3 * 1440)
        if t >= now_ts:
            break
        statuses.append(StatusChange(datetime.fromtimestamp(t, TZ), status, "asked for logs"))
        if rng.random() < 0.5:
            break  # still waiting at ``now``
        t = later(t, 30, 2 * 1440)
        if t >= now_ts:
            break
        statuses.append(StatusChange(datetime.fromtimestamp(t, TZ), "in_progress"))
    if statuses[-1].status == "in_progress" and rng.random() < 0.05:  # resolved, then reopened
        t = later(t, 30, 600)
        t2 = later(t, 60, 2 * 1440)
        if t2 < now_ts:
            statuses.append(StatusChange(datetime.fromtimestamp(t, TZ), "resolved"))
            statuses.append(StatusChange(datetime.fromtimestamp(t2, TZ), "in_progress"))
    if priority in ("P3", "P4") and rng.random() < 0.1:  # escalated to P2 later on
        at = datetime.fromtimestamp(min(later(reported_ts, 30, 1440), now_ts), TZ)
        targets.extend(TargetChange(at, tg, "escalated to P2") for tg in targets_of("P2"))
    timeline = Timeline(
        reported_at=reported,
        statuses=tuple(statuses),
        responded_at=responded_at,
        planned_at=planned_at,
        pause_on_third_party=rng.random() < 0.5,
    )
    return timeline, targets


def as_epoch_timeline(tl: Timeline) -> Timeline:
    """The same history with instants as UTC seconds, the way the store supplies it."""

    def ts(t):
        return None if t is None else int(t.timestamp())

    return Timeline(
        reported_at=ts(tl.reported_at),
        statuses=tuple(StatusChange(ts(s.at), s.status, s.reason) for s in tl.statuses),
        responded_at=ts(tl.responded_at),
        planned_at=ts(tl.planned_at),
        pause_on_third_party=tl.pause_on_third_party,
    )


def _has_bd(item: Target | TargetChange) -> bool:
    target = item.target if isinstance(item, TargetChange) else item
    return bool(target.duration.business_days)


# ------------------------------------------------------------------ report


def refusal_ms(spec: dict, ask) -> float:
    """Median milliseconds until ``ask(calendar)`` is refused, each run on a freshly
    built calendar (so no run profits from spans an earlier one compiled)."""
    samples = []
    for _ in range(REFUSAL_RUNS):
        cal = BusinessCalendar.from_spec(spec)
        t0 = time.perf_counter()
        try:
            ask(cal)
        except CalendarError:
            samples.append((time.perf_counter() - t0) * 1e3)
        else:
            raise SystemExit("an impossible request was answered instead of refused")
    return statistics.median(samples)


def fmt_us(v: float | None) -> str:
    return "-" if v is None else f"{v:,.1f} us"


def fmt_ms(v: float | None) -> str:
    return "-" if v is None else f"{v:,.2f} ms"


def print_table(rows: list[tuple[str, ...]]) -> None:
    header = ("figure", "value", "baseline", "ratio", "target", "met?")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    right = {1, 2, 3}

    def line(cells):
        return " | ".join(
            c.rjust(w) if i in right else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))
        )

    print(line(header))
    print("-+-".join("-" * w for w in widths))
    for r in rows:
        print(line(r))


def run_benchmark() -> int:
    wall_start = time.perf_counter()
    rng = random.Random(SEED)

    # Build and warm the calendar: compile every span from before 2026 to past the
    # latest due instant, so the timed calls below never grow it.
    t0 = time.perf_counter()
    cal = BusinessCalendar.from_spec(SPEC)
    build_ms = (time.perf_counter() - t0) * 1e3
    t0 = time.perf_counter()
    cal.elapsed(YEAR_START - timedelta(days=30), YEAR_END + timedelta(days=30))
    cal.add(YEAR_END, 10 * BUSINESS_DAY)
    warm_ms = (time.perf_counter() - t0) * 1e3

    # Samples (fixed seed). Engine: 15 min to 3 business days; reference: short.
    eng_add = add_samples(rng, ENGINE_CALLS, 3 * BUSINESS_DAY)
    eng_ela = elapsed_samples(rng, ENGINE_CALLS, 5 * 86400)
    ref_add_s = add_samples(rng, REFERENCE_CALLS, 4 * 3600)
    ref_ela_s = elapsed_samples(rng, REFERENCE_CALLS, 8 * 3600)

    # Interpreter warm-up (untimed), then the timed passes.
    for s, d in eng_add[:300]:
        cal.add(s, d)
    for a, b in eng_ela[:300]:
        cal.elapsed(a, b)
    overhead = timer_overhead_us()
    add_us, _ = per_call_us(cal.add, eng_add)
    ela_us, _ = per_call_us(cal.elapsed, eng_ela)
    # The engine on the reference's own (short) samples: like-for-like ratio and a
    # cross-check of the answers.
    add_small_us, add_small = per_call_us(cal.add, ref_add_s)
    ela_small_us, ela_small = per_call_us(cal.elapsed, ref_ela_s)

    # Reference: warm its spec parse and holiday years, then time it. Its memo of
    # resolved wall-clock times is emptied before each call, so every call pays for
    # its own days (as a brute-force stepper would) whatever ran before it.
    cache = getattr(getattr(_reference, "resolve", None), "cache_clear", None)
    for y in (2026, 2027):
        ref_is_open(SPEC, None, datetime(y, 1, 1, 12, tzinfo=TZ))
    ref_add(SPEC, None, datetime(2026, 7, 1, 9, tzinfo=TZ), 3600)
    ref_elapsed(SPEC, None, datetime(2026, 7, 1, 9, tzinfo=TZ), datetime(2026, 7, 1, 12, tzinfo=TZ))
    ref_add_us, ref_add_out = per_call_us(lambda s, d: ref_add(SPEC, None, s, d), ref_add_s, cache)
    ref_ela_us, ref_ela_out = per_call_us(lambda a, b: ref_elapsed(SPEC, None, a, b), ref_ela_s, cache)
    add_agree = sum(e == r for e, r in zip(add_small, ref_add_out))
    ela_agree = sum(e == r for e, r in zip(ela_small, ref_ela_out))

    # Clocks of 5,000 open tickets at one ``now``.
    # The store hands the engine instants as UTC seconds; the datetime variant is
    # printed below for comparison.
    trng = random.Random(SEED + 1)
    dt_tickets = [make_ticket(trng, NOW) for _ in range(CLOCK_TICKETS)]
    tickets = [(as_epoch_timeline(tl), tg) for tl, tg in dt_tickets]
    now_ts = int(NOW.timestamp())

    def all_clocks():
        return [compute_clocks(tl, tg, cal, now_ts) for tl, tg in tickets]

    dt_clocks_ms = median_run_ms(lambda: [compute_clocks(tl, tg, cal, NOW) for tl, tg in dt_tickets], CLOCK_RUNS)[0]

    all_clocks()  # warm-up (untimed)
    clocks_ms, per_ticket = median_run_ms(all_clocks, CLOCK_RUNS)
    # Where the time goes: tickets with a business-day target pay for
    # ``add_business_days`` (a day-by-day walk) on every call.
    with_bd = [t for t in tickets if any(_has_bd(x) for x in t[1])]
    without_bd = [t for t in tickets if not any(_has_bd(x) for x in t[1])]
    bd_us = median_run_ms(lambda: [compute_clocks(tl, tg, cal, NOW) for tl, tg in with_bd], 3)[0]
    bd_us = bd_us * 1e3 / max(1, len(with_bd))
    plain_us = median_run_ms(lambda: [compute_clocks(tl, tg, cal, NOW) for tl, tg in without_bd], 3)[0]
    plain_us = plain_us * 1e3 / max(1, len(without_bd))
    clocks = [c for d in per_ticket for c in d.values()]
    states: dict[str, int] = {}
    for c in clocks:
        states[c.state] = states.get(c.state, 0) + 1
    paused = sum(c.paused for c in clocks)

    # One board tick: every clock advanced by one second.
    # Each run is one second after the last, as on the board (advance() is a no-op
    # for a ``now`` the clock is already at).
    seconds = iter(range(1, 1_000_000))

    def tick():
        later = NOW + timedelta(seconds=next(seconds))
        return [c.advance(later) for c in clocks]

    def tick_int():
        later_ts = int(NOW.timestamp()) + next(seconds)
        return [c.advance(later_ts) for c in clocks]

    tick()  # warm-up (untimed)
    tick_ms, _ = median_run_ms(tick, TICK_RUNS)
    tick_int_ms, _ = median_run_ms(tick_int, TICK_RUNS)

    # add_business_days on its own (compute_clocks caches the budget per start):
    # office hours and night shifts, 1 to 5 business days, warmed as the board is.
    brng = random.Random(SEED + 2)
    bd_samples = [
        (int(random_start(brng).timestamp()), brng.randint(1, MAX_BUSINESS_DAYS)) for _ in range(ENGINE_CALLS)
    ]
    night = BusinessCalendar.from_spec(NIGHT_SPEC)
    night.elapsed(YEAR_START - timedelta(days=30), YEAR_END + timedelta(days=30))
    for c in (cal, night):
        for t, d in bd_samples[:300]:
            c.add_business_days(t, d)
    bd_office_us, _ = per_call_us(cal.add_business_days, bd_samples)
    bd_night_us, bd_night = per_call_us(night.add_business_days, bd_samples)
    bd_ref = bd_samples[:REFERENCE_CALLS]
    ref_bd_us, ref_bd_out = per_call_us(
        lambda t, d: ref_add_business_days(NIGHT_SPEC, None, datetime.fromtimestamp(t, TZ), d), bd_ref, cache
    )
    bd_agree = sum(int(r.timestamp()) == e for r, e in zip(ref_bd_out, bd_night))

    # Impossible requests: refused at once, not after compiling millennia of spans.
    huge_ms = refusal_ms(SPEC, lambda c: c.add(NOW, 10**12))
    closed_add_ms = refusal_ms(CLOSED_FOR_GOOD, lambda c: c.add(NOW, 3600))
    closed_bd_ms = refusal_ms(CLOSED_FOR_GOOD, lambda c: c.add_business_days(now_ts, 2))

    def ratio(base, value):
        return f"{base / value:,.0f}x"

    def met(value, target):
        return "yes" if value < target else "MISSED"

    rows = [
        (
            f"add: median per call (n={ENGINE_CALLS:,})",
            fmt_us(add_us),
            f"{fmt_us(ref_add_us)} (ref, n={REFERENCE_CALLS})",
            ratio(ref_add_us, add_us),
            f"< {TARGET_ADD_US:.0f} us",
            met(add_us, TARGET_ADD_US),
        ),
        (
            f"elapsed: median per call (n={ENGINE_CALLS:,})",
            fmt_us(ela_us),
            f"{fmt_us(ref_ela_us)} (ref, n={REFERENCE_CALLS})",
            ratio(ref_ela_us, ela_us),
            f"< {TARGET_ELAPSED_US:.0f} us",
            met(ela_us, TARGET_ELAPSED_US),
        ),
        (
            f"compute_clocks: {CLOCK_TICKETS:,} tickets (median of {CLOCK_RUNS})",
            fmt_ms(clocks_ms),
            f"{fmt_ms(dt_clocks_ms)} (datetimes in)",
            "-",
            f"< {TARGET_CLOCKS_MS:.0f} ms",
            met(clocks_ms, TARGET_CLOCKS_MS),
        ),
        (
            f"tick: advance(now+1s), {len(clocks):,} clocks (median of {TICK_RUNS})",
            fmt_ms(tick_ms),
            "-",
            "-",
            "-",
            "n/a",
        ),
        (
            f"add_business_days 1-{MAX_BUSINESS_DAYS} bd, office / night shifts (n={ENGINE_CALLS:,})",
            f"{fmt_us(bd_office_us)} / {fmt_us(bd_night_us)}",
            f"{fmt_us(ref_bd_us)} (ref nights, n={REFERENCE_CALLS})",
            ratio(ref_bd_us, bd_night_us),
            f"< {TARGET_BUSINESS_DAYS_US:.0f} us",
            met(max(bd_office_us, bd_night_us), TARGET_BUSINESS_DAYS_US),
        ),
        (
            f"refuse add(10**12 s) (median of {REFUSAL_RUNS})",
            fmt_us(huge_ms * 1e3),
            "-",
            "-",
            f"< {TARGET_REFUSAL_MS:.0f} ms",
            met(huge_ms, TARGET_REFUSAL_MS),
        ),
        (
            f"refuse add / add_business_days, closed until 9999 (median of {REFUSAL_RUNS})",
            f"{fmt_us(closed_add_ms * 1e3)} / {fmt_us(closed_bd_ms * 1e3)}",
            "-",
            "-",
            f"< {TARGET_REFUSAL_MS:.0f} ms",
            met(max(closed_add_ms, closed_bd_ms), TARGET_REFUSAL_MS),
        ),
    ]

    print(f"slaboard SLA benchmark  (Python {sys.version.split()[0]}, seed {SEED})")
    print(
        f"calendar: {cal.describe()}; NL holidays + 2 listed dates + 2 partial closures"
    )
    print(
        f"built in {build_ms:.1f} ms (the first from_spec imports the holidays package); warmed (spans compiled {YEAR_START.date()} - 30 d to "
        f"{YEAR_END.date()} + 10 business days) in {warm_ms:.1f} ms before timing"
    )
    print(
        "engine samples: random minute-aligned starts in 2026 (1 in 4 in the DST weeks), "
        "add 15 min - 3 business days, elapsed spans 15 min - 5 days of wall time; "
        "each call timed alone"
    )
    print(
        f"reference samples: add 15 min - 4 h, elapsed spans 15 min - 8 h; "
        f"timer overhead ~{overhead:.2f} us per call (included); the reference's "
        f"memo of resolved wall-clock times is {'cleared before each call' if cache else 'kept'}"
    )
    print()
    print_table(rows)
    emit("SLA engine", rows)
    print()
    print(
        f"like-for-like on the reference's {REFERENCE_CALLS} short samples: engine add "
        f"{fmt_us(add_small_us)} (ratio {ratio(ref_add_us, add_small_us)}), elapsed "
        f"{fmt_us(ela_small_us)} (ratio {ratio(ref_ela_us, ela_small_us)})"
    )
    print(
        f"engine vs reference answers: add {add_agree}/{REFERENCE_CALLS} equal, "
        f"elapsed {ela_agree}/{REFERENCE_CALLS} equal"
    )
    print(
        f"engine vs reference answers: add_business_days on night shifts {bd_agree}/{REFERENCE_CALLS} equal"
    )
    print(
        f"clocks: {len(clocks):,} from {CLOCK_TICKETS:,} tickets "
        f"({clocks_ms * 1e3 / CLOCK_TICKETS:.1f} us per ticket); {paused:,} paused; states "
        + ", ".join(f"{k} {v:,}" for k, v in sorted(states.items()))
    )
    print(
        f"compute_clocks per ticket: {bd_us:.1f} us with a business-day target "
        f"({len(with_bd):,} tickets), {plain_us:.1f} us without ({len(without_bd):,})"
    )
    print(
        f"tick with an int now instead of a datetime: {fmt_ms(tick_int_ms)} "
        f"({tick_ms * 1e3 / len(clocks):.2f} us per clock with a datetime)"
    )
    missed = [r[0] for r in rows if r[5] == "MISSED"]
    print()
    if missed:
        for name in missed:
            print(f"MISSED: {name}")
    else:
        print("all targets met")
    print(f"total run time {time.perf_counter() - wall_start:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(run_benchmark())
