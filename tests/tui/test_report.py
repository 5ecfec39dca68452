"""The report screen: the figures on screen are build_report's, choices change them,
the calls behind a row are the report's, exports parse back, mistakes keep the
figures, and the board stays usable while a report is computed in a thread.

The demo database (300 calls of history) is built once for the module and only read.
"""

from __future__ import annotations

import asyncio
import csv
import json
import threading
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from rich.text import Text
from textual.content import Content
from textual.pilot import Pilot
from textual.widgets import DataTable, Input, OptionList, Static

import slaboard.tui.screens.report as report_module
from slaboard.reports.export import share, table_rows
from slaboard.reports.figures import Report, build_report, parse_period
from slaboard.services.demo import build_demo
from slaboard.services.tickets import ServiceError
from slaboard.store import Store
from slaboard.tui.screens.board import BoardScreen
from slaboard.tui.screens.detail import TicketScreen
from slaboard.tui.screens.group_calls import GroupCallsScreen
from slaboard.tui.screens.report import ReportScreen, preset_periods, read_period, shift_period
from slaboard.tui.widgets.dialogs import ExportChooser, export_name
from slaboard.tui.widgets.figures import chart_lines, period_text

from .conftest import BOARD_NOW, AppFactory

TODAY = BOARD_NOW.date()  # Thursday 26 November 2026: last quarter is 2026-Q3


@pytest.fixture(scope="module")
def report_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("report") / "demo.db"
    build_demo(path, BOARD_NOW, history=300, seed=7)
    return path


def figures(db: Path, period: str | None = None, grouping: str = "level", customer: str | None = None) -> Report:
    with Store.open(db) as store:
        return build_report(store, parse_period(period, today=TODAY), BOARD_NOW, grouping=grouping, customer=customer)


def table_text(screen: ReportScreen) -> list[list[str]]:
    table = screen.query_one("#figures", DataTable)
    return [[cell.plain.strip() if isinstance(cell, Text) else str(cell) for cell in table.get_row_at(i)]
            for i in range(table.row_count)]


def status_text(screen: ReportScreen) -> str:
    content = screen.query_one("#status", Static).content
    return content.plain if isinstance(content, Content) else str(content)


async def settle(pilot: Pilot) -> None:  # type: ignore[type-arg]
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def open_report(pilot: Pilot, customer: str | None = None) -> ReportScreen:  # type: ignore[type-arg]
    await settle(pilot)
    screen = ReportScreen(customer)
    await pilot.app.push_screen(screen)
    await settle(pilot)
    return screen


# ------------------------------------------------------------------ periods (no app)


def test_typed_periods_read_like_the_command_line() -> None:
    assert read_period("2026-07", TODAY) == parse_period("2026-07", today=TODAY)
    assert read_period("2026-q3", TODAY) == parse_period("2026-Q3", today=TODAY)
    assert read_period(" 2026 ", TODAY) == parse_period("2026", today=TODAY)
    assert read_period("", TODAY) == parse_period(None, today=TODAY)  # last quarter
    assert read_period("2026-07-01..2026-09-30", TODAY) == parse_period(None, "2026-07-01", "2026-09-30", today=TODAY)
    assert read_period("2026-07 to 2026-09", TODAY) == parse_period(None, "2026-07-01", "2026-09-30", today=TODAY)


@pytest.mark.parametrize("text, says", [
    ("2026-Q5", "a quarter (2026-Q3)"),
    ("next week", "a range (2026-07-01..2026-09-30)"),
    ("2026-13", "month must be 01 to 12"),
    ("2026-09-30..2026-07-01", "ends before it starts"),
])
def test_a_bad_period_says_what_to_type(text: str, says: str) -> None:
    with pytest.raises(ServiceError) as err:
        read_period(text, TODAY)
    assert says in str(err.value) and "--" not in str(err.value) and "\n" not in str(err.value)


