"""A month's bills on a fixed history, on both engines, every figure worked out by
hand in the comments: a fixed contract (covered work, an uncovered service, an
operator's decision), a block of hours with rollover that runs out mid-month
(covered, then split, then billable), a quarterly block, time and materials with
rounding and a minimum per call and day, a contract that starts mid-month (its
fee in proportion, work before it at the MSP's rate), a call whose work spans two
months, and a closed month that keeps its figures when the contracts change."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from slaboard.services.billing import (
    Billing,
    BillingError,
    CustomerBill,
    bill,
    close,
    current_block,
    decide,
    money_text,
    parse_period,
    set_billable,
)
from slaboard.services.loading import load_files
from slaboard.services.tickets import NewCall, open_call
from slaboard.services.timekeeping import TimeError, add_entry, start_timer
from slaboard.store import Store

AMS = ZoneInfo("Europe/Amsterdam")
NOW = datetime(2026, 11, 26, 10, 0, tzinfo=AMS)

CONTRACTS = """\
[msp]
name = "Test MSP"
tz = "Europe/Amsterdam"
default_hourly_rate = 80
currency = "EUR"

[calendars.always]
always_open = true

[levels.gold]
name = "Gold"
calendar = "always"
price_per_month = 2400
response   = { P1 = "15m", P2 = "30m", P3 = "1h", P4 = "4h" }
resolution = { P1 = "1h",  P2 = "4h",  P3 = "8h", P4 = "2bd" }

[services.email]
name = "E-mail"

[services.network]
name = "Network"

[services.printing]
name = "Printing"

[customers.fixco]
name = "Fix Co"
tz = "Europe/Amsterdam"

[customers.blockco]
name = "Block Co"
tz = "Europe/Amsterdam"

[customers.quartco]
name = "Quarter Co"
tz = "Europe/Amsterdam"

[customers.tmco]
name = "T&M Co"
tz = "Europe/Amsterdam"

[customers.newco]
name = "New Co"
tz = "Europe/Amsterdam"

[[contracts]]
customer = "fixco"
level = "gold"
valid_from = 2026-01-01
valid_to = 2026-12-31
services = ["email", "network"]
price_per_month = 1000
hourly_rate = 90
rounding = "15m"

[[contracts]]
customer = "blockco"
level = "gold"
kind = "block_hours"
block_hours = 10
rollover = true
rounding = "15m"
minimum = "30m"
valid_from = 2026-10-01
services = ["email", "network"]
price_per_month = 800
hourly_rate = {rate}

[[contracts]]
customer = "quartco"
level = "gold"
kind = "block_hours"
block_hours = 6
block_period = "quarter"
valid_from = 2026-01-01
services = ["email"]
price_per_month = 500
hourly_rate = 100

[[contracts]]
customer = "tmco"
level = "gold"
kind = "time_and_materials"
rounding = "15m"
minimum = "1h"
valid_from = 2026-01-01
services = ["email"]
price_per_month = 0
hourly_rate = 120

