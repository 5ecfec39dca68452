"""The NOC wall's pieces: big type, the paged queue of open calls, the state,
next-breach and level tiles."""

from __future__ import annotations

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.renderables.digits import DIGITS, DIGITS3X3, DIGITS3X3_BOLD
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Digits, Static

from slaboard.services.board import GLYPHS, STATE_ORDER, BoardRow
from slaboard.services.wall import LevelToday, UpcomingBreach, resumes_at, zone_time
from slaboard.textfmt import compact
from slaboard.tui.text import headline, plain
from slaboard.tui.widgets.table import STATUS_LABELS

STATE_TITLES = {
    "breached": "BREACHED", "critical": "CRITICAL", "warning": "WARNING",
    "ok": "OK", "paused": "PAUSED", "none": "NO SLA",
}


# ------------------------------------------------------------------ big type


def big(text: str, bold: bool = True) -> tuple[str, str, str]:
    """``text`` in the 3x3 font of Textual's Digits, as three lines."""
    font = DIGITS3X3_BOLD if bold else DIGITS3X3
    rows: tuple[list[str], list[str], list[str]] = ([], [], [])
    for ch in text:
        index = DIGITS.find(ch)
        if index < 0:
            rows[0].append(" ")
            rows[1].append(" ")
            rows[2].append(ch)
            continue
        for r in range(3):
            rows[r].append(font[index * 3 + r].ljust(3))
    return ("".join(rows[0]), "".join(rows[1]), "".join(rows[2]))


def clock_digits(seconds: int) -> str:
    """Time left as ``h:mm`` for big digits (``-0:35`` overdue, ``4D`` past 99 hours),
    rounded down to the minute like the board's ``compact``."""
    sign = "-" if seconds < 0 else ""
    s = abs(seconds)
    hours, rest = divmod(s, 3600)
    if hours > 99:
        return f"{sign}{s // 86400}D"
    return f"{sign}{hours}:{rest // 60:02d}"


