"""The NOC wall, driven with Pilot: it writes nothing, answers only to q and
space/p, survives the database going away, being locked or failing, pages through
every open call, flags new breaches, fits each terminal size, and keeps its memory
flat over days of an accelerated clock. Snapshots at 80x24, 160x48 and 250x70.

The fixtures (clock, process zone, demo and small databases) are conftest's."""

from __future__ import annotations

import functools
import gc
import sqlite3
import time
import tracemalloc
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Digits, Static

from slaboard.resources import data_dir
from slaboard.services.board import summarise
from slaboard.services.demo import build_demo
from slaboard.services.loading import load_files
from slaboard.services.tickets import NewCall, open_call, update_ticket
from slaboard.services.wall import todays_figures
from slaboard.settings import Settings
from slaboard.store import Store
from slaboard.tui.app import SlaboardApp, WallApp
from slaboard.tui.screens.board import BoardScreen
from slaboard.tui.screens.wall import WallScreen
from slaboard.tui.widgets.tiles import StateTile, WallQueue, big, clock_digits

from .conftest import BOARD_NOW, OPERATOR, H, M, SmallBoard, add_call, frozen_clock

EDITING_KEYS = ["n", "a", "d", "l", "c", "t", "r", "s", "enter", "slash", "escape", "j", "k", "down", "up",
                "g", "G", "pagedown", "home", "1", "2", "right_square_bracket", "tab", "question_mark",
                "ctrl+p", "ctrl+f", "ctrl+s", "delete", "x", "y"]


class Clock:
    """A clock a test moves by hand."""

    def __init__(self, now: datetime = BOARD_NOW) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


def make_wall(db: Path, *, live: bool = False, refresh_interval: float = 1.0, page_seconds: float = 3600,
              clock: Callable[[], datetime] = frozen_clock, bell: bool = False, theme: str | None = None) -> WallApp:
    """A wall on ``db`` with the frozen clock; pages turn by hand unless asked."""
    app = WallApp(db, clock=clock, settings=Settings(refresh_interval=refresh_interval, bell=bell),
                  page_seconds=page_seconds, live=live, theme=theme)
    app.animation_level = "none"
    return app


async def settle(app: WallApp, pilot: Pilot) -> None:  # type: ignore[type-arg]
    await app.workers.wait_for_complete()
    await pilot.pause()


async def wait_until(pilot: Pilot, condition: Callable[[], bool], timeout: float = 5.0) -> bool:  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        await pilot.pause(0.05)
    return True


def text_of(app: WallApp, selector: str) -> str:
    return str(app.wall().query_one(selector, Static).content)


def banner_shown(app: WallApp) -> bool:
    return app.wall().query_one("#stale").has_class("-shown")


def queue_text(app: WallApp) -> str:
    queue = app.wall().query_one(WallQueue)
    return "\n".join(queue.render_line(y).text for y in range(queue.size.height))


def open_ids(db: Path) -> set[int]:
    with Store.open(db, readonly=True) as store:
        return {t.id for t, _ in store.open_tickets()}


def file_state(db: Path) -> tuple[bytes, int, int, dict[str, int]]:
    """The database's bytes, mtime, data_version and row counts, read without slaboard."""
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    try:
        version = conn.execute("PRAGMA data_version").fetchone()[0]
        counts = {t: conn.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("tickets", "events", "clock_outcomes")}
    finally:
        conn.close()
    return db.read_bytes(), db.stat().st_mtime_ns, version, counts


# --------------------------------------------------------------------- what it shows


