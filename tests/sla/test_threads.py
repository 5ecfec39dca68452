"""One compiled calendar shared by threads gives the answers a lone thread gets.

``services.clocks`` shares one :class:`BusinessCalendar` per (calendar, zone) through
an ``lru_cache``: poll and store workers compute clocks while the board's main thread
asks ``position()`` while rendering. Here several readers ask over ranges that make
the calendar grow, backwards and forwards, while another thread grows it far ahead;
every answer must match a fresh calendar used by one thread, and nothing may raise.
"""

from __future__ import annotations

import collections
import random
import sys
import threading
import time
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from slaboard.sla import BusinessCalendar

TZ = ZoneInfo("Europe/Amsterdam")
SHIFTS = [["08:00", "12:00"], ["13:00", "17:30"]]
SPEC = {
    "tz": "Europe/Amsterdam",
    "hours": {"mon": SHIFTS, "tue": SHIFTS, "wed": SHIFTS, "thu": SHIFTS, "fri": SHIFTS, "sat": [["09:00", "12:00"]]},
    "holiday_country": "NL",
    "holidays": ["2026-06-12"],
    "closed": [["2026-12-24T12:00", "2026-12-24T17:30"]],
}
# Every trial starts compiled around here, so that positions (business seconds from
# the calendar's origin) are the same numbers in every calendar.
ANCHOR = datetime(2026, 3, 2, 9, 0, tzinfo=TZ)
READERS = 3
TRIALS = 5
QUERIES_PER_READER = 40
# A tiny switch interval makes the interpreter hand over between threads every few
# bytecodes, so that a race shows up in a few trials instead of a few thousand.
SWITCH_INTERVAL = 1e-6


def _instant(rng: random.Random, first_year: int, last_year: int) -> datetime:
    day = date(first_year, 1, 1) + timedelta(days=rng.randrange((date(last_year, 12, 31) - date(first_year, 1, 1)).days))
    return datetime(day.year, day.month, day.day, rng.randrange(24), rng.randrange(0, 60, 15), tzinfo=TZ)


def _reader_queries(seed: int) -> list[tuple]:
    """Questions spread over 2019-2033: each one may need the calendar to grow."""
    rng = random.Random(seed)
    out: list[tuple] = []
    for _ in range(QUERIES_PER_READER):
        t = _instant(rng, 2019, 2033)
        kind = rng.choice(("add", "elapsed", "position", "holidays", "is_holiday", "is_open"))
        if kind == "add":
            out.append(("add", t, rng.randrange(15 * 60, 3 * 9 * 3600, 60)))
        elif kind == "elapsed":
            out.append(("elapsed", t, t + timedelta(hours=rng.randrange(1, 24 * 40))))
        elif kind == "position":
            out.append(("position", int(t.timestamp())))
        elif kind == "holidays":
            a = int(t.timestamp())
            out.append(("holidays", a, a + rng.randrange(1, 400) * 86_400))
        elif kind == "is_holiday":
            out.append(("is_holiday", t.date()))
        else:
            out.append(("is_open", t))
    return out


def _grower_queries() -> list[tuple]:
    """Month by month up to 2045 and back to 2012: many small growth steps."""
    out: list[tuple] = []
    for months in range(0, 19 * 12, 3):
        year, month = 2027 + months // 12, months % 12 + 1
        out.append(("position", int(datetime(year, month, 1, tzinfo=TZ).timestamp())))
    for months in range(0, 7 * 12, 4):
        year, month = 2018 - months // 12, 12 - months % 12
        out.append(("position", int(datetime(year, month, 1, tzinfo=TZ).timestamp())))
    return out


def _board_instants() -> list[int]:
    """What the board's render loop asks: positions of instants compiled from the start."""
    base = int(ANCHOR.timestamp())
    return [base + n * 3_607 for n in range(60)]


