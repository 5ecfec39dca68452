"""Quick triage walked through with single keys, the database checked afterwards;
a save over someone else's change; and how the screen looks at 80x24 and 160x48.

conftest freezes the clock, the process zone (UTC), the cursor blink and settings."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Static

from slaboard.resources import data_dir
from slaboard.services.loading import load_files
from slaboard.services.tickets import NewCall, open_call, update_ticket
from slaboard.store import Store
from slaboard.tui.screens.board import BoardScreen
from slaboard.tui.screens.triage import TriageScreen

from .conftest import BOARD_NOW, AppFactory

NOW = BOARD_NOW
M = timedelta(minutes=1)
ODD_TITLE = "Printer [offline] \\\\srv01\\queue [/] \x1b[2J 🖨"

# name -> (customer, service, title, reported how long ago, description); oldest first.
NEW_CALLS = {
    "mail": ("HFL", "email", "Nobody in the London office can send mail", 40 * M,
             "Every message bounces with 550 5.7.1 since about 09:45.\nThe board meets at 11."),
    "phone": ("SPK", "telephony", "Switchboard plays the night message", 25 * M, ""),
    "printer": ("VDB", "printing", ODD_TITLE, 10 * M, "Paper jam light? [red]blinks[/red]"),
}


@pytest.fixture
def triage_db(tmp_path: Path) -> tuple[Path, dict[str, int]]:
    """Three new, unassigned calls; one new but taken, one being worked on (neither to triage)."""
    path = tmp_path / "triage.db"
    ids: dict[str, int] = {}
    with Store.open(path, create=True) as store:
        load_files(store, [data_dir("sample_data") / "msp.toml"], NOW - 30 * 24 * 60 * M)

        def call(customer: str, service: str, title: str, ago: timedelta, description: str = "") -> int:
            new = NewCall(customer=customer, service=service, title=title, description=description, reported_at=NOW - ago)
            return open_call(store, new, "dewi", NOW - ago).ticket.id

        ids["taken"] = call("HGG", "network", "Guest Wi-Fi login page does not load", 50 * M)
        update_ticket(store, ids["taken"], operator="bram", now=NOW - 45 * M, assignee="bram")
        ids["working"] = call("KBA", "email", "Shared mailbox missing", 60 * M)
        update_ticket(store, ids["working"], operator="dewi", now=NOW - 30 * M, status="in_progress")
        for name, (customer, service, title, ago, description) in NEW_CALLS.items():
            ids[name] = call(customer, service, title, ago, description)
    return path, ids


async def settle(pilot: Pilot) -> None:  # type: ignore[type-arg]
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def open_triage(pilot: Pilot) -> TriageScreen:  # type: ignore[type-arg]
    await settle(pilot)
    await pilot.press("t")
    await settle(pilot)
    assert isinstance(pilot.app.screen, TriageScreen)
    return pilot.app.screen


async def keys(pilot: Pilot, *pressed: str) -> None:  # type: ignore[type-arg]
    """Single keys, then the previews and saves they started land."""
    await pilot.press(*pressed)
    await settle(pilot)


def text_of(screen: TriageScreen, selector: str) -> str:
    return screen.query_one(selector, Static).render().plain  # type: ignore[union-attr]


async def test_triage_three_new_calls(triage_db: tuple[Path, dict[str, int]], make_app: AppFactory) -> None:
    path, ids = triage_db
    app = make_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        triage = await open_triage(pilot)
        assert "call 1 of 3" in text_of(triage, "#heading")  # the taken and the worked-on calls are not here
        assert text_of(triage, "#call-title") == NEW_CALLS["mail"][2]
        await keys(pilot, "n")
        assert text_of(triage, "#call-title") == NEW_CALLS["phone"][2]
        await keys(pilot, "p")
        assert "call 1 of 3" in text_of(triage, "#heading")

        # 1: a department, work has stopped -> P2; mine.
        await keys(pilot, "2", "q", "m")
        result = text_of(triage, "#result")
        assert "P4 → P2" in result and "late" in result, result  # 40 minutes old: P2's 30m response is gone
        assert "→ anna" in text_of(triage, "#assignee")
        await keys(pilot, "enter")

        # 2: the whole organisation, degraded -> P2; typed to bram.
        assert text_of(triage, "#call-title") == NEW_CALLS["phone"][2]
        assert "no contract" in text_of(triage, "#call-head")
        await keys(pilot, "1", "w", "a")
        await pilot.press(*"bram", "enter")
        await settle(pilot)
        assert "→ bram" in text_of(triage, "#assignee")
        await keys(pilot, "enter")

        # 3: the odd title shows as typed; the service is really the network; mine.
        assert text_of(triage, "#call-title") == "Printer [offline] \\\\srv01\\queue [/] ␛[2J 🖨"
        assert "[red]blinks[/red]" in text_of(triage, "#description")
        await keys(pilot, "s")
        await pilot.press("n", "e", "t", "enter")
        await settle(pilot)
        assert "covered" in text_of(triage, "#service-hint")
        await keys(pilot, "m", "enter")

        assert "3 saved" in text_of(triage, "#heading") and "last call" in text_of(triage, "#call-head")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, BoardScreen)

    with Store.open(path) as store:
        mail, phone, printer, taken = (store.ticket(ids[n]) for n in ("mail", "phone", "printer", "taken"))
        assert mail and phone and printer and taken
        assert (mail.impact, mail.urgency, mail.priority, mail.assignee, mail.service) == (2, 1, "P2", "anna", "email")
        assert (phone.impact, phone.urgency, phone.priority, phone.assignee) == (1, 2, "P2", "bram")
        assert (printer.impact, printer.urgency, printer.priority) == (3, 3, "P4")
        assert (printer.service, printer.assignee, printer.billable, printer.title) == ("network", "anna", False, ODD_TITLE)
        assert mail.resolution_due == mail.reported_at + 4 * 60 * M  # Gold P2: 4h, around the clock
        assert taken.assignee == "bram" and taken.version == 2  # not in the queue, not touched
        changes = {n: [(e.operator, e.field) for e in store.events(ids[n]) if e.kind != "created"] for n in ("mail", "phone", "printer")}
    assert changes["mail"] == [("anna", "impact"), ("anna", "urgency"), ("anna", "priority"), ("anna", "assignee"),
                               ("anna", "response_due"), ("anna", "plan_due"), ("anna", "resolution_due")]
    assert {f for _, f in changes["phone"]} == {"impact", "urgency", "priority", "assignee"}  # no SLA: no deadlines
    assert {op for op, _ in changes["phone"]} == {"anna"}
    assert changes["printer"][:2] == [("anna", "service"), ("anna", "assignee")]


async def test_a_fast_operators_keys_all_count(triage_db: tuple[Path, dict[str, int]], make_app: AppFactory) -> None:
    """Typed in one go: the next call's keys are not lost while the last one saves."""
    path, ids = triage_db
    app = make_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        triage = await open_triage(pilot)
        await keys(pilot, "2", "q", "m", "enter", "1", "w", "m", "enter")
        assert "2 saved" in text_of(triage, "#heading") and "call 3 of 3" in text_of(triage, "#heading")
    with Store.open(path) as store:
        mail, phone = store.ticket(ids["mail"]), store.ticket(ids["phone"])
        assert mail and phone
        assert (mail.priority, mail.assignee, phone.priority, phone.assignee) == ("P2", "anna", "P2", "anna")


