"""Escalations on the screens: a call the watcher escalated is marked on the board
with the last threshold told ("↑warned · "), the mark follows the next one, and the
call's history says who was told and when (tests/services/test_escalations.py has
the rules, the instants and the delivery)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from textual.widgets import Static

from slaboard.services.escalations import run_once
from slaboard.services.loading import load_files
from slaboard.store import Store
from slaboard.tui.screens.detail import TicketScreen
from slaboard.tui.widgets.table import SlaTable
from tests.services.test_escalations import CRITICAL, FRIDAY, RULES, WARNING, call
from tests.smtpserver import settings_for

from .conftest import AppFactory


def row_of(app: object, ticket_id: int) -> str:
    table = app.screen.query_one(SlaTable)  # type: ignore[attr-defined]
    return next(line for line in table.visible_text() if f"#{ticket_id} " in line)


async def settle(pilot) -> None:  # type: ignore[no-untyped-def]
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def test_the_board_marks_escalated_calls_and_the_history_says_who_was_told(tmp_path: Path,
                                                                                make_app: AppFactory) -> None:
    path, rules = tmp_path / "escalated.db", tmp_path / "rules.toml"
    rules.write_text(RULES.replace("{url}", "http://127.0.0.1:9/noc"), encoding="utf-8")
    mail = settings_for(None)  # queued in the outbox; nothing is sent here
    with Store.open(path, create=True) as store:
        load_files(store, [rules], FRIDAY)
        escalated, quiet = call(store), call(store, WARNING - timedelta(hours=3))
        assert [t.ticket_id for t in run_once(store, mail, WARNING)] == [escalated]
    now = [WARNING + timedelta(minutes=1)]
    app = make_app(path, clock=lambda: now[0])
    async with app.run_test(size=(160, 40)) as pilot:
        await settle(pilot)
        assert "↑warned · Mail is down" in row_of(app, escalated)
        assert "↑" not in row_of(app, quiet)
        with Store.open(path) as store:
            run_once(store, mail, CRITICAL)
        now[0] = CRITICAL
        app.screen.poll()  # type: ignore[attr-defined]
        await settle(pilot)
        assert "↑critical · Mail is down" in row_of(app, escalated)
        app.open_ticket(escalated)
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        body = app.screen.query_one("#body", Static).render().plain  # type: ignore[union-attr]
        assert "escalation: resolution warning; told anna" in body
        assert "escalation: resolution critical; told lee" in body
