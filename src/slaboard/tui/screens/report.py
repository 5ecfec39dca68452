"""The report screen: the SLA figures of a period for the customer meeting.

Period, grouping and customer are chosen by keyboard; the figures are computed by
``build_report`` in a thread worker with its own connection, which reports its
progress on the status line. A newer request supersedes an older one: the older
worker stops at its next progress step and its result is never shown. A request
that cannot run (a period that does not parse, a customer that does not resolve)
says why on one line and leaves the figures on screen as they were.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from rich.text import Text
from textual import getters, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static
from textual.worker import get_current_worker

from slaboard.reports import document
from slaboard.reports.export import share, table_rows, to_csv, to_json
from slaboard.reports.figures import GROUPINGS, Period, Report, build_report, parse_period
from slaboard.services.access import USER_ERRORS, open_store
from slaboard.services.outputs import write_output
from slaboard.services.tickets import ServiceError
from slaboard.tui.host import BoardHost
from slaboard.tui.screens.group_calls import GroupCallsScreen
from slaboard.tui.text import plain
from slaboard.tui.widgets.dialogs import EXPORTS, ExportChooser, export_name
from slaboard.tui.widgets.figures import FiguresTable, MonthChart, period_text

# Each level keeps a texture as well as a colour, so the stacks read in any theme.
PERIOD_FORMS = "a month (2026-07), a quarter (2026-Q3), a year (2026) or a range (2026-07-01..2026-09-30)"
_NOTHING = object()  # no row to keep the cursor on


# ------------------------------------------------------------------ periods


def preset_periods(today: date) -> list[tuple[str, str]]:
    """(name, period text) of the periods ``t`` steps through, last quarter first
    (the default, as on the command line)."""
    quarter = (today.month - 1) // 3 + 1
    last_q = f"{today.year}-Q{quarter - 1}" if quarter > 1 else f"{today.year - 1}-Q4"
    last_m = f"{today.year}-{today.month - 1:02d}" if today.month > 1 else f"{today.year - 1}-12"
    return [
        ("last quarter", last_q),
        ("this quarter", f"{today.year}-Q{quarter}"),
        ("this year", str(today.year)),
        ("last year", str(today.year - 1)),
        ("this month", f"{today.year}-{today.month:02d}"),
        ("last month", last_m),
    ]


def read_period(text: str, today: date) -> Period:
    """A typed period: a month, a quarter, a year, or a range ``A..B`` whose ends
    are dates or periods (``2026-07..2026-09``). Empty: last quarter. Raises
    ServiceError with one line that shows the forms."""
    value = text.strip()
    ends = re.split(r"\s*(?:\.\.|\bto\b)\s*", value, maxsplit=1) if value else [value]
    try:
        if len(ends) == 1:
            return parse_period(value or None, today=today)
        first, last = (_span(end, today) for end in ends)
        return parse_period(None, first.start.isoformat(), (last.end - timedelta(days=1)).isoformat(), today=today)
    except ServiceError as err:
        message = str(err)
        if "--" in message or len(ends) > 1:  # the command line's wording; say it for the screen
            if len(ends) > 1 and "before" in message:
                raise ServiceError(f"period {value!r}: the range ends before it starts") from None
            raise ServiceError(f"period {value!r}: type {PERIOD_FORMS}") from None
        raise


def _span(text: str, today: date) -> Period:
    try:
        day = date.fromisoformat(text)
    except ValueError:
        return parse_period(text, today=today)
    return Period(day, day + timedelta(days=1), day.isoformat())


def shift_period(period: Period, step: int, today: date) -> Period:
    """The period ``step`` lengths before (-1) or after (+1): a month, quarter or
    year moves by its own kind; a range by its length in days."""
    text = period_text(period)
    if ".." not in text:
        s, e = period.start, period.end
        months = (e.year - s.year) * 12 + e.month - s.month
        index = s.year * 12 + s.month - 1 + step * months
        start = date(index // 12, index % 12 + 1, 1)
        if months == 1:
            return read_period(f"{start.year:04d}-{start.month:02d}", today)
        if months == 3:
            return read_period(f"{start.year:04d}-Q{(start.month + 2) // 3}", today)
        return read_period(f"{start.year:04d}", today)
    days = (period.end - period.start).days
    start = period.start + timedelta(days=step * days)
    return read_period(f"{start.isoformat()}..{(start + timedelta(days=days - 1)).isoformat()}", today)


# ------------------------------------------------------------------ the chart


# ------------------------------------------------------------------ calls behind a row


# ------------------------------------------------------------------ export


# ------------------------------------------------------------------ the screen


@dataclass(frozen=True)
class ReportRequest:
    number: int
    period: Period
    grouping: str
    customer: str | None
    now: datetime


class _Superseded(Exception):
    """Raised inside a worker whose request a newer one has replaced."""


class ReportScreen(Screen[None]):
    """SLA figures for a period: a table by group, a chart per month, the calls
    behind each row, and exports."""
    app = getters.app(BoardHost)

    HELP_GROUP = "report"

    CSS_PATH = "report.tcss"
    BINDINGS = [
        Binding("escape,q", "back", "Back", id="report.back",
                tooltip="Back to the board (from the period or customer box: back to the table)"),
        Binding("enter", "calls", "Calls", id="report.calls", tooltip="The calls behind the selected row; enter opens one"),
        Binding("p", "edit_period", "Period", id="report.period",
                tooltip="Type a month (2026-07), quarter (2026-Q3), year (2026) or range (2026-07-01..2026-09-30)"),
        Binding("t", "next_preset", "Preset", id="report.preset",
                tooltip="Last quarter, this quarter, this year, last year, this month, last month"),
        Binding("less_than_sign", "shift_period(-1)", "Earlier", show=False, key_display="<", id="report.earlier",
                tooltip="The period before this one (the same length)"),
        Binding("greater_than_sign", "shift_period(1)", "Later", show=False, key_display=">", id="report.later",
                tooltip="The period after this one (the same length)"),
        Binding("c", "edit_customer", "Customer", id="report.customer",
                tooltip="One customer (code, key or part of the name); empty for all customers"),
        Binding("right_square_bracket", "grouping(1)", "By", key_display="]", id="report.next_grouping",
                tooltip="Group by customer, level, service, priority, contract, month"),
        Binding("left_square_bracket", "grouping(-1)", "By (back)", show=False, key_display="[", id="report.previous_grouping",
                tooltip="The grouping before this one"),
        Binding("e", "export", "Export", id="report.export",
                tooltip="Write CSV, JSON, Markdown or HTML to the current directory"),
        Binding("r", "recompute", "Recompute", show=False, id="report.recompute", tooltip="Read the figures again"),
    ]

    def __init__(self, customer: str | None = None) -> None:
        super().__init__()
        self.customer = customer.strip() if customer and customer.strip() else None
        self.grouping = "service" if self.customer else "level"
        self.period: Period | None = None
        self.report: Report | None = None
        self.running: ReportRequest | None = None
        self.error = ""
        self._number = 0
        self._row_groups: list[str | None] = []  # row index -> group key (None: the total)

    def compose(self) -> ComposeResult:
        yield Static(Content("SLA report"), id="title")
        with Horizontal(id="controls"):
            yield Static(Content.styled("period ", "bold"), classes="label")
            yield Input(placeholder="2026-Q3", compact=True, id="period")
            yield Static(Content.styled("  customer ", "bold"), classes="label")
            yield Input(placeholder="all customers", compact=True, id="customer")
            yield Static(id="by")
        yield Static(id="status")
        yield FiguresTable(cursor_type="row", zebra_stripes=True, fixed_columns=1, id="figures")
        with VerticalScroll(id="charts"):
            yield MonthChart(id="chart")
        yield Footer()

    def today(self) -> date:
        return self.app.clock().date()  

    def on_mount(self) -> None:
        self.period = read_period("", self.today())
        self.query_one("#period", Input).value = period_text(self.period)
        self.query_one("#customer", Input).value = self.customer or ""
        self.query_one("#figures", DataTable).focus()
        self._show_grouping()
        self.request()

    # ---------------------------------------------------------------- requests

    def request(self) -> None:
        """Compute the figures for the period, grouping and customer now chosen."""
        assert self.period is not None
        self._number += 1
        self.running = ReportRequest(self._number, self.period, self.grouping, self.customer, self.app.clock())
        self.error = ""
        self._show_status("starting")
        self.compute(self.running)

    @work(thread=True, exclusive=True, group="report", exit_on_error=False)
    def compute(self, request: ReportRequest) -> None:
        """Runs ``build_report`` on its own connection; posts progress, the report
        or one line of error back to the screen unless a newer request came."""
        worker = get_current_worker()

        def progress(message: str) -> None:
            if worker.is_cancelled:
                raise _Superseded
            self.app.call_from_thread(self._progress, request, message)

        try:
            with open_store(self.app.db_path) as store:
                report = build_report(store, request.period, request.now, grouping=request.grouping,
                                      customer=request.customer, progress=progress)
        except _Superseded:
            return
        except USER_ERRORS as err:
            message = str(err)
        except Exception as err:  # a bug: shown on the status line, never ends the app
            message = f"unexpected error: {err!r}"
        else:
            if not worker.is_cancelled:
                self.app.call_from_thread(self._done, request, report)
            return
        if not worker.is_cancelled:
            self.app.call_from_thread(self._failed, request, message)

    def _current(self, request: ReportRequest) -> bool:
        return self.is_attached and self.running is not None and request.number == self.running.number

    def _progress(self, request: ReportRequest, message: str) -> None:
        if self._current(request):
            self._show_status(message)

    def _failed(self, request: ReportRequest, message: str) -> None:
        if not self._current(request):
            return
        self.running = None
        self.error = message
        if self.report is not None:  # later choices build on the figures on screen (its customer's key)
            self.customer = self.report.customer
        self._show_status()

    def _done(self, request: ReportRequest, report: Report) -> None:
        if not self._current(request):
            return
        self.running = None
        self.show(report)

    # ---------------------------------------------------------------- drawing

    def show(self, report: Report) -> None:
        """Put ``report`` on screen: title, table, chart and status line."""
        same = self.report is not None and self.report.grouping == report.grouping
        previous = self._selected_group() if same else _NOTHING
        self.report = report
        self._fill_table(report, previous)
        self.query_one("#chart", MonthChart).show(report)
        self._show_title()
        self._show_status()
        self.refresh_bindings()

    def _fill_table(self, report: Report, select: object) -> None:
        table = self.query_one("#figures", DataTable)
        headers, rows = table_rows(report)
        table.clear(columns=True)
        limit = 18 if self.app.size.width < 110 else 34
        group_w = min(limit, max(len(report.grouping), *(len(plain(r[0])) for r in rows)))
        # Numbers are right-aligned by padding: the table draws a Text's own
        # justification only within the text's width.
        widths = [max(len(header), *(len(r[i]) for r in rows)) for i, header in enumerate(headers)]
        table.add_column(Text(report.grouping, style="bold"), width=group_w, key="group")
        for i, header in enumerate(headers[1:], 1):
            table.add_column(Text(header.rjust(widths[i])), key=f"c{i}")
        self._row_groups = [g.key for g in report.groups] + [None]
        for index, (group, row) in enumerate(zip(self._row_groups, rows)):
            style = "bold" if group is None else ""
            first = Text(plain(row[0]), style=style, no_wrap=True, overflow="ellipsis", end="")
            cells = [first, *(Text(cell.rjust(widths[i]), style=style, no_wrap=True, end="") for i, cell in enumerate(row[1:], 1))]
            table.add_row(*cells, key=str(index))
        if select is not _NOTHING and select in self._row_groups:
            table.move_cursor(row=self._row_groups.index(select), animate=False)

    def _show_title(self) -> None:
        report = self.report
        if report is None:
            return
        named = dict((text, name) for name, text in preset_periods(self.today()))
        preset = named.get(period_text(report.period))
        who = plain(report.customer_name) if report.customer_name else "all customers"
        title = Content.assemble(
            ("SLA report", "bold"), " · ", (report.period.label, "bold $primary"),
            (f" ({preset})" if preset else "", "$text-muted"), " · ", who, " · by ", (report.grouping, "bold"),
        )
        self.query_one("#title", Static).update(title)

    def _show_status(self, progress: str | None = None) -> None:
        status = self.query_one("#status", Static)
        request = self.running
        if request is not None:
            what = f"{request.period.label} by {request.grouping}" + (f" for {plain(request.customer)}" if request.customer else "")
            status.update(Content.assemble(("⟳ ", "$accent"), (f"computing {what}: {progress or 'starting'}…", "$accent")))
        elif self.error:
            keep = " — the figures shown are the previous ones" if self.report is not None else ""
            status.update(Content.assemble(("✗ ", "bold $error"), (plain(self.error) + keep, "$error")))
        elif self.report is not None:
            t, e = self.report.total, self.report.escalations
            warned = f" · {e.warned} of {e.missed} misses escalated first" if e is not None and e.missed else ""
            status.update(Content.styled(
                f"{t.opened} opened · {t.resolved} resolved · {share(t.resolution_share)} resolved in time{warned}"
                " · enter lists a row's calls", "$text-muted"))
        status.set_class(bool(self.error) and request is None, "-error")

    def _show_grouping(self) -> None:
        self.query_one("#by", Static).update(Content.assemble(
            ("  by ", "bold"), ("◂ ", "$text-muted"), (self.grouping, "bold $accent"), (" ▸", "$text-muted")))

    def _selected_group(self) -> str | None:
        table = self.query_one("#figures", DataTable)
        if not self._row_groups or table.row_count == 0:
            return None
        return self._row_groups[min(table.cursor_row, len(self._row_groups) - 1)]

    # ---------------------------------------------------------------- choices

    def action_edit_period(self) -> None:
        self.query_one("#period", Input).focus()

    def action_edit_customer(self) -> None:
        self.query_one("#customer", Input).focus()

    @on(Input.Submitted, "#period")
    def _period_typed(self, event: Input.Submitted) -> None:
        event.stop()
        try:
            period = read_period(event.value, self.today())
        except ServiceError as err:
            self.error = str(err)
            self._show_status()
            return
        self._set_period(period)
        self.query_one("#figures", DataTable).focus()

    @on(Input.Submitted, "#customer")
    def _customer_typed(self, event: Input.Submitted) -> None:
        event.stop()
        self.customer = event.value.strip() or None
        self.query_one("#figures", DataTable).focus()
        self.request()

    def _set_period(self, period: Period) -> None:
        self.period = period
        self.query_one("#period", Input).value = period_text(period)
        self.request()

    def action_next_preset(self) -> None:
        presets = preset_periods(self.today())
        texts = [text for _, text in presets]
        current = period_text(self.period) if self.period else ""
        index = (texts.index(current) + 1) % len(texts) if current in texts else 0
        self._set_period(read_period(texts[index], self.today()))

    def action_shift_period(self, step: int) -> None:
        if self.period is not None:
            self._set_period(shift_period(self.period, step, self.today()))

    def action_grouping(self, step: int) -> None:
        self.grouping = GROUPINGS[(GROUPINGS.index(self.grouping) + step) % len(GROUPINGS)]
        self._show_grouping()
        self.request()

    def action_recompute(self) -> None:
        self.request()

    def action_back(self) -> None:
        focused = self.focused
        if isinstance(focused, Input):  # leave the box as it was applied, back to the table
            focused.value = (period_text(self.period) if self.period else "") if focused.id == "period" else (self.customer or "")
            if self.error and self.running is None:
                self.error = ""
                self._show_status()
            self.query_one("#figures", DataTable).focus()
            return
        self.app.pop_screen()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("calls", "export") and self.report is None:
            return None
        return True

    # ---------------------------------------------------------------- the calls behind a row

    @on(DataTable.RowSelected, "#figures")
    def _row_chosen(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_calls()

    def action_calls(self) -> None:
        report = self.report
        if report is None or not self._row_groups:
            return
        group = self._selected_group()
        if group is None:
            ids = sorted({i for ids in report.ticket_ids.values() for i in ids})
            label = Content.assemble(("all calls", "bold"), f" · {report.period.label} · {len(ids)} calls")
        else:
            ids = report.ticket_ids.get(group, [])
            label = Content.assemble(
                (f"{report.grouping} ", "$text-muted"), (plain(group), "bold"), f" · {report.period.label} · {len(ids)} calls")
        self.app.push_screen(GroupCallsScreen(label, ids, report.tz))

    # ---------------------------------------------------------------- export

    def action_export(self) -> None:
        if self.report is not None:
            report = self.report

            def chosen(fmt: str | None) -> None:
                if fmt:
                    self.export(report, fmt)

            self.app.push_screen(ExportChooser(report), chosen)

    def export(self, report: Report, fmt: str) -> Path | None:
        """Write ``report`` as ``fmt`` (csv, json, md, html) to the current directory;
        the operator is told the path or what went wrong."""
        try:
            if fmt == "csv":
                text = to_csv(report)
            elif fmt == "json":
                text = to_json(report)
            else:
                text = document.to_markdown(report) if fmt == "md" else document.to_html(report)
            path = Path.cwd() / export_name(report, fmt)
            database = self.app.db_path
            write_output(path, text, database if isinstance(database, Path) else None)
        except ServiceError as err:
            self.notify(f"Cannot write the {EXPORTS[fmt][0]} file: {err}", severity="error", timeout=8, markup=False)
            return None
        except Exception as err:  # a bug in an exporter: say so, keep the screen
            self.notify(f"Export failed: {err!r}", severity="error", timeout=8, markup=False)
            return None
        self.notify(f"Wrote {path}", title=f"{EXPORTS[fmt][0]} export", timeout=6, markup=False)
        return path
