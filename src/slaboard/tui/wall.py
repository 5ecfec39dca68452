"""The NOC wall: the board for a screen across the room, read-only and unattended.

It shows the same open calls as the board (the same ``BoardFeed`` and
``BoardModel``), in large type: counts per state and the next breaches in big
digits, today's met share per service level, and every open call, page after page,
by itself. Only ``q`` (quit) and ``space``/``p`` (pause the paging) do anything.

It must run for weeks without anyone touching it, so nothing that happens to the
database ends it: the poll runs in a thread worker that catches everything, every
timer callback is guarded, and a banner says plainly when the picture is not live
(with the time of the last good data) until a read succeeds again. It opens the
file read-only and notices when the file goes away or is replaced.

The layout follows the terminal: at 80x24 fewer, one-line elements; at 160x48 two-
line rows; at 200x60 and more rows in big digits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from rich.cells import cell_len, set_cell_size
from rich.segment import Segment
from rich.style import Style
from textual import events, work
from textual.app import App, ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.content import Content
from textual.renderables.digits import DIGITS, DIGITS3X3, DIGITS3X3_BOLD
from textual.screen import Screen
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import Digits, Static

from slaboard.services.board import (
    GLYPHS,
    STATE_ORDER,
    BoardFeed,
    BoardModel,
    BoardRow,
    Snapshot,
    summarise,
)
from slaboard.settings import Settings
from slaboard.store import Store, StoreError
from slaboard.textfmt import compact
from slaboard.tui.table import STATUS_LABELS
from slaboard.tui.terminal import end_with_terminal
from slaboard.tui.text import plain
from slaboard.tui.themes import use_theme

STATE_TITLES = {
    "breached": "BREACHED", "critical": "CRITICAL", "warning": "WARNING",
    "ok": "OK", "paused": "PAUSED", "none": "NO SLA",
}
FIGURES_EVERY = 60.0  # seconds between readings of today's figures when nothing changed
NEXT_BREACH_SLOTS = 4
LEVEL_SLOTS = 6

F = TypeVar("F", bound=Callable[..., Any])


# ------------------------------------------------------------------ today's figures


@dataclass
class LevelToday:
    """Targets met and missed today for one service level (response and resolution)."""

    level: str
    met: int = 0
    missed: int = 0
    response: tuple[int, int] = (0, 0)  # (met, of)
    resolution: tuple[int, int] = (0, 0)

    @property
    def total(self) -> int:
        return self.met + self.missed

    @property
    def share(self) -> float | None:
        """The share of targets met so far today, or None when none was due yet."""
        return self.met / self.total if self.total else None


def day_start(now: datetime, zone: str) -> datetime:
    """Midnight of ``now``'s date in ``zone`` (the MSP's home zone)."""
    tz = ZoneInfo(zone)
    return datetime.combine(now.astimezone(tz).date(), time(), tz)


def todays_figures(store: Store, now: datetime, zone: str) -> dict[str, LevelToday]:
    """Per level, the response and resolution targets met and missed by the clocks
    stopped since midnight (in ``zone``) up to ``now``."""
    figures: dict[str, LevelToday] = {}
    for row in store.report_outcomes(day_start(now, zone), now + timedelta(seconds=1)):
        clock, met, level = _outcome_fields(row)
        if clock not in ("response", "resolution"):
            continue
        level = level or "none"
        f = figures.setdefault(level, LevelToday(level))
        done, of = getattr(f, clock)
        if met:
            f.met += 1
            setattr(f, clock, (done + 1, of + 1))
        else:
            f.missed += 1
            setattr(f, clock, (done, of + 1))
    return figures


def _outcome_fields(row: tuple[Any, ...]) -> tuple[str, bool, str | None]:
    """(clock, met, level) of a ``Store.report_outcomes`` row (ticket_id, clock, met,
    ..., level at index 10)."""
    return row[1], bool(row[2]), row[10]


# ------------------------------------------------------------------ the feed


@dataclass
class WallData:
    """What one poll of the wall brought back."""

    snapshot: Snapshot | None
    figures: dict[str, LevelToday] | None
    msp_name: str
    level_order: list[str]


class WallFeed(BoardFeed):
    """The board's feed, opened read-only, that also reads today's figures.

    Like the board's, it notices a file removed (an error, so the banner) or
    replaced (read afresh) under it."""

    def __init__(self, path: str | Path) -> None:
        super().__init__(path)
        self.zone = "Etc/UTC"
        self.msp_name = ""
        self.level_order: list[str] = []

    def _open(self) -> Store:
        try:
            identity = self.path.stat()
        except FileNotFoundError:
            self.close()
            raise StoreError(f"no database at {self.path}") from None
        if self._store is not None and (identity.st_ino, identity.st_dev) != self._identity:
            self.close()  # replaced (rebuilt, restored from a copy): read it afresh
        if self._store is None:
            store = Store.open(self.path, readonly=True, any_thread=True)
            try:
                msp = store.msp()
                levels = sorted(store.levels(), key=lambda level: (-level.price_per_month, level.key))
            except Exception:
                store.close()
                raise
            self.zone = msp.tz if msp else "Etc/UTC"
            self.msp_name = msp.name if msp else ""
            self.level_order = [level.title for level in levels]
            self._store = store
            self._identity = (identity.st_ino, identity.st_dev)
            self._data_version = None
        return self._store

    def read(self, now: datetime, *, force: bool = False, figures: bool = False) -> WallData:
        """A poll plus, when something changed or ``figures`` is asked, today's
        figures. Raises (StoreError, sqlite3 errors, OSError) when the file cannot be
        read; the next call starts afresh."""
        snapshot = self.poll(now, force=force)
        found = None
        if snapshot is not None or figures:
            try:
                found = todays_figures(self._open(), now, self.zone)
            except Exception:
                self.close()
                raise
        return WallData(snapshot, found, self.msp_name, list(self.level_order))


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
        pieces.append((("$ " if t.billable else "") + plain(t.title), self._text_class(row)))
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
        if row.lead is None or state == "paused":
            label = "PAUSED" if state == "paused" else ("NO SLA" if row.view.ticket.billable else "—")
            digits = ("", _fit(label, 18, "center"), "")
        else:
            digits = big(clock_digits(row.remaining(self.now)))
        glyph = GLYPHS[state] if line == 1 else " "
        left = [(f"  {glyph}  ", state), (_fit(digits[line], 18, "right") + "   ", state)]
        room = width - 25
        if line == 0:
            who = plain(row.view.ticket.assignee) or "nobody"
            right = f"{row.view.level} · {row.view.ticket.priority} · {who}  "
            name = _fit(f"#{row.id}  {plain(row.view.customer.name)}", max(0, room - cell_len(right) - 2))
            return left + [(name + "  ", "calm"), (_fit(right, room - cell_len(name) - 2, "right"), "muted")]
        if line == 1:
            return left + _squeeze(self._title(row), room)
        return left + [(_fit(self._meta(row), room), "muted")]

    def _meta(self, row: BoardRow) -> str:
        t = row.view.ticket
        parts = []
        if self.row_height < 3:
            parts += [row.view.level, t.priority]
        parts += [plain(t.service), STATUS_LABELS.get(t.status, t.status)]
        if self.row_height < 3:
            parts.append(plain(t.assignee) or "nobody")
        parts.append(f"open {compact(max(0, self.now - int(t.reported_at.timestamp())))}")
        lead = row.lead
        if lead is not None and row.state != "paused":
            due = datetime.fromtimestamp(lead.due_ts).strftime("%a %H:%M")
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
    """One call that will breach soon: the time left in big digits, then the call."""

    def __init__(self, slot: int) -> None:
        super().__init__(id=f"next-{slot}", classes="next")
        self._shown: tuple[object, ...] = ()
        self.left = Digits("", classes="next-left")
        self.text = Static(classes="next-text")

    def compose(self) -> ComposeResult:
        yield self.left
        yield self.text

    def show(self, row: BoardRow | None, now: int) -> None:
        _show(self, row is not None)
        if row is None:
            return
        left = clock_digits(row.remaining(now))
        t = row.view.ticket
        lead = row.lead
        due = datetime.fromtimestamp(lead.due_ts).strftime("%H:%M") if lead else ""
        key = (row.id, left, row.state, t.title, t.assignee, due)
        if key == self._shown:
            return
        self._shown = key
        digits = self.left
        digits.update(left)
        for state in STATE_ORDER:
            digits.set_class(state == row.state, f"-{state}")
        who = plain(t.assignee) or "nobody"
        text = Content("\n").join([
            Content.assemble((f"#{row.id}  ", "bold"), (plain(row.view.customer.name), "bold")),
            Content(plain(t.title)),
            Content.styled(f"{lead.name if lead else ''} due {due} · {row.view.level} {t.priority} · {who}", "$foreground-muted"),
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
        _show(self, level is not None)
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
        self.text.update(Content("\n").join([
            Content.styled(plain(level), "bold"),
            Content(detail),
            Content.styled(f"{open_calls} open now", "$foreground-muted"),
        ]))


def _show(widget: Widget, shown: bool) -> None:
    """Show or hide ``widget``, touching its styles only on a change (a change of
    ``display`` lays the whole screen out again)."""
    if widget.display != shown:
        widget.display = shown


# ------------------------------------------------------------------ the screen


def guarded(method: F) -> F:
    """A callback that logs what it raises instead of ending the app: an exception
    in a timer or in a function called from a thread would otherwise exit it."""

    @wraps(method)
    def run(self: WallScreen, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except Exception as err:  # noqa: BLE001 - the wall must not end
            self.faults += 1
            self.fault = f"{type(err).__name__}: {err}"
            try:
                self.log.error(f"wall: {method.__name__} failed: {err!r}")
            except Exception:  # noqa: BLE001
                pass
            return None

    return run  # type: ignore[return-value]


@dataclass
class PageState:
    """Where the pager is, and the breaches it has already shown."""

    index: int = 0
    paused: bool = False
    breached_before: set[int] | None = None  # breached calls at the last page turn
    fresh: dict[int, int] = field(default_factory=dict)  # newly breached id -> page turns left highlighted


class WallScreen(Screen[None]):
    """The wall. Reads ``db_path``, ``clock``, ``settings`` and ``live`` from its app
    (``SlaboardApp`` or ``WallApp``), and ``page_seconds`` if the app has it."""

    CSS_PATH = "wall.tcss"
    AUTO_FOCUS = None
    HELP_GROUP = "wall"
    BINDINGS = [
        Binding("space,p", "toggle_paging", "Pause", id="wall.pause",
                tooltip="Stop turning the pages of the wall, or start again"),
    ]

    def __init__(self, page_seconds: float | None = None) -> None:
        super().__init__()
        self.model = BoardModel()
        self.feed: WallFeed | None = None
        self.page = PageState()
        self.figures: dict[str, LevelToday] = {}
        self.level_order: list[str] = []
        self.msp_name = ""
        self.last_good: datetime | None = None
        self.error: str | None = None
        self.faults = 0
        self.fault: str | None = None
        self.polls = 0
        self._page_seconds = page_seconds
        self._in_flight = False
        self._figures_at: datetime | None = None
        self._figures_day: datetime | None = None
        self._size_class = ""
        self._texts: dict[str, object] = {}
        # The widgets, kept at hand: a wall redraws every second for weeks.
        self.queue = WallQueue(id="queue")
        self.tiles = [StateTile(state) for state in STATE_ORDER]
        self.next_slots = [NextBreach(slot) for slot in range(NEXT_BREACH_SLOTS)]
        self.level_tiles = [LevelTile(slot) for slot in range(LEVEL_SLOTS)]
        self.statics = {name: Static(id=name) for name in (
            "top", "stale-text", "next-none", "today-none", "today-line", "fresh", "queue-heading")}
        self.statics["queue-heading"].add_class("heading")
        self.stale = Horizontal(id="stale")
        self.stale_time = Digits("", id="stale-time")

    # ------------------------------------------------------------ set-up

    @property
    def page_seconds(self) -> float:
        if self._page_seconds is not None:
            return self._page_seconds
        own = getattr(self.app, "page_seconds", None)
        return float(own) if own else float(self._settings.wall_page_seconds)

    @property
    def _settings(self) -> Settings:
        return getattr(self.app, "settings", None) or Settings()

    def _clock(self) -> datetime:
        return self.app.clock()  # type: ignore[attr-defined,no-any-return]

    def compose(self) -> ComposeResult:
        statics = self.statics
        yield statics["top"]
        with self.stale:
            yield self.stale_time
            yield statics["stale-text"]
        with Horizontal(id="counts"):
            yield from self.tiles
        with Horizontal(id="middle"):
            with Vertical(id="next"):
                yield Static(Content("NEXT BREACHES"), classes="heading", id="next-heading")
                yield from self.next_slots
                yield statics["next-none"]
            with Vertical(id="today"):
                yield Static(Content("TODAY · % OF TARGETS MET SO FAR"), classes="heading")
                with Grid(id="levels"):
                    yield from self.level_tiles
                yield statics["today-none"]
        yield statics["today-line"]
        yield statics["fresh"]
        yield statics["queue-heading"]
        yield self.queue

    def on_mount(self) -> None:
        self.feed = WallFeed(self.app.db_path)  # type: ignore[attr-defined]
        self._apply_size()
        self.kick(force=True)
        self.set_interval(1.0, self.tick, name="wall-countdown")
        self.set_interval(self.page_seconds, self.turn_page, name="wall-pager")
        if getattr(self.app, "live", True):
            self.set_interval(self._settings.refresh_interval, self.kick, name="wall-poll")
        self.redraw()

    def on_unmount(self) -> None:
        if self.feed is not None and not self._in_flight:
            self.feed.close()

    def on_resize(self, event: events.Resize) -> None:
        self._apply_size()
        self.redraw()

    @guarded
    def _apply_size(self) -> None:
        width, height = self.size.width, self.size.height
        if width >= 200 and height >= 60:
            size = "large"
        elif width >= 120 and height >= 36:
            size = "medium"
        else:
            size = "small"
        self._size_class = size
        for name in ("small", "medium", "large"):
            self.set_class(name == size, f"-{name}")
        self.queue.row_height, self.queue.gap = {"small": (1, 0), "medium": (2, 0), "large": (3, 1)}[size]
        slots = {"small": 1, "medium": 3, "large": 4}[size]
        for slot, widget in enumerate(self.next_slots):
            widget.set_class(slot >= slots, "-spare")

    # ------------------------------------------------------------ the live loop

    @guarded
    def kick(self, force: bool = False) -> None:
        """Start a poll unless one is still running (a slow or locked file must not
        pile up threads)."""
        if self._in_flight or self.feed is None:
            return
        now = self._clock()
        figures_due = (
            self._figures_at is None
            or (now - self._figures_at).total_seconds() >= FIGURES_EVERY
            or day_start(now, self.feed.zone) != self._figures_day
        )
        self._in_flight = True
        try:
            self._poll(now, force, figures_due)
        except BaseException:
            self._in_flight = False
            raise

    @work(thread=True, group="wall-poll", exit_on_error=False)
    def _poll(self, now: datetime, force: bool, figures_due: bool) -> None:
        try:
            data: WallData | None = None
            failure: Exception | None = None
            try:
                assert self.feed is not None
                data = self.feed.read(now, force=force, figures=figures_due)
            except Exception as err:  # noqa: BLE001 - shown on the banner; the next poll retries
                failure = err
            try:
                # Blocks until landed() has run: no second poll uses the feed meanwhile.
                self.app.call_from_thread(self.landed, data, failure, now)
            except Exception:  # noqa: BLE001 - the app is closing
                pass
        finally:
            self._in_flight = False

    @guarded
    def landed(self, data: WallData | None, failure: Exception | None, now: datetime) -> None:
        """A poll's result, on the main thread."""
        self.polls += 1
        if failure is not None or data is None:
            self.error = str(failure) or type(failure).__name__
        else:
            try:
                self.apply(data, now)
            except Exception as err:  # noqa: BLE001 - keep the last picture, read everything again
                self.error = f"refresh failed: {type(err).__name__}: {err}"
                self.faults += 1
                if self.feed is not None:
                    self.feed.close()
            else:
                self.error = None
                self.last_good = now
        self.redraw()

    def apply(self, data: WallData, now: datetime) -> None:
        if data.snapshot is not None:
            self.model.apply(data.snapshot, int(now.timestamp()))
        if data.figures is not None:
            self.figures = data.figures
            self._figures_at = now
            self._figures_day = day_start(now, self.feed.zone if self.feed else "Etc/UTC")
        self.msp_name = data.msp_name
        self.level_order = data.level_order
        if self.page.breached_before is None:
            self.page.breached_before = self._breached()  # what is breached at start is not news

    @guarded
    def tick(self) -> None:
        """Every second: the clocks move, the picture follows (no database work)."""
        self.model.advance(int(self._clock().timestamp()))
        self.redraw()

    # ------------------------------------------------------------ paging

    @guarded
    def turn_page(self) -> None:
        """Every ``page_seconds``: the next page (unless paused), and news of calls
        breached since the last turn (highlighted, and the bell if enabled)."""
        page = self.page
        pages = self.page_count()
        for ticket_id in list(page.fresh):
            page.fresh[ticket_id] -= 1
            if page.fresh[ticket_id] <= 0 or ticket_id not in self.model.rows:
                del page.fresh[ticket_id]
        breached = self._breached()
        if page.breached_before is not None:
            news = breached - page.breached_before
            for ticket_id in news:
                page.fresh[ticket_id] = max(1, pages)  # highlighted until the pages have gone round
            if news and self._settings.bell:
                self.app.bell()
        if self.last_good is not None:
            page.breached_before = breached
        if not page.paused:
            page.index = (page.index + 1) % max(1, pages)
        self.redraw()

    def action_toggle_paging(self) -> None:
        self.page.paused = not self.page.paused
        self.redraw()

    def _breached(self) -> set[int]:
        return {ticket_id for ticket_id, row in self.model.rows.items() if row.state == "breached"}

    def ordered(self) -> list[BoardRow]:
        return self.model.ordered(list(self.model.rows.values()), int(self._clock().timestamp()))

    def page_count(self) -> int:
        per_page = self.queue.capacity()
        return max(1, -(-len(self.model.rows) // per_page))

    def page_rows(self, ordered: list[BoardRow] | None = None) -> list[BoardRow]:
        ordered = self.ordered() if ordered is None else ordered
        per_page = self.queue.capacity()
        pages = max(1, -(-len(ordered) // per_page))
        if self.page.index >= pages:
            self.page.index = 0
        start = self.page.index * per_page
        return ordered[start : start + per_page]

    # ------------------------------------------------------------ drawing

    @guarded
    def redraw(self) -> None:
        now_dt = self._clock()
        now = int(now_dt.timestamp())
        rows = self.ordered()
        states, levels, _ = summarise(rows, now)
        have_data = self.last_good is not None
        for tile in self.tiles:
            tile.set_count(states.get(tile.state, 0) if have_data else None)
            if tile.state == "none":
                _show(tile, bool(states.get("none")))
            if tile.state == "breached":
                tile.set_class(bool(self.page.fresh), "-news")
        self._draw_next(rows, now)
        self._draw_today(levels)
        self._draw_fresh(now)
        queue = self.queue
        shown = self.page_rows(rows)
        pages = max(1, -(-len(rows) // queue.capacity()))
        queue.empty_message = "No open calls. All quiet." if self.last_good else "Waiting for the first reading of the database…"
        queue.show(shown, now, set(self.page.fresh))
        first = self.page.index * queue.capacity() + 1
        last = first + len(shown) - 1
        if self._size_class == "small":
            span = f"{first}–{last} of {len(rows)}" if shown else "none open"
            paging = "‖ PAUSED" if self.page.paused else f"every {self.page_seconds:g}s"
            heading = Content.assemble(("OPEN CALLS", "bold"), f"  page {self.page.index + 1}/{pages} · {span} · ",
                                       (paging, "bold $warning" if self.page.paused else "$foreground-muted"))
        else:
            span = f"calls {first}–{last} of {len(rows)}" if shown else "no open calls"
            paging = "‖ PAUSED (space resumes)" if self.page.paused else f"next page every {self.page_seconds:g}s"
            heading = Content.assemble(
                ("OPEN CALLS, MOST URGENT FIRST", "bold"), f"   page {self.page.index + 1} of {pages} · {span} · ",
                (paging, "bold $warning" if self.page.paused else "$foreground-muted"),
            )
        self._set("queue-heading", heading)
        self._draw_top(now_dt)
        self._draw_stale(now_dt)

    def _set(self, widget_id: str, content: Content) -> None:
        """Update a Static only when its text changed (a wall redraws every second)."""
        key = (content.plain, tuple(content.spans))
        if self._texts.get(widget_id) == key:
            return
        self._texts[widget_id] = key
        self.statics[widget_id].update(content)

    def _draw_top(self, now: datetime) -> None:
        local = now.astimezone()
        data = self.last_good.astimezone().strftime("%H:%M:%S") if self.last_good else "never"
        live = "LIVE" if self.error is None and not self._is_stale(now) else "NOT LIVE"
        parts = [
            ("SLABOARD WALL", "bold $secondary"),
            (f"  ·  {local.strftime('%a %d %b %H:%M')}", "bold"),
            (f"  ·  {live}", "bold $sla-ok" if live == "LIVE" else "bold reverse $sla-breached"),
            (f"  ·  data of {data}", ""),
            (f"  ·  {plain(self.msp_name)}" if self.msp_name else "", "$foreground-muted"),
        ]
        if self.page.paused:
            parts.append(("  ·  ‖ PAUSED", "bold $warning"))
        self._set("top", Content.assemble(*parts))

    def _is_stale(self, now: datetime) -> bool:
        if not getattr(self.app, "live", True) or self.last_good is None:
            return False
        stale_after = max(5.0, 3 * self._settings.refresh_interval)
        return (now - self.last_good).total_seconds() > stale_after

    def _draw_stale(self, now: datetime) -> None:
        banner = self.stale
        since = self.last_good.astimezone().strftime("%H:%M:%S") if self.last_good else None
        if self.error is None and not self._is_stale(now):
            banner.set_class(False, "-shown")
            return
        ago = f" ({compact(int((now - self.last_good).total_seconds()))} ago)" if self.last_good else ""
        if self.error is not None:
            why = f"Cannot read the database: {plain(self.error)}."
        else:
            why = "No fresh reading of the database."
        shown = f"Showing the data of {since}{ago}." if since else "Nothing to show yet."
        text = Content("\n").join([
            Content.styled("⚠ NOT LIVE — THIS PICTURE IS OLD" if since else "⚠ NOT LIVE — NO DATA", "bold"),
            Content(f"{why} {shown}"),
            Content("Retrying by itself; it comes back when the file can be read."),
        ])
        self._set("stale-text", text)
        digits = self.stale_time
        value = self.last_good.astimezone().strftime("%H:%M") if self.last_good else "--:--"
        if digits.value != value:
            digits.update(value)
        banner.set_class(True, "-shown")

    def _draw_next(self, rows: list[BoardRow], now: int) -> None:
        upcoming = sorted((r for r in rows if r.group == 1), key=lambda r: r.remaining(now))
        for i, slot in enumerate(self.next_slots):
            usable = not slot.has_class("-spare") and i < len(upcoming)
            slot.show(upcoming[i] if usable else None, now)
        breached = sum(1 for r in rows if r.state == "breached")
        _show(self.statics["next-none"], not upcoming)
        if upcoming:
            note = Content("")
        elif self.last_good is None:
            note = Content.styled("Waiting for the first reading of the database…", "$foreground-muted")
        elif breached:
            note = Content.styled(f"No deadline ahead: {breached} calls already breached.", "bold $sla-breached")
        else:
            note = Content.styled("No deadline ahead.", "$foreground-muted")
        self._set("next-none", note)

    def _draw_today(self, levels: Any) -> None:
        names = [n for n in self.level_order if n in self.figures or levels.get(n)]
        names += sorted(n for n in set(self.figures) | {k for k, v in levels.items() if v}
                        if n not in names and n != "none")
        for i, tile in enumerate(self.level_tiles):
            name = names[i] if i < len(names) else None
            tile.show(name, self.figures.get(name) if name else None, levels.get(name, 0) if name else 0)
        _show(self.statics["today-none"], not names)
        self._set("today-none", Content.styled("No service level has calls or targets today yet.", "$foreground-muted"))
        pieces: list[tuple[str, str] | str] = [("MET TODAY  ", "bold")]
        for name in names:
            f = self.figures.get(name)
            share = f.share if f else None
            pieces.append((f"{plain(name)} ", "bold"))
            style = "$sla-ok" if share == 1 else ("$sla-warning" if share is not None else "$foreground-muted")
            pieces.append((f"{round(share * 100)}%" if share is not None else "--", f"bold {style}"))
            pieces.append("  ·  ")
        if names:
            pieces.pop()
        else:
            pieces.append(("no targets due yet" if self.last_good else "waiting for data", "$foreground-muted"))
        self._set("today-line", Content.assemble(*pieces))

    def _draw_fresh(self, now: int) -> None:
        fresh = [self.model.rows[i] for i in self.page.fresh if i in self.model.rows]
        strip = self.statics["fresh"]
        strip.set_class(bool(fresh), "-shown")
        if not fresh:
            return
        fresh.sort(key=lambda r: r.remaining(now))
        items = "   ".join(f"#{r.id} {plain(r.view.customer.code)} {plain(r.view.ticket.title)}" for r in fresh)
        self._set("fresh", Content.assemble((f"✖ NEW BREACH{'ES' if len(fresh) > 1 else ''}  ", "bold"), items))

    # ------------------------------------------------------------ for tests

    def shown_ids(self) -> list[int]:
        """The calls on the current page, in order."""
        return self.queue.shown_ids()


# ------------------------------------------------------------------ the app


class WallApp(App[None]):
    """``slaboard wall``: only the wall, in the high-contrast theme by default."""

    TITLE = "slaboard wall"
    HELP_GROUP = "wall"
    ENABLE_COMMAND_PALETTE = False
    ALLOW_SELECT = False
    MODES = {"wall": WallScreen}
    DEFAULT_MODE = "wall"
    BINDINGS = [
        Binding("q", "quit", "Quit", id="wall.quit", tooltip="Leave the wall"),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True, system=True, id="wall.quit_ctrl_c",
                tooltip="Leave the wall"),
    ]

    def __init__(
        self,
        db_path: str | Path,
        *,
        clock: Callable[[], datetime],
        settings: Settings | None = None,
        theme: str | None = None,
        page_seconds: float | None = None,
        live: bool = True,
        notices: Iterable[str] = (),
    ) -> None:
        super().__init__()
        self.db_path = Path(db_path)
        self.clock = clock
        self.settings = settings or Settings()
        self.page_seconds = page_seconds or self.settings.wall_page_seconds
        self.live = live
        self._notices = list(notices)
        notice = use_theme(self, theme or self.settings.wall_theme, "slaboard-contrast")
        if notice:
            self._notices.append(notice)
        if self.settings.keymap:
            self.set_keymap(self.settings.keymap)

    def on_mount(self) -> None:
        for notice in self._notices:
            self.notify(notice, severity="warning", timeout=15, markup=False)
        if self.live:
            end_with_terminal(self)

    def wall(self) -> WallScreen:
        screen = self.screen
        assert isinstance(screen, WallScreen)
        return screen

