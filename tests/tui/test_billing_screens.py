"""Money on the screens, on the fixed billing history of tests/services/test_billing.py
(its figures are worked out by hand there), driven with the keyboard: contract
lookup shows the billing terms and the block as it stands (a warning when under
20% is left) and ``b`` opens the customer's bill, ``[`` and ``]`` step through the
months; the new call form shows the block draining; the time entry dialog says how
the contract's rules count what is typed; the diagnosis estimate uses the same
rules."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Static

from slaboard.store import Store
from slaboard.tui.screens.billing import BillingScreen
from slaboard.tui.screens.contracts import ContractScreen
from slaboard.tui.screens.detail import TicketScreen
from slaboard.tui.screens.diagnosis import DiagnosisScreen
from slaboard.tui.screens.newcall import NewCallScreen
from slaboard.tui.widgets.dialogs import TimeEntryDialog
from tests.services.test_billing import NOW, build_history

from .conftest import AppFactory, type_text


@pytest.fixture
def billed(tmp_path: Path) -> tuple[Path, dict[str, int]]:
    path = tmp_path / "billed.db"
    with Store.open(path, create=True) as store:
        ids = build_history(store, tmp_path)
    return path, ids


def text(screen: object, selector: str) -> str:
    return screen.query_one(selector, Static).render().plain  # type: ignore[attr-defined, no-any-return]


async def settle(pilot: Pilot, wait: float = 0.0) -> None:  # type: ignore[type-arg]
    await pilot.pause(wait)
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def test_contract_lookup_shows_the_block_and_opens_the_months_bill(billed: tuple[Path, dict[str, int]],
                                                                         make_app: AppFactory) -> None:
    path, _ = billed
    app = make_app(path, clock=lambda: NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.push_screen(ContractScreen("blockco"))
        await settle(pilot)
        shown = text(app.screen, "#contracts-customer")
        assert ("billing block of 10h a month (unused hours roll over once), then billed at the hourly rate; each "
                "entry rounded up to 15m, at least 30m per call and day") in " ".join(shown.split())
        assert ("⚠ block 10h + 2h rolled over (November 2026): 12h used of 12h, 0m left — used up: further work "
                "is billable") in " ".join(shown.split())
        await pilot.press("b")
        await settle(pilot)
        assert isinstance(app.screen, BillingScreen)
        assert "Billing · Block Co · November 2026 (under way)" in text(app.screen, "#billing-title")
        assert text(app.screen, "#billing-state").startswith("open: the figures may change")
        body = text(app.screen, "#billing-body")
        assert "fees €800.00 + work €175.00 = €975.00" in body
        assert body.count("billable") >= 3  # the three lines past the block
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert "October 2026" in text(app.screen, "#billing-title")
        assert "fees €800.00 + work €0.00 = €800.00" in text(app.screen, "#billing-body")
        await pilot.press("right_square_bracket", "right_square_bracket")  # November, then a month not begun
        await settle(pilot)
        assert app.screen.period == "2026-11"
        assert "fees €800.00 + work €175.00 = €975.00" in text(app.screen, "#billing-body")
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(app.screen, ContractScreen)


async def test_the_new_call_form_warns_that_the_block_is_used_up(billed: tuple[Path, dict[str, int]],
                                                                  make_app: AppFactory) -> None:
    path, _ = billed
    app = make_app(path, clock=lambda: NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        form = app.screen
        assert isinstance(form, NewCallScreen)
        await type_text(pilot, "block")
        await pilot.press("enter")
        await settle(pilot)
        assert "⚠ block 10h + 2h rolled over (November 2026): 12h used of 12h, 0m left" in text(form, "#contract")
        assert form.query_one("#contract").has_class("-warning")
        form.query_one("#customer", Input).value = ""
        form.query_one("#customer", Input).focus()
        await type_text(pilot, "fix")
        await pilot.press("enter")
        await settle(pilot)
        assert "block" not in text(form, "#contract")  # a fixed contract has no block
        assert not form.query_one("#contract").has_class("-warning")


@pytest.mark.parametrize(("call", "said"), [
    ("block-c", "counted: 45m billable at €100.00/h"),  # 40m rounded to 45m; the block is used up
    ("fix-mail", "counted: 40m covered by the Gold contract"),
])
async def test_the_time_dialog_says_how_the_rules_count_the_entry(call: str, said: str,
                                                                 billed: tuple[Path, dict[str, int]],
                                                                 make_app: AppFactory) -> None:
    path, ids = billed
    app = make_app(path, clock=lambda: NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.open_ticket(ids[call])
        await settle(pilot)
        assert isinstance(app.screen, TicketScreen)
        await pilot.press("e")
        await settle(pilot)
        dialog = app.screen
        assert isinstance(dialog, TimeEntryDialog)
        await type_text(pilot, "40m")
        await settle(pilot, 0.4)
        assert text(dialog, ".decision").startswith(said)


async def test_the_diagnosis_estimate_follows_the_contracts_rules(billed: tuple[Path, dict[str, int]],
                                                                  make_app: AppFactory) -> None:
    path, ids = billed
    app = make_app(path, clock=lambda: NOW)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        app.push_screen(DiagnosisScreen(ids["tm-d"]))
        await settle(pilot)
        app.screen.query_one("#hours", Input).value = "0.5"
        await settle(pilot, 0.5)
        # Time and materials at 120: half an hour, with the 1h minimum per call and day.
        assert text(app.screen, "#cost") == "0.5 h: 1h billable at €120.00/h (time and materials): €120.00"
