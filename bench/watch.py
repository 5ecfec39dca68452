"""Benchmark: the escalation watcher (``slaboard watch``) over 5,000 open calls.

Run from the repository root with ``python bench/watch.py``. It builds a database
of its own (under bench/data/, rebuilt on every run: its calls are logged in the
last two hours of the real clock) with 5,000 open calls across customers whose
levels have escalation rules (people by role and "assignee", and a webhook), and
prints:

(a) the median and 95th-percentile milliseconds a watcher (in this process) takes
    after one change of one call (another connection changes its priority): one
    ``Watcher.step()`` (the change feed read, the call's thresholds worked out and
    pushed on the heap, what is due told), and the re-evaluation alone (what
    ``Watcher.evaluations`` records), beside the baseline of re-evaluating all
    5,000 calls from scratch (every open call read with its clocks and every
    threshold worked out, as ``slaboard watch --once`` does);
(b) the CPU seconds (utime + stime from /proc/PID/stat) that ``slaboard watch``,
    run as a process of its own on the real clock, uses over a quiet window
    (``--quiet-seconds``, default 60) in which no threshold falls: the next one is
    more than two minutes past the window's end, which the script checks and prints.

Mail points at a loopback port nothing listens on and the webhook likewise, so
nothing can be sent (and nothing is due: the P1 calls' "opened" escalations are
recorded as told when they were logged, as a watcher running then would have).
A report, not a test: a missed target prints MISSED and it exits 0.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
for _path in (ROOT / "bench", ROOT / "src", ROOT):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from common import DATA, SEED, TITLES, emit

from slaboard.domain import Event, PriorityEntry, StatusEntry, Ticket, priority_for
from slaboard.services.clocks import clocks_for
from slaboard.services.escalations import Escalator, Watcher
from slaboard.services.loading import load_files
from slaboard.services.tickets import open_views, update_ticket
from slaboard.settings import MailSettings, parse_smtp
from slaboard.store import Store

OPEN = 5_000
CHANGE_TARGET = 0.010  # seconds per change
QUIET_TARGET = 0.5  # CPU seconds per minute of a quiet watcher
SPREAD = timedelta(hours=2)  # the calls were logged in the last two hours
MARGIN = timedelta(minutes=2)  # no threshold within this of the quiet window's end
OPERATORS = ["anna", "bram", "chris", "dewi"]

CATALOG = """\
[msp]
name = "Bench MSP"
tz = "Europe/Amsterdam"
default_hourly_rate = 110

[calendars.office]
tz = "Europe/Amsterdam"
hours = { mon = [["08:30", "17:30"]], tue = [["08:30", "17:30"]], wed = [["08:30", "17:30"]], thu = [["08:30", "17:30"]], fri = [["08:30", "17:30"]] }
holiday_country = "NL"

[calendars.extended]
tz = "Europe/Amsterdam"
hours = { mon = [["07:00", "22:00"]], tue = [["07:00", "22:00"]], wed = [["07:00", "22:00"]], thu = [["07:00", "22:00"]], fri = [["07:00", "22:00"]], sat = [["09:00", "13:00"]] }
holiday_country = "NL"

[calendars.always]
always_open = true

[levels.gold]
name = "Gold"
calendar = "always"
response   = { P1 = "4h", P2 = "6h", P3 = "8h", P4 = "12h" }
plan       = { P1 = "6h", P2 = "8h", P3 = "12h", P4 = "1bd" }
resolution = { P1 = "8h", P2 = "1bd", P3 = "2bd", P4 = "3bd" }
warning = 0.70
critical = 0.90
escalation = [
  { at = "opened", priority = ["P1"], notify = ["on-call", "webhook:noc"] },
  { at = "warning", notify = ["assignee"] },
  { at = "critical", notify = ["team-lead"] },
  { at = "breached", clock = ["response", "plan", "resolution"], notify = ["service-manager", "webhook:noc"] },
]

[levels.silver]
name = "Silver"
calendar = "extended"
response   = { P1 = "4h", P2 = "6h", P3 = "8h", P4 = "1bd" }
resolution = { P1 = "8h", P2 = "1bd", P3 = "2bd", P4 = "3bd" }
escalation = [
  { at = "warning", clock = ["resolution"], notify = ["assignee"] },
  { at = "critical", clock = ["resolution"], notify = ["team-lead"] },
  { at = "breached", notify = ["service-manager", "webhook:noc"] },
]

