"""Shared by the benchmarks: a seeded database of a large MSP's year, built once
under bench/data/ and reused, and small timing helpers."""

from __future__ import annotations

import json
import os
import random
import shutil
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))

from slaboard.domain import Event, PriorityEntry, StatusEntry, Ticket, priority_for  # noqa: E402
from slaboard.services.clocks import clocks_for  # noqa: E402
from slaboard.services.loading import load_files  # noqa: E402
from slaboard.store import Store  # noqa: E402

NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
SEED = 20261126
DATA = ROOT / "bench" / "data"
TITLES = [
    "Outlook keeps asking for the password", "Printer on the 2nd floor offline", "VPN drops every 10 minutes",
    "Shared mailbox not syncing on iPhone", "Backup job failed last night", "Laptop will not start after update",
    "Teams calls break up", "Cannot reach the file server", "Certificate warning on the intranet",
]


def database(tickets: int, open_count: int, *, rebuild: bool = False) -> Path:
    """The path of a database with ``tickets`` calls of which ``open_count`` are open
    (built on first use; seeded, so every run measures the same data)."""
    path = DATA / f"msp-{tickets}-{open_count}-v2.db"  # v2: open calls carry their dues
    if rebuild or not path.exists():
        build(path, tickets, open_count)
    # A file built by an older slaboard is upgraded here, once, and the upgrade's
    # copy removed: scratch copies then start current and leave no .bak behind.
    Store.open(path).close()
    for old in path.parent.glob(f"{path.name}.schema-*.bak"):
        old.unlink()
    return path


def scratch_copy(path: Path) -> Path:
    """A copy of a benchmark database that a run may change."""
    copy = path.with_name(f"scratch-{path.name}")
    for suffix in ("-wal", "-shm"):
        Path(f"{copy}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(path, copy)
    return copy


def build(path: Path, tickets: int, open_count: int) -> None:
    """A year of closed calls and ``open_count`` open ones from the last days, written
    through the store in one transaction."""
    rng = random.Random(SEED)
    path.parent.mkdir(parents=True, exist_ok=True)
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    started = time.perf_counter()
    store = Store.open(path, create=True)
    load_files(store, [ROOT / "sample_data" / "msp.toml"], NOW - timedelta(days=400))
    customers = store.customers()
    services = [s.key for s in store.services()]
    in_force = {c.key: store.contract_in_force(c.key, (NOW - timedelta(days=30)).date()) for c in customers}
    open_from = tickets - open_count  # the newest calls are the open ones
    with store.write():
        for n in range(tickets):
            customer = rng.choice(customers)
            contract = in_force[customer.key]
            is_open = n >= open_from
            if is_open:
                reported = NOW - timedelta(seconds=rng.randrange(60, 5 * 86400))
            else:
                reported = NOW - timedelta(days=365) + timedelta(seconds=int(n / max(1, open_from) * 360 * 86400))
            impact, urgency = rng.randint(1, 3), rng.randint(1, 3)
            priority = priority_for(impact, urgency)
            statuses = [StatusEntry(at=reported, status="new")]
            fields: dict[str, object] = {}
            if is_open:
                roll = rng.random()
                if roll < 0.6:
                    statuses.append(StatusEntry(at=reported + timedelta(minutes=rng.randrange(1, 50)), status="in_progress"))
                if roll < 0.15:
                    statuses.append(StatusEntry(at=statuses[-1].at + timedelta(minutes=30), status="waiting_customer", reason="waiting for the customer"))
                fields["assignee"] = rng.choice(["", "anna", "bram", "chris", "dewi"])
            else:
                solved = reported + timedelta(minutes=rng.randrange(20, 3000))
                statuses += [
                    StatusEntry(at=reported + timedelta(minutes=10), status="in_progress"),
                    StatusEntry(at=solved, status="resolved"),
                    StatusEntry(at=solved + timedelta(days=1), status="closed"),
                ]
                fields.update(resolved_at=solved, closed_at=solved + timedelta(days=1), responded_at=reported + timedelta(minutes=10))
            ticket = Ticket(
                id=0, customer=customer.key, contract_id=contract.id if contract else None,
                service=rng.choice(services), title=f"{rng.choice(TITLES)} ({n})",
                impact=impact, urgency=urgency, priority=priority, status=statuses[-1].status,
                billable=contract is None, reported_at=reported, created_at=reported, updated_at=reported,
                statuses=statuses, priorities=[PriorityEntry(at=reported, priority=priority)], **fields,
            )
            if is_open and contract is not None:
                # What every write stores: the clocks' due instants as of that write.
                last = statuses[-1].at
                dues = {f"{name}_due": c.due.astimezone(UTC) for name, c in clocks_for(ticket, contract, customer.tz, last).items()}
                ticket = ticket.model_copy(update={"updated_at": last, **dues})
            stored = store.insert_ticket(ticket, customer.tz, [Event(ticket_id=0, at=reported, operator="bench", kind="created")])
            if not is_open and contract is not None:
                # What commit_change writes when the clocks stop: reports read these.
                clocks = clocks_for(stored, contract, customer.tz, stored.closed_at)
                store.record_outcomes(stored.id, [{**c.outcome, "contract_id": contract.id}
                                                  for c in clocks.values() if c.stopped_ts is not None], stored.closed_at)
    store.close()
    print(f"built {path.name}: {tickets:,} tickets ({open_count:,} open) in {time.perf_counter() - started:.1f} s", file=sys.stderr)


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


def emit(suite: str, rows: list[tuple[object, ...]]) -> None:
    """Hand this benchmark's rows (figure, value, baseline, ratio, target, met) to
    bench/run.py, which prints every suite in one table."""
    target = os.environ.get("SLABOARD_BENCH_ROWS")
    if not target:
        return
    with open(target, "a", encoding="utf-8") as fh:
        for row in rows:
            figure, value, baseline, ratio, goal, met = row[:6]
            if isinstance(met, bool):
                met = "yes" if met else "MISSED"
            fh.write(json.dumps([suite, str(figure), str(value), str(baseline), str(ratio), str(goal), str(met).strip()]) + "\n")
