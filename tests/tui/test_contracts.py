"""Contract lookup, driven with the keyboard: find a customer by part of a contact's
name, see every contract (expired and superseded ones too), the calendar, the open
calls and this quarter's figures; open a call; the price list; bad input; user text
shown as typed; and what the screen looks like at 80x24 and 160x48.

The database: the sample contract file loaded 300 days before BOARD_NOW, then again
60 days before with Kramer & Bakker's Silver price changed (so its first Silver
version is superseded), plus a customer whose name and contact are full of markup,
and calls for Kramer & Bakker: two open, one resolved in time and one late this
quarter."""

from __future__ import annotations

import shutil
from datetime import datetime
from pathlib import Path

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, OptionList, Static

from slaboard.domain import match_customers
from slaboard.resources import data_dir
from slaboard.services.loading import load_files
from slaboard.services.tickets import NewCall, open_call, update_ticket
from slaboard.store import Store
from slaboard.tui.app import SlaboardApp
from slaboard.tui.screens.contracts import ContractScreen
from slaboard.tui.screens.detail import TicketScreen

from .conftest import AMS, BOARD_NOW, AppFactory, H, settle, type_text

ODD_NAME = "Brackets [b]&[/b] Co \x1b[31m"
ODD_CONTACT = "مريم [x] 🎉"
ODD_CUSTOMER = f'''
[customers.odd-co]
name = "Brackets [b]&[/b] Co \\u001b[31m"
tz = "Europe/Amsterdam"
code = "ODD"
contacts = [{{ name = "{ODD_CONTACT}", role = "[@click=app.quit]boss[/]" }}]
'''


def _call(store: Store, customer: str, service: str, title: str, reported: datetime,
          impact: int = 3, urgency: int = 3, caller: str = "") -> int:
    call = NewCall(customer=customer, service=service, title=title, impact=impact, urgency=urgency,
                   caller=caller, reported_at=reported)
    return open_call(store, call, "dewi", reported).ticket.id


@pytest.fixture(scope="module")
def contracts_master(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, int]]:
    folder = tmp_path_factory.mktemp("contracts")
    path = folder / "contracts.db"
    msp = data_dir("sample_data") / "msp.toml"
    ids: dict[str, int] = {}
    with Store.open(path, create=True) as store:
        load_files(store, [msp], BOARD_NOW - 300 * 24 * H)
        changed = folder / "msp-2.toml"
        changed.write_text(msp.read_text(encoding="utf-8").replace("price_per_month = 1290", "price_per_month = 1340")
                           + ODD_CUSTOMER, encoding="utf-8")
        load_files(store, [changed], BOARD_NOW - 60 * 24 * H)
        ids["payroll"] = _call(store, "KBA", "lob-apps", "Payroll export fails [urgent]", BOARD_NOW - 2 * H, 2, 1, "Thijs de Boer")
        ids["scanner"] = _call(store, "KBA", "printing", "Scanner sends to the wrong mailbox", BOARD_NOW - 26 * H)
        met = _call(store, "KBA", "email", "Mailbox full", datetime(2026, 11, 10, 9, 0, tzinfo=AMS), 3, 2)
        update_ticket(store, met, operator="anna", now=datetime(2026, 11, 10, 10, 0, tzinfo=AMS),
                      status="resolved", reason="archived old mail")
        late = _call(store, "KBA", "workstations", "Laptop will not boot", datetime(2026, 11, 16, 9, 0, tzinfo=AMS), 2, 1)
        update_ticket(store, late, operator="anna", now=datetime(2026, 11, 18, 16, 0, tzinfo=AMS),
                      status="resolved", reason="replaced the disk", justification="waited for the part")
    return path, ids


@pytest.fixture
def contracts_db(contracts_master: tuple[Path, dict[str, int]], tmp_path: Path) -> tuple[Path, dict[str, int]]:
    source, ids = contracts_master
    return Path(shutil.copy(source, tmp_path / "contracts.db")), dict(ids)




def screen_of(app: SlaboardApp) -> ContractScreen:
    assert isinstance(app.screen, ContractScreen), f"expected the contract screen, got {type(app.screen).__name__}"
    return app.screen


def text_of(app: SlaboardApp, selector: str) -> str:
    return str(app.screen.query_one(selector, Static).render())


def body_text(app: SlaboardApp) -> str:
    return "\n".join(text_of(app, f"#contracts-{part}") for part in ("customer", "calendar", "figures"))


# --------------------------------------------------------------------- lookup


