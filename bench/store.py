"""Benchmark: logging a call on a database that already holds 100,000 tickets.

Run from the repository root with ``python bench/store.py [--tickets N]``. The
database is built once (seeded) under bench/data/ and reused. It prints the median
time to log a call through the whole service path (``open_call``: customer and
contract look-up, deadlines, one BEGIN IMMEDIATE transaction with its event) and
through the store alone, beside a plain sqlite3 INSERT of a ticket-sized row in its
own transaction on the same file, and the ratio. A report, not a test: exit 0.
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import time

from common import NOW, SEED, database, emit, median_ms, scratch_copy

from slaboard.domain import Event
from slaboard.services.tickets import NewCall, open_call
from slaboard.store import Store

TARGET_MS = 5.0


def run(tickets: int, calls: int) -> None:
    path = scratch_copy(database(tickets, tickets // 20))
    store = Store.open(path)
    rng = random.Random(SEED + 1)
    customers = [c.code for c in store.customers() if c.code not in ("SPK", "BBG")]
    # Warm-up: the first call compiles calendars and imports the holidays data.
    open_call(store, NewCall(customer=customers[0], service="email", title="warm-up"), "bench", NOW)

    service_times = []
    for n in range(calls):
        call = NewCall(customer=rng.choice(customers), service="email", title=f"Outlook asks for password {n}",
                       impact=rng.randint(1, 3), urgency=rng.randint(1, 3))
        t0 = time.perf_counter()
        open_call(store, call, "bench", NOW)
        service_times.append(time.perf_counter() - t0)

    template = store.ticket(store.count_tickets() + 1000 - 1)
    assert template is not None
    store_times = []
    for _ in range(calls):
        t0 = time.perf_counter()
        store.insert_ticket(template, "Europe/Amsterdam", [Event(ticket_id=0, at=NOW, operator="bench", kind="created")])
        store_times.append(time.perf_counter() - t0)
    store.close()

    # Baseline: a plain sqlite3 INSERT of a row as wide as a ticket, committed on
    # its own, on the same file with the same settings.
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("CREATE TABLE IF NOT EXISTS bench_plain (id INTEGER PRIMARY KEY, a TEXT, b TEXT, c TEXT, d TEXT, e TEXT, f TEXT, g TEXT, h INTEGER)")
    plain_times = []
    for n in range(calls):
        row = (f"customer{n}", "email", "Outlook asks for password", "P2", "new", NOW.isoformat(), "{}", 1)
        t0 = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO bench_plain (a, b, c, d, e, f, g, h) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row)
        conn.execute("COMMIT")
        plain_times.append(time.perf_counter() - t0)
    conn.execute("DROP TABLE bench_plain")
    conn.close()

    plain = median_ms(plain_times)
    rows = [
        ("log a call (open_call, whole service path)", median_ms(service_times)),
        ("store.insert_ticket alone", median_ms(store_times)),
    ]
    print(f"slaboard store benchmark: {tickets:,} tickets in {path.name}, {calls} calls each, medians")
    print(f"{'figure':<45} {'value':>9} {'baseline (sqlite3 INSERT)':>27} {'ratio':>7}  target  met?")
    for label, value in rows:
        ok = "yes" if value < TARGET_MS else "MISSED"
        print(f"{label:<45} {value:>7.2f}ms {plain:>25.2f}ms {value / plain:>6.1f}x  <{TARGET_MS:.0f}ms  {ok}")
    emit("ticket creation", [(f"{label}, {tickets:,} tickets", f"{value:.2f} ms", f"{plain:.2f} ms (sqlite3 INSERT)",
                              f"{value / plain:.1f}x", f"< {TARGET_MS:.0f} ms", value < TARGET_MS) for label, value in rows])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    if args.rebuild:
        database(args.tickets, args.tickets // 20, rebuild=True)
    run(args.tickets, args.calls)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
