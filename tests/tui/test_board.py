"""The board's behaviour, driven with Pilot: order, colour, filter, views, sort, the
cursor across refreshes, changes from other processes, the stale banner, user text,
the detail screen, help, the command palette and themes.

Most tests use the small board (conftest.SMALL_CALLS: one call of each kind at known
times); the ones about many rows moving use the demo database."""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
from textual.binding import Binding
from textual.command import CommandList, CommandPalette
from textual.pilot import Pilot
from textual.widgets import Input, Static

from slaboard.services.board import GLYPHS
from slaboard.services.demo import build_demo
from slaboard.services.tickets import update_ticket
from slaboard.settings import Settings
from slaboard.store import Store
from slaboard.tui.app import SlaboardApp
from slaboard.tui.screens.board import BoardScreen
from slaboard.tui.screens.detail import TicketScreen
from slaboard.tui.screens.help import HelpScreen
from slaboard.tui.widgets.table import SlaTable

from .conftest import BOARD_NOW, BOARD_NOW_ISO, AppFactory, H, M, SmallBoard, add_call, frozen_clock, settle, type_text

WIDE = (160, 30)
TALL = (160, 48)  # every demo row on screen

# The small board in urgency order: breached (most overdue first), then by time
# left (the warning call with 12m left before the critical one with 15m), then the
# paused call, then the call without an SLA.
SMALL_ORDER = ["very_late", "late", "warning", "critical", "silver", "ok", "mine", "paused", "billable"]
SMALL_STATES = {
    "very_late": "breached", "late": "breached", "warning": "warning", "critical": "critical",
    "silver": "ok", "ok": "ok", "mine": "ok", "paused": "paused", "billable": "none",
}


# --------------------------------------------------------------------- helpers



async def wait_until(pilot: Pilot, condition: Callable[[], bool], timeout: float = 2.0) -> bool:  # type: ignore[type-arg]
    """Pause in small steps until ``condition`` holds; False after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        await pilot.pause(0.05)
    return True



def board(app: SlaboardApp) -> BoardScreen:
    assert isinstance(app.screen, BoardScreen), f"expected the board, got {type(app.screen).__name__}"
    return app.screen


def table(app: SlaboardApp) -> SlaTable:
    return board(app).query_one(SlaTable)


def shown_ids(app: SlaboardApp) -> list[int]:
    return [row.id for row in table(app).rows]


def screen_text(app: SlaboardApp) -> str:
    return "\n".join(table(app).visible_text())


def screen_lines(app: SlaboardApp) -> list[str]:
    """The whole terminal as text, line by line, as the operator sees it."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def static_text(screen: object, selector: str) -> str:
    return str(screen.query_one(selector, Static).content)  # type: ignore[attr-defined]


def named(small: SmallBoard, *names: str) -> list[int]:
    return [small.ids[n] for n in names]


# --------------------------------------------------------------------- order


async def test_small_board_is_ordered_breached_first_then_by_time_left(small_board: SmallBoard, make_app: AppFactory) -> None:
    app = make_app(small_board.path)
    async with app.run_test(size=WIDE) as pilot:
        await settle(app, pilot)
        assert shown_ids(app) == named(small_board, *SMALL_ORDER)
        assert [r.state for r in table(app).rows] == [SMALL_STATES[n] for n in SMALL_ORDER]
        # The screen shows the same order as the model.
        lines = table(app).visible_text()[1 : len(SMALL_ORDER) + 1]
        for line, name in zip(lines, SMALL_ORDER, strict=True):
            assert f"#{small_board.ids[name]} " in line
        assert [line.split()[1] for line in lines[:4]] == ["-2h00m", "-30m", "12m", "15m"]
        assert [line.split()[1] for line in lines[-2:]] == ["paused", "no"]


async def test_demo_board_order_holds_for_every_row(demo_db: Path, make_app: AppFactory) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=TALL) as pilot:
        await settle(app, pilot)
        rows = table(app).rows
        assert len(rows) >= 30
        group = {"breached": 0, "critical": 1, "warning": 1, "ok": 1, "paused": 2, "none": 3}
        groups = [group[r.state] for r in rows]
        assert groups == sorted(groups), "breached, then running clocks, then paused, then no SLA"
        assert set(groups) == {0, 1, 2, 3}, "the demo has calls of every kind"
        for g in (0, 1):  # most overdue first, then least time left first
            left = [r.view.leading.remaining for r in rows if group[r.state] == g]  # type: ignore[union-attr]
            assert left == sorted(left)


