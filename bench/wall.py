"""Benchmark: the NOC wall over a simulated week of an accelerated clock.

Run from the repository root with ``python bench/wall.py [--days 7]``. It builds the
demo database in a scratch folder, and in 20-minute steps another process logs a
call and resolves the oldest one while the wall polls (once with news, twice
without), ticks and turns a page. It prints the memory that survives (traced
allocations) after the first day, which is the baseline, and at the end, with the
growth per simulated day, the wall's milliseconds per step on the second and the last
day (both under tracemalloc, which slows every step alike) (the ratio shows whether it slows as days pass), and the process's peak size.
The suite's test of the same loop (tests/tui/test_wall.py) asserts no time; this is
where the timings are. A report: exit 0.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import gc
import resource
import statistics
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime, timedelta
from pathlib import Path

from common import NOW, ROOT, emit

sys.path.insert(0, str(ROOT / "src"))

from slaboard.services.demo import build_demo  # noqa: E402
from slaboard.services.tickets import NewCall, open_call, update_ticket  # noqa: E402
from slaboard.settings import Settings  # noqa: E402
from slaboard.store import Store  # noqa: E402
from slaboard.tui.app import WallApp  # noqa: E402

STEP = timedelta(minutes=20)
STEPS_A_DAY = 72
TARGETS = {"growth_kib_per_day": 64.0, "step_ratio": 1.5}


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def forget_bounded_caches() -> None:
    """Empty every lru_cache (Rich's cell-length cache fills with each new countdown
    string) and collect, so what is left is what the wall itself keeps."""
    for thing in gc.get_objects():
        if isinstance(thing, functools._lru_cache_wrapper):
            thing.cache_clear()
    gc.collect()


async def soak(db: Path, days: int) -> dict[str, float]:
    clock = Clock(NOW)
    app = WallApp(db, clock=clock, settings=Settings(refresh_interval=1.0, bell=False), page_seconds=3600, live=False)
    app.animation_level = "none"
    with Store.open(db, readonly=True) as store:
        queue = sorted(t.id for t, _ in store.open_tickets())
    writer = Store.open(db)
    step_ms: list[float] = []
    figures: dict[str, float] = {}
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            await app.workers.wait_for_complete()
            await pilot.pause()
            wall = app.wall()
            for n in range(days * STEPS_A_DAY):
                clock.now += STEP
                call = NewCall(customer="HFL", service="email", title=f"Soak call at {clock.now:%a %H:%M}",
                               reported_at=clock.now)
                queue.append(open_call(writer, call, "dewi", clock.now).ticket.id)
                update_ticket(writer, queue.pop(0), operator="dewi", now=clock.now, status="resolved", reason="fixed")
                t0 = time.perf_counter()
                for _ in range(3):
                    wall.kick()
                    await app.workers.wait_for_complete()
                wall.tick()
                wall.turn_page()
                if n % 4 == 0:
                    await pilot.pause()
                step_ms.append((time.perf_counter() - t0) * 1000)
                if n + 1 == STEPS_A_DAY:
                    forget_bounded_caches()
                    tracemalloc.start()
                if n + 1 == 2 * STEPS_A_DAY:
                    forget_bounded_caches()
                    figures["baseline_kib"] = tracemalloc.get_traced_memory()[0] / 1024
            forget_bounded_caches()
            figures["end_kib"] = tracemalloc.get_traced_memory()[0] / 1024
            tracemalloc.stop()
            figures["faults"] = float(wall.faults) + (1.0 if wall.error else 0.0)
    finally:
        writer.close()
    figures["first_day_ms"] = statistics.median(step_ms[STEPS_A_DAY:2 * STEPS_A_DAY])  # traced, like the last
    figures["last_day_ms"] = statistics.median(step_ms[-STEPS_A_DAY:])
    figures["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=7, help="simulated days (at least 3)")
    args = parser.parse_args()
    days = max(3, args.days)
    with tempfile.TemporaryDirectory(prefix="slaboard-wall-") as folder:
        db = Path(folder) / "demo.db"
        build_demo(db, now=NOW)
        started = time.perf_counter()
        f = asyncio.run(soak(db, days))
        took = time.perf_counter() - started
    measured_days = days - 2  # traced from the end of day 1; the baseline is taken at the end of day 2
    growth = (f["end_kib"] - f["baseline_kib"]) / measured_days
    ratio = f["last_day_ms"] / f["first_day_ms"] if f["first_day_ms"] else 0.0
    rows = [
        (f"traced memory after day 2 / day {days} (KiB)", f"{f['end_kib']:.0f}", f"{f['baseline_kib']:.0f}",
         f"{f['end_kib'] / f['baseline_kib']:.2f}", "-", "n/a"),
        ("growth per simulated day (KiB)", f"{growth:.1f}", "-", "-", f"< {TARGETS['growth_kib_per_day']:.0f}",
         growth < TARGETS["growth_kib_per_day"]),
        ("ms per step (traced), last day / day 2", f"{f['last_day_ms']:.1f}", f"{f['first_day_ms']:.1f}", f"{ratio:.2f}",
         f"< {TARGETS['step_ratio']}x", ratio < TARGETS["step_ratio"]),
        ("peak process size (MB)", f"{f['peak_mb']:.0f}", "-", "-", "-", "n/a"),
        ("wall faults", f"{f['faults']:.0f}", "-", "-", "0", f["faults"] == 0),
    ]
    print(f"wall soak: {days} simulated days, {days * STEPS_A_DAY} steps, {3 * days * STEPS_A_DAY} polls, in {took:.0f} s")
    for figure, value, baseline, r, goal, met in rows:
        mark = met if isinstance(met, str) else ("yes" if met else "MISSED")
        print(f"  {figure:<44} {value:>8}  baseline {baseline:>8}  ratio {r:>5}  target {goal:<8} {mark}")
    emit("wall", rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
