"""Bad input in the new-call form (src/slaboard/tui/screens/newcall.py, driven with Textual's
Pilot): arbitrary text pasted into every input (brackets, Rich markup, escape
sequences, NUL, right-to-left marks, long strings, impossible times) and saved.
The call is either stored exactly as the form held it and shown on the board as
plain text, or the form stays open with a message and the database unchanged;
the app never crashes and a [@click=app.quit] never quits it."""

from __future__ import annotations

import asyncio
import os
import shutil
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from textual import events
from textual.pilot import Pilot
from textual.widgets import Input, Select, Static, TextArea

from slaboard.resources import data_dir
from slaboard.services.loading import load_files
from slaboard.settings import Settings
from slaboard.store import Store
from slaboard.tui.app import SlaboardApp
from slaboard.tui.screens.board import BoardScreen
from slaboard.tui.screens.newcall import NewCallScreen
from slaboard.tui.text import plain
from slaboard.tui.widgets.table import SlaTable

from .conftest import Unchanged, as_stored

NOW = datetime(2026, 11, 26, 10, 30, tzinfo=ZoneInfo("Europe/Amsterdam"))
FORM_EXAMPLES = int(os.environ.get("SLABOARD_RELIABILITY_FORM_EXAMPLES", "3"))  # each runs the app once
CALLS_PER_SESSION = 2  # forms filled in per run of the app
FRAGMENTS = ["[bold]x[/]", "[@click=app.quit]x[/]", "[link=x]y[/link]", "[", "]", "\x1b[31m", "\x1b]0;owned\x07",
             "\x1b[2J", "\x9b31m", "\x00", "\u202e", "\u200f", "עברית", "😀", "'; DROP TABLE tickets; --", "%", "_",
             "\\", "\t", "\r\n", "ﷺ", "\U0010fffd"]