[levels.bronze]
name = "Bronze"
calendar = "office"
response   = { P1 = "4h", P2 = "8h", P3 = "1bd", P4 = "2bd" }
resolution = { P1 = "1bd", P2 = "2bd", P3 = "3bd", P4 = "5bd" }
warning_left = "30m"
escalation = [
  { at = "warning", clock = ["resolution"], notify = ["assignee"] },
  { at = "breached", clock = ["resolution"], notify = ["service-manager"] },
]

[services.email]
name = "E-mail"
[services.network]
name = "Network"
[services.workstations]
name = "Workstations"
[services.servers]
name = "Servers"

[people.anna]
name = "Anna de Boer"
email = "anna@msp.example"
[people.bram]
email = "bram@msp.example"
[people.chris]
email = "chris@msp.example"
tz = "Europe/London"
[people.dewi]
email = "dewi@msp.example"
[people.lee]
name = "Lee Park"
email = "lee@msp.example"
roles = ["team-lead"]
tz = "America/New_York"
[people.sam]
email = "sam@msp.example"
roles = ["service-manager", "on-call"]

[webhooks.noc]
url = "{url}"
timeout = 1
"""
CUSTOMERS = [  # key, zone, level
    ("acme", "Europe/Amsterdam", "gold"), ("polder", "Europe/Amsterdam", "gold"),
    ("harbour", "Europe/London", "gold"), ("lotus", "Asia/Singapore", "gold"),
    ("delft", "Europe/Amsterdam", "silver"), ("spree", "Europe/Berlin", "silver"),
    ("schelde", "Europe/Brussels", "silver"), ("tulip", "America/New_York", "silver"),
    ("kramer", "Europe/Amsterdam", "bronze"), ("vaart", "Europe/Amsterdam", "bronze"),
    ("zeeuws", "Europe/Amsterdam", "bronze"), ("noord", "Europe/Amsterdam", "bronze"),
]


def unused_port() -> int:
    """A loopback port that nothing listens on (taken and let go at once)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def catalog(port: int) -> str:
    text = CATALOG.replace("{url}", f"http://127.0.0.1:{port}/hook")
    for key, tz, level in CUSTOMERS:
        text += f'\n[customers.{key}]\nname = "{key.title()} B.V."\ntz = "{tz}"\n'
    for key, _, level in CUSTOMERS:
        text += (f'\n[[contracts]]\ncustomer = "{key}"\nlevel = "{level}"\nvalid_from = 2020-01-01\n'
                 'services = ["email", "network", "workstations", "servers"]\n')
    return text