# --------------------------------------------------------------------- colour


def _segment_with(strip: object, text: str):  # type: ignore[no-untyped-def]
    for segment in strip:  # type: ignore[attr-defined]
        if text in segment.text:
            return segment
    raise AssertionError(f"no segment holds {text!r}")


@pytest.mark.parametrize("theme", ["slaboard-dark", "slaboard-light", "slaboard-colourblind", "slaboard-contrast"])
async def test_rows_are_coloured_and_marked_by_their_leading_clock(small_board: SmallBoard, make_app: AppFactory, theme: str) -> None:
    app = make_app(small_board.path, theme=theme)
    async with app.run_test(size=WIDE) as pilot:
        await settle(app, pilot)
        t = table(app)
        colour = {s: t.get_component_rich_style(f"slatable--{s}").color for s in GLYPHS}
        calm = t.get_component_rich_style("slatable--calm").color
        urgent = [colour["breached"], colour["critical"], colour["warning"], colour["ok"]]
        assert len(set(urgent)) == 4, f"{theme}: breached, critical, warning and ok need four colours"
        assert {s for s in GLYPHS} == {r.state for r in t.rows}, "the small board has every state"
        for y, row in enumerate(t.rows, start=1):
            lead = row.view.leading
            assert row.state == (lead.state if lead is not None else "none")
            strip = t.render_line(y)
            assert strip.text.lstrip().startswith(GLYPHS[row.state]), strip.text
            assert _segment_with(strip, GLYPHS[row.state]).style.color == colour[row.state]
            left = strip.text.split()[1]
            assert _segment_with(strip, left).style.color == colour[row.state]
            # The whole row takes the state's colour, except calm (ok) rows.
            title = _segment_with(strip, row.view.ticket.title[:12])
            assert title.style.color == (calm if row.state == "ok" else colour[row.state])


async def test_demo_rows_state_and_glyph_match_their_clock(demo_db: Path, make_app: AppFactory) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=TALL) as pilot:
        await settle(app, pilot)
        t = table(app)
        for y, row in enumerate(t.rows, start=1):
            lead = row.view.leading
            assert row.state == (lead.state if lead is not None else "none"), f"#{row.id}"
            strip = t.render_line(y)
            glyph = _segment_with(strip, GLYPHS[row.state])
            assert glyph.style.color == t.get_component_rich_style(f"slatable--{row.state}").color, f"#{row.id}"


async def test_summary_counts_states_and_levels_and_names_the_next_breach(small_board: SmallBoard, make_app: AppFactory) -> None:
    app = make_app(small_board.path)
    async with app.run_test(size=WIDE) as pilot:
        await settle(app, pilot)
        summary = static_text(board(app), "#summary")
        for part in ("✖ 2 breached", "▲ 1 critical", "◆ 1 warning", "● 3 ok", "Ⅱ 1 paused", "· 1 no SLA",
                     "Gold 7", "Silver 1", "none 1"):
            assert part in summary
        warning = small_board.ids["warning"]
        assert f"next breach in 12m: #{warning} Hotel De Gouden Gracht" in summary
        assert "Calendar invites arrive twice" in summary
        assert "anna · refreshed 09:30:00" in summary  # BOARD_NOW in the pinned UTC zone


