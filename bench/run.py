"""The benchmark suite: builds the large databases (once) and runs every benchmark,
printing one table with each figure beside its baseline and the ratio.

Run from the repository root:  .venv/bin/python bench/run.py
(--quick skips the 1,000,000-ticket database and shortens the soak.) Each benchmark
can also be run alone: bench/sla.py, store.py, board.py, reports.py, concurrency.py, wall.py, listing.py, big_text.py,
engines.py.

--db-engine sqlite|postgresql|both adds bench/engines.py: the figures the PostgreSQL
store is held to (ticket creation, 20 writers, the board's first paint, a year's
report), measured on the engine(s) on the 100,000-ticket database; PostgreSQL's
rows have SQLite's figure beside them as the baseline (engines.py starts a server
of its own, as the test suite does, and copies the SQLite database into it).
--only NAME[,NAME] runs those benchmarks alone (e.g. --only engines.py).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip the 1,000,000-ticket database; a 10-minute soak")
    parser.add_argument("--db-engine", choices=("sqlite", "postgresql", "both"), default=None,
                        help="also run bench/engines.py on this engine (postgresql and both: beside sqlite)")
    parser.add_argument("--only", default="", metavar="NAME[,NAME]", help="run only these benchmarks (e.g. engines.py)")
    args = parser.parse_args()
    board_args = ["--large", "0", "--cycles", "600"] if args.quick else []
    suites = [
        ("sla.py", []),
        ("store.py", []),
        ("board.py", board_args),
        ("reports.py", []),
        ("concurrency.py", []),
        ("wall.py", ["--days", "3"] if args.quick else []),
        ("listing.py", ["--no-baseline"] if args.quick else []),
        ("big_text.py", ["--runs", "1"] if args.quick else []),
        ("billing.py", []),
        ("watch.py", ["--quiet-seconds", "20"] if args.quick else []),
    ]
    if args.db_engine:
        quick = ["--rounds", "1", "--runs", "3", "--app-runs", "1"] if args.quick else []
        suites.append(("engines.py", ["--engine", args.db_engine, *quick]))
    if args.only:
        wanted = {name.strip() if name.strip().endswith(".py") else f"{name.strip()}.py" for name in args.only.split(",")}
        unknown = wanted - {script for script, _ in suites}
        if unknown:
            parser.error(f"--only: no benchmark {', '.join(sorted(unknown))} (engines.py needs --db-engine)")
        suites = [(script, extra) for script, extra in suites if script in wanted]
    rows_file = Path(tempfile.mkstemp(prefix="slaboard-bench-", suffix=".jsonl")[1])
    env = {**os.environ, "SLABOARD_BENCH_ROWS": str(rows_file)}
    started = time.perf_counter()
    failed = []
    for script, extra in suites:
        if not (HERE / script).exists():
            failed.append(f"{script}: missing")
            continue
        print(f"running {script} ...", file=sys.stderr, flush=True)
        result = subprocess.run([sys.executable, str(HERE / script), *extra], env=env, cwd=HERE.parent,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False)
        if result.returncode != 0:
            failed.append(f"{script}: exit {result.returncode}: {result.stderr.strip().splitlines()[-1:]}")
    rows = [json.loads(line) for line in rows_file.read_text().splitlines() if line.strip()]
    rows_file.unlink(missing_ok=True)
    header = ["suite", "figure", "value", "baseline", "ratio", "target", "met?"]
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print(" | ".join(h.ljust(w) for h, w in zip(header, widths)))
    print("-+-".join("-" * w for w in widths))
    for row in rows:
        print(" | ".join(str(c).ljust(w) for c, w in zip(row, widths)))
    missed = [r for r in rows if r[6] not in ("yes", "n/a", "-")]
    print(f"\n{len(rows)} figures, {len(missed)} missed, in {time.perf_counter() - started:.0f} s")
    for message in failed:
        print(f"FAILED {message}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
