"""Benchmark: the same figures on the SQLite file and on PostgreSQL, side by side.

Run from the repository root with ``python bench/engines.py [--engine both]``
(a little over a minute for both). On the seeded 100,000-ticket database (bench/data/,
built once; 5,000 calls open) it measures, for each engine:

* ticket creation: the median milliseconds of ``open_call`` through
  slaboard.services.tickets on an open store, over 200 calls;
* 20 writer processes at once, each with its own Store, logging calls for a few
  seconds: writes a second over all of them, errors, and whether every write landed;
* the board's first paint: a new ``BoardFeed``'s first poll, the full snapshot of
  the open calls with their clocks, each in a process of its own (what the board
  does before it shows a row), and the board app itself started headless until its
  table has rows (as bench/board.py times it);
* a year's all-customers report by level (``build_report``, warm: every whole month
  kept but the current one, as bench/reports.py does).

For PostgreSQL it starts a server of its own (tests/pgserver.py, on a Unix socket in
a temporary folder, as the test suite does) and copies the SQLite database into a
new PostgreSQL database (bench/pgcopy.py). The reads (board, report) are measured
before the writes, so both engines read the same rows, and it checks that both
show the same board and the same report. The engines take turns, run by run (call
by call for creation; writer round by round), so a shared machine's load falls on
both alike. ``--engine postgresql`` (the same as ``both``) measures SQLite too: two
of the targets are ratios to it. A report, not a test: exit 0 (1 only when no
PostgreSQL server can be started).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from common import DATA, NOW, ROOT, database, emit

if str(ROOT / "tests") not in sys.path:
    sys.path.insert(0, str(ROOT / "tests"))  # tests/pgserver.py

CUSTOMERS = ("HFL", "HGG", "VDB", "KBA")  # with contracts in force on NOW
TARGETS = {"create_ms": 3.0, "writes_per_s": 500.0, "first_paint_ratio": 1.5, "report_ratio": 2.0}
ENGINES = ("sqlite", "postgresql")
DIGESTS: dict[tuple[str, str], set[str]] = {}  # what each engine showed: the same on both, or a bug


# ----------------------------------------------------------------------------- the databases


def prepare_sqlite(tickets: int) -> Path:
    """A copy of the benchmark database that this run may write to, at the current
    schema (the cached file may be older: opening it upgrades it, keeping the past
    months' sums, and leaves a backup, which is removed here)."""
    source = database(tickets, tickets // 20)
    path = DATA / f"engines-{source.name}"
    remove(path)
    shutil.copyfile(source, path)
    from slaboard.store import Store

    Store.open(path).close()
    for backup in path.parent.glob(f"{path.name}.schema-*.bak"):
        backup.unlink()
    return path


def remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    for backup in path.parent.glob(f"{path.name}.schema-*.bak"):
        backup.unlink()


def prepare_postgresql(server, source: Path) -> tuple[str, float]:  # type: ignore[no-untyped-def]
    from pgcopy import copy_file

    url = server.new_database("bench")
    t0 = time.perf_counter()
    copy_file(source, url, log=lambda m: print(m, file=sys.stderr))
    return url, time.perf_counter() - t0


# ----------------------------------------------------------------------------- the figures


def first_snapshot(target: str) -> dict[str, float]:
    """In a process of its own: a new feed's first poll (connect, read every open
    call, its customer and contract, and run its clocks)."""
    from slaboard.services.board import BoardFeed

    feed = BoardFeed(target)
    t0 = time.perf_counter()
    snapshot = feed.poll(NOW)
    seconds = time.perf_counter() - t0
    feed.close()
    assert snapshot is not None and snapshot.full
    return {"ms": seconds * 1000, "rows": len(snapshot.changed), "digest": board_digest(snapshot)}


def board_digest(snapshot) -> str:  # type: ignore[no-untyped-def]
    """What the board would show of each call (not timed): its number, version,
    state and business seconds left; the same on both engines, or a bug."""
    import hashlib

    from slaboard.services.board import BoardRow

    now = int(NOW.timestamp())
    shown = sorted((v.ticket.id, v.ticket.version, row.state, row.remaining(now))
                   for v in snapshot.changed for row in [BoardRow(v, now)])
    return hashlib.sha256(repr(shown).encode()).hexdigest()[:16]


def report_digest(report) -> str:  # type: ignore[no-untyped-def]
    """The report's figures (totals, groups, misses), as a short hash."""
    import dataclasses
    import hashlib

    def plain(figures) -> dict[str, object]:  # type: ignore[no-untyped-def]
        out = {f.name: getattr(figures, f.name) for f in dataclasses.fields(figures)}
        return {k: sorted(v) if isinstance(v, list) else (dict(sorted(v.items())) if isinstance(v, dict)
                else round(v, 6) if isinstance(v, float) else v) for k, v in out.items()}

    data = [plain(report.total), [plain(g) for g in report.groups], [repr(m) for m in report.misses]]
    return hashlib.sha256(repr(data).encode()).hexdigest()[:16]


def board_app(target: str) -> dict[str, float]:
    """In a process of its own: the board app headless, from its start until its
    table has rows and has painted (bench/board.py's first paint)."""
    import asyncio

    from slaboard.settings import Settings
    from slaboard.tui.app import SlaboardApp
    from slaboard.tui.widgets.table import SlaTable

    async def run() -> dict[str, float]:
        started = time.perf_counter()
        app = SlaboardApp(target, operator="anna", clock=lambda: NOW, settings=Settings(), live=False)
        async with app.run_test(size=(160, 48)) as pilot:
            table = app.screen.query_one(SlaTable)
            deadline = time.perf_counter() + 60
            while not table.rows:
                if time.perf_counter() > deadline:
                    notices = [str(getattr(n, "message", n)) for n in getattr(app, "_notifications", [])]
                    raise RuntimeError(f"no rows after 60 s; the board said: {notices[-3:]}")
                await pilot.pause(0.01)
            await pilot.pause()
            return {"ms": (time.perf_counter() - started) * 1000, "rows": len(app.screen.rows)}

    return asyncio.run(run())


def in_child(kind: str, target: str, runs: int, engine: str = "") -> tuple[list[float], int, str]:
    """Each run in a new process: (milliseconds, rows shown, error or ''); the
    board's digest, where there is one, goes in DIGESTS."""
    samples, rows = [], 0
    for _ in range(runs):
        out = subprocess.run([sys.executable, __file__, "--child", kind, target], capture_output=True, text=True,
                             cwd=ROOT, check=False, timeout=300)
        if out.returncode != 0 or not out.stdout.strip():
            lines = out.stderr.strip().splitlines()
            return samples, rows, (lines[-1] if lines else f"exit {out.returncode}")[:200]
        result = json.loads(out.stdout.splitlines()[-1])
        samples.append(result["ms"])
        rows = int(result["rows"])
        if "digest" in result:
            DIGESTS.setdefault(("board", engine), set()).add(result["digest"])
    return samples, rows, ""


def creation(targets: dict[str, str], calls: int) -> dict[str, tuple[list[float], int]]:
    """Milliseconds of each of ``calls`` open_call on one open store per engine
    (after 10 not timed), the engines taking turns call by call; and the errors."""
    from slaboard.services.tickets import NewCall, open_call
    from slaboard.store import Store

    rng = random.Random(1)
    stores = {e: Store.open(t) for e, t in targets.items()}
    out: dict[str, tuple[list[float], int]] = {e: ([], 0) for e in targets}
    try:
        for n in range(calls + 10):
            impact, urgency = rng.randint(1, 3), rng.randint(1, 3)
            for engine, store in stores.items():
                call = NewCall(customer=CUSTOMERS[n % len(CUSTOMERS)], service="email", title=f"bench call {n}",
                               impact=impact, urgency=urgency)
                t0 = time.perf_counter()
                try:
                    open_call(store, call, "bench", NOW)
                except Exception:  # noqa: BLE001 - counted
                    out[engine] = (out[engine][0], out[engine][1] + 1)
                    continue
                if n >= 10:
                    out[engine][0].append((time.perf_counter() - t0) * 1000)
    finally:
        for store in stores.values():
            store.close()
    return out


def writer(target: str, name: str, seconds: float, seed: int, ready, go, results) -> None:  # type: ignore[no-untyped-def]
    """One of the writer processes: open a store, wait for the others, then log
    calls for ``seconds``."""
    from slaboard.services.tickets import NewCall, open_call
    from slaboard.store import Store

    rng = random.Random(seed)
    done, errors, latencies = 0, [], []
    try:
        store = Store.open(target)
    except Exception as err:  # noqa: BLE001 - reported
        ready.put(name)
        results.put({"done": 0, "errors": [f"open: {err!r}"], "latencies": [], "start": 0.0, "end": 0.0, "backlog": 0})
        return
    ready.put(name)
    go.wait()
    start = time.time()
    end = start + seconds
    n = 0
    while time.time() < end:
        n += 1
        t0 = time.perf_counter()
        try:
            open_call(store, NewCall(customer=rng.choice(CUSTOMERS), service="email", title=f"{name} call {n}",
                                     impact=rng.randint(1, 3), urgency=rng.randint(1, 3)), name, NOW)
        except Exception as err:  # noqa: BLE001 - counted and shown
            errors.append(repr(err)[:200])
            continue
        done += 1
        latencies.append(time.perf_counter() - t0)
    finished = time.time()
    # PostgreSQL: the change notices this connection received and nobody read.
    backlog = len(getattr(getattr(getattr(store, "pg", None), "raw", None), "_notifies_backlog", None) or ())
    store.close()
    results.put({"done": done, "errors": errors, "latencies": latencies, "start": start, "end": finished,
                 "backlog": backlog})


def writers(target: str, count: int, seconds: float) -> dict[str, object]:
    from slaboard.store import Store

    with Store.open(target) as store:
        before = store.count_tickets()
    ctx = multiprocessing.get_context("spawn")  # no connection is inherited
    ready, results, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    procs = [ctx.Process(target=writer, args=(target, f"w{i}", seconds, i, ready, go, results)) for i in range(count)]
    for p in procs:
        p.start()
    for _ in procs:
        ready.get(timeout=120)
    go.set()
    found = [results.get(timeout=seconds + 120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    with Store.open(target) as store:
        after = store.count_tickets()
    done = sum(int(r["done"]) for r in found)  # type: ignore[call-overload]
    errors = [e for r in found for e in r["errors"]]  # type: ignore[attr-defined]
    starts = [float(r["start"]) for r in found if r["start"]]  # type: ignore[arg-type]
    ends = [float(r["end"]) for r in found if r["end"]]  # type: ignore[arg-type]
    window = (max(ends) - min(starts)) if starts and ends else seconds
    latencies = sorted(x for r in found for x in r["latencies"])  # type: ignore[attr-defined]
    return {
        "rate": done / window if window else 0.0, "done": done, "landed": after - before, "errors": errors,
        "p50": latencies[len(latencies) // 2] * 1000 if latencies else float("nan"),
        "p99": latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))] * 1000 if latencies else float("nan"),
        "backlog": max(int(r["backlog"]) for r in found),  # type: ignore[call-overload]
        "window": window,
    }


def report(targets: dict[str, str], runs: int) -> dict[str, list[float]]:
    """Milliseconds of the year's all-customers report by level, warm (the first
    report keeps every whole month; before each run the current month is forgotten,
    as when an operator has just changed a call of it); the engines take turns."""
    from slaboard.reports.figures import build_report, parse_period
    from slaboard.store import Store

    year = parse_period(None, (NOW - timedelta(days=364)).date().isoformat(), NOW.date().isoformat(), today=NOW.date())
    stores = {e: Store.open(t) for e, t in targets.items()}
    samples: dict[str, list[float]] = {e: [] for e in targets}
    try:
        for engine, store in stores.items():
            DIGESTS.setdefault(("report", engine), set()).add(
                report_digest(build_report(store, year, NOW, grouping="level")))
        for _ in range(runs):
            for engine, store in stores.items():
                store.conn.execute("DELETE FROM report_months WHERE month = ?", [NOW.strftime("%Y-%m")])
                t0 = time.perf_counter()
                built = build_report(store, year, NOW, grouping="level")
                samples[engine].append((time.perf_counter() - t0) * 1000)
                DIGESTS[("report", engine)].add(report_digest(built))
    finally:
        for store in stores.values():
            store.close()
    return samples


def in_turns(kind: str, targets: dict[str, str], runs: int) -> dict[str, tuple[list[float], int, str]]:
    """``in_child`` for each engine, the engines taking turns run by run (a shared
    machine's load then falls on both alike); one run first, not counted, reads
    the database into memory."""
    out: dict[str, tuple[list[float], int, str]] = {}
    for engine, target in targets.items():
        out[engine] = ([], 0, in_child(kind, target, 1, engine)[2])
    for _ in range(runs):
        for engine, target in targets.items():
            if out[engine][2]:
                continue  # failed: said once
            samples, rows, error = in_child(kind, target, 1, engine)
            out[engine] = (out[engine][0] + samples, rows, error)
    return out


def measure(targets: dict[str, str], args: argparse.Namespace) -> dict[str, dict[str, object]]:
    """Every figure for every engine; the reads first, so both read the same rows."""
    def say(what: str) -> None:
        print(f"{what} (load {os.getloadavg()[0]:.1f}) ...", file=sys.stderr, flush=True)

    results: dict[str, dict[str, object]] = {e: {} for e in targets}
    say("board first poll")
    for engine, (samples, rows, error) in in_turns("snapshot", targets, args.runs).items():
        results[engine].update(snapshot=samples, rows=rows, snapshot_error=error)
    say("board app")
    for engine, (samples, rows, error) in in_turns("app", targets, args.app_runs).items():
        results[engine].update(app=samples, app_rows=rows, app_error=error)
    say("year report")
    for engine, samples in report(targets, args.runs).items():
        results[engine]["report"] = samples
    say("ticket creation")
    for engine, (samples, errors) in creation(targets, args.calls).items():
        results[engine].update(create=samples, create_errors=errors)
    rounds: dict[str, list[dict[str, object]]] = {e: [] for e in targets}
    for n in range(args.rounds):
        for engine, target in targets.items():
            say(f"{engine}: {args.writers} writers, round {n + 1} of {args.rounds}")
            rounds[engine].append(writers(target, args.writers, args.seconds))
    for engine, found in rounds.items():
        results[engine]["writers"] = combine(found)
    results["load"] = {"after": os.getloadavg()[0]}  # type: ignore[assignment]
    return results


def combine(rounds: list[dict[str, object]]) -> dict[str, object]:
    """The writer rounds of one engine as one: writes over the time of all."""
    done = sum(int(r["done"]) for r in rounds)  # type: ignore[call-overload]
    window = sum(float(r["window"]) for r in rounds)  # type: ignore[arg-type]
    return {
        "rate": done / window if window else 0.0, "done": done, "landed": sum(int(r["landed"]) for r in rounds),  # type: ignore[call-overload]
        "errors": [e for r in rounds for e in r["errors"]],  # type: ignore[attr-defined]
        "p50": statistics.median(float(r["p50"]) for r in rounds),  # type: ignore[arg-type]
        "p99": max(float(r["p99"]) for r in rounds),  # type: ignore[arg-type]
        "backlog": max(int(r["backlog"]) for r in rounds),  # type: ignore[call-overload]
        "rates": [float(r["rate"]) for r in rounds],  # type: ignore[arg-type]
    }


# ----------------------------------------------------------------------------- the table


def med(samples: list[float]) -> float | None:
    return statistics.median(samples) if samples else None


def table(results: dict[str, dict[str, object]], args: argparse.Namespace, setup: dict[str, float],
          load: tuple[float, float]) -> None:
    lite, pg = results.get("sqlite"), results.get("postgresql")
    rows: list[tuple[str, str, str, str, str, str]] = []  # figure, sqlite, postgresql, ratio, target, met
    emitted: list[tuple[object, ...]] = []

    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:,.1f} ms"

    def ratio(a: float | None, b: float | None) -> str:
        return f"{b / a:.2f}x" if a and b is not None else "-"

    def add(figure: str, values: dict[str, float | None], text: dict[str, str], target: str,
            met: dict[str, bool | str]) -> None:
        """One figure: its row in this table, and a row per engine for bench/run.py
        (PostgreSQL's with SQLite's beside it as the baseline)."""
        lv, pv = values.get("sqlite"), values.get("postgresql")
        shown_met = met.get("postgresql", met.get("sqlite", "-")) if pg else met.get("sqlite", "-")
        rows.append((figure, text.get("sqlite", "-"), text.get("postgresql", "-") if pg else "-",
                     ratio(lv, pv) if pg else "-", target, shown_met if isinstance(shown_met, str)
                     else ("yes" if shown_met else "MISSED")))
        if lite:
            emitted.append((f"{figure}, sqlite", text["sqlite"], "-", "-", target if "sqlite" in met else "-",
                            met.get("sqlite", "n/a")))
        if pg:
            emitted.append((f"{figure}, postgresql", text["postgresql"], f"sqlite: {text.get('sqlite', '-')}",
                            ratio(lv, pv), target, met.get("postgresql", "n/a")))

    engines = [e for e in ENGINES if e in results]
    create = {e: med(results[e]["create"]) for e in engines}  # type: ignore[arg-type]
    create_err = {e: int(results[e]["create_errors"]) for e in engines}  # type: ignore[call-overload]
    add(f"ticket creation (open_call), median of {args.calls}", create,
        {e: ms(create[e]) + (f", {create_err[e]} errors" if create_err[e] else "") for e in engines},
        f"< {TARGETS['create_ms']:g} ms",
        {e: create[e] is not None and create[e] < TARGETS["create_ms"] and not create_err[e] for e in engines})

    crowd = {e: results[e]["writers"] for e in engines}
    rate = {e: float(crowd[e]["rate"]) for e in engines}  # type: ignore[index]
    errs = {e: len(crowd[e]["errors"]) for e in engines}  # type: ignore[index]
    lost = {e: int(crowd[e]["done"]) - int(crowd[e]["landed"]) for e in engines}  # type: ignore[index]
    add(f"{args.writers} writer processes, {args.rounds} x {args.seconds:g} s, writes/s", rate,
        {e: f"{rate[e]:,.0f}/s, {errs[e]} errors, {lost[e]} lost" for e in engines},
        f"> {TARGETS['writes_per_s']:g}/s, 0 errors",
        {e: rate[e] > TARGETS["writes_per_s"] and errs[e] == 0 and lost[e] == 0 for e in engines})
    p50 = {e: float(crowd[e]["p50"]) for e in engines}  # type: ignore[index]
    add("  latency per write under those writers, p50 / p99", p50,
        {e: f"{p50[e]:.1f} / {float(crowd[e]['p99']):.0f} ms" for e in engines}, "-", {})  # type: ignore[index]

    def paint(key: str, figure: str) -> None:
        value = {e: med(results[e][key]) for e in engines}  # type: ignore[arg-type]
        error = {e: str(results[e][f"{key}_error"]) for e in engines}
        count = {e: results[e]["rows" if key == "snapshot" else "app_rows"] for e in engines}
        text = {e: f"FAILED: {error[e]}" if error[e] else f"{ms(value[e])} ({count[e]:,} rows)" for e in engines}
        met: dict[str, bool | str] = {}
        if pg:
            met["postgresql"] = (not error["postgresql"] and value["sqlite"] is not None and value["postgresql"] is not None
                                 and value["postgresql"] < TARGETS["first_paint_ratio"] * value["sqlite"])
        add(figure, value, text, f"< {TARGETS['first_paint_ratio']:g}x sqlite", met)

    paint("snapshot", f"board first paint: a new feed's first poll, median of {args.runs}")
    paint("app", f"  the board app headless until its rows paint, median of {args.app_runs}")

    year = {e: med(results[e]["report"]) for e in engines}  # type: ignore[arg-type]
    met = {"postgresql": year["sqlite"] is not None and year["postgresql"] is not None
           and year["postgresql"] < TARGETS["report_ratio"] * year["sqlite"]} if pg else {}
    add(f"year report, all customers by level, warm, median of {args.runs}", year, {e: ms(year[e]) for e in engines},
        f"< {TARGETS['report_ratio']:g}x sqlite", met)

    if pg:
        for what in ("board", "report"):
            seen = {e: DIGESTS.get((what, e), set()) for e in engines}
            same = len(seen["sqlite"] | seen["postgresql"]) == 1
            figure = f"the same {'open calls, states and time left' if what == 'board' else 'figures'} on both ({what})"
            text = {e: ", ".join(sorted(seen[e])) or "-" for e in engines}
            rows.append((figure, text["sqlite"], text["postgresql"], "-", "identical", "yes" if same else "MISSED"))
            emitted.append((f"{figure}, postgresql", text["postgresql"], f"sqlite: {text['sqlite']}", "-", "identical", same))

    print(f"slaboard engines benchmark: {args.tickets:,} tickets ({args.tickets // 20:,} open), {os.cpu_count()} CPUs"
          + "".join(f"; {k} {v:.1f} s" for k, v in setup.items())
          + f"; load average {load[0]:.1f} before, {load[1]:.1f} after")
    header = ("figure", "SQLite", "PostgreSQL", "ratio", "target", "met?")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print("  ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)))
    for e in engines:
        for message in sorted(set(crowd[e]["errors"]))[:3]:  # type: ignore[index]
            print(f"  {e} writer error: {message}")
        print(f"  {e} writers, writes/s by round: " + ", ".join(f"{r:,.0f}" for r in crowd[e]["rates"]))  # type: ignore[index]
        backlog = int(crowd[e]["backlog"])  # type: ignore[index]
        if backlog:
            print(f"  {e}: a writer's connection ended holding {backlog:,} change notices it never read")
    emit("engines", emitted)


# ----------------------------------------------------------------------------- main


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        kind, target = sys.argv[2], sys.argv[3]
        result = first_snapshot(target) if kind == "snapshot" else board_app(target)
        print(json.dumps(result))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engine", choices=("sqlite", "postgresql", "both"), default="both",
                        help="postgresql measures sqlite too (the baseline of two targets)")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--calls", type=int, default=200, help="calls logged one after another")
    parser.add_argument("--writers", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=5.0, help="how long the writers write, each round")
    parser.add_argument("--rounds", type=int, default=2, help="writer rounds per engine, the engines taking turns")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--app-runs", type=int, default=3)
    args = parser.parse_args()
    engines = ["sqlite"] if args.engine == "sqlite" else list(ENGINES)
    setup: dict[str, float] = {}
    t0 = time.perf_counter()
    path = prepare_sqlite(args.tickets)
    setup["sqlite copy"] = time.perf_counter() - t0
    server = None
    targets: dict[str, str] = {"sqlite": str(path)}
    try:
        if "postgresql" in engines:
            from pgserver import PgServer, Unavailable

            t0 = time.perf_counter()
            try:
                server = PgServer().start()
            except Unavailable as err:
                print(f"no PostgreSQL server for the benchmark: {err}", file=sys.stderr)
                return 1
            setup["postgresql server start"] = time.perf_counter() - t0
            targets["postgresql"], setup["copy into postgresql"] = prepare_postgresql(server, path)
        load_before = os.getloadavg()[0]
        results = measure(targets, args)
        setup_load = (load_before, float(results.pop("load")["after"]))  # type: ignore[index]
    finally:
        if server is not None:
            server.close()
        remove(path)
    table(results, args, setup, setup_load)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