async def test_summary_fits_an_80_column_terminal(small_board: SmallBoard, make_app: AppFactory) -> None:
    app = make_app(small_board.path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        top = "\n".join(screen_lines(app)[:3])
        assert "✖ 2 breached" in top
        assert "next breach in 12m" in top
        assert "refreshed 09:30:00" in top


async def test_the_last_call_is_on_screen_at_80x24(demo_db: Path, make_app: AppFactory) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        t = table(app)
        await pilot.press("G")
        await pilot.pause()
        last = t.rows[-1].id
        assert t.cursor_id == last
        assert any(f"#{last} " in line for line in screen_lines(app)), "the cursor's call is not on screen"
        assert not t.show_horizontal_scrollbar, "nothing on the board is wider than the terminal"


async def test_countdown_moves_every_second_without_reading_the_database(small_board: SmallBoard, make_app: AppFactory) -> None:
    now = [BOARD_NOW]
    app = make_app(small_board.path, clock=lambda: now[0])
    async with app.run_test(size=WIDE) as pilot:
        await settle(app, pilot)
        screen = board(app)
        assert screen.feed is not None
        reads: list[bool] = []
        real_poll = screen.feed.poll
        screen.feed.poll = lambda *a, **kw: (reads.append(True), real_poll(*a, **kw))[1]  # type: ignore[method-assign]
        now[0] = BOARD_NOW + 20 * M
        critical = small_board.ids["critical"]
        assert await wait_until(pilot, lambda: screen.rows[critical].state == "breached", timeout=2.5)
        assert next(line for line in table(app).visible_text() if f"#{critical} " in line).split()[1] == "-5m"
        assert shown_ids(app)[:4] == named(small_board, "very_late", "late", "warning", "critical")
        assert "✖ 4 breached" in static_text(screen, "#summary")
        assert reads == [], "a countdown tick must not touch the database"


# --------------------------------------------------------------------- filter

FILTERS = [
    ("VDB", ["silver"]),  # customer code
    ("gouden", ["warning", "mine"]),  # part of a customer name, any case
    ("flickers", ["critical"]),  # title text
    ("invites arrive", ["warning"]),  # title text with a space
    ("bram", ["late"]),  # assignee
    ("#1004", ["very_late"]),  # ticket number
    ("P1", ["silver"]),  # priority
]


async def _filter_cases(app: SlaboardApp, pilot: Pilot, small: SmallBoard, cases: list[tuple[str, list[str]]]) -> None:  # type: ignore[type-arg]
    """Each needle in turn, in one session (typing is the slow part of these tests)."""
    box = board(app).query_one("#filter", Input)
    for needle, names in cases:
        await pilot.press("slash")
        assert box.has_focus and box.display
        await type_text(pilot, needle)
        assert board(app).filter_text == needle
        assert shown_ids(app) == named(small, *names), needle
        shown = [line for line in table(app).visible_text()[1:] if line.strip()]
        assert len(shown) == len(names), needle
        await pilot.press("escape")


async def test_filter_shows_only_matching_rows(small_board: SmallBoard, make_app: AppFactory) -> None:
    app = make_app(small_board.path)
    async with app.run_test(size=WIDE) as pilot:
        await settle(app, pilot)
        await _filter_cases(app, pilot, small_board, FILTERS)


async def test_filter_matches_what_the_row_shows(small_board: SmallBoard, make_app: AppFactory) -> None:
    app = make_app(small_board.path)
    async with app.run_test(size=WIDE) as pilot:
        await settle(app, pilot)
        await _filter_cases(app, pilot, small_board, [("wait cust", ["paused"]), ("no sla", ["billable"])])


async def test_escape_clears_the_filter_and_enter_keeps_it(small_board: SmallBoard, make_app: AppFactory) -> None:
    app = make_app(small_board.path)
    async with app.run_test(size=WIDE) as pilot:
        await settle(app, pilot)
        everything = shown_ids(app)
        box = board(app).query_one("#filter", Input)

        await pilot.press("slash")
        await type_text(pilot, "HFL")
        assert len(shown_ids(app)) == 5
        await pilot.press("escape")  # in the box
        await pilot.pause()
        assert board(app).filter_text == "" and box.value == ""
        assert not box.display and table(app).has_focus
        assert shown_ids(app) == everything

        await pilot.press("slash")
        await type_text(pilot, "flickers")
        await pilot.press("enter")  # keep the filter, back to the table
        await pilot.pause()
        assert table(app).has_focus and box.display
        assert shown_ids(app) == [small_board.ids["critical"]]
        await pilot.press("escape")  # on the table
        await pilot.pause()
        assert shown_ids(app) == everything and not box.display


async def test_filter_without_a_match_says_so(small_board: SmallBoard, make_app: AppFactory) -> None:
    app = make_app(small_board.path)
    async with app.run_test(size=WIDE) as pilot:
        await settle(app, pilot)
        await pilot.press("slash")
        await type_text(pilot, "zzz")
        assert shown_ids(app) == []
        assert "No open calls match 'zzz'" in screen_text(app)


# --------------------------------------------------------------------- views and sort


async def test_views_cycle_with_the_bracket_key(small_board: SmallBoard, make_app: AppFactory) -> None:
    expected = [
        ("mine", ["warning", "mine"]),  # assigned to anna, the operator
        ("unassigned", ["very_late", "critical", "ok", "paused", "billable"]),
        ("breached", ["very_late", "late"]),
        ("level-gold", ["very_late", "late", "warning", "critical", "ok", "mine", "paused"]),
        ("level-silver", ["silver"]),
        ("all", SMALL_ORDER),
    ]
    app = make_app(small_board.path)
    async with app.run_test(size=WIDE) as pilot:
        await settle(app, pilot)
        assert board(app).view_keys() == ["all", "mine", "unassigned", "breached", "level-gold", "level-silver"]
        for view, names in expected:
            await pilot.press("right_square_bracket")
            await pilot.pause()
            assert board(app).view_key == view
            assert shown_ids(app) == named(small_board, *names), view


async def test_views_by_number_and_backwards(small_board: SmallBoard, make_app: AppFactory) -> None:
    app = make_app(small_board.path)
    async with app.run_test(size=WIDE) as pilot:
        await settle(app, pilot)
        await pilot.press("4")
        await pilot.pause()
        assert board(app).view_key == "breached"
        await pilot.press("left_square_bracket")
        await pilot.pause()
        assert board(app).view_key == "unassigned"
        await pilot.press("2")
        await pilot.pause()
        # A view and a filter together: anna's calls about Wi-Fi.
        await pilot.press("slash")
        await type_text(pilot, "wi-fi")
        assert shown_ids(app) == [small_board.ids["mine"]]


async def test_empty_view_says_so(small_board: SmallBoard, make_app: AppFactory) -> None:
    app = make_app(small_board.path, operator="erik")
    async with app.run_test(size=WIDE) as pilot:
        await settle(app, pilot)
        await pilot.press("2")
        await pilot.pause()
        assert board(app).view_key == "mine" and shown_ids(app) == []
        assert "No open calls in this view." in screen_text(app)


async def test_s_cycles_the_sort_and_keeps_the_cursor(small_board: SmallBoard, make_app: AppFactory) -> None:
    by_priority = ["silver", "warning", "very_late", "late", "critical", "ok", "mine", "paused", "billable"]
    oldest_first = ["very_late", "late", "critical", "paused", "billable", "warning", "ok", "mine", "silver"]
    by_customer = ["billable", "very_late", "late", "critical", "ok", "paused", "warning", "mine", "silver"]
    newest_first = ["silver", "mine", "critical", "billable", "warning", "very_late", "paused", "late", "ok"]
    expected = [
        ("priority", by_priority, "priority"),
        ("age", oldest_first, "oldest first"),
        ("customer", by_customer, "customer"),
        ("newest", newest_first, "newest first"),
        ("urgency", SMALL_ORDER, "time to breach"),
    ]
    app = make_app(small_board.path)
    async with app.run_test(size=WIDE) as pilot:
        await settle(app, pilot)
        await pilot.press("j", "j")
        cursor = table(app).cursor_id
        assert cursor == small_board.ids["warning"]
        for key, names, label in expected:
            await pilot.press("s")
            await pilot.pause()
            assert board(app).sort_key == key
            assert shown_ids(app) == named(small_board, *names), key
            assert static_text(board(app), "#sortinfo").endswith(label)
            assert table(app).cursor_id == cursor


# --------------------------------------------------------------------- live


async def test_cursor_stays_on_its_ticket_when_other_rows_move(demo_db: Path, make_app: AppFactory) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=TALL) as pilot:
        await settle(app, pilot)
        t = table(app)
        await pilot.press(*["j"] * 12)
        chosen = t.cursor_id
        assert chosen == t.rows[12].id
        above = [r.id for r in t.rows[:2]]
        with Store.open(demo_db) as other:  # another operator, another connection
            new_id = add_call(other, "HFL", "email", "Nobody can send mail", BOARD_NOW - 8 * H, 1, 1)
            for ticket_id in above:
                update_ticket(other, ticket_id, operator="bram", now=BOARD_NOW, status="resolved", reason="fixed")
        await pilot.press("r")
        await settle(app, pilot)
        ids = shown_ids(app)
        assert new_id in ids[:11] and not set(above) & set(ids), "the refresh reached the board"
        assert t.cursor_id == chosen
        assert t.cursor_row == 11, "one call came in above it, two above it left"
        line = t.render_line(t.cursor_row + 1)
        assert f"#{chosen} " in line.text
        cursor_bg = t.get_component_rich_style("slatable--cursor").bgcolor
        assert all(seg.style.bgcolor == cursor_bg for seg in line if seg.text.strip())