async def test_lookup_by_part_of_a_contact_shows_every_contract_and_the_open_calls(
        contracts_db: tuple[Path, dict[str, int]], make_app: AppFactory) -> None:
    path, ids = contracts_db
    app = make_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("c")  # from the board: the contracts of the selected call's customer
        await settle(app, pilot)
        screen = screen_of(app)
        assert screen.overview is not None and screen.overview.customer.key == "kramer-bakker"
        app.pop_screen()
        app.action_contracts(None)  # from the command palette or with no call selected: find one
        await settle(app, pilot)
        screen = screen_of(app)
        assert screen.overview is None and isinstance(app.focused, Input)
        await type_text(pilot, "thijs")
        suggestions = app.screen.query_one("#finder-suggestions", OptionList)
        assert [suggestions.get_option_at_index(i).id for i in range(suggestions.option_count)] == ["kramer-bakker"]
        assert "Thijs de Boer" in str(suggestions.get_option_at_index(0).prompt)
        await pilot.press("enter")
        await settle(app, pilot)

        assert screen.overview is not None and screen.overview.customer.key == "kramer-bakker"
        body = body_text(app)
        for expected in ("in force", "Silver", "2026-01-01 .. 2027-12-31", "1,340 a month", "89 an hour",
                         "expired", "Bronze", "2024-01-01 .. 2025-12-31", "520 a month",
                         "superseded", "1,290 a month", "Els Kramer", "+31 23 555 0115",
                         "extended-nl: mon-fri 07:00-22:00; sat 09:00-13:00", "Christmas Day",
                         "2026-10-01 .. 2026-11-26"):
            assert expected in body, expected
        # In force first, then history; the targets table of the Silver contract.
        assert body.index("in force") < body.index("expired") < body.index("superseded")
        assert "resolution 4h     8h     1bd    2bd" in body
        assert "response   1 met / 1 missed" in body and "resolution 1 met / 1 missed (50% solved in time)" in body

        # The open calls are the ones in the database; o moves to them and enter opens one.
        with Store.open(path) as store:
            open_ids = sorted(t.id for t, _ in store.open_tickets() if t.customer == "kramer-bakker")
        calls = app.screen.query_one("#contracts-calls", OptionList)
        shown = [int(calls.get_option_at_index(i).id or 0) for i in range(calls.option_count)]
        assert sorted(shown) == open_ids == sorted([ids["payroll"], ids["scanner"]])
        assert "Payroll export fails [urgent]" in str(calls.get_option_at_index(shown.index(ids["payroll"])).prompt)
        await pilot.press("o")
        assert app.focused is calls
        for _ in range(shown.index(ids["payroll"])):
            await pilot.press("down")
        await pilot.press("enter")
        await settle(app, pilot)
        assert isinstance(app.screen, TicketScreen) and app.screen.ticket_id == ids["payroll"]
        await pilot.press("escape")
        assert app.screen is screen
        await pilot.press("escape")
        assert type(app.screen).__name__ == "BoardScreen"


async def test_suggestions_follow_typing_and_arrows_pick_one(contracts_db: tuple[Path, dict[str, int]],
                                                             make_app: AppFactory) -> None:
    path, _ = contracts_db
    app = make_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.action_contracts(None)
        await settle(app, pilot)
        await type_text(pilot, "d")
        suggestions = app.screen.query_one("#finder-suggestions", OptionList)
        keys = [suggestions.get_option_at_index(i).id for i in range(suggestions.option_count)]
        assert len(keys) == 8  # more match: the hint says so
        assert "more: type more of the name" in text_of(app, "#finder-hint")
        await type_text(pilot, "elf")
        assert [suggestions.get_option_at_index(i).id for i in range(suggestions.option_count)] == ["delft-optics"]
        await pilot.press("backspace", "backspace", "backspace")
        assert [suggestions.get_option_at_index(i).id for i in range(suggestions.option_count)] == keys
        await pilot.press("down", "down", "up", "down", "enter")
        await settle(app, pilot)
        assert screen_of(app).overview is not None and screen_of(app).overview.customer.key == keys[2]


async def test_customer_without_contract_and_unknown_customer(contracts_db: tuple[Path, dict[str, int]],
                                                              make_app: AppFactory) -> None:
    path, _ = contracts_db
    app = make_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.action_contracts("SPK")
        await settle(app, pilot)
        assert "No contract in force: every call is billable work." in text_of(app, "#contracts-customer")
        assert "No contracts on file." in text_of(app, "#contracts-customer")
        # An unknown name: one line that says what to do, the text kept in the finder to fix.
        await pilot.press("slash")
        await type_text(pilot, "nobody")
        assert "No customer matches 'nobody'" in text_of(app, "#finder-hint")
        await pilot.press("enter")  # nothing to take: stays, nothing lost
        await settle(app, pilot)
        assert app.screen.query_one("#finder-input", Input).value == "nobody"
        await pilot.press("escape")  # clears the finder first, as on the board
        assert app.screen.query_one("#finder-input", Input).value == "" and isinstance(app.screen, ContractScreen)
        assert screen_of(app).overview is not None and screen_of(app).overview.customer.code == "SPK"
        await pilot.press("escape")
        assert not isinstance(app.screen, ContractScreen)
    app = make_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.action_contracts("zz-nobody")
        await settle(app, pilot)
        screen = screen_of(app)
        assert screen.overview is None and "unknown customer 'zz-nobody'" in screen.error
        assert "unknown customer" in text_of(app, "#contracts-customer")
        assert app.focused is app.screen.query_one("#finder-input", Input)
        assert app.focused.value == "zz-nobody"