[[contracts]]
customer = "newco"
level = "gold"
valid_from = 2026-11-16
services = ["email"]
price_per_month = 300
"""


def at(month: int, day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=AMS)


def load(store: Store, tmp_path: Path, rate: int = 100) -> None:
    path = tmp_path / "billing.toml"
    path.write_text(CONTRACTS.replace("{rate}", str(rate)), encoding="utf-8")
    load_files(store, [path], NOW)


def call(store: Store, customer: str, service: str, reported: datetime, title: str = "work") -> int:
    return open_call(store, NewCall(customer=customer, service=service, title=title, reported_at=reported),
                     "ann", reported).ticket.id


@pytest.fixture
def history(empty_store: Store, tmp_path: Path) -> dict[str, int]:
    return build_history(empty_store, tmp_path)


def build_history(store: Store, tmp_path: Path) -> dict[str, int]:
    """The fixed history every figure here is worked out on (the report's tests use it too)."""
    load(store, tmp_path)
    calls = {
        "fix-mail": call(store, "fixco", "email", at(11, 2, 8)),
        "fix-print": call(store, "fixco", "printing", at(11, 2, 8)),
        "block-a": call(store, "blockco", "network", at(10, 5, 8)),
        "block-b": call(store, "blockco", "email", at(11, 2, 8)),
        "block-c": call(store, "blockco", "email", at(11, 10, 8)),
        "quart": call(store, "quartco", "email", at(10, 6, 8)),
        "tm-d": call(store, "tmco", "email", at(11, 4, 8)),
        "tm-e": call(store, "tmco", "printing", at(11, 5, 8)),
        "new": call(store, "newco", "email", at(11, 10, 8)),
    }

    def work(name: str, start: datetime, minutes: int, **decided: object) -> None:
        operator = {"fix": "ann", "block": "bob", "quart": "cem", "tm": "dee", "new": "eve"}[name.split("-")[0]]
        add_entry(store, ticket_id=calls[name], operator=operator, now=NOW, started_at=start, minutes=minutes,
                  **decided)  # type: ignore[arg-type]

    work("fix-mail", at(11, 3, 10), 40)  # covered, counted as worked: 40m
    work("fix-print", at(11, 3, 11), 20)  # printing is not covered: 20m -> 30m at 90 = 45.00
    work("fix-mail", at(11, 4, 10), 30, billable=True, reason="after-hours project work")  # 30m at 90 = 45.00
    work("block-a", at(10, 5, 9), 480)  # October: 8h of the 10h block, 2h roll over into November
    work("block-b", at(11, 2, 9), 10)  # 10m -> 15m, the day's minimum 30m: 30m from the block (690 left)
    work("block-b", at(11, 3, 8), 650)  # 10h50m -> 11h: from the block (30m left)
    work("block-c", at(11, 10, 9), 55)  # 55m -> 1h: 30m from the block, 30m past it at 100 = 50.00
    work("block-c", at(11, 12, 9), 10)  # 10m -> 15m, minimum 30m: billable at 100 = 50.00
    work("block-a", at(11, 20, 9), 45)  # the October call, worked on in November: 45m at 100 = 75.00
    work("quart", at(10, 7, 9), 300)  # October: 5h of the quarter's 6h
    work("quart", at(11, 9, 9), 90)  # November: 1h from the block, 30m past it at 100 = 50.00
    work("tm-d", at(11, 4, 9), 20)  # 20m -> 30m
    work("tm-d", at(11, 4, 14), 10)  # 10m -> 15m; the day's 45m is under the 1h minimum: +15m = 30m
    work("tm-e", at(11, 5, 9), 60)  # printing, not covered: billable at the contract's 120 = 120.00
    work("new", at(11, 10, 9), 30)  # before New Co's contract: the MSP's 80/h = 40.00
    return calls


def one(billing: Billing, customer: str) -> CustomerBill:
    return next(b for b in billing.bills if b.customer == customer)


def lines(b: CustomerBill) -> list[tuple[str, int, str, int, str | None]]:
    return [(line.day.isoformat(), line.ticket, line.kind, line.minutes,
             None if line.amount is None else str(line.amount)) for line in b.lines]


def test_a_fixed_contract_covers_its_services_and_bills_the_rest(empty_store: Store, history: dict[str, int]) -> None:
    b = one(bill(empty_store, "2026-11", now=NOW), "fixco")
    assert [(f.label, str(f.amount)) for f in b.fees] == [("Gold contract, November 2026", "1000.00")]
    assert lines(b) == [
        ("2026-11-03", history["fix-mail"], "covered", 40, "0.00"),
        ("2026-11-03", history["fix-print"], "billable", 30, "45.00"),
        ("2026-11-04", history["fix-mail"], "billable", 30, "45.00"),
    ]
    assert b.lines[1].reason == "printing is not covered by the Gold contract"
    assert b.lines[2].reason == "billable as logged: after-hours project work"
    assert (b.work_total, b.total) == (Decimal("90.00"), Decimal("1090.00"))
    assert b.blocks == []


def test_a_block_with_rollover_runs_out_mid_month_then_work_is_billable(empty_store: Store,
                                                                         history: dict[str, int]) -> None:
    october = one(bill(empty_store, "2026-10", now=NOW), "blockco")
    assert [(k.bought, k.rolled_over, k.used, k.left) for k in october.blocks] == [(600, 0, 480, 120)]
    b = one(bill(empty_store, "2026-11", now=NOW), "blockco")
    assert lines(b) == [
        ("2026-11-02", history["block-b"], "block", 30, "0.00"),
        ("2026-11-03", history["block-b"], "block", 660, "0.00"),
        ("2026-11-10", history["block-c"], "block", 30, "0.00"),
        ("2026-11-10", history["block-c"], "billable", 30, "50.00"),
        ("2026-11-12", history["block-c"], "billable", 30, "50.00"),
        ("2026-11-20", history["block-a"], "billable", 45, "75.00"),
    ]
    assert b.lines[3].reason == "past the block of 12h (November 2026)"
    assert [(k.window, k.bought, k.rolled_over, k.used, k.left, k.low) for k in b.blocks] == [
        ("November 2026", 600, 120, 720, 0, True)]
    assert (b.fees_total, b.work_total, b.total) == (Decimal("800.00"), Decimal("175.00"), Decimal("975.00"))
    assert (b.minutes("block"), b.minutes("billable"), b.worked()) == (720, 105, 770)


def test_a_quarterly_block_counts_the_months_before_in_its_quarter(empty_store: Store,
                                                                   history: dict[str, int]) -> None:
    b = one(bill(empty_store, "2026-11", now=NOW), "quartco")
    assert lines(b) == [("2026-11-09", history["quart"], "block", 60, "0.00"),
                        ("2026-11-09", history["quart"], "billable", 30, "50.00")]
    assert [(k.window, k.used_before, k.used, k.left) for k in b.blocks] == [("Q4 2026", 300, 60, 0)]
    assert b.total == Decimal("550.00")


def test_time_and_materials_rounds_each_entry_and_counts_a_minimum_per_call_and_day(
        empty_store: Store, history: dict[str, int]) -> None:
    b = one(bill(empty_store, "2026-11", now=NOW), "tmco")
    assert lines(b) == [("2026-11-04", history["tm-d"], "billable", 30, "60.00"),
                        ("2026-11-04", history["tm-d"], "billable", 30, "60.00"),
                        ("2026-11-05", history["tm-e"], "billable", 60, "120.00")]
    assert b.fees == [] and b.total == Decimal("240.00")


def test_a_contract_from_mid_month_is_paid_for_its_days_and_work_before_it_at_the_msp_rate(
        empty_store: Store, history: dict[str, int]) -> None:
    b = one(bill(empty_store, "2026-11", now=NOW), "newco")
    assert [(f.label, str(f.amount)) for f in b.fees] == [("Gold contract, November 2026 (15 of 30 days)", "150.00")]
    assert lines(b) == [("2026-11-10", history["new"], "billable", 30, "40.00")]
    assert b.lines[0].reason == "no contract in force on 2026-11-10"
    assert b.total == Decimal("190.00")


def test_all_customers_and_the_grand_total(empty_store: Store, history: dict[str, int]) -> None:
    november = bill(empty_store, "2026-11", now=NOW)
    assert [b.customer for b in november.bills] == ["blockco", "fixco", "newco", "quartco", "tmco"]
    assert november.total == Decimal("1090.00") + Decimal("975.00") + Decimal("550.00") + Decimal("240.00") + \
        Decimal("190.00")
    assert money_text(november.total, november.msp) == "€3,045.00"
    again = Billing.from_dict(november.to_dict(), november.msp)
    assert again.to_dict() == november.to_dict()


def test_a_closed_month_keeps_its_figures_and_refuses_changes(empty_store: Store, history: dict[str, int],
                                                              tmp_path: Path) -> None:
    with pytest.raises(BillingError, match=r"^period: 2026-11 is not over yet"):
        close(empty_store, "2026-11", "sam", NOW)
    before = bill(empty_store, "2026-10", now=NOW).to_dict()
    closed = close(empty_store, "2026-10", "sam", NOW)
    assert closed.closed_by == "sam"
    with pytest.raises(BillingError, match=r"^period: 2026-10 was closed on 2026-11-26 by sam"):
        close(empty_store, "2026-10", "sam", NOW)
    with pytest.raises(TimeError, match="closed for billing"):
        add_entry(empty_store, ticket_id=history["block-a"], operator="bob", now=NOW, started_at=at(10, 20),
                  minutes=30)
    october_entry = next(e for e in empty_store.time_entries_of(ticket_id=history["quart"]) if e["period"] == "2026-10")
    with pytest.raises(BillingError, match="closed for billing"):
        set_billable(empty_store, october_entry["id"], True, "project", "sam", NOW)
    load(empty_store, tmp_path, rate=150)  # the block's rate goes up; October stays as closed
    after = bill(empty_store, "2026-10", now=NOW).to_dict()
    assert {k: v for k, v in after.items() if k not in ("closed_at", "closed_by")} == \
        {k: v for k, v in before.items() if k not in ("closed_at", "closed_by")}
    assert one(bill(empty_store, "2026-11", now=NOW), "blockco").work_total == Decimal("262.50")  # 105m at 150


def test_a_month_with_a_running_timer_is_not_closed(empty_store: Store, history: dict[str, int]) -> None:
    start_timer(empty_store, history["fix-mail"], "bob", NOW)
    with pytest.raises(BillingError, match=r"^period: 1 timer started in 2026-11 still runs \(#\d+ bob"):
        close(empty_store, "2026-11", "sam", NOW + timedelta(days=6))
    assert empty_store.billing_period("2026-11") is None
    assert bill(empty_store, "2026-11", now=NOW).running[0].startswith(f"#{history['fix-mail']} bob")


def test_an_operator_decides_an_entry_with_a_reason_in_the_history(empty_store: Store,
                                                                    history: dict[str, int]) -> None:
    entry = empty_store.time_entries_of(ticket_id=history["fix-print"])[0]
    with pytest.raises(BillingError, match="^reason: say why"):
        set_billable(empty_store, entry["id"], False, " ", "sam", NOW)
    set_billable(empty_store, entry["id"], False, "printer came with the contract", "sam", NOW)
    b = one(bill(empty_store, "2026-11", now=NOW), "fixco")
    assert b.work_total == Decimal("45.00")
    assert empty_store.events(history["fix-print"])[-1].note == \
        f"time entry #{entry['id']}: as the contract's rules decide → covered: printer came with the contract"
    set_billable(empty_store, entry["id"], None, "", "sam", NOW)
    assert one(bill(empty_store, "2026-11", now=NOW), "fixco").work_total == Decimal("90.00")


def test_the_decision_before_saving_follows_the_same_rules(empty_store: Store, history: dict[str, int]) -> None:
    covered = decide(empty_store, history["fix-mail"], at(11, 26, 8), 30)
    assert [line.kind for line in covered.lines] == ["covered"]
    assert covered.text() == "30m covered by the Gold contract"
    past = decide(empty_store, history["block-b"], at(11, 26, 8), 20)  # the block is used up: 30m minimum
    assert past.text() == "30m billable at €100.00/h (past the block of 12h (November 2026)): €50.00"
    block = current_block(empty_store, "blockco", NOW)
    assert block is not None and (block.left, block.low) == (0, True)
    assert "used up" in block.summary()
    assert current_block(empty_store, "fixco", NOW) is None


@pytest.mark.parametrize("text", ["2026-13", "26-11", "november", "", "2026-1"])
def test_a_period_is_a_month(text: str) -> None:
    with pytest.raises(BillingError, match="^period: .* is not a month such as 2026-11"):
        parse_period(text)


def test_a_change_of_billing_terms_alone_is_billed_after_a_reload(empty_store: Store, history: dict[str, int],
                                                                   tmp_path: Path) -> None:
    path = tmp_path / "billing.toml"
    path.write_text(CONTRACTS.replace("{rate}", "100").replace('kind = "time_and_materials"\nrounding = "15m"\n'
                                                             'minimum = "1h"', 'kind = "time_and_materials"'),
                    encoding="utf-8")
    versions = [(c.id, c.version) for c in empty_store.contracts_of("tmco")]
    load_files(empty_store, [path], NOW)
    assert [(c.id, c.version) for c in empty_store.contracts_of("tmco")] == versions  # the clocks' terms are the same
    b = one(bill(empty_store, "2026-11", now=NOW), "tmco")  # no rounding, no minimum: 20m, 10m and 60m at 120
    assert [line.minutes for line in b.lines] == [20, 10, 60] and b.total == Decimal("180.00")


@pytest.mark.parametrize("closed", [False, True], ids=["open", "October closed"])
def test_months_billed_together_are_the_months_billed_one_by_one(empty_store: Store, history: dict[str, int],
                                                                  closed: bool) -> None:
    """The report bills a period's months with one reading (a block's earlier
    periods drawn once): each month must be exactly the bill of that month alone —
    a quarter's block drawn only as far as the month, a rollover from the month
    before, a closed month as it was closed."""
    from slaboard.services.billing import customer_months

    if closed:
        close(empty_store, "2026-10", "ann", NOW)
    months = ["2026-09", "2026-10", "2026-11"]
    for customer in ("fixco", "blockco", "quartco", "tmco", "newco"):
        together = customer_months(empty_store, months, customer, NOW)
        alone = []
        for month in months:
            bills = bill(empty_store, month, customer=customer, now=NOW).bills
            made = bills[0] if bills and (bills[0].contracts or bills[0].lines) else None
            alone.append((month, made.to_dict() if made else None))
        assert [(m, b.to_dict() if b else None) for m, b, _ in together] == alone, customer
        assert [c for _, _, c in together] == [False, closed, False]