async def test_cursor_follows_its_ticket_when_it_moves(demo_db: Path, make_app: AppFactory) -> None:
    app = make_app(demo_db)
    async with app.run_test(size=TALL) as pilot:
        await settle(app, pilot)
        t = table(app)
        await pilot.press(*["j"] * 25)
        chosen = t.cursor_id
        assert chosen is not None and t.rows[25].state == "ok"
        with Store.open(demo_db) as other:  # the call turns out to stop a whole organisation
            update_ticket(other, chosen, operator="bram", now=BOARD_NOW, impact=1, urgency=1)
        await pilot.press("r")
        await settle(app, pilot)
        assert t.cursor_id == chosen
        assert t.cursor_row < 25, "a P1 call moves up the board"
        assert f"#{chosen} " in t.render_line(t.cursor_row + 1).text


async def test_a_call_logged_by_another_process_shows_within_a_second_or_two(small_board: SmallBoard, make_app: AppFactory) -> None:
    app = make_app(small_board.path, live=True, refresh_interval=0.3)
    env = {**os.environ, "SLABOARD_DB": str(small_board.path), "SLABOARD_NOW": BOARD_NOW_ISO, "SLABOARD_OPERATOR": "bram"}
    async with app.run_test(size=WIDE) as pilot:
        await settle(app, pilot)
        before = set(shown_ids(app))
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "slaboard", "ticket", "new", "--customer", "HGG", "--service", "network",
            "--title", "Written by another process", "--impact", "1", "--urgency", "1", "--json",
            env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), timeout=30)
        assert proc.returncode == 0, err.decode()
        new_id = json.loads(out)["id"]
        assert new_id not in before
        assert await wait_until(pilot, lambda: new_id in shown_ids(app), timeout=2.0), "the new call never showed"
        assert "Written by another process" in screen_text(app)
        assert set(shown_ids(app)) == before | {new_id}


