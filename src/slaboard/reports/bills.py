"""A month's bills written out: a table for the terminal, CSV for the bookkeeper's
spreadsheet (every cell of user text through ``spreadsheet_cell``), JSON, and
Markdown to paste into a mail. Every figure comes from the bill; nothing here
counts."""

from __future__ import annotations

import json
from collections.abc import Iterator

from slaboard.domain.models import minutes_text
from slaboard.reports.export import csv_text
from slaboard.services.billing import Billing, CustomerBill, Line, period_label
from slaboard.textfmt import plain

KIND_WORDS = {"covered": "covered", "block": "from the block", "billable": "billable"}


def state_text(billing: Billing) -> str:
    if billing.closed_at:
        return f"closed {billing.closed_at[:10]} by {billing.closed_by}: these figures are final"
    return "open: the figures may change until the month is closed (slaboard billing close)"


def to_json(billing: Billing) -> str:
    return json.dumps(billing.to_dict(), indent=2, ensure_ascii=False)


CSV_COLUMNS = ("customer", "customer_name", "period", "kind", "date", "ticket", "title", "operator",
               "worked_minutes", "hours", "rate", "amount", "currency", "description")


def to_csv(billing: Billing) -> str:
    """One row per fee and per line of work."""
    def rows() -> Iterator[dict[str, object]]:
        for b in billing.bills:
            base = {"customer": b.customer, "customer_name": b.name, "period": b.period,
                    "currency": billing.msp.currency}
            for fee in b.fees:
                yield {**base, "kind": "fee", "amount": str(fee.amount), "description": fee.label}
            for line in b.lines:
                yield {**base, "kind": line.kind, "date": line.day.isoformat(), "ticket": line.ticket,
                       "title": line.title, "operator": line.operator, "worked_minutes": line.worked,
                       "hours": line.hours, "rate": "" if line.rate is None else str(line.rate),
                       "amount": "" if line.amount is None else str(line.amount), "description": line.reason}

    return csv_text(CSV_COLUMNS, rows())


def _line_cells(billing: Billing, line: Line) -> list[str]:
    rate = billing.money(line.rate) + "/h" if line.rate is not None else ("–" if line.kind != "billable" else "no rate")
    amount = billing.money(line.amount) if line.kind == "billable" else "–"
    return [line.day.isoformat(), f"#{line.ticket}", plain(line.operator), line.hours, KIND_WORDS[line.kind], rate,
            amount, plain(line.title)]


def customer_table(billing: Billing, b: CustomerBill) -> list[str]:
    """One customer's month as lines of text."""
    out = [plain(f"{b.name} ({b.customer})")]
    for contract in b.contracts or ["no contract in force this month"]:
        out.append(f"  contract  {plain(contract)}")
    label_width = max((len(plain(fee.label)) for fee in b.fees), default=0)
    money_width = max((len(billing.money(fee.amount)) for fee in b.fees), default=0)
    for fee in b.fees:
        out.append(f"  fee       {plain(fee.label):<{label_width}}  {billing.money(fee.amount):>{money_width}}")
    for block in b.blocks:
        out.append(f"  block     {plain(block.summary())}")
        out.append(f"            {plain(block.lapses)}")
    if b.lines:
        cells = [["date", "call", "operator", "hours", "", "rate", "amount", "title"]]
        cells += [_line_cells(billing, line) for line in b.lines]
        widths = [max(len(row[i]) for row in cells) for i in range(7)]
        for n, row in enumerate(cells):
            text = "  ".join(cell.rjust(widths[i]) if i in (3, 5, 6) else cell.ljust(widths[i])
                             for i, cell in enumerate(row[:7]))
            out.append(f"  {'work' if n == 0 else '':<8}  {text}  {row[7][:60]}".rstrip())
    else:
        out.append("  work      none logged")
    hours = [f"worked {minutes_text(b.worked()) if b.worked() else '0m'}"]
    for kind in ("covered", "block", "billable"):
        if b.minutes(kind):
            hours.append(f"{KIND_WORDS[kind]} {minutes_text(b.minutes(kind))}")
    out.append(f"  hours     {', '.join(hours)}")
    out.append(f"  total     fees {billing.money(b.fees_total)} + work {billing.money(b.work_total)} "
               f"= {billing.money(b.total)}")
    out += [f"  warning   {plain(w)}" for w in b.warnings]
    return out


def to_table(billing: Billing) -> str:
    out = [plain(f"Billing {period_label(billing.period)} — {billing.msp.name} ({billing.msp.currency})"),
           state_text(billing), ""]
    if not billing.bills:
        out.append("no customer had a contract or logged work this month")
    for b in billing.bills:
        out += customer_table(billing, b) + [""]
    if len(billing.bills) > 1:
        out.append(f"Total for {len(billing.bills)} customers: {billing.money(billing.total)}")
    if billing.running:
        out.append(plain(f"not counted yet: {len(billing.running)} timer(s) still running: {', '.join(billing.running)}"))
    return "\n".join(out).rstrip() + "\n"


def _md(text: str) -> str:
    """User text as Markdown that stays text: no markup, no table breaks."""
    escaped = plain(text)
    for char in "\\`*_{}[]<>()#+-.!|~":
        escaped = escaped.replace(char, "\\" + char)
    return escaped


def to_markdown(billing: Billing) -> str:
    out = [f"# Billing {period_label(billing.period)} — {_md(billing.msp.name)}", "", f"*{_md(state_text(billing))}*", ""]
    for b in billing.bills:
        out += [f"## {_md(b.name)}", ""]
        for contract in b.contracts or ["no contract in force this month"]:
            out.append(f"- Contract: {_md(contract)}")
        for fee in b.fees:
            out.append(f"- Fee: {_md(fee.label)}: **{_md(billing.money(fee.amount))}**")
        for block in b.blocks:
            out.append(f"- Block hours: {_md(block.summary())}; {_md(block.lapses)}")
        out.append("")
        if b.lines:
            out += ["| Date | Call | Operator | Hours | | Rate | Amount | Title |", "|---|---|---|--:|---|--:|--:|---|"]
            for line in b.lines:
                cells = _line_cells(billing, line)
                out.append("| " + " | ".join(_md(c) for c in cells) + " |")
            out.append("")
        out.append(f"**Total: {_md(billing.money(b.total))}** (fees {_md(billing.money(b.fees_total))}, "
                   f"work {_md(billing.money(b.work_total))})")
        out += [f"> {_md(w)}" for w in b.warnings]
        out.append("")
    if len(billing.bills) > 1:
        out.append(f"**Total for {len(billing.bills)} customers: {_md(billing.money(billing.total))}**")
    return "\n".join(out).rstrip() + "\n"


FORMATS = {"table": to_table, "csv": to_csv, "json": to_json, "md": to_markdown}
