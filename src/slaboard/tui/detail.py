"""The ticket detail: every field, every clock with its explanation, the history."""

from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Static

from slaboard.services.tickets import TicketView, get_view
from slaboard.sla import explain
from slaboard.store import Store
from slaboard.textfmt import compact, local
from slaboard.tui.text import plain, plain_block


class TicketScreen(Screen[None]):
    """One call, read from the database when opened."""

    DEFAULT_CSS = """
    TicketScreen #detail { padding: 0 1; }
    TicketScreen .heading { text-style: bold; color: $primary; margin-top: 1; }
    TicketScreen #title { text-style: bold; background: $panel; padding: 0 1; }
    """
    BINDINGS = [
        Binding("escape,q,backspace", "app.pop_screen", "Back", id="ticket.back", tooltip="Back to the board"),
    ]

    def __init__(self, ticket_id: int) -> None:
        super().__init__()
        self.ticket_id = ticket_id

    def compose(self) -> ComposeResult:
        yield Static(Content(f"#{self.ticket_id}"), id="title")
        with VerticalScroll(id="detail"):
            yield Static(Content("loading…"), id="body")
        yield Footer()

    def on_mount(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, exit_on_error=False)
    def load(self) -> None:
        now = self.app.clock()  # type: ignore[attr-defined]
        try:
            with Store.open(self.app.db_path) as store:  # type: ignore[attr-defined]
                view = get_view(store, self.ticket_id, now)
                events = store.events(self.ticket_id)
        except Exception as err:  # shown in place of the detail
            self.app.call_from_thread(self._show_error, str(err))
            return
        self.app.call_from_thread(self._show, view, events)

    def _show_error(self, message: str) -> None:
        self.query_one("#body", Static).update(Content(f"Cannot show #{self.ticket_id}: {plain(message)}"))

    def _show(self, view: TicketView, events: list) -> None:  # type: ignore[type-arg]
        t, tz = view.ticket, view.tz
        self.query_one("#title", Static).update(Content(f"#{t.id}  {plain(t.title)}"))
        lines: list[Content] = []

        def field(label: str, value: str) -> None:
            lines.append(Content.assemble((f"{label:<12}", "bold"), plain(value)))

        field("customer", f"{view.customer.name} ({view.customer.code}), {tz}")
        if view.contract:
            cover = "billable: service not covered" if t.billable else "covered"
            field("contract", f"{view.contract.key} v{view.contract.version} · {view.level} · {cover}")
        else:
            field("contract", "none in force: billable work")
        field("service", t.service)
        field("priority", f"{t.priority} (impact {t.impact}, urgency {t.urgency})" + (f" — {t.priority_reason}" if t.priority_reason else ""))
        field("status", t.status.replace("_", " "))
        field("assignee", t.assignee or "unassigned")
        field("caller", f"{t.caller or '-'} via {t.channel}")
        field("reported", local(t.reported_at, tz, "%a %Y-%m-%d %H:%M %Z"))
        if t.expected_at:
            field("promised", local(t.expected_at, tz, "%a %Y-%m-%d %H:%M %Z"))
        if t.description:
            lines.append(Content(""))
            lines.append(Content(plain_block(t.description)))
        for name, clock in view.clocks.items():
            lines.append(Content.styled(f"{name} clock", "bold $primary"))
            left = "stopped" if clock.stopped_ts is not None else compact(clock.remaining) + " left"
            lines.append(Content.assemble((f"  {clock.state}", f"bold $sla-{clock.state if clock.state in ('ok', 'warning', 'critical', 'breached', 'paused') else 'none'}"),
                                          f"  due {local(clock.due, tz, '%a %Y-%m-%d %H:%M %Z')}  ·  {left}"))
            for line in explain(clock).lines():
                lines.append(Content("  " + plain(line)))
        if events:
            lines.append(Content.styled("history", "bold $primary"))
            for e in events:
                change = f"{e.field}: {e.old or '-'} → {e.new or '-'}" if e.field else ""
                note = f"  ({e.note})" if e.note else ""
                lines.append(Content(plain(f"  {local(e.at, tz, '%Y-%m-%d %H:%M')}  {e.operator:<10} {e.kind:<9} {change}{note}")))
        self.query_one("#body", Static).update(Content("\n").join(lines))