async def test_wall_shows_the_board_counts_and_the_most_urgent_calls_first(demo_db: Path, make_app) -> None:  # type: ignore[no-untyped-def]
    board = make_app(demo_db)
    async with board.run_test(size=(160, 48)) as pilot:
        await board.workers.wait_for_complete()
        await pilot.pause()
        screen = board.screen
        assert isinstance(screen, BoardScreen)
        board_order = [r.id for r in screen.visible_rows()]
        states, _, _ = summarise(list(screen.rows.values()), int(BOARD_NOW.timestamp()))

    app = make_wall(demo_db)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(app, pilot)
        wall = app.wall()
        assert wall.error is None and wall.faults == 0
        for tile in wall.query(StateTile):
            assert tile.query_one(Digits).value == str(states.get(tile.state, 0)), tile.state
        shown = wall.shown_ids()
        assert shown == board_order[: len(shown)], "the first page is the board's most urgent calls, in order"
        # Times in the MSP's zone, named, whatever the process's zone (UTC here).
        top = text_of(app, "#top")
        assert "LIVE" in top and "Thu 26 Nov 10:30 CET" in top and "data of 10:30:00 CET" in top
        assert "TODAY SINCE 00:00 CET" in text_of(app, "#today-heading")
        assert app.theme == "slaboard-contrast"
        assert not wall.query("Footer") and app.focused is None


async def test_todays_figures_count_targets_met_since_midnight(small_board: SmallBoard) -> None:
    with Store.open(small_board.path) as store:
        update_ticket(store, small_board.ids["ok"], operator="anna", now=BOARD_NOW, status="resolved", reason="fixed")
        update_ticket(store, small_board.ids["very_late"], operator="anna", now=BOARD_NOW, status="resolved", reason="fixed")
        figures = todays_figures(store, BOARD_NOW, "Europe/Amsterdam")
        tomorrow = todays_figures(store, BOARD_NOW + 24 * H, "Europe/Amsterdam")
    # Responses: the paused call's (given at 09:30 today, met), ok's (met at resolving)
    # and very_late's (missed by two hours); resolutions: both met. Plans do not count.
    assert set(figures) == {"Gold"}
    gold = figures["Gold"]
    assert (gold.response, gold.resolution, gold.met, gold.missed) == ((2, 3), (2, 2), 4, 1)
    assert gold.share == pytest.approx(0.8)
    assert tomorrow == {}


def test_big_digits_and_time_left_format() -> None:
    assert clock_digits(35 * 60) == "0:35"
    assert clock_digits(-(2 * 3600 + 59)) == "-2:00"
    assert clock_digits(101 * 3600) == "4D"
    lines = big("-1:05")
    assert len({len(line) for line in lines}) == 1 and len(lines[0]) == 15


# --------------------------------------------------------------------- read-only, keys


async def test_wall_writes_nothing_and_ignores_editing_keys(demo_db: Path) -> None:
    before = file_state(demo_db)
    app = make_wall(demo_db, live=True, refresh_interval=0.1)
    async with app.run_test(size=(160, 48), notifications=True) as pilot:
        await settle(app, pilot)
        wall = app.wall()
        assert wall.error is None
        page, ids = wall.page.index, wall.shown_ids()
        for key in EDITING_KEYS:
            await pilot.press(key)
        await pilot.pause(0.3)  # a few live polls
        assert app.screen is wall and len(app.screen_stack) == 1, "no dialog, no help, no palette"
        assert app.focused is None and not app._notifications
        assert (wall.page.index, wall.shown_ids(), wall.page.paused) == (page, ids, False)
        assert wall.polls >= 2 and wall.error is None

        await pilot.press("space")
        assert wall.page.paused and "PAUSED" in text_of(app, "#top")
        wall.turn_page()
        assert wall.page.index == page, "a paused wall stays on its page"
        await pilot.press("p")
        assert not wall.page.paused
        wall.turn_page()
        assert wall.page.index == page + 1

        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0
    assert file_state(demo_db) == before, "bytes, mtime, data_version and rows all unchanged"


async def test_wall_is_a_mode_of_the_board_app(small_board: SmallBoard) -> None:
    """What app.py needs: MODES gains the wall; the board's keys do nothing there."""

    class BoardWithWall(SlaboardApp):
        MODES = {**SlaboardApp.MODES, "wall": WallScreen}

    app = BoardWithWall(small_board.path, operator=OPERATOR, clock=frozen_clock,
                        settings=Settings(wall_page_seconds=30), live=False)
    async with app.run_test(size=(120, 40)) as pilot:
        await app.workers.wait_for_complete()
        await app.switch_mode("wall")
        await app.workers.wait_for_complete()
        await pilot.pause()
        wall = app.screen
        assert isinstance(wall, WallScreen) and wall.page_seconds == 30
        assert sorted(wall.model.rows) == sorted(small_board.ids.values())
        for key in ("n", "a", "d", "enter", "slash"):
            await pilot.press(key)
        assert app.screen is wall and len(app.screen_stack) == 1
        await app.switch_mode("board")
        assert isinstance(app.screen, BoardScreen)