async def test_a_change_by_another_connection_shows_without_a_key(small_board: SmallBoard, make_app: AppFactory) -> None:
    app = make_app(small_board.path, live=True, refresh_interval=0.3)
    async with app.run_test(size=WIDE) as pilot:
        await settle(app, pilot)
        ticket_id = small_board.ids["ok"]
        with Store.open(small_board.path) as other:
            update_ticket(other, ticket_id, operator="dewi", now=BOARD_NOW, assignee="dewi", status="in_progress")
        assert await wait_until(pilot, lambda: board(app).rows[ticket_id].view.ticket.assignee == "dewi")
        line = next(line for line in table(app).visible_text() if f"#{ticket_id} " in line)
        assert "dewi" in line and "working" in line


async def test_without_live_polling_only_r_reads_the_database(small_board: SmallBoard, make_app: AppFactory) -> None:
    app = make_app(small_board.path, live=False, refresh_interval=0.3)
    async with app.run_test(size=WIDE) as pilot:
        await settle(app, pilot)
        with Store.open(small_board.path) as other:
            new_id = add_call(other, "HFL", "email", "Quietly added", BOARD_NOW - 5 * M)
        await pilot.pause(0.8)
        assert new_id not in shown_ids(app)
        await pilot.press("r")
        await settle(app, pilot)
        assert new_id in shown_ids(app)


# --------------------------------------------------------------------- stale banner


