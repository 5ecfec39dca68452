"""Benchmark: SLA reports on a year of 100,000 calls.

Run from the repository root with ``python bench/reports.py``. Prints the median
time of an all-customers report by level over the year and of one customer's
quarter, beside a baseline run in the same process: the bare SQL aggregate of met
and missed targets over the same rows (what a spreadsheet export would start from).
With ``--busy N`` it measures beside N processes that keep a CPU busy, as on a
shared machine (the baseline runs beside them too). The first report after a change
reads every month's rows; later ones read the sums kept for whole months, so the
figures are given both ways ("cold": none kept; "warm": all kept but the current
month, which an operator changed a moment ago).
A report, not a test: exit 0.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import time
from datetime import datetime, timedelta

from common import NOW, database, emit, scratch_copy

from slaboard.reports.figures import build_report, parse_period
from slaboard.store import Store

TARGETS = {"year": 2.0, "quarter": 0.5}


def timed(fn, runs: int, before=None) -> float:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(runs):
        if before is not None:
            before()
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def spin() -> None:
    while True:
        pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--busy", type=int, default=0, metavar="N", help="processes keeping a CPU busy meanwhile")
    args = parser.parse_args()
    path = scratch_copy(database(args.tickets, args.tickets // 20))  # a report keeps month sums in it
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

    def forget_all() -> None:
        store.conn.execute("DELETE FROM report_months")

    def forget_current() -> None:  # what the triggers do when a call of this month changes
        store.conn.execute("DELETE FROM report_months WHERE month = ?", [NOW.strftime("%Y-%m")])

    y0, y1 = year.instants("Europe/Amsterdam")
    q0, q1 = quarter.instants("Europe/Amsterdam")
    key = store.find_customers(customer)[0].key
    spinners = [multiprocessing.Process(target=spin, daemon=True) for _ in range(args.busy)]
    for p in spinners:
        p.start()
    try:
        year_base = timed(lambda: baseline(y0, y1), args.runs)
        quarter_base = timed(lambda: baseline(q0, q1, key), args.runs)
        figures = []
        for how, before in (("cold", forget_all), ("warm", forget_current)):
            figures += [
                (f"year, all customers, by level, {how}",
                 timed(lambda: build_report(store, year, NOW, grouping="level"), args.runs, before), year_base, TARGETS["year"]),
                (f"quarter, one customer ({customer}), by month, {how}",
                 timed(lambda: build_report(store, quarter, NOW, grouping="month", customer=customer), args.runs, before),
                 quarter_base, TARGETS["quarter"]),
            ]
    finally:
        for p in spinners:
            p.terminate()
    load = f"beside {args.busy} busy processes on {os.cpu_count()} CPUs" if args.busy else f"on {os.cpu_count()} CPUs, idle"
    print(f"slaboard reports benchmark: {args.tickets:,} tickets, {rows.opened:,} opened and "
          f"{rows.resolution_met + rows.resolution_missed:,} resolution targets in the year; median of {args.runs}; {load}")
    print(f"{'figure':<48} {'value':>9} {'baseline (SQL count)':>22} {'ratio':>8}  target   met?")
    for label, value, base, target in figures:
        print(f"{label:<48} {value * 1000:>7.0f}ms {base * 1000:>20.1f}ms {value / base:>7.1f}x  <{target:.1f}s  "
              + ("yes" if value < target else "MISSED"))
    suffix = f", {args.busy} busy" if args.busy else ""
    emit("reports", [(f"{label}, {args.tickets:,} tickets{suffix}", f"{value * 1000:.0f} ms", f"{base * 1000:.1f} ms (SQL count)",
                      f"{value / base:.1f}x", f"< {target:.1f} s", value < target) for label, value, base, target in figures])
    store.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
