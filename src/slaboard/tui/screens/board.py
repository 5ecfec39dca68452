"""The board: every open call, most urgent first, live.

The live loop follows dolphie: a thread worker with its own connection asks
SQLite's ``data_version`` whether anything changed and reads only what did; the
main thread applies a keyed diff to cached rows, sorts once and redraws the lines
on screen, then re-arms a one-shot timer. The per-second countdown touches cached
clocks only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from textual import getters, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.content import Content
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Footer, Input, Static, Tab, Tabs

from slaboard.services.board import GLYPHS, STATE_ORDER, BoardFeed, BoardModel, BoardRow, Snapshot, summarise
from slaboard.textfmt import compact
from slaboard.tui.host import BoardHost
from slaboard.tui.text import headline, plain
from slaboard.tui.widgets.table import SlaTable

SORTS: dict[str, tuple[str, Callable[[BoardRow, int], Any] | None]] = {
    "urgency": ("time to breach", None),  # BoardModel.ordered: one calendar look-up per calendar
    "priority": ("priority", lambda r, now: (r.view.ticket.priority, r.sort_key(now))),
    "age": ("oldest first", lambda r, now: (r.view.ticket.reported_at, r.id)),
    "customer": ("customer", lambda r, now: (r.view.customer.name.lower(), r.sort_key(now))),
    "newest": ("newest first", lambda r, now: -r.id),
}
BASE_VIEWS = (("all", "All"), ("mine", "Mine"), ("unassigned", "Unassigned"), ("breached", "Breached"))
STATE_LABELS = {
    "breached": "breached", "critical": "critical", "warning": "warning",
    "ok": "ok", "paused": "paused", "none": "no SLA",
}


class BoardScreen(Screen[None]):
    """The operator's board."""
    app = getters.app(BoardHost)

    HELP_GROUP = "board"

    CSS_PATH = "board.tcss"

    BINDINGS = [
        Binding("slash", "filter", "Filter", id="board.filter", tooltip="Show only calls whose row contains some text"),
        Binding("escape", "clear_filter", "Clear", show=False, id="board.clear", tooltip="Clear the filter"),
        Binding("s", "cycle_sort", "Sort", show=False, id="board.sort", tooltip="Cycle the order: time to breach, priority, age, customer, newest"),
        Binding("right_square_bracket", "next_view", "Next view", show=False, id="board.next_view", key_display="]",
                tooltip="All, Mine, Unassigned, Breached, then one view per level"),
        Binding("left_square_bracket", "previous_view", "Previous view", show=False, id="board.previous_view",
                key_display="[", tooltip="The view before this one"),
        Binding("n", "app.new_call", "New call", id="board.new_call", tooltip="Log a call that just came in"),
        Binding("a", "take", "Take", id="board.take", tooltip="Assign the selected call to yourself"),
        Binding("d", "diagnose", "Diagnose", id="board.diagnose", tooltip="Record what you found and the time to promise"),
        Binding("l", "log", "Log", id="board.log", tooltip="The customer log of the selected call"),
        Binding("c", "contracts", "Contract", id="board.contracts", tooltip="What the selected customer's contract covers and costs"),
        Binding("t", "app.triage", "Triage", id="board.triage", tooltip="Step through new, unassigned calls"),
        Binding("T", "timer", "Timer", id="board.timer",
                tooltip="Start your timer on the selected call, or stop it (stopping logs the time)"),
        Binding("R", "app.report", "Report", id="board.report",
                tooltip="SLA figures for a period: table, chart per month, the calls behind each row, export"),
        Binding("r", "refresh", "Refresh", show=False, id="board.refresh", tooltip="Read the database now"),
        *[
            Binding(str(n), f"view({n - 1})", f"View {n}", show=False, id=f"board.view_{n}", tooltip=f"Switch to view {n}")
            for n in range(1, 10)
        ],
    ]

    def __init__(self) -> None:
        super().__init__()
        self.model = BoardModel()
        self.view_key = "all"
        self.sort_key = "urgency"
        self.filter_text = ""
        self.feed: BoardFeed | None = None
        self.last_good: datetime | None = None
        self.error: str | None = None
        self._poll_timer: Timer | None = None
        self._levels: list[str] = []
        self._select_after_poll: int | None = None
        self._polling = False
        self.unmatched_mail = 0
        self.unsent_mail = 0
        self._poll_again = False  # a poll was asked for while one ran: run it after
        self._force_again = False  # ... and one of those asks was forced

    def compose(self) -> ComposeResult:
        yield Static(id="summary")
        yield Static(id="banner")
        with Horizontal(id="bar"):
            yield Tabs(*(Tab(label, id=key) for key, label in BASE_VIEWS), id="views")
            yield Static(id="sortinfo")
        yield SlaTable(id="table")
        yield Input(placeholder="filter: any text in a row; enter keeps it, esc clears", id="filter")
        yield Footer()

    @property
    def rows(self) -> dict[int, BoardRow]:
        """The open calls on the board, by ticket number."""
        return self.model.rows

    def _now(self) -> int:
        return int(self.app.clock().timestamp())

    def on_mount(self) -> None:
        self.feed = BoardFeed(self.app.db_path)
        self.query_one(SlaTable).focus()
        self._update_sortinfo()
        self.poll(force=True)
        self.set_interval(1.0, self.tick, name="countdown")

    def on_unmount(self) -> None:
        if self.feed is not None:
            self.feed.close()

    # ---------------------------------------------------------------- live loop

    def poll(self, force: bool = False) -> None:
        """Read what changed. One poll at a time: the feed's connection and its
        position in the history belong to one thread; a poll asked for while one
        runs follows it."""
        if self._polling:
            self._poll_again = True
            self._force_again = self._force_again or force
            return
        self._polling = True
        self._poll_worker(force)

    @work(thread=True, group="poll", exit_on_error=False)
    def _poll_worker(self, force: bool) -> None:
        now = self.app.clock()
        assert self.feed is not None
        try:
            snapshot = self.feed.poll(now, force=force)
        except Exception as err:  # shown on the banner; the next poll retries
            self._deliver(self._poll_failed, err, now)
            return
        # Delivered even if the screen is closing: the feed has moved past these
        # changes, so dropping the snapshot would lose them.
        self._deliver(self._poll_done, snapshot, now)

    def _deliver(self, callback, *args) -> None:
        try:
            self.app.call_from_thread(callback, *args)
        except RuntimeError:  # the app has stopped
            pass

    def _rearm(self) -> None:
        if self._poll_timer is not None:
            self._poll_timer.stop()
        interval = self.app.settings.refresh_interval
        if self.app.live:
            self._poll_timer = self.set_timer(interval, self.poll)

    def _poll_finished(self) -> None:
        self._polling = False
        if self._poll_again:
            force, self._poll_again, self._force_again = self._force_again, False, False
            self.poll(force)
        else:
            self._rearm()

    def _poll_done(self, snapshot: Snapshot | None, now: datetime) -> None:
        self.last_good = now
        self.error = None
        if snapshot is not None:
            self.apply(snapshot)
        self._update_banner()
        self._update_summary()
        self._poll_finished()

    def _poll_failed(self, err: Exception, now: datetime) -> None:
        self.error = str(err) or type(err).__name__
        self._update_banner()
        self._poll_finished()

    def apply(self, snapshot: Snapshot) -> None:
        """A keyed diff: changed calls replace their rows, gone ones leave; one sort."""
        self.unmatched_mail = snapshot.unmatched_mail
        self.unsent_mail = snapshot.unsent_mail
        self.model.apply(snapshot, self._now())
        self._sync_level_tabs()
        select, self._select_after_poll = self._select_after_poll, None
        if select is not None and select in self.rows:
            table = self.query_one(SlaTable)
            table.cursor_id = select
        self.redraw()

    def tick(self) -> None:
        """The per-second countdown: cached clocks only, no database work."""
        try:
            self.model.advance(self._now())
            self.redraw()
            self._update_banner()
        except Exception as err:  # never let a tick end the board
            self.log.error(f"countdown tick failed: {err!r}")

    def action_refresh(self) -> None:
        self.poll(force=True)

    def refresh_now(self, select: int | None = None) -> None:
        """After a local write: show it at once (with the cursor on ``select``)."""
        self._select_after_poll = select
        self.poll()

    def selected_id(self) -> int | None:
        return self.query_one(SlaTable).cursor_id

    def _selected_customer(self) -> str | None:
        row = self.rows.get(self.selected_id() or -1)
        return row.view.customer.key if row else None

    # ---------------------------------------------------------------- views

    def _sync_level_tabs(self) -> None:
        levels = sorted({r.view.level for r in self.rows.values() if r.view.contract is not None})
        if levels == self._levels:
            return
        tabs = self.query_one("#views", Tabs)
        for level in self._levels:
            if level not in levels:
                tabs.remove_tab(f"level-{_slug(level)}")
        for level in levels:
            if level not in self._levels:
                tabs.add_tab(Tab(plain(level), id=f"level-{_slug(level)}"))
        self._levels = levels

    def view_keys(self) -> list[str]:
        return [key for key, _ in BASE_VIEWS] + [f"level-{_slug(level)}" for level in self._levels]

    def _in_view(self, row: BoardRow) -> bool:
        key = self.view_key
        t = row.view.ticket
        if key == "all":
            return True
        if key == "mine":
            return t.assignee == self.app.operator
        if key == "unassigned":
            return not t.assignee
        if key == "breached":
            return row.state == "breached"
        return key == f"level-{_slug(row.view.level)}"

    def visible_rows(self) -> list[BoardRow]:
        rows = [r for r in self.rows.values() if self._in_view(r)] if self.view_key != "all" else list(self.rows.values())
        if self.filter_text:
            needle = self.filter_text.lower()
            rows = [r for r in rows if needle in r.search]
        now = self._now()
        order = SORTS[self.sort_key][1]
        if order is None:
            return self.model.ordered(rows, now)
        rows.sort(key=lambda r: order(r, now))
        return rows

    def redraw(self) -> None:
        table = self.query_one(SlaTable)
        if self.filter_text:
            table.empty_message = f"No open calls match {self.filter_text!r} (esc clears the filter)."
        elif self.view_key != "all":
            table.empty_message = "No open calls in this view."
        else:
            table.empty_message = "No open calls. All quiet."
        table.set_rows(self.visible_rows(), self._now())
        self._update_summary()

    @on(Tabs.TabActivated, "#views")
    def _view_chosen(self, event: Tabs.TabActivated) -> None:
        if event.tab.id and event.tab.id != self.view_key:
            self.view_key = event.tab.id
            self.redraw()

    def action_view(self, index: int) -> None:
        keys = self.view_keys()
        if 0 <= index < len(keys):
            self.query_one("#views", Tabs).active = keys[index]

    def action_next_view(self) -> None:
        self.query_one("#views", Tabs).action_next_tab()

    def action_previous_view(self) -> None:
        self.query_one("#views", Tabs).action_previous_tab()

    def action_cycle_sort(self) -> None:
        keys = list(SORTS)
        self.sort_key = keys[(keys.index(self.sort_key) + 1) % len(keys)]
        self._update_sortinfo()
        self.redraw()

    def _update_sortinfo(self) -> None:
        label = SORTS[self.sort_key][0]
        self.query_one("#sortinfo", Static).update(Content(f"⇅ {label}"))

    # ---------------------------------------------------------------- filter

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.add_class("-shown")
        box.focus()

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        had = bool(self.filter_text) or box.has_class("-shown")
        box.value = ""
        box.remove_class("-shown")
        self.filter_text = ""
        self.query_one(SlaTable).focus()
        if had:
            self.redraw()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.filter_text = event.value.strip()
        self.redraw()

    @on(Input.Submitted, "#filter")
    def _filter_kept(self, event: Input.Submitted) -> None:
        if not self.filter_text:
            event.input.remove_class("-shown")
        self.query_one(SlaTable).focus()

    def key_escape(self) -> None:
        # Esc in the filter box clears it (the box would otherwise eat the key).
        if self.focused is self.query_one("#filter", Input):
            self.action_clear_filter()

    # ---------------------------------------------------------------- actions

    def action_take(self) -> None:
        ticket_id = self.selected_id()
        if ticket_id is not None:
            self.app.take_ticket(ticket_id)

    def action_diagnose(self) -> None:
        ticket_id = self.selected_id()
        if ticket_id is not None:
            self.app.diagnose(ticket_id)

    def action_timer(self) -> None:
        ticket_id = self.selected_id()
        if ticket_id is not None:
            self.app.toggle_timer(ticket_id)

    def action_log(self) -> None:
        ticket_id = self.selected_id()
        self.app.action_comm_log(ticket_id=ticket_id)

    def action_contracts(self) -> None:
        self.app.action_contracts(self._selected_customer())

    # ---------------------------------------------------------------- detail

    @on(SlaTable.Selected)
    def _open_ticket(self, event: SlaTable.Selected) -> None:
        self.app.open_ticket(event.ticket_id)

    # ---------------------------------------------------------------- header

    def _update_summary(self) -> None:
        rows = list(self.rows.values())
        now = self._now()
        states, levels, nxt = summarise(rows, now)
        parts = []
        for state in STATE_ORDER:
            if state == "none" and not states.get("none"):
                continue
            parts.append((f"{GLYPHS[state]} {states.get(state, 0)} {STATE_LABELS[state]}", f"$sla-{state}"))
        content = Content("")
        for text, colour in parts:
            content = content + Content.styled(text, colour) + Content("   ")
        at_risk = sum(1 for r in rows if r.view.at_risk)
        if at_risk:
            content = content + Content.styled(f"⚠ {at_risk} to tell", "$sla-breached bold") + Content("   ")
        if self.unmatched_mail:
            mails = "mail waits" if self.unmatched_mail == 1 else "mails wait"
            content = content + Content.styled(f"✉ {self.unmatched_mail} unmatched {mails} (t: triage)", "$warning bold") + Content("   ")
        if self.unsent_mail:
            content = content + Content.styled(f"✉ {self.unsent_mail} unsent", "$warning bold") + Content("   ")
        level_text = "  ·  ".join(f"{plain(level)} {n}" for level, n in sorted(levels.items()))
        line1 = content
        if nxt is not None and nxt.lead is not None:
            t = nxt.view.ticket
            nxt_text = Content.assemble(
                "next breach in ",
                (compact(nxt.remaining(now)), f"$sla-{nxt.state} bold"),
                f": #{t.id} {plain(nxt.view.customer.name)} — {headline(t.title)}",
            )
        elif states.get("breached"):
            nxt_text = Content.styled(f"{states['breached']} calls breached, none about to breach", "$sla-breached")
        else:
            nxt_text = Content("no deadline ahead")
        refreshed = self.last_good.astimezone().strftime("%H:%M:%S") if self.last_good else "never"
        operator = plain(self.app.operator)
        line3 = Content.styled(f"{level_text}   ·   {operator} · refreshed {refreshed}", "$foreground-muted")
        self.query_one("#summary", Static).update(Content("\n").join([line1, nxt_text, line3]))

    def _update_banner(self) -> None:
        banner = self.query_one("#banner", Static)
        now = self.app.clock()
        since = self.last_good.astimezone().strftime("%H:%M:%S") if self.last_good else "never"
        if self.error:
            banner.update(Content(f"NOT LIVE — cannot read the database: {plain(self.error)} — showing data from "
                                  f"{since}; retrying."))
            banner.set_class(True, "-shown")
            return
        interval = self.app.settings.refresh_interval
        stale_after = max(5.0, 3 * interval)
        if self.app.live and self.last_good is not None and (now - self.last_good).total_seconds() > stale_after:
            banner.update(Content(f"NOT LIVE — data is stale: last good refresh at {since}."))
            banner.set_class(True, "-shown")
            return
        banner.set_class(False, "-shown")


def _slug(text: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in text.lower())