def _scribble_over(db: Path) -> None:
    """Garbage over the database and its WAL files, in place (the same files the
    board has open), as a failing disk or a careless copy would leave them."""
    for suffix in ("", "-wal", "-shm"):
        f = Path(f"{db}{suffix}")
        if f.exists():
            size = max(f.stat().st_size, 4096)
            with f.open("r+b") as handle:
                handle.write(b"not a database! " * (size // 16))


def _restore(db: Path, good: bytes) -> None:
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    db.write_bytes(good)


async def test_banner_shows_when_the_database_cannot_be_read_and_goes_away_after(small_board: SmallBoard, make_app: AppFactory) -> None:
    good = small_board.path.read_bytes()
    app = make_app(small_board.path)
    async with app.run_test(size=WIDE) as pilot:
        await settle(app, pilot)
        banner = board(app).query_one("#banner", Static)
        assert not banner.has_class("-shown") and not banner.display
        ids = shown_ids(app)

        _scribble_over(small_board.path)
        await pilot.press("r")
        await settle(app, pilot)
        assert banner.has_class("-shown") and banner.display
        text = static_text(board(app), "#banner")
        assert text.startswith("NOT LIVE — cannot read the database")
        assert "showing data from 09:30:00" in text
        assert shown_ids(app) == ids, "the last good data stays on the board"

        _restore(small_board.path, good)
        await pilot.press("r")
        await settle(app, pilot)
        assert not banner.has_class("-shown") and not banner.display
        assert shown_ids(app) == ids


@pytest.mark.parametrize("broken", ["garbage", "missing"])
async def test_board_starts_on_an_unreadable_database_and_recovers(small_board: SmallBoard, make_app: AppFactory, tmp_path: Path, broken: str) -> None:
    path = tmp_path / "later.db"
    if broken == "garbage":
        path.write_bytes(b"not a database! " * 512)
    app = make_app(path)
    async with app.run_test(size=WIDE) as pilot:
        await settle(app, pilot)
        text = static_text(board(app), "#banner")
        assert text.startswith("NOT LIVE — cannot read the database") and "showing data from never" in text
        assert shown_ids(app) == []
        if broken == "garbage":
            path.unlink()
        shutil.copy(small_board.path, path)
        await pilot.press("r")
        await settle(app, pilot)
        assert not board(app).query_one("#banner").has_class("-shown")
        assert shown_ids(app) == named(small_board, *SMALL_ORDER)


async def test_board_notices_a_database_rebuilt_under_it(small_board: SmallBoard, make_app: AppFactory) -> None:
    app = make_app(small_board.path)
    async with app.run_test(size=WIDE) as pilot:
        await settle(app, pilot)
        before = shown_ids(app)
        build_demo(small_board.path, BOARD_NOW, history=0, seed=7)  # unlinks the file and builds a new one
        await pilot.press("r")
        await settle(app, pilot)
        assert shown_ids(app) != before or board(app).query_one("#banner").has_class("-shown")


# --------------------------------------------------------------------- user text

MARKUP_TITLE = "printer on fire [/] see [bold]C:\\[temp] [@click=app.quit]x[/]"
ESCAPE_TITLE = "\x1b[31mred\x1b[0m alert"


async def test_user_text_shows_as_typed(small_board: SmallBoard, make_app: AppFactory) -> None:
    with Store.open(small_board.path) as store:
        # Ten minutes left: the next breach, so the title is in the summary too.
        markup_id = add_call(store, "HFL", "email", MARKUP_TITLE, BOARD_NOW - 3 * H - 50 * M)
        escape_id = add_call(store, "HGG", "email", ESCAPE_TITLE, BOARD_NOW - 20 * M)
    app = make_app(small_board.path, operator="ann[/]a")
    async with app.run_test(size=(200, 30)) as pilot:
        await settle(app, pilot)
        text = screen_text(app)
        assert MARKUP_TITLE in text
        assert "␛[31mred␛[0m alert" in text
        assert "\x1b" not in text
        summary = static_text(board(app), "#summary")
        assert f"#{markup_id} Harbour & Finch Ltd — {MARKUP_TITLE}" in summary
        assert "ann[/]a · refreshed" in summary

        # The brackets can be typed into the filter too.
        await pilot.press("slash")
        await type_text(pilot, "[bold]c:\\[temp]")
        assert shown_ids(app) == [markup_id]
        await pilot.press("enter", "enter")  # keep the filter, open the call
        await settle(app, pilot)
        assert isinstance(app.screen, TicketScreen)
        assert static_text(app.screen, "#title").startswith(f"#{markup_id}  {MARKUP_TITLE}")
        await pilot.press("escape")
        await pilot.pause()

        await pilot.press("escape", "slash")
        await type_text(pilot, "red")
        assert escape_id in shown_ids(app)
        assert app.is_running and app.return_code is None


# --------------------------------------------------------------------- screens


async def test_enter_opens_the_ticket_and_escape_returns(small_board: SmallBoard, make_app: AppFactory) -> None:
    critical = small_board.ids["critical"]
    app = make_app(small_board.path)
    async with app.run_test(size=(100, 40)) as pilot:
        await settle(app, pilot)
        await pilot.press("j", "j", "j")
        assert table(app).cursor_id == critical
        await pilot.press("enter")
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, TicketScreen) and screen.ticket_id == critical
        assert static_text(screen, "#title").startswith(f"#{critical}  Laptop screen flickers")
        body = static_text(screen, "#body")
        for part in ("Harbour & Finch Ltd (HFL)", "response clock", "resolution clock", "critical", "15m left"):
            assert part in body
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, BoardScreen)
        assert table(app).cursor_id == critical
        await pilot.press("enter")
        await settle(app, pilot)
        await pilot.press("q")  # back, not quit
        await pilot.pause()
        assert isinstance(app.screen, BoardScreen) and app.is_running