TEXT = st.one_of(
    st.text(max_size=30),
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=5)), max_size=6).map("".join),
    st.sampled_from(FRAGMENTS).map(lambda f: f * (1_000 // len(f))),
)
TIMES = st.sampled_from(["", "now", "20m ago", "-1h30m", "09:45", "2026-11-26T08:00", "23:59", "99:99", "yesterday",
                         "0001-01-01T00:00", "0001-01-01T00:00+14:00", "9999-12-31T23:59-14:00", "2026-02-30T10:00",
                         "2026-11-26T10:00+25:00", "-99999999999h", "99999999999 ago", "[bold]09:45[/]", "\x1b[31m09:45"])


@dataclass
class Typed:
    customer: str | None  # None: pick Harbour & Finch as an operator would
    caller: str
    title: str
    description: str
    reported: str
    override: bool
    reason: str


@pytest.fixture(scope="module")
def catalog_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("forms") / "calls.db"
    with Store.open(path, create=True) as store:
        load_files(store, [data_dir("sample_data") / "msp.toml"], NOW - timedelta(days=30))
    return path


async def settle(pilot: Pilot) -> None:  # type: ignore[type-arg]
    for _ in range(3):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def paste(pilot: Pilot, widget: Input | TextArea, text: str) -> None:  # type: ignore[type-arg]
    widget.focus()
    await pilot.pause()
    widget.post_message(events.Paste(text))
    await pilot.pause()


async def one_call(pilot: Pilot, db: Path, typed: Typed) -> str:  # type: ignore[type-arg]
    """Open the form on the board, fill it in as ``typed`` says, save; back on the board."""
    app = pilot.app
    guard = Unchanged(db)
    with Store.open(db) as store:
        before = {t.id for t, _ in store.ticket_rows_with_zone()}
    await pilot.press("n")
    await settle(pilot)
    form = app.screen
    assert isinstance(form, NewCallScreen)
    customer = form.query_one("#customer", Input)
    if typed.customer is None:
        await pilot.press("h", "a", "r", "b", "enter")
    else:
        await paste(pilot, customer, typed.customer)
        await pilot.press("enter")
    await settle(pilot)
    form.query_one("#service", Select).focus()
    await pilot.press("enter", "e", "enter")
    await paste(pilot, form.query_one("#caller", Input), typed.caller)
    await paste(pilot, form.query_one("#title", Input), typed.title)
    await paste(pilot, form.query_one("#description", TextArea), typed.description)
    await paste(pilot, form.query_one("#reported", Input), typed.reported)
    if typed.override:
        form.query_one("#override", Select).focus()
        await pilot.press("enter", "P", "1", "enter")
        await pilot.pause()
        await paste(pilot, form.query_one("#reason", Input), typed.reason)
    await settle(pilot)
    held = {name: form.query_one(f"#{name}", Input).value for name in ("caller", "title", "reason")}
    held["description"] = form.query_one("#description", TextArea).text
    await pilot.press("ctrl+s")
    await settle(pilot)
    await settle(pilot)
    assert app.is_running  # nothing typed quits the app ([@click=app.quit] is text)
    if isinstance(app.screen, BoardScreen):
        guard.close()
        with Store.open(db) as store:
            new = [t for t, _ in store.ticket_rows_with_zone() if t.id not in before]
        assert len(new) == 1
        [ticket] = new
        assert ticket.title == as_stored(held["title"])
        assert ticket.caller == as_stored(held["caller"])
        assert ticket.description == as_stored(held["description"])
        if typed.override:
            assert ticket.priority == "P1" and ticket.priority_reason == as_stored(held["reason"])
        if ticket.is_open:
            lines = app.screen.query_one(SlaTable).visible_text()
            [row] = [line for line in lines if f"{ticket.id}" in line]  # on the board, once
            assert "\x1b" not in row and "\x00" not in row and "\x9b" not in row  # as plain text
            shown = plain(ticket.title)[:4]
            if shown.isascii() and shown.isprintable():
                assert shown in row
        return "saved"
    assert isinstance(app.screen, NewCallScreen)
    guard.check()
    status = app.screen.query_one("#status", Static).render()
    assert str(status).strip(), "the form says why it cannot save"
    await pilot.press("escape")  # leave the form (closing the matches, then asking to discard)
    await pilot.pause()
    while not isinstance(app.screen, BoardScreen):
        await pilot.press("escape" if isinstance(app.screen, NewCallScreen) else "y")
        await pilot.pause()
    return "refused"


async def fill_and_save(db: Path, calls: list[Typed]) -> list[str]:
    """Log ``calls`` one after another in one session of the app."""
    app = SlaboardApp(db, operator="anna", clock=lambda: NOW, settings=Settings(refresh_interval=1.0),
                      theme="slaboard-dark", live=False)
    app.animation_level = "none"
    outcomes = []
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        for typed in calls:
            outcomes.append(await one_call(pilot, db, typed))
    return outcomes


def fresh(master: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "calls.db"
    shutil.copyfile(master, copy)
    return copy


CALLS = st.builds(Typed, customer=st.none() | st.none() | TEXT, caller=TEXT, title=TEXT, description=TEXT,
                  reported=st.one_of(st.just(""), st.just(""), TIMES, TEXT), override=st.booleans(), reason=TEXT)


# Shrinking would rerun the app hundreds of times: a failure is reported as found.
@settings(max_examples=FORM_EXAMPLES, deadline=None, database=None, derandomize=True,
          phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.function_scoped_fixture])
@given(calls=st.lists(CALLS, min_size=CALLS_PER_SESSION, max_size=CALLS_PER_SESSION))
def test_anything_typed_into_the_new_call_form(catalog_db: Path, tmp_path_factory: pytest.TempPathFactory,
                                               calls: list[Typed]) -> None:
    db = fresh(catalog_db, tmp_path_factory.mktemp("form"))
    asyncio.run(fill_and_save(db, calls))


@pytest.mark.parametrize("reported", ["0001-01-01T00:00+14:00", "-99999999999h"])
def test_impossible_reported_times_in_the_form(catalog_db: Path, tmp_path: Path, reported: str) -> None:
    """A reported time the form cannot represent: refused next to its field, or (a
    time it can) saved; the app goes on either way."""
    typed = Typed(customer=None, caller="Olivia", title="Mail down", description="", reported=reported,
                  override=False, reason="")
    asyncio.run(fill_and_save(fresh(catalog_db, tmp_path), [typed]))


NASTY = ["[@click=app.quit]quit[/] [bold]x[/] \x1b[2J\x1b]0;owned\x07 \u202eevil\u202c NUL\x00 '; DROP TABLE tickets; --",
         "x" * 20_000]


def test_nasty_titles_are_stored_and_shown_as_typed(catalog_db: Path, tmp_path: Path) -> None:
    calls = [Typed(customer=None, caller=t, title=t, description=t + "\nsecond line", reported="", override=True,
                   reason=t) for t in NASTY]
    assert asyncio.run(fill_and_save(fresh(catalog_db, tmp_path), calls)) == ["saved"] * len(NASTY)
