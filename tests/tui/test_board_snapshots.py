"""What the board looks like: the demo database at a frozen instant, in each theme and
at the sizes operators use (80x24 over SSH, 160x48 on a wide screen or a wall).

Plain ``def`` tests: snap_compare runs the app in its own event loop. Everything that
moves is frozen by conftest: the clock, the process zone, live polling (off), the
Input cursor blink and animations. Regenerate after a deliberate change with
``pytest tests/tui --snapshot-update`` and look at the pictures before committing."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot

from .conftest import AppFactory


async def first_poll(pilot: Pilot) -> None:  # type: ignore[type-arg]
    """The board as it stands once the first poll has landed."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def test_demo_board_dark_80x24(snap_compare, demo_db: Path, make_app: AppFactory) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(demo_db), terminal_size=(80, 24), run_before=first_poll)


def test_demo_board_dark_160x48(snap_compare, demo_db: Path, make_app: AppFactory) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(demo_db), terminal_size=(160, 48), run_before=first_poll)


@pytest.mark.parametrize("theme", ["slaboard-light", "slaboard-colourblind", "slaboard-contrast"])
def test_demo_board_themes_160x48(snap_compare, demo_db: Path, make_app: AppFactory, theme: str) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(demo_db, theme=theme), terminal_size=(160, 48), run_before=first_poll)


@pytest.mark.parametrize("theme", ["slaboard-light", "slaboard-colourblind", "slaboard-contrast"])
def test_demo_board_themes_80x24(snap_compare, demo_db: Path, make_app: AppFactory, theme: str) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(demo_db, theme=theme), terminal_size=(80, 24), run_before=first_poll)


def test_demo_board_filter_80x24(snap_compare, demo_db: Path, make_app: AppFactory) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(demo_db), terminal_size=(80, 24), run_before=first_poll,
                        press=["slash", "p", "r", "i", "n", "t"])


def test_demo_ticket_detail_80x24(snap_compare, demo_db: Path, make_app: AppFactory) -> None:  # type: ignore[no-untyped-def]
    async def open_third_call(pilot: Pilot) -> None:  # type: ignore[type-arg]
        await first_poll(pilot)
        await pilot.press("j", "j", "enter")
        await pilot.app.workers.wait_for_complete()  # the detail reads the call in a worker
        await pilot.pause()

    assert snap_compare(make_app(demo_db), terminal_size=(80, 24), run_before=open_third_call)



async def open_third_call(pilot: Pilot) -> None:  # type: ignore[type-arg]
    await first_poll(pilot)
    await pilot.press("j", "j", "enter")
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def test_demo_ticket_detail_160x48(snap_compare, demo_db: Path, make_app: AppFactory) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(demo_db), terminal_size=(160, 48), run_before=open_third_call)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
def test_demo_diagnosis(snap_compare, demo_db: Path, make_app: AppFactory, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    async def diagnose(pilot: Pilot) -> None:  # type: ignore[type-arg]
        await open_third_call(pilot)
        await pilot.press("d")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press(*"Proxy certificate expired", "tab", *"configuration", "tab", *"+30h")
        await pilot.pause(0.5)  # the preview is debounced
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(make_app(demo_db), terminal_size=size, run_before=diagnose)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
def test_demo_resolve_dialog(snap_compare, demo_db: Path, make_app: AppFactory, size: tuple[int, int]) -> None:  # type: ignore[no-untyped-def]
    async def resolve(pilot: Pilot) -> None:  # type: ignore[type-arg]
        await first_poll(pilot)
        await pilot.press("enter")  # the most overdue call: resolving it misses its target
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("v")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press(*"Replaced the toner")
        await pilot.pause()

    assert snap_compare(make_app(demo_db), terminal_size=size, run_before=resolve)
