"""The report's calls behind one row of figures: a list to open any of them from."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from textual import getters, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from slaboard.services.tickets import CallLine, call_lines
from slaboard.tui.host import BoardHost
from slaboard.tui.text import headline, plain
from slaboard.tui.widgets.table import STATUS_LABELS

# Each clock's target as a mark that reads without colour: met, missed, not stopped.
CLOCK_MARKS = (("response", "resp"), ("plan", "plan"), ("resolution", "resol"))
MET, MISSED, RUNNING = ("✓", "$success"), ("✗", "bold $error"), ("–", "$text-muted")
LEGEND = "✓ target met · ✗ missed · – not stopped"


def outcome_marks(line: CallLine) -> Content:
    """"resp✓ plan– resol✗": each clock of the call, met, missed or not stopped."""
    parts: list[str | tuple[str, str]] = []
    for clock, label in CLOCK_MARKS:
        met = line.outcomes.get(clock)
        mark, style = RUNNING if met is None else (MET if met else MISSED)
        parts += [(" " if parts else "") + label, (mark, style)]
    return Content.assemble(*parts)


def call_prompt(line: CallLine, tz: str) -> Content:
    t = line.ticket
    status = {"resolved": "resolved", "closed": "closed"}.get(t.status, STATUS_LABELS.get(t.status, t.status))
    day = t.reported_at.astimezone(ZoneInfo(tz)).date().isoformat()
    return Content.assemble(
        (f"#{t.id:<6}", "bold"), f" {day}  {t.priority}  {status:<10} ", outcome_marks(line), "  ",
        (f"{plain(line.customer_code):<5}", "$text-muted"), " ", headline(t.title),
    )


class GroupCallsScreen(ModalScreen[None]):
    """The calls behind one row of the report; enter opens a call."""
    app = getters.app(BoardHost)

    HELP_GROUP = "report: calls"

    DEFAULT_CSS = """
    GroupCallsScreen { align: center middle; }
    GroupCallsScreen > #box { width: 96%; max-width: 120; height: 90%; border: round $primary; background: $surface; }
    GroupCallsScreen #calls-heading { height: 1; text-style: bold; padding: 0 1; }
    GroupCallsScreen #calls-hint { height: 1; color: $text-muted; padding: 0 1; }
    GroupCallsScreen #calls { height: 1fr; border: none; text-wrap: nowrap; text-overflow: ellipsis; }
    """
    BINDINGS = [
        Binding("escape,q,backspace", "app.pop_screen", "Back", id="report_calls.back", tooltip="Back to the report"),
    ]

    def __init__(self, heading: Content, ticket_ids: list[int], tz: str) -> None:
        super().__init__()
        self.heading = heading
        self.ticket_ids = ticket_ids
        self.tz = tz

    def compose(self) -> ComposeResult:
        with Vertical(id="box"):
            yield Static(self.heading, id="calls-heading")
            yield OptionList(markup=False, compact=True, id="calls")
            hint = f"{LEGEND} · enter opens a call · esc back"
            if len(self.ticket_ids) > CALLS_SHOWN:
                hint = f"the first {CALLS_SHOWN} of {len(self.ticket_ids)} calls · " + hint
            yield Static(Content(hint), id="calls-hint")

    def on_mount(self) -> None:
        calls = self.query_one("#calls", OptionList)
        calls.focus()
        shown = self.ticket_ids[:CALLS_SHOWN]
        if not shown:
            calls.add_option(Option(Content.styled("No calls behind this row.", "$text-muted"), disabled=True))
            return
        calls.add_option(Option(Content.styled("reading the calls…", "$text-muted"), disabled=True))
        self.app.read(lambda store: call_lines(store, shown), self._show)

    def _show(self, lines: list[CallLine]) -> None:
        calls = self.query_one("#calls", OptionList)
        calls.clear_options()
        calls.add_options([Option(call_prompt(line, self.tz), id=str(line.ticket.id)) for line in lines])
        if lines:
            calls.highlighted = 0

    @on(OptionList.OptionSelected, "#calls")
    def _open(self, event: OptionList.OptionSelected) -> None:
        if event.option.id is not None:
            self.app.open_ticket(int(event.option.id))


CALLS_SHOWN = 2000  # the calls listed behind one row; a year of a big desk has more
