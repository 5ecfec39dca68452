"""Benchmark: a call whose title and description are 1 MB each (a mail loop, a pasted
log), against the same call with a one-line title, on the board, the ticket detail
and the wall.

Run from the repository root with ``python bench/big_text.py``. It builds a small
database under a temporary folder, runs each screen headless at 120x40 and prints,
per screen, the median milliseconds of: opening it until it has painted, and then
one redraw (a board or wall tick, a detail reload), and the whole text behind
``f``, for the short call (the baseline) and the 1 MB one, with their ratio
(target: under 3x; the whole text of 2 MB is allowed more). A report: exit 0.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from common import NOW, ROOT, emit

from slaboard.services.loading import load_files
from slaboard.services.tickets import NewCall, open_call
from slaboard.settings import Settings
from slaboard.store import Store
from slaboard.tui.app import SlaboardApp, WallApp

SIZE = (120, 40)
TARGET_RATIO = 3.0
BIG = 1_000_000


def build(path: Path, title: str, description: str) -> int:
    with Store.open(path, create=True) as store:
        load_files(store, [ROOT / "sample_data" / "msp.toml"], NOW - timedelta(days=30))
        call = NewCall(customer="HFL", service="email", title=title, description=description,
                       reported_at=NOW - timedelta(minutes=20), impact=1, urgency=1)
        return open_call(store, call, "anna", NOW - timedelta(minutes=20)).ticket.id


async def board_and_detail(db: Path, ticket_id: int) -> tuple[float, float, float, float, float]:
    app = SlaboardApp(db, operator="anna", clock=lambda: NOW, settings=Settings(), live=False)
    app.animation_level = "none"
    t0 = time.perf_counter()
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        board_open = time.perf_counter() - t0
        screen = app.screen
        t0 = time.perf_counter()
        screen.tick()  # type: ignore[attr-defined]
        await pilot.pause()
        board_tick = time.perf_counter() - t0
        t0 = time.perf_counter()
        app.open_ticket(ticket_id)
        await app.workers.wait_for_complete()
        await pilot.pause()
        detail_open = time.perf_counter() - t0
        t0 = time.perf_counter()
        app.screen.load()  # type: ignore[attr-defined]
        await app.workers.wait_for_complete()
        await pilot.pause()
        detail_reload = time.perf_counter() - t0
        t0 = time.perf_counter()
        await pilot.press("f")
        await pilot.pause()
        full_text = time.perf_counter() - t0
    return board_open, board_tick, detail_open, detail_reload, full_text


async def wall(db: Path) -> tuple[float, float]:
    app = WallApp(db, clock=lambda: NOW, settings=Settings(), page_seconds=3600, live=False)
    app.animation_level = "none"
    t0 = time.perf_counter()
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        opened = time.perf_counter() - t0
        t0 = time.perf_counter()
        app.wall().redraw()
        await pilot.pause()
        redraw = time.perf_counter() - t0
    return opened, redraw


def measure(db: Path, ticket_id: int, runs: int) -> list[float]:
    samples: list[list[float]] = []
    for _ in range(runs):
        samples.append([*asyncio.run(board_and_detail(db, ticket_id)), *asyncio.run(wall(db))])
    return [statistics.median(column) * 1000 for column in zip(*samples, strict=True)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        short_db, big_db = Path(tmp) / "short.db", Path(tmp) / "big.db"
        short_id = build(short_db, "Mail stuck in the outbox", "The outbox holds 3 messages.")
        line = "Undeliverable: mail loop detected between the relay and the archive. "
        big_id = build(big_db, (line * (BIG // len(line) + 1))[:BIG], ((line + "\n") * (BIG // len(line) + 1))[:BIG])
        short = measure(short_db, short_id, args.runs)
        big = measure(big_db, big_id, args.runs)
    names = ["board: open", "board: tick", "detail: open", "detail: reload", "full text: open", "wall: open", "wall: redraw"]
    print(f"{'':<16}{'short ms':>10}{'1 MB ms':>10}{'ratio':>8}")
    rows = []
    for name, a, b in zip(names, short, big, strict=True):
        ratio = b / a if a else float("inf")
        flag = "" if ratio < TARGET_RATIO else "  MISSED"
        print(f"{name:<16}{a:>10.1f}{b:>10.1f}{ratio:>8.2f}{flag}")
        rows.append((f"1 MB call, {name} (ms)", f"{b:.1f}", f"{a:.1f}", f"{ratio:.2f}", f"< {TARGET_RATIO:g}x", ratio < TARGET_RATIO))
    emit("big_text", rows)


if __name__ == "__main__":
    main()
