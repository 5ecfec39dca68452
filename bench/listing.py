"""Benchmark: `slaboard ticket list --all` over 200,000 calls, as a table and as JSON.

Run from the repository root with ``python bench/listing.py [--tickets N] [--no-baseline]``.
The database is built once (seeded) under bench/data/ and reused. Each listing runs
as a process of its own, its output thrown away, and the script prints its wall
time and peak resident memory (the process's maxrss) beside the baseline: the same
listing done the way it was before it was streamed (every row read and turned into
a view, and the JSON built as one string, before the first line is printed). The
streamed listing should stay under 150 MB whatever the number of calls. A report,
not a test: exit 0.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time

from common import NOW, ROOT, database, emit

TARGET_MB = 150

# The listing as it was before it was streamed (cli.cmd_ticket_list of then).
BEFORE = """
import json, sys
from datetime import datetime
from slaboard.cli import _line
from slaboard.services.tickets import view_of
from slaboard.store import Store
now = datetime.fromisoformat(sys.argv[2])
with Store.open(sys.argv[1]) as store:
    views = [view_of(store, t, tz, now) for t, tz in store.recent_tickets(1_000_000)]
if sys.argv[3] == "json":
    sys.stdout.write(json.dumps([v.to_dict() for v in views], indent=2, ensure_ascii=False, default=str) + "\\n")
else:
    for v in views:
        print(_line(v))
"""


def measure(argv: list[str]) -> tuple[float, float]:
    """(seconds, peak MB) of one process, its output discarded."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "SLABOARD_NOW": NOW.isoformat(), "SLABOARD_OPERATOR": "bench",
           "SLABOARD_SETTINGS": "/nonexistent/slaboard-settings.toml"}
    started = time.perf_counter()
    with open(os.devnull, "w") as sink:
        proc = subprocess.Popen(argv, stdout=sink, stderr=subprocess.PIPE, env=env, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
        raise SystemExit(f"{argv[:4]} exited {proc.returncode}: {err.strip()[-500:]}")
    return seconds, usage.ru_maxrss / 1024  # kilobytes on Linux


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=200_000)
    parser.add_argument("--no-baseline", action="store_true", help="skip the listings done the old way (slow, GBs)")
    args = parser.parse_args()
    path = database(args.tickets, 1_000)
    rows = []
    print(f"slaboard listing benchmark: ticket list --all --limit 1000000 over {args.tickets:,} calls in {path.name}")
    print(f"{'output':<7} {'streamed':>20} {'before (in memory)':>22} {'time ratio':>11} {'memory ratio':>13}  "
          f"target       met?")
    for fmt in ("table", "json"):
        after_s, after_mb = measure([sys.executable, "-m", "slaboard", "ticket", "list", "--all", "--limit", "1000000",
                                     *(["--json"] if fmt == "json" else []), "--db", str(path)])
        if args.no_baseline:
            before_s = before_mb = float("nan")
        else:
            before_s, before_mb = measure([sys.executable, "-c", BEFORE, str(path), NOW.isoformat(), fmt])
        met = after_mb < TARGET_MB
        print(f"{fmt:<7} {after_s:>7.1f} s {after_mb:>7.0f} MB {before_s:>9.1f} s {before_mb:>7.0f} MB "
              f"{before_s / after_s:>10.1f}x {before_mb / after_mb:>12.1f}x  <{TARGET_MB} MB  {'yes' if met else 'MISSED'}")
        rows.append((f"list --all {fmt}, {args.tickets:,} calls", f"{after_s:.1f} s, {after_mb:.0f} MB peak",
                     f"{before_s:.1f} s, {before_mb:.0f} MB (before streaming)",
                     f"{before_mb / after_mb:.1f}x less memory", f"< {TARGET_MB} MB", met))
    emit("listing", rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
