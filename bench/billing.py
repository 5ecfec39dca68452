"""Benchmark: a month's bills for every customer over the 100,000-call database.

Run from the repository root with ``python bench/billing.py``. On private copies of
the shared benchmark database (bench/data/, built once by bench/common.py and only
read here) it logs time on the calls resolved in a month (one to three entries of
10 to 120 minutes on 85% of them, for every customer, all in one write
transaction): once for MONTH alone, once for every month of its year up to it (so
a block of hours that rolls over has a history). Each is built once and kept. It
prints the median time of ``bill(store, MONTH, now=...)`` for all customers, and
for the one customer with a monthly block and rollover, beside a baseline run in
the same process: the bare SQL that reads the same month's entries (the rows of
the billing_entries query, with their call's service and title, and the sum of
their minutes). Then it closes the month (on a scratch copy) and times the bill of
the closed month, which reads the stored figures.
A report, not a test: a missed target prints MISSED and it exits 0.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import sqlite3
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
for _path in (ROOT / "bench", ROOT / "src", ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from common import DATA, NOW, SEED, database, emit, scratch_copy

from slaboard.services.billing import Billing, bill, close
from slaboard.services.timekeeping import period_of
from slaboard.store import Store

MONTH = "2026-10"  # a whole month before NOW (2026-11-26): over in the MSP's zone, so it can be closed
TARGET = 1.0  # seconds for a month's bills, all customers
BLOCK = "studio-vaart"  # the customer whose contract is block hours by the month, with rollover
OPERATORS = ["anna", "bram", "chris", "dewi", "eva"]
NOTES = ["", "", "remote session", "called the user back", "replaced the toner", "reset MFA", "checked the logs"]
BASELINE_SQL = (
    "SELECT e.id, e.ticket_id, e.customer, e.operator, e.started_at, e.ended_at, e.minutes, e.note, e.billable, "
    "e.billable_reason, e.period, t.service, t.title FROM time_entries e JOIN tickets t ON t.id = e.ticket_id "
    "WHERE e.period IN (?) AND e.ended_at IS NOT NULL ORDER BY e.started_at, e.id"
)


def months_up_to(last: str) -> list[str]:
    """Every month of ``last``'s year up to ``last``."""
    return [f"{last[:4]}-{m:02d}" for m in range(1, int(last[5:7]) + 1)]


def with_entries(tickets: int, months: list[str]) -> Path:
    """The shared benchmark database with time entries in ``months``: a private file,
    built once (a copy through SQLite's backup API, so the shared file is only read).
    Each month's entries come from a generator seeded by the month, so MONTH's are
    the same whichever months are logged beside it."""
    shared = database(tickets, tickets // 20)
    span_name = months[0] if len(months) == 1 else f"{months[0]}..{months[-1]}"
    path = DATA / f"billing-{tickets}-{span_name}-v2.db"
    if path.exists():
        return path
    started = time.perf_counter()
    partial = path.with_name(f"{path.name}.part")
    for suffix in ("", "-wal", "-shm"):
        Path(f"{partial}{suffix}").unlink(missing_ok=True)
    source, target = sqlite3.connect(shared), sqlite3.connect(partial)
    source.backup(target)
    source.close()
    target.close()
    store = Store.open(partial)
    entries = 0
    with store.write():  # one transaction for all of them
        for period in months:
            entries += _log_month(store, period)
    store.close()
    for suffix in ("-wal", "-shm"):
        Path(f"{partial}{suffix}").unlink(missing_ok=True)
    partial.rename(path)
    print(f"built {path.name}: {entries:,} time entries in {span_name} in {time.perf_counter() - started:.1f} s",
          file=sys.stderr)
    return path


def _log_month(store: Store, period: str) -> int:
    """One to three entries of 10 to 120 minutes on 85% of the calls reported and
    resolved in ``period`` (in the customer's zone), each starting between the two."""
    rng = random.Random(f"{SEED}-{period}")
    year, month = int(period[:4]), int(period[5:7])
    # UTC bounds a day wider than the month; each call is kept by its own zone's month
    lo = datetime(year, month, 1, tzinfo=ZoneInfo("UTC")) - timedelta(days=1)
    hi = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=ZoneInfo("UTC")) + timedelta(days=1)
    rows = store.conn.execute(
        "SELECT id, customer, tz, reported_at, resolved_at FROM tickets WHERE resolved_at >= ? AND resolved_at < ? "
        "ORDER BY id", [lo.isoformat(), hi.isoformat()]).fetchall()
    entries = 0
    for ticket_id, customer, tz, reported_text, resolved_text in rows:
        reported, resolved = datetime.fromisoformat(reported_text), datetime.fromisoformat(resolved_text)
        if period_of(reported, tz) != period or period_of(resolved, tz) != period or rng.random() < 0.15:
            continue  # another month's call, or one nobody logged time on
        span = max(60, int((resolved - reported).total_seconds()))
        for _ in range(rng.randint(1, 3)):
            minutes = rng.randint(10, 120)
            start = reported + timedelta(seconds=rng.randrange(0, span))
            decided = rng.random() < 0.03  # an operator's decision now and then
            billable = rng.random() < 0.5 if decided else None
            store.add_time_entry({
                "ticket_id": ticket_id, "customer": customer, "operator": rng.choice(OPERATORS),
                "started_at": start, "ended_at": start + timedelta(minutes=minutes), "minutes": minutes,
                "note": rng.choice(NOTES), "billable": billable,
                "billable_reason": ("agreed with the customer" if decided else ""),
                "period": period_of(start, tz), "now": start + timedelta(minutes=minutes)})
            entries += 1
    return entries