def _fit(text: str, width: int, align: str = "left") -> str:
    if width <= 0:
        return ""
    if cell_len(text) > width:
        return set_cell_size(text, width - 1) + "…" if width > 1 else set_cell_size(text, width)
    if align == "right":
        return " " * (width - cell_len(text)) + text
    if align == "center":
        pad = width - cell_len(text)
        return " " * (pad // 2) + text + " " * (pad - pad // 2)
    return set_cell_size(text, width)


# ------------------------------------------------------------------ the queue


class WallQueue(Widget):
    """One page of open calls, drawn line by line: one, two or three lines a call
    (three: the time left in big digits)."""

    COMPONENT_CLASSES = {
        "wallqueue--ok", "wallqueue--warning", "wallqueue--critical", "wallqueue--breached",
        "wallqueue--paused", "wallqueue--none", "wallqueue--calm", "wallqueue--muted",
        "wallqueue--new", "wallqueue--stripe", "wallqueue--empty", "wallqueue--risk",
    }

    DEFAULT_CSS = """
    WallQueue { height: 1fr; background: $background; }
    WallQueue > .wallqueue--ok { color: $sla-ok; text-style: bold; }
    WallQueue > .wallqueue--warning { color: $sla-warning; text-style: bold; }
    WallQueue > .wallqueue--critical { color: $sla-critical; text-style: bold; }
    WallQueue > .wallqueue--breached { color: $sla-breached; text-style: bold; }
    WallQueue > .wallqueue--paused { color: $sla-paused; }
    WallQueue > .wallqueue--none { color: $sla-none; }
    WallQueue > .wallqueue--calm { color: $foreground; }
    WallQueue > .wallqueue--muted { color: $foreground 70%; }
    WallQueue > .wallqueue--new { background: $sla-breached 45%; }
    WallQueue > .wallqueue--stripe { background: $panel; }
    WallQueue > .wallqueue--empty { color: $foreground-muted; text-style: italic; }
    WallQueue > .wallqueue--risk { color: $sla-breached; text-style: bold; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.rows: list[BoardRow] = []
        self.now = 0
        self.row_height = 1
        self.gap = 0
        self.new_ids: set[int] = set()
        self.empty_message = "No open calls. All quiet."

    def show(self, rows: list[BoardRow], now: int, new_ids: set[int]) -> None:
        self.rows = rows
        self.now = now
        self.new_ids = new_ids
        self.refresh()

    def capacity(self) -> int:
        """How many calls fit on one page."""
        pitch = self.row_height + self.gap
        return max(1, (self.size.height + self.gap) // pitch)

    def shown_ids(self) -> list[int]:
        return [r.id for r in self.rows]

    def _style(self, name: str) -> Style:
        return self.get_component_rich_style(f"wallqueue--{name}")

    def render_line(self, y: int) -> Strip:
        width = self.size.width
        blank = Strip.blank(width, self.rich_style)
        if not self.rows:
            if y == 0:
                return Strip([Segment(_fit(f" {self.empty_message}", width), self._style("empty"))])
            return blank
        pitch = self.row_height + self.gap
        index, line = divmod(y, pitch)
        if index >= len(self.rows) or line >= self.row_height:
            return blank
        row = self.rows[index]
        fill = None
        if row.id in self.new_ids:
            fill = self._style("new").bgcolor
        elif self.row_height == 2 and index % 2:
            fill = self._style("stripe").bgcolor
        cells = self._cells(row, line, width)
        segments = []
        for text, style_name in cells:
            style = self._style(style_name)
            if fill is not None:
                style = style + Style(bgcolor=fill)
            segments.append(Segment(text, style))
        pad = Style(bgcolor=fill) if fill is not None else self.rich_style
        return Strip(segments).adjust_cell_length(width, pad)

    # Each layout returns (text, component class) pieces for one line of a row.

    def _cells(self, row: BoardRow, line: int, width: int) -> list[tuple[str, str]]:
        if self.row_height >= 3:
            return self._big_line(row, line, width)
        if self.row_height == 2:
            return self._double_line(row, line, width)
        return self._single_line(row, width)

    def _text_class(self, row: BoardRow) -> str:
        return "calm" if row.state == "ok" else row.state

    def _title(self, row: BoardRow) -> list[tuple[str, str]]:
        t = row.view.ticket
        pieces = []
        if row.view.at_risk:
            pieces.append(("⚠ TELL CUSTOMER · ", "risk"))
        if row.id in self.new_ids:
            pieces.append(("NEW BREACH · ", "breached"))
        pieces.append((("$ " if t.billable else "") + headline(t.title), self._text_class(row)))
        return pieces

    def _single_line(self, row: BoardRow, width: int) -> list[tuple[str, str]]:
        t = row.view.ticket
        who = plain(t.assignee) or "-"
        state = row.state
        head = [
            (f" {GLYPHS[state]} ", state),
            (_fit(row.left(self.now), 7, "right") + "  ", state),
            (_fit(f"#{row.id}", 6) + " ", "calm"),
            (_fit(plain(row.view.customer.code), 5) + " ", "calm"),
            (_fit(t.priority, 2) + " ", "calm"),
        ]
        tail = [(" " + _fit(who, 8), "muted")] if width >= 90 else []
        used = sum(cell_len(text) for text, _ in head + tail)
        return head + _squeeze(self._title(row), width - used - 1) + [(" ", "calm")] + tail

    def _double_line(self, row: BoardRow, line: int, width: int) -> list[tuple[str, str]]:
        state = row.state
        if line == 0:
            head = [
                (f" {GLYPHS[state]}  ", state),
                (_fit(row.left(self.now), 7, "right") + "   ", state),
                (_fit(f"#{row.id}", 7), "calm"),
                (_fit(plain(row.view.customer.name), 30) + "  ", "calm"),
            ]
            used = sum(cell_len(text) for text, _ in head)
            return head + _squeeze(self._title(row), width - used)
        indent = 21  # under the customer: glyph 4, time left 7 + 3, number 7
        return [(" " * indent, "calm"), (_fit(self._meta(row), width - indent), "muted")]

    def _big_line(self, row: BoardRow, line: int, width: int) -> list[tuple[str, str]]:
        state = row.state
        resumes = resumes_at(row, self.now) if state not in ("paused", "breached") else None
        if row.lead is None or state == "paused":
            label = "PAUSED" if state == "paused" else ("NO SLA" if row.view.ticket.billable else "—")
            digits = ("", _fit(label, 18, "center"), "")
        elif resumes is not None:  # closed hours: when it counts again, not minutes that do not run
            digits = ("resumes", zone_time(resumes, row.view.tz), f"{compact(row.remaining(self.now))} left then")
        else:
            digits = big(clock_digits(row.remaining(self.now)))
        glyph = GLYPHS[state] if line == 1 else " "
        left = [(f"  {glyph}  ", state), (_fit(digits[line], 18, "right") + "   ", state)]
        room = width - 25
        if line == 0:
            who = plain(row.view.ticket.assignee) or "nobody"
            right = f"{plain(row.view.level)} · {row.view.ticket.priority} · {who}  "
            name = _fit(f"#{row.id}  {plain(row.view.customer.name)}", max(0, room - cell_len(right) - 2))
            return left + [(name + "  ", "calm"), (_fit(right, room - cell_len(name) - 2, "right"), "muted")]
        if line == 1:
            return left + _squeeze(self._title(row), room)
        return left + [(_fit(self._meta(row), room), "muted")]

    def _meta(self, row: BoardRow) -> str:
        t = row.view.ticket
        parts = []
        if self.row_height < 3:
            parts += [plain(row.view.level), t.priority]
        parts += [plain(t.service), STATUS_LABELS.get(t.status, t.status)]
        if self.row_height < 3:
            parts.append(plain(t.assignee) or "nobody")
        parts.append(f"open {compact(max(0, self.now - int(t.reported_at.timestamp())))}")
        lead = row.lead
        if lead is not None and row.state != "paused":
            zone = row.view.tz
            resumes = resumes_at(row, self.now) if row.state != "breached" else None
            due = zone_time(lead.due_ts, zone)
            if resumes is not None:
                parts.append(f"{lead.name} clock stopped, resumes {zone_time(resumes, zone)}, due {due}")
            else:
                parts.append(f"{lead.name} {'was due' if row.state == 'breached' else 'due'} {due}")
        return " · ".join(parts)


def _squeeze(pieces: list[tuple[str, str]], width: int) -> list[tuple[str, str]]:
    """Pieces cut to ``width`` cells in all, padded to it."""
    out = []
    room = max(0, width)
    for text, style in pieces:
        if room <= 0:
            break
        if cell_len(text) > room:
            text = _fit(text, room)
        out.append((text, style))
        room -= cell_len(text)
    if room > 0:
        out.append((" " * room, "calm"))
    return out


# ------------------------------------------------------------------ tiles


class StateTile(Vertical):
    """How many open calls are in one state, in big digits."""

    def __init__(self, state: str) -> None:
        super().__init__(id=f"tile-{state}", classes=f"tile -{state}")
        self.state = state
        self.count = Digits("0", classes="tile-count")

    def compose(self) -> ComposeResult:
        yield Static(Content(f"{GLYPHS[self.state]} {STATE_TITLES[self.state]}"), classes="tile-label")
        yield self.count

    def set_count(self, count: int | None) -> None:
        """``None``: nothing read yet (a dash, not a reassuring zero)."""
        value = "-" if count is None else str(count)
        if self.count.value != value:
            self.count.update(value)
        self.set_class(not count, "-zero")


class NextBreach(Horizontal):
    """One call that will breach soon: the time left in big digits, then the call.
    A clock stopped by closed business hours shows when it resumes instead (its few
    minutes left would read as an emergency all night)."""

    def __init__(self, slot: int) -> None:
        super().__init__(id=f"next-{slot}", classes="next")
        self._shown: tuple[object, ...] = ()
        self.left = Digits("", classes="next-left")
        self.resume = Static(classes="next-resume")
        self.text = Static(classes="next-text")

    def compose(self) -> ComposeResult:
        yield self.left
        yield self.resume
        yield self.text

    def show(self, upcoming: UpcomingBreach | None, now: int) -> None:
        show_if(self, upcoming is not None)
        if upcoming is None:
            return
        row = upcoming.row
        remaining = row.remaining(now)
        left = clock_digits(remaining)
        t = row.view.ticket
        key = (row.id, left, row.state, upcoming.resumes_ts, upcoming.breach_ts, t.title, t.assignee)
        if key == self._shown:
            return
        self._shown = key
        show_if(self.left, not upcoming.stopped)
        show_if(self.resume, upcoming.stopped)
        if upcoming.stopped:
            assert upcoming.resumes_ts is not None
            self.resume.update(Content("\n").join([
                Content("resumes"),
                Content.styled(zone_time(upcoming.resumes_ts, upcoming.zone), "bold"),
                Content.styled(f"{compact(remaining)} left then", "$foreground-muted"),
            ]))
        else:
            digits = self.left
            digits.update(left)
            for state in STATE_ORDER:
                digits.set_class(state == row.state, f"-{state}")
        lead = row.lead
        name = lead.name if lead else ""
        when = upcoming.breach_text
        if upcoming.stopped:
            when = f"clock stopped, {upcoming.resumes_text} · {when}"
        who = plain(t.assignee) or "nobody"
        text = Content("\n").join([
            Content.assemble((f"#{row.id}  ", "bold"), (plain(row.view.customer.name), "bold")),
            Content(headline(t.title)),
            Content.styled(f"{name} {when} · {plain(row.view.level)} {t.priority} · {who}", "$foreground-muted"),
        ])
        self.text.update(text)


class LevelTile(Horizontal):
    """Today's met share for one service level."""

    def __init__(self, slot: int) -> None:
        super().__init__(id=f"level-{slot}", classes="level")
        self._shown: tuple[object, ...] = ()
        self.share = Digits("", classes="level-share")
        self.text = Static(classes="level-text")

    def compose(self) -> ComposeResult:
        yield self.share
        yield self.text

    def show(self, level: str | None, figures: LevelToday | None, open_calls: int) -> None:
        show_if(self, level is not None)
        if level is None:
            return
        share = figures.share if figures else None
        key = (level, share, figures.total if figures else 0, open_calls)
        if key == self._shown:
            return
        self._shown = key
        digits = self.share
        digits.update("--" if share is None else f"{round(share * 100)}")
        digits.set_class(share is not None and share < 1, "-missed")
        digits.set_class(share is None, "-idle")
        if figures is None or not figures.total:
            detail = "nothing due yet"
        else:
            detail = f"{figures.met} of {figures.total} met"
            if figures.missed:
                detail += f", {figures.missed} missed"
            if figures.open_breached:
                detail += f", {figures.open_breached} breached"
        self.text.update(Content("\n").join([
            Content.styled(plain(level), "bold"),
            Content(detail),
            Content.styled(f"{open_calls} open now", "$foreground-muted"),
        ]))


def show_if(widget: Widget, shown: bool) -> None:
    """Show or hide ``widget``, touching its styles only on a change (a change of
    ``display`` lays the whole screen out again)."""
    if widget.display != shown:
        widget.display = shown