def _binding_ids() -> set[str]:
    return {
        b.id for cls in (BoardScreen, SlaTable, SlaboardApp, TicketScreen)
        for b in cls.BINDINGS if isinstance(b, Binding) and b.id
    }


async def test_help_lists_every_binding(small_board: SmallBoard, make_app: AppFactory) -> None:
    app = make_app(small_board.path)
    async with app.run_test(size=WIDE) as pilot:
        await settle(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = "\n".join(str(s.content) for s in app.screen.query(Static))
        listed = set(re.findall(r"[a-z]+\.[a-z_0-9]+", text))
        # The nine view keys may share a line: "board.view_1 .. board.view_9".
        for first, last in re.findall(r"board\.view_(\d) \.\. board\.view_(\d)", text):
            listed |= {f"board.view_{n}" for n in range(int(first), int(last) + 1)}
        missing = sorted(_binding_ids() - listed)
        assert not missing, f"help does not list {missing}"
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, BoardScreen)


async def test_command_palette_lists_the_board_actions(small_board: SmallBoard, make_app: AppFactory) -> None:
    app = make_app(small_board.path)
    async with app.run_test(size=WIDE) as pilot:
        await settle(app, pilot)
        await pilot.press("ctrl+p")
        palette = app.screen
        assert isinstance(palette, CommandPalette)
        commands = palette.query_one(CommandList)

        def prompts() -> list[str]:
            return [str(commands.get_option_at_index(i).prompt) for i in range(commands.option_count)]

        assert await wait_until(pilot, lambda: any(p.startswith("Filter calls") for p in prompts()))
        assert any(p.startswith("Next view") for p in prompts())
        await type_text(pilot, "filter calls")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, BoardScreen)
        assert board(app).query_one("#filter", Input).has_focus


async def test_keymap_from_settings_remaps_a_binding_by_id(small_board: SmallBoard) -> None:
    app = SlaboardApp(small_board.path, operator="anna", clock=frozen_clock, live=False,
                      settings=Settings(keymap={"board.filter": "f"}))
    async with app.run_test(size=WIDE) as pilot:
        await settle(app, pilot)
        await pilot.press("f")
        await pilot.pause()
        assert board(app).query_one("#filter", Input).has_focus
        assert ("f", "board.filter") in [(keys, binding_id) for keys, binding_id, *_ in app.key_rows()]


# --------------------------------------------------------------------- themes


async def test_unknown_theme_falls_back_to_dark_with_a_notice(small_board: SmallBoard, make_app: AppFactory) -> None:
    app = make_app(small_board.path, theme="no-such-theme")
    async with app.run_test(size=WIDE) as pilot:
        await settle(app, pilot)
        assert app.theme == "slaboard-dark"
        messages = [n.message for n in app._notifications]
        assert any("unknown theme 'no-such-theme'" in m and "slaboard-contrast" in m for m in messages), messages
        assert shown_ids(app) == named(small_board, *SMALL_ORDER)


