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
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from slaboard.domain import Event, PriorityEntry, StatusEntry, Ticket, priority_for  # noqa: E402
from slaboard.services.loading import load_files  # noqa: E402
from slaboard.services.tickets import NewCall, open_call  # noqa: E402
from slaboard.store import Store  # noqa: E402

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
SEED = 20261126
TARGET_MS = 5.0


def build(path: Path, tickets: int, open_share: float = 0.05) -> None:
    """A year of calls written straight through the store in one transaction."""
    rng = random.Random(SEED)
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    store = Store.open(path, create=True)
    load_files(store, [ROOT / "sample_data" / "msp.toml"], NOW - timedelta(days=400))
    customers = store.customers()
    services = [s.key for s in store.services()]
    contracts = {
        c.key: store.contract_in_force(c.key, (NOW - timedelta(days=30)).date()) for c in customers
    }
    start = time.perf_counter()
    with store.write():
        for n in range(tickets):
            customer = rng.choice(customers)
            contract = contracts[customer.key]
            reported = NOW - timedelta(seconds=rng.randrange(60, 365 * 86400))
            is_open = rng.random() < open_share
            impact, urgency = rng.randint(1, 3), rng.randint(1, 3)
            priority = priority_for(impact, urgency)
            statuses = [StatusEntry(at=reported, status="new")]
            fields = {}
            if not is_open:
                solved = reported + timedelta(minutes=rng.randrange(20, 3000))
                statuses += [
                    StatusEntry(at=reported + timedelta(minutes=10), status="in_progress"),
                    StatusEntry(at=solved, status="resolved"),
                    StatusEntry(at=solved + timedelta(days=1), status="closed"),
                ]
                fields = {"resolved_at": solved, "closed_at": solved + timedelta(days=1)}
            ticket = Ticket(
                id=0, customer=customer.key, contract_id=contract.id if contract else None,
                service=rng.choice(services), title=f"Call {n}: printer offline on floor {n % 7}",
                impact=impact, urgency=urgency, priority=priority, status=statuses[-1].status,
                billable=contract is None, reported_at=reported, created_at=reported, updated_at=reported,
                statuses=statuses, priorities=[PriorityEntry(at=reported, priority=priority)], **fields,
            )
            store.insert_ticket(ticket, customer.tz, [Event(ticket_id=0, at=reported, operator="bench", kind="created")])
    store.close()
    print(f"built {path.name}: {tickets:,} tickets in {time.perf_counter() - start:.1f} s")


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def run(tickets: int, calls: int) -> None:
    path = ROOT / "bench" / "data" / f"store-{tickets}.db"
    if not path.exists():
        build(path, tickets)
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    if args.rebuild:
        (ROOT / "bench" / "data" / f"store-{args.tickets}.db").unlink(missing_ok=True)
    run(args.tickets, args.calls)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
