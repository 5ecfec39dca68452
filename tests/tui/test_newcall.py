"""Logging a call, walked through the keyboard as an operator would, with the
database checked afterwards; and how the form looks at 80x24 and 160x48.

The autouse fixtures of conftest freeze what moves (clock, process zone, cursor
blink, user settings); the ones here add the description box's blink."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from textual import events
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static, TextArea

from slaboard.resources import data_dir
from slaboard.services.loading import load_files
from slaboard.store import Store
from slaboard.tui.screens import newcall
from slaboard.tui.screens.board import BoardScreen
from slaboard.tui.screens.newcall import NewCallScreen, parse_reported
from slaboard.tui.widgets.dialogs import ConfirmDiscard
from slaboard.tui.widgets.table import SlaTable

from .conftest import BOARD_NOW, AppFactory

NOW = BOARD_NOW  # Thursday 26 November 2026, 10:30 in Amsterdam
M = timedelta(minutes=1)
NASTY_TITLE = "[bold]Outlook[/] says \\\\srv01\\mail [@click=app.quit]x[/] \x1b[31mred 🔥 בעיה"


@pytest.fixture(autouse=True)
def no_text_area_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    """The description box's cursor stays put, like the inputs' (conftest)."""
    monkeypatch.setattr(TextArea, "_toggle_cursor_blink_visible", lambda self: None)


@pytest.fixture(autouse=True)
def quick_preview(monkeypatch: pytest.MonkeyPatch) -> None:
    """The deadlines preview waits for a pause in typing; tests do not need to wait."""
    monkeypatch.setattr(newcall, "PREVIEW_DELAY", 0.01)


@pytest.fixture
def catalog_db(tmp_path: Path) -> Path:
    """The sample contracts, customers and services; no calls yet."""
    path = tmp_path / "calls.db"
    with Store.open(path, create=True) as store:
        load_files(store, [data_dir("sample_data") / "msp.toml"], NOW - 30 * 24 * 60 * M)
    return path


async def settle(pilot: Pilot, wait: float = 0.0) -> None:  # type: ignore[type-arg]
    """Let workers (catalog, preview, save, the board's poll) land."""
    await pilot.pause(wait)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def type_text(pilot: Pilot, text: str) -> None:  # type: ignore[type-arg]
    """Key by key (slow in Pilot: ~70 ms a key), for what the test is about."""
    await pilot.press(*["space" if ch == " " else ch for ch in text])


async def paste(pilot: Pilot, text: str) -> None:  # type: ignore[type-arg]
    """Text as a terminal paste into the focused field (one event, fast)."""
    pilot.app.post_message(events.Paste(text))  # as the driver does: the app hands it to the focused widget
    await pilot.pause()


async def open_form(pilot: Pilot) -> NewCallScreen:  # type: ignore[type-arg]
    await settle(pilot)
    await pilot.press("n")
    await settle(pilot)
    assert isinstance(pilot.app.screen, NewCallScreen)
    return pilot.app.screen


async def pick_customer_and_service(pilot: Pilot, customer: str, service: str) -> None:  # type: ignore[type-arg]
    """Type part of the customer, enter picks the match; enter opens the services,
    typing jumps to one, enter takes it."""
    await type_text(pilot, customer)
    await pilot.press("enter")
    await pilot.press("enter")
    await type_text(pilot, service)
    await pilot.press("enter")


def tickets(path: Path) -> list:  # type: ignore[type-arg]
    with Store.open(path) as store:
        return [t for t, _ in store.open_tickets()]


def text_of(screen: NewCallScreen, selector: str) -> str:
    return screen.query_one(selector, Static).render().plain  # type: ignore[union-attr]


# --------------------------------------------------------------------------- the workflow


async def test_log_a_gold_customers_email_outage(catalog_db: Path, make_app: AppFactory) -> None:
    app = make_app(catalog_db)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot)
        await type_text(pilot, "harb")
        assert form.query_one("#matches", OptionList).display
        await pilot.press("enter")
        assert form.customer is not None and form.customer.code == "HFL"
        assert "Gold" in text_of(form, "#contract")
        assert "3,400/month" in text_of(form, "#contract")
        await pilot.press("enter", "e", "enter")  # the service list: E-mail
        await pilot.press("tab", "tab")  # channel stays phone
        await type_text(pilot, "Ol")
        await pilot.press("right")  # completes the contact's name
        await pilot.press("tab")
        await paste(pilot, "Nobody can send mail")
        await pilot.press("tab")
        await paste(pilot, "Bounces since 09:45")
        await pilot.press("tab", "1", "tab", "1")  # whole organisation, work has stopped
        await settle(pilot, 0.05)
        assert "P1" in text_of(form, "#matrix")
        preview = text_of(form, "#preview")
        assert "response 09:45 UTC (15m" in preview and "resolution 10:30 UTC (1h" in preview, preview  # the operator's zone
        await pilot.press("ctrl+s")
        await settle(pilot)
        await settle(pilot)

        assert isinstance(app.screen, BoardScreen)
        [t] = tickets(catalog_db)
        assert app.screen.query_one(SlaTable).cursor_id == t.id
    assert (t.customer, t.service, t.channel, t.caller) == ("harbour-finch", "email", "phone", "Olivia Hartley")
    assert (t.title, t.description) == ("Nobody can send mail", "Bounces since 09:45")
    assert (t.impact, t.urgency, t.priority, t.billable) == (1, 1, "P1", False)
    assert t.reported_at == NOW and t.response_due == NOW + 15 * M and t.resolution_due == NOW + 60 * M
    with Store.open(catalog_db) as store:
        [created] = store.events(t.id)
    assert (created.kind, created.operator) == ("created", "anna")