def timed(fn, runs: int) -> float:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", action="store_true",
                        help="also print cProfile's top functions of one bill (with the earlier months logged)")
    args = parser.parse_args()
    wall = time.perf_counter()
    history = months_up_to(MONTH)
    one, full = with_entries(args.tickets, [MONTH]), with_entries(args.tickets, history)
    rows: list[tuple[str, float, float, float | None]] = []  # label, value, baseline, target
    notes: list[str] = []

    def measure(store: Store, label: str) -> Billing:
        entries, minutes = store.conn.execute(
            "SELECT COUNT(*), COALESCE(SUM(minutes), 0) FROM time_entries WHERE period = ? AND ended_at IS NOT NULL",
            [MONTH]).fetchone()

        def baseline(customer: str | None = None) -> int:
            sql = BASELINE_SQL.replace("ORDER BY", "AND e.customer = ? ORDER BY") if customer else BASELINE_SQL
            found = store.conn.execute(sql, [MONTH, customer] if customer else [MONTH]).fetchall()
            return sum(int(r[6]) for r in found)

        assert baseline() == minutes
        made = bill(store, MONTH, now=NOW)  # warms what a running app has warm (zones, Babel)
        base = timed(baseline, args.runs)
        rows.append((f"bill {MONTH}, all customers, {label}", timed(lambda: bill(store, MONTH, now=NOW), args.runs),
                     base, TARGET))
        rows.append((f"bill {MONTH}, {BLOCK} alone, {label}",
                     timed(lambda: bill(store, MONTH, customer=BLOCK, now=NOW), args.runs),
                     timed(lambda: baseline(BLOCK), args.runs), None))
        logged = store.conn.execute("SELECT COUNT(*) FROM time_entries").fetchone()[0]
        lines = sum(len(b.lines) for b in made.bills)
        block = next(b for b in made.bills if b.customer == BLOCK)
        notes.append(f"{label}: {logged:,} entries in all; {MONTH}: {entries:,} entries ({minutes / 60:,.0f} h), "
                     f"{len(made.bills)} customers billed, {lines:,} lines, total {made.money(made.total)} "
                     f"({BLOCK}: {made.money(block.total)})")
        return made

    with Store.open(one) as store:
        measure(store, f"{MONTH} logged")
    path = scratch_copy(full)  # closing the month writes to it
    profile = ""
    with Store.open(path) as store:
        first = measure(store, f"{history[0]}..{MONTH} logged")
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            bill(store, MONTH, now=NOW)
            profiler.disable()
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(15)
            profile = out.getvalue()
        base = rows[-2][2]
        t0 = time.perf_counter()
        closed_billing = close(store, MONTH, "bench", NOW)
        rows.append((f"close {MONTH} (once: a bill and its write)", time.perf_counter() - t0, base, None))
        rows.append((f"bill {MONTH}, all customers, closed month", timed(lambda: bill(store, MONTH, now=NOW), args.runs),
                     base, TARGET))
        figures_bytes = store.conn.execute("SELECT LENGTH(figures) FROM billing_periods WHERE period = ?",
                                           [MONTH]).fetchone()[0]
        again = bill(store, MONTH, now=NOW)
    same = again.total == first.total == closed_billing.total and len(again.bills) == len(first.bills)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)

    print(f"slaboard billing benchmark: {args.tickets:,} tickets; time logged on the calls of {MONTH} "
          f"(and, in the second database, of every month of {MONTH[:4]} before it); median of {args.runs}; "
          f"on {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    for note in notes:
        print(f"  {note}")
    print(f"{'figure':<56} {'value':>9} {'baseline (SQL rows)':>21} {'ratio':>8}  target  met?")
    for label, value, base, target in rows:
        met = "-" if target is None else ("yes" if value < target else "MISSED")
        goal = "-" if target is None else f"<{target:.0f}s"
        print(f"{label:<56} {value * 1000:>7.0f}ms {base * 1000:>19.1f}ms {value / base:>7.1f}x  {goal:<6}  {met}")
    print(f"closed month's stored figures: {figures_bytes / 1024:,.0f} KiB of JSON; the closed bill gives the same "
          f"total and customers as the open one: {'yes' if same else 'NO'}")
    print(f"in {time.perf_counter() - wall:.0f} s")
    if profile:
        print(profile)
    emit("billing", [(label, f"{value * 1000:.0f} ms", f"{base * 1000:.1f} ms (SQL rows)", f"{value / base:.1f}x",
                      "-" if target is None else f"< {target:.0f} s", "-" if target is None else value < target)
                     for label, value, base, target in rows])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
