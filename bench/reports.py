"""Benchmark: SLA reports on a year of 100,000 calls.

Run from the repository root with ``python bench/reports.py``. Prints the median
time of an all-customers report by level over the year and of one customer's
quarter, beside a baseline run in the same process: the bare SQL aggregate of met
and missed targets over the same rows (what a spreadsheet export would start from).
A report, not a test: exit 0.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import datetime, timedelta

from common import NOW, database, emit

from slaboard.reports.figures import build_report, parse_period
from slaboard.store import Store

TARGETS = {"year": 2.0, "quarter": 0.5}


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
    args = parser.parse_args()
    path = database(args.tickets, args.tickets // 20)
    store = Store.open(path)
    year = parse_period(None, (NOW - timedelta(days=364)).date().isoformat(), NOW.date().isoformat(), today=NOW.date())
    quarter = parse_period(None, (NOW - timedelta(days=91)).date().isoformat(), NOW.date().isoformat(), today=NOW.date())
    customer = "DPO"
    year_report = build_report(store, year, NOW, grouping="level")
    rows = year_report.total

    def baseline(start: datetime, end: datetime, who: str | None = None) -> None:
        sql = ("SELECT o.clock, o.met, COUNT(*) FROM clock_outcomes o JOIN tickets t ON t.id = o.ticket_id "
               "WHERE o.stopped_at >= ? AND o.stopped_at < ?" + (" AND t.customer = ?" if who else "") + " GROUP BY 1, 2")
        params = [start.isoformat(), end.isoformat()] + ([who] if who else [])
        store.conn.execute(sql, params).fetchall()

    y0, y1 = year.instants("Europe/Amsterdam")
    q0, q1 = quarter.instants("Europe/Amsterdam")
    key = store.find_customers(customer)[0].key
    figures = [
        ("year, all customers, by level", timed(lambda: build_report(store, year, NOW, grouping="level"), args.runs),
         timed(lambda: baseline(y0, y1), args.runs), TARGETS["year"]),
        (f"quarter, one customer ({customer}), by month",
         timed(lambda: build_report(store, quarter, NOW, grouping="month", customer=customer), args.runs),
         timed(lambda: baseline(q0, q1, key), args.runs), TARGETS["quarter"]),
    ]
    print(f"slaboard reports benchmark: {args.tickets:,} tickets, {rows.opened:,} opened and "
          f"{rows.resolution_met + rows.resolution_missed:,} resolution targets in the year; median of {args.runs}")
    print(f"{'figure':<42} {'value':>9} {'baseline (SQL count)':>22} {'ratio':>8}  target   met?")
    for label, value, base, target in figures:
        print(f"{label:<42} {value * 1000:>7.0f}ms {base * 1000:>20.1f}ms {value / base:>7.1f}x  <{target:.1f}s  "
              + ("yes" if value < target else "MISSED"))
    emit("reports", [(f"{label}, {args.tickets:,} tickets", f"{value * 1000:.0f} ms", f"{base * 1000:.1f} ms (SQL count)",
                      f"{value / base:.1f}x", f"< {target:.1f} s", value < target) for label, value, base, target in figures])
    store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
