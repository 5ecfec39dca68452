"""Issue 15: "What you paid for" in the customer's report, beside the SLA figures of
the same months — on the fixed billing history of tests/services/test_billing.py,
whose every figure is worked out by hand there. Block Co's fourth quarter (with
the report's moment in November, so December has not begun):

- October: fee 800.00; 8h of the 10h block drawn, 2h left (they roll over).
- November, so far: fee 800.00; the 10h block and the 2h rolled over all drawn
  (12h), nothing left; 1h45m billed at 100 = 175.00; total 975.00.
- The quarter: fees 1,600.00, 20h drawn, 175.00 of work, 1,775.00 in all; worked
  8h + 12h50m = 20h50m (the rounding and minimums make it 20h drawn + 1h45m billed).
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from slaboard.reports import document
from slaboard.reports.figures import Period, build_report
from slaboard.services.billing import close
from slaboard.store import Store
from tests.services.test_billing import NOW, build_history

Q4 = Period(date(2026, 10, 1), date(2027, 1, 1), "Q4 2026")


@pytest.fixture
def history(empty_store: Store, tmp_path: Path) -> dict[str, int]:
    return build_history(empty_store, tmp_path)


def section(markdown: str) -> str:
    return markdown.split("## What you paid for", 1)[1].split("\n## ", 1)[0]


def rows(text: str) -> list[list[str]]:
    """The cells of the section's first Markdown table, bold and escapes taken off."""
    table = text.strip().split("\n\n")[0].splitlines()[2:]
    return [[re.sub(r"\\(.)", r"\1", c.strip().strip("*")) for c in line.strip("|").split("|")] for line in table]


def test_a_block_quarter_shows_each_month_and_the_totals(empty_store: Store, history: dict[str, int]) -> None:
    report = build_report(empty_store, Q4, NOW, customer="blockco")
    assert [(p.month, p.under_way, p.closed) for p in report.paid] == [("2026-10", False, False),
                                                                        ("2026-11", True, False)]
    text = section(document.to_markdown(report))
    assert rows(text) == [
        ["October 2026", "€800.00", "8h", "2h", "0.00", "€0.00", "€800.00"],
        ["November 2026 (so far)", "€800.00", "12h", "0m", "1.75", "€175.00", "€975.00"],
        ["Total", "€1,600.00", "20h", "0m", "1.75", "€175.00", "€1,775.00"],
    ]
    plain = re.sub(r"\\(.)", r"\1", text)
    assert ("Time worked: 20h50m; counted after the contract's rounding and minimums: 20h drawn from the "
            "prepaid hours, 1h45m billed at the hourly rate.") in plain
    assert "Prepaid hours at the end of November 2026: 10h + 2h rolled over (November 2026): 12h used of 12h" in plain
    assert "October 2026 is not closed for billing yet" in plain
    assert "November 2026 is not over" in plain
    # The billable lines, each with its rate: November's four, none from October.
    billable = text.split("### Billable work", 1)[1]
    a, c = f"#{history['block-a']}", f"#{history['block-c']}"
    assert [[r[1], *r[3:]] for r in rows(billable)] == [[c, "0.50", "€100.00", "€50.00"], [c, "0.50", "€100.00", "€50.00"],
                                                        [a, "0.75", "€100.00", "€75.00"]]


def test_the_html_page_and_the_json_carry_the_same_figures(empty_store: Store, history: dict[str, int]) -> None:
    report = build_report(empty_store, Q4, NOW, customer="blockco")
    html = document.to_html(report)
    paid = html.split('<section id="paid">', 1)[1].split("</section>", 1)[0]
    cells = re.findall(r"<td[^>]*>(.*?)</td>", paid.split("</table>", 1)[0])
    assert cells == ["October 2026", "€800.00", "8h", "2h", "0.00", "€0.00", "€800.00",
                     "November 2026 (so far)", "€800.00", "12h", "0m", "1.75", "€175.00", "€975.00",
                     "Total", "€1,600.00", "20h", "0m", "1.75", "€175.00", "€1,775.00"]
    assert '<tr class="total">' in paid
    # It sits beside the SLA figures of the same period, on the same page.
    assert html.index('id="paid"') < html.index('id="figures"')
    data = json.loads(json.dumps(report.to_dict()))
    assert [(p["month"], p["totals"]["total"]) for p in data["paid"]] == [("2026-10", "800.00"), ("2026-11", "975.00")]


def test_a_closed_month_is_final_and_keeps_its_figures(empty_store: Store, history: dict[str, int]) -> None:
    close(empty_store, "2026-10", "ann", NOW)
    report = build_report(empty_store, Q4, NOW, customer="blockco")
    assert [(p.month, p.closed) for p in report.paid] == [("2026-10", True), ("2026-11", False)]
    text = section(document.to_markdown(report))
    assert "October 2026 is not closed" not in text
    assert rows(text)[0] == ["October 2026", "€800.00", "8h", "2h", "0.00", "€0.00", "€800.00"]


def test_a_fixed_contract_bills_its_fee_and_the_work_it_does_not_cover(empty_store: Store,
                                                                       history: dict[str, int]) -> None:
    november = Period(date(2026, 11, 1), date(2026, 12, 1), "November 2026")
    text = section(document.to_markdown(build_report(empty_store, november, NOW, customer="fixco")))
    # 1,000.00 fee; 30m of printing and 30m decided billable, at 90: 90.00.
    assert rows(text) == [["November 2026 (so far)", "€1,000.00", "–", "–", "1.00", "€90.00", "€1,090.00"]]


def test_a_period_with_no_contract_and_no_time_says_nothing_was_billed(empty_store: Store,
                                                                       history: dict[str, int]) -> None:
    last_year = Period(date(2025, 1, 1), date(2026, 1, 1), "2025")
    report = build_report(empty_store, last_year, NOW, customer="fixco")
    assert report.paid == []
    assert "Nothing was billed for this period" in document.to_markdown(report)
    assert "Nothing was billed for this period" in document.to_html(report)