def build(path: Path, toml: Path, now: datetime) -> None:
    """5,000 open calls logged in the last two hours, written in one transaction;
    the P1 calls' "opened" escalation recorded as told when each was logged."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    rng = random.Random(SEED + 2)
    store = Store.open(path, create=True)
    load_files(store, [toml], now - timedelta(days=1))
    customers = store.customers()
    in_force = {c.key: store.contract_in_force(c.key, now.date()) for c in customers}
    services = [s.key for s in store.services()]
    with store.write():
        for n in range(OPEN):
            customer = rng.choice(customers)
            contract = in_force[customer.key]
            reported = now - timedelta(seconds=rng.randrange(60, int(SPREAD.total_seconds())))
            impact, urgency = rng.randint(1, 3), rng.randint(1, 3)
            priority = priority_for(impact, urgency)
            statuses = [StatusEntry(at=reported, status="new")]
            if rng.random() < 0.6:
                statuses.append(StatusEntry(at=reported + timedelta(seconds=rng.randrange(30, 50)), status="in_progress"))
            ticket = Ticket(
                id=0, customer=customer.key, contract_id=contract.id if contract else None, service=rng.choice(services),
                title=f"{rng.choice(TITLES)} ({n})", impact=impact, urgency=urgency, priority=priority,
                status=statuses[-1].status, assignee=rng.choice(["", *OPERATORS]), reported_at=reported,
                created_at=reported, updated_at=statuses[-1].at, statuses=statuses,
                priorities=[PriorityEntry(at=reported, priority=priority)])
            dues = {f"{name}_due": c.due.astimezone(UTC)
                    for name, c in clocks_for(ticket, contract, customer.tz, statuses[-1].at).items()}
            stored = store.insert_ticket(ticket.model_copy(update=dues), customer.tz,
                                         [Event(ticket_id=0, at=reported, operator="bench", kind="created")])
            if priority == "P1" and contract is not None and contract.terms.level == "gold":
                store.add_escalation({"ticket_id": stored.id, "clock": "call", "threshold": "opened",
                                      "instant": reported, "queued_at": reported, "queued_by": "bench",
                                      "recipients": ["sam", "webhook:noc"]})
    store.close()


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), in seconds."""
    with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5, help="runs of the from-scratch baseline")
    parser.add_argument("--quiet-seconds", type=float, default=60.0)
    parser.add_argument("--profile", action="store_true", help="also print cProfile's top functions of the changes' steps")
    args = parser.parse_args()
    wall = time.perf_counter()
    DATA.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="slaboard-watch-"))
    smtp_port, hook_port = unused_port(), unused_port()
    toml = work / "catalog.toml"
    toml.write_text(catalog(hook_port), encoding="utf-8")
    settings = work / "settings.toml"
    settings.write_text(f'[mail]\nfrom = "support@msp.example"\nsmtp = "smtp+plain://127.0.0.1:{smtp_port}"\n',
                        encoding="utf-8")
    mail = MailSettings(from_address="support@msp.example", smtp=parse_smtp(f"smtp+plain://127.0.0.1:{smtp_port}"))
    path = DATA / f"watch-{OPEN}.db"
    started = time.perf_counter()
    build(path, toml, datetime.now(UTC).replace(microsecond=0))
    built = time.perf_counter() - started

    # ---------------------------------------------------------------- (a) one change
    writer = Store.open(path)
    escalator = Escalator(writer, mail)

    def from_scratch() -> list[object]:
        now = datetime.now(UTC)
        views = open_views(writer, now)
        return [t for view in views for t in escalator.thresholds(view)]

    base = statistics.median(_timed(from_scratch, args.runs))
    thresholds = from_scratch()
    watcher = Watcher(path, mail, clock=lambda: datetime.now(UTC))
    t0 = time.perf_counter()
    watcher.step()  # the first look: every open call
    first_look = time.perf_counter() - t0
    if watcher._hooks_thread is not None:
        watcher._hooks_thread.join()
    heap_before = len(watcher.heap)
    rng = random.Random(SEED + 3)
    candidates = [v.ticket.id for v in watcher.views.values() if v.ticket.priority != "P1" and v.clocks]
    steps: list[float] = []
    evaluations: list[float] = []
    changed = 0
    profiler = cProfile.Profile() if args.profile else None
    for _ in range(args.changes):
        ticket_id = rng.choice(candidates)
        current = watcher.views[ticket_id].ticket.priority
        impact, urgency = rng.choice([iu for iu in [(1, 2), (2, 2), (2, 3)] if priority_for(*iu) != current])
        update_ticket(writer, ticket_id, operator="bench", now=datetime.now(UTC), impact=impact, urgency=urgency)
        before = len(watcher.evaluations)
        if profiler is not None:
            profiler.enable()
        t0 = time.perf_counter()
        watcher.step()
        steps.append(time.perf_counter() - t0)
        if profiler is not None:
            profiler.disable()
        if len(watcher.evaluations) > before:
            evaluations.append(watcher.evaluations[-1])
            changed += 1
        if watcher._hooks_thread is not None:  # the webhook round a change starts, outside the timing
            watcher._hooks_thread.join()
    heap_after = len(watcher.heap)
    told_in_a = writer.conn.execute("SELECT COUNT(*) FROM escalations WHERE queued_by != 'bench'").fetchone()[0]
    watcher.close()

    # what falls next, from now: the quiet window must hold none
    now = datetime.now(UTC)
    views = open_views(writer, now)
    ts = int(now.timestamp())
    due = [(v, t) for v in views for t in escalator.thresholds(v) if t.instant <= ts and t.reached]
    untold = [t for _, t in due if not writer.escalation_told(t.ticket_id, t.clock, t.threshold, t.moment)]
    ahead = min(t.instant for v in views for t in escalator.thresholds(v) if t.instant > ts)
    writer.close()

    # ---------------------------------------------------------------- (b) a quiet watcher's CPU
    env = {k: v for k, v in os.environ.items() if k not in ("SLABOARD_NOW", "SLABOARD_DB", "SLABOARD_SMTP")}
    env.update(SLABOARD_SETTINGS=str(settings), PYTHONPATH=os.pathsep.join(
        [str(ROOT / "src"), *filter(None, [os.environ.get("PYTHONPATH")])]))
    log = work / "watch.log"
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.Popen([sys.executable, "-m", "slaboard", "watch", "--db", str(path)], cwd=ROOT, env=env,
                                stdout=out, stderr=subprocess.STDOUT)
    quiet_cpu = startup_cpu = float("nan")
    window_end = None
    problem = ""
    try:
        t0 = time.perf_counter()
        while "watching" not in log.read_text(encoding="utf-8") and proc.poll() is None and time.perf_counter() - t0 < 60:
            time.sleep(0.1)
        # settled: its first look (every open call) done, less than 20 ms of CPU in a second
        last = cpu_seconds(proc.pid)
        while proc.poll() is None and time.perf_counter() - t0 < 60:
            time.sleep(1.0)
            now_cpu = cpu_seconds(proc.pid)
            if now_cpu - last < 0.02:
                break
            last = now_cpu
        if proc.poll() is not None:
            problem = f"slaboard watch exited {proc.returncode}: {log.read_text(encoding='utf-8').strip()[-300:]}"
        else:
            startup_cpu = cpu_seconds(proc.pid)
            lines_before = len(log.read_text(encoding="utf-8").splitlines())
            time.sleep(args.quiet_seconds)
            quiet_cpu = cpu_seconds(proc.pid) - startup_cpu
            window_end = datetime.now(UTC)
            said = log.read_text(encoding="utf-8").splitlines()[lines_before:]
            if said:
                problem = f"the watcher logged {len(said)} lines in the window: {said[:2]}"
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
    next_after_window = (ahead - window_end.timestamp()) / 60 if window_end is not None else float("nan")
    quiet_ok = window_end is not None and ahead > window_end.timestamp() + MARGIN.total_seconds()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    for leftover in work.iterdir():
        leftover.unlink()
    work.rmdir()

    step_med, step_p95 = statistics.median(steps), pct(steps, 0.95)
    eval_med = statistics.median(evaluations) if evaluations else float("nan")
    per_minute = quiet_cpu * 60 / args.quiet_seconds
    print(f"slaboard watch benchmark: {OPEN:,} open calls ({len(thresholds):,} thresholds) across {len(CUSTOMERS)} "
          f"customers on 3 levels with escalation rules; built in {built:.1f} s; {changed} of {args.changes} changes "
          f"seen one by one; on {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}")
    print(f"{'figure':<52} {'value':>10} {'baseline (all from scratch)':>28} {'ratio':>8}  target   met?")
    rows: list[tuple[str, str, str, str, str, object]] = []

    def row(label: str, value: float, target: float | None) -> None:
        met = "-" if target is None else ("yes" if value < target else "MISSED")
        goal = "-" if target is None else f"<{target * 1000:.0f}ms"
        ratio = f"1/{base / value:.0f}" if value < base / 10 else f"{value / base:.2f}x"
        print(f"{label:<52} {value * 1000:>8.2f}ms {base * 1000:>26.0f}ms {ratio:>8}  {goal:<7}  {met}")
        rows.append((label, f"{value * 1000:.2f} ms", f"{base * 1000:.0f} ms (all {OPEN:,} from scratch)",
                     ratio, goal.replace("<", "< "), "-" if target is None else value < target))

    row(f"one change: watcher step, median of {len(steps)}", step_med, CHANGE_TARGET)
    row("one change: watcher step, 95th percentile", step_p95, None)
    row("one change: re-evaluation alone (evaluations), median", eval_med, None)
    row(f"watcher's first look: all {OPEN:,} calls (once)", first_look, None)
    met = "yes" if per_minute < QUIET_TARGET and quiet_ok and not problem else "MISSED"
    print(f"{'quiet watcher (slaboard watch), CPU over ' + format(args.quiet_seconds, '.0f') + ' s':<52} "
          f"{quiet_cpu:>9.3f}s {'-':>28} {'':>8}  <{QUIET_TARGET}s/min {met}")
    print(f"  that is {quiet_cpu / args.quiet_seconds * 100:.2f}% of one CPU, {per_minute:.3f} CPU s per minute; "
          f"its start-up (first look at every call) used {startup_cpu:.2f} CPU s")
    print(f"heap: {heap_before:,} thresholds after the first look, {heap_after:,} after {args.changes} changes "
          f"(a change's stale ones are dropped once the heap holds twice the live ones); told during (a): {told_in_a}; due and not told before (b): "
          f"{len(untold)}; next threshold {next_after_window:.0f} min after the quiet window's end "
          f"({'ok' if quiet_ok else 'TOO CLOSE: the window was not quiet'})")
    if problem:
        print(f"problem: {problem}")
    if profiler is not None:
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(20)
        print(out.getvalue())
    print(f"in {time.perf_counter() - wall:.0f} s")
    rows.append((f"quiet watcher, CPU over {args.quiet_seconds:.0f} s",
                 f"{quiet_cpu:.3f} s ({quiet_cpu / args.quiet_seconds * 100:.2f}% of a CPU)", "-", "-", f"< {QUIET_TARGET} s/min",
                 met == "yes"))
    emit("watch", rows)
    return 0


def _timed(fn, runs: int) -> list[float]:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return samples


if __name__ == "__main__":
    raise SystemExit(main())