# --------------------------------------------------------------------- unattended


async def test_wall_survives_the_database_going_away_and_coming_back(small_board: SmallBoard, tmp_path: Path) -> None:
    db = small_board.path
    away = tmp_path / "moved-away.db"
    app = make_wall(db, live=True, refresh_interval=0.1)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(app, pilot)
        wall = app.wall()
        ids = sorted(wall.model.rows)
        assert not banner_shown(app)

        db.rename(away)
        assert await wait_until(pilot, lambda: banner_shown(app))
        assert "no database at" in text_of(app, "#stale-text")
        assert "Showing the data of 10:30:00 CET" in text_of(app, "#stale-text")
        assert "NOT LIVE" in text_of(app, "#top")
        assert sorted(wall.model.rows) == ids, "the last good picture stays, marked as old"
        assert wall.query_one("#stale-time", Digits).value == "10:30"

        away.rename(db)
        assert await wait_until(pilot, lambda: not banner_shown(app))
        assert wall.error is None and sorted(wall.model.rows) == ids

        # Replaced by another file (a restore, a rebuilt demo): the wall reads the new one.
        build_demo(db, BOARD_NOW, history=0, seed=7)
        assert await wait_until(pilot, lambda: sorted(wall.model.rows) == sorted(open_ids(db)))
        assert not banner_shown(app)
    assert app.return_code in (0, None)


async def test_wall_starts_without_a_database_and_picks_it_up(small_board: SmallBoard, tmp_path: Path) -> None:
    db = tmp_path / "later.db"
    app = make_wall(db, live=True, refresh_interval=0.1)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert banner_shown(app) and "NO DATA" in text_of(app, "#stale-text")
        assert "Waiting for the first reading" in queue_text(app)
        db.write_bytes(small_board.path.read_bytes())
        assert await wait_until(pilot, lambda: not banner_shown(app))
        assert sorted(app.wall().model.rows) == sorted(small_board.ids.values())


async def test_wall_waits_out_a_lock(small_board: SmallBoard, monkeypatch: pytest.MonkeyPatch) -> None:
    import slaboard.store.connection as connection

    monkeypatch.setattr(connection, "BUSY_TIMEOUT_MS", 200)
    locker = sqlite3.connect(small_board.path, isolation_level=None)
    try:
        locker.execute("PRAGMA locking_mode = EXCLUSIVE")
        locker.execute("BEGIN EXCLUSIVE")
        locker.execute("UPDATE meta SET value = value WHERE 0")
        app = make_wall(small_board.path, live=True, refresh_interval=0.1)
        async with app.run_test(size=(120, 40)) as pilot:
            assert await wait_until(pilot, lambda: banner_shown(app))
            assert "locked" in text_of(app, "#stale-text")
            locker.execute("COMMIT")
            locker.execute("PRAGMA locking_mode = NORMAL")
            locker.execute("SELECT 1 FROM meta").fetchall()  # the lock goes at the next access
            locker.close()
            assert await wait_until(pilot, lambda: not banner_shown(app) and bool(app.wall().model.rows))
    finally:
        locker.close()