def test_periods_round_trip_and_step() -> None:
    for text in ("2026-07", "2026-Q3", "2026", "2026-07-10..2026-08-09"):
        assert period_text(read_period(text, TODAY)) == text
    assert period_text(shift_period(read_period("2026-Q1", TODAY), -1, TODAY)) == "2025-Q4"
    assert period_text(shift_period(read_period("2026-12", TODAY), 1, TODAY)) == "2027-01"
    assert period_text(shift_period(read_period("2026", TODAY), -1, TODAY)) == "2025"
    assert period_text(shift_period(read_period("2026-07-01..2026-07-10", TODAY), 1, TODAY)) == "2026-07-11..2026-07-20"
    assert dict(preset_periods(date(2026, 1, 15))) == {
        "last quarter": "2025-Q4", "this quarter": "2026-Q1", "this year": "2026", "last year": "2025",
        "this month": "2026-01", "last month": "2025-12",
    }


def test_export_names_carry_customer_and_period(report_db: Path) -> None:
    assert export_name(figures(report_db, "2026-Q3"), "csv") == "slaboard-report-all-2026-Q3.csv"
    assert export_name(figures(report_db, "2026-07", customer="HFL"), "html") == "slaboard-report-harbour-finch-2026-07.html"


@pytest.mark.parametrize("width", [60, 78, 158])
def test_the_chart_fits_its_width(report_db: Path, width: int) -> None:
    report = figures(report_db, "2026")
    lines = chart_lines(report, width)
    assert len(lines) >= 1 + 12 + 1  # heading, one line per month, legend
    assert all(line.cell_length <= width for line in lines), [line.cell_length for line in lines]
    november = report.months[10]
    assert lines[11].plain.startswith("Nov 2026") and f" {share(november.resolution_share)} " in lines[11].plain


# ------------------------------------------------------------------ the screen


