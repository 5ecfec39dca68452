"""Fixtures for the board's tests: a frozen clock, the demo database (built once per
session, copied per test), a small database with exactly the calls a test needs, and
an app factory. Everything a snapshot depends on is frozen here, not in the tests:
the clock, the process time zone ("refreshed HH:MM:SS"), the Input cursor blink and
live polling (off unless a test asks for it)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from textual.app import App
from textual.pilot import Pilot
from textual.widgets import Input

from slaboard.resources import data_dir
from slaboard.services.demo import build_demo
from slaboard.services.loading import load_files
from slaboard.services.tickets import NewCall, open_call, update_ticket
from slaboard.settings import Settings
from slaboard.store import Store
from slaboard.tui.app import SlaboardApp

AMS = ZoneInfo("Europe/Amsterdam")
BOARD_NOW = datetime(2026, 11, 26, 10, 30, tzinfo=AMS)  # a Thursday, 09:30 UTC
BOARD_NOW_ISO = "2026-11-26T10:30:00+01:00"
OPERATOR = "anna"
H = timedelta(hours=1)
M = timedelta(minutes=1)


def frozen_clock() -> datetime:
    return BOARD_NOW


# --------------------------------------------------------------------- determinism


@pytest.fixture(autouse=True)
def no_cursor_blink(monkeypatch: pytest.MonkeyPatch) -> None:
    """The filter box's cursor stays put (a blinking cursor makes snapshots flaky)."""
    monkeypatch.setattr(Input, "_toggle_cursor", lambda self: None)


@pytest.fixture(autouse=True)
def utc_process_zone(utc_process: None) -> None:
    """The board shows "refreshed HH:MM:SS" in the process's local zone: pin it."""


@pytest.fixture(autouse=True)
def no_user_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No user settings file or theme environment leaks into a test."""
    monkeypatch.setenv("SLABOARD_SETTINGS", str(tmp_path / "no-settings.toml"))
    monkeypatch.delenv("TEXTUAL_THEME", raising=False)


# --------------------------------------------------------------------- databases


def _copy_db(source: Path, target: Path) -> Path:
    for suffix in ("-wal", "-shm"):
        assert not Path(f"{source}{suffix}").exists(), f"{source}{suffix} left behind; the copy would be incomplete"
    shutil.copy(source, target)
    return target


@pytest.fixture(scope="session")
def demo_master(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo database, built once: about 40 open calls placed relative to BOARD_NOW."""
    path = tmp_path_factory.mktemp("demo") / "demo.db"
    build_demo(path, BOARD_NOW, history=20, seed=7)
    return path


@pytest.fixture
def demo_db(demo_master: Path, tmp_path: Path) -> Path:
    """A private copy of the demo database."""
    return _copy_db(demo_master, tmp_path / "demo.db")


@dataclass(frozen=True)
class SmallBoard:
    """A database with one call of each kind, and the ids of those calls by name."""

    path: Path
    ids: dict[str, int]


# The calls of the small board: name -> (customer, service, title, reported how long
# before BOARD_NOW, impact, urgency). Harbour & Finch (HFL) and Hotel De Gouden Gracht
# (HGG) are Gold on the 24x7 calendar, so their clocks are easy to reckon; Van den
# Berg (VDB) is Silver on the extended desk (open on a Thursday morning); De Spaak
# (SPK) has no contract, so its call is billable work without an SLA. They are created
# in an order unlike the board's, so that sorting by id could not pass the tests.
SMALL_CALLS: dict[str, tuple[str, str, str, timedelta, int, int]] = {
    "ok": ("HFL", "email", "Outlook asks for the password again", 30 * M, 3, 3),  # P4: 3h30m left
    "late": ("HFL", "email", "Shared mailbox missing for new starter", 4 * H + 30 * M, 3, 3),  # P4: -30m
    "paused": ("HFL", "backup", "Waiting for the caller to test the restore", 2 * H, 3, 3),
    "very_late": ("HFL", "email", "Mail server rejects every message", 6 * H, 3, 3),  # P4: -2h
    "warning": ("HGG", "email", "Calendar invites arrive twice", 48 * M, 2, 2),  # P3 (1h): 12m left, 80 %
    "billable": ("SPK", "telephony", "Switchboard plays the night message", 1 * H, 3, 3),  # no contract
    "critical": ("HFL", "workstations", "Laptop screen flickers", 3 * H + 45 * M, 3, 3),  # P4: 15m left, 94 %
    "mine": ("HGG", "network", "Guest Wi-Fi login page does not load", 10 * M, 3, 3),  # P4: 3h50m left
    "silver": ("VDB", "printing", "Printer on the 2nd floor offline", 5 * M, 1, 1),  # Silver P1
}
SMALL_ASSIGNEES = {"warning": "anna", "mine": "anna", "late": "bram", "silver": "chris"}


def add_call(store: Store, customer: str, service: str, title: str, reported: datetime,
             impact: int = 3, urgency: int = 3, operator: str = "dewi") -> int:
    call = NewCall(customer=customer, service=service, title=title, impact=impact, urgency=urgency, reported_at=reported)
    return open_call(store, call, operator, reported).ticket.id


@pytest.fixture(scope="session")
def small_master(tmp_path_factory: pytest.TempPathFactory) -> SmallBoard:
    path = tmp_path_factory.mktemp("small") / "small.db"
    ids: dict[str, int] = {}
    with Store.open(path, create=True) as store:
        load_files(store, [data_dir("sample_data") / "msp.toml"], BOARD_NOW - 30 * 24 * H)
        for name, (customer, service, title, ago, impact, urgency) in SMALL_CALLS.items():
            ids[name] = add_call(store, customer, service, title, BOARD_NOW - ago, impact, urgency)
        # Waiting for the customer, with a plan promised: every running clock is paused.
        update_ticket(store, ids["paused"], operator="dewi", now=BOARD_NOW - H, status="waiting_customer",
                      expected=BOARD_NOW + 4 * H)
        for name, who in SMALL_ASSIGNEES.items():
            update_ticket(store, ids[name], operator=who, now=BOARD_NOW - M, assignee=who)
    return SmallBoard(path, ids)


@pytest.fixture
def small_board(small_master: SmallBoard, tmp_path: Path) -> SmallBoard:
    """A private copy of the small board."""
    return SmallBoard(_copy_db(small_master.path, tmp_path / "small.db"), dict(small_master.ids))


# --------------------------------------------------------------------- the app


AppFactory = Callable[..., SlaboardApp]


@pytest.fixture
def make_app() -> AppFactory:
    """Build the app on a database with the frozen clock; not live unless asked."""

    def make(db_path: Path, *, live: bool = False, refresh_interval: float = 1.0,
             theme: str | None = "slaboard-dark", operator: str = OPERATOR,
             clock: Callable[[], datetime] = frozen_clock) -> SlaboardApp:
        app = SlaboardApp(db_path, operator=operator, clock=clock,
                          settings=Settings(refresh_interval=refresh_interval), theme=theme, live=live)
        app.animation_level = "none"  # no tab underline sliding: faster presses, stable pictures
        return app

    return make


async def settle(app: App, pilot: Pilot) -> None:  # type: ignore[type-arg]
    """Let the workers (polls, reads, writes) finish and their results land on screen."""
    await app.workers.wait_for_complete()
    await pilot.pause()


async def type_text(pilot: Pilot, text: str) -> None:  # type: ignore[type-arg]
    """Type ``text`` key by key (spaces as the space key)."""
    await pilot.press(*("space" if ch == " " else ch for ch in text))
    await pilot.pause()
