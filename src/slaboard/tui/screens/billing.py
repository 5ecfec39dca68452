"""One customer's bill for a month, from contract lookup (``b``): the contract's
fee, the block of prepaid hours as it stands, every entry of the month with how it
was counted, and the totals — the same figures as ``slaboard billing``.

Reads go through ``app.read``; a month read after the operator moved on is dropped.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from textual import getters
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import ScrollableContainer
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Footer, Static

from slaboard.reports.bills import customer_table, state_text
from slaboard.services.billing import Billing, Block, bill, period_label, shift_period
from slaboard.tui.host import BoardHost
from slaboard.tui.text import plain


def block_line(block: Block, lead: str = "block ") -> Content:
    """A block of prepaid hours as it stands, in a line; a warning under 20% left."""
    if block.low:
        return Content.styled(f"⚠ {lead}{plain(block.summary())}", "bold $warning")
    return Content.assemble((lead, "$foreground-muted"), plain(block.summary()))


def bill_lines(billing: Billing) -> list[Content]:
    """The customer's month as the command line prints it, the warnings and a low
    block marked."""
    if not billing.bills:
        return [Content.styled("No contract and no time logged in this month.", "$text-muted")]
    b = billing.bills[0]
    low = {block.summary() for block in b.blocks if block.low}
    lines = []
    for text in customer_table(billing, b)[1:]:  # the name is in the title
        if text.startswith("  warning") or any(text.endswith(s) for s in low):
            lines.append(Content.styled(text, "bold $warning"))
        elif text.startswith("  total"):
            lines.append(Content.styled(text, "bold"))
        else:
            lines.append(Content(text))
    if billing.running:
        lines += [Content(""), Content.styled(plain(f"not counted yet: timers still running: {', '.join(billing.running)}"),
                                              "$warning")]
    return lines


class BillingScreen(Screen[None]):
    """A customer's bill for one month; ``[`` and ``]`` step through the months."""
    app = getters.app(BoardHost)

    HELP_GROUP = "billing"

    DEFAULT_CSS = """
    BillingScreen #billing-title { background: $panel; text-style: bold; padding: 0 1; height: 1; }
    BillingScreen #billing-state { height: auto; padding: 0 1; color: $text-muted; }
    BillingScreen #billing-scroll { height: 1fr; padding: 0 1; }
    BillingScreen #billing-body { width: auto; }
    """
    BINDINGS = [
        Binding("escape,q", "app.pop_screen", "Back", key_display="esc", id="billing.back", tooltip="Back to the contract"),
        Binding("left_square_bracket", "month(-1)", "Earlier", key_display="[", id="billing.earlier",
                tooltip="The month before"),
        Binding("right_square_bracket", "month(1)", "Later", key_display="]", id="billing.later",
                tooltip="The month after"),
        Binding("r", "reload", "Reload", show=False, id="billing.reload", tooltip="Read the month again"),
    ]

    def __init__(self, customer: str, name: str, tz: str, period: str | None = None) -> None:
        super().__init__()
        self.customer, self.customer_name, self.tz = customer, name, tz
        self.period = period or self._this_month()
        self.billing: Billing | None = None
        self._request = 0

    def _this_month(self) -> str:
        now: datetime = self.app.clock()
        return now.astimezone(ZoneInfo(self.tz)).strftime("%Y-%m")

    def compose(self) -> ComposeResult:
        yield Static(id="billing-title")
        yield Static(id="billing-state")
        with ScrollableContainer(id="billing-scroll"):  # a wide month scrolls sideways, nothing cut
            yield Static(Content("reading the month…"), id="billing-body")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#billing-scroll").focus()
        self.load()

    def load(self) -> None:
        self._request += 1
        request, period, customer, now = self._request, self.period, self.customer, self.app.clock()
        self._title()
        self.app.read(lambda store: bill(store, period, customer=customer, now=now),
                      lambda billing: self._show(billing, request), lambda message: self._failed(message, request))

    def _title(self) -> None:
        under_way = " (under way)" if self.period == self._this_month() else ""
        self.query_one("#billing-title", Static).update(Content.assemble(
            "Billing · ", plain(self.customer_name), f" · {period_label(self.period)}{under_way}",
            ("   [ earlier · ] later", "$text-muted")))

    def _show(self, billing: Billing, request: int) -> None:
        if request != self._request or not self.is_attached:
            return
        self.billing = billing
        self.query_one("#billing-state", Static).update(Content(plain(state_text(billing))))
        self.query_one("#billing-body", Static).update(Content("\n").join(bill_lines(billing)))

    def _failed(self, message: str, request: int) -> None:
        if request == self._request and self.is_attached:
            self.query_one("#billing-body", Static).update(Content.styled(plain(message), "$error"))

    def action_month(self, step: int) -> None:
        later = shift_period(self.period, step)
        if step > 0 and later > self._this_month():
            self.notify("That month has not begun.", timeout=3, markup=False)
            return
        self.period = later
        self.load()

    def action_reload(self) -> None:
        self.load()