async def test_the_table_shows_build_reports_figures(report_db: Path, make_app: AppFactory) -> None:
    app = make_app(report_db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_report(pilot)
        report = figures(report_db, "2026-Q3", "level")
        assert table_text(screen) == table_rows(report)[1]
        assert table_text(screen)[-1][:3] == ["total", str(report.total.opened), str(report.total.resolved)]
        assert "Q3 2026" in str(screen.query_one("#title", Static).content)
        assert status_text(screen).startswith(f"{report.total.opened} opened · {report.total.resolved} resolved")


async def test_changing_grouping_period_and_customer_changes_the_rows(report_db: Path, make_app: AppFactory) -> None:
    app = make_app(report_db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_report(pilot)
        await pilot.press("right_square_bracket")  # level -> service
        await settle(pilot)
        assert screen.grouping == "service"
        assert table_text(screen) == table_rows(figures(report_db, "2026-Q3", "service"))[1]
        await pilot.press("left_square_bracket", "left_square_bracket")  # -> customer
        await settle(pilot)
        assert [row[0] for row in table_text(screen)][:-1] == [g.key for g in figures(report_db, "2026-Q3", "customer").groups]
        await pilot.press("t")  # last quarter -> this quarter
        await settle(pilot)
        assert screen.query_one("#period", Input).value == "2026-Q4"
        assert table_text(screen) == table_rows(figures(report_db, "2026-Q4", "customer"))[1]
        await pilot.press("less_than_sign", "less_than_sign")  # two quarters back
        await settle(pilot)
        assert table_text(screen) == table_rows(figures(report_db, "2026-Q2", "customer"))[1]
        await pilot.press("c", *"HFL", "enter")
        await settle(pilot)
        assert table_text(screen) == table_rows(figures(report_db, "2026-Q2", "customer", "HFL"))[1]
        assert "Harbour & Finch" in str(screen.query_one("#title", Static).content)


async def test_enter_lists_the_calls_behind_the_row_and_opens_one(report_db: Path, make_app: AppFactory) -> None:
    app = make_app(report_db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_report(pilot)
        report = figures(report_db, "2026-Q3", "level")
        await pilot.press("down", "enter")  # the second level
        await settle(pilot)
        assert isinstance(app.screen, GroupCallsScreen)
        calls = app.screen.query_one("#calls", OptionList)
        wanted = report.ticket_ids[report.groups[1].key]
        assert [calls.get_option_at_index(i).id for i in range(calls.option_count)] == [str(i) for i in wanted]
        await pilot.press("down", "enter")
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen) and app.screen.ticket_id == wanted[1]
        await pilot.press("escape", "escape")
        await pilot.pause()
        assert app.screen is screen
        await pilot.press("G", "enter")  # the total: every call of the report
        await settle(pilot)
        calls = app.screen.query_one("#calls", OptionList)
        assert calls.option_count == len({i for ids in report.ticket_ids.values() for i in ids})


async def test_the_calls_behind_a_row_mark_each_target_met_or_missed(report_db: Path, make_app: AppFactory) -> None:
    """Every call in the list says, in text, which of its targets it met and missed."""
    app = make_app(report_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_report(pilot)
        await pilot.press("G", "enter")  # the total: every call of the report
        await settle(pilot)
        calls = app.screen.query_one("#calls", OptionList)
        prompts = {int(o.id): o.prompt.plain for o in (calls.get_option_at_index(i) for i in range(calls.option_count))}
        assert "✓ target met · ✗ missed · – not stopped" in app.screen.query_one("#calls-hint", Static).content.plain
    with Store.open(report_db) as store:
        recorded = store.conn.execute("SELECT ticket_id, clock, met FROM clock_outcomes").fetchall()
    outcomes: dict[int, dict[str, int]] = {}
    for ticket_id, clock, met in recorded:
        outcomes.setdefault(ticket_id, {})[clock] = met
    seen = set()
    for ticket_id, prompt in prompts.items():
        for clock, label in (("response", "resp"), ("plan", "plan"), ("resolution", "resol")):
            met = outcomes.get(ticket_id, {}).get(clock)
            mark = "–" if met is None else ("✓" if met else "✗")
            assert f"{label}{mark}" in prompt, (ticket_id, prompt)
            seen.add(mark)
    assert seen == {"✓", "✗", "–"}  # the quarter has calls of each kind


async def test_export_writes_csv_and_json_that_parse(report_db: Path, make_app: AppFactory,
                                                     tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    app = make_app(report_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_report(pilot)
        report = figures(report_db, "2026-Q3", "level")
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, ExportChooser)
        await pilot.press("c")
        await pilot.pause()
        rows = list(csv.DictReader((tmp_path / "slaboard-report-all-2026-Q3.csv").open(encoding="utf-8")))
        assert [r["group"] for r in rows] == [g.key for g in report.groups] + ["total"]
        assert int(rows[-1]["opened"]) == report.total.opened and int(rows[-1]["resolution_met"]) == report.total.resolution_met
        await pilot.press("e", "j")
        await pilot.pause()
        data = json.loads((tmp_path / "slaboard-report-all-2026-Q3.json").read_text(encoding="utf-8"))
        assert data["total"]["opened"] == report.total.opened and data["grouping"] == "level"
        assert any("slaboard-report-all-2026-Q3.json" in n.message for n in app._notifications)
        await pilot.press("e", "h")  # without a customer: the MSP-wide review
        await pilot.pause()
        html = (tmp_path / "slaboard-report-all-2026-Q3.html").read_text(encoding="utf-8")
        assert "<svg" in html and "<script" not in html and 'id="by-customer"' in html and "Harbour &amp; Finch Ltd" in html


async def test_customer_documents_are_written_from_the_screen(
        report_db: Path, make_app: AppFactory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    app = make_app(report_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await open_report(pilot, customer="HFL")
        await pilot.press("e", "h")
        await pilot.pause()
        html = (tmp_path / "slaboard-report-harbour-finch-2026-Q3.html").read_text()
        assert "Harbour &amp; Finch Ltd" in html and "<svg" in html and "<script" not in html
        await pilot.press("e", "m")
        await pilot.pause()
        markdown = (tmp_path / "slaboard-report-harbour-finch-2026-Q3.md").read_text()
        assert markdown.startswith("#") and "Harbour" in markdown


async def test_a_bad_period_or_customer_says_so_and_keeps_the_figures(report_db: Path, make_app: AppFactory) -> None:
    app = make_app(report_db)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await open_report(pilot)
        before = table_text(screen)
        await pilot.press("p", *"2026-Q5", "enter")
        await settle(pilot)
        message = status_text(screen)
        assert "2026-Q5" in message and "\n" not in message and message.startswith("✗")
        assert table_text(screen) == before and screen.report is not None and screen.report.period.label == "Q3 2026"
        await pilot.press("escape")  # leaves the box as it was applied, stays on the report
        assert app.screen is screen and screen.query_one("#period", Input).value == "2026-Q3"
        await pilot.press("c", *"nobody", "enter")
        await settle(pilot)
        assert "unknown customer 'nobody'" in status_text(screen)
        assert table_text(screen) == before
        await pilot.press("right_square_bracket")  # the next choice builds on the figures shown (all customers)
        await settle(pilot)
        assert table_text(screen) == table_rows(figures(report_db, "2026-Q3", "service"))[1]
        await pilot.press("c")
        await pilot.press("escape")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, BoardScreen)


async def test_the_report_runs_in_a_thread_and_a_newer_request_wins(
        report_db: Path, make_app: AppFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    entered, release = threading.Event(), threading.Event()
    threads: list[str] = []
    real = report_module.build_report

    def slow(store: Store, period, now, **kw):  # type: ignore[no-untyped-def]
        threads.append(threading.current_thread().name)
        kw["progress"]("reading a very long history")
        entered.set()
        assert release.wait(10), "the test never released the report"
        return real(store, period, now, **kw)

    monkeypatch.setattr(report_module, "build_report", slow)
    app = make_app(report_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = ReportScreen()
        await app.push_screen(screen)
        await wait_for(entered.is_set)
        await pilot.pause()
        assert "reading a very long history" in status_text(screen)
        assert threads == [threads[0]] and threads[0] != threading.main_thread().name
        entered.clear()
        await pilot.press("right_square_bracket")  # the app answers keys while the first report runs
        await wait_for(entered.is_set)
        assert screen.grouping == "service" and "by service" in status_text(screen)
        release.set()
        await settle(pilot)
        assert screen.report is not None and screen.report.grouping == "service"
        assert table_text(screen) == table_rows(figures(report_db, "2026-Q3", "service"))[1]


async def test_the_board_stays_usable_while_a_report_runs(
        report_db: Path, make_app: AppFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    entered, release = threading.Event(), threading.Event()
    real = report_module.build_report

    def slow(store: Store, period, now, **kw):  # type: ignore[no-untyped-def]
        entered.set()
        assert release.wait(10)
        return real(store, period, now, **kw)

    monkeypatch.setattr(report_module, "build_report", slow)
    app = make_app(report_db)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await app.push_screen(ReportScreen())
        await wait_for(entered.is_set)
        await pilot.press("escape")  # back to the board while the figures are computed
        await pilot.pause()
        board = app.screen
        assert isinstance(board, BoardScreen)
        await pilot.press("s")
        await pilot.pause()
        assert board.sort_key == "priority"
        release.set()
        await settle(pilot)  # the abandoned report ends quietly
        assert app.screen is board and app.is_running


async def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    for _ in range(int(timeout / 0.01)):
        if condition():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("timed out")


# ------------------------------------------------------------------ snapshots


def test_report_snapshot_80x24(snap_compare, report_db: Path, make_app: AppFactory) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot) -> None:  # type: ignore[type-arg]
        await open_report(pilot)

    assert snap_compare(make_app(report_db), terminal_size=(80, 24), run_before=run_before)


def test_report_this_year_by_customer_snapshot_160x48(snap_compare, report_db: Path, make_app: AppFactory) -> None:  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot) -> None:  # type: ignore[type-arg]
        await open_report(pilot)
        await pilot.press("t", "t", "left_square_bracket")  # this year, by customer
        await settle(pilot)

    assert snap_compare(make_app(report_db), terminal_size=(160, 48), run_before=run_before)