async def test_reported_twenty_minutes_ago_not_in_the_future(catalog_db: Path, make_app: AppFactory) -> None:
    app = make_app(catalog_db)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot)
        await pick_customer_and_service(pilot, "VDB", "print")
        form.query_one("#title", Input).focus()
        await paste(pilot, "Printer offline")
        reported = form.query_one("#reported", Input)
        reported.focus()
        await paste(pilot, "23:30")
        assert "is in the future" in text_of(form, "#reported-hint")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form and reported.value == "23:30" and tickets(catalog_db) == []
        reported.value = ""
        await type_text(pilot, "20m ago")
        assert "10:10 CET = 09:10 UTC (20m ago)" in text_of(form, "#reported-hint")  # the customer's time, and ours
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, BoardScreen)
    [t] = tickets(catalog_db)
    assert t.reported_at == NOW - 20 * M
    assert (t.customer, t.service, t.title) == ("vdberg-transport", "printing", "Printer offline")


async def test_unknown_customer_cannot_be_saved_and_nothing_typed_is_lost(catalog_db: Path, make_app: AppFactory) -> None:
    app = make_app(catalog_db)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot)
        await paste(pilot, "Acme Widgets")
        assert "no customer matches" in text_of(form, "#customer-hint")
        form.query_one("#title", Input).focus()
        await paste(pilot, "Mail down")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert form.query_one("#customer", Input).value == "Acme Widgets"
        assert form.query_one("#title", Input).value == "Mail down"
        assert "cannot save: customer" in text_of(form, "#status")
        assert app.focused is form.query_one("#customer")
    assert tickets(catalog_db) == []


async def test_empty_title_cannot_be_saved_and_nothing_typed_is_lost(catalog_db: Path, make_app: AppFactory) -> None:
    app = make_app(catalog_db)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot)
        await pick_customer_and_service(pilot, "harb", "e")
        form.query_one("#description", TextArea).focus()
        await paste(pilot, "Everything bounces")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
        assert "give a short title" in text_of(form, "#title-hint")
        assert app.focused is form.query_one("#title")
        assert form.query_one("#description", TextArea).text == "Everything bounces"
        assert form.customer is not None and form.customer.code == "HFL"
        await type_text(pilot, "   ")  # blanks are no title either
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form
    assert tickets(catalog_db) == []


async def test_contract_warnings(catalog_db: Path, make_app: AppFactory) -> None:
    """No contract, an expired one, and a service the contract does not cover."""
    app = make_app(catalog_db)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot)
        await type_text(pilot, "spaak")
        await pilot.press("enter")
        assert "No valid contract: billable at the default rate" in text_of(form, "#contract")
        form.query_one("#customer", Input).value = ""
        form.query_one("#customer", Input).focus()
        await type_text(pilot, "brabant")
        await pilot.press("enter")
        assert "Contract expired on 2025-12-31 (Bronze): billable" in text_of(form, "#contract")
        form.query_one("#customer", Input).value = ""
        form.query_one("#customer", Input).focus()
        await pick_customer_and_service(pilot, "harb", "tele")
        assert "Telephony not covered: billable at 95/h" in text_of(form, "#contract")


async def test_titles_are_stored_exactly_and_shown_literally(catalog_db: Path, make_app: AppFactory) -> None:
    app = make_app(catalog_db)
    async with app.run_test(size=(220, 30)) as pilot:
        form = await open_form(pilot)
        await pick_customer_and_service(pilot, "harb", "e")
        form.query_one("#title", Input).focus()
        await type_text(pilot, "[b]")  # typed keys, brackets and all
        await paste(pilot, NASTY_TITLE)  # the rest pasted, escape sequence included
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, BoardScreen)
        [t] = tickets(catalog_db)
        assert t.title == "[b]" + NASTY_TITLE
        lines = "\n".join(app.screen.query_one(SlaTable).visible_text())
        assert "[b][bold]Outlook[/] says \\\\srv01\\mail [@click=app.quit]x[/] ␛[31mred 🔥" in lines
        assert app.is_running  # the [@click=app.quit] did nothing


