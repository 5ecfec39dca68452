"""The report's figures drawn: the month chart and the table of figures, and the
words for a period."""

from __future__ import annotations

from datetime import timedelta

from rich.text import Text
from textual.binding import Binding
from textual.content import Content
from textual.widget import Widget
from textual.widgets import DataTable

from slaboard.reports.export import share
from slaboard.reports.figures import Period, Report
from slaboard.tui.text import plain


class MonthChart(Widget):
    """The chart per month of the report on screen, drawn to the widget's width."""

    DEFAULT_CSS = "MonthChart { height: auto; }"

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.report: Report | None = None

    def show(self, report: Report) -> None:
        self.report = report
        self.refresh(layout=True)

    def render(self) -> Content:
        if self.report is None:
            return Content("")
        return Content("\n").join(chart_lines(self.report, self.size.width or 80))


class FiguresTable(DataTable[Text]):
    """The figures, one row per group and the total; the board's j/k/g/G work here
    too (home/end and left/right scroll sideways on a narrow terminal)."""

    HELP_GROUP = "report"

    BINDINGS = [
        Binding("j", "cursor_down", "Down", show=False, id="report_table.down", tooltip="Next row"),
        Binding("k", "cursor_up", "Up", show=False, id="report_table.up", tooltip="Previous row"),
        Binding("g", "scroll_top", "First", show=False, id="report_table.first", tooltip="The first group"),
        Binding("G", "scroll_bottom", "Last", show=False, id="report_table.last", tooltip="The total"),
    ]


TEXTURES = "█▓▒░"


def month_label(key: str) -> str:
    """``2026-07`` → ``Jul 2026``."""
    year, month = key.split("-")
    return f"{MONTH_NAMES[int(month) - 1]} {year}"


def level_order(report: Report) -> list[str]:
    """The levels in the calls-per-level chart: by name, calls without a contract last."""
    names = {level for counts in report.levels_by_month.values() for level in counts}
    return sorted(names, key=lambda n: (n == "none", n.lower()))


def met_bar(met: int, missed: int, width: int) -> Content:
    """Met share as a bar: met in the ok colour (to an eighth of a cell), missed
    after it in the breached colour, then the share as a number."""
    if met + missed == 0:
        return Content.assemble(("·" * width, "$text-muted"), ("     -", "$text-muted"))
    eighths = round(met / (met + missed) * width * 8)
    full, part = divmod(eighths, 8)
    filled = "█" * full + (_BLOCKS[part] if part else "")
    return Content.assemble(
        (filled, "$sla-ok"), ("░" * (width - len(filled)), "$sla-breached"),
        f" {share(met / (met + missed)):>5}",
    )


def level_stack(counts: dict[str, int], levels: list[str], scale: int, width: int) -> Content:
    """Calls per level as one stacked bar, ``scale`` calls filling ``width`` cells;
    segment ends are rounded from the running total so the bar never drifts."""
    parts: list[tuple[str, str]] = []
    running, drawn = 0, 0
    for i, level in enumerate(levels):
        running += counts.get(level, 0)
        end = round(running * width / scale) if scale else 0
        if end > drawn:
            parts.append((TEXTURES[i % len(TEXTURES)] * (end - drawn), level_colour(i, level)))
            drawn = end
    return Content.assemble(*parts, " " * (width - drawn))


def level_colour(index: int, level: str) -> str:
    return "$sla-none" if level == "none" else LEVEL_COLOURS[index % len(LEVEL_COLOURS)]


def chart_lines(report: Report, width: int) -> list[Content]:
    """Per month: the resolution targets met (bar and %) and the calls opened per
    level (stacked bar and count), then the legend. Fits ``width`` cells from 60 up."""
    months = report.months
    if not months:
        return []
    levels = level_order(report)
    totals = {m.key: sum(report.levels_by_month.get(m.key, {}).values()) for m in months}
    scale = max(totals.values(), default=0)
    count_w = max(3, len(str(scale)))
    label_w = 10
    met_w = max(8, min(30, (width - label_w) // 3 - 6))
    stack_w = max(8, width - label_w - (met_w + 6) - 3 - (count_w + 1))
    lines = [Content.assemble(
        " " * label_w, (f"{'resolution targets met':<{met_w + 6}}", "bold"), "   ", ("calls opened, per level", "bold"),
    )]
    for m in months:
        lines.append(Content.assemble(
            f"{month_label(m.key):<{label_w}}",
            met_bar(m.resolution_met, m.resolution_missed, met_w),
            "   ",
            level_stack(report.levels_by_month.get(m.key, {}), levels, scale, stack_w),
            f" {totals[m.key]:>{count_w}}",
        ))
    keys = [Content.assemble(("█", "$sla-ok"), " met  "), Content.assemble(("░", "$sla-breached"), " missed    ")]
    keys += [Content.assemble((TEXTURES[i % len(TEXTURES)] * 2, level_colour(i, level)),
                              " " + plain("no contract" if level == "none" else level) + "  ")
             for i, level in enumerate(levels)]
    line = Content(" " * label_w)
    for key in keys:  # the legend wraps under itself rather than past the edge
        if line.cell_length + key.cell_length > width and line.cell_length > label_w:
            lines.append(line.rstrip())
            line = Content(" " * label_w)
        line += key
    lines.append(line.rstrip())
    return lines


MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


LEVEL_COLOURS = ("$primary", "$accent", "$success", "$secondary", "$warning", "$error")


_BLOCKS = " ▏▎▍▌▋▊▉"


def period_text(period: Period) -> str:
    """The shortest text that reads back as ``period``: ``2026-07``, ``2026-Q3``,
    ``2026`` or ``2026-07-01..2026-08-15``."""
    s, e = period.start, period.end
    if s.day == 1 and e.day == 1:
        months = (e.year - s.year) * 12 + e.month - s.month
        if months == 1:
            return f"{s.year:04d}-{s.month:02d}"
        if months == 3 and s.month % 3 == 1:
            return f"{s.year:04d}-Q{(s.month + 2) // 3}"
        if months == 12 and s.month == 1:
            return f"{s.year:04d}"
    return f"{s.isoformat()}..{(e - timedelta(days=1)).isoformat()}"
