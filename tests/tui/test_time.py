"""Time on the screens, driven with the keyboard: T on the board starts the
operator's timer on the selected call and its row says so (also after the board
is started again: the timer is stored), T again logs the time; on the call's
detail e opens the time entry dialog, which logs what it is given and refuses,
naming the field, what it cannot log (nothing is written, nothing typed lost)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from textual.widgets import Input, Static

from slaboard.services.timekeeping import time_entries
from slaboard.settings import Settings
from slaboard.store import Store
from slaboard.tui.app import SlaboardApp
from slaboard.tui.screens.detail import TicketScreen
from slaboard.tui.widgets.dialogs import TimeEntryDialog
from slaboard.tui.widgets.table import SlaTable

from .conftest import BOARD_NOW, OPERATOR, M, SmallBoard, settle, type_text


def app_at(path: Path, clock: list[datetime]) -> SlaboardApp:
    app = SlaboardApp(path, operator=OPERATOR, clock=lambda: clock[0], settings=Settings(), live=False)
    app.animation_level = "none"
    return app


def row_of(app: SlaboardApp, ticket_id: int) -> str:
    return next(line for line in app.screen.query_one(SlaTable).visible_text() if f"#{ticket_id} " in line)


def entries(path: Path) -> list:  # type: ignore[type-arg]
    with Store.open(path) as store:
        return time_entries(store)


async def test_the_timer_key_starts_and_stops_a_stored_timer(small_board: SmallBoard) -> None:
    clock = [BOARD_NOW]
    app = app_at(small_board.path, clock)
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(app, pilot)
        selected = app.screen.query_one(SlaTable).cursor_id
        assert selected is not None and "⏱" not in row_of(app, selected)
        await pilot.press("T")
        await settle(app, pilot)
        assert "⏱ 0m anna · " in row_of(app, selected)
    [running] = entries(small_board.path)
    assert running.running and running.ticket_id == selected
    clock[0] = BOARD_NOW + 25 * M
    again = app_at(small_board.path, clock)  # the board started again: the timer still runs
    async with again.run_test(size=(160, 40)) as pilot:
        await settle(again, pilot)
        assert "⏱ 25m anna · " in row_of(again, selected)
        await pilot.press("T")
        await settle(again, pilot)
        assert "⏱" not in row_of(again, selected)
    [logged] = entries(small_board.path)
    assert (logged.id, logged.minutes, logged.running) == (running.id, 25, False)


async def test_the_detail_logs_time_and_refuses_what_it_cannot_log(small_board: SmallBoard) -> None:
    clock = [BOARD_NOW]
    call = small_board.ids["late"]  # reported 4h30m before BOARD_NOW
    app = app_at(small_board.path, clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(app, pilot)
        app.open_ticket(call)
        await settle(app, pilot)
        assert isinstance(app.screen, TicketScreen)
        await pilot.press("e")
        await settle(app, pilot)
        dialog = app.screen
        assert isinstance(dialog, TimeEntryDialog)
        await type_text(pilot, "0m")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert "Not saved: minutes: '0m' must be more than 0 minutes" in str(dialog.query_one(".error", Static).render())
        assert app.focused is dialog.query_one("#time-minutes", Input)
        minutes = dialog.query_one("#time-minutes", Input)
        minutes.value = "45m"
        dialog.query_one("#time-at", Input).value = "6h ago"  # before the call was reported
        dialog.query_one("#time-note", Input).value = "rebuilt the [bold]mailbox[/] \x1b[2J"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert "before #" in str(dialog.query_one(".error", Static).render())
        assert app.focused is dialog.query_one("#time-at", Input)
        assert entries(small_board.path) == []  # nothing written, and the dialog keeps what was typed
        assert minutes.value == "45m"
        dialog.query_one("#time-at", Input).value = "2h ago"
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        assert isinstance(app.screen, TicketScreen)
        body = str(app.screen.query_one("#body", Static).render())
        assert "time spent 45m" in body and "rebuilt the [bold]mailbox[/]" in body and "\x1b" not in body
    [logged] = entries(small_board.path)
    assert (logged.ticket_id, logged.minutes, logged.started_at) == (call, 45, BOARD_NOW - 120 * M)