async def test_override_needs_a_reason(catalog_db: Path, make_app: AppFactory) -> None:
    app = make_app(catalog_db)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot)
        await pick_customer_and_service(pilot, "harb", "e")
        form.query_one("#title", Input).focus()
        await paste(pilot, "CEO cannot read mail")
        form.query_one("#override").focus()
        await pilot.press("enter", "P", "2", "enter")
        await pilot.pause()
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert app.screen is form and "say why" in text_of(form, "#status")
        assert app.focused is form.query_one("#reason")
        await paste(pilot, "the CEO is travelling")
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert isinstance(app.screen, BoardScreen)
    [t] = tickets(catalog_db)
    assert (t.priority, t.priority_reason, t.impact, t.urgency) == ("P2", "the CEO is travelling", 3, 3)


async def test_escape_asks_before_dropping_what_was_typed(catalog_db: Path, make_app: AppFactory) -> None:
    app = make_app(catalog_db)
    async with app.run_test(size=(80, 24)) as pilot:
        form = await open_form(pilot)
        await type_text(pilot, "harb")
        await pilot.press("escape")  # closes the list of matches first
        assert app.screen is form and not form.query_one("#matches").display
        await pilot.press("escape")
        assert isinstance(app.screen, ConfirmDiscard)
        await pilot.press("n")
        assert app.screen is form and form.query_one("#customer", Input).value == "harb"
        await pilot.press("escape", "y")
        await settle(pilot)
        assert isinstance(app.screen, BoardScreen)
        await pilot.press("n")
        await settle(pilot)
        await pilot.press("escape")  # nothing typed: leaves at once
        assert isinstance(app.screen, BoardScreen)
    assert tickets(catalog_db) == []


# --------------------------------------------------------------------------- the helpers, without Textual


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("", None),
        ("now", None),
        ("20m ago", NOW - 20 * M),
        ("20 minutes ago", NOW - 20 * M),
        ("-20m", NOW - 20 * M),
        ("1h30m ago", NOW - 90 * M),
        ("09:45", datetime(2026, 11, 26, 9, 45, tzinfo=ZoneInfo("Europe/London"))),
        ("2026-11-26T08:00", datetime(2026, 11, 26, 8, 0, tzinfo=ZoneInfo("Europe/London"))),
        ("2026-11-26T08:00+01:00", datetime(2026, 11, 26, 7, 0, tzinfo=ZoneInfo("Etc/UTC"))),
    ],
)
def test_reported_time_as_operators_say_it(typed: str, expected: datetime | None) -> None:
    assert parse_reported(typed, NOW, "Europe/London") == expected


@pytest.mark.parametrize("typed", ["yesterday", "25:00", "20x ago"])
def test_reported_time_that_cannot_be_read(typed: str) -> None:
    with pytest.raises(ValueError, match="not a (time|unit|duration)"):
        parse_reported(typed, NOW, "Europe/London")


# --------------------------------------------------------------------------- pictures


async def _filled_gold_call(pilot: Pilot) -> None:  # type: ignore[type-arg]
    await open_form(pilot)
    await pick_customer_and_service(pilot, "harb", "e")
    await pilot.press("tab", "tab")
    await type_text(pilot, "Ol")
    await pilot.press("right", "tab")
    await paste(pilot, "Nobody in the London office can send mail")
    await pilot.press("tab")
    await paste(pilot, "Every message bounces with 550 5.7.1 since 09:45.")
    await pilot.press("tab", "1", "tab", "1", "tab", "tab")
    await paste(pilot, "20m ago")
    await settle(pilot, 0.05)


async def _no_contract_call(pilot: Pilot) -> None:  # type: ignore[type-arg]
    await open_form(pilot)
    await pick_customer_and_service(pilot, "spaak", "tele")
    await pilot.press("tab", "tab")
    await type_text(pilot, "Kees")
    await pilot.press("tab")
    await paste(pilot, "Switchboard plays the night message")
    await pilot.press("tab", "tab", "2", "tab", "2")
    await settle(pilot, 0.05)


def test_new_call_gold_80x24(snap_compare, catalog_db: Path, make_app: AppFactory) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(catalog_db), terminal_size=(80, 24), run_before=_filled_gold_call)


def test_new_call_no_contract_160x48(snap_compare, catalog_db: Path, make_app: AppFactory) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(catalog_db), terminal_size=(160, 48), run_before=_no_contract_call)