async def test_someone_else_changed_the_call_meanwhile(triage_db: tuple[Path, dict[str, int]], make_app: AppFactory) -> None:
    path, ids = triage_db
    app = make_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        triage = await open_triage(pilot)
        await keys(pilot, "1", "q", "m")
        with Store.open(path) as store:  # another operator, another process
            update_ticket(store, ids["mail"], operator="bram", now=NOW, assignee="bram")
        await keys(pilot, "enter")
        message = text_of(triage, "#message")
        assert "was changed by someone else" in message and "bram set assignee" in message, message
        assert text_of(triage, "#call-title") == NEW_CALLS["mail"][2]  # still this call, reloaded
        assert "→ bram" in text_of(triage, "#assignee")
    with Store.open(path) as store:
        mail = store.ticket(ids["mail"])
        assert mail is not None and (mail.assignee, mail.impact, mail.urgency, mail.priority) == ("bram", 3, 3, "P4")
        assert [e.operator for e in store.events(ids["mail"])] == ["dewi", "bram"]


async def _first_call_set(pilot: Pilot) -> None:  # type: ignore[type-arg]
    await open_triage(pilot)
    await keys(pilot, "2", "q", "m")


async def _odd_title(pilot: Pilot) -> None:  # type: ignore[type-arg]
    await open_triage(pilot)
    await keys(pilot, "n", "n", "1", "w")


def test_triage_80x24(snap_compare, triage_db: tuple[Path, dict[str, int]], make_app: AppFactory) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(triage_db[0]), terminal_size=(80, 24), run_before=_first_call_set)


def test_triage_160x48(snap_compare, triage_db: tuple[Path, dict[str, int]], make_app: AppFactory) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(triage_db[0]), terminal_size=(160, 48), run_before=_odd_title)