async def test_markup_in_names_is_shown_as_typed(contracts_db: tuple[Path, dict[str, int]], make_app: AppFactory) -> None:
    path, _ = contracts_db
    app = make_app(path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(app, pilot)
        app.action_contracts(None)
        await settle(app, pilot)
        await type_text(pilot, "[x]")  # part of the contact's name
        suggestions = app.screen.query_one("#finder-suggestions", OptionList)
        assert suggestions.option_count == 1
        prompt = str(suggestions.get_option_at_index(0).prompt)
        assert "Brackets [b]&[/b] Co ␛[31m" in prompt and ODD_CONTACT in prompt
        await pilot.press("enter")
        await settle(app, pilot)
        body = text_of(app, "#contracts-customer")
        assert "Brackets [b]&[/b] Co ␛[31m" in body and ODD_CONTACT in body and "[@click=app.quit]boss[/]" in body
        assert "\x1b" not in body
        assert app.is_running  # the [@click=app.quit] in the role is text, not an action


def test_suggestions_match_like_the_store(contracts_db: tuple[Path, dict[str, int]]) -> None:
    """A suggestion resolves to the same customer the services would find."""
    path, _ = contracts_db
    with Store.open(path) as store:
        customers = store.customers()
        for text in ("kba", "thijs", "de", "optics", "example", "[x]", "ODD", "zz"):
            assert [c.key for c, _ in match_customers(customers, text)] == [c.key for c in store.find_customers(text)], text


# --------------------------------------------------------------------- the price list


async def test_price_list_shows_the_levels_side_by_side(contracts_db: tuple[Path, dict[str, int]], make_app: AppFactory) -> None:
    path, _ = contracts_db
    app = make_app(path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        app.action_contracts("KBA")
        await settle(app, pilot)
        await pilot.press("p")
        await settle(app, pilot)
        prices = text_of(app, "#contracts-price-list").splitlines()
        header = next(line for line in prices if "Gold" in line and "Silver" in line)
        assert header.split() == ["Gold", "Silver", "Bronze"]  # dearest first
        assert next(line for line in prices if line.startswith("price / month")).split()[3:] == ["2,400", "1,150", "450"]
        assert any(line.split() == ["response", "P1", "15m", "30m", "1h"] for line in prices)
        assert any(line.split() == ["resolution", "P1", "1h", "4h", "8h"] for line in prices)
        assert any(line.split() == ["P4", "2bd", "2bd", "3bd"] for line in prices)
        assert any(line.split() == ["plan", "P1", "30m", "1h", "-"] for line in prices)  # Bronze has no plan target
        assert "Gold  24x7" in "\n".join(prices)
        # p (or esc) goes back to the customer; esc again leaves the screen.
        await pilot.press("p")
        assert str(app.screen.query_one("#contracts-views").current) == "contracts-overview"
        await pilot.press("p", "escape")
        assert str(app.screen.query_one("#contracts-views").current) == "contracts-overview"
        assert isinstance(app.screen, ContractScreen)
        await pilot.press("escape")
        assert not isinstance(app.screen, ContractScreen)


# --------------------------------------------------------------------- snapshots


def _open(customer: str | None, *keys: str):  # type: ignore[no-untyped-def]
    async def run_before(pilot: Pilot) -> None:  # type: ignore[type-arg]
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        pilot.app.action_contracts(customer)  # type: ignore[attr-defined]
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        for key in keys:
            await pilot.press(key)
            await pilot.app.workers.wait_for_complete()
            await pilot.pause()

    return run_before


def test_contracts_kba_80x24(snap_compare, contracts_db, make_app: AppFactory) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(contracts_db[0]), terminal_size=(80, 24), run_before=_open("KBA"))


def test_contracts_kba_160x48(snap_compare, contracts_db, make_app: AppFactory) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(contracts_db[0]), terminal_size=(160, 48), run_before=_open("KBA"))


def test_contracts_price_list_80x24(snap_compare, contracts_db, make_app: AppFactory) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(contracts_db[0]), terminal_size=(80, 24), run_before=_open("KBA", "p"))


def test_contracts_finder_80x24(snap_compare, contracts_db, make_app: AppFactory) -> None:  # type: ignore[no-untyped-def]
    assert snap_compare(make_app(contracts_db[0]), terminal_size=(80, 24), run_before=_open(None, "d", "e"))