async def test_errors_in_the_poll_or_the_timers_never_end_the_wall(small_board: SmallBoard, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_wall(small_board.path, live=True, refresh_interval=0.1)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        wall = app.wall()
        assert wall.error is None

        def broken_read(*args: object, **kwargs: object) -> None:
            raise RuntimeError("disk on fire")

        monkeypatch.setattr(wall.feed, "read", broken_read)
        assert await wait_until(pilot, lambda: banner_shown(app))
        assert "disk on fire" in text_of(app, "#stale-text")

        def broken(*args: object, **kwargs: object) -> None:
            raise ValueError("a bug")

        monkeypatch.setattr(wall.model, "advance", broken)
        monkeypatch.setattr(wall.model, "ordered", broken)
        wall.tick()
        wall.turn_page()
        await pilot.pause(1.2)  # the real timers fire too
        assert wall.faults >= 2 and "a bug" in (wall.fault or "")
        assert app.is_running

        monkeypatch.undo()
        assert await wait_until(pilot, lambda: not banner_shown(app))
        assert app.is_running


# --------------------------------------------------------------------- paging, news


@pytest.mark.parametrize("size", [(80, 24), (160, 48), (250, 70)])
async def test_paging_covers_every_open_call(demo_db: Path, size: tuple[int, int]) -> None:
    app = make_wall(demo_db)
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        wall = app.wall()
        expected = open_ids(demo_db)
        seen: list[int] = []
        pages = wall.page_count()
        assert pages >= 2, "the demo does not fit one page at any of these sizes"
        for _ in range(pages):
            shown = wall.shown_ids()
            assert shown, "no empty page"
            assert len(shown) <= wall.query_one(WallQueue).capacity()
            seen += shown
            wall.turn_page()
            await pilot.pause()
        assert wall.page.index == 0, "the pager wraps to the first page"
        assert len(seen) == len(set(seen)), "no call twice in one round"
        assert set(seen) == expected


async def test_pages_turn_by_themselves(demo_db: Path) -> None:
    app = make_wall(demo_db, page_seconds=0.2)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        wall = app.wall()
        first = wall.shown_ids()
        assert await wait_until(pilot, lambda: wall.shown_ids() != first, timeout=3)
        await pilot.press("space")
        held = wall.shown_ids()
        await pilot.pause(0.6)
        assert wall.shown_ids() == held


@pytest.mark.parametrize("bell", [True, False])
async def test_a_new_breach_is_highlighted_and_rings_the_bell(small_board: SmallBoard, monkeypatch: pytest.MonkeyPatch, bell: bool) -> None:
    clock = Clock()
    app = make_wall(small_board.path, clock=clock, bell=bell)
    rings: list[int] = []
    monkeypatch.setattr(app, "bell", lambda: rings.append(1))
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(app, pilot)
        wall = app.wall()
        wall.turn_page()
        assert not wall.page.fresh and not rings, "calls breached before the wall started are not news"
        critical, warning = small_board.ids["critical"], small_board.ids["warning"]

        clock.advance(16 * M)  # the critical call (15m left) and the warning one (12m) breach
        wall.tick()
        assert wall.model.rows[critical].state == "breached"
        wall.turn_page()
        await pilot.pause()
        assert set(wall.page.fresh) == {critical, warning}
        assert wall.query_one("#fresh").has_class("-shown")
        assert "NEW BREACHES" in text_of(app, "#fresh") and f"#{critical}" in text_of(app, "#fresh")
        assert wall.query_one("#tile-breached").has_class("-news")
        assert rings == ([1] if bell else [])
        queue = wall.query_one(WallQueue)
        assert critical in queue.new_ids and "NEW BREACH" in queue_text(app)

        for _ in range(wall.page_count() + 1):  # once the pages have gone round, it is old news
            wall.turn_page()
        await pilot.pause()
        assert not wall.page.fresh and not wall.query_one("#fresh").has_class("-shown")
        assert rings == ([1] if bell else [])


# --------------------------------------------------------------------- sizes, text


@pytest.mark.parametrize(("size", "layout", "rows_per_call"), [
    ((80, 24), "-small", 1), ((160, 48), "-medium", 2), ((250, 70), "-large", 3),
])
async def test_layout_follows_the_terminal(demo_db: Path, size: tuple[int, int], layout: str, rows_per_call: int) -> None:
    app = make_wall(demo_db)
    async with app.run_test(size=size) as pilot:
        await settle(app, pilot)
        wall = app.wall()
        assert wall.has_class(layout)
        queue = wall.query_one(WallQueue)
        assert queue.row_height == rows_per_call
        assert queue.size.height >= 8, "the queue keeps most of the screen"
        assert queue.region.bottom <= size[1]
        capacity = queue.capacity()
        await pilot.resize_terminal(250, 70)
        await pilot.pause()
        assert wall.has_class("-large") and (layout == "-large" or queue.capacity() != capacity)


MARKUP_TITLE = "printer on fire [/] see [bold]C:\\[temp] [@click=app.quit]x[/]"


async def test_user_text_shows_as_typed(small_board: SmallBoard) -> None:
    with Store.open(small_board.path) as store:
        add_call(store, "HFL", "email", MARKUP_TITLE, BOARD_NOW - 3 * H - 50 * M)  # critical: shown big
        add_call(store, "HFL", "email", "\x1b[31mred\x1b[0m alert", BOARD_NOW - 10 * M)
    for size in ((80, 24), (250, 70)):
        app = make_wall(small_board.path)
        async with app.run_test(size=size) as pilot:
            await settle(app, pilot)
            assert app.wall().faults == 0
            text = queue_text(app) + text_of(app, "#next-0 .next-text")
            assert "printer on fire [/] see [bold]C:\\[temp]" in text
            assert "␛[31mred" in queue_text(app) and "\x1b" not in queue_text(app)
            assert app.is_running


NIGHT = BOARD_NOW.replace(hour=23, minute=0)  # Thursday 23:00 in Amsterdam, 22:00 in London


def night_board(path: Path) -> dict[str, int]:
    """At NIGHT: Zeeuwse Kust (Bronze, office hours 08:30-17:30 CET) has two minutes
    of its 4h response left since 17:30; Harbour & Finch (Gold, 24x7, London) has 28
    minutes of its 1h response left and another call two hours."""
    with Store.open(path, create=True) as store:
        load_files(store, [data_dir("sample_data") / "msp.toml"], BOARD_NOW - 30 * 24 * H)
        return {
            "office": add_call(store, "TZK", "email", "Scanner mails nothing", NIGHT.replace(hour=13, minute=32), 1, 3),
            "soon": add_call(store, "HFL", "email", "Mail stuck in the outbox", NIGHT - 32 * M, 1, 3),
            "later": add_call(store, "HFL", "email", "Signature lost", NIGHT - 2 * H, 3, 3),
        }


async def test_next_breaches_at_night_come_by_real_instant_and_stopped_clocks_say_when(tmp_path: Path) -> None:
    ids = night_board(tmp_path / "night.db")
    app = make_wall(tmp_path / "night.db", clock=lambda: NIGHT)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(app, pilot)
        wall = app.wall()
        assert wall.faults == 0
        first, second, third = (text_of(app, f"#next-{i} .next-text") for i in range(3))
        assert f"#{ids['soon']}" in first and "response breaches Thu 22:28 GMT" in first  # London's zone
        assert f"#{ids['later']}" in second and wall.query_one("#next-1 .next-left", Digits).display
        assert f"#{ids['office']}" in third
        assert "clock stopped, resumes Fri 08:30 CET · breaches Fri 08:32 CET" in third
        resume = wall.query_one("#next-2 .next-resume", Static)
        assert resume.display and not wall.query_one("#next-2 .next-left", Digits).display
        assert str(resume.content).splitlines() == ["resumes", "Fri 08:30 CET", "2m left then"]
        assert "response clock stopped, resumes Fri 08:30 CET" in queue_text(app)
        assert "response due Thu 22:28 GMT" in queue_text(app)

    app = make_wall(tmp_path / "night.db", clock=lambda: NIGHT)
    async with app.run_test(size=(250, 70)) as pilot:  # rows in big digits: the stopped one says when instead
        await settle(app, pilot)
        lines = queue_text(app).splitlines()
        first = next(i for i, line in enumerate(lines) if f"#{ids['office']}" in line)
        assert [line[:25].strip() for line in lines[first : first + 3]] == ["resumes", "▲       Fri 08:30 CET", "2m left then"]


def test_wall_snapshot_night_160x48(snap_compare, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    night_board(tmp_path / "night.db")
    app = make_wall(tmp_path / "night.db", clock=lambda: NIGHT, page_seconds=10)
    assert snap_compare(app, terminal_size=(160, 48), run_before=_first_poll)


# --------------------------------------------------------------------- memory


def forget_bounded_caches() -> None:
    """Empty every functools.lru_cache and collect garbage. Rich and Textual keep
    bounded caches of the strings they measure (rich.cells.cached_cell_len holds 4,096);
    with an accelerated clock every countdown is a new string, so while those caches
    fill they would hide what the wall itself keeps."""
    for thing in gc.get_objects():
        if isinstance(thing, functools._lru_cache_wrapper):
            thing.cache_clear()
    gc.collect()


async def test_memory_stays_flat_over_days_of_polls_and_pages(demo_db: Path) -> None:
    """A simulated day and a half in 20-minute steps: at each step another process logs
    a call and resolves the oldest one, and the wall polls (once with news, twice
    without), ticks and turns a page. Once warmed up, the memory that survives (traced
    allocations, not the process size, so a busy machine changes nothing) does not
    grow. It asserts no time: the week-long soak with its timings is bench/wall.py."""
    clock = Clock(BOARD_NOW)
    app = make_wall(demo_db, clock=clock)
    writer = Store.open(demo_db)
    queue = sorted(open_ids(demo_db))

    def another_operator() -> None:
        call = NewCall(customer="HFL", service="email", title=f"Soak call at {clock.now:%a %H:%M}", reported_at=clock.now)
        queue.append(open_call(writer, call, "dewi", clock.now).ticket.id)
        update_ticket(writer, queue.pop(0), operator="dewi", now=clock.now, status="resolved", reason="fixed")

    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(app, pilot)
            wall = app.wall()

            async def steps(count: int) -> None:
                for n in range(count):
                    clock.advance(20 * M)
                    another_operator()
                    for _ in range(3):
                        wall.kick()
                        await app.workers.wait_for_complete()
                    wall.tick()
                    wall.turn_page()
                    if n % 4 == 0:
                        await pilot.pause()  # let the screen draw

            await steps(40)  # warm-up: every demo call replaced, caches, the first figures of a day
            tracemalloc.start()
            await steps(16)  # what each step replaces is now traced too
            forget_bounded_caches()
            baseline = tracemalloc.get_traced_memory()[0]
            await steps(48)  # 16 hours, 144 polls, past midnight into a new day's figures
            forget_bounded_caches()
            growth = tracemalloc.get_traced_memory()[0] - baseline
            tracemalloc.stop()

            assert wall.polls >= 3 * 104 and wall.error is None and wall.faults == 0
            assert sorted(wall.model.rows) == sorted(open_ids(demo_db)) == queue
            assert clock.now - BOARD_NOW > 34 * H
            assert growth < 512 * 1024, f"grew by {growth / 1024:.0f} KiB over 16 simulated hours"
    finally:
        writer.close()
        if tracemalloc.is_tracing():
            tracemalloc.stop()


# --------------------------------------------------------------------- snapshots


async def _first_poll(pilot: Pilot) -> None:  # type: ignore[type-arg]
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


@pytest.mark.parametrize("size", [(80, 24), (160, 48), (250, 70)], ids=["80x24", "160x48", "250x70"])
def test_wall_snapshot(snap_compare, demo_db: Path, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_wall(demo_db, page_seconds=10), terminal_size=size, run_before=_first_poll)


def test_wall_snapshot_not_live_80x24(snap_compare, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.chdir(tmp_path)  # the banner names the file: keep the name short and fixed
    assert snap_compare(make_wall(Path("noc.db"), page_seconds=10), terminal_size=(80, 24), run_before=_first_poll)


def test_wall_snapshot_new_breach_paused_160x48(snap_compare, small_board: SmallBoard) -> None:  # type: ignore[no-untyped-def]
    clock = Clock()
    app = make_wall(small_board.path, clock=clock, page_seconds=10)

    async def breach_then_pause(pilot: Pilot) -> None:  # type: ignore[type-arg]
        await _first_poll(pilot)
        wall = app.wall()
        wall.turn_page()
        clock.advance(13 * M)  # the warning call (12m left) breaches
        wall.tick()
        wall.turn_page()
        await pilot.pause()

    assert snap_compare(app, terminal_size=(160, 48), run_before=breach_then_pause, press=["space"])
