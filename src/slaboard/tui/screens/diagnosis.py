"""Diagnosis: what the operator found, the time to promise the customer and what
the work costs. A promise past the resolution deadline shows at once."""

from __future__ import annotations

from textual import getters, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.timer import Timer
from textual.widgets import Button, Footer, Input, Label, Static, TextArea

from slaboard.services.access import Store
from slaboard.services.billing import Decision, estimate
from slaboard.services.tickets import Change, TicketView, get_view, plan_change, update_ticket
from slaboard.textfmt import local
from slaboard.timeinput import TimeInputError, parse_when
from slaboard.tui.host import BoardHost
from slaboard.tui.text import headline, plain

CATEGORIES = ("hardware", "software", "configuration", "account", "network", "third party", "user question", "security")


class DiagnosisScreen(Screen[None]):

    app = getters.app(BoardHost)
    HELP_GROUP = "diagnosis"
    DEFAULT_CSS = """
    DiagnosisScreen #title { text-style: bold; background: $panel; padding: 0 1; }
    DiagnosisScreen #form { padding: 0 1; }
    DiagnosisScreen Label { margin-top: 1; color: $primary; }
    DiagnosisScreen #found { height: 4; background: $boost; }
    DiagnosisScreen Input { background: $boost; }
    DiagnosisScreen .hint { color: $foreground-muted; }
    DiagnosisScreen #outcome { margin-top: 1; height: auto; }
    DiagnosisScreen #outcome.-risk { background: $error 30%; color: $text; text-style: bold; }
    DiagnosisScreen #error { color: $error; height: auto; }
    DiagnosisScreen Horizontal { height: auto; align-horizontal: right; margin-top: 1; }
    DiagnosisScreen Button { margin-left: 1; }
    """
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="diagnosis.save", tooltip="Save the diagnosis and the promise"),
        Binding("escape", "cancel", "Cancel", id="diagnosis.cancel", tooltip="Back without saving"),
    ]

    def __init__(self, ticket_id: int) -> None:
        super().__init__()
        self.ticket_id = ticket_id
        self.view: TicketView | None = None
        self.change: Change | None = None
        self._debounce: Timer | None = None
        self._asked = 0  # the newest cost estimate asked for; older answers are dropped

    def compose(self) -> ComposeResult:
        yield Static(Content(f"Diagnose #{self.ticket_id}"), id="title")
        with VerticalScroll(id="form"):
            yield Label("What did you find?")
            yield TextArea(id="found", soft_wrap=True, compact=True, tab_behavior="focus")
            yield Label("Category")
            yield Input(placeholder=", ".join(CATEGORIES[:5]) + ", ...", id="category", compact=True)
            yield Label("Expected resolution to promise the customer")
            yield Input(placeholder="+4h, in 2h, 16:30, tomorrow 12:00 or 2026-06-01T09:30", id="expected", compact=True)
            yield Static(classes="hint", id="expected-hint")
            yield Label("Estimated work (hours)")
            yield Input(placeholder="e.g. 1.5", id="hours", type="number", compact=True)
            yield Static(id="cost")
            yield Static(id="outcome")
            yield Static(id="error")
            with Horizontal():
                yield Button("Cancel", id="cancel")
                yield Button("Save (ctrl+s)", id="save", variant="primary")
        yield Footer()

    def on_mount(self) -> None:
        now = self.app.clock()
        ticket_id = self.ticket_id
        self.app.read(lambda store: get_view(store, ticket_id, now), self._loaded, self._error)

    def _loaded(self, view: TicketView) -> None:
        self.view = view
        t = view.ticket
        self.query_one("#title", Static).update(Content(f"Diagnose #{t.id}  {headline(t.title)}"))
        self.query_one("#found", TextArea).text = t.diagnosis
        self.query_one("#category", Input).value = t.category
        if t.expected_at:
            self.query_one("#expected", Input).value = local(t.expected_at, view.tz, "%Y-%m-%dT%H:%M")
        if t.estimate_hours is not None:
            self.query_one("#hours", Input).value = f"{t.estimate_hours:g}"
        self.query_one("#found", TextArea).focus()
        self._update()

    def _error(self, message: str) -> None:
        self.query_one("#error", Static).update(Content(message))

    def _fields(self) -> dict[str, object]:
        """The form as a change; raises ValueError with a message for a bad field."""
        assert self.view is not None
        now = self.app.clock()
        fields: dict[str, object] = {
            "diagnosis": self.query_one("#found", TextArea).text,
            "category": self.query_one("#category", Input).value,
        }
        text = self.query_one("#expected", Input).value.strip()
        if text:
            fields["expected"] = parse_when(text, now, self.view.tz, "expected resolution")
        hours = self.query_one("#hours", Input).value.strip()
        if hours:
            try:
                fields["estimate_hours"] = float(hours)
            except ValueError:
                raise ValueError(f"estimated hours: {hours!r} is not a number") from None
        return fields

    @on(Input.Changed)
    @on(TextArea.Changed)
    def _changed(self) -> None:
        if self._debounce is not None:
            self._debounce.stop()
        self._debounce = self.set_timer(0.3, self._update)

    def _update(self) -> None:
        if self.view is None:
            return
        view = self.view
        try:
            fields = self._fields()
        except (TimeInputError, ValueError) as err:
            self._error(str(err))
            return
        self._error("")
        expected = fields.get("expected")
        hint = self.query_one("#expected-hint", Static)
        hint.update(Content(f"= {local(expected, view.tz, '%a %d %b %H:%M %Z')}" if expected else ""))  # type: ignore[arg-type]
        hours = fields.get("estimate_hours")
        cost = self.query_one("#cost", Static)
        if isinstance(hours, float) and hours > 0:
            self._estimate(hours)
        elif view.ticket.billable:
            cost.update(Content("Billable work: estimate the hours to tell the customer the cost."))
        else:
            cost.update(Content("Covered by the contract: estimate the hours to see how they are counted."))
        now = self.app.clock()
        operator = self.app.operator
        ticket_id = self.ticket_id

        def plan(store: Store) -> Change:
            return plan_change(store, ticket_id, operator=operator, now=now, **fields)  # type: ignore[arg-type]

        self.app.read(plan, self._planned, self._error)

    def _estimate(self, hours: float) -> None:
        """What the hours would cost by the contract's rules (coverage, the block
        left, rounding and minimum), as the month's bill would count them."""
        self._asked += 1
        asked, ticket_id, now = self._asked, self.ticket_id, self.app.clock()

        def told(decision: Decision) -> None:
            if asked == self._asked and self.is_attached:
                self.query_one("#cost", Static).update(Content(f"{hours:g} h: {plain(decision.text())}"))

        self.app.read(lambda store: estimate(store, ticket_id, hours, now), told, self._error)

    def _planned(self, change: Change) -> None:
        self.change = change
        t, tz = change.after.ticket, change.after.tz
        outcome = self.query_one("#outcome", Static)
        due = t.resolution_due
        if t.expected_at is None or due is None:
            outcome.update(Content(f"Resolution due {local(due, tz, '%a %d %b %H:%M')}." if due else ""))
            outcome.remove_class("-risk")
        elif t.expected_at > due:
            outcome.update(Content(
                f"At risk: the promise {local(t.expected_at, tz, '%a %H:%M')} is after the resolution deadline "
                f"{local(due, tz, '%a %H:%M')}. The board will mark it until the customer is told (l)."
            ))
            outcome.add_class("-risk")
        else:
            outcome.update(Content(f"Within the deadline: resolution due {local(due, tz, '%a %d %b %H:%M')}."))
            outcome.remove_class("-risk")

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        if self.view is None:
            return
        try:
            fields = self._fields()
        except (TimeInputError, ValueError) as err:
            self._error(str(err))
            return
        if self.view.ticket.status == "new":
            fields["status"] = "diagnosing"
        version = self.view.ticket.version
        now = self.app.clock()
        operator = self.app.operator
        ticket_id = self.ticket_id

        def write(store: Store) -> TicketView:
            return update_ticket(store, ticket_id, operator=operator, now=now, expected_version=version, **fields)  # type: ignore[arg-type]

        def close(view: TicketView) -> None:
            self.dismiss()

        self.app.write(write, close, self._error)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss()
