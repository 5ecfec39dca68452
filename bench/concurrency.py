"""Benchmark: many processes writing to one slaboard file at once.

Run from the repository root with ``python bench/concurrency.py`` (about 30 s).
It starts WRITERS processes that for SECONDS each do mixed writes through
slaboard's services (log a call, change a status, comment, log a message to the
customer; each one BEGIN IMMEDIATE transaction), then counts what landed against
what each writer reported. Beside it, the same number of processes doing plain
sqlite3 single-row INSERT transactions on a file with the same settings (WAL,
synchronous=NORMAL, busy timeout) for the same time: the baseline and the ratio.
A separate loop has two processes save the same ticket from the versions they
read (optimistic concurrency): conflicts detected, and nothing lost. Prints one
table; a report, not a test (exit 0 unless writes were lost or errors surfaced).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "src") not in sys.path:
    sys.path.insert(0, str(ROOT / "src"))
if str(ROOT / "bench") not in sys.path:
    sys.path.insert(0, str(ROOT / "bench"))

WRITERS = 20
SECONDS = 10.0
CONFLICT_SECONDS = 3.0
NOW = datetime(2026, 11, 26, 9, 30, tzinfo=UTC)
CUSTOMERS = ("HFL", "HGG", "VDB", "KBA")  # gold, gold, silver, ... with contracts in force on NOW
# From new: diagnosing, then round this cycle (each step an allowed move from the one before).
CYCLE = ("in_progress", "waiting_customer", "in_progress", "waiting_third_party", "diagnosing")
START_DELAY = 2.0  # seconds for every worker to import and open before the common start


# ----------------------------------------------------------------------------- workers


def wait_for(start: float) -> None:
    pause = start - time.time()
    if pause > 0:
        time.sleep(pause)


def slaboard_worker(db: str, name: str, seconds: float, start: float, seed: int, shared: list[int]) -> dict[str, object]:
    from slaboard.services.comms import NewCommunication, log_communication
    from slaboard.services.tickets import NewCall, add_comment, open_call, update_ticket
    from slaboard.store import Store

    rng = random.Random(seed)
    store = Store.open(db)
    own: list[list[int]] = []  # [ticket id, step in the cycle]
    done: Counter[str] = Counter()
    errors: list[str] = []
    latencies: list[float] = []
    comments, comms = [], []
    wait_for(start)
    end = time.time() + seconds
    n = 0
    while time.time() < end:
        n += 1
        roll = rng.random()
        t0 = time.perf_counter()
        try:
            if not own or roll < 0.2:
                view = open_call(store, NewCall(customer=rng.choice(CUSTOMERS), service="email",
                                                title=f"{name} call {n}", impact=rng.randint(1, 3),
                                                urgency=rng.randint(1, 3)), name, NOW)
                own.append([view.ticket.id, 0])
                done["new"] += 1
            elif roll < 0.5:
                mine = rng.choice(own)
                status = "diagnosing" if mine[1] == 0 else CYCLE[(mine[1] - 1) % len(CYCLE)]
                update_ticket(store, mine[0], operator=name, now=NOW, status=status)
                mine[1] += 1
                done["status"] += 1
            elif roll < 0.75:
                note = f"{name} note {n}"
                add_comment(store, rng.choice(shared + [t for t, _ in own]), note, name, NOW)
                comments.append(note)
                done["comment"] += 1
            else:
                summary = f"{name} message {n}"
                log_communication(store, NewCommunication(customer="", summary=summary, ticket_id=rng.choice(shared)),
                                  name, NOW)
                comms.append(summary)
                done["comm"] += 1
        except Exception as err:  # noqa: BLE001 - counted and shown
            errors.append(repr(err))
            continue
        latencies.append(time.perf_counter() - t0)
    store.close()
    return {"done": dict(done), "errors": errors, "latencies": latencies, "comments": comments, "comms": comms,
            "statuses": sum(step for _, step in own)}


def sqlite_worker(db: str, name: str, seconds: float, start: float) -> dict[str, object]:
    conn = sqlite3.connect(db, isolation_level=None, timeout=10)
    conn.execute("PRAGMA busy_timeout = 10000")
    conn.execute("PRAGMA synchronous = NORMAL")
    row = (name, "email", "Outlook asks for the password again", "P2", "new", NOW.isoformat(), "{}", 1)
    done, errors, latencies = 0, [], []
    wait_for(start)
    end = time.time() + seconds
    while time.time() < end:
        t0 = time.perf_counter()
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("INSERT INTO plain (a, b, c, d, e, f, g, h) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", row)
            conn.execute("COMMIT")
        except sqlite3.Error as err:
            errors.append(repr(err))
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            continue
        done += 1
        latencies.append(time.perf_counter() - t0)
    conn.close()
    return {"done": {"insert": done}, "errors": errors, "latencies": latencies}


def conflict_worker(db: str, name: str, seconds: float, start: float, ticket_id: int, seed: int) -> dict[str, object]:
    from slaboard.services.tickets import update_ticket
    from slaboard.store import ConflictError, Store

    rng = random.Random(seed)
    store = Store.open(db)
    won, lost_race, errors = 0, 0, []
    wait_for(start)
    end = time.time() + seconds
    n = 0
    while time.time() < end:
        n += 1
        ticket = store.ticket(ticket_id)
        assert ticket is not None
        time.sleep(rng.uniform(0, 0.004))  # the operator looks at the form
        try:
            update_ticket(store, ticket_id, operator=name, now=NOW, assignee=f"{name}-{n}",
                          expected_version=ticket.version)
            won += 1
        except ConflictError:
            lost_race += 1
        except Exception as err:  # noqa: BLE001
            errors.append(repr(err))
    store.close()
    return {"won": won, "conflicts": lost_race, "errors": errors}


def worker_main(argv: list[str]) -> int:
    kind, db, name, seconds, start, seed, extra = argv[0], argv[1], argv[2], float(argv[3]), float(argv[4]), int(argv[5]), argv[6]
    if kind == "slaboard":
        result = slaboard_worker(db, name, seconds, start, seed, [int(x) for x in extra.split(",")])
    elif kind == "sqlite":
        result = sqlite_worker(db, name, seconds, start)
    else:
        result = conflict_worker(db, name, seconds, start, int(extra), seed)
    sys.stdout.write(json.dumps(result) + "\n")
    return 0


# ----------------------------------------------------------------------------- the run


def run_workers(kind: str, db: Path, count: int, seconds: float, extra: str) -> tuple[list[dict], list[str]]:  # type: ignore[type-arg]
    start = time.time() + START_DELAY
    procs = [subprocess.Popen([sys.executable, __file__, "--worker", kind, str(db), f"{kind}{i}", str(seconds),
                               str(start), str(i), extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i in range(count)]
    results, stderrs = [], []
    for proc in procs:
        out, err = proc.communicate(timeout=seconds + 120)
        stderrs.append(err)
        if proc.returncode != 0 or not out.strip():
            results.append({"done": {}, "errors": [f"exit {proc.returncode}: {err.strip()[-300:]}"], "latencies": []})
        else:
            results.append(json.loads(out.splitlines()[-1]))
    return results, stderrs


def build(folder: Path) -> tuple[Path, list[int]]:
    from slaboard.services.loading import load_files
    from slaboard.services.tickets import NewCall, open_call
    from slaboard.store import Store

    db = folder / "floor.db"
    with Store.open(db, create=True) as store:
        load_files(store, [ROOT / "sample_data" / "msp.toml"], NOW.replace(month=1))
        shared = [open_call(store, NewCall(customer=c, service="email", title=f"shared {c}"), "setup", NOW).ticket.id
                  for c in CUSTOMERS]
    return db, shared


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, int(q * len(values)))] * 1000


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        return worker_main(sys.argv[2:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=WRITERS)
    parser.add_argument("--seconds", type=float, default=SECONDS)
    parser.add_argument("--conflict-seconds", type=float, default=CONFLICT_SECONDS)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="slaboard-concurrency-") as tmp:
        return measure(args, Path(tmp))


def measure(args: argparse.Namespace, folder: Path) -> int:
    db, shared = build(folder)

    # 1. slaboard: mixed writes through the services.
    results, stderrs = run_workers("slaboard", db, args.writers, args.seconds, ",".join(map(str, shared)))
    done: Counter[str] = Counter()
    for r in results:
        done.update(r["done"])  # type: ignore[arg-type]
    errors = [e for r in results for e in r["errors"]]  # type: ignore[union-attr]
    busy = [e for e in errors + stderrs if "locked" in str(e).lower() or "busy" in str(e).lower()]
    writes = sum(done.values())
    latencies = [x for r in results for x in r["latencies"]]  # type: ignore[union-attr]
    conn = sqlite3.connect(db)
    tickets = conn.execute("SELECT COUNT(*) FROM tickets").fetchone()[0] - len(shared)
    ids = [r[0] for r in conn.execute("SELECT id FROM tickets ORDER BY id")]
    comment_rows = conn.execute("SELECT COUNT(*) FROM events WHERE kind = 'comment'").fetchone()[0]
    status_rows = conn.execute("SELECT COUNT(*) FROM events WHERE kind = 'status'").fetchone()[0]
    comm_rows = conn.execute("SELECT COUNT(*) FROM communications").fetchone()[0]
    integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
    conn.close()
    lost = (done["new"] - tickets) + (done["comment"] - comment_rows) + (done["status"] - status_rows) + (done["comm"] - comm_rows)
    gap_free = ids == list(range(ids[0], ids[0] + len(ids)))
    rate = writes / args.seconds

    # 2. The baseline: plain single-row INSERT transactions on a file set up the same way.
    plain_db = folder / "plain.db"
    conn = sqlite3.connect(plain_db, isolation_level=None)
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("CREATE TABLE plain (id INTEGER PRIMARY KEY, a TEXT, b TEXT, c TEXT, d TEXT, e TEXT, f TEXT, g TEXT, h INTEGER)")
    conn.close()
    base_results, _ = run_workers("sqlite", plain_db, args.writers, args.seconds, "-")
    base_writes = sum(r["done"].get("insert", 0) for r in base_results)  # type: ignore[union-attr]
    base_errors = [e for r in base_results for e in r["errors"]]  # type: ignore[union-attr]
    base_latencies = [x for r in base_results for x in r["latencies"]]  # type: ignore[union-attr]
    conn = sqlite3.connect(plain_db)
    base_rows = conn.execute("SELECT COUNT(*) FROM plain").fetchone()[0]
    conn.close()
    base_rate = base_writes / args.seconds

    # 3. Two writers saving the same ticket from the versions they read.
    target = shared[0]
    conn = sqlite3.connect(db)
    version0 = conn.execute("SELECT version FROM tickets WHERE id = ?", [target]).fetchone()[0]
    events0 = conn.execute("SELECT COUNT(*) FROM events WHERE ticket_id = ? AND field = 'assignee'", [target]).fetchone()[0]
    conn.close()
    pair, _ = run_workers("conflict", db, 2, args.conflict_seconds, str(target))
    won = sum(int(r.get("won", 0)) for r in pair)  # type: ignore[arg-type]
    conflicts = sum(int(r.get("conflicts", 0)) for r in pair)  # type: ignore[arg-type]
    pair_errors = [e for r in pair for e in r["errors"]]  # type: ignore[union-attr]
    conn = sqlite3.connect(db)
    version1 = conn.execute("SELECT version FROM tickets WHERE id = ?", [target]).fetchone()[0]
    events1 = conn.execute("SELECT COUNT(*) FROM events WHERE ticket_id = ? AND field = 'assignee'", [target]).fetchone()[0]
    conn.close()
    pair_lost = (version1 - version0 - won) + (events1 - events0 - won)

    check = subprocess.run([sys.executable, "-m", "slaboard", "check", "--db", str(db)], capture_output=True, text=True,
                           env={**os.environ, "SLABOARD_NOW": NOW.isoformat()})

    rows = [
        (f"slaboard writes/s, {args.writers} processes x {args.seconds:g} s (mixed, through the services)", f"{rate:,.0f}",
         f"{base_rate:,.0f} (sqlite3 1-row INSERT tx)", f"{rate / base_rate:.2f}x" if base_rate else "-"),
        ("  writes done / landed (lost)", f"{writes:,} ({lost} lost)", f"{base_writes:,} / {base_rows:,}", "-"),
        ("  new / status / comment / message", f"{done['new']} / {done['status']} / {done['comment']} / {done['comm']}", "-", "-"),
        ("  latency per write p50 / p99", f"{percentile(latencies, .5):.2f} / {percentile(latencies, .99):.1f} ms",
         f"{percentile(base_latencies, .5):.2f} / {percentile(base_latencies, .99):.1f} ms", "-"),
        ("  errors (of which locked/busy)", f"{len(errors)} ({len(busy)})", f"{len(base_errors)}", "-"),
        ("  ticket numbers gap-free, integrity_check, slaboard check",
         f"{'yes' if gap_free else 'NO'}, {integrity}, exit {check.returncode}", "-", "-"),
        (f"same ticket, 2 writers x {args.conflict_seconds:g} s: saves won / conflicts detected",
         f"{won} / {conflicts} (lost {pair_lost}, errors {len(pair_errors)})", "-", "-"),
    ]
    print(f"slaboard concurrency benchmark: {args.writers} writer processes, {os.cpu_count()} CPUs")
    width = max(len(r[0]) for r in rows)
    print(f"{'figure':<{width}}  {'slaboard':>36}  {'baseline':>32}  {'ratio':>6}")
    for figure, value, baseline, ratio in rows:
        print(f"{figure:<{width}}  {value:>36}  {baseline:>32}  {ratio:>6}")
    for e in (errors + pair_errors)[:5]:
        print(f"  error: {e}")
    try:
        from common import emit
    except ImportError:  # pragma: no cover - run without bench/common.py
        emit = None
    if emit is not None:
        emit("concurrency", [
            (f"writes/s, {args.writers} processes", f"{rate:,.0f}", f"{base_rate:,.0f} (sqlite3 INSERT)",
             f"{rate / base_rate:.2f}x" if base_rate else "-", "0 lost, 0 errors", lost == 0 and not errors),
            ("same-ticket conflicts detected", f"{conflicts} of {won + conflicts}", "-", "-", "0 lost",
             pair_lost == 0 and not pair_errors),
        ])
    ok = lost == 0 and not errors and not pair_errors and pair_lost == 0 and integrity == "ok" and check.returncode == 0
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
