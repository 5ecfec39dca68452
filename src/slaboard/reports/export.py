"""A report as text for the terminal, and as JSON and CSV for other tools: numbers
as numbers, instants in ISO-8601, one row per group. Every CSV slaboard writes goes
through ``csv_text``, so no cell of user text can run as a spreadsheet formula."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from slaboard.reports.figures import Figures, Report
from slaboard.textfmt import compact

CSV_COLUMNS = (
    "group", "opened", "resolved", "response_met", "response_missed", "response_met_share",
    "plan_met", "plan_missed", "plan_met_share", "resolution_met", "resolution_missed", "resolution_met_share", "open_breached",
    "respond_business_mean_s", "respond_business_median_s", "respond_calendar_mean_s", "respond_calendar_median_s",
    "plan_business_mean_s", "plan_business_median_s", "plan_calendar_mean_s", "plan_calendar_median_s",
    "resolve_business_mean_s", "resolve_business_median_s", "resolve_calendar_mean_s", "resolve_calendar_median_s",
    "paused_s", "billable_calls", "billable_hours", "billable_amount",
)


def share(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.0f}%"


def duration(seconds: float | None) -> str:
    return "-" if seconds is None else compact(int(seconds))


def to_json(report: Report) -> str:
    return json.dumps(report.to_dict(), indent=2, ensure_ascii=False)


# What makes Excel, LibreOffice and Google Sheets read a cell as a formula (OWASP's
# advice on CSV injection); a leading ' makes them show it as text.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_cell(value: Any) -> Any:
    """``value`` as a CSV cell that a spreadsheet shows and never runs: text that
    starts like a formula gets a leading ``'``. Numbers stay numbers (a -5 that
    slaboard writes is a value, not a formula), so only text is ever changed."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def csv_text(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    """A header and one line per row, every cell through ``spreadsheet_cell``."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=[spreadsheet_cell(c) for c in columns], lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({spreadsheet_cell(k): spreadsheet_cell(v) for k, v in row.items()})
    return out.getvalue()


def to_csv(report: Report) -> str:
    period = report.to_dict()["period"]
    extra = {"period_from": period["from"], "period_to": period["to"], "grouping": report.grouping}
    rows = [figures.to_dict() for figures in [*report.groups, report.total]]
    return csv_text([*CSV_COLUMNS, *extra], ({**{k: row[k] for k in CSV_COLUMNS}, **extra} for row in rows))


def table_rows(report: Report) -> tuple[list[str], list[list[str]]]:
    """Headers and rows of the terminal table (also used by the report screen)."""
    headers = ["", "opened", "solved", "resp met", "resp %", "plan met", "plan %", "resol met", "resol %", "open late",
               "resp med", "plan med", "resol med", "paused", "billable"]

    def line(f: Figures) -> list[str]:
        row = f.to_dict()
        return [
            f.key,
            str(f.opened),
            str(f.resolved),
            f"{f.response_met}/{f.response_met + f.response_missed}",
            share(f.response_share),
            f"{f.plan_met}/{f.plan_met + f.plan_missed}",
            share(f.plan_share),
            f"{f.resolution_met}/{f.resolution_met + f.resolution_missed}",
            share(f.resolution_share),
            str(f.open_breached),
            duration(row["respond_business_median_s"]),
            duration(row["plan_business_median_s"]),
            duration(row["resolve_business_median_s"]),
            duration(f.paused_seconds) if f.paused_seconds else "-",
            f"{f.billable_calls} · {f.billable_amount:.0f}" if f.billable_calls else "-",
        ]

    return headers, [line(g) for g in report.groups] + [line(report.total)]


def to_table(report: Report) -> str:
    headers, rows = table_rows(report)
    widths = [max(len(r[i]) for r in [headers, *rows]) for i in range(len(headers))]
    title = f"SLA report {report.period.label}" + (f" for {report.customer_name}" if report.customer_name else "")
    lines = [title, f"by {report.grouping}; times in business hours ({report.tz}); medians", ""]
    for n, row in enumerate([headers, *rows]):
        cells = [row[0].ljust(widths[0])] + [c.rjust(w) for c, w in zip(row[1:], widths[1:])]
        lines.append("  ".join(cells))
        if n == 0 or n == len(rows) - 1:
            lines.append("  ".join("-" * w for w in widths))
    if report.misses:
        lines += ["", "worst misses:"]
        for m in report.misses:
            why = f" — {m.justification}" if m.justification else " — no justification given"
            lines.append(f"  #{m.ticket_id} {m.customer}: {m.clock} {compact(m.late_seconds)} late (target {m.target}){why}")
    if report.escalations is not None:
        lines += ["", f"escalations: {report.escalations.sentence()}"]
    reasons = dict(report.total.paused_by_reason)
    if reasons:
        lines += ["", "time paused, by reason (business time):"]
        for reason, seconds in sorted(reasons.items(), key=lambda kv: -kv[1]):
            lines.append(f"  {compact(seconds):>8}  {reason}")
    return "\n".join(lines)