def _ask(cal: BusinessCalendar, query: tuple) -> object:
    kind, *args = query
    if kind == "add":
        return cal.add(*args)
    if kind == "elapsed":
        return cal.elapsed(*args)
    if kind == "position":
        return cal.position(*args)
    if kind == "holidays":
        return cal.holidays_between(*args)
    if kind == "is_holiday":
        return cal.is_holiday(*args)
    return cal.is_open(*args)


def _fresh() -> BusinessCalendar:
    cal = BusinessCalendar.from_spec(SPEC)
    cal.position(int(ANCHOR.timestamp()))
    return cal


@pytest.fixture(scope="module")
def workload() -> tuple[list[list[tuple]], list[tuple], list[list[object]], list[object], dict[int, int]]:
    readers = [_reader_queries(seed) for seed in range(READERS)]
    grower = _grower_queries()
    expected_readers = [[_ask(cal, q) for q in queries] for cal, queries in ((_fresh(), r) for r in readers)]
    cal = _fresh()
    expected_grower = [_ask(cal, q) for q in grower]
    cal = _fresh()
    board = {t: cal.position(t) for t in _board_instants()}
    return readers, grower, expected_readers, expected_grower, board


def test_a_shared_calendar_answers_every_thread_as_a_lone_one_would(workload) -> None:
    readers, grower, expected_readers, expected_grower, board = workload
    failures: list[str] = []  # the first few, to show
    bad = 0
    raised: collections.Counter[str] = collections.Counter()
    old_interval = sys.getswitchinterval()
    sys.setswitchinterval(SWITCH_INTERVAL)
    deadline = time.monotonic() + 20

    def note(failure: str) -> None:
        nonlocal bad
        bad += 1
        if len(failures) < 10:
            failures.append(failure)

    try:
        for trial in range(TRIALS):
            cal = _fresh()
            start = threading.Barrier(READERS + 2)

            def run(
                queries: list[tuple], expected: list[object], who: str,
                cal: BusinessCalendar = cal, start: threading.Barrier = start, trial: int = trial,
            ) -> None:
                start.wait()
                for query, want in zip(queries, expected):
                    try:
                        got = _ask(cal, query)
                    except Exception as exc:  # noqa: BLE001 - any exception is the failure
                        raised[type(exc).__name__] += 1
                        note(f"trial {trial} {who} {query}: {type(exc).__name__}: {exc}")
                        continue
                    if got != want:
                        note(f"trial {trial} {who} {query}: got {got!r}, a lone thread gets {want!r}")

            threads = [
                threading.Thread(target=run, args=(queries, expected, f"reader {n}"))
                for n, (queries, expected) in enumerate(zip(readers, expected_readers))
            ]
            threads.append(threading.Thread(target=run, args=(grower, expected_grower, "grower")))
            for thread in threads:
                thread.start()
            # The main thread renders the board meanwhile: positions of instants that
            # were compiled before any growth, asked again and again.
            start.wait()
            while any(thread.is_alive() for thread in threads) and time.monotonic() < deadline:
                for t, want in board.items():
                    try:
                        got = cal.position(t)
                    except Exception as exc:  # noqa: BLE001 - any exception is the failure
                        raised[type(exc).__name__] += 1
                        note(f"trial {trial} board position({t}): {type(exc).__name__}: {exc}")
                        continue
                    if got != want:
                        note(f"trial {trial} board position({t}): got {got}, a lone thread gets {want}")
                time.sleep(0)  # a frame's pause: let the workers run
            for thread in threads:
                thread.join(timeout=max(0.1, deadline - time.monotonic()))
            assert not any(thread.is_alive() for thread in threads), f"trial {trial}: a thread hangs"
    finally:
        sys.setswitchinterval(old_interval)
    summary = ", ".join(f"{n} {name}" for name, n in raised.most_common()) or "none"
    assert not bad, (
        f"{bad} bad answers in {TRIALS} trials, {sum(raised.values())} of them raised ({summary}); "
        "first ones:\n" + "\n".join(failures)
    )
