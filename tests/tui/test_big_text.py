"""A call whose title and description are a megabyte each (a mail loop, a pasted
log): the detail header, the board row and the wall draw a bounded start of them,
and the whole text is one key away in a scrolling view, nothing lost."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Static

from slaboard.services.tickets import NewCall, open_call
from slaboard.store import Store
from slaboard.textfmt import HEADLINE_CHARS
from slaboard.tui.screens.detail import TicketScreen
from slaboard.tui.screens.full_text import FullTextScreen
from slaboard.tui.widgets.table import CELLS, SlaTable
from slaboard.tui.widgets.tiles import NextBreach

from .conftest import BOARD_NOW, AppFactory, M, SmallBoard, settle
from .test_wall import make_wall

MB = 1_000_000
LINE = "Undeliverable: mail loop between the relay and the archive. "
TITLE = (LINE * (MB // len(LINE) + 1))[:MB] + "END-OF-TITLE"
DESCRIPTION = ((LINE + "\n") * (MB // len(LINE) + 1))[:MB] + "END-OF-DESCRIPTION"


def log_big_call(path: Path) -> int:
    """A P3 call of Harbour & Finch (24x7): 10 of its 60 response minutes left, the
    first to breach on the small board."""
    with Store.open(path) as store:
        call = NewCall(customer="HFL", service="email", title=TITLE, description=DESCRIPTION,
                       impact=1, urgency=3, reported_at=BOARD_NOW - 50 * M)
        return open_call(store, call, "dewi", BOARD_NOW - 50 * M).ticket.id


async def test_detail_caps_the_header_and_the_description_and_f_shows_them_whole(
        small_board: SmallBoard, make_app: AppFactory) -> None:
    big = log_big_call(small_board.path)
    app = make_app(small_board.path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.open_ticket(big)
        await settle(app, pilot)
        screen = app.screen
        assert isinstance(screen, TicketScreen)
        header = screen.query_one("#title", Static)
        assert str(header.content).startswith(f"#{big}  Undeliverable: mail loop")
        assert len(str(header.content)) < 200 and header.region.height <= 3
        body = str(screen.query_one("#body", Static).content)
        assert len(body) < 10_000
        assert "The title is 1,000,012 characters long (f: the whole text)." in body
        assert "more characters of the description (f: the whole text)" in body
        assert "response clock" in body  # what follows the description is still there

        await pilot.press("f")
        await pilot.pause()
        full = app.screen
        assert isinstance(full, FullTextScreen)
        lines = full.shown_lines()
        width = max(len(line) for line in lines)
        assert width <= 80
        assert lines[0] == "TITLE" and "DESCRIPTION" in lines
        text = "".join(lines)
        assert "END-OF-TITLE" in text and text.rstrip().endswith("END-OF-DESCRIPTION")  # nothing lost
        assert len(lines) > 2 * MB // 80
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, TicketScreen) and app.is_running


async def test_the_board_row_and_the_wall_draw_a_bounded_title(small_board: SmallBoard, make_app: AppFactory) -> None:
    big = log_big_call(small_board.path)
    app = make_app(small_board.path)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(app, pilot)
        table = app.screen.query_one(SlaTable)
        row = next(r for r in table.rows if r.id == big)
        cell = CELLS["title"](row, int(BOARD_NOW.timestamp()))
        assert cell.startswith("Undeliverable") and len(cell) <= HEADLINE_CHARS and cell.endswith("…")

    wall = make_wall(small_board.path)
    async with wall.run_test(size=(250, 70)) as pilot:
        await settle(wall, pilot)
        assert wall.wall().faults == 0
        first = wall.wall().query_one("#next-0", NextBreach)
        text = str(first.text.content)
        assert f"#{big}" in text and len(text) < 2 * HEADLINE_CHARS
        queue = wall.wall().queue
        title_pieces = queue._title(queue.rows[[r.id for r in queue.rows].index(big)])
        assert sum(len(piece) for piece, _ in title_pieces) <= HEADLINE_CHARS
