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

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import wraps
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from textual import events, getters, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Grid, Horizontal, Vertical
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Digits, Static

from slaboard.services.board import STATE_ORDER, BoardModel, BoardRow, summarise
from slaboard.services.wall import (
    LevelToday,
    WallData,
    WallFeed,
    day_start,
    next_breaches,
    with_open_breaches,
    zone_time,
)
from slaboard.settings import Settings
from slaboard.textfmt import compact
from slaboard.tui.host import Host
from slaboard.tui.text import headline, plain
from slaboard.tui.widgets.tiles import LevelTile, NextBreach, StateTile, WallQueue, show_if

FIGURES_EVERY = 60.0  # seconds between readings of today's figures when nothing changed
NEXT_BREACH_SLOTS = 4
LEVEL_SLOTS = 6

F = TypeVar("F", bound=Callable[..., Any])


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
    app = getters.app(Host)

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
        self.figures: dict[str, LevelToday] = {}  # as read: targets met and missed since midnight
        self.today: dict[str, LevelToday] = {}  # and with the open breached calls counted
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
            "top", "stale-text", "next-none", "today-heading", "today-none", "today-line", "fresh", "queue-heading")}
        self.statics["today-heading"].add_class("heading")
        self.statics["queue-heading"].add_class("heading")
        self.stale = Horizontal(id="stale")
        self.stale_time = Digits("", id="stale-time")

    # ------------------------------------------------------------ set-up

    @property
    def page_seconds(self) -> float:
        if self._page_seconds is not None:
            return self._page_seconds
        own = self.app.page_seconds
        return float(own) if own else float(self._settings.wall_page_seconds)

    @property
    def _settings(self) -> Settings:
        return self.app.settings

    def _clock(self) -> datetime:
        return self.app.clock()  

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
                yield statics["today-heading"]
                with Grid(id="levels"):
                    yield from self.level_tiles
                yield statics["today-none"]
        yield statics["today-line"]
        yield statics["fresh"]
        yield statics["queue-heading"]
        yield self.queue

    def on_mount(self) -> None:
        self.feed = WallFeed(self.app.db_path)
        self._apply_size()
        self.kick(force=True)
        self.set_interval(1.0, self.tick, name="wall-countdown")
        self.set_interval(self.page_seconds, self.turn_page, name="wall-pager")
        if self.app.live:
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
        self.today = with_open_breaches(self.figures, Counter(r.level for r in rows if r.state == "breached"))
        have_data = self.last_good is not None
        for tile in self.tiles:
            tile.set_count(states.get(tile.state, 0) if have_data else None)
            if tile.state == "none":
                show_if(tile, bool(states.get("none")))
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
        data = self._wall_time(self.last_good, "%H:%M:%S") if self.last_good else "never"
        live = "LIVE" if self.error is None and not self._is_stale(now) else "NOT LIVE"
        parts = [
            ("SLABOARD WALL", "bold $secondary"),
            (f"  ·  {self._wall_time(now, '%a %d %b %H:%M')}", "bold"),
            (f"  ·  {live}", "bold $sla-ok" if live == "LIVE" else "bold reverse $sla-breached"),
            (f"  ·  data of {data}", ""),
            (f"  ·  {plain(self.msp_name)}" if self.msp_name else "", "$foreground-muted"),
        ]
        if self.page.paused:
            parts.append(("  ·  ‖ PAUSED", "bold $warning"))
        self._set("top", Content.assemble(*parts))

    @property
    def zone(self) -> str:
        """The wall's zone: the MSP's home zone once the file has been read (UTC before)."""
        return self.feed.zone if self.feed is not None else "Etc/UTC"

    def _wall_time(self, moment: datetime, fmt: str) -> str:
        """An instant in the wall's zone, with its abbreviation (``10:30:00 CET``)."""
        return zone_time(int(moment.timestamp()), self.zone, fmt)

    def _is_stale(self, now: datetime) -> bool:
        if not self.app.live or self.last_good is None:
            return False
        stale_after = max(5.0, 3 * self._settings.refresh_interval)
        return (now - self.last_good).total_seconds() > stale_after

    def _draw_stale(self, now: datetime) -> None:
        banner = self.stale
        since = self._wall_time(self.last_good, "%H:%M:%S") if self.last_good else None
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
        value = datetime.fromtimestamp(int(self.last_good.timestamp()), ZoneInfo(self.zone)).strftime("%H:%M") \
            if self.last_good else "--:--"  # the zone is in the text beside these digits
        if digits.value != value:
            digits.update(value)
        banner.set_class(True, "-shown")

    def _draw_next(self, rows: list[BoardRow], now: int) -> None:
        upcoming = next_breaches(rows, now, len(self.next_slots))
        for i, slot in enumerate(self.next_slots):
            usable = not slot.has_class("-spare") and i < len(upcoming)
            slot.show(upcoming[i] if usable else None, now)
        breached = sum(1 for r in rows if r.state == "breached")
        show_if(self.statics["next-none"], not upcoming)
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
        today = self.today
        since = self._wall_time(self._figures_day, "%H:%M") if self._figures_day else "midnight"
        self._set("today-heading", Content(f"TODAY SINCE {since} · % OF TARGETS MET SO FAR"))
        names = [n for n in self.level_order if n in today or levels.get(n)]
        names += sorted(n for n in set(today) | {k for k, v in levels.items() if v}
                        if n not in names and n != "none")
        for i, tile in enumerate(self.level_tiles):
            name = names[i] if i < len(names) else None
            tile.show(name, today.get(name) if name else None, levels.get(name, 0) if name else 0)
        show_if(self.statics["today-none"], not names)
        self._set("today-none", Content.styled("No service level has calls or targets today yet.", "$foreground-muted"))
        pieces: list[tuple[str, str] | str] = [("MET TODAY  ", "bold")]
        for name in names:
            f = today.get(name)
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
        items = "   ".join(f"#{r.id} {plain(r.view.customer.code)} {headline(r.view.ticket.title, 120)}" for r in fresh)
        self._set("fresh", Content.assemble((f"✖ NEW BREACH{'ES' if len(fresh) > 1 else ''}  ", "bold"), items))

    # ------------------------------------------------------------ for tests

    def shown_ids(self) -> list[int]:
        """The calls on the current page, in order."""
        return self.queue.shown_ids()