async def test_shipped_themes_are_registered_and_the_settings_theme_is_used(small_board: SmallBoard) -> None:
    app = SlaboardApp(small_board.path, operator="anna", clock=frozen_clock, live=False,
                      settings=Settings(theme="slaboard-contrast"))
    async with app.run_test(size=WIDE) as pilot:
        await settle(app, pilot)
        assert app.slaboard_themes() == ["slaboard-colourblind", "slaboard-contrast", "slaboard-dark", "slaboard-light"]
        assert app.theme == "slaboard-contrast"
        assert not list(app._notifications)


async def test_a_forced_refresh_asked_during_a_poll_is_forced_when_it_runs(small_board: SmallBoard,
                                                                          make_app: AppFactory) -> None:
    """r while a poll runs (the feed would skip an unchanged file) re-reads everything after it."""
    app = make_app(small_board.path, live=False)
    async with app.run_test(size=WIDE) as pilot:
        await settle(app, pilot)
        screen = board(app)
        asked: list[bool] = []
        screen._poll_worker = asked.append  # type: ignore[method-assign]
        screen._polling = True  # a poll is running
        screen.poll()
        screen.poll(force=True)
        screen.poll()
        assert asked == []  # nothing runs beside the running poll
        screen._poll_finished()
        assert asked == [True]
        screen._polling = True
        screen.poll()
        screen._poll_finished()
        assert asked == [True, False]


async def test_a_refused_resolve_is_a_one_line_notice_and_the_call_stays_open(small_board: SmallBoard,
                                                                              make_app: AppFactory) -> None:
    """An operator whose clock is behind resolves a call reported after that time:
    the screen says why in one notice, keeps running, and nothing is written."""
    mine = small_board.ids["mine"]  # reported ten minutes before BOARD_NOW

    def behind() -> datetime:
        return BOARD_NOW - 20 * M

    app = make_app(small_board.path, clock=behind)
    async with app.run_test(size=(100, 40), notifications=True) as pilot:
        await settle(app, pilot)
        app.open_ticket(mine)
        await settle(app, pilot)
        await pilot.press("v")
        await settle(app, pilot)
        await type_text(pilot, "rebooted the access point")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        messages = [n.message for n in app._notifications]
        refusals = [m for m in messages if f"ticket #{mine} was reported at" in m]
        assert len(refusals) == 1 and "nothing was recorded" in refusals[0] and "\n" not in refusals[0], messages
        assert app.is_running and isinstance(app.screen, TicketScreen) and app.screen.ticket_id == mine
    with Store.open(small_board.path) as store:
        ticket = store.ticket(mine)
        assert ticket is not None and ticket.status == "new" and ticket.resolved_at is None


async def test_reopen_on_the_ticket_screen_and_a_reopen_someone_else_made_first(small_board: SmallBoard,
                                                                                make_app: AppFactory) -> None:
    """`o` reopens a resolved call; when another operator reopened it since the
    screen was drawn, the second reopen is one notice saying it is already open."""
    from slaboard.services.tickets import reopen_ticket

    ok, mine = small_board.ids["ok"], small_board.ids["mine"]
    with Store.open(small_board.path) as store:
        for ticket_id in (ok, mine):
            update_ticket(store, ticket_id, operator="dewi", now=BOARD_NOW, status="resolved", reason="fixed")
    app = make_app(small_board.path)
    async with app.run_test(size=(100, 40), notifications=True) as pilot:
        await settle(app, pilot)
        app.open_ticket(ok)
        await settle(app, pilot)
        await pilot.press("o")
        await settle(app, pilot)
        with Store.open(small_board.path) as store:
            assert store.ticket(ok).status == "in_progress"  # type: ignore[union-attr]
        await pilot.press("escape")
        app.open_ticket(mine)
        await settle(app, pilot)
        with Store.open(small_board.path) as other:
            reopen_ticket(other, mine, operator="bram", now=BOARD_NOW, reason="customer called back")
        await pilot.press("o")
        await settle(app, pilot)
        messages = [n.message for n in app._notifications]
        assert any(f"ticket #{mine} is already open" in m and "nothing was recorded" in m for m in messages), messages
        assert app.is_running
    with Store.open(small_board.path) as store:
        reopens = [e.operator for e in store.events(mine) if e.kind == "status" and e.new == "in_progress"]
    assert reopens == ["bram"]
