"""The board's table: a line-rendered list of open calls.

Only the lines on screen are drawn, from cached rows, so a per-second countdown
and a refresh cost the same with 50 calls as with 5,000. The cursor follows the
ticket, not the line, when rows move.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from slaboard.services.board import GLYPHS, STATUS_LABELS, BoardRow
from slaboard.textfmt import compact
from slaboard.tui.text import headline, plain

_BLOCKS = " ▏▎▍▌▋▊▉█"


def bar(share: float, width: int) -> str:
    """A bar of ``width`` cells filled by ``share`` (eighths of a cell)."""
    eighths = max(0, min(width * 8, round(share * width * 8)))
    full, part = divmod(eighths, 8)
    text = "█" * full + (_BLOCKS[part] if part else "")
    return text.ljust(width, "·" if share < 1 else "█")


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int  # 0: takes the rest of the line
    align: str = "left"
    drop_below: int = 0  # hidden when the table is narrower than this
    status: bool = False  # drawn in the state's colour even on calm rows


# An escalated call's mark: the last threshold the watcher told someone of.
ESCALATED = {"opened": "paged", "warning": "warned", "critical": "critical", "breached": "breach"}


def _timer(row: BoardRow, now: int) -> str:
    """A running timer on the call: '⏱ 25m anna · ' (the earliest; '+1' for more)."""
    if not row.timers:
        return ""
    operator, since = row.timers[0]
    more = f" +{len(row.timers) - 1}" if len(row.timers) > 1 else ""
    return f"⏱ {compact(max(0, now - int(since.timestamp())))} {plain(operator)}{more} · "


def _age(row: BoardRow, now: int) -> str:
    seconds = now - int(row.view.ticket.reported_at.timestamp())
    return compact(max(0, seconds))


CELLS: dict[str, Callable[[BoardRow, int], str]] = {
    "glyph": lambda r, now: GLYPHS[r.state],
    "left": lambda r, now: r.left(now),
    "bar": lambda r, now: bar(r.share(now), 6) if r.lead is not None else "",
    "id": lambda r, now: f"#{r.id}",
    "customer": lambda r, now: plain(r.view.customer.name),
    "code": lambda r, now: plain(r.view.customer.code),
    "level": lambda r, now: plain(r.view.level),
    "service": lambda r, now: plain(r.view.ticket.service),
    "priority": lambda r, now: r.view.ticket.priority,
    "status": lambda r, now: STATUS_LABELS.get(r.view.ticket.status, r.view.ticket.status),
    "assignee": lambda r, now: plain(r.view.ticket.assignee) or "-",
    "age": _age,
    "title": lambda r, now: ("⚠ TELL CUSTOMER · " if r.view.at_risk else "")
    + (f"↑{ESCALATED[r.escalated]} · " if r.escalated else "") + _timer(r, now)
    + ("$ " if r.view.ticket.billable else "") + headline(r.view.ticket.title),
}

COLUMNS: tuple[Column, ...] = (
    Column("glyph", " ", 1, status=True),
    Column("left", "LEFT", 7, "right", status=True),
    Column("bar", "USED", 6, drop_below=100, status=True),
    Column("id", "#", 6),
    Column("customer", "CUSTOMER", 18, drop_below=120),
    Column("code", "CUST", 5, drop_below=0),
    Column("level", "LEVEL", 7, drop_below=100),
    Column("service", "SERVICE", 11),
    Column("priority", "P", 2),
    Column("status", "STATUS", 10),
    Column("assignee", "WHO", 8, drop_below=90),
    Column("age", "AGE", 6, "right", drop_below=110),
    Column("title", "TITLE", 0),
)


def visible_columns(width: int) -> list[Column]:
    cols = [c for c in COLUMNS if width >= c.drop_below]
    if width >= 120:  # the full name makes the code redundant
        cols = [c for c in cols if c.key != "code"]
    return cols


def row_text(row: BoardRow, now: int) -> str:
    """Everything a row shows, for the filter."""
    return " ".join(CELLS[c.key](row, now) for c in COLUMNS if c.key not in ("glyph", "bar"))


class SlaTable(ScrollView, can_focus=True):
    """Open calls, one per line, coloured by SLA state."""

    HELP_GROUP = "board"

    COMPONENT_CLASSES = {
        "slatable--header",
        "slatable--cursor",
        "slatable--ok",
        "slatable--warning",
        "slatable--critical",
        "slatable--breached",
        "slatable--paused",
        "slatable--none",
        "slatable--calm",
        "slatable--empty",
    }

    DEFAULT_CSS = """
    SlaTable {
        height: 1fr;
        background: $surface;
        scrollbar-size-vertical: 1;
        overflow-x: hidden;
    }
    SlaTable > .slatable--header { text-style: bold; background: $panel; color: $foreground; }
    SlaTable > .slatable--cursor { background: $primary 30%; }
    SlaTable:focus > .slatable--cursor { background: $primary 45%; }
    SlaTable > .slatable--ok { color: $sla-ok; }
    SlaTable > .slatable--warning { color: $sla-warning; }
    SlaTable > .slatable--critical { color: $sla-critical; text-style: bold; }
    SlaTable > .slatable--breached { color: $sla-breached; text-style: bold; }
    SlaTable > .slatable--paused { color: $sla-paused; }
    SlaTable > .slatable--none { color: $sla-none; }
    SlaTable > .slatable--calm { color: $foreground; }
    SlaTable > .slatable--empty { color: $foreground-muted; text-style: italic; }
    """

    BINDINGS = [
        Binding("down,j", "cursor_down", "Down", show=False, id="table.down", tooltip="Next call"),
        Binding("up,k", "cursor_up", "Up", show=False, id="table.up", tooltip="Previous call"),
        Binding("pagedown", "page_down", "Page down", show=False, id="table.page_down", tooltip="A screen further down"),
        Binding("pageup", "page_up", "Page up", show=False, id="table.page_up", tooltip="A screen further up"),
        Binding("home,g", "first", "First", show=False, id="table.first", tooltip="The most urgent call"),
        Binding("end,G", "last", "Last", show=False, id="table.last", tooltip="The least urgent call"),
        Binding("enter", "select", "Open", id="table.open", tooltip="Open the call's detail"),
    ]

    cursor_id: reactive[int | None] = reactive(None, layout=False)

    class Selected(Message):
        """Enter (or a double click) on a call."""

        def __init__(self, ticket_id: int) -> None:
            self.ticket_id = ticket_id
            super().__init__()

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.rows: list[BoardRow] = []
        self._index: dict[int, int] = {}
        self.now = 0
        self.empty_message = "No open calls."

    # ------------------------------------------------------------- data

    def set_rows(self, rows: Sequence[BoardRow], now: int) -> None:
        """Show ``rows`` in this order; the cursor stays on its ticket."""
        self.rows = list(rows)
        self.now = now
        self._index = {r.id: i for i, r in enumerate(self.rows)}
        self.virtual_size = Size(self.scrollable_content_region.width, len(self.rows) + 1)
        if self.cursor_id not in self._index:
            self.cursor_id = self.rows[0].id if self.rows else None
        self._keep_cursor_visible()
        self.refresh()

    @property
    def cursor_row(self) -> int:
        return self._index.get(self.cursor_id, 0) if self.cursor_id is not None else 0

    def _move(self, index: int) -> None:
        if not self.rows:
            return
        index = max(0, min(len(self.rows) - 1, index))
        self.cursor_id = self.rows[index].id
        self._keep_cursor_visible()
        self.refresh()

    def _keep_cursor_visible(self) -> None:
        if not self.rows:
            return
        visible = max(1, self.size.height - 1)
        index = self.cursor_row
        top = round(self.scroll_y)
        if index < top:
            self.scroll_to(y=index, animate=False)
        elif index >= top + visible:
            self.scroll_to(y=index - visible + 1, animate=False)

    # ------------------------------------------------------------- actions

    def action_cursor_down(self) -> None:
        self._move(self.cursor_row + 1)

    def action_cursor_up(self) -> None:
        self._move(self.cursor_row - 1)

    def action_page_down(self) -> None:
        self._move(self.cursor_row + max(1, self.size.height - 2))

    def action_page_up(self) -> None:
        self._move(self.cursor_row - max(1, self.size.height - 2))

    def action_first(self) -> None:
        self._move(0)

    def action_last(self) -> None:
        self._move(len(self.rows) - 1)

    def action_select(self) -> None:
        if self.cursor_id is not None:
            self.post_message(self.Selected(self.cursor_id))

    def on_click(self, event: events.Click) -> None:
        index = round(self.scroll_y) + event.y - 1
        if event.y >= 1 and 0 <= index < len(self.rows):
            self._move(index)
            if event.chain >= 2:
                self.action_select()

    def on_resize(self, event: events.Resize) -> None:
        self.virtual_size = Size(self.scrollable_content_region.width, len(self.rows) + 1)
        self._keep_cursor_visible()

    # ------------------------------------------------------------- drawing

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"slatable--{name}")

    def render_line(self, y: int) -> Strip:
        width = self.scrollable_content_region.width
        columns = visible_columns(width)
        if y == 0:
            labels = [(c.label, c) for c in columns]
            return self._strip(labels, columns, width, self._style("header"), None)
        index = round(self.scroll_y) + y - 1
        if index >= len(self.rows):
            if index == 0 and not self.rows:
                return Strip([Segment(set_cell_size(f" {self.empty_message}", width), self._style("empty"))])
            return Strip.blank(width, self.rich_style)
        row = self.rows[index]
        base = self._style("calm") if row.state == "ok" else self._style(row.state)
        status_style = self._style(row.state)
        if row.id == self.cursor_id:
            cursor = self._style("cursor")
            base = base + Style(bgcolor=cursor.bgcolor)
            status_style = status_style + Style(bgcolor=cursor.bgcolor)
        cells = [(CELLS[c.key](row, self.now), c) for c in columns]
        return self._strip(cells, columns, width, base, status_style)

    def _strip(
        self,
        cells: list[tuple[str, Column]],
        columns: list[Column],
        width: int,
        style: Style,
        status_style: Style | None,
    ) -> Strip:
        fixed = sum(c.width for c in columns if c.width) + len(columns)  # one space after each
        flex = max(0, width - fixed)
        segments = [Segment(" ", style)]
        for text, column in cells:
            w = column.width or flex
            if w <= 0:
                continue
            if cell_len(text) > w:
                text = set_cell_size(text, w - 1) + "…" if w > 1 else set_cell_size(text, w)
            if column.align == "right":
                text = " " * (w - cell_len(text)) + text
            else:
                text = set_cell_size(text, w)
            cell_style = status_style if (column.status and status_style is not None) else style
            segments.append(Segment(text, cell_style))
            segments.append(Segment(" ", style))
        return Strip(segments).adjust_cell_length(width, style)

    def visible_text(self) -> list[str]:
        """The lines on screen as plain text (for tests and the wall)."""
        return [self.render_line(y).text for y in range(self.size.height)]
